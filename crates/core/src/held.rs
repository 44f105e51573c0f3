//! A folder held open by its handle, whose contents are opened one name at a time without
//! following symbolic links. For every folder someone else may write while Coffer works in it:
//! a folder remote (every contact can write one shared for messages), a folder being imported,
//! a folder being exported into. A link planted anywhere inside, even while Coffer is walking
//! it, is refused instead of being followed out of the folder. The folder itself is the one the
//! user chose and is followed once, when it is opened.

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;

/// Why a name inside a held folder could not be opened.
#[derive(Debug)]
pub enum Refused {
    /// Nothing has that name (or a folder on the way is missing).
    Missing,
    /// A symbolic link has that name: never followed.
    Link,
    /// Something other than what was asked for (a file where a folder should be, a FIFO or
    /// device where a file should be).
    WrongKind,
    Io(io::Error),
}

impl From<rustix::io::Errno> for Refused {
    fn from(e: rustix::io::Errno) -> Refused {
        Refused::Io(e.into())
    }
}

/// An open folder (see the module docs).
pub struct HeldDir {
    fd: OwnedFd,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

impl HeldDir {
    /// Opens the folder at `path` (following links in `path` itself: the user named it).
    pub fn open(path: &Path) -> io::Result<HeldDir> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(HeldDir { fd })
    }

    /// Why `name` could not be opened as a folder: a link, or something else in the way.
    fn refused_dir(&self, name: &str) -> Refused {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => Refused::Link,
            _ => Refused::WrongKind,
        }
    }

    /// The folder `name` in this one, not followed if it is a link.
    pub fn dir(&self, name: &str) -> Result<HeldDir, Refused> {
        match rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => Ok(HeldDir { fd }),
            Err(rustix::io::Errno::NOENT) => Err(Refused::Missing),
            Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => Err(self.refused_dir(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// The folder `name` in this one, created (mode 0700) when missing.
    pub fn dir_creating(&self, name: &str) -> Result<HeldDir, Refused> {
        match self.dir(name) {
            Err(Refused::Missing) => {
                match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o700)) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                self.dir(name)
            }
            other => other,
        }
    }

    /// The folder at the path `parts` below this one, each part opened without following;
    /// missing ones created when `create` is set.
    pub fn dirs<'a>(
        &self,
        parts: impl IntoIterator<Item = &'a str>,
        create: bool,
    ) -> Result<HeldDir, Refused> {
        let mut dir = HeldDir {
            fd: self.fd.try_clone().map_err(Refused::Io)?,
        };
        for part in parts {
            dir = if create {
                dir.dir_creating(part)?
            } else {
                dir.dir(part)?
            };
        }
        Ok(dir)
    }

    /// The regular file `name` in this folder, open for reading. A link, a FIFO (which would
    /// hang the open: it is opened non-blocking) or anything but a regular file is refused.
    pub fn file(&self, name: &str) -> Result<File, Refused> {
        let fd = match rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Err(Refused::Missing),
            Err(rustix::io::Errno::LOOP) => return Err(Refused::Link),
            Err(e) => return Err(e.into()),
        };
        let st = rustix::fs::fstat(&fd)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(Refused::WrongKind);
        }
        // Back to blocking reads for a regular file.
        rustix::fs::fcntl_setfl(&fd, OFlags::empty())?;
        Ok(File::from(fd))
    }

    /// The entries of this folder with their types, never followed (a link is a
    /// [`FileType::Symlink`]). Names that are not UTF-8 are returned as `Err` with their lossy
    /// form, for reporting.
    pub fn entries(&self) -> io::Result<Vec<(Result<String, String>, FileType)>> {
        let mut d = rustix::fs::Dir::read_from(&self.fd)?;
        let mut out = Vec::new();
        while let Some(entry) = d.read() {
            let entry = entry?;
            let raw = entry.file_name();
            let bytes = raw.to_bytes();
            if bytes == b"." || bytes == b".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => {
                    match rustix::fs::statat(&self.fd, raw, AtFlags::SYMLINK_NOFOLLOW) {
                        Ok(st) => FileType::from_raw_mode(st.st_mode),
                        Err(_) => continue,
                    }
                }
                t => t,
            };
            let name = match raw.to_str() {
                Ok(s) => Ok(s.to_string()),
                Err(_) => Err(raw.to_string_lossy().into_owned()),
            };
            out.push((name, kind));
        }
        Ok(out)
    }

    /// Whether anything (a link included) has the name `name` here.
    pub fn has(&self, name: &str) -> bool {
        rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW).is_ok()
    }

    /// Writes what `fill` writes into a new temp file (mode 0600) named `temp` in this folder,
    /// then renames it to `name`, so no half-written file carries its final name. The rename
    /// replaces a link at `name` itself; nothing is ever written through one.
    pub fn write_new<E>(
        &self,
        temp: &str,
        name: &str,
        fill: impl FnOnce(&mut File) -> Result<(), E>,
    ) -> Result<(), WriteError<E>> {
        let fd = rustix::fs::openat(
            &self.fd,
            temp,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| WriteError::Io(e.into()))?;
        let mut file = File::from(fd);
        let written = fill(&mut file).map_err(WriteError::Fill).and_then(|()| {
            rustix::fs::renameat(&self.fd, temp, &self.fd, name)
                .map_err(|e| WriteError::Io(e.into()))
        });
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&self.fd, temp, AtFlags::empty());
        }
        written
    }

    /// Removes the file (or link) `name`, never what a link points to; a missing one is fine.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Flushes this folder's entries to disk.
    pub fn sync(&self) -> io::Result<()> {
        rustix::fs::fsync(&self.fd)?;
        Ok(())
    }
}

/// Why [`HeldDir::write_new`] failed: creating or renaming the file, or the filling itself.
#[derive(Debug)]
pub enum WriteError<E> {
    Io(io::Error),
    Fill(E),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_are_refused_and_never_written_through() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"outside").unwrap();
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        std::fs::write(tmp.path().join("sub/a.md"), b"inside").unwrap();
        symlink(outside.path(), tmp.path().join("out")).unwrap();
        symlink(outside.path().join("secret"), tmp.path().join("sub/secret")).unwrap();
        let held = HeldDir::open(tmp.path()).unwrap();
        assert!(matches!(held.dir("out"), Err(Refused::Link)));
        assert!(matches!(held.dirs(["out"], true), Err(Refused::Link)));
        let sub = held.dir("sub").unwrap();
        assert!(matches!(sub.file("secret"), Err(Refused::Link)));
        assert!(matches!(sub.file("none"), Err(Refused::Missing)));
        assert!(matches!(held.file("sub"), Err(Refused::WrongKind)));
        let mut s = String::new();
        sub.file("a.md").unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "inside");
        // Writing over the link replaces the link; the file it pointed to is untouched.
        sub.write_new::<io::Error>("t", "secret", |f| f.write_all(b"new"))
            .unwrap();
        assert_eq!(
            std::fs::read(outside.path().join("secret")).unwrap(),
            b"outside"
        );
        assert_eq!(
            std::fs::read(tmp.path().join("sub/secret")).unwrap(),
            b"new"
        );
        let kinds: Vec<_> = held.entries().unwrap();
        assert!(kinds.contains(&(Ok("out".into()), FileType::Symlink)));
        assert!(kinds.contains(&(Ok("sub".into()), FileType::Directory)));
    }
}
