//! Durable file writes: a crash at any instant leaves the old file or the new one, never a mix.

use crate::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Prefix of temporary files; anything starting with it is debris of an interrupted write.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Writes `data` to `path` atomically and durably: temp file in the same folder, fsync,
/// rename over the target, fsync of the folder.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().expect("a file path has a parent");
    fs::create_dir_all(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
    let tmp = temp_path(dir);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(Error::io(format!("creating {}", tmp.display())))?;
        f.write_all(data)
            .map_err(Error::io(format!("writing {}", path.display())))?;
        f.sync_all()
            .map_err(Error::io(format!("syncing {}", path.display())))?;
        drop(f);
        fs::rename(&tmp, path).map_err(Error::io(format!("renaming into {}", path.display())))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Moves a finished temp file into place durably (for files written by streaming).
pub fn commit_temp(tmp: &Path, path: &Path) -> Result<()> {
    let dir = path.parent().expect("a file path has a parent");
    fs::create_dir_all(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
    File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(Error::io(format!("syncing {}", tmp.display())))?;
    fs::rename(tmp, path).map_err(Error::io(format!("renaming into {}", path.display())))?;
    sync_dir(dir)
}

/// A fresh temporary path inside `dir` (not created).
pub fn temp_path(dir: &Path) -> PathBuf {
    dir.join(format!("{TEMP_PREFIX}{}", crate::Id::random()))
}

/// fsync of a folder, so a rename inside it survives a power cut.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(format!("syncing folder {}", dir.display())))
}

/// Creates a file readable only by its owner (for exported secrets).
pub fn create_private(path: &Path) -> Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .map_err(Error::io(format!("creating {}", path.display())))
}
