//! Remote URLs and what signs in to them: which kind of remote a URL names, S3 credentials,
//! WebDAV passwords, and URLs with every password taken out, for showing and logging.

use crate::{Error, Result};
use age::secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

/// Credentials for an S3 remote. Never printed; stored only inside `local/remotes.age`.
pub struct Credentials {
    /// The access key id (not secret: shown in debug output).
    pub access_key_id: String,
    /// The secret access key (hidden in debug output).
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
    /// A folder on this computer (or a drive mounted on it): a path or `file:///path`.
    Folder,
    /// An S3-compatible object store: `s3://bucket/prefix`.
    S3,
    /// A folder on a WebDAV server: `webdav+http(s)://host/path`.
    Webdav,
}

/// A parsed remote URL.
#[derive(Clone, Debug)]
pub enum RemoteUrl {
    /// A folder (a plain path or `file:///path`).
    Folder(PathBuf),
    /// `s3://bucket/prefix?endpoint=http://host:port&region=...`
    S3 {
        /// The bucket's name (the URL's host).
        bucket: String,
        /// The folder inside the bucket that holds everything, without slashes around it; empty
        /// for the bucket's root.
        prefix: String,
        /// The S3 server's http(s) URL (no trailing slash), for a store other than AWS; `None`
        /// for AWS.
        endpoint: Option<String>,
        /// The region requests are signed for: `region=` in the URL, else `us-east-1`.
        region: String,
    },
    /// `webdav+http://host:port/path` or `webdav+https://...`: the HTTP URL of the folder.
    Webdav {
        /// The folder's HTTP(S) URL (`webdav+` taken off, no trailing slash); it may carry the
        /// user name and password.
        url: url::Url,
    },
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
            // `~/x` as a shell would read it (a quoted one reaches here as typed), never a
            // folder named "~".
            if t == "~" || t.starts_with("~/") {
                let home = std::env::home_dir()
                    .filter(|h| h.is_absolute())
                    .ok_or_else(|| bad("~ stands for the home folder, and $HOME is not set"))?;
                return Ok(RemoteUrl::Folder(home.join(t[1..].trim_start_matches('/'))));
            }
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

    /// Which kind of remote the URL names: a folder, S3 or WebDAV.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_under_tilde_is_in_the_home_folder() {
        let home = std::env::home_dir().expect("HOME is set for the tests");
        for (typed, inside) in [("~/sync/coffer", "sync/coffer"), ("~", ""), ("~//x", "x")] {
            match RemoteUrl::parse(typed).unwrap() {
                RemoteUrl::Folder(p) => assert_eq!(p, home.join(inside), "{typed}"),
                other => panic!("{typed}: {other:?}"),
            }
        }
        // A folder whose name starts with ~ is just that.
        match RemoteUrl::parse("~x/y").unwrap() {
            RemoteUrl::Folder(p) => assert_eq!(p, PathBuf::from("~x/y")),
            other => panic!("{other:?}"),
        }
    }

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
