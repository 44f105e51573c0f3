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

/// The first 16 bytes of a journal file.
pub const FILE_MAGIC: &[u8; 16] = b"coffer journal 1";
/// File magic plus the 16 random bytes naming this generation of the journal.
pub const FILE_HEADER_LEN: usize = 32;
/// The first 4 bytes of a record.
pub const RECORD_MAGIC: &[u8; 4] = b"CJR1";
/// A checkpoint happens inside a save once the journal holds this many records (the app and the
/// CLI checkpoint long before, when idle and when a command ends).
pub const MAX_RECORDS: usize = 256;
/// ... or this many bytes.
pub const MAX_BYTES: u64 = 8 << 20;
/// A batch goes to the journal only if its objects are this small in all (larger ones gain
/// nothing from it and would make replay slow).
pub const MAX_BATCH_BYTES: usize = 1 << 20;
/// Objects per record, at most (a limit for readers: a larger count is damage).
const MAX_OBJECTS: usize = 1 << 16;
/// Fixed part of a record header: magic, seq, entry length, object count.
const FIXED: usize = 4 + 8 + 4 + 4;
/// Per object in the header: id and length.
const PER_OBJECT: usize = 16 + 4;
/// The header's check: the first 8 bytes of the SHA-256 of the header before it.
const CHECK: usize = 8;
/// Records start at multiples of this many bytes (the first after the file header's block), so
/// that each append is whole blocks, written straight to the disk (O_DIRECT | O_DSYNC).
pub const BLOCK: usize = 4096;

/// `n` rounded up to a whole number of blocks.
fn align(n: usize) -> usize {
    n.div_ceil(BLOCK) * BLOCK
}

/// Bytes of zeros a new journal is created with (when the vault is created, and after a purge),
/// so that appends overwrite blocks the file has already: their write then changes no file size
/// or block map. Room for 256 records of notes up to 4 KiB, the most a journal holds before a
/// save writes it out. An append past them grows the file by the record and another reserve.
pub const RESERVE: usize = 2 << 20;

/// Whether a batch goes to the journal: note revisions only, in memory, small, no purges.
pub(crate) fn takes(batch: &Batch) -> bool {
    batch.purged.is_empty()
        && !batch.objects.is_empty()
        && batch
            .objects
            .iter()
            .all(|o| o.kind == ObjectKind::Note && matches!(o.sealed, Sealed::Bytes(_)))
        && batch.objects.iter().map(sealed_len).sum::<usize>() <= MAX_BATCH_BYTES
}

fn sealed_len(o: &NewObject) -> usize {
    match &o.sealed {
        Sealed::Bytes(b) => b.len(),
        Sealed::TempFile(_) => usize::MAX / 2,
    }
}

/// Encodes one record of journal generation `generation`: this device's entry `seq` (its
/// encrypted file) and the objects it names.
pub(crate) fn encode(
    generation: &[u8; 16],
    seq: u64,
    entry: &[u8],
    objects: &[(Id, &[u8])],
) -> Vec<u8> {
    let header_len = FIXED + PER_OBJECT * objects.len();
    let body_len = entry.len() + objects.iter().map(|(_, b)| b.len()).sum::<usize>();
    let mut out = Vec::with_capacity(header_len + CHECK + body_len);
    out.extend_from_slice(RECORD_MAGIC);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(
        &u32::try_from(entry.len())
            .expect("entries are small")
            .to_le_bytes(),
    );
    out.extend_from_slice(
        &u32::try_from(objects.len())
            .expect("batches are small")
            .to_le_bytes(),
    );
    for (id, bytes) in objects {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(
            &u32::try_from(bytes.len())
                .expect("journal objects are small")
                .to_le_bytes(),
        );
    }
    let check = header_check(generation, &out);
    out.extend_from_slice(&check);
    out.extend_from_slice(entry);
    for (_, bytes) in objects {
        out.extend_from_slice(bytes);
    }
    out
}

