//! Committing a batch as files: its objects, then the log entry that names them (the commit
//! point), in an order that survives a crash at any instant.

use super::{Batch, Sealed, Store, WriteLock, place_objects};
use crate::log::{LogEntry, Purge};
use crate::{Error, Result, crypto, fsutil};
use sha2::Digest;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

impl Store {
    /// Writes `batch`'s objects and `entry` (which names them) durably, with two rounds of
    /// waiting for the disk, and returns the entry's hash:
    /// 1. every object is written at its final name (no log entry names it yet, so until the
    ///    commit point it is an ignored left-over, torn or not) and synced with its folder, on
    ///    other threads, while this one signs and encrypts the log entry, writes it to a temp
    ///    file and syncs that: one round of waiting, with the entry's work done meanwhile;
    /// 2. the entry is renamed into place and its folder synced: the commit point, reached
    ///    only after everything it names is durable.
    ///
    /// Purged objects are deleted after that, by [`Self::remove_purged`]. Also returns the
    /// SHA-256 of the entry's file (for the scrub).
    pub fn commit_files(
        &self,
        _lock: &WriteLock,
        entry: &LogEntry,
        batch: &Batch,
    ) -> Result<(String, [u8; 32])> {
        let log_path = self.layout.log_entry(&self.device, entry.seq);
        let log_dir = log_path
            .parent()
            .expect("log entries have a folder")
            .to_path_buf();

        // 1. Objects on their way to the disk while the entry is made.
        let ((placed, objects), entry_side) = std::thread::scope(|s| {
            let objects = s.spawn(|| place_objects(&self.layout, &batch.objects));
            let entry_side = (|| {
                let (plain, hash) = self.sign_entry(entry);
                let recipients = self.entry_recipients(entry);
                let ct = crypto::encrypt(&recipients.iter().collect::<Vec<_>>(), &plain)?;
                let print: [u8; 32] = sha2::Sha256::digest(&ct).into();
                Ok((hash, print, fsutil::write_temp_synced(&log_path, &ct)?))
            })();
            let objects = objects.join().expect("the object writer panicked");
            (objects, entry_side)
        });
        // Undoes step 1 (before the commit point nothing names these files).
        let undo = |log_tmp: Option<&Path>| {
            for path in placed.iter().map(PathBuf::as_path).chain(log_tmp) {
                let _ = fs::remove_file(path);
            }
            for obj in &batch.objects {
                if let Sealed::TempFile(tmp) = &obj.sealed {
                    let _ = fs::remove_file(tmp);
                }
            }
        };
        let (hash, print, log_tmp) = match (objects, entry_side) {
            (Ok(()), Ok(written)) => written,
            (objects, entry_side) => {
                let log_tmp = entry_side.as_ref().ok().map(|(_, _, tmp)| tmp.as_path());
                undo(log_tmp);
                return Err(objects.err().or(entry_side.err()).expect("one side failed"));
            }
        };
        // 2. The commit point.
        if let Err(e) = fs::rename(&log_tmp, &log_path) {
            undo(Some(&log_tmp));
            return Err(Error::io(format!("renaming into {}", log_path.display()))(
                e,
            ));
        }
        fsutil::sync_dir(&log_dir)?;
        Ok((hash, print))
    }

    /// Deletes the objects that `purged` names: only once the entry naming the purge is durable.
    pub fn remove_purged(&self, _lock: &WriteLock, purged: &[Purge]) -> Result<()> {
        for p in purged {
            for id in &p.objects {
                match fs::remove_file(self.layout.object(id)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(format!("removing object {id}"))(e)),
                }
            }
        }
        Ok(())
    }
}
