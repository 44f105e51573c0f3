//! A device restored from a backup goes on under a new device id.
//!
//! A restored vault folder's log can end before what the remotes (and other devices) hold for
//! this device (`log_rolled_back`), or go on past it with other entries (a fork, which a push
//! refuses to overwrite). Either way its sequence numbers are spent. [`Vault::continue_as_new_device`]
//! gives the folder a new device id: one signed entry of the new device names every object the
//! old log on this disk named (so nothing only this copy held is lost), the old log moves to
//! `local/restored/<old id>/` (kept, not deleted), and the next sync takes the old device's
//! whole log from the remote as it is there, like any other device's.

use super::local;
use crate::log::{LogEntry, ObjectRef, Purge};
use crate::note::now_millis;
use crate::secrecy::SecretString;
use crate::vault::LockedVault;
use crate::{Error, Id, Result, Vault, crypto, fsutil};
use serde::Serialize;
use std::collections::HashSet;
use std::fs;
use std::path::Path;

/// What [`Vault::continue_as_new_device`] did.
#[derive(Clone, Debug, Serialize)]
pub struct ContinuedDevice {
    /// The id this folder had.
    pub old: Id,
    /// The id it goes on under.
    pub new: Id,
    /// Objects the old log on this disk named, carried over into the new device's first entry.
    pub carried: usize,
    /// Where the old log was moved.
    pub kept_at: String,
}

impl Vault {
    /// Gives the vault at `dir` a new device id, carrying over everything its log on this disk
    /// named (see the module docs). Returns the vault, open under the new id.
    pub fn continue_as_new_device(
        dir: &Path,
        passphrase: &SecretString,
    ) -> Result<(Vault, ContinuedDevice)> {
        let mut v = LockedVault::open(dir)?.unlock(passphrase)?;
        // Saves still in the journal become files first where they can (a rolled-back
        // device refuses them; they are then in the journal only, and replayed later).
        let _ = v.checkpoint();
        let old = v.device;
        let (objects, purged) = v.own_log_on_disk()?;
        let new = Id::random();
        let entry = LogEntry {
            format: crate::log::LOG_FORMAT,
            vault: v.config.vault,
            device: new,
            seq: 1,
            prev: None,
            time: now_millis(),
            objects,
            purged,
        };
        let carried = entry.objects.len();
        let (plain, _) = entry.seal(&v.keys);
        let ct = crypto::encrypt(&[&v.keys.vault_recipient()], &plain)?;
        let layout = v.layout.clone();
        fsutil::create_dirs(&layout.log_dir(&new))
            .map_err(Error::io("creating the new device's log folder"))?;
        fsutil::write_atomic(&layout.log_entry(&new, 1), &ct)?;
        // The old log is kept aside, never deleted.
        let kept = layout.local().join("restored").join(old.to_string());
        fsutil::create_dirs(kept.parent().expect("has a parent"))
            .map_err(Error::io("creating local/restored"))?;
        if layout.log_dir(&old).exists() {
            fs::rename(layout.log_dir(&old), &kept).map_err(Error::io(format!(
                "moving the old log to {}",
                kept.display()
            )))?;
        }
        fsutil::write_atomic(&layout.device(), format!("{new}\n").as_bytes())?;
        // The caches described the old id's log.
        for cache in [layout.snapshot(), layout.local().join("bodies.age")] {
            match fs::remove_file(&cache) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(format!("removing {}", cache.display()))(e)),
            }
        }
        drop(v);
        let mut v = LockedVault::open(dir)?.unlock(passphrase)?;
        // What was pushed counted the old id's entries; the new device has pushed nothing.
        let mut sync = local::read_sync(&v)?;
        for marks in sync.remotes.values_mut() {
            marks.pushed = 0;
        }
        local::write_sync(&v, &mut sync)?;
        v.save_snapshot()?;
        Ok((
            v,
            ContinuedDevice {
                old,
                new,
                carried,
                kept_at: kept.display().to_string(),
            },
        ))
    }

    /// Every object and purge this device's log on disk names, in order, each once, up to the
    /// first gap.
    fn own_log_on_disk(&self) -> Result<(Vec<ObjectRef>, Vec<Purge>)> {
        let (mut objects, mut purged) = (Vec::new(), Vec::new());
        let mut seen = HashSet::new();
        let mut prev: Option<String> = None;
        for seq in 1.. {
            let path = self.layout.log_entry(&self.device, seq);
            let ct = match crate::limits::read_file(&path, crate::limits::LOG_ENTRY) {
                Ok(ct) => ct,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
            };
            let (entry, hash) = self.open_entry(&self.device, seq, &ct, prev.as_deref())?;
            for o in entry.objects {
                if seen.insert(o.id) {
                    objects.push(o);
                }
            }
            purged.extend(entry.purged);
            prev = Some(hash);
        }
        Ok((objects, purged))
    }
}
