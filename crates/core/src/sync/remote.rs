//! Remotes: where a vault's files are copied for sync. One small blocking trait, [`Remote`],
//! and [`StoreRemote`], which opens the remote a URL names: a folder (super::folder, which
//! never follows a symbolic link), or an S3-compatible object store or a WebDAV server
//! through the `object_store` crate. Nothing outside this file and the folder's knows which
//! client library is used (docs/ARCHITECTURE.md says why it is object_store).
//!
//! Keys are `/`-separated paths relative to the remote's root (`log/<device>/<seq>.age`).
//! Every download names the largest size it accepts (crate::limits): a larger file is refused
//! before its body is read, and a server that sends more than it announced is cut off there.

use crate::{Error, Result};
use age::secrecy::{ExposeSecret, SecretString};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as StorePath;
use object_store::{
    ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A place that holds a copy of a vault's files. Every method is one request to the remote
/// (a listing may be paged by the server; it is still counted once).
pub trait Remote {
    /// The bytes at `key`, or `None` if there is nothing there. A file larger than `limit` is
    /// [`Error::RemoteFileTooLarge`], and no more than `limit` bytes of it are read.
    fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>>;
    /// Writes `data` at `key` (replacing what was there).
    fn put(&self, key: &str, data: &[u8]) -> Result<()>;
    /// Removes `key`; absent keys are no error.
    fn delete(&self, key: &str) -> Result<()>;
    /// Every key under `prefix` (recursively).
    fn list(&self, prefix: &str) -> Result<Vec<String>>;
    /// The names of the folders directly under `prefix` (one level, one request).
    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>>;
    /// Requests made so far.
    fn requests(&self) -> u64;
    /// The remote for messages: its URL without credentials.
    fn describe(&self) -> String;

    /// Several GETs (one request each, up to [`CONCURRENCY`] at once where the remote allows);
    /// the results are in the order of `keys`.
    fn get_many(&self, keys: &[String], limit: u64) -> Vec<Result<Option<Vec<u8>>>> {
        keys.iter().map(|k| self.get(k, limit)).collect()
    }
    /// Several PUTs (one request each, several at once where the remote allows); the first
    /// failure is returned once every upload started has ended.
    fn put_many(&self, items: &[(String, Vec<u8>)]) -> Result<()> {
        items.iter().try_for_each(|(k, d)| self.put(k, d))
    }
    /// Streams the bytes at `key` into a new file `to` (never held whole in memory); returns
    /// the hex SHA-256 of what was written, or `None` if there is nothing at `key`. On failure
    /// (a file larger than `limit` among them) `to` is removed.
    fn get_to_file(&self, key: &str, to: &Path, limit: u64) -> Result<Option<String>> {
        let Some(data) = self.get(key, limit)? else {
            return Ok(None);
        };
        crate::fsutil::new_private_file()
            .open(to)
            .and_then(|mut f| f.write_all(&data))
            .map_err(Error::io(format!("writing {}", to.display())))?;
        Ok(Some(crate::crypto::sha256_hex(&data)))
    }
    /// Uploads the file at `from` to `key`, in parts where the remote allows it (S3, folder),
    /// so a large attachment is never held whole in memory. WebDAV has no partial upload:
    /// there the file is sent in one request (and held in memory while it is sent).
    fn put_file(&self, key: &str, from: &Path) -> Result<()> {
        let data = std::fs::read(from).map_err(Error::io(format!("reading {}", from.display())))?;
        self.put(key, &data)
    }
}

/// Refuses a file of `size` bytes (announced or read so far) over `limit`.
pub(crate) fn check_size(remote: &str, key: &str, size: u64, limit: u64) -> Result<()> {
    if size > limit {
        return Err(Error::RemoteFileTooLarge {
            remote: remote.to_string(),
            key: key.to_string(),
            size,
            limit,
        });
    }
    Ok(())
}

/// Requests a remote runs at once in [`Remote::get_many`] and [`Remote::put_many`].
pub const CONCURRENCY: usize = 16;

/// Files larger than this go up in parts of this size ([`Remote::put_file`]).
pub const PART_SIZE: usize = 8 << 20;

/// Credentials for an S3 remote. Never printed; stored only inside `local/remotes.age`.
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl Clone for Credentials {
    fn clone(&self) -> Self {
        Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: SecretString::from(
                self.secret_access_key.expose_secret().to_string(),
            ),
        }
    }
}

