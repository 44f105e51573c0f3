//! What an interactive client (the desktop app) needs from sync besides a sync: a connection
//! test before a remote is saved, a second handle on the vault so that a sync in the background
//! never holds up editing, and the notes an alarm concerns.

use super::remote::{Credentials, Remote, RemoteKind, RemoteUrl, StoreRemote};
use super::{Alarm, object_key};
use crate::config::Config;
use crate::keys::Keys;
use crate::vault::{Layout, Vault};
use crate::{Error, Id, NoteRef, Result};
use age::secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// A remote as a person enters it: a name, a URL, and the credentials its kind needs. The
/// secrets go into the vault's encrypted `local/remotes.age` and never come back out.
#[derive(Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewRemote {
    pub name: String,
    /// A folder path, `s3://bucket/prefix?endpoint=…`, or `webdav+http(s)://host/path`.
    pub url: String,
    /// S3: the access key id; WebDAV: the user name. Empty for none.
    #[serde(default)]
    pub user: String,
    /// S3: the secret access key; WebDAV: the password. Empty for none.
    #[serde(default)]
    pub secret: String,
}

impl std::fmt::Debug for NewRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRemote")
            .field("name", &self.name)
            .field("url", &super::remote::redact(&self.url))
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Drop for NewRemote {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

/// A remote's URL and credentials in the form the rest of sync takes them.
pub struct RemoteSpec {
    /// The name, checked and trimmed.
    pub name: String,
    /// For WebDAV with a user name, the URL carries it and the password (stored encrypted).
    pub url: SecretString,
    pub credentials: Option<Credentials>,
}

impl NewRemote {
    /// The URL and credentials to store: S3 takes an access key pair; WebDAV takes a user name
    /// and password inside its URL (as HTTP basic authentication); a folder takes none.
    pub fn spec(&self) -> Result<RemoteSpec> {
        let name = self.name.trim().to_string();
        super::valid_remote_name(&name)?;
        let parsed = RemoteUrl::parse(&self.url)?;
        let (user, secret) = (self.user.trim(), self.secret.as_str());
        let bad = |reason: &str| Error::BadRemoteUrl {
            url: super::remote::redact(&self.url),
            reason: reason.to_string(),
        };
        match parsed {
            RemoteUrl::Folder(_) => {
                if !user.is_empty() || !secret.is_empty() {
                    return Err(bad("a folder remote takes no user name or password"));
                }
                Ok(RemoteSpec {
                    name,
                    url: SecretString::from(self.url.trim().to_string()),
                    credentials: None,
                })
            }
            RemoteUrl::S3 { .. } => {
                let credentials = match (user.is_empty(), secret.is_empty()) {
                    (true, true) => None,
                    (false, false) => Some(Credentials {
                        access_key_id: user.to_string(),
                        secret_access_key: SecretString::from(secret.to_string()),
                    }),
                    _ => {
                        return Err(bad(
                            "give both the access key id and the secret access key, or neither",
                        ));
                    }
                };
                Ok(RemoteSpec {
                    name,
                    url: SecretString::from(self.url.trim().to_string()),
                    credentials,
                })
            }
            RemoteUrl::Webdav { .. } => {
                let text = self.url.trim();
                if user.is_empty() {
                    if !secret.is_empty() {
                        return Err(bad("a password needs a user name"));
                    }
                    return Ok(RemoteSpec {
                        name,
                        url: SecretString::from(text.to_string()),
                        credentials: None,
                    });
                }
                let scheme_end = text.find("://").map(|i| i + 3).unwrap_or(0);
                if text[scheme_end..]
                    .split('/')
                    .next()
                    .is_some_and(|a| a.contains('@'))
                {
                    return Err(bad(
                        "the URL already holds a user name; give it in one place only",
                    ));
                }
                let mut u = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
                u.set_username(user)
                    .map_err(|()| bad("this URL cannot carry a user name"))?;
                if !secret.is_empty() {
                    u.set_password(Some(secret))
                        .map_err(|()| bad("this URL cannot carry a password"))?;
                }
                Ok(RemoteSpec {
                    name,
                    url: SecretString::from(u.to_string()),
                    credentials: None,
                })
            }
        }
    }
}

/// What a connection test found.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemoteCheck {
    pub kind: RemoteKind,
    /// The remote already holds this vault (otherwise it is empty and will receive it).
    pub holds_this_vault: bool,
    /// Requests the test made.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub requests: u64,
}

/// A way to open a second handle on an unlocked vault later, without holding the first one
/// (its keys are copied; they zeroize when this is dropped, as every `Keys` does).
pub struct Reopener {
    layout: Layout,
    config: Config,
    keys: Keys,
}