/// One well-framed record inside a journal file (not yet authenticated).
pub(crate) struct Record<'a> {
    /// Where it starts and ends in the file.
    pub start: usize,
    pub end: usize,
    pub seq: u64,
    pub entry: &'a [u8],
    pub objects: Vec<(Id, &'a [u8])>,
}

/// How a record's framing failed.
enum Bad {
    /// The file ends inside it.
    Short,
    /// Its bytes are not a record header.
    Garbled,
}

/// A record header's check: it binds the header to the journal generation it was written in,
/// so records of earlier generations (left in the file's reused space) never frame.
fn header_check(generation: &[u8; 16], header: &[u8]) -> [u8; CHECK] {
    let mut h = Sha256::new();
    h.update(generation);
    h.update(header);
    h.finalize()[..CHECK].try_into().expect("8 bytes")
}

fn le_u32(b: &[u8]) -> usize {
    u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize
}

/// Reads the record of generation `generation` framed at `at`.
fn frame<'a>(
    generation: &[u8; 16],
    file: &'a [u8],
    at: usize,
) -> std::result::Result<Record<'a>, Bad> {
    let rest = &file[at..];
    if rest.len() < FIXED {
        return Err(if rest.starts_with(&RECORD_MAGIC[..rest.len().min(4)]) {
            Bad::Short
        } else {
            Bad::Garbled
        });
    }
    if &rest[..4] != RECORD_MAGIC {
        return Err(Bad::Garbled);
    }
    let seq = u64::from_le_bytes(rest[4..12].try_into().expect("8 bytes"));
    let entry_len = le_u32(&rest[12..16]);
    let count = le_u32(&rest[16..20]);
    if count > MAX_OBJECTS {
        return Err(Bad::Garbled);
    }
    let header_len = FIXED + PER_OBJECT * count;
    if rest.len() < header_len + CHECK {
        return Err(Bad::Short);
    }
    if header_check(generation, &rest[..header_len]) != rest[header_len..header_len + CHECK] {
        return Err(Bad::Garbled);
    }
    let mut pos = header_len + CHECK;
    let mut take = |len: usize| -> std::result::Result<&[u8], Bad> {
        let end = pos.checked_add(len).ok_or(Bad::Garbled)?;
        let bytes = rest.get(pos..end).ok_or(Bad::Short)?;
        pos = end;
        Ok(bytes)
    };
    let entry = take(entry_len)?;
    let mut objects = Vec::with_capacity(count);
    for i in 0..count {
        let d = &rest[FIXED + PER_OBJECT * i..FIXED + PER_OBJECT * (i + 1)];
        let id = Id::from_bytes(d[..16].try_into().expect("16 bytes"));
        objects.push((id, take(le_u32(&d[16..20]))?));
    }
    Ok(Record {
        start: at,
        end: at + pos,
        seq,
        entry,
        objects,
    })
}

/// How the readable records of a journal end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tail {
    /// Where nothing follows but zeros, bytes of earlier generations, or the torn end of an
    /// append a crash interrupted (never acknowledged): the next append goes there.
    End,
    /// In damage, at this offset: a valid record follows, so acknowledged saves may be past
    /// it, and the file is kept.
    Damaged(usize),
}

/// The records of `file` (a whole journal file) from offset `from`, and how they end.
pub(crate) fn records(file: &[u8], from: usize) -> (Vec<Record<'_>>, Tail) {
    let Some(generation) = generation_of(file) else {
        return (
            Vec::new(),
            if file.is_empty() {
                Tail::End
            } else {
                Tail::Damaged(0)
            },
        );
    };
    let mut out = Vec::new();
    let mut at = align(from.max(FILE_HEADER_LEN));
    while at < file.len() {
        match frame(&generation, file, at) {
            Ok(r) => {
                at = align(r.end);
                out.push(r);
            }
            Err(_) => return (out, classify(file, at)),
        }
    }
    (out, Tail::End)
}

/// Where each record of a journal file's current generation starts and ends (whether or not it
/// opens): for tools and tests that look inside a journal.
pub fn record_spans(file: &[u8]) -> Vec<(usize, usize)> {
    records(file, FILE_HEADER_LEN)
        .0
        .iter()
        .map(|r| (r.start, r.end))
        .collect()
}

