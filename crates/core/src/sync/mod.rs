//! Sync between a person's devices through a remote that is trusted with nothing: a folder, an
//! S3-compatible object store or a WebDAV server (docs/FORMAT.md, "Sync", is the protocol).
//!
//! The remote holds the same files as the vault. Each device writes only its own keys (its log
//! entries and the objects they name, all immutable), so no conditional writes are needed.
//! A sync pulls (every other device's new log entries, checked like local ones, and the objects
//! they name, checked against the SHA-256 the signed entry gives), merges concurrent edits,
//! then pushes this device's new entries and reads the last one back. Whatever the remote does
//! wrong becomes an [`Alarm`]; it never changes or deletes anything local.

mod app;
mod clone;
mod fetch;
mod identity;
mod local;
pub(crate) mod merge;
mod pairing;
mod pull;
mod push;
pub mod remote;
mod remotes;
mod restored;
pub use pairing::{CODE_PREFIX, DeviceAnswer, OpenedAnswer, PairingCode, PairingRequest};
pub use restored::ContinuedDevice;

use crate::config::Config;
use crate::crypto;
use crate::fsutil::write_atomic;
use crate::keys::Keys;
use crate::log::{LogEntry, entry_file_name};
use crate::note::{Millis, now_millis};
use crate::vault::{LockedVault, Vault};
use crate::{Error, Id, Progress, ProgressFn, Result};
use age::secrecy::{ExposeSecret, SecretString};
pub use app::{NewRemote, RemoteCheck, RemoteSpec, Reopener, check_remote, check_remote_for};
use local::{Marks, StoredRemote};
pub use remote::{
    Credentials, Remote, RemoteKind, RemoteUrl, StoreRemote, url_has_password,
    webdav_password_wanted, with_webdav_password,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

/// What a remote did wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// A file no signed log entry names (ignored).
    UnnamedObject,
    /// A log entry whose signature does not verify, or that cannot be decrypted.
    ForgedEntry,
    /// The remote shows an older state than it showed before (entries seen are gone).
    Rollback,
    /// Two different signed entries for the same place in a device's log.
    Fork,
    /// An object a signed entry names is missing.
    DroppedObject,
    /// An object differs from the one its signed entry names.
    SwappedObject,
    /// Our own upload was not there when read back.
    LostWrite,
    /// The remote's identity.age (the copy clone opens) is not the one this vault signed last.
    ReplacedIdentity,
    /// A local file is in the way of one the remote offers (nothing was overwritten).
    LocalConflict,
    /// News, not an alarm: a device joined the vault with the passphrase (announced on every
    /// other device, in [`SyncReport::news`]).
    NewDevice,
    /// News, not an alarm: a device was removed from the vault's roster (by whom, and since
    /// when).
    DeviceRemoved,
    /// A validly signed entry the roster refuses (its device was removed before it, or the
    /// roster does not hold its device); never applied.
    RefusedEntry,
    /// A file in this device's vault folder is missing, or its bytes differ from those its
    /// signed log entry names (found by the check after unlock, crate::scrub); `remote` is
    /// [`crate::scrub::THIS_DEVICE`].
    DamagedFile,
}

/// One thing a remote did wrong, kept in `local/sync.age` and shown by `coffer sync` and
/// `coffer verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Alarm {
    /// What went wrong.
    pub kind: AlarmKind,
    /// The remote's name.
    pub remote: String,
    /// The key (path) on the remote concerned.
    pub key: String,
    /// What went wrong, in words to show the user.
    pub message: String,
    /// When this device noticed it, in milliseconds since the Unix epoch, UTC.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time: Millis,
}

/// Options of one sync.
#[derive(Clone, Debug, Default)]
pub struct SyncOptions {
    /// Also list every object on the remote and report those no signed entry names. Costs
    /// requests in proportion to the vault's size; a normal sync never downloads such objects.
    pub audit: bool,
}

