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
//! `record.rs` is the file's format (records framed, checked and found again); this file is
//! what the store does with it (append, read new records, write out). The vault above decides
//! what a record's entry changes in the state (crate::vault::replay).

use super::{Batch, NewObject, Sealed, Store, WriteLock};
use crate::crypto;
use crate::fsutil;
use crate::log::ObjectKind;
use crate::note::now_millis;
use crate::{Error, Id, Result};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

mod record;
#[cfg(test)]
mod tests;

pub use record::*;

/// A record read from the journal that continues this device's log: its sequence number, its
/// entry, and the entry's hash.
pub(crate) struct Replayed {
    pub seq: u64,
    pub entry: crate::log::LogEntry,
    pub hash: String,
}

impl Journal {
    fn path(store: &Store) -> PathBuf {
        store.layout.local().join("journal")
    }

    /// Reads records appended since this handle last looked (by this or another process) that
    /// continue this device's chain after `head` (its last entry: sequence number and hash);
    /// their objects are held from then on ([`Self::object`]). Without the vault's lock a record
    /// may be half-written: reading stops before anything it cannot use, and only a checkpoint
    /// (under the lock) decides what that was.
    pub(crate) fn read_new(
        &mut self,
        store: &Store,
        mut head: (u64, Option<String>),
    ) -> Result<Vec<Replayed>> {
        let path = Self::path(store);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if self.generation.is_some() {
                    self.reset(None);
                }
                return Ok(Vec::new());
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
            self.unclean = file.metadata().map_err(io())?.len() > 0;
            return Ok(Vec::new());
        };
        if self.generation != Some(generation) {
            // A checkpoint wrote out everything of the generation this handle knew.
            self.reset(Some(generation));
        }
        // Something new only if a record of this generation begins where this handle stopped
        // reading (after the records come zeros, or bytes of earlier generations).
        let mut next = vec![0u8; PEEK];
        let n = file.read_at(&mut next, self.read_to as u64).map_err(io())?;
        if !matches!(frame(&generation, &next[..n], 0), Ok(_) | Err(Bad::Short)) {
            return Ok(Vec::new());
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).map_err(io())?;
        if generation_of(&bytes) != Some(generation) {
            return Ok(Vec::new()); // replaced while reading: the next look sees the new one
        }
        let (records, tail) = records(&bytes, self.read_to);
        let mut unclean = tail != Tail::End;
        let mut replayed = Vec::new();
        for r in records {
            if r.seq == head.0 + 1 {
                match Self::open_record(store, &r, Some(head.1.as_deref())) {
                    Ok((entry, hash)) => {
                        for (id, ct) in &r.objects {
                            self.objects.insert(*id, ct.to_vec());
                        }
                        self.entries.insert(r.seq, r.entry.to_vec());
                        head = (r.seq, Some(hash.clone()));
                        replayed.push(Replayed {
                            seq: r.seq,
                            entry,
                            hash,
                        });
                    }
                    Err(_) => {
                        unclean = Self::what_stops_at(store, &bytes, &r) != Tail::End;
                        break;
                    }
                }
            } else if r.seq > head.0 + 1 {
                unclean = true;
                break;
            }
            self.records += 1;
            self.read_to = align(r.end);
        }
        self.unclean = unclean;
        Ok(replayed)
    }

    /// What a well-framed record that cannot be used where it is means: a record that is
    /// genuine (it verifies) but out of place is damage, never a torn append; otherwise as
    /// [`classify`] says.
    fn what_stops_at(store: &Store, file: &[u8], r: &Record<'_>) -> Tail {
        if Self::open_record(store, r, None).is_ok() {
            Tail::Damaged(r.start)
        } else {
            classify(file, r.start)
        }
    }

    /// Authenticates a record: its entry (signature, place, and with `prev` given, the chain
    /// after it) and its objects (exactly those the entry names, each with the ciphertext hash
    /// the entry gives).
    fn open_record(
        store: &Store,
        r: &Record<'_>,
        prev: Option<Option<&str>>,
    ) -> Result<(crate::log::LogEntry, String)> {
        let (entry, hash) = store.verify_entry(crate::log::LogEntry::read(
            r.entry,
            &store.config.vault,
            &store.device,
            r.seq,
        )?)?;
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
                device: store.device.to_string(),
                seq: r.seq,
                reason: "its journal record holds objects other than those it names".into(),
            });
        }
        Ok((entry, hash))
    }

    /// Appends this device's entry `seq` and the objects of `batch` as one record: durable once
    /// that one write returns. Returns the entry's hash. The caller has read the journal under
    /// the lock (so this handle's view of it is the file's), and checked [`takes`]; `head` is
    /// this device's last entry, for a checkpoint first if the journal's end is unclean.
    pub(crate) fn append_entry(
        &mut self,
        store: &Store,
        lock: &WriteLock,
        entry: &crate::log::LogEntry,
        batch_objects: Vec<NewObject>,
        head: u64,
    ) -> Result<(String, Vec<String>)> {
        let mut problems = Vec::new();
        if self.unclean {
            problems.extend(self.write_out(store, lock, head)?);
        }
        if self.generation.is_none() {
            self.start_new(store, lock)?;
        }
        // The signed entry goes in as it is: it holds ids, ciphertext hashes, a time and a
        // sequence number, nothing of the notes; it is encrypted when written out.
        let (signed, hash) = store.sign_entry(entry);
        let objects: Vec<(Id, Vec<u8>)> = batch_objects
            .into_iter()
            .map(|o| match o.sealed {
                Sealed::Bytes(b) => (o.id, b),
                Sealed::TempFile(_) => unreachable!("journal batches are in memory"),
            })
            .collect();
        let generation = self.generation.expect("a journal exists");
        let record = encode(
            &generation,
            entry.seq,
            &signed,
            &objects
                .iter()
                .map(|(id, b)| (*id, b.as_slice()))
                .collect::<Vec<_>>(),
        );
        self.append(store, &record)?;
        self.read_to += align(record.len());
        self.records += 1;
        self.appended = true;
        self.objects.extend(objects);
        self.entries.insert(entry.seq, signed);
        if self.records >= MAX_RECORDS || self.read_to as u64 >= MAX_BYTES {
            // The save is durable already; a failure here leaves the records in the journal.
            if let Ok(more) = self.write_out(store, lock, entry.seq) {
                problems.extend(more);
            }
        }
        Ok((hash, problems))
    }

    /// Writes one record after the last and waits for it to be on the disk: whole blocks,
    /// straight to the disk (O_DIRECT | O_DSYNC), over space the file has already (zeros, or
    /// records of earlier generations), so nothing but the data is written. When there is not
    /// enough space, the file grows by the record and a new reserve of zeros, once. File
    /// systems that refuse direct writes get a buffered write and an fdatasync.
    fn append(&mut self, store: &Store, record: &[u8]) -> Result<()> {
        let path = Self::path(store);
        let io = || Error::io(format!("writing {}", path.display()));
        let at = self.read_to as u64;
        let len = align(record.len());
        let file_len = fs::metadata(&path).map_err(io())?.len();
        let len = if at + len as u64 > file_len {
            len + RESERVE
        } else {
            len
        };
        let mut buf = Aligned::zeroed(len);
        buf.as_mut()[..record.len()].copy_from_slice(record);
        if !self.buffered {
            match write_direct(&path, buf.as_ref(), at) {
                Ok(()) => return Ok(()),
                Err(e)
                    if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error())
                        || e.kind() == std::io::ErrorKind::Unsupported =>
                {
                    self.buffered = true;
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

    /// Whether this handle saved anything that no checkpoint has written out since.
    pub(crate) fn has_unwritten_saves(&self) -> bool {
        self.appended
    }

    /// The checkpoint: writes every record out as the usual files (objects, then log entries)
    /// and starts the journal's next generation. The caller has read the journal under the lock
    /// (so this handle's view of it is the file's); `head` is this device's last entry. Nothing
    /// to do, nothing done. Returns what it found damaged (the damaged file is kept aside).
    pub(crate) fn write_out(
        &mut self,
        store: &Store,
        lock: &WriteLock,
        head: u64,
    ) -> Result<Vec<String>> {
        if !self.has_records() {
            self.appended = false;
            return Ok(Vec::new());
        }
        self.write_out_into(store, lock, head, Next::SameFile)
    }

    /// A checkpoint that also replaces the journal file with a new one, so that no earlier
    /// record stays in its reused space: before a purge (the purged note's old revisions may
    /// be there, encrypted).
    pub(crate) fn write_out_and_replace(
        &mut self,
        store: &Store,
        lock: &WriteLock,
        head: u64,
    ) -> Result<Vec<String>> {
        if !self.has_records() && !Self::path(store).exists() {
            return Ok(Vec::new());
        }
        self.write_out_into(store, lock, head, Next::NewFile)
    }

    fn write_out_into(
        &mut self,
        store: &Store,
        lock: &WriteLock,
        head: u64,
        next: Next,
    ) -> Result<Vec<String>> {
        let path = Self::path(store);
        let bytes = match crate::limits::read_file(&path, crate::limits::LOCAL_FILE) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.reset(None);
                return Ok(Vec::new());
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
        };
        let (records, mut tail) = records(&bytes, FILE_HEADER_LEN);
        // Records this handle applied or appended are known byte for byte; others (applied
        // through the snapshot before this process started) are authenticated here. Records
        // past the head did not authenticate when the journal was read under this lock: they
        // are damage, or the torn end of the last append.
        let usable = records
            .iter()
            .take_while(|r| {
                r.seq <= head
                    && (self.entry(r.seq) == Some(r.entry)
                        || Self::open_record(store, r, None).is_ok())
            })
            .count();
        if let Some(r) = records.get(usable) {
            tail = Self::what_stops_at(store, &bytes, r);
        }
        let written = write_records(store, &records[..usable])?;
        self.written.extend(written);
        let mut problems = Vec::new();
        let damaged = matches!(tail, Tail::Damaged(_));
        if let Tail::Damaged(at) = tail {
            let kept = store
                .layout
                .local()
                .join(format!("journal-damaged-{}", now_millis()));
            fs::rename(&path, &kept).map_err(Error::io(format!(
                "keeping the damaged journal as {}",
                kept.display()
            )))?;
            problems.push(format!(
                "local/journal is damaged at byte {at}: the records before it are kept, the {} bytes from there on could not be read (the file is kept as local/{})",
                bytes.len() - at,
                kept.file_name().expect("a file name").to_string_lossy()
            ));
        }
        match next {
            Next::SameFile if !damaged && generation_of(&bytes).is_some() => {
                self.next_generation_in_place(store)?
            }
            _ => self.start_new(store, lock)?,
        }
        Ok(problems)
    }

    /// Starts the next generation in the same file: a new header, synced. The records after it
    /// no longer frame (their checks bind them to the old generation), and their space is
    /// reused by the next appends, which then have no file size or blocks to write.
    fn next_generation_in_place(&mut self, store: &Store) -> Result<()> {
        let path = Self::path(store);
        let generation = *Id::random().as_bytes();
        OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| {
                f.write_all_at(&header(&generation), 0)?;
                f.sync_data()
            })
            .map_err(Error::io(format!("writing {}", path.display())))?;
        self.reset(Some(generation));
        Ok(())
    }

    /// Starts a new, empty generation of the journal in a new file, with its reserve of zeros.
    pub(crate) fn start_new(&mut self, store: &Store, _lock: &WriteLock) -> Result<()> {
        let generation = *Id::random().as_bytes();
        let mut file = vec![0u8; BLOCK + RESERVE];
        file[..FILE_HEADER_LEN].copy_from_slice(&header(&generation));
        fsutil::write_atomic(&Self::path(store), &file)?;
        self.reset(Some(generation));
        Ok(())
    }

    /// For `verify`: reads the journal (without changing it) and checks the records that
    /// continue this device's log after entry `seq` with hash `prev`, each like a log entry.
    pub(crate) fn check(
        store: &Store,
        mut seq: u64,
        mut prev: Option<String>,
    ) -> Result<JournalCheck> {
        let mut out = JournalCheck::default();
        let path = Self::path(store);
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
                Self::open_record(store, r, Some(prev.as_deref()))
            } else {
                Err(Error::BadLog {
                    device: store.device.to_string(),
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
                    if let Tail::Damaged(_) = Self::what_stops_at(store, &bytes, r) {
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
    pub(crate) fn object(&self, id: &Id) -> Option<&[u8]> {
        self.objects.get(id).map(Vec::as_slice)
    }

    /// This device's signed entry `seq` (the plaintext of its log file), if the journal has it.
    pub(crate) fn entry(&self, seq: u64) -> Option<&[u8]> {
        self.entries.get(&seq).map(Vec::as_slice)
    }
}

/// Writes records' objects and entries into place durably: temp files first, all synced,
/// then renamed (objects before the entries that name them, so a reader that finds an
/// entry finds its objects), then their folders synced. Returns the SHA-256 of each log entry
/// file written, by sequence number.
fn write_records(store: &Store, records: &[Record<'_>]) -> Result<Vec<(u64, [u8; 32])>> {
    let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut prints = Vec::with_capacity(records.len());
    let written = (|| {
        for r in records {
            for (id, ct) in &r.objects {
                let target = store.layout.object(id);
                moves.push((fsutil::write_temp(&target, ct)?, target));
            }
        }
        for r in records {
            let target = store.layout.log_entry(&store.device, r.seq);
            let ct = crypto::encrypt(&[&store.write_recipient()], r.entry)?;
            prints.push((r.seq, Sha256::digest(&ct).into()));
            moves.push((fsutil::write_temp(&target, &ct)?, target));
        }
        fsutil::rename_synced(&moves)
    })();
    if written.is_err() {
        for (tmp, _) in &moves {
            let _ = fs::remove_file(tmp);
        }
    }
    written.map(|()| prints)
}
