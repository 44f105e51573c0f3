//! The vault's write lock, as a value: whoever holds a [`WriteLock`] may write the vault.

use super::Layout;
use crate::{Error, Result};
use std::fs::File;

/// An exclusive lock on `local/lock`, released when dropped.
pub(crate) struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Takes the lock, waiting for it.
    pub(crate) fn take(layout: &Layout) -> Result<WriteLock> {
        let f = open(layout)?;
        f.lock().map_err(Error::io("locking the vault"))?;
        Ok(WriteLock { _file: f })
    }

    /// Takes the lock if no other handle holds it now (never waits).
    pub(crate) fn try_take(layout: &Layout) -> Result<WriteLock> {
        let f = open(layout)?;
        f.try_lock().map_err(|_| Error::VaultBusy)?;
        Ok(WriteLock { _file: f })
    }
}

fn open(layout: &Layout) -> Result<File> {
    let path = layout.lock();
    crate::fsutil::create_dirs(&layout.local()).map_err(Error::io("creating local/"))?;
    let mut opts = File::options();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(&path)
        .map_err(Error::io(format!("opening {}", path.display())))
}