impl Credentials {
    /// From `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, if both are set.
    pub fn from_env() -> Option<Credentials> {
        let id = std::env::var("AWS_ACCESS_KEY_ID")
            .ok()
            .filter(|s| !s.is_empty())?;
        let secret = std::env::var("AWS_SECRET_ACCESS_KEY")
            .ok()
            .filter(|s| !s.is_empty())?;
        Some(Credentials {
            access_key_id: id,
            secret_access_key: SecretString::from(secret),
        })
    }
}

/// What kind of remote a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum RemoteKind {
    Folder,
    S3,
    Webdav,
}

/// A parsed remote URL.
#[derive(Clone, Debug)]
pub enum RemoteUrl {
    /// A folder (a plain path or `file:///path`).
    Folder(PathBuf),
    /// `s3://bucket/prefix?endpoint=http://host:port&region=...`
    S3 {
        bucket: String,
        prefix: String,
        endpoint: Option<String>,
        region: String,
    },
    /// `webdav+http://host:port/path` or `webdav+https://...`: the HTTP URL of the folder.
    Webdav { url: url::Url },
}

impl RemoteUrl {
    /// Parses a remote URL; errors name what is wrong.
    pub fn parse(text: &str) -> Result<RemoteUrl> {
        let bad = |reason: &str| Error::BadRemoteUrl {
            url: redact(text),
            reason: reason.to_string(),
        };
        let t = text.trim();
        if t.is_empty() {
            return Err(bad("it is empty"));
        }
        if let Some(rest) = t.strip_prefix("file://") {
            if !rest.starts_with('/') {
                return Err(bad("a file URL needs an absolute path: file:///path"));
            }
            return Ok(RemoteUrl::Folder(PathBuf::from(rest)));
        }
        if !t.contains("://") {
            return Ok(RemoteUrl::Folder(PathBuf::from(t)));
        }
        let u = url::Url::parse(t).map_err(|e| bad(&e.to_string()))?;
        match u.scheme() {
            "s3" => {
                let bucket = u.host_str().unwrap_or("").to_string();
                if bucket.is_empty() {
                    return Err(bad("no bucket: s3://BUCKET/prefix"));
                }
                let prefix = u.path().trim_matches('/').to_string();
                let mut endpoint = None;
                let mut region = "us-east-1".to_string();
                for (k, v) in u.query_pairs() {
                    match &*k {
                        "endpoint" => {
                            let e = url::Url::parse(&v)
                                .map_err(|e| bad(&format!("bad endpoint: {e}")))?;
                            if !matches!(e.scheme(), "http" | "https") {
                                return Err(bad("the endpoint must be an http(s) URL"));
                            }
                            endpoint = Some(v.trim_end_matches('/').to_string());
                        }
                        "region" => region = v.to_string(),
                        other => return Err(bad(&format!("unknown parameter {other:?}"))),
                    }
                }
                Ok(RemoteUrl::S3 {
                    bucket,
                    prefix,
                    endpoint,
                    region,
                })
            }
            "webdav+http" | "webdav+https" => {
                let http = &t["webdav+".len()..];
                let mut url = url::Url::parse(http).map_err(|e| bad(&e.to_string()))?;
                if url.host_str().is_none() {
                    return Err(bad("no host"));
                }
                // object_store joins keys to the base with a '/' of its own.
                let p = url.path().trim_end_matches('/').to_string();
                url.set_path(&p);
                Ok(RemoteUrl::Webdav { url })
            }
            other => Err(bad(&format!(
                "unknown scheme {other:?}: use a folder path, file:///path, s3://bucket/prefix?endpoint=...&region=..., or webdav+http(s)://host/path"
            ))),
        }
    }

    pub fn kind(&self) -> RemoteKind {
        match self {
            RemoteUrl::Folder(_) => RemoteKind::Folder,
            RemoteUrl::S3 { .. } => RemoteKind::S3,
            RemoteUrl::Webdav { .. } => RemoteKind::Webdav,
        }
    }
}

/// For a WebDAV URL that names a user but no password (so the password need not be typed on a
/// command line, where other users can see it): who and where, as "user@host", to ask for it.
pub fn webdav_password_wanted(url: &str) -> Option<String> {
    let Ok(RemoteUrl::Webdav { url: u }) = RemoteUrl::parse(url) else {
        return None;
    };
    if u.username().is_empty() || u.password().is_some() {
        return None;
    }
    let user = percent_encoding::percent_decode_str(u.username()).decode_utf8_lossy();
    Some(format!("{user}@{}", u.host_str().unwrap_or("")))
}