/// What one sync did.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncReport {
    /// The name of the remote synced with.
    pub remote: String,
    /// Log entries of other devices taken from the remote.
    pub pulled_entries: usize,
    /// Objects named by those entries (note revisions, attachments, contacts, messages)
    /// downloaded.
    pub pulled_objects: usize,
    /// Entries and objects of this device uploaded.
    pub pushed_entries: usize,
    /// Objects of this device uploaded: those its new entries name.
    pub pushed_objects: usize,
    /// Notes whose concurrent edits were merged automatically.
    pub merged: usize,
    /// Notes with concurrent edits that overlap: both versions kept, shown as a conflict.
    pub conflicts: usize,
    /// Requests made to the remote.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub requests: u64,
    /// What the remote did wrong during this sync (also kept for `coffer verify`).
    pub alarms: Vec<Alarm>,
    /// Alarms of this sync past the first [`MAX_REPORT_ALARMS`]: counted, not kept.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub more_alarms: u64,
    /// What this sync learned of the user's devices: a device that joined with the
    /// passphrase, a device removed (kinds `new_device` and `device_removed`). Not alarms
    /// (nothing went wrong with the remote), but never silent: the CLI prints them and the
    /// app shows them; `coffer devices` lists every device with its dates.
    pub news: Vec<Alarm>,
}

/// Alarms one sync reports at most.
pub const MAX_REPORT_ALARMS: usize = 1000;

/// What a remote is for. A person's own devices sync through a place only they can write; a
/// place shared with contacts holds message inboxes that anyone with access can write to, so
/// the vault's notes never go there and a sync remote never serves as a shared inbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RemotePurpose {
    /// This vault's devices sync through it (it holds the vault's ciphertext).
    #[default]
    Sync,
    /// Shared with contacts: it holds only their inboxes (see `messages::inbox`).
    Messages,
}

impl RemotePurpose {
    /// How the CLI and the app name it.
    pub fn label(self) -> &'static str {
        match self {
            RemotePurpose::Sync => "sync",
            RemotePurpose::Messages => "messages",
        }
    }
}

/// A configured remote, for listing (no credentials).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemoteInfo {
    /// The name the remote was added under, which commands take (a clone names its source
    /// `origin`).
    pub name: String,
    /// The URL with any password hidden.
    pub url: String,
    /// A folder, an S3 store or a WebDAV server, as the URL says.
    pub kind: RemoteKind,
    /// Whether it syncs this vault or holds message inboxes shared with contacts.
    pub purpose: RemotePurpose,
    /// S3 credentials are stored (encrypted) for it.
    pub has_credentials: bool,
    /// When this device last finished a sync with it at its current URL, in milliseconds since the
    /// Unix epoch, UTC; `None` if never.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_sync: Option<Millis>,
}

/// A device that has written to this vault.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceInfo {
    /// The device's id (its log is under `log/<id>/` on a remote).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    /// This is the device the vault is open on.
    pub this_device: bool,
    /// Its latest log entry known here.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub entries: u64,
    /// When it wrote that entry (its last change known here).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_change: Option<Millis>,
    /// For this device: its last sync with any remote.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_sync: Option<Millis>,
    /// Its name in the roster; `None` for a device that has not joined it (one that signs
    /// with the shared key of an older Coffer, or this device before its first change).
    pub name: Option<String>,
    /// How it joined: `"passphrase"`, `"paired"`, or `None` when it is not in the roster.
    pub joined_by: Option<String>,
    /// The name of the device that added it (paired devices only).
    pub added_by: Option<String>,
    /// When it joined the roster, in milliseconds since the Unix epoch (UTC).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub joined: Option<Millis>,
    /// Its removal from the roster, if it was removed.
    pub removed: Option<crate::DeviceRemoval>,
}

/// The name clone gives the remote it cloned from.
pub const ORIGIN: &str = "origin";

