//! What every remote does: one small blocking trait, [`Remote`], and the size check every
//! download makes.

use crate::{Error, Result};
use std::io::Write;
use std::path::Path;

/// A place that holds a copy of a vault's files. Every method is one request to the remote
/// (a listing may be paged by the server; it is still counted once).
pub trait Remote {
    /// The bytes at `key`, or `None` if there is nothing there. A file larger than `limit` is
    /// [`Error::RemoteFileTooLarge`], and no more than `limit` bytes of it are read.
    fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>>;
    /// Writes `data` at `key` (replacing what was there).
    fn put(&self, key: &str, data: &[u8]) -> Result<()>;
    /// Removes `key`; absent keys are no error.
    fn delete(&self, key: &str) -> Result<()>;
    /// Every key under `prefix` (recursively).
    fn list(&self, prefix: &str) -> Result<Vec<String>>;
    /// The names of the folders directly under `prefix` (one level, one request).
    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>>;
    /// Requests made so far.
    fn requests(&self) -> u64;
    /// The remote for messages: its URL without credentials.
    fn describe(&self) -> String;

    /// Several GETs (one request each, up to [`CONCURRENCY`] at once where the remote allows);
    /// the results are in the order of `keys`.
    fn get_many(&self, keys: &[String], limit: u64) -> Vec<Result<Option<Vec<u8>>>> {
        keys.iter().map(|k| self.get(k, limit)).collect()
    }
    /// Several PUTs (one request each, several at once where the remote allows); the first
    /// failure is returned once every upload started has ended.
    fn put_many(&self, items: &[(String, Vec<u8>)]) -> Result<()> {
        items.iter().try_for_each(|(k, d)| self.put(k, d))
    }
    /// Streams the bytes at `key` into a new file `to` (never held whole in memory); returns
    /// the hex SHA-256 of what was written, or `None` if there is nothing at `key`. On failure
    /// (a file larger than `limit` among them) `to` is removed.
    fn get_to_file(&self, key: &str, to: &Path, limit: u64) -> Result<Option<String>> {
        let Some(data) = self.get(key, limit)? else {
            return Ok(None);
        };
        crate::fsutil::new_private_file()
            .open(to)
            .and_then(|mut f| f.write_all(&data))
            .map_err(Error::io(format!("writing {}", to.display())))?;
        Ok(Some(crate::crypto::sha256_hex(&data)))
    }
    /// Uploads the file at `from` to `key`, in parts where the remote allows it (S3, folder),
    /// so a large attachment is never held whole in memory. WebDAV has no partial upload:
    /// there the file is sent in one request (and held in memory while it is sent).
    fn put_file(&self, key: &str, from: &Path) -> Result<()> {
        let data = std::fs::read(from).map_err(Error::io(format!("reading {}", from.display())))?;
        self.put(key, &data)
    }
}

/// Refuses a file of `size` bytes (announced or read so far) over `limit`.
pub(crate) fn check_size(remote: &str, key: &str, size: u64, limit: u64) -> Result<()> {
    if size > limit {
        return Err(Error::RemoteFileTooLarge {
            remote: remote.to_string(),
            key: key.to_string(),
            size,
            limit,
        });
    }
    Ok(())
}

/// Requests a remote runs at once in [`Remote::get_many`] and [`Remote::put_many`].
pub const CONCURRENCY: usize = 16;

/// Files larger than this go up in parts of this size ([`Remote::put_file`]).
pub const PART_SIZE: usize = 8 << 20;