/// What a record at `at` that cannot be used (it does not frame, or does not open) means.
/// Only the last append can be torn (each was synced before the next began), so a valid record
/// of this generation anywhere after it means damage; otherwise it is where the records end.
/// (As in other write-ahead logs, damage to the very last record cannot be told from a torn
/// append: both end the journal there.)
pub(crate) fn classify(file: &[u8], at: usize) -> Tail {
    let Some(generation) = generation_of(file) else {
        return Tail::Damaged(0);
    };
    let later = (align(at + 1)..file.len())
        .step_by(BLOCK)
        .filter(|&i| file[i..].starts_with(RECORD_MAGIC))
        .any(|i| frame(&generation, file, i).is_ok());
    if later { Tail::Damaged(at) } else { Tail::End }
}

/// Writes `data` at `at` with O_DIRECT | O_DSYNC: durable when it returns. O_DSYNC, not
/// O_SYNC: the data and what reading it back needs (size, blocks), not the file's times, which
/// would cost a second write.
#[cfg(target_os = "linux")]
fn write_direct(path: &Path, data: &[u8], at: u64) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_DSYNC on Linux (asm-generic and x86). rustix's `OFlags::DSYNC` is O_SYNC there.
    const O_DSYNC: i32 = 0o10000;
    let f = OpenOptions::new()
        .write(true)
        .custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32 | O_DSYNC)
        .open(path)?;
    f.write_all_at(data, at)
}

/// Elsewhere appends are buffered and fdatasync'ed.
#[cfg(not(target_os = "linux"))]
fn write_direct(_path: &Path, _data: &[u8], _at: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// A zeroed buffer whose start is aligned to a block, as direct writes need.
struct Aligned {
    bytes: Vec<u8>,
    start: usize,
    len: usize,
}

impl Aligned {
    fn zeroed(len: usize) -> Aligned {
        let bytes = vec![0u8; len + BLOCK];
        let start = bytes.as_ptr().align_offset(BLOCK);
        Aligned { bytes, start, len }
    }
}

impl AsRef<[u8]> for Aligned {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[self.start..self.start + self.len]
    }
}

impl AsMut<[u8]> for Aligned {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start..self.start + self.len]
    }
}

/// Where a checkpoint starts the next generation of the journal.
enum Next {
    SameFile,
    NewFile,
}

/// Bytes read where a handle stopped reading, to see whether a new record begins there.
const PEEK: usize = 4096;

/// What `verify` found in the journal.
#[derive(Default)]
pub(crate) struct JournalCheck {
    /// Entries continuing this device's log, in order.
    pub entries: Vec<crate::log::LogEntry>,
    /// The objects their records hold.
    pub objects: HashMap<Id, Vec<u8>>,
    pub problem: Option<String>,
}

/// What a vault handle knows about the journal: how far it has read it, and the objects and
/// entries of records that may not be written out yet (so reads find them meanwhile).
#[derive(Default)]
pub(crate) struct JournalView {
    /// The generation read so far (`None`: no journal file seen).
    generation: Option<[u8; 16]>,
    /// Bytes of that generation read (its header and whole records).
    read_to: usize,
    /// The file ended in a torn or damaged record when last read (a checkpoint must clear it
    /// before the next append).
    unclean: bool,
    /// Records in this generation, and their bytes.
    records: usize,
    /// Objects of records read or appended, until a checkpoint writes them out.
    pub(crate) objects: HashMap<Id, Vec<u8>>,
    /// This device's entries in those records, by sequence number.
    pub(crate) entries: BTreeMap<u64, Vec<u8>>,
    /// This handle appended records that no checkpoint has written out since.
    pub(crate) appended: bool,
    /// The file system refused direct writes (tmpfs, some network file systems): appends go
    /// through the page cache and an fdatasync instead.
    buffered: bool,
}

impl JournalView {
    fn reset(&mut self, generation: Option<[u8; 16]>) {
        *self = JournalView {
            generation,
            read_to: BLOCK,
            buffered: self.buffered,
            ..JournalView::default()
        };
    }