/// A sync audits the remote on its own when the last audit is older than this (a day).
const AUDIT_EVERY: Millis = 24 * 60 * 60 * 1000;

/// Re-encrypts sync's local files (remotes and marks) to new keys; for key rotation.
pub(crate) fn rekey_local_files(v: &Vault, new_keys: &Keys) -> Result<()> {
    local::rekey(v, new_keys)
}

/// An object's key on a remote (the same path as in the vault folder).
pub(crate) fn object_key(id: &Id) -> String {
    format!("objects/{}/{id}.age", id.shard())
}

/// A log entry's key on a remote (the same path as in the vault folder).
pub(crate) fn entry_key(device: &Id, seq: u64) -> String {
    format!("log/{device}/{}", entry_file_name(seq))
}

fn valid_remote_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "remote name {name:?}: use 1 to 64 letters, digits, '-', '_' or '.'"
        )))
    }
}

/// How a log entry from a remote failed its checks.
enum EntryFault {
    /// Not decryptable or not validly signed for this place.
    Forged(String),
    /// Validly signed, but does not follow the entry we know (`prev` differs).
    Fork,
    /// Written by a device the roster does not hold (yet: a roster event in another device's
    /// log may add it).
    Unknown(String),
    /// Not decryptable with the key generations known (yet: a `keys` event in another
    /// device's log may hand this device the one it is encrypted to).
    Sealed(String),
}

/// The roster and the key generations an entry is checked with (the vault's, or those a pull
/// has learned so far).
type Known<'a> = (
    &'a crate::roster::Roster,
    &'a crate::generations::Generations,
);

/// Decrypts a log entry and checks its signature (by the key `roster` names) and place
/// (vault, device, seq), not its chain.
fn open_signed(
    store: &crate::store::Store,
    (roster, gens): Known<'_>,
    device: &Id,
    seq: u64,
    ct: &[u8],
) -> std::result::Result<(LogEntry, String), EntryFault> {
    let ids = crate::store::read_identities(gens, &store.device_keys);
    let plain = crypto::decrypt(&ids, ct).map_err(|e| {
        EntryFault::Sealed(format!(
            "it cannot be decrypted with the vault key ({e}); if the keys were rotated on another device, set this device up again with `coffer clone` from that device's remote"
        ))
    })?;
    let u = LogEntry::read(&plain, &store.config.vault, device, seq)
        .map_err(|e| EntryFault::Forged(e.to_string()))?;
    let key = roster
        .signer(&u.entry, &store.keys.verifying_key())
        .map_err(EntryFault::Unknown)?;
    u.verify(&key)
        .map_err(|e| EntryFault::Forged(e.to_string()))
}

/// Decrypts and checks a log entry (signature, vault, device, seq), then its chain.
fn check_entry(
    store: &crate::store::Store,
    known: Known<'_>,
    device: &Id,
    seq: u64,
    ct: &[u8],
    prev: Option<&str>,
) -> std::result::Result<(LogEntry, String), EntryFault> {
    let (entry, hash) = open_signed(store, known, device, seq, ct)?;
    entry.check_follows(prev).map_err(|_| EntryFault::Fork)?;
    Ok((entry, hash))
}

/// A new entry taken from the remote, checked, with what must be fetched for it.
/// One sync with one remote under way: where it goes, what this vault remembers of that
/// remote (updated as the sync goes), and what the sync reports.
struct Run<'a> {
    remote: &'a dyn Remote,
    /// The remote's name, in alarms.
    name: &'a str,
    marks: Marks,
    report: SyncReport,
}

impl Run<'_> {
    /// Adds an alarm to the report (see [`Vault::alarm`]).
    fn alarm(&mut self, kind: AlarmKind, key: String, message: String) {
        Vault::alarm(&mut self.report, self.name, kind, key, message);
    }
}

