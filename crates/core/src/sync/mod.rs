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
mod local;
mod merge;
pub mod remote;

use crate::config::Config;
use crate::crypto;
use crate::fsutil::write_atomic;
use crate::keys::Keys;
use crate::log::{LogEntry, entry_file_name};
use crate::note::{Millis, now_millis};
use crate::vault::{LockedVault, Vault};
use crate::{Error, Id, Progress, ProgressFn, Result};
use age::secrecy::{ExposeSecret, SecretString};
use local::{Marks, StoredRemote};
pub use app::{NewRemote, RemoteCheck, RemoteSpec, Reopener, check_remote};
pub use remote::{Credentials, Remote, RemoteKind, RemoteUrl, StoreRemote};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

/// What a remote did wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A local file is in the way of one the remote offers (nothing was overwritten).
    LocalConflict,
}

/// One thing a remote did wrong, kept in `local/sync.age` and shown by `coffer sync` and
/// `coffer verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Alarm {
    pub kind: AlarmKind,
    /// The remote's name.
    pub remote: String,
    /// The key (path) on the remote concerned.
    pub key: String,
    pub message: String,
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
    pub remote: String,
    /// Log entries of other devices taken from the remote.
    pub pulled_entries: usize,
    pub pulled_objects: usize,
    /// Entries and objects of this device uploaded.
    pub pushed_entries: usize,
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
}

/// A configured remote, for listing (no credentials).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemoteInfo {
    pub name: String,
    /// The URL with any password hidden.
    pub url: String,
    pub kind: RemoteKind,
    /// S3 credentials are stored (encrypted) for it.
    pub has_credentials: bool,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_sync: Option<Millis>,
}

/// A device that has written to this vault.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceInfo {
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
}

/// The name clone gives the remote it cloned from.
pub const ORIGIN: &str = "origin";

fn object_key(id: &Id) -> String {
    format!("objects/{}/{id}.age", id.shard())
}

fn entry_key(device: &Id, seq: u64) -> String {
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
}

/// Decrypts a log entry and checks its signature and place (vault, device, seq), not its chain.
fn open_signed(
    keys: &Keys,
    config: &Config,
    device: &Id,
    seq: u64,
    ct: &[u8],
) -> std::result::Result<(LogEntry, String), String> {
    let plain = crypto::decrypt(&[keys.vault_identity()], ct)
        .map_err(|e| format!("it cannot be decrypted with the vault key: {e}"))?;
    LogEntry::open(&plain, &keys.verifying_key(), &config.vault, device, seq)
        .map_err(|e| e.to_string())
}

/// Decrypts and checks a log entry (signature, vault, device, seq), then its chain.
fn check_entry(
    keys: &Keys,
    config: &Config,
    device: &Id,
    seq: u64,
    ct: &[u8],
    prev: Option<&str>,
) -> std::result::Result<(LogEntry, String), EntryFault> {
    let (entry, hash) = open_signed(keys, config, device, seq, ct).map_err(EntryFault::Forged)?;
    if entry.prev.as_deref() != prev {
        return Err(EntryFault::Fork);
    }
    Ok((entry, hash))
}

/// A new entry taken from the remote, checked, with what must be fetched for it.
struct Incoming {
    device: Id,
    seq: u64,
    ct: Vec<u8>,
    entry: LogEntry,
    hash: String,
}

impl Vault {
    // ----- remotes -----

