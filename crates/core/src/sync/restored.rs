//! A device restored from a backup goes on under a new device id.
//!
//! A restored vault folder's log can end before what the remotes (and other devices) hold for
//! this device (`log_rolled_back`), or go on past it with other entries (a fork, which a push
//! refuses to overwrite). Either way its sequence numbers are spent.
//! [`Vault::continue_as_new_device`] gives the folder a new device id: the new device's first
//! entries name every object (and purge) the old log on this disk named (so nothing only this
//! copy held is lost), the old log moves to `local/restored/` (kept, not deleted), and the next
//! sync takes the old device's whole log from the remote as it is there, like any other
//! device's.
//!
//! The steps run under the vault's lock and can be interrupted anywhere: a marker,
//! `local/restoring`, names the old id, the new one and where the old log goes, and the next
//! run takes up the steps from it.

use super::local;
use crate::log::{LogEntry, ObjectRef, Purge};
use crate::note::now_millis;
use crate::secrecy::SecretString;
use crate::vault::{Layout, LockedVault};
use crate::{Error, Id, Result, Vault, crypto, fsutil};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Objects named by one carried-over entry at most (an entry stays far below
/// [`crate::limits::LOG_ENTRY`]: about 150 bytes an object).
const CARRY_PER_ENTRY: usize = 20_000;

/// What [`Vault::continue_as_new_device`] did.
#[derive(Clone, Debug, Serialize)]
pub struct ContinuedDevice {
    /// The id this folder had.
    pub old: Id,
    /// The id it goes on under.
    pub new: Id,
    /// Objects the old log on this disk named, carried over into the new device's entries.
    pub carried: usize,
    /// Where the old log was moved.
    pub kept_at: String,
}

/// `local/restoring`: the steps under way.
#[derive(Serialize, Deserialize)]
struct Marker {
    old: Id,
    new: Id,
    kept: PathBuf,
}

fn marker_path(layout: &Layout) -> PathBuf {
    layout.local().join("restoring")
}

impl Vault {
    /// Gives the vault at `dir` a new device id, carrying over everything its log on this disk
    /// named (see the module docs); takes up an interrupted run. Returns the vault, open under
    /// the new id.
    pub fn continue_as_new_device(
        dir: &Path,
        passphrase: &SecretString,
    ) -> Result<(Vault, ContinuedDevice)> {
        let mut v = LockedVault::open(dir)?.unlock(passphrase)?;
        let layout = v.store.layout.clone();
        let marker = match crate::limits::read_file(marker_path(&layout), crate::limits::CONFIG) {
            Ok(bytes) => {
                serde_json::from_slice::<Marker>(&bytes).map_err(|e| Error::DamagedLocalFile {
                    path: marker_path(&layout),
                    reason: format!("{e}; remove it to start over"),
                })?
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                // Saves still in the journal become files of the old log first, so they are
                // carried over; if that cannot be done, nothing is changed.
                v.checkpoint()?;
                let old = v.store.device;
                let kept = layout
                    .local()
                    .join("restored")
                    .join(format!("{old}-{}", now_millis()));
                let m = Marker {
                    old,
                    new: Id::random(),
                    kept,
                };
                fsutil::write_atomic(
                    &marker_path(&layout),
                    &serde_json::to_vec(&m).expect("a marker serializes"),
                )?;
                m
            }
            Err(e) => return Err(Error::io("reading local/restoring")(e)),
        };
        let carried = {
            let _lock = v.lock_file()?;
            v.carry_over(&marker)?
        };
        drop(v);
        let mut v = LockedVault::open(dir)?.unlock(passphrase)?;
        // What was pushed counted the old id's entries; the new device has pushed nothing.
        let mut sync = local::read_sync(&v)?;
        for marks in sync.remotes.values_mut() {
            marks.pushed = 0;
        }
        local::write_sync(&v, &mut sync)?;
        v.save_snapshot()?;
        fs::remove_file(marker_path(&layout)).map_err(Error::io("removing local/restoring"))?;
        Ok((
            v,
            ContinuedDevice {
                old: marker.old,
                new: marker.new,
                carried,
                kept_at: marker.kept.display().to_string(),
            },
        ))
    }

    /// The steps after the marker, each safe to do again: the old log moved aside, the new
    /// device's entries written from it, the new id taken, the caches of the old one removed.
    fn carry_over(&self, m: &Marker) -> Result<usize> {
        let layout = &self.store.layout;
        let kept_parent = m.kept.parent().expect("has a parent");
        fsutil::create_dirs(kept_parent).map_err(Error::io("creating local/restored"))?;
        if layout.log_dir(&m.old).exists() {
            if m.kept.exists() {
                // The old log is still in place and a copy of it was kept already: which is
                // right is for the user to say.
                return Err(Error::FileExists(m.kept.clone()));
            }
            fs::rename(layout.log_dir(&m.old), &m.kept).map_err(Error::io(format!(
                "moving the old log to {}",
                m.kept.display()
            )))?;
            fsutil::sync_dir(&layout.logs())?;
            fsutil::sync_dir(kept_parent)?;
        }
        let (objects, purged) = self.log_in(&m.kept, &m.old)?;
        let carried = objects.len();
        let new_dir = layout.log_dir(&m.new);
        fsutil::create_dirs(&new_dir).map_err(Error::io("creating the new device's log folder"))?;
        let chunks: Vec<&[ObjectRef]> = if objects.is_empty() {
            vec![&[]]
        } else {
            objects.chunks(CARRY_PER_ENTRY).collect()
        };
        // The new id has keys of its own, and joins the roster with its first entry; the old
        // id's keys are kept among its former ones (what was sealed to them is still read,
        // and they vouch for the new id). A rerun finds them made already.
        let device_keys = match crate::store::read_device_keys(
            layout,
            &self.store.config,
            &self.store.keys,
            &m.new,
        )? {
            Some(k) => k,
            None => {
                let old = crate::store::read_device_keys(
                    layout,
                    &self.store.config,
                    &self.store.keys,
                    &m.old,
                )?;
                let k = match old {
                    Some(old) => crate::keys::DeviceKeys::succeeding(m.old, old),
                    None => crate::keys::DeviceKeys::generate(),
                };
                crate::store::write_device_keys(
                    layout,
                    &self.store.config,
                    &self.store.keys,
                    &m.new,
                    &k,
                )?;
                k
            }
        };
        let name = self
            .store
            .roster
            .member(&m.old)
            .map(|o| o.name.clone())
            .unwrap_or_else(crate::roster::default_device_name);
        // The old id's key vouches for the new one (joining with the passphrase may be closed
        // by a removal or a key rotation this copy has not seen), with a passphrase proof
        // beside it: the roster holds the old id through its log, which moves aside here, so
        // until a sync brings that log back, this copy's own roster takes the passphrase's.
        let voucher = device_keys.former(&m.old).filter(|old| {
            self.store
                .roster
                .member(&m.old)
                .is_some_and(|o| o.removed.is_none() && o.signing == old.verifying_key())
        });
        let join = match voucher {
            Some(old) => self
                .store
                .continue_event_for(&m.new, &m.old, &device_keys, &name, old),
            None => self.store.join_event_for(&m.new, &device_keys, &name),
        };
        let mut prev = None;
        for (i, chunk) in chunks.iter().enumerate() {
            let last = i + 1 == chunks.len();
            let entry = LogEntry {
                format: crate::log::LOG_FORMAT,
                vault: self.store.config.vault,
                device: m.new,
                seq: i as u64 + 1,
                prev: prev.take(),
                time: now_millis(),
                objects: chunk.to_vec(),
                purged: if last { purged.clone() } else { Vec::new() },
                roster: (i == 0).then(|| join.clone()),
            };
            let (plain, hash) = entry.seal(&device_keys);
            let ct = crypto::encrypt(&[&self.store.write_recipient()], &plain)?;
            fsutil::write_atomic(&layout.log_entry(&m.new, entry.seq), &ct)?;
            prev = Some(hash);
        }
        fsutil::write_atomic(&layout.device(), format!("{}\n", m.new).as_bytes())?;
        // The caches described the old id's log.
        for cache in [layout.snapshot(), layout.local().join("bodies.age")] {
            match fs::remove_file(&cache) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(format!("removing {}", cache.display()))(e)),
            }
        }
        Ok(carried)
    }

    /// Every object and purge the log of `device` in `folder` names, in order, each object
    /// once, up to the first gap.
    fn log_in(&self, folder: &Path, device: &Id) -> Result<(Vec<ObjectRef>, Vec<Purge>)> {
        let (mut objects, mut purged) = (Vec::new(), Vec::new());
        let mut seen = HashSet::new();
        let mut prev: Option<String> = None;
        for seq in 1.. {
            let path = folder.join(crate::log::entry_file_name(seq));
            let ct = match crate::limits::read_file(&path, crate::limits::LOG_ENTRY) {
                Ok(ct) => ct,
                Err(e) if e.kind() == ErrorKind::NotFound => break,
                Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
            };
            let (entry, hash) = self.store.open_entry(device, seq, &ct, prev.as_deref())?;
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
