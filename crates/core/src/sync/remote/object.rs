//! A remote spoken to through the `object_store` crate: an S3-compatible object store or a
//! WebDAV server. Nothing outside this file knows which client library is used
//! (docs/ARCHITECTURE.md says why it is object_store).

use super::contract::{CONCURRENCY, PART_SIZE, Remote, check_size};
use super::url::{Credentials, RemoteUrl, redact};
use crate::{Error, Result};
use age::secrecy::ExposeSecret;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as StorePath;
use object_store::{
    ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A remote spoken to through `object_store`, with a request counter.
pub(super) struct ObjectRemote {
    store: Arc<dyn ObjectStore>,
    rt: tokio::runtime::Runtime,
    requests: AtomicU64,
    display: String,
    /// WebDAV only: the folders known to exist. A PUT into a missing folder makes it (MKCOL)
    /// first, and two of those racing for the same folder fail (405), so the first upload into
    /// each folder goes alone.
    webdav_dirs: Option<std::sync::Mutex<std::collections::HashSet<String>>>,
}

impl ObjectRemote {
    pub(super) fn open(
        url: &str,
        parsed: &RemoteUrl,
        credentials: Option<&Credentials>,
    ) -> Result<ObjectRemote> {
        let display = redact(url);
        let bad = |reason: String| Error::BadRemoteUrl {
            url: display.clone(),
            reason,
        };
        let retry = RetryConfig {
            max_retries: 2,
            retry_timeout: Duration::from_secs(20),
            ..RetryConfig::default()
        };
        let store: Arc<dyn ObjectStore> = match parsed {
            RemoteUrl::Folder(path) => {
                std::fs::create_dir_all(path).map_err(Error::io(format!(
                    "creating the remote folder {}",
                    path.display()
                )))?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(path)
                    .map_err(|e| bad(e.to_string()))?;
                Arc::new(fs)
            }
            RemoteUrl::S3 {
                bucket,
                prefix,
                endpoint,
                region,
            } => s3_store(
                bucket,
                prefix,
                endpoint.as_deref(),
                region,
                credentials,
                retry,
            )
            .map_err(bad)?,
            RemoteUrl::Webdav { url } => webdav_store(url, retry).map_err(bad)?,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::io("starting the network runtime"))?;
        Ok(ObjectRemote {
            store,
            rt,
            requests: AtomicU64::new(0),
            display,
            webdav_dirs: matches!(parsed, RemoteUrl::Webdav { .. })
                .then(|| std::sync::Mutex::new(Default::default())),
        })
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    fn fail(&self, what: &str, key: &str, e: object_store::Error) -> Error {
        let (remote, reason) = (
            self.display.clone(),
            format!("{what} {key}: {}", short_error(&e)),
        );
        // Only what is certain gets its own error: no connection at all, or a refusal.
        if matches!(
            e,
            object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }
        ) {
            Error::RemoteDenied { remote, reason }
        } else if cannot_connect(&e) {
            Error::RemoteUnreachable { remote, reason }
        } else {
            Error::Remote { remote, reason }
        }
    }
}

/// An S3 client for `bucket` (under `prefix`), signed with `credentials` or the environment's.
/// The error is why the URL cannot be used.
fn s3_store(
    bucket: &str,
    prefix: &str,
    endpoint: Option<&str>,
    region: &str,
    credentials: Option<&Credentials>,
    retry: RetryConfig,
) -> std::result::Result<Arc<dyn ObjectStore>, String> {
    let creds = credentials.cloned().or_else(Credentials::from_env).ok_or_else(|| {
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (they are then stored encrypted in the vault)".to_string()
    })?;
    let mut b = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(region)
        .with_access_key_id(&creds.access_key_id)
        .with_secret_access_key(creds.secret_access_key.expose_secret())
        .with_retry(retry)
        .with_client_options(client_options());
    if let Some(e) = endpoint {
        b = b
            .with_endpoint(e)
            .with_allow_http(e.starts_with("http://"))
            .with_virtual_hosted_style_request(false);
    }
    let s3: Arc<dyn ObjectStore> = Arc::new(b.build().map_err(|e| e.to_string())?);
    Ok(if prefix.is_empty() {
        s3
    } else {
        Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
    })
}

/// A WebDAV client for `url`. A user name and password in the URL become an Authorization
/// header (HTTP basic, marked sensitive); the URL the client sees carries none, so no error
/// message or log of the client can show the password. The error is why the URL cannot be used.
fn webdav_store(
    url: &url::Url,
    retry: RetryConfig,
) -> std::result::Result<Arc<dyn ObjectStore>, String> {
    let mut options = client_options().with_allow_http(url.scheme() == "http");
    let mut url = url.clone();
    if !url.username().is_empty() {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| "the user name or password is not UTF-8".to_string())
        };
        let user = zeroize::Zeroizing::new(decode(url.username())?);
        let password = zeroize::Zeroizing::new(decode(url.password().unwrap_or(""))?);
        let token = zeroize::Zeroizing::new(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", user.as_str(), password.as_str()),
        ));
        let mut value = http::HeaderValue::from_str(&format!("Basic {}", token.as_str()))
            .map_err(|_| "the user name or password cannot be sent".to_string())?;
        value.set_sensitive(true);
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, value);
        options = options.with_default_headers(headers);
        let _ = url.set_password(None);
        let _ = url.set_username("");
    }
    // The store is rooted one level above the remote's folder, so that the folder itself is
    // created (MKCOL) with the first upload if it is missing.
    let mut parent = url.clone();
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if last.is_some()
        && let Ok(mut segs) = parent.path_segments_mut()
    {
        segs.pop();
    }
    let http = object_store::http::HttpBuilder::new()
        .with_url(parent.as_str().trim_end_matches('/'))
        .with_retry(retry)
        .with_client_options(options)
        .build()
        .map_err(|e| e.to_string())?;
    let http: Arc<dyn ObjectStore> = Arc::new(http);
    Ok(match last {
        Some(folder) => Arc::new(object_store::prefix::PrefixStore::new(
            http,
            folder.as_str(),
        )),
        None => http,
    })
}