    /// Adds a remote. S3 credentials given (or, if none, found in the environment) are stored
    /// encrypted to the vault key in `local/remotes.age`. The URL is checked, not contacted.
    pub fn add_remote(
        &mut self,
        name: &str,
        url: &str,
        credentials: Option<Credentials>,
    ) -> Result<RemoteInfo> {
        valid_remote_name(name)?;
        let parsed = RemoteUrl::parse(url)?;
        let url = match &parsed {
            // A relative folder path would mean something else from another directory.
            RemoteUrl::Folder(p) if p.is_relative() => std::path::absolute(p)
                .map_err(Error::io("resolving the remote folder"))?
                .display()
                .to_string(),
            _ => url.trim().to_string(),
        };
        let creds = match parsed.kind() {
            RemoteKind::S3 => credentials.or_else(Credentials::from_env),
            _ => None,
        };
        let _lock = self.lock_file()?;
        let mut file = local::read_remotes(self)?;
        if file.remotes.iter().any(|r| r.name == name) {
            return Err(Error::RemoteExists(name.to_string()));
        }
        file.remotes.push(StoredRemote {
            name: name.to_string(),
            url: url.clone(),
            access_key_id: creds.as_ref().map(|c| c.access_key_id.clone()),
            secret_access_key: creds
                .as_ref()
                .map(|c| c.secret_access_key.expose_secret().to_string()),
        });
        local::write_remotes(self, &file)?;
        Ok(RemoteInfo {
            name: name.to_string(),
            url: remote::redact(&url),
            kind: parsed.kind(),
            has_credentials: creds.is_some(),
            last_sync: None,
        })
    }

    /// The configured remotes.
    pub fn remotes(&self) -> Result<Vec<RemoteInfo>> {
        let file = local::read_remotes(self)?;
        let sync = local::read_sync(self)?;
        Ok(file
            .remotes
            .iter()
            .map(|r| RemoteInfo {
                name: r.name.clone(),
                url: remote::redact(&r.url),
                kind: RemoteUrl::parse(&r.url)
                    .map(|u| u.kind())
                    .unwrap_or(RemoteKind::Folder),
                has_credentials: r.secret_access_key.is_some(),
                last_sync: sync
                    .remotes
                    .get(&r.name)
                    .filter(|m| m.url == r.url)
                    .and_then(|m| m.last_sync),
            })
            .collect())
    }

    /// Forgets a remote (and its credentials). Nothing on the remote is touched.
    pub fn remove_remote(&mut self, name: &str) -> Result<()> {
        let _lock = self.lock_file()?;
        let mut file = local::read_remotes(self)?;
        let before = file.remotes.len();
        file.remotes.retain(|r| r.name != name);
        if file.remotes.len() == before {
            return Err(Error::NoSuchRemote(name.to_string()));
        }
        local::write_remotes(self, &file)?;
        let mut sync = local::read_sync(self)?;
        if sync.remotes.remove(name).is_some() {
            local::write_sync(self, &mut sync)?;
        }
        Ok(())
    }

