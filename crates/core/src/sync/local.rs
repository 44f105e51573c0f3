//! What sync keeps on this device, in `local/` (never synced), encrypted to the vault key
//! because it names remotes, devices and credentials:
//! - `local/remotes.age`: the remotes (name, URL, S3 credentials);
//! - `local/sync.age`: per remote, what was pushed and seen (high-water marks), the last sync
//!   time, and the alarms raised so far.

use crate::crypto;
use crate::fsutil::write_atomic;
use crate::note::Millis;
use crate::sync::Alarm;
use crate::vault::Vault;
use crate::{Error, Id, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const LOCAL_FORMAT: u32 = 1;
/// Alarms kept at most (the oldest are dropped first).
const MAX_ALARMS: usize = 1000;

/// One configured remote, as stored (the secret is zeroed when dropped).
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct StoredRemote {
    pub name: String,
    pub url: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Remotes stored before purposes existed were all sync remotes.
    #[serde(default)]
    #[zeroize(skip)]
    pub purpose: super::RemotePurpose,
}

#[derive(Default, Serialize, Deserialize)]
pub(crate) struct RemotesFile {
    pub format: u32,
    pub remotes: Vec<StoredRemote>,
}

/// The sync marks of one remote.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct Marks {
    /// The URL these marks were made with: marks of another URL do not apply.
    pub url: String,
    /// The highest entry of this device's log uploaded and read back.
    pub pushed: u64,
    /// Per other device: the highest entry taken from this remote and its hash.
    pub seen: BTreeMap<Id, (u64, String)>,
    pub last_sync: Option<Millis>,
    /// SHA-256 of this device's identity.age when it last synced here: if it changed
    /// (`coffer passwd`), the remote's copy (the one clone uses) is replaced.
    #[serde(default)]
    pub identity: Option<String>,
    /// SHA-256 and statement time of the remote's identity.age as last seen and trusted
    /// (crate::sync::identity).
    #[serde(default)]
    pub remote_identity: Option<(String, Millis)>,
    /// Fingerprint of the signing key these marks were made with: another one means the keys
    /// were rotated since, and the remote holds the vault under the old keys.
    #[serde(default)]
    pub keys: Option<String>,
    /// When the remote was last audited (every object listed, dropped ones uploaded again).
    #[serde(default)]
    pub last_audit: Option<Millis>,
}

#[derive(Default, Serialize, Deserialize)]
pub(crate) struct SyncFile {
    pub format: u32,
    pub remotes: BTreeMap<String, Marks>,
    pub alarms: Vec<Alarm>,
    /// News of the user's devices (joined, removed): not alarms, kept the same way.
    #[serde(default)]
    pub news: Vec<Alarm>,
}

impl SyncFile {
    /// Adds alarms, replacing an older one about the same thing (kind, remote, key).
    /// Linear in the alarms kept and added: only the newest [`MAX_ALARMS`] of `new` count.
    pub fn add_alarms(&mut self, new: &[Alarm]) {
        merge_newest(&mut self.alarms, new);
    }

    /// Adds news of devices, as [`Self::add_alarms`] does alarms.
    pub fn add_news(&mut self, new: &[Alarm]) {
        merge_newest(&mut self.news, new);
    }
}

/// Adds `new` to `kept`, replacing an older one about the same thing (kind, remote, key);
/// keeps the newest [`MAX_ALARMS`].
fn merge_newest(kept: &mut Vec<Alarm>, new: &[Alarm]) {
    let new = &new[new.len().saturating_sub(MAX_ALARMS)..];
    let about = |a: &Alarm| (a.kind, a.remote.clone(), a.key.clone());
    // The newest alarm about each thing wins, also among the new ones.
    let mut seen = std::collections::HashSet::new();
    let mut fresh: Vec<Alarm> = new
        .iter()
        .rev()
        .filter(|a| seen.insert(about(a)))
        .cloned()
        .collect();
    fresh.reverse();
    kept.retain(|o| !seen.contains(&about(o)));
    kept.extend(fresh);
    if kept.len() > MAX_ALARMS {
        let extra = kept.len() - MAX_ALARMS;
        kept.drain(..extra);
    }
}

fn remotes_path(v: &Vault) -> PathBuf {
    v.store.layout.local().join("remotes.age")
}

fn sync_path(v: &Vault) -> PathBuf {
    v.store.layout.local().join("sync.age")
}

fn read_encrypted<T: for<'de> Deserialize<'de> + Default>(v: &Vault, path: &PathBuf) -> Result<T> {
    let ct = match crate::limits::read_file(path, crate::limits::LOCAL_FILE) {
        Ok(ct) => ct,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(T::default()),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
    };
    let plain = crypto::decrypt(&[v.store.keys.vault_identity()], &ct).map_err(|e| {
        Error::DamagedLocalFile {
            path: path.to_path_buf(),
            reason: format!("cannot be decrypted: {e}"),
        }
    })?;
    serde_json::from_slice(&plain).map_err(|e| Error::DamagedLocalFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn write_encrypted<T: Serialize>(v: &Vault, path: &Path, value: &T) -> Result<()> {
    let plain = Zeroizing::new(serde_json::to_vec(value).expect("local sync files serialize"));
    let ct = crypto::encrypt(&[&v.store.keys.vault_recipient()], &plain)?;
    write_atomic(path, &ct)
}

pub(crate) fn read_remotes(v: &Vault) -> Result<RemotesFile> {
    read_encrypted(v, &remotes_path(v))
}

pub(crate) fn write_remotes(v: &Vault, f: &RemotesFile) -> Result<()> {
    write_encrypted(
        v,
        &remotes_path(v),
        &RemotesFile {
            format: LOCAL_FORMAT,
            remotes: f.remotes.clone(),
        },
    )
}

pub(crate) fn read_sync(v: &Vault) -> Result<SyncFile> {
    read_encrypted(v, &sync_path(v))
}

pub(crate) fn write_sync(v: &Vault, f: &mut SyncFile) -> Result<()> {
    f.format = LOCAL_FORMAT;
    write_encrypted(v, &sync_path(v), f)
}

/// Re-encrypts `local/remotes.age` and `local/sync.age` to new keys (key rotation). Each may
/// already be under the new keys (a rotation resumed after a crash). The marks kept inside
/// still name the old keys, so a later sync knows the remotes hold the vault under them.
pub(crate) fn rekey(v: &Vault, new_keys: &crate::keys::Keys) -> Result<()> {
    for path in [remotes_path(v), sync_path(v)] {
        let ct = match crate::limits::read_file(&path, crate::limits::LOCAL_FILE) {
            Ok(ct) => ct,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
        };
        if crypto::decrypt(&[new_keys.vault_identity()], &ct).is_ok() {
            continue;
        }
        let plain = crypto::decrypt(&[v.store.keys.vault_identity()], &ct).map_err(|e| {
            Error::DamagedLocalFile {
                path: path.to_path_buf(),
                reason: format!("cannot be decrypted: {e}"),
            }
        })?;
        let ct = crypto::encrypt(&[&new_keys.vault_recipient()], &plain)?;
        write_atomic(&path, &ct)?;
    }
    Ok(())
}