fn client_options() -> ClientOptions {
    ClientOptions::new()
        .with_timeout(Duration::from_secs(60))
        .with_connect_timeout(Duration::from_secs(10))
}

/// No connection could be made (refused, no route, name not found, connect timeout).
fn cannot_connect(e: &object_store::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<object_store::client::HttpError>() {
            return h.kind() == object_store::client::HttpErrorKind::Connect;
        }
        source = s.source();
    }
    false
}

/// The error's message without the request URL's query (signatures) and at a sane length.
fn short_error(e: &object_store::Error) -> String {
    let s = e.to_string();
    let s: String = s.chars().take(400).collect();
    s
}

fn path(key: &str) -> StorePath {
    StorePath::from(key)
}

impl ObjectRemote {
    /// One GET of at most `limit` bytes: the size the server announces is checked before the
    /// body is read, and the body is read no further than the limit.
    async fn get_capped(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let r = match self.store.get(&path(key)).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.fail("reading", key, e)),
        };
        check_size(&self.display, key, r.meta.size, limit)?;
        let mut data = Vec::with_capacity(r.meta.size as usize);
        let mut stream = r.into_stream();
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(|e| self.fail("reading", key, e))?
        {
            check_size(&self.display, key, (data.len() + chunk.len()) as u64, limit)?;
            data.extend_from_slice(&chunk);
        }
        Ok(Some(data))
    }
}

