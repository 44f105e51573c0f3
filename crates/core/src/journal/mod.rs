//! The save journal, `local/journal`: how a note save becomes durable with one small write.
//!
//! A save of a note writes one record into space the journal file already has, as whole blocks
//! straight to the disk, and waits for that one write: no file to create, no rename, no folder
//! to sync, no size to change. The record holds what the save would otherwise write: its signed
//! log entry (encrypted when written out) and the encrypted revision objects it names.
//! Soon after (when the app is idle, before a sync, when the vault locks, when a command ends,
//! and at the latest after [`MAX_RECORDS`] records), a *checkpoint* writes them out as the usual
//! files in `objects/` and `log/` and starts the journal's next generation in the same file.
//! Opening a vault replays and writes out records left by a crash. Only this device's own
//! entries go in; the journal lives in `local/`, which is never synced, so remotes and other
//! devices only ever see the usual files.
//! docs/FORMAT.md specifies the layout.
//!
//! Saves that are not a few small note revisions (attachments, purges, contacts and messages,
//! big imports) are written out directly, after a checkpoint, as before the journal existed.
//!
//! `record.rs` is the file's format (records framed, checked and found again), with no vault
//! in it; this file is what a vault does with it (commit, replay, write out).

use crate::crypto;
use crate::fsutil;
use crate::log::ObjectKind;
use crate::note::now_millis;
use crate::vault::{Batch, NewObject, Sealed, Vault};
use crate::{Error, Id, Result};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

mod record;
#[cfg(test)]
mod tests;

pub use record::*;

impl Vault {
    fn journal_path(&self) -> PathBuf {
        self.layout.local().join("journal")
    }