    /// Records not yet written out, as far as this handle knows.
    pub(crate) fn has_records(&self) -> bool {
        self.records > 0 || self.unclean
    }
}

fn header(generation: &[u8; 16]) -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[..16].copy_from_slice(FILE_MAGIC);
    h[16..].copy_from_slice(generation);
    h
}

fn generation_of(file_start: &[u8]) -> Option<[u8; 16]> {
    (file_start.len() >= FILE_HEADER_LEN && &file_start[..16] == FILE_MAGIC)
        .then(|| file_start[16..32].try_into().expect("16 bytes"))
}

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

impl Drop for Vault {
    /// Writes out this handle's journal records if the lock is free at once (never waits:
    /// whatever stays in the journal is written out by the next open or checkpoint).
    fn drop(&mut self) {
        if !self.journal.appended {
            return;
        }
        let Ok(lock) = self.lock_file_nowait() else {
            return;
        };
        let _ = self.checkpoint_locked();
        drop(lock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATION: [u8; 16] = [7; 16];

    /// A journal file with these records, each at a block boundary, and a reserve of zeros.
    fn file(records: &[Vec<u8>]) -> Vec<u8> {
        let mut f = header(&GENERATION).to_vec();
        for r in records {
            f.resize(align(f.len()), 0);
            f.extend_from_slice(r);
        }
        f.resize(align(f.len()) + 4096, 0);
        f
    }

    /// Where record `i` starts in [`file`].
    fn start_of(records: &[Vec<u8>], i: usize) -> usize {
        BLOCK + records[..i].iter().map(|r| align(r.len())).sum::<usize>()
    }

    fn rec_of(generation: &[u8; 16], seq: u64, n: usize) -> Vec<u8> {
        let objects: Vec<(Id, Vec<u8>)> = (0..n)
            .map(|i| {
                (
                    Id::random(),
                    (0..700).map(|j| (i * 7 + j % 251 + 1) as u8).collect(),
                )
            })
            .collect();
        let refs: Vec<(Id, &[u8])> = objects.iter().map(|(i, b)| (*i, b.as_slice())).collect();
        encode(generation, seq, &[9; 300], &refs)
    }

    fn rec(seq: u64, n: usize) -> Vec<u8> {
        rec_of(&GENERATION, seq, n)
    }

    /// Where the last record ends in [`file`].
    fn end_of(records: &[Vec<u8>]) -> usize {
        start_of(records, records.len() - 1) + records[records.len() - 1].len()
    }

    #[test]
    fn records_round_trip_up_to_the_reserve() {
        let rs_in = [rec(1, 1), rec(2, 3), rec(3, 0)];
        let f = file(&rs_in);
        let (rs, tail) = records(&f, FILE_HEADER_LEN);
        assert_eq!(tail, Tail::End);
        assert_eq!(rs.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(rs[1].objects.len(), 3);
        assert_eq!(rs[1].objects[2].1.len(), 700);
        assert_eq!(rs[0].entry, &[9u8; 300][..]);
        assert_eq!(rs[2].end, end_of(&rs_in));
        // Without a reserve (a journal that grew past it) the file's end ends them.
        let (rs, tail) = records(&f[..end_of(&rs_in)], FILE_HEADER_LEN);
        assert_eq!((rs.len(), tail), (3, Tail::End));
    }

    #[test]
    fn records_of_an_earlier_generation_do_not_frame() {
        let old = [7u8; 16];
        let rs_in = [rec_of(&old, 1, 1), rec_of(&old, 2, 1)];
        let mut f = file(&rs_in);
        // The next generation, written over the header in place, and one new record over
        // part of the first old one.
        f[..FILE_HEADER_LEN].copy_from_slice(&header(&[8; 16]));
        let new = rec_of(&[8; 16], 3, 0);
        f[BLOCK..BLOCK + new.len()].copy_from_slice(&new);
        let (rs, tail) = records(&f, FILE_HEADER_LEN);
        assert_eq!(rs.iter().map(|r| r.seq).collect::<Vec<_>>(), [3]);
        assert_eq!(tail, Tail::End, "the old records after it are not damage");
    }

    #[test]
    fn a_cut_off_or_unwritten_last_record_ends_the_records() {
        let rs_in = [rec(1, 1), rec(2, 2)];
        let f = file(&rs_in);
        let end = end_of(&rs_in);
        for cut in [1, 10, 30, 200, 900] {
            let (rs, tail) = records(&f[..end - cut], FILE_HEADER_LEN);
            assert_eq!((rs.len(), tail), (1, Tail::End), "cut {cut}");
        }
        let start = start_of(&rs_in, 1);
        for (from, to) in [
            (start, f.len()),
            (start + 600, start + 700),
            (start + 10, start + 60),
        ] {
            let mut g = f.clone();
            g[from..to].fill(0);
            let (rs, tail) = records(&g, FILE_HEADER_LEN);
            if rs.len() == 2 {
                // It frames but will not open: where it starts is where the records end.
                assert_eq!(classify(&g, rs[1].start), Tail::End);
            }
            assert_eq!(tail, Tail::End, "zeros at {from}..{to}");
        }
    }

    #[test]
    fn damage_before_other_records_is_damage() {
        let rs_in = [rec(1, 1), rec(2, 1), rec(3, 1)];
        let f = file(&rs_in);
        let second = start_of(&rs_in, 1);
        for at in [second, second + 6, second + 25] {
            let mut g = f.clone();
            g[at] ^= 0x40;
            let (rs, tail) = records(&g, FILE_HEADER_LEN);
            assert_eq!((rs.len(), tail), (1, Tail::Damaged(second)), "byte {at}");
        }
        // A record that frames but will not open, with a valid one after it.
        let (rs, _) = records(&f, FILE_HEADER_LEN);
        assert_eq!(classify(&f, rs[1].start), Tail::Damaged(rs[1].start));
        // A file that is not a journal at all.
        assert_eq!(records(b"not a journal", 0).1, Tail::Damaged(0));
        assert_eq!(records(b"", 0).1, Tail::End);
    }

    #[test]
    fn hostile_lengths_do_not_overflow() {
        let mut r = RECORD_MAGIC.to_vec();
        r.extend_from_slice(&1u64.to_le_bytes());
        r.extend_from_slice(&u32::MAX.to_le_bytes());
        r.extend_from_slice(&1u32.to_le_bytes());
        r.extend_from_slice(&[1; 16]);
        r.extend_from_slice(&u32::MAX.to_le_bytes());
        let check = header_check(&GENERATION, &r);
        r.extend_from_slice(&check);
        r.extend_from_slice(&[5; 64]);
        let f = file(&[r]);
        let (rs, tail) = records(&f, FILE_HEADER_LEN);
        assert_eq!((rs.len(), tail), (0, Tail::End));
    }

    /// Where the file system refuses direct writes (some network file systems), appends go
    /// through the page cache and an fdatasync: the same records, as durable.
    #[test]
    fn buffered_appends_where_direct_writes_are_refused() {
        use crate::{InitOptions, LockedVault, NewNote, NoteChange};
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("v");
        let pass = age::secrecy::SecretString::from("pw".to_string());
        let mut v = Vault::init(&dir, &pass, &InitOptions { work_factor: 10 }).expect("init");
        v.journal.buffered = true;
        let id = v
            .create(NewNote {
                title: "Buffered".into(),
                body: "one".into(),
                ..Default::default()
            })
            .expect("create");
        for body in ["two", "three"] {
            v.update(
                &id,
                NoteChange {
                    body: Some(body.into()),
                    ..Default::default()
                },
            )
            .expect("update");
        }
        assert!(v.journal.buffered, "kept across the journal's creation");
        assert_eq!(v.journal.records, 3);
        std::mem::forget(v); // a crash: nothing written out
        let v = LockedVault::open(&dir)
            .and_then(|l| l.unlock(&pass))
            .expect("reopen");
        assert_eq!(v.note(&id).expect("note").body, "three");
        assert!(v.verify(&mut |_| {}).expect("verify").ok());
    }
}
