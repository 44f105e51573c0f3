//! What an interactive client (the desktop app) needs from sync besides a sync: a connection
//! test before a remote is saved, a second handle on the vault so that a sync in the background
//! never holds up editing, and the notes an alarm concerns.

use super::RemotePurpose;
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
    /// The name to give the remote: 1 to 64 letters, digits, `-`, `_` or `.` (spaces around it are
    /// trimmed).
    pub name: String,
    /// A folder path, `s3://bucket/prefix?endpoint=…`, or `webdav+http(s)://host/path`.
    pub url: String,
    /// S3: the access key id; WebDAV: the user name. Empty for none.
    #[serde(default)]
    pub user: String,
    /// S3: the secret access key; WebDAV: the password. Empty for none.
    #[serde(default)]
    pub secret: String,
    /// Syncing this vault (the default), or shared with contacts for messages.
    #[serde(default)]
    pub purpose: RemotePurpose,
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
    /// The S3 access key pair, when one was given; `None` for a folder, for WebDAV, and for S3
    /// with the keys from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`).
    pub credentials: Option<Credentials>,
    /// Whether the remote syncs this vault or holds message inboxes shared with contacts.
    pub purpose: RemotePurpose,
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
                    purpose: self.purpose,
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
                    purpose: self.purpose,
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
                        purpose: self.purpose,
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
                    purpose: self.purpose,
                })
            }
        }
    }
}

/// What a connection test found.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemoteCheck {
    /// A folder, an S3 store or a WebDAV server, as the URL says.
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
    /// processes on the same vault would. It builds no search index unless it is searched.
    pub fn open(self) -> Result<Vault> {
        Vault::load(
            self.layout,
            self.config,
            self.keys,
            crate::vault::Opening::UseWithoutSearch,
        )
    }
}

/// Tests a remote before it is saved to sync the vault `vault` (see [`check_remote_for`]).
pub fn check_remote(
    vault: &Id,
    url: &str,
    credentials: Option<&Credentials>,
) -> Result<RemoteCheck> {
    check_remote_for(vault, url, credentials, RemotePurpose::Sync)
}

