//! The journal file's format: a header, then records at block boundaries, each framed and
//! checked; what ends the records (a cut-off write, the reserve, damage).

use super::*;

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
pub(super) const MAX_OBJECTS: usize = 1 << 16;
/// Fixed part of a record header: magic, seq, entry length, object count.
pub(super) const FIXED: usize = 4 + 8 + 4 + 4;
/// Per object in the header: id and length.
pub(super) const PER_OBJECT: usize = 16 + 4;
/// The header's check: the first 8 bytes of the SHA-256 of the header before it.
pub(super) const CHECK: usize = 8;
/// Records start at multiples of this many bytes (the first after the file header's block), so
/// that each append is whole blocks, written straight to the disk (O_DIRECT | O_DSYNC).
pub const BLOCK: usize = 4096;

/// `n` rounded up to a whole number of blocks.
pub(super) fn align(n: usize) -> usize {
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

pub(super) fn sealed_len(o: &NewObject) -> usize {
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
pub(super) enum Bad {
    /// The file ends inside it.
    Short,
    /// Its bytes are not a record header.
    Garbled,
}

/// A record header's check: it binds the header to the journal generation it was written in,
/// so records of earlier generations (left in the file's reused space) never frame.
pub(super) fn header_check(generation: &[u8; 16], header: &[u8]) -> [u8; CHECK] {
    let mut h = Sha256::new();
    h.update(generation);
    h.update(header);
    h.finalize()[..CHECK].try_into().expect("8 bytes")
}

pub(super) fn le_u32(b: &[u8]) -> usize {
    u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize
}

/// Reads the record of generation `generation` framed at `at`.
pub(super) fn frame<'a>(
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
pub(super) fn write_direct(path: &Path, data: &[u8], at: u64) -> std::io::Result<()> {
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
pub(super) fn write_direct(_path: &Path, _data: &[u8], _at: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// A zeroed buffer whose start is aligned to a block, as direct writes need.
pub(super) struct Aligned {
    pub(super) bytes: Vec<u8>,
    pub(super) start: usize,
    pub(super) len: usize,
}

impl Aligned {
    pub(super) fn zeroed(len: usize) -> Aligned {
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
pub(super) enum Next {
    SameFile,
    NewFile,
}

/// Bytes read where a handle stopped reading, to see whether a new record begins there.
pub(super) const PEEK: usize = 4096;

/// What `verify` found in the journal.
#[derive(Default)]
pub(crate) struct JournalCheck {
    /// Entries continuing this device's log, in order.
    pub entries: Vec<crate::log::LogEntry>,
    /// The objects their records hold.
    pub objects: HashMap<Id, Vec<u8>>,
    pub problem: Option<String>,
}

/// The save journal as a vault handle knows it: how far it has read it, and the objects and
/// entries of records that may not be written out yet (so reads find them meanwhile).
#[derive(Default)]
pub(crate) struct Journal {
    /// The generation read so far (`None`: no journal file seen).
    pub(super) generation: Option<[u8; 16]>,
    /// Bytes of that generation read (its header and whole records).
    pub(super) read_to: usize,
    /// The file ended in a torn or damaged record when last read (a checkpoint must clear it
    /// before the next append).
    pub(super) unclean: bool,
    /// Records in this generation, and their bytes.
    pub(crate) records: usize,
    /// Objects of records read or appended, until a checkpoint writes them out.
    pub(crate) objects: HashMap<Id, Vec<u8>>,
    /// This device's entries in those records, by sequence number.
    pub(crate) entries: BTreeMap<u64, Vec<u8>>,
    /// This handle appended records that no checkpoint has written out since.
    pub(crate) appended: bool,
    /// The file system refused direct writes (tmpfs, some network file systems): appends go
    /// through the page cache and an fdatasync instead.
    pub(crate) buffered: bool,
    /// The SHA-256 of each log entry file a checkpoint of this handle wrote, by sequence
    /// number, until the vault takes them ([`Self::take_written`]) for the scrub.
    pub(crate) written: Vec<(u64, [u8; 32])>,
}

impl Journal {
    pub(super) fn reset(&mut self, generation: Option<[u8; 16]>) {
        *self = Journal {
            generation,
            read_to: BLOCK,
            buffered: self.buffered,
            written: std::mem::take(&mut self.written),
            ..Journal::default()
        };
    }

    /// The hashes of the log entry files written out since the last call.
    pub(crate) fn take_written(&mut self) -> Vec<(u64, [u8; 32])> {
        std::mem::take(&mut self.written)
    }

    /// Records not yet written out, as far as this handle knows.
    pub(crate) fn has_records(&self) -> bool {
        self.records > 0 || self.unclean
    }
}

pub(super) fn header(generation: &[u8; 16]) -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[..16].copy_from_slice(FILE_MAGIC);
    h[16..].copy_from_slice(generation);
    h
}

pub(super) fn generation_of(file_start: &[u8]) -> Option<[u8; 16]> {
    (file_start.len() >= FILE_HEADER_LEN && &file_start[..16] == FILE_MAGIC)
        .then(|| file_start[16..32].try_into().expect("16 bytes"))
}