/// The WebDAV URL with `password` put in (percent-encoded); stored encrypted with the remote.
pub fn with_webdav_password(url: &str, password: &SecretString) -> Result<SecretString> {
    let t = url.trim();
    let bad = |m: &str| Error::BadRemoteUrl {
        url: redact(t),
        reason: m.to_string(),
    };
    let http = t
        .strip_prefix("webdav+")
        .ok_or_else(|| bad("not a WebDAV URL"))?;
    let mut u = url::Url::parse(http).map_err(|e| bad(&e.to_string()))?;
    let encoded = zeroize::Zeroizing::new(
        percent_encoding::utf8_percent_encode(
            password.expose_secret(),
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string(),
    );
    u.set_password(Some(encoded.as_str()))
        .map_err(|()| bad("this URL cannot carry a password"))?;
    Ok(SecretString::from(format!("webdav+{u}")))
}

/// The URL with every password in it replaced by `***`, for messages and listings: the
/// URL's own and any inside it (an S3 `endpoint=http://user:pw@host`), read as text, so an
/// unparsable URL is redacted too.
pub fn redact(text: &str) -> String {
    let t = text.trim();
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(['/', '?', '#', '&']).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => {
                let user = authority[..i].split(':').next().unwrap_or("");
                let had_password = authority[..i].contains(':');
                out.push_str(user);
                if had_password {
                    out.push_str(":***");
                }
                out.push_str(&authority[i..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Whether a URL carries a password anywhere (see [`redact`]).
pub fn url_has_password(text: &str) -> bool {
    redact(text) != text.trim()
}

/// The remote a URL names, with a request counter.
pub struct StoreRemote(Box<dyn Remote + Send + Sync>);

impl StoreRemote {
    /// Opens the remote a URL names. For S3, `credentials` (else the environment's
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`) sign the requests. A folder remote is
    /// created if absent. No request is made yet.
    pub fn open(url: &str, credentials: Option<&Credentials>) -> Result<StoreRemote> {
        let parsed = RemoteUrl::parse(url)?;
        #[cfg(unix)]
        if let RemoteUrl::Folder(path) = &parsed {
            return Ok(StoreRemote(Box::new(super::folder::FolderRemote::open(
                path,
                redact(url),
            )?)));
        }
        Ok(StoreRemote(Box::new(ObjectRemote::open(
            url,
            &parsed,
            credentials,
        )?)))
    }
}

impl Remote for StoreRemote {
    fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        self.0.get(key, limit)
    }
    fn put(&self, key: &str, data: &[u8]) -> Result<()> {
        self.0.put(key, data)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.0.delete(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.0.list(prefix)
    }
    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        self.0.list_dirs(prefix)
    }
    fn requests(&self) -> u64 {
        self.0.requests()
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn get_many(&self, keys: &[String], limit: u64) -> Vec<Result<Option<Vec<u8>>>> {
        self.0.get_many(keys, limit)
    }
    fn put_many(&self, items: &[(String, Vec<u8>)]) -> Result<()> {
        self.0.put_many(items)
    }
    fn get_to_file(&self, key: &str, to: &Path, limit: u64) -> Result<Option<String>> {
        self.0.get_to_file(key, to, limit)
    }
    fn put_file(&self, key: &str, from: &Path) -> Result<()> {
        self.0.put_file(key, from)
    }
}

/// A remote spoken to through `object_store`, with a request counter.
struct ObjectRemote {
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
    fn open(
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
            } => {
                let creds = credentials.cloned().or_else(Credentials::from_env).ok_or_else(|| {
                    bad("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (they are then stored encrypted in the vault)".into())
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
                let s3: Arc<dyn ObjectStore> = Arc::new(b.build().map_err(|e| bad(e.to_string()))?);
                if prefix.is_empty() {
                    s3
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(s3, prefix.as_str()))
                }
            }
            RemoteUrl::Webdav { url } => {
                // A user name and password in the URL become an Authorization header (HTTP
                // basic, marked sensitive); the URL the client sees carries none, so no error
                // message or log of the client can show the password.
                let mut options = client_options().with_allow_http(url.scheme() == "http");
                let mut url = url.clone();
                if !url.username().is_empty() {
                    let decode = |s: &str| {
                        percent_encoding::percent_decode_str(s)
                            .decode_utf8()
                            .map(|c| c.into_owned())
                            .map_err(|_| bad("the user name or password is not UTF-8".into()))
                    };
                    let user = zeroize::Zeroizing::new(decode(url.username())?);
                    let password = zeroize::Zeroizing::new(decode(url.password().unwrap_or(""))?);
                    let token = zeroize::Zeroizing::new(base64::Engine::encode(
                        &base64::engine::general_purpose::STANDARD,
                        format!("{}:{}", user.as_str(), password.as_str()),
                    ));
                    let mut value =
                        http::HeaderValue::from_str(&format!("Basic {}", token.as_str()))
                            .map_err(|_| bad("the user name or password cannot be sent".into()))?;
                    value.set_sensitive(true);
                    let mut headers = http::HeaderMap::new();
                    headers.insert(http::header::AUTHORIZATION, value);
                    options = options.with_default_headers(headers);
                    let _ = url.set_password(None);
                    let _ = url.set_username("");
                }
                // The store is rooted one level above the remote's folder, so that the folder
                // itself is created (MKCOL) with the first upload if it is missing.
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
                    .map_err(|e| bad(e.to_string()))?;
                let http: Arc<dyn ObjectStore> = Arc::new(http);
                match last {
                    Some(folder) => Arc::new(object_store::prefix::PrefixStore::new(
                        http,
                        folder.as_str(),
                    )),
                    None => http,
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webdav_password_is_asked_for_and_put_in_encoded() {
        assert_eq!(
            webdav_password_wanted("webdav+https://ann@dav.example/notes"),
            Some("ann@dav.example".into())
        );
        for no in [
            "webdav+https://ann:pw@dav.example/notes",
            "webdav+https://dav.example/notes",
            "s3://ann@bucket/x",
            "/home/ann/remote",
        ] {
            assert_eq!(webdav_password_wanted(no), None, "{no}");
        }
        let pw = SecretString::from("p@ss:w/rd %?#".to_string());
        let url = with_webdav_password("webdav+https://ann@dav.example/notes", &pw).unwrap();
        let parsed = url::Url::parse(&url.expose_secret()["webdav+".len()..]).unwrap();
        assert_eq!(parsed.username(), "ann");
        let back = percent_encoding::percent_decode_str(parsed.password().unwrap())
            .decode_utf8()
            .unwrap();
        assert_eq!(back, "p@ss:w/rd %?#");
        assert_eq!(
            (parsed.host_str(), parsed.path()),
            (Some("dav.example"), "/notes")
        );
        assert_eq!(
            redact(url.expose_secret()),
            "webdav+https://ann:***@dav.example/notes"
        );
    }

    #[test]
    fn urls_parse_or_say_why_not() {
        assert!(matches!(
            RemoteUrl::parse("/tmp/x").unwrap(),
            RemoteUrl::Folder(_)
        ));
        assert!(matches!(
            RemoteUrl::parse("file:///tmp/x").unwrap(),
            RemoteUrl::Folder(_)
        ));
        match RemoteUrl::parse("s3://b/p/q?endpoint=http://127.0.0.1:9000&region=eu").unwrap() {
            RemoteUrl::S3 {
                bucket,
                prefix,
                endpoint,
                region,
            } => {
                assert_eq!(
                    (bucket.as_str(), prefix.as_str(), region.as_str()),
                    ("b", "p/q", "eu")
                );
                assert_eq!(endpoint.as_deref(), Some("http://127.0.0.1:9000"));
            }
            other => panic!("{other:?}"),
        }
        match RemoteUrl::parse("webdav+http://127.0.0.1:8080/dav").unwrap() {
            RemoteUrl::Webdav { url } => assert_eq!(url.as_str(), "http://127.0.0.1:8080/dav"),
            other => panic!("{other:?}"),
        }
        for bad in [
            "",
            "ftp://x/y",
            "s3:///p",
            "s3://b/?colour=red",
            "file://rel",
        ] {
            let e = RemoteUrl::parse(bad).unwrap_err();
            assert_eq!(e.code(), "bad_remote_url", "{bad}");
        }
        assert_eq!(
            redact("webdav+http://me:secret@h/x"),
            "webdav+http://me:***@h/x"
        );
        for (url, want) in [
            (
                "s3://b/p?endpoint=http://key:secret@127.0.0.1:9000&region=x",
                "s3://b/p?endpoint=http://key:***@127.0.0.1:9000&region=x",
            ),
            (
                "webdav+http://me:sec ret@h x/y",
                "webdav+http://me:***@h x/y",
            ),
            ("webdav+http://me:p@ss:w@rd@h/x", "webdav+http://me:***@h/x"),
            ("http://[::1:secret@h", "http://[:***@h"),
            ("webdav+https://me@h/x", "webdav+https://me@h/x"),
            ("/a/folder", "/a/folder"),
        ] {
            assert_eq!(redact(url), want, "{url}");
            assert!(!redact(url).contains("secret"), "{url}");
        }
        // An unparsable URL with a password is refused without showing it.
        let e = RemoteUrl::parse("webdav+http://me:secret@[bad/x").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(url_has_password("webdav+http://me:secret@h/x"));
        assert!(!url_has_password("webdav+http://me@h/x"));
    }
}