/// Tests a remote before it is saved for `purpose`: it must answer, accept the credentials,
/// take a write (a small probe file, deleted again), and hold what its purpose allows: a sync
/// remote holds this vault or nothing (no other vault, no contacts' inboxes); a remote shared
/// for messages holds no vault. At most five requests. The errors say which of these failed
/// (`remote_unreachable`, `remote_denied`, `remote_mismatch`, `bad_remote_url`,
/// `remote_failed`). Needs no unlocked vault, so a client can run it without holding one.
pub fn check_remote_for(
    vault: &Id,
    url: &str,
    credentials: Option<&Credentials>,
    purpose: RemotePurpose,
) -> Result<RemoteCheck> {
    let kind = RemoteUrl::parse(url)?.kind();
    let remote = StoreRemote::open(url, credentials)?;
    let mismatch = |reason: String| Error::RemoteMismatch {
        remote: remote.describe(),
        reason,
    };
    let holds_this_vault = match remote.get("coffer.toml", crate::limits::CONFIG)? {
        None => false,
        Some(_) if purpose == RemotePurpose::Messages => {
            return Err(mismatch(
                "it holds a Coffer vault, and a remote shared with contacts for messages must \
                 not: use a place of its own"
                    .into(),
            ));
        }
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
    if purpose == RemotePurpose::Sync && !holds_this_vault && !remote.list("inbox/")?.is_empty() {
        return Err(mismatch(
            "it holds message inboxes shared with contacts; sync through a place only you can \
             write"
                .into(),
        ));
    }
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
        check_remote(&self.store.config.vault, url, credentials)
    }

    /// Tests a remote for `purpose` (see [`check_remote_for`]).
    pub fn check_remote_for(
        &self,
        url: &str,
        credentials: Option<&Credentials>,
        purpose: RemotePurpose,
    ) -> Result<RemoteCheck> {
        check_remote_for(&self.store.config.vault, url, credentials, purpose)
    }

    /// Adds a remote as a person entered it, after a connection test (nothing is saved if the
    /// test fails).
    pub fn add_checked_remote(&mut self, new: &NewRemote) -> Result<super::RemoteInfo> {
        let spec = new.spec()?;
        if self.remotes()?.iter().any(|r| r.name == spec.name) {
            return Err(Error::RemoteExists(spec.name));
        }
        self.check_remote_for(
            spec.url.expose_secret(),
            spec.credentials.as_ref(),
            spec.purpose,
        )?;
        self.add_remote_for(
            &spec.name,
            spec.url.expose_secret(),
            spec.credentials,
            spec.purpose,
        )
    }

    /// Copies what a second handle on this vault needs, for [`Reopener::open`].
    pub fn reopener(&self) -> Result<Reopener> {
        let text = self.store.keys.to_identity_file(&self.store.config.vault);
        let keys = Keys::from_identity_file(text.expose_secret(), &self.store.config.vault)?;
        Ok(Reopener {
            layout: self.store.layout.clone(),
            config: self.store.config.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::SyncOptions;
    use crate::{InitOptions, NewNote};

    fn vault(dir: &Path) -> Vault {
        let pass = SecretString::from("test passphrase".to_string());
        Vault::init(dir, &pass, &InitOptions { work_factor: 4 }).expect("init")
    }

    fn new_remote(url: &str, user: &str, secret: &str) -> NewRemote {
        NewRemote {
            name: "home".into(),
            url: url.into(),
            user: user.into(),
            secret: secret.into(),
            purpose: RemotePurpose::Sync,
        }
    }

    /// A port on 127.0.0.1 where nothing listens.
    fn dead_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    }

    #[test]
    fn entered_remotes_are_checked_before_anything_is_contacted() {
        let code = |r: NewRemote| r.spec().err().map(|e| e.code());
        assert_eq!(code(new_remote("/tmp/x", "me", "")), Some("bad_remote_url"));
        assert_eq!(
            code(new_remote("s3://b/p", "key", "")),
            Some("bad_remote_url")
        );
        assert_eq!(
            code(new_remote("webdav+http://h/p", "", "pw")),
            Some("bad_remote_url")
        );
        assert_eq!(
            code(new_remote("webdav+http://a@h/p", "b", "pw")),
            Some("bad_remote_url")
        );
        assert_eq!(
            code(new_remote("ftp://h/p", "", "")),
            Some("bad_remote_url")
        );
        let mut bad_name = new_remote("/tmp/x", "", "");
        bad_name.name = "no spaces".into();
        assert_eq!(code(bad_name), Some("invalid_input"));
        let s3 = new_remote("s3://b/p?endpoint=http://127.0.0.1:9", "key", "secret")
            .spec()
            .expect("s3");
        assert!(s3.credentials.is_some());
        let dav = new_remote("webdav+https://h.example/notes", "me", "pw")
            .spec()
            .expect("dav");
        assert_eq!(
            dav.url.expose_secret(),
            "webdav+https://me:pw@h.example/notes"
        );
        assert!(dav.credentials.is_none());
        assert_eq!(
            super::super::remote::redact(dav.url.expose_secret()),
            "webdav+https://me:***@h.example/notes"
        );
    }

    #[test]
    fn a_connection_test_says_what_is_wrong() {
        let tmp = tempfile::tempdir().expect("tmp");
        let v = vault(&tmp.path().join("v"));
        // An empty folder: fine, and nothing is left behind.
        let folder = tmp.path().join("remote");
        let c = v
            .check_remote(folder.to_str().expect("utf-8"), None)
            .expect("folder");
        assert!(!c.holds_this_vault);
        assert_eq!(std::fs::read_dir(&folder).expect("folder").count(), 0);
        // Nothing listens: unreachable, not a generic failure.
        let url = format!("s3://b/p?endpoint=http://127.0.0.1:{}", dead_port());
        let creds = Credentials {
            access_key_id: "k".into(),
            secret_access_key: SecretString::from("s".to_string()),
        };
        let e = v
            .check_remote(&url, Some(&creds))
            .expect_err("nothing listens");
        assert_eq!(e.code(), "remote_unreachable", "{e}");
        // A remote of another vault is refused.
        let mut other = vault(&tmp.path().join("other"));
        let theirs = tmp.path().join("theirs");
        other
            .add_remote("r", theirs.to_str().expect("utf-8"), None)
            .expect("add");
        other
            .sync(Some("r"), &SyncOptions::default(), &mut |_| {})
            .expect("sync");
        let e = v
            .check_remote(theirs.to_str().expect("utf-8"), None)
            .expect_err("another vault");
        assert_eq!(e.code(), "remote_mismatch", "{e}");
        // add_checked_remote saves nothing when the test fails, and saves a good one.
        let mut v = v;
        let mut bad = new_remote(theirs.to_str().expect("utf-8"), "", "");
        bad.name = "theirs".into();
        assert!(v.add_checked_remote(&bad).is_err());
        assert!(v.remotes().expect("remotes").is_empty());
        let info = v
            .add_checked_remote(&new_remote(folder.to_str().expect("utf-8"), "", ""))
            .expect("add");
        assert_eq!(info.name, "home");
        let again = v.add_checked_remote(&new_remote(folder.to_str().expect("utf-8"), "", ""));
        assert_eq!(again.expect_err("twice").code(), "remote_exists");
        v.sync(Some("home"), &SyncOptions::default(), &mut |_| {})
            .expect("sync");
        assert!(
            v.check_remote(folder.to_str().expect("utf-8"), None)
                .expect("ours")
                .holds_this_vault
        );

        // A place shared for messages must not hold a vault (ours included) ...
        let e = v
            .check_remote_for(
                folder.to_str().expect("utf-8"),
                None,
                RemotePurpose::Messages,
            )
            .expect_err("a vault is there");
        assert_eq!(e.code(), "remote_mismatch", "{e}");
        assert!(e.to_string().contains("shared with contacts"), "{e}");
        // ... and a sync remote must not hold contacts' inboxes.
        let shared = tmp.path().join("shared");
        std::fs::create_dir_all(shared.join("inbox/ab")).expect("mkdir");
        std::fs::write(shared.join("inbox/ab/cd.age"), b"x").expect("write");
        let e = v
            .check_remote(shared.to_str().expect("utf-8"), None)
            .expect_err("inboxes are there");
        assert_eq!(e.code(), "remote_mismatch", "{e}");
        assert!(e.to_string().contains("inboxes"), "{e}");
        let mut team = new_remote(shared.to_str().expect("utf-8"), "", "");
        team.name = "team".into();
        team.purpose = RemotePurpose::Messages;
        let info = v.add_checked_remote(&team).expect("a messages remote");
        assert_eq!(info.purpose, RemotePurpose::Messages);
    }

    #[test]
    fn a_second_handle_syncs_while_the_first_edits() {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut first = vault(&tmp.path().join("v"));
        let id = first
            .create(NewNote {
                title: "Before".into(),
                body: "one".into(),
                ..Default::default()
            })
            .expect("create");
        // Opened from the snapshot, as after an unlock: the second handle builds no search
        // index in the background, yet searches (building one then) like the first.
        first.save_snapshot().expect("snapshot");
        let mut second = first.reopener().expect("reopener").open().expect("open");
        assert_eq!(second.device_id(), first.device_id());
        assert_eq!(second.note(&id).expect("seen").body, "one");
        assert_eq!(second.search("one", 5)[0].id, id);
        // The first handle edits; the second sees it after a refresh, and its own writes
        // reach the first the same way.
        first
            .update(
                &id,
                crate::NoteChange {
                    body: Some("two".into()),
                    ..Default::default()
                },
            )
            .expect("edit");
        second.refresh().expect("refresh");
        assert_eq!(second.note(&id).expect("note").body, "two");
        let other = second
            .create(NewNote {
                title: "From the second".into(),
                ..Default::default()
            })
            .expect("create");
        first.refresh().expect("refresh");
        assert_eq!(first.note(&other).expect("note").title, "From the second");
        // An alarm about one of this vault's objects names its note; others name none.
        let rev = first.note(&id).expect("note").revision;
        let alarms = [
            Alarm {
                kind: super::super::AlarmKind::SwappedObject,
                remote: "r".into(),
                key: object_key(&rev),
                message: String::new(),
                time: 0,
            },
            Alarm {
                kind: super::super::AlarmKind::Rollback,
                remote: "r".into(),
                key: format!("log/{}", first.device_id()),
                message: String::new(),
                time: 0,
            },
        ];
        let notes = first.alarm_notes(&alarms);
        assert_eq!(notes[0].len(), 1);
        assert_eq!(notes[0][0].id, id);
        assert!(notes[1].is_empty());
    }
}