    /// Reads records appended since this handle last looked (by this or another process) and
    /// applies those that continue this device's chain. Without the vault's lock a record may be
    /// half-written: reading stops before anything it cannot use, and only a checkpoint (under
    /// the lock) decides what that was.
    pub(crate) fn replay_journal(&mut self) -> Result<()> {
        let path = self.journal_path();
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if self.journal.generation.is_some() {
                    self.journal.reset(None);
                }
                return Ok(());
            }
            Err(e) => return Err(Error::io(format!("opening {}", path.display()))(e)),
        };
        let io = || Error::io(format!("reading {}", path.display()));
        let mut start = [0u8; FILE_HEADER_LEN];
        let Some(generation) = file
            .read_exact_at(&mut start, 0)
            .ok()
            .and_then(|()| generation_of(&start))
        else {
            // Not a journal: a checkpoint sorts it out.
            self.journal.unclean = file.metadata().map_err(io())?.len() > 0;
            return Ok(());
        };
        if self.journal.generation != Some(generation) {
            // A checkpoint wrote out everything of the generation this handle knew.
            self.journal.reset(Some(generation));
        }
        // Something new only if a record of this generation begins where this handle stopped
        // reading (after the records come zeros, or bytes of earlier generations).
        let mut next = vec![0u8; PEEK];
        let n = file
            .read_at(&mut next, self.journal.read_to as u64)
            .map_err(io())?;
        if !matches!(frame(&generation, &next[..n], 0), Ok(_) | Err(Bad::Short)) {
            return Ok(());
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).map_err(io())?;
        if generation_of(&bytes) != Some(generation) {
            return Ok(()); // replaced while reading: the next look sees the new one
        }
        let (records, tail) = records(&bytes, self.journal.read_to);
        let mut unclean = tail != Tail::End;
        let mut unreadable = Vec::new();
        for r in records {
            let head = self.own_head();
            if r.seq == head.0 + 1 {
                match self.open_record(&r, Some(head.1.as_deref())) {
                    Ok((entry, hash)) => {
                        for (id, ct) in &r.objects {
                            self.journal.objects.insert(*id, ct.to_vec());
                        }
                        self.journal.entries.insert(r.seq, r.entry.to_vec());
                        self.apply_entry(&entry, &mut unreadable);
                        self.state.heads.insert(self.device, (r.seq, hash));
                        self.unsnapshotted += 1;
                    }
                    Err(_) => {
                        unclean = self.what_stops_at(&bytes, &r) != Tail::End;
                        break;
                    }
                }
            } else if r.seq > head.0 + 1 {
                unclean = true;
                break;
            }
            self.journal.records += 1;
            self.journal.read_to = align(r.end);
        }
        self.journal.unclean = unclean;
        for (_, problem) in unreadable {
            self.load_problems.push(problem);
        }
        Ok(())
    }

    /// This device's last entry: sequence number and hash.
    fn own_head(&self) -> (u64, Option<String>) {
        self.state
            .meta()
            .heads
            .get(&self.device)
            .map(|(s, h)| (*s, Some(h.clone())))
            .unwrap_or((0, None))
    }

    /// What a well-framed record that cannot be used where it is means: a record that is
    /// genuine (it verifies) but out of place is damage, never a torn append; otherwise as
    /// [`classify`] says.
    fn what_stops_at(&self, file: &[u8], r: &Record<'_>) -> Tail {
        if self.open_record(r, None).is_ok() {
            Tail::Damaged(r.start)
        } else {
            classify(file, r.start)
        }
    }

    /// Authenticates a record: its entry (signature, place, and with `prev` given, the chain
    /// after it) and its objects (exactly those the entry names, each with the ciphertext hash
    /// the entry gives).
    pub(crate) fn open_record(
        &self,
        r: &Record<'_>,
        prev: Option<Option<&str>>,
    ) -> Result<(crate::log::LogEntry, String)> {
        let (entry, hash) = crate::log::LogEntry::open(
            r.entry,
            &self.keys.verifying_key(),
            &self.config.vault,
            &self.device,
            r.seq,
        )?;
        if let Some(prev) = prev {
            entry.check_follows(prev)?;
        }
        let named: HashMap<Id, &str> = entry
            .objects
            .iter()
            .map(|o| (o.id, o.sha256.as_str()))
            .collect();
        let ok = named.len() == r.objects.len()
            && r.objects
                .iter()
                .all(|(id, ct)| named.get(id) == Some(&crypto::sha256_hex(ct).as_str()));
        if !ok {
            return Err(Error::BadLog {
                device: self.device.to_string(),
                seq: r.seq,
                reason: "its journal record holds objects other than those it names".into(),
            });
        }
        Ok((entry, hash))
    }

    /// Commits a batch by appending it to the journal: durable once that one write returns.
    /// The caller holds the lock, has refreshed, and has checked [`takes`].
    pub(crate) fn commit_to_journal(&mut self, batch: Batch) -> Result<()> {
        if self.journal.unclean {
            self.write_out()?;
        }
        if self.journal.generation.is_none() {
            self.new_journal()?;
        }
        // The signed entry goes in as it is: it holds ids, ciphertext hashes, a time and a
        // sequence number, nothing of the notes; it is encrypted when written out.
        let (entry, seq) = self.next_entry(&batch);
        let (signed, hash) = entry.seal(&self.keys);
        let objects: Vec<(Id, Vec<u8>)> = batch
            .objects
            .into_iter()
            .map(|o| match o.sealed {
                Sealed::Bytes(b) => (o.id, b),
                Sealed::TempFile(_) => unreachable!("journal batches are in memory"),
            })
            .collect();
        let generation = self.journal.generation.expect("a journal exists");
        let record = encode(
            &generation,
            seq,
            &signed,
            &objects
                .iter()
                .map(|(id, b)| (*id, b.as_slice()))
                .collect::<Vec<_>>(),
        );
        self.append(&record)?;
        self.journal.read_to += align(record.len());
        self.journal.records += 1;
        self.journal.appended = true;
        self.journal.objects.extend(objects);
        self.journal.entries.insert(seq, signed);
        self.state.heads.insert(self.device, (seq, hash));
        for rev in batch.revisions {
            self.state.apply_revision(rev);
        }
        self.unsnapshotted += 1;
        if self.journal.records >= MAX_RECORDS || self.journal.read_to as u64 >= MAX_BYTES {
            // The save is durable already; a failure here leaves the records in the journal.
            let _ = self.write_out();
        }
        Ok(())
    }

    /// Writes one record after the last and waits for it to be on the disk: whole blocks,
    /// straight to the disk (O_DIRECT | O_DSYNC), over space the file has already (zeros, or
    /// records of earlier generations), so nothing but the data is written. When there is not
    /// enough space, the file grows by the record and a new reserve of zeros, once. File
    /// systems that refuse direct writes get a buffered write and an fdatasync.
    fn append(&mut self, record: &[u8]) -> Result<()> {
        let path = self.journal_path();
        let io = || Error::io(format!("writing {}", path.display()));
        let at = self.journal.read_to as u64;
        let len = align(record.len());
        let file_len = fs::metadata(&path).map_err(io())?.len();
        let len = if at + len as u64 > file_len {
            len + RESERVE
        } else {
            len
        };
        let mut buf = Aligned::zeroed(len);
        buf.as_mut()[..record.len()].copy_from_slice(record);
        if !self.journal.buffered {
            match write_direct(&path, buf.as_ref(), at) {
                Ok(()) => return Ok(()),
                Err(e)
                    if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error())
                        || e.kind() == std::io::ErrorKind::Unsupported =>
                {
                    self.journal.buffered = true;
                }
                // Whatever part of a failed append is there is a torn record: the next one
                // overwrites it, and readers stop before it.
                Err(e) => return Err(io()(e)),
            }
        }
        OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| {
                f.write_all_at(buf.as_ref(), at)?;
                f.sync_data()
            })
            .map_err(io())
    }

    /// Writes every journal record out as the usual files (objects, then log entries) and
    /// starts an empty journal: a checkpoint. Takes the vault's lock; cheap when there is
    /// nothing to write. Saves are durable without it; the CLI runs one when a command ends
    /// and the app when it is idle, before a sync and when it locks.
    pub fn checkpoint(&mut self) -> Result<()> {
        let lock = self.lock_file()?;
        let result = self.checkpoint_locked();
        drop(lock);
        result
    }

    /// [`Self::checkpoint`] for a caller holding the lock.
    pub(crate) fn checkpoint_locked(&mut self) -> Result<()> {
        self.refresh()?;
        self.write_out()
    }

    /// Whether this handle saved anything that no checkpoint has written out since.
    pub fn has_unwritten_saves(&self) -> bool {
        self.journal.appended
    }

    /// The checkpoint itself; the caller holds the lock and has refreshed (so this handle's
    /// view of the journal is the file's). Nothing to do, nothing done.
    pub(crate) fn write_out(&mut self) -> Result<()> {
        if !self.journal.has_records() {
            self.journal.appended = false;
            return Ok(());
        }
        self.write_out_into(Next::SameFile)
    }

    /// A checkpoint that also replaces the journal file with a new one, so that no earlier
    /// record stays in its reused space: before a purge (the purged note's old revisions may
    /// be there, encrypted).
    pub(crate) fn write_out_and_replace(&mut self) -> Result<()> {
        if !self.journal.has_records() && !self.journal_path().exists() {
            return Ok(());
        }
        self.write_out_into(Next::NewFile)
    }

    fn write_out_into(&mut self, next: Next) -> Result<()> {
        let path = self.journal_path();
        let bytes = match crate::limits::read_file(&path, crate::limits::LOCAL_FILE) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.journal.reset(None);
                return Ok(());
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
        };
        let (records, mut tail) = records(&bytes, FILE_HEADER_LEN);
        // Records this handle applied or appended are known byte for byte; others (applied
        // through the snapshot before this process started) are authenticated here. Records
        // past the head did not authenticate when the journal was read under this lock: they
        // are damage, or the torn end of the last append.
        let head = self.own_head().0;
        let usable = records
            .iter()
            .take_while(|r| {
                r.seq <= head
                    && (self.journal_entry(r.seq) == Some(r.entry)
                        || self.open_record(r, None).is_ok())
            })
            .count();
        if let Some(r) = records.get(usable) {
            tail = self.what_stops_at(&bytes, r);
        }
        self.write_records(&records[..usable])?;
        let damaged = matches!(tail, Tail::Damaged(_));
        if let Tail::Damaged(at) = tail {
            let kept = self
                .layout
                .local()
                .join(format!("journal-damaged-{}", now_millis()));
            fs::rename(&path, &kept).map_err(Error::io(format!(
                "keeping the damaged journal as {}",
                kept.display()
            )))?;
            self.load_problems.push(format!(
                "local/journal is damaged at byte {at}: the records before it are kept, the {} bytes from there on could not be read (the file is kept as local/{})",
                bytes.len() - at,
                kept.file_name().expect("a file name").to_string_lossy()
            ));
        }
        match next {
            Next::SameFile if !damaged && generation_of(&bytes).is_some() => {
                self.next_generation_in_place()
            }
            _ => self.new_journal(),
        }
    }

    /// Starts the next generation in the same file: a new header, synced. The records after it
    /// no longer frame (their checks bind them to the old generation), and their space is
    /// reused by the next appends, which then have no file size or blocks to write.
    fn next_generation_in_place(&mut self) -> Result<()> {
        let path = self.journal_path();
        let generation = *Id::random().as_bytes();
        OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| {
                f.write_all_at(&header(&generation), 0)?;
                f.sync_data()
            })
            .map_err(Error::io(format!("writing {}", path.display())))?;
        self.journal.reset(Some(generation));
        Ok(())
    }

    /// Writes records' objects and entries into place durably: temp files first, all synced,
    /// then renamed (objects before the entries that name them, so a reader that finds an
    /// entry finds its objects), then their folders synced.
    fn write_records(&self, records: &[Record<'_>]) -> Result<()> {
        let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
        let written = (|| {
            for r in records {
                for (id, ct) in &r.objects {
                    let target = self.layout.object(id);
                    moves.push((fsutil::write_temp(&target, ct)?, target));
                }
            }
            for r in records {
                let target = self.layout.log_entry(&self.device, r.seq);
                let ct = crypto::encrypt(&[&self.keys.vault_recipient()], r.entry)?;
                moves.push((fsutil::write_temp(&target, &ct)?, target));
            }
            let temps: Vec<&Path> = moves.iter().map(|(t, _)| t.as_path()).collect();
            fsutil::sync_files(&temps)?;
            let mut dirs = HashSet::new();
            for (tmp, target) in &moves {
                fs::rename(tmp, target)
                    .map_err(Error::io(format!("renaming into {}", target.display())))?;
                dirs.insert(target.parent().expect("files have a folder").to_path_buf());
            }
            let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
            fsutil::sync_dirs(&dirs)
        })();
        if written.is_err() {
            for (tmp, _) in &moves {
                let _ = fs::remove_file(tmp);
            }
        }
        written
    }

    /// Starts a new, empty generation of the journal, with its reserve of zeros.
    pub(crate) fn new_journal(&mut self) -> Result<()> {
        let generation = *Id::random().as_bytes();
        let mut file = vec![0u8; BLOCK + RESERVE];
        file[..FILE_HEADER_LEN].copy_from_slice(&header(&generation));
        fsutil::write_atomic(&self.journal_path(), &file)?;
        self.journal.reset(Some(generation));
        Ok(())
    }

    /// For `verify`: reads the journal (without changing it) and checks the records that
    /// continue this device's log after entry `seq` with hash `prev`, each like a log entry.
    pub(crate) fn check_journal(
        &self,
        mut seq: u64,
        mut prev: Option<String>,
    ) -> Result<JournalCheck> {
        let mut out = JournalCheck::default();
        let path = self.journal_path();
        let bytes = match crate::limits::read_file(&path, crate::limits::LOCAL_FILE) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
        };
        let (records, mut tail) = records(&bytes, FILE_HEADER_LEN);
        for r in &records {
            if r.seq <= seq {
                continue; // written out already (the journal is reset after that)
            }
            let opened = if r.seq == seq + 1 {
                self.open_record(r, Some(prev.as_deref()))
            } else {
                Err(Error::BadLog {
                    device: self.device.to_string(),
                    seq: seq + 1,
                    reason: format!("the journal continues with entry {} instead", r.seq),
                })
            };
            match opened {
                Ok((entry, hash)) => {
                    out.objects
                        .extend(r.objects.iter().map(|(id, ct)| (*id, ct.to_vec())));
                    out.entries.push(entry);
                    prev = Some(hash);
                    seq = r.seq;
                }
                Err(e) => {
                    // Unless it is the torn end of an interrupted append (never acknowledged).
                    if let Tail::Damaged(_) = self.what_stops_at(&bytes, r) {
                        out.problem = Some(format!("a record at byte {}: {e}", r.start));
                    }
                    tail = Tail::End;
                    break;
                }
            }
        }
        if let Tail::Damaged(at) = tail {
            out.problem = Some(format!(
                "damaged at byte {at}: a valid record follows bytes that are not one"
            ));
        }
        Ok(out)
    }

    /// A journal object's ciphertext, if a record not yet written out holds it.
    pub(crate) fn journal_object(&self, id: &Id) -> Option<&[u8]> {
        self.journal.objects.get(id).map(Vec::as_slice)
    }

    /// This device's signed entry `seq` (the plaintext of its log file), if the journal has it.
    pub(crate) fn journal_entry(&self, seq: u64) -> Option<&[u8]> {
        self.journal.entries.get(&seq).map(Vec::as_slice)
    }

    /// A device's log entry `seq`, opened (this device's from the journal while it is there).
    pub(crate) fn read_log_entry(&self, device: &Id, seq: u64) -> Option<crate::log::LogEntry> {
        let plain = match self.journal_entry(seq) {
            Some(signed) if device == &self.device => signed.to_vec(),
            _ => {
                let ct = crate::limits::read_file(
                    self.layout.log_entry(device, seq),
                    crate::limits::LOG_ENTRY,
                )
                .ok()?;
                crypto::decrypt(&[self.keys.vault_identity()], &ct)
                    .ok()?
                    .to_vec()
            }
        };
        crate::log::LogEntry::open(
            &plain,
            &self.keys.verifying_key(),
            &self.config.vault,
            device,
            seq,
        )
        .ok()
        .map(|(e, _)| e)
    }
}
