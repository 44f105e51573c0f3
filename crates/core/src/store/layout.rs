//! Where things are in a vault folder, and this device's id.

use crate::fsutil::write_atomic;
use crate::log::entry_file_name;
use crate::{Error, Id, Result};
use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;

/// Paths inside a vault folder.
#[derive(Clone, Debug)]
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn config(&self) -> PathBuf {
        self.root.join("coffer.toml")
    }
    pub fn identity(&self) -> PathBuf {
        self.root.join("identity.age")
    }
    pub fn objects(&self) -> PathBuf {
        self.root.join("objects")
    }
    pub fn object(&self, id: &Id) -> PathBuf {
        self.objects().join(id.shard()).join(format!("{id}.age"))
    }
    pub fn logs(&self) -> PathBuf {
        self.root.join("log")
    }
    pub fn log_dir(&self, device: &Id) -> PathBuf {
        self.logs().join(device.to_string())
    }
    pub fn log_entry(&self, device: &Id, seq: u64) -> PathBuf {
        self.log_dir(device).join(entry_file_name(seq))
    }
    pub fn local(&self) -> PathBuf {
        self.root.join("local")
    }
    pub fn device(&self) -> PathBuf {
        self.local().join("device")
    }
    pub fn lock(&self) -> PathBuf {
        self.local().join("lock")
    }
    pub fn snapshot(&self) -> PathBuf {
        self.local().join("snapshot.age")
    }
}

/// This device's id (`local/device`), made on first use.
pub(crate) fn load_or_create_device(layout: &Layout) -> Result<Id> {
    if let Some(id) = read_device(layout)? {
        return Ok(id);
    }
    let id = Id::random();
    write_atomic(&layout.device(), format!("{id}\n").as_bytes())?;
    Ok(id)
}

/// This device's id (`local/device`), if it has one yet.
pub(crate) fn read_device(layout: &Layout) -> Result<Option<Id>> {
    match fs::read_to_string(layout.device()) {
        Ok(s) => s.trim().parse().map(Some),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("reading local/device")(e)),
    }
}
