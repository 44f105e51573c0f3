//! The format's size limits (docs/FORMAT.md, "Size limits"): no file Coffer writes is larger,
//! so none is read past them, whether it is a local file or one on a remote. A file over its
//! limit is damage or was planted; it is refused before it is read, never held whole.

use crate::{Error, Result};
use std::io::Read;
use std::path::Path;

/// `coffer.toml`.
pub const CONFIG: u64 = 64 << 10;
/// `identity.age` (a few keys, passphrase-encrypted).
pub const IDENTITY: u64 = 1 << 20;
/// One log entry file (an import batch of 500 notes is about 100 KiB).
pub const LOG_ENTRY: u64 = 16 << 20;
/// The text of one note, as saved or imported.
pub const NOTE_TEXT: u64 = 64 << 20;
/// An object read whole (a note revision, a contact, a message, a conversation): the largest
/// note text, framed and encrypted, with room to spare. Attachments are streamed, never read
/// whole, and have no limit.
pub const OBJECT: u64 = NOTE_TEXT + (16 << 20);
/// A local file of this device's (the save journal, `remotes.age`, the sync state, a rotation
/// record). The journal is written out at 8 MiB, and one record holds at most 1 MiB.
pub const LOCAL_FILE: u64 = 64 << 20;

/// Reads the file at `path` whole if it is no larger than `limit`; a larger one is refused with
/// [`Error::FileTooLarge`] before anything is read (and a file that grows while it is read is
/// read no further than the limit).
pub fn read_file(path: impl AsRef<Path>, limit: u64) -> std::io::Result<Vec<u8>> {
    let path = path.as_ref();
    read_open(std::fs::File::open(path)?, limit)?.map_err(|size| too_large_io(path, size, limit))
}

/// Reads an open file whole if it is no larger than `limit`, checking its size first and
/// reading no further than the limit; a larger one gives `Ok(Err(size))` (its size, or how
/// much more than the limit it held while it was read).
pub fn read_open(file: std::fs::File, limit: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    let size = file.metadata()?.len();
    if size > limit {
        return Ok(Err(size));
    }
    let mut data = Vec::with_capacity(size as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut data)?;
    if data.len() as u64 > limit {
        return Ok(Err(data.len() as u64));
    }
    Ok(Ok(data))
}

/// An io error carrying [`Error::FileTooLarge`], so callers that map io errors keep it:
/// [`Error::io`] unwraps it back.
fn too_large_io(path: &Path, size: u64, limit: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        TooLarge(Error::FileTooLarge {
            path: path.display().to_string(),
            size,
            limit,
        }),
    )
}

/// [`Error::FileTooLarge`] inside an io error.
#[derive(Debug)]
pub(crate) struct TooLarge(pub(crate) Error);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TooLarge {}

/// [`read_file`] with its error as coffer's own, naming what was being read.
pub fn read(path: &Path, limit: u64, context: impl Into<String>) -> Result<Vec<u8>> {
    read_file(path, limit).map_err(Error::io(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_its_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let f = std::fs::File::create(&p).unwrap();
        // Sparse: 3 GB that take no disk.
        f.set_len(3 << 30).unwrap();
        let e = read(&p, IDENTITY, "reading big").expect_err("refused");
        assert_eq!(e.code(), "file_too_large", "{e}");
        assert!(e.to_string().contains("3221225472 bytes"), "{e}");
        std::fs::write(&p, b"small").unwrap();
        assert_eq!(read(&p, IDENTITY, "reading small").unwrap(), b"small");
    }
}