struct Incoming {
    device: Id,
    seq: u64,
    ct: Vec<u8>,
    entry: LogEntry,
    hash: String,
}

impl Vault {
    // ----- the protocol -----

    /// Syncs with a remote: pull, merge, push, read back. `name` keys the marks and alarms
    /// kept for it. Marks are saved even when the sync fails half-way, so the next one
    /// resumes where this one stopped.
    pub fn sync_with(
        &mut self,
        remote: &dyn Remote,
        name: &str,
        opts: &SyncOptions,
        progress: ProgressFn<'_>,
    ) -> Result<SyncReport> {
        let start = remote.requests();
        let url = self.remote_url(name).unwrap_or_else(|_| remote.describe());
        let file = local::read_sync(self)?;
        let mut marks = file
            .remotes
            .get(name)
            .filter(|m| m.url == url)
            .cloned()
            .unwrap_or_else(|| Marks {
                url: url.clone(),
                ..Marks::default()
            });
        // Marks made under keys rotated away since are void; the remote holds the old keys'
        // vault (unless it is empty), which check_remote_vault refuses.
        let rotated = marks
            .keys
            .as_ref()
            .is_some_and(|k| *k != self.key_fingerprint());
        if rotated {
            marks = Marks {
                url: url.clone(),
                keys: marks.keys.clone(),
                ..Marks::default()
            };
        }
        let mut run = Run {
            remote,
            name,
            marks,
            report: SyncReport {
                remote: name.to_string(),
                ..SyncReport::default()
            },
        };
        let result = self.sync_steps(&mut run, opts, progress);
        let Run {
            mut marks,
            mut report,
            ..
        } = run;
        if result.is_ok() {
            marks.last_sync = Some(now_millis());
        }
        report.requests = remote.requests() - start;
        // Save what was done, even after a failure (a resumed sync starts from here).
        let _lock = self.lock_file()?;
        let mut file2 = local::read_sync(self).unwrap_or_default();
        file2.remotes.insert(name.to_string(), marks);
        file2.add_alarms(&report.alarms);
        file2.add_news(&report.news);
        local::write_sync(self, &mut file2)?;
        result.map(|()| report)
    }

    /// Saves one remote's marks now (in the middle of a long sync, so that even a killed
    /// process resumes from here). The caller must not hold the vault's lock.
    fn save_marks(&self, name: &str, marks: &Marks) -> Result<()> {
        let _lock = self.lock_file()?;
        self.save_marks_locked(name, marks)
    }

    /// [`Self::save_marks`] for a caller that holds the vault's lock.
    fn save_marks_locked(&self, name: &str, marks: &Marks) -> Result<()> {
        let mut file = local::read_sync(self)?;
        file.remotes.insert(name.to_string(), marks.clone());
        local::write_sync(self, &mut file)
    }

    /// A short fingerprint of the vault's signing key (marks remember which keys made them).
    fn key_fingerprint(&self) -> String {
        crypto::sha256_hex(self.store.keys.verifying_key().as_bytes())
    }

    fn sync_steps(
        &mut self,
        run: &mut Run<'_>,
        opts: &SyncOptions,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        // This device's entries are compared with the remote's as files: write out the
        // journal first (crate::journal).
        self.checkpoint()?;
        self.check_remote_vault(run)?;
        run.marks.keys = Some(self.key_fingerprint());
        self.pull(run, progress)?;
        if self.store.keys_needed.is_some() {
            // A removal learned in this pull: the new key generation goes out with this push,
            // not only with this device's next change.
            let lock = self.lock_file()?;
            self.refresh()?;
            let handed = self.hand_out_keys(&lock);
            drop(lock);
            handed?;
        }
        // Merging can take a few rounds when a note has more than two heads.
        for _ in 0..4 {
            let merged = self.merge_heads()?;
            run.report.merged += merged;
            if merged == 0 {
                break;
            }
        }
        run.report.conflicts = self
            .state
            .notes
            .values()
            .filter(|n| n.heads.len() > 1)
            .count();
        self.push(run, progress)?;
        // An audit lists the whole remote: on request, and on its own once a day.
        let now = now_millis();
        let due = run
            .marks
            .last_audit
            .is_some_and(|t| now.saturating_sub(t) > AUDIT_EVERY);
        if opts.audit || due {
            self.audit(run)?;
            run.marks.last_audit = Some(now);
        } else if run.marks.last_audit.is_none() {
            run.marks.last_audit = Some(now);
        }
        Ok(())
    }