    /// Opens a configured remote (no request is made yet).
    pub fn open_remote(&self, name: &str) -> Result<StoreRemote> {
        let file = local::read_remotes(self)?;
        let r = file
            .remotes
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| Error::NoSuchRemote(name.to_string()))?;
        let creds = match (&r.access_key_id, &r.secret_access_key) {
            (Some(id), Some(secret)) => Some(Credentials {
                access_key_id: id.clone(),
                secret_access_key: SecretString::from(secret.clone()),
            }),
            _ => None,
        };
        StoreRemote::open(&r.url, creds.as_ref())
    }

    fn remote_url(&self, name: &str) -> Result<String> {
        local::read_remotes(self)?
            .remotes
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.url.clone())
            .ok_or_else(|| Error::NoSuchRemote(name.to_string()))
    }

    /// Syncs with the named remote, or with the only one configured.
    pub fn sync(
        &mut self,
        name: Option<&str>,
        opts: &SyncOptions,
        progress: ProgressFn<'_>,
    ) -> Result<SyncReport> {
        let name = match name {
            Some(n) => n.to_string(),
            None => {
                let all = local::read_remotes(self)?.remotes;
                match all.as_slice() {
                    [one] => one.name.clone(),
                    [] => {
                        return Err(Error::Invalid(
                            "no remote is configured; add one with `coffer remote add NAME URL`"
                                .into(),
                        ));
                    }
                    _ => {
                        return Err(Error::Invalid(format!(
                            "several remotes are configured ({}); name the one to sync with",
                            all.iter()
                                .map(|r| r.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
            }
        };
        let remote = self.open_remote(&name)?;
        self.sync_with(&remote, &name, opts, progress)
    }

    /// Every alarm raised by sync so far (oldest first).
    pub fn sync_alarms(&self) -> Result<Vec<Alarm>> {
        Ok(local::read_sync(self)?.alarms)
    }

    /// Devices that have written to this vault, with their last change and (for this device)
    /// the last sync.
    pub fn device_list(&self) -> Result<Vec<DeviceInfo>> {
        let sync = local::read_sync(self)?;
        let last_sync = sync.remotes.values().filter_map(|m| m.last_sync).max();
        let mut out = Vec::new();
        let mut ids: Vec<Id> = self.state.heads.keys().copied().collect();
        if !ids.contains(&self.device) {
            ids.push(self.device);
        }
        for id in ids {
            let (seq, _) = self
                .state
                .heads
                .get(&id)
                .cloned()
                .unwrap_or((0, String::new()));
            let last_change = (seq > 0)
                .then(|| fs::read(self.layout.log_entry(&id, seq)).ok())
                .flatten()
                .and_then(|ct| crypto::decrypt(&[self.keys.vault_identity()], &ct).ok())
                .and_then(|p| {
                    LogEntry::open(&p, &self.keys.verifying_key(), &self.config.vault, &id, seq)
                        .ok()
                })
                .map(|(e, _)| e.time);
            out.push(DeviceInfo {
                id,
                this_device: id == self.device,
                entries: seq,
                last_change,
                last_sync: if id == self.device { last_sync } else { None },
            });
        }
        out.sort_by(|a, b| {
            b.this_device
                .cmp(&a.this_device)
                .then(b.last_change.cmp(&a.last_change))
                .then(a.id.cmp(&b.id))
        });
        Ok(out)
    }

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
        let mut report = SyncReport {
            remote: name.to_string(),
            ..SyncReport::default()
        };
        let result = self.sync_steps(remote, name, opts, &mut marks, &mut report, progress);
        if result.is_ok() {
            marks.last_sync = Some(now_millis());
        }
        report.requests = remote.requests() - start;
        // Save what was done, even after a failure (a resumed sync starts from here).
        let _lock = self.lock_file()?;
        let mut file2 = local::read_sync(self).unwrap_or_default();
        file2.remotes.insert(name.to_string(), marks);
        file2.add_alarms(&report.alarms);
        local::write_sync(self, &mut file2)?;
        result.map(|()| report)
    }

    fn sync_steps(
        &mut self,
        remote: &dyn Remote,
        name: &str,
        opts: &SyncOptions,
        marks: &mut Marks,
        report: &mut SyncReport,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        self.check_remote_vault(remote)?;
        self.pull(remote, name, marks, report, progress)?;
        // Merging can take a few rounds when a note has more than two heads.
        for _ in 0..4 {
            let merged = self.merge_heads()?;
            report.merged += merged;
            if merged == 0 {
                break;
            }
        }
        report.conflicts = self
            .state
            .notes
            .values()
            .filter(|n| n.heads.len() > 1)
            .count();
        self.push(remote, name, marks, report, progress)?;
        if opts.audit {
            self.audit(remote, name, report)?;
        }
        Ok(())
    }

    /// The remote must hold this vault (its coffer.toml names our vault id), or be new: then
    /// coffer.toml and identity.age (passphrase-encrypted, for clone) are uploaded.
    fn check_remote_vault(&self, remote: &dyn Remote) -> Result<()> {
        match remote.get("coffer.toml")? {
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
                if cfg.vault != self.config.vault {
                    return Err(Error::RemoteMismatch {
                        remote: remote.describe(),
                        reason: format!(
                            "it holds vault {}, this is vault {}",
                            cfg.vault, self.config.vault
                        ),
                    });
                }
                Ok(())
            }
            None => {
                let identity =
                    fs::read(self.layout.identity()).map_err(Error::io("reading identity.age"))?;
                if remote.get("identity.age")?.is_none() {
                    remote.put("identity.age", &identity)?;
                }
                // coffer.toml last: a remote without it is not (yet) a vault.
                remote.put("coffer.toml", self.config.to_toml().as_bytes())
            }
        }
    }

    fn alarm(report: &mut SyncReport, name: &str, kind: AlarmKind, key: String, message: String) {
        report.alarms.push(Alarm {
            kind,
            remote: name.to_string(),
            key,
            message,
            time: now_millis(),
        });
    }

    fn pull(
        &mut self,
        remote: &dyn Remote,
        name: &str,
        marks: &mut Marks,
        report: &mut SyncReport,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        self.refresh()?;
        let listed = remote.list_dirs("log")?;
        let mut devices = Vec::new();
        for d in &listed {
            match d.parse::<Id>() {
                Ok(id) => devices.push(id),
                Err(_) => Self::alarm(
                    report,
                    name,
                    AlarmKind::UnnamedObject,
                    format!("log/{d}"),
                    "not a device log folder; ignored".into(),
                ),
            }
        }
        // Devices seen here before must still be there.
        for (d, (seq, _)) in &marks.seen {
            if !devices.contains(d) {
                Self::alarm(
                    report,
                    name,
                    AlarmKind::Rollback,
                    format!("log/{d}"),
                    format!(
                        "the log of device {d} is gone, though entry {seq} was seen here (rolled back or deleted); nothing local was changed"
                    ),
                );
            }
        }
        if marks.pushed > 0 && !devices.contains(&self.device) {
            Self::alarm(
                report,
                name,
                AlarmKind::Rollback,
                format!("log/{}", self.device),
                format!(
                    "this device's log is gone, though entry {} was uploaded (rolled back or deleted); it will be uploaded again",
                    marks.pushed
                ),
            );
            marks.pushed = 0;
        }
        // 1. New entries of every other device, checked.
        let mut incoming: Vec<Incoming> = Vec::new();
        for device in devices.iter().copied() {
            if device == self.device {
                self.check_own_log(remote, name, marks, report)?;
                continue;
            }
            self.fetch_entries(remote, name, device, marks, report, &mut incoming)?;
        }
        if incoming.is_empty() {
            return Ok(());
        }
        // 2. Objects, then entries, written locally in order; a device stops at its first
        //    entry whose objects cannot be had whole.
        let mut purged: HashSet<Id> = self.state.purged_objects.clone();
        for inc in &incoming {
            for p in &inc.entry.purged {
                purged.extend(p.objects.iter().copied());
            }
        }
        let total: u64 = incoming.iter().map(|i| i.entry.objects.len() as u64).sum();
        let mut done = 0u64;
        let mut blocked: HashSet<Id> = HashSet::new();
        let lock = self.lock_file()?;
        for inc in &incoming {
            if blocked.contains(&inc.device) {
                continue;
            }
            let mut whole = true;
            for obj in &inc.entry.objects {
                done += 1;
                if done.is_multiple_of(64) || done == total {
                    progress(&Progress {
                        stage: "downloading".into(),
                        done,
                        total,
                    });
                }
                if purged.contains(&obj.id) {
                    continue;
                }
                let path = self.layout.object(&obj.id);
                let key = object_key(&obj.id);
                match fs::read(&path) {
                    Ok(local) if crypto::sha256_hex(&local) == obj.sha256 => continue,
                    Ok(_) => {
                        Self::alarm(
                            report,
                            name,
                            AlarmKind::LocalConflict,
                            key,
                            format!(
                                "the local object {} differs from the one device {}'s entry {} names; the local file was kept and this entry is not applied",
                                obj.id, inc.device, inc.seq
                            ),
                        );
                        whole = false;
                        break;
                    }
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
                }
                let Some(ct) = remote.get(&key)? else {
                    Self::alarm(
                        report,
                        name,
                        AlarmKind::DroppedObject,
                        key,
                        format!(
                            "object {} named by entry {} of device {} is missing on the remote (dropped); that device's later changes wait until it is back",
                            obj.id, inc.seq, inc.device
                        ),
                    );
                    whole = false;
                    break;
                };
                if crypto::sha256_hex(&ct) != obj.sha256 {
                    Self::alarm(
                        report,
                        name,
                        AlarmKind::SwappedObject,
                        key,
                        format!(
                            "object {} differs from the one entry {} of device {} names (swapped or altered); it was not used",
                            obj.id, inc.seq, inc.device
                        ),
                    );
                    whole = false;
                    break;
                }
                write_atomic(&path, &ct)?;
                report.pulled_objects += 1;
            }
            if whole {
                let path = self.layout.log_entry(&inc.device, inc.seq);
                match fs::read(&path) {
                    Ok(local) if local == inc.ct => {}
                    Ok(_) => {
                        Self::alarm(
                            report,
                            name,
                            AlarmKind::LocalConflict,
                            entry_key(&inc.device, inc.seq),
                            "a different local file holds this log entry; it was kept".into(),
                        );
                        whole = false;
                    }
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        write_atomic(&path, &inc.ct)?;
                    }
                    Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
                }
            }
            if whole {
                marks.seen.insert(inc.device, (inc.seq, inc.hash.clone()));
                report.pulled_entries += 1;
            } else {
                blocked.insert(inc.device);
            }
        }
        self.refresh()?;
        drop(lock);
        Ok(())
    }

    /// Reads a device's entries from the last one seen here, checking that the seen one is
    /// still there unchanged (rollback, fork) and that each new one is signed and chained.
    fn fetch_entries(
        &self,
        remote: &dyn Remote,
        name: &str,
        device: Id,
        marks: &mut Marks,
        report: &mut SyncReport,
        incoming: &mut Vec<Incoming>,
    ) -> Result<()> {
        let (mut seq, mut prev) = match marks.seen.get(&device) {
            Some((s, h)) => (*s, Some(h.clone())),
            None => (0, None),
        };
        if seq > 0 {
            let key = entry_key(&device, seq);
            match remote.get(&key)? {
                None => {
                    Self::alarm(
                        report,
                        name,
                        AlarmKind::Rollback,
                        key,
                        format!(
                            "entry {seq} of device {device}, seen here before, is gone (rolled back); nothing local was changed"
                        ),
                    );
                    return Ok(());
                }
                Some(ct) => match open_signed(&self.keys, &self.config, &device, seq, &ct) {
                    Err(why) => {
                        Self::alarm(
                            report,
                            name,
                            AlarmKind::ForgedEntry,
                            key,
                            format!(
                                "entry {seq} of device {device}, seen here before, was altered: {why}"
                            ),
                        );
                        return Ok(());
                    }
                    Ok((_, hash)) if Some(&hash) != prev.as_ref() => {
                        Self::alarm(
                            report,
                            name,
                            AlarmKind::Fork,
                            key,
                            format!(
                                "entry {seq} of device {device} is not the one seen here before (a fork, or a rollback to another history); nothing local was changed"
                            ),
                        );
                        return Ok(());
                    }
                    Ok(_) => {}
                },
            }
        }
        let local = self.state.heads.get(&device).cloned();
        loop {
            seq += 1;
            let key = entry_key(&device, seq);
            let Some(ct) = remote.get(&key)? else {
                break;
            };
            match check_entry(&self.keys, &self.config, &device, seq, &ct, prev.as_deref()) {
                Ok((entry, hash)) => {
                    let have_locally = local.as_ref().is_some_and(|(s, _)| seq <= *s);
                    if have_locally {
                        // Known already (e.g. through another remote): must be the same entry.
                        let same = match fs::read(self.layout.log_entry(&device, seq)) {
                            Ok(l) => {
                                l == ct
                                    || open_signed(&self.keys, &self.config, &device, seq, &l)
                                        .is_ok_and(|(_, h)| h == hash)
                            }
                            Err(_) => false,
                        };
                        if !same {
                            Self::alarm(
                                report,
                                name,
                                AlarmKind::Fork,
                                key,
                                format!(
                                    "entry {seq} of device {device} differs from the one this vault holds (a fork); nothing local was changed"
                                ),
                            );
                            break;
                        }
                        marks.seen.insert(device, (seq, hash.clone()));
                    } else {
                        incoming.push(Incoming {
                            device,
                            seq,
                            ct,
                            entry,
                            hash: hash.clone(),
                        });
                    }
                    prev = Some(hash);
                }
                Err(EntryFault::Forged(why)) => {
                    Self::alarm(
                        report,
                        name,
                        AlarmKind::ForgedEntry,
                        key,
                        format!("entry {seq} of device {device} was rejected: {why}"),
                    );
                    break;
                }
                Err(EntryFault::Fork) => {
                    Self::alarm(
                        report,
                        name,
                        AlarmKind::Fork,
                        key,
                        format!(
                            "entry {seq} of device {device} is signed but does not follow entry {} (a fork); it and later ones were not used",
                            seq - 1
                        ),
                    );
                    break;
                }
            }
        }
        Ok(())
    }

    /// This device's last uploaded entry must still be on the remote, unchanged.
    fn check_own_log(
        &self,
        remote: &dyn Remote,
        name: &str,
        marks: &mut Marks,
        report: &mut SyncReport,
    ) -> Result<()> {
        if marks.pushed == 0 {
            return Ok(());
        }
        let key = entry_key(&self.device, marks.pushed);
        let local = fs::read(self.layout.log_entry(&self.device, marks.pushed))
            .map_err(Error::io("reading this device's log"))?;
        match remote.get(&key)? {
            Some(ct) if ct == local => {}
            Some(_) => {
                Self::alarm(
                    report,
                    name,
                    AlarmKind::Fork,
                    key,
                    format!(
                        "entry {} of this device on the remote is not the one uploaded (altered or forked); it will be uploaded again",
                        marks.pushed
                    ),
                );
                marks.pushed = 0;
            }
            None => {
                Self::alarm(
                    report,
                    name,
                    AlarmKind::Rollback,
                    key,
                    format!(
                        "entry {} of this device, uploaded before, is gone (rolled back); it will be uploaded again",
                        marks.pushed
                    ),
                );
                marks.pushed = 0;
            }
        }
        Ok(())
    }

    fn push(
        &mut self,
        remote: &dyn Remote,
        name: &str,
        marks: &mut Marks,
        report: &mut SyncReport,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        self.refresh()?;
        let (local_seq, _) = self
            .state
            .heads
            .get(&self.device)
            .cloned()
            .unwrap_or((0, String::new()));
        if local_seq <= marks.pushed {
            return Ok(());
        }
        let mut last_ct = Vec::new();
        let total = local_seq - marks.pushed;
        for seq in marks.pushed + 1..=local_seq {
            progress(&Progress {
                stage: "uploading".into(),
                done: seq - marks.pushed - 1,
                total,
            });
            let path = self.layout.log_entry(&self.device, seq);
            let ct = fs::read(&path).map_err(Error::io(format!("reading {}", path.display())))?;
            let (entry, _) = open_signed(&self.keys, &self.config, &self.device, seq, &ct)
                .map_err(|_| Error::BadLog {
                    device: self.device.to_string(),
                    seq,
                    reason: "this device's own entry does not verify; not uploaded".into(),
                })?;
            for obj in &entry.objects {
                if self.state.purged_objects.contains(&obj.id) {
                    continue;
                }
                let opath = self.layout.object(&obj.id);
                let data = match fs::read(&opath) {
                    Ok(d) => d,
                    // Purged by a later entry of this device: nothing to upload.
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(Error::io(format!("reading {}", opath.display()))(e)),
                };
                remote.put(&object_key(&obj.id), &data)?;
                report.pushed_objects += 1;
            }
            remote.put(&entry_key(&self.device, seq), &ct)?;
            // Purged notes are destroyed on the remote too (the signed entry is the record).
            for p in &entry.purged {
                for id in &p.objects {
                    remote.delete(&object_key(id))?;
                }
            }
            report.pushed_entries += 1;
            last_ct = ct;
        }
        // Read-your-writes: the last entry must be there now.
        let key = entry_key(&self.device, local_seq);
        match remote.get(&key)? {
            Some(back) if back == last_ct => marks.pushed = local_seq,
            _ => {
                Self::alarm(
                    report,
                    name,
                    AlarmKind::LostWrite,
                    key,
                    format!(
                        "entry {local_seq} of this device was uploaded but is not there when read back; it will be uploaded again"
                    ),
                );
            }
        }
        Ok(())
    }

    /// Lists every object and log file on the remote and reports those no signed entry names.
    fn audit(&self, remote: &dyn Remote, name: &str, report: &mut SyncReport) -> Result<()> {
        let named = self.named_objects()?;
        for key in remote.list("objects")? {
            let id = key
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".age"))
                .and_then(|s| s.parse::<Id>().ok());
            let shard_ok = id.is_some_and(|id| key == object_key(&id));
            if !(shard_ok && id.is_some_and(|id| named.contains(&id))) {
                Self::alarm(
                    report,
                    name,
                    AlarmKind::UnnamedObject,
                    key,
                    "no signed log entry names this object; it was ignored (left by an interrupted upload, or put there by someone else)".into(),
                );
            }
        }
        Ok(())
    }

    /// Every object id the local log names (from the local log files, which sync checked).
    fn named_objects(&self) -> Result<HashSet<Id>> {
        let mut named = HashSet::new();
        for (device, (last, _)) in &self.state.heads {
            for seq in 1..=*last {
                let Ok(ct) = fs::read(self.layout.log_entry(device, seq)) else {
                    continue;
                };
                let Ok(plain) = crypto::decrypt(&[self.keys.vault_identity()], &ct) else {
                    continue;
                };
                if let Ok((e, _)) = LogEntry::open(
                    &plain,
                    &self.keys.verifying_key(),
                    &self.config.vault,
                    device,
                    seq,
                ) {
                    named.extend(e.objects.iter().map(|o| o.id));
                }
            }
        }
        Ok(named)
    }

    // ----- a new device -----

    /// Makes a full working vault in `dir` (absent or empty) from a remote, as a new device.
    /// The vault is usable as soon as coffer.toml is written; the rest comes by a sync with
    /// the remote, kept as `origin`: an interrupted clone is finished by `sync`.
    pub fn clone_from(
        url: &str,
        dir: &Path,
        passphrase: &SecretString,
        credentials: Option<Credentials>,
        progress: ProgressFn<'_>,
    ) -> Result<(Vault, SyncReport)> {
        if dir.join("coffer.toml").exists() {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        if let Ok(mut entries) = fs::read_dir(dir)
            && entries.next().is_some()
        {
            return Err(Error::FolderNotEmpty(dir.to_path_buf()));
        }
        let creds = credentials.or_else(Credentials::from_env);
        let remote = StoreRemote::open(url, creds.as_ref())?;
        let mismatch = |reason: &str| Error::RemoteMismatch {
            remote: remote.describe(),
            reason: reason.to_string(),
        };
        let toml = remote
            .get("coffer.toml")?
            .ok_or_else(|| mismatch("it holds no vault (no coffer.toml)"))?;
        let text = String::from_utf8(toml).map_err(|_| mismatch("its coffer.toml is not text"))?;
        let config = Config::parse(&text, dir)?;
        let identity = remote
            .get("identity.age")?
            .ok_or_else(|| mismatch("it holds no identity.age"))?;
        // Check the passphrase before writing anything.
        let plain = crypto::decrypt_with_passphrase(passphrase, &identity)?;
        let id_text = std::str::from_utf8(&plain)
            .map_err(|_| Error::BadIdentity("identity.age does not hold text".into()))?;
        Keys::from_identity_file(id_text, &config.vault)?;
        drop(plain);
        fs::create_dir_all(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
        for d in ["objects", "log", "local"] {
            fs::create_dir_all(dir.join(d))
                .map_err(Error::io(format!("creating {}", dir.display())))?;
        }
        write_atomic(&dir.join("identity.age"), &identity)?;
        write_atomic(&dir.join("coffer.toml"), config.to_toml().as_bytes())?;
        let mut vault = LockedVault::open(dir)?.unlock(passphrase)?;
        let stored_creds = match RemoteUrl::parse(url)?.kind() {
            RemoteKind::S3 => creds,
            _ => None,
        };
        vault.add_remote(ORIGIN, url, stored_creds)?;
        let report = vault.sync_with(&remote, ORIGIN, &SyncOptions::default(), progress)?;
        vault.save_snapshot()?;
        Ok((vault, report))
    }
}