impl Remote for ObjectRemote {
    fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        self.count();
        self.rt.block_on(self.get_capped(key, limit))
    }

    fn put(&self, key: &str, data: &[u8]) -> Result<()> {
        self.count();
        let p = path(key);
        let payload = PutPayload::from(data.to_vec());
        self.rt
            .block_on(self.store.put(&p, payload))
            .map(|_| ())
            .map_err(|e| self.fail("writing", key, e))
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.count();
        let p = path(key);
        match self.rt.block_on(self.store.delete(&p)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.fail("deleting", key, e)),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.count();
        let p = path(prefix);
        let found: Vec<object_store::ObjectMeta> = match self
            .rt
            .block_on(self.store.list(Some(&p)).try_collect::<Vec<_>>())
        {
            Ok(v) => v,
            Err(object_store::Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(self.fail("listing", prefix, e)),
        };
        Ok(found.into_iter().map(|m| m.location.to_string()).collect())
    }

    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        self.count();
        let p = path(prefix);
        let r = match self.rt.block_on(self.store.list_with_delimiter(Some(&p))) {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(self.fail("listing", prefix, e)),
        };
        Ok(r.common_prefixes
            .into_iter()
            .filter_map(|d| d.filename().map(str::to_string))
            .collect())
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn describe(&self) -> String {
        self.display.clone()
    }

    fn get_many(&self, keys: &[String], limit: u64) -> Vec<Result<Option<Vec<u8>>>> {
        self.requests
            .fetch_add(keys.len() as u64, Ordering::Relaxed);
        self.rt.block_on(
            futures::stream::iter(keys.iter().map(|key| self.get_capped(key, limit)))
                .buffered(CONCURRENCY)
                .collect(),
        )
    }

    fn put_many(&self, items: &[(String, Vec<u8>)]) -> Result<()> {
        let mut items = items;
        let first_in_dir: Vec<(String, Vec<u8>)>;
        if let Some(dirs) = &self.webdav_dirs {
            let mut known = dirs.lock().expect("the folder list is not poisoned");
            let (first, rest): (Vec<_>, Vec<_>) = items.iter().cloned().partition(|(k, _)| {
                let dir = k.rsplit_once('/').map_or("", |(d, _)| d).to_string();
                known.insert(dir)
            });
            drop(known);
            for (k, d) in &first {
                self.put(k, d)?;
            }
            first_in_dir = rest;
            items = &first_in_dir;
        }
        self.requests
            .fetch_add(items.len() as u64, Ordering::Relaxed);
        let results: Vec<Result<()>> = self.rt.block_on(
            futures::stream::iter(items.iter().map(|(key, data)| async move {
                self.store
                    .put(&path(key), PutPayload::from(data.clone()))
                    .await
                    .map(|_| ())
                    .map_err(|e| self.fail("writing", key, e))
            }))
            .buffer_unordered(CONCURRENCY)
            .collect(),
        );
        results.into_iter().collect()
    }

    fn get_to_file(&self, key: &str, to: &Path, limit: u64) -> Result<Option<String>> {
        self.count();
        let p = path(key);
        let result = self.rt.block_on(async {
            let r = match self.store.get(&p).await {
                Ok(r) => r,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(self.fail("reading", key, e)),
            };
            check_size(&self.display, key, r.meta.size, limit)?;
            let mut total = 0u64;
            let mut file = crate::fsutil::new_private_file()
                .open(to)
                .map_err(Error::io(format!("creating {}", to.display())))?;
            let mut hash = Sha256::new();
            let mut stream = r.into_stream();
            while let Some(chunk) = stream
                .try_next()
                .await
                .map_err(|e| self.fail("reading", key, e))?
            {
                total += chunk.len() as u64;
                check_size(&self.display, key, total, limit)?;
                hash.update(&chunk);
                file.write_all(&chunk)
                    .map_err(Error::io(format!("writing {}", to.display())))?;
            }
            Ok(Some(hex::encode(hash.finalize())))
        });
        if !matches!(result, Ok(Some(_))) {
            let _ = std::fs::remove_file(to);
        }
        result
    }

    fn put_file(&self, key: &str, from: &Path) -> Result<()> {
        let reading = || Error::io(format!("reading {}", from.display()));
        let size = std::fs::metadata(from).map_err(reading())?.len();
        if size <= PART_SIZE as u64 {
            let data = std::fs::read(from).map_err(reading())?;
            return self.put(key, &data);
        }
        let p = path(key);
        self.count();
        self.rt.block_on(async {
            let upload = match self.store.put_multipart(&p).await {
                Ok(u) => u,
                // WebDAV: no partial uploads; the file goes in one request.
                Err(object_store::Error::NotImplemented { .. }) => {
                    let data = std::fs::read(from).map_err(reading())?;
                    return self
                        .store
                        .put(&p, PutPayload::from(data))
                        .await
                        .map(|_| ())
                        .map_err(|e| self.fail("writing", key, e));
                }
                Err(e) => return Err(self.fail("writing", key, e)),
            };
            let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            let mut file = std::fs::File::open(from).map_err(reading())?;
            let mut buf = vec![0u8; 1 << 20];
            let sent: Result<()> = async {
                loop {
                    let n = file.read(&mut buf).map_err(reading())?;
                    if n == 0 {
                        return Ok(());
                    }
                    parts
                        .wait_for_capacity(2)
                        .await
                        .map_err(|e| self.fail("writing", key, e))?;
                    parts.write(&buf[..n]);
                }
            }
            .await;
            match sent {
                Ok(()) => {
                    // One request per part and one to complete (counted here).
                    self.requests
                        .fetch_add(size.div_ceil(PART_SIZE as u64) + 1, Ordering::Relaxed);
                    parts
                        .finish()
                        .await
                        .map(|_| ())
                        .map_err(|e| self.fail("writing", key, e))
                }
                Err(e) => {
                    let _ = parts.abort().await;
                    Err(e)
                }
            }
        })
    }
}