    /// The remote must hold this vault (its coffer.toml names our vault id), or be new: then
    /// coffer.toml and identity.age (passphrase-encrypted, for clone) are uploaded.
    /// After `coffer passwd` on this device, its identity.age replaces the remote's copy.
    /// After `coffer rotate-keys`, a remote that holds the vault (under the old keys) is
    /// refused: the rotated vault goes to a new, empty remote.
    fn check_remote_vault(&self, run: &mut Run<'_>) -> Result<()> {
        let remote = run.remote;
        let identity =
            crate::limits::read_file(self.store.layout.identity(), crate::limits::IDENTITY)
                .map_err(Error::io("reading identity.age"))?;
        let identity_hash = crypto::sha256_hex(&identity);
        match remote.get("coffer.toml", crate::limits::CONFIG)? {
            Some(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| Error::RemoteMismatch {
                    remote: remote.describe(),
                    reason: "its coffer.toml is not text".into(),
                })?;
                let cfg = Config::parse(&text, Path::new("remote")).map_err(|e| {
                    Error::RemoteMismatch {
                        remote: remote.describe(),
                        reason: format!("its coffer.toml is unreadable: {e}"),
                    }
                })?;
                if cfg.vault != self.store.config.vault {
                    return Err(Error::RemoteMismatch {
                        remote: remote.describe(),
                        reason: format!(
                            "it holds vault {}, this is vault {}",
                            cfg.vault, self.store.config.vault
                        ),
                    });
                }
                if run
                    .marks
                    .keys
                    .as_ref()
                    .is_some_and(|k| *k != self.key_fingerprint())
                {
                    return Err(Error::RemoteMismatch {
                        remote: remote.describe(),
                        reason: "the keys were rotated on this device after its last sync with this remote, which still holds the vault under the old keys. Add a new, empty remote (`coffer remote add`) and sync with it, then set up the other devices again with `coffer clone` from it; this remote can then be emptied".into(),
                    });
                }
                // The passphrase was changed here since the last sync: the copy new devices
                // clone from must not open with the old one any more.
                if run
                    .marks
                    .identity
                    .as_ref()
                    .is_some_and(|h| *h != identity_hash)
                {
                    self.put_identity(remote, &identity, &mut run.marks)?;
                } else {
                    self.check_remote_identity(run, &identity)?;
                }
            }
            None => {
                if remote
                    .get(identity::IDENTITY_KEY, crate::limits::IDENTITY)?
                    .is_none()
                {
                    self.put_identity(remote, &identity, &mut run.marks)?;
                }
                // coffer.toml last: a remote without it is not (yet) a vault.
                remote.put("coffer.toml", self.store.config.to_toml().as_bytes())?;
            }
        }
        run.marks.identity = Some(identity_hash);
        Ok(())
    }

    /// Adds an alarm to the report; past [`MAX_REPORT_ALARMS`] (a remote with 100k planted
    /// names) they are only counted, in [`SyncReport::more_alarms`].
    fn alarm(report: &mut SyncReport, name: &str, kind: AlarmKind, key: String, message: String) {
        if report.alarms.len() >= MAX_REPORT_ALARMS {
            report.more_alarms += 1;
            return;
        }
        report.alarms.push(Alarm {
            kind,
            remote: name.to_string(),
            key,
            message,
            time: now_millis(),
        });
    }
}