impl Reopener {
    /// Loads the second handle (from the snapshot and the log, as an unlock does, without the
    /// passphrase). Both handles then coordinate through the vault's file lock, as two
    /// processes on the same vault would.
    pub fn open(self) -> Result<Vault> {
        Vault::load(self.layout, self.config, self.keys)
    }
}

/// Tests a remote before it is saved for the vault `vault`: it must answer, accept the
/// credentials, take a write (a small probe file, deleted again), and hold this vault or none.
/// At most four requests. The errors say which of these failed (`remote_unreachable`,
/// `remote_denied`, `remote_mismatch`, `bad_remote_url`, `remote_failed`). Needs no unlocked
/// vault, so a client can run it without holding one.
pub fn check_remote(
    vault: &Id,
    url: &str,
    credentials: Option<&Credentials>,
) -> Result<RemoteCheck> {
    let kind = RemoteUrl::parse(url)?.kind();
    let remote = StoreRemote::open(url, credentials)?;
    let mismatch = |reason: String| Error::RemoteMismatch {
        remote: remote.describe(),
        reason,
    };
    let holds_this_vault = match remote.get("coffer.toml")? {
        None => false,
        Some(bytes) => {
            let text = String::from_utf8(bytes)
                .map_err(|_| mismatch("its coffer.toml is not text".into()))?;
            let cfg = Config::parse(&text, Path::new("remote"))
                .map_err(|e| mismatch(format!("its coffer.toml is unreadable: {e}")))?;
            if cfg.vault != *vault {
                return Err(mismatch(format!(
                    "it holds another vault ({}); use an empty place for this one",
                    cfg.vault
                )));
            }
            true
        }
    };
    let probe = format!("coffer-connection-test-{}", Id::random());
    remote.put(
        &probe,
        b"Coffer checks that it may write here; this file is deleted.\n",
    )?;
    remote.delete(&probe)?;
    Ok(RemoteCheck {
        kind,
        holds_this_vault,
        requests: remote.requests(),
    })
}

impl Vault {
    /// Tests a remote for this vault (see [`check_remote`]).
    pub fn check_remote(
        &self,
        url: &str,
        credentials: Option<&Credentials>,
    ) -> Result<RemoteCheck> {
        check_remote(&self.config.vault, url, credentials)
    }

    /// Adds a remote as a person entered it, after a connection test (nothing is saved if the
    /// test fails).
    pub fn add_checked_remote(&mut self, new: &NewRemote) -> Result<super::RemoteInfo> {
        let spec = new.spec()?;
        if self.remotes()?.iter().any(|r| r.name == spec.name) {
            return Err(Error::RemoteExists(spec.name));
        }
        self.check_remote(spec.url.expose_secret(), spec.credentials.as_ref())?;
        self.add_remote(&spec.name, spec.url.expose_secret(), spec.credentials)
    }

    /// Copies what a second handle on this vault needs, for [`Reopener::open`].
    pub fn reopener(&self) -> Result<Reopener> {
        let text = self.keys.to_identity_file(&self.config.vault);
        let keys = Keys::from_identity_file(text.expose_secret(), &self.config.vault)?;
        Ok(Reopener {
            layout: self.layout.clone(),
            config: self.config.clone(),
            keys,
        })
    }

    /// For each alarm, the notes it concerns where this vault knows them: an alarm about an
    /// object that is a revision (or attachment) of a note here names that note. Alarms about
    /// logs, or about objects of changes that never arrived, name none.
    pub fn alarm_notes(&self, alarms: &[Alarm]) -> Vec<Vec<NoteRef>> {
        let mut owner: HashMap<Id, Id> = HashMap::new();
        for (note, n) in &self.state.notes {
            for (rev, meta) in &n.revisions {
                owner.insert(*rev, *note);
                for a in &meta.attachments {
                    owner.insert(*a, *note);
                }
            }
        }
        alarms
            .iter()
            .map(|a| {
                let id = a
                    .key
                    .rsplit('/')
                    .next()
                    .and_then(|f| f.strip_suffix(".age"))
                    .and_then(|s| s.parse::<Id>().ok())
                    .filter(|id| a.key == object_key(id));
                id.and_then(|id| owner.get(&id))
                    .and_then(|note| {
                        self.state.notes.get(note).map(|n| NoteRef {
                            id: *note,
                            title: n.current().title.clone(),
                        })
                    })
                    .into_iter()
                    .collect()
            })
            .collect()
    }
}

