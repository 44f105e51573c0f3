//! A folder remote that never follows a symbolic link. Anyone who can write the folder (every
//! contact, for a folder shared for messages) can plant links in it; a link followed would let
//! them make Coffer read, list, overwrite or delete files elsewhere. So every path is walked
//! from a held handle of the remote's root, one component at a time, each opened with
//! `O_NOFOLLOW`: a link anywhere on the way is [`Error::RemoteLink`], and listings skip links
//! (only real folders and regular files are listed). The root itself is the one the user chose
//! and is followed once, when the remote is opened.
//!
//! Files are written as a temp file in the same folder renamed into place, so a reader never
//! sees half a file (as before, they are not fsynced: a folder remote is a copy of the vault).

use super::contract::{Remote, check_size};
use crate::held::{HeldDir, Refused, WriteError};
use crate::{Error, Result};
use rustix::fs::FileType;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Temp files of an interrupted upload start with this; listings skip them.
const TEMP_PREFIX: &str = ".coffer-tmp-";

/// Listings go no deeper than this many folders (the format's deepest key has three parts).
const MAX_DEPTH: usize = 8;

/// A folder remote (see the module docs).
pub struct FolderRemote {
    root: HeldDir,
    display: String,
    requests: AtomicU64,
}

impl FolderRemote {
    /// Opens (and creates, mode 0700, if absent) the folder at `path`.
    pub fn open(path: &Path, display: String) -> Result<FolderRemote> {
        let creating = || Error::io(format!("creating the remote folder {}", path.display()));
        crate::fsutil::create_dirs(path).map_err(creating())?;
        let root = HeldDir::open(path).map_err(creating())?;
        Ok(FolderRemote {
            root,
            display,
            requests: AtomicU64::new(0),
        })
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    fn failed(&self, what: &str, key: &str, e: std::io::Error) -> Error {
        Error::Remote {
            remote: self.display.clone(),
            reason: format!("{what} {key}: {e}"),
        }
    }

    /// The error for a name under `key` that could not be opened; `None` for a missing one.
    fn refused(&self, what: &str, key: &str, r: Refused) -> Option<Error> {
        match r {
            Refused::Missing => None,
            Refused::Link => Some(Error::RemoteLink {
                remote: self.display.clone(),
                key: key.to_string(),
            }),
            Refused::WrongKind => Some(self.failed(
                what,
                key,
                std::io::Error::other("not a regular file or folder as the format has there"),
            )),
            Refused::Io(e) => Some(self.failed(what, key, e)),
        }
    }

    /// The folders of `key`'s path (all of it for a folder key), opened without following
    /// links; `None` if one is missing and `create` is false.
    fn open_dirs(&self, key: &str, parts: &[&str], create: bool) -> Result<Option<HeldDir>> {
        match self.root.dirs(parts.iter().copied(), create) {
            Ok(d) => Ok(Some(d)),
            Err(r) => self.refused("opening", key, r).map_or(Ok(None), Err),
        }
    }

    /// Opens the regular file at `key` for reading; `None` if it (or a folder on the way) is
    /// missing. A link or anything but a regular file is refused.
    fn open_file(&self, key: &str) -> Result<Option<File>> {
        let (dirs, name) = split(key).ok_or_else(|| self.bad_key(key))?;
        let Some(dir) = self.open_dirs(key, &dirs, false)? else {
            return Ok(None);
        };
        match dir.file(name) {
            Ok(f) => Ok(Some(f)),
            Err(r) => self.refused("reading", key, r).map_or(Ok(None), Err),
        }
    }

    fn bad_key(&self, key: &str) -> Error {
        self.failed("using", key, std::io::Error::other("not a valid key"))
    }

    /// Writes what `fill` writes into a temp file beside `key`, then renames it into place.
    fn write_with(&self, key: &str, fill: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
        let (dirs, name) = split(key).ok_or_else(|| self.bad_key(key))?;
        let dir = self
            .open_dirs(key, &dirs, true)?
            .expect("created when missing");
        let tmp = format!("{TEMP_PREFIX}{}", crate::Id::random());
        dir.write_new(&tmp, name, fill).map_err(|e| match e {
            WriteError::Io(e) => self.failed("writing", key, e),
            WriteError::Fill(e) => e,
        })
    }

    /// Every regular file under `dir` (at `prefix`), links and temp files skipped.
    fn walk(&self, dir: &HeldDir, prefix: &str, depth: usize, out: &mut Vec<String>) -> Result<()> {
        for (name, kind) in self.entries(dir, prefix)? {
            let key = join(prefix, &name);
            match kind {
                FileType::RegularFile if !name.starts_with(TEMP_PREFIX) => out.push(key),
                FileType::Directory if depth < MAX_DEPTH => {
                    // Opened without following: if it was swapped for a link since it was
                    // listed, it is skipped like any link.
                    match dir.dir(&name) {
                        Ok(sub) => self.walk(&sub, &key, depth + 1, out)?,
                        Err(Refused::Io(e)) => return Err(self.failed("listing", &key, e)),
                        Err(_) => {}
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The entries of `dir` whose names are valid keys, with their types (never followed).
    fn entries(&self, dir: &HeldDir, prefix: &str) -> Result<Vec<(String, FileType)>> {
        let listed = dir
            .entries()
            .map_err(|e| self.failed("listing", prefix, e))?;
        Ok(listed
            .into_iter()
            .filter_map(|(name, kind)| name.ok().filter(|n| valid_part(n)).map(|n| (n, kind)))
            .collect())
    }

    fn list_folder(&self, prefix: &str) -> Result<Option<HeldDir>> {
        let parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
        if parts.iter().any(|p| !valid_part(p)) {
            return Err(self.bad_key(prefix));
        }
        self.open_dirs(prefix, &parts, false)
    }
}

/// `key` split into its folders and its file name; `None` unless every part is a plain name.
fn split(key: &str) -> Option<(Vec<&str>, &str)> {
    let mut parts: Vec<&str> = key.split('/').collect();
    let name = parts.pop()?;
    (valid_part(name) && parts.iter().all(|p| valid_part(p))).then_some((parts, name))
}

/// A name that is a key part: not empty, not `.` or `..`, no NUL or backslash.
fn valid_part(p: &str) -> bool {
    !p.is_empty() && p != "." && p != ".." && !p.contains(['\0', '\\', '/'])
}

fn join(prefix: &str, name: &str) -> String {
    let p = prefix.trim_end_matches('/');
    if p.is_empty() {
        name.to_string()
    } else {
        format!("{p}/{name}")
    }
}

/// Reads at most `limit` bytes of `file`; more is [`Error::RemoteFileTooLarge`].
fn read_capped(remote: &FolderRemote, key: &str, file: File, limit: u64) -> Result<Vec<u8>> {
    match crate::limits::read_open(file, limit).map_err(|e| remote.failed("reading", key, e))? {
        Ok(data) => Ok(data),
        Err(size) => Err(Error::RemoteFileTooLarge {
            remote: remote.display.clone(),
            key: key.to_string(),
            size,
            limit,
        }),
    }
}

impl Remote for FolderRemote {
    fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        self.count();
        match self.open_file(key)? {
            Some(file) => read_capped(self, key, file, limit).map(Some),
            None => Ok(None),
        }
    }

    fn put(&self, key: &str, data: &[u8]) -> Result<()> {
        self.count();
        self.write_with(key, |f| {
            f.write_all(data)
                .map_err(|e| self.failed("writing", key, e))
        })
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.count();
        let (dirs, name) = split(key).ok_or_else(|| self.bad_key(key))?;
        let Some(dir) = self.open_dirs(key, &dirs, false)? else {
            return Ok(());
        };
        // Removes a link itself, never what it points to; a folder is refused.
        dir.remove(name)
            .map_err(|e| self.failed("deleting", key, e))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.count();
        let Some(dir) = self.list_folder(prefix)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        self.walk(&dir, prefix.trim_matches('/'), 0, &mut out)?;
        Ok(out)
    }

    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        self.count();
        let Some(dir) = self.list_folder(prefix)? else {
            return Ok(Vec::new());
        };
        Ok(self
            .entries(&dir, prefix)?
            .into_iter()
            .filter(|(_, kind)| *kind == FileType::Directory)
            .map(|(name, _)| name)
            .collect())
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn describe(&self) -> String {
        self.display.clone()
    }

    fn get_to_file(&self, key: &str, to: &Path, limit: u64) -> Result<Option<String>> {
        self.count();
        let Some(file) = self.open_file(key)? else {
            return Ok(None);
        };
        let size = file
            .metadata()
            .map_err(|e| self.failed("reading", key, e))?
            .len();
        check_size(&self.display, key, size, limit)?;
        let creating = || Error::io(format!("creating {}", to.display()));
        let mut out = crate::fsutil::new_private_file()
            .open(to)
            .map_err(creating())?;
        let copied = (|| {
            let mut hash = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            let mut from = file.take(limit.saturating_add(1));
            let mut total = 0u64;
            loop {
                let n = from
                    .read(&mut buf)
                    .map_err(|e| self.failed("reading", key, e))?;
                if n == 0 {
                    return Ok(hex::encode(hash.finalize()));
                }
                total += n as u64;
                check_size(&self.display, key, total, limit)?;
                hash.update(&buf[..n]);
                out.write_all(&buf[..n])
                    .map_err(Error::io(format!("writing {}", to.display())))?;
            }
        })();
        if copied.is_err() {
            let _ = std::fs::remove_file(to);
        }
        copied.map(Some)
    }

    fn put_file(&self, key: &str, from: &Path) -> Result<()> {
        self.count();
        let mut src = File::open(from).map_err(Error::io(format!("reading {}", from.display())))?;
        self.write_with(key, |f| {
            std::io::copy(&mut src, f)
                .map(|_| ())
                .map_err(|e| self.failed("writing", key, e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn remote(dir: &Path) -> FolderRemote {
        FolderRemote::open(dir, dir.display().to_string()).unwrap()
    }

    #[test]
    fn files_round_trip_and_list() {
        let d = tempfile::tempdir().unwrap();
        let r = remote(&d.path().join("remote"));
        r.put("log/a/1.age", b"one").unwrap();
        r.put("log/b/2.age", b"two").unwrap();
        r.put("coffer.toml", b"t").unwrap();
        assert_eq!(r.get("log/a/1.age", 10).unwrap().unwrap(), b"one");
        assert_eq!(r.get("log/a/9.age", 10).unwrap(), None);
        assert_eq!(r.get("nothing/9.age", 10).unwrap(), None);
        let mut all = r.list("log/").unwrap();
        all.sort();
        assert_eq!(all, ["log/a/1.age", "log/b/2.age"]);
        let mut dirs = r.list_dirs("log/").unwrap();
        dirs.sort();
        assert_eq!(dirs, ["a", "b"]);
        assert!(r.list("inbox/").unwrap().is_empty());
        r.delete("log/a/1.age").unwrap();
        r.delete("log/a/1.age").unwrap();
        assert_eq!(r.list("log/a").unwrap(), Vec::<String>::new());
        let e = r.get("log/b/2.age", 2).expect_err("too large");
        assert_eq!(e.code(), "remote_file_too_large", "{e}");
        for bad in ["../x", "log/../x", "/x", "log//x", "a\\b"] {
            assert!(r.get(bad, 10).is_err(), "{bad}");
            assert!(r.put(bad, b"x").is_err(), "{bad}");
        }
        // Permissions do not follow the umask.
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&d.path().join("remote/log/b/2.age")), 0o600);
        assert_eq!(mode(&d.path().join("remote/log/b")), 0o700);
    }

    #[test]
    fn links_are_never_followed() {
        let d = tempfile::tempdir().unwrap();
        let outside = d.path().join("outside");
        std::fs::create_dir_all(outside.join("sub")).unwrap();
        std::fs::write(outside.join("victim.age"), b"keep").unwrap();
        std::fs::write(outside.join("sub/victim.age"), b"keep").unwrap();
        let root = d.path().join("remote");
        let r = remote(&root);
        std::fs::create_dir_all(root.join("inbox")).unwrap();
        symlink(&outside, root.join("inbox/me")).unwrap();
        symlink(outside.join("victim.age"), root.join("file.age")).unwrap();
        std::fs::create_dir_all(root.join("log/dev")).unwrap();
        symlink(outside.join("victim.age"), root.join("log/dev/1.age")).unwrap();
        symlink(&outside, root.join("log/linked")).unwrap();

        for e in [
            r.list("inbox/me/").expect_err("a linked folder"),
            r.get("inbox/me/victim.age", 10)
                .expect_err("through a link"),
            r.get("file.age", 10).expect_err("a linked file"),
            r.put("inbox/me/new.age", b"x").expect_err("through a link"),
            r.delete("inbox/me/victim.age").expect_err("through a link"),
        ] {
            assert_eq!(e.code(), "remote_link", "{e}");
        }
        // Listings skip links, files and folders alike.
        assert!(r.list("log/").unwrap().is_empty());
        assert_eq!(r.list_dirs("log/").unwrap(), ["dev"]);
        assert_eq!(r.list_dirs("inbox/").unwrap(), Vec::<String>::new());
        // Deleting a linked file removes the link, never its target; a put replaces the link.
        r.delete("log/dev/1.age").unwrap();
        r.put("file.age", b"new").unwrap();
        assert_eq!(std::fs::read(outside.join("victim.age")).unwrap(), b"keep");
        assert_eq!(
            std::fs::read(outside.join("sub/victim.age")).unwrap(),
            b"keep"
        );
        assert_eq!(r.get("file.age", 10).unwrap().unwrap(), b"new");
    }

    #[test]
    fn a_fifo_is_refused_without_hanging() {
        let d = tempfile::tempdir().unwrap();
        let r = remote(d.path());
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            d.path().join("f.age"),
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        assert!(r.get("f.age", 10).is_err());
        assert!(r.list("").unwrap().is_empty());
    }
}
