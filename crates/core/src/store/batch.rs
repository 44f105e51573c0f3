//! A batch of changes on its way to the disk: the objects it adds, and how they are placed.

use super::Layout;
use crate::fsutil;
use crate::log::{ObjectKind, Purge};
use crate::note::Revision;
use crate::{Error, Id, Result};
use std::collections::HashSet;
use std::fs::{self, File};
use std::path::PathBuf;

/// A new object ready to be committed: its ciphertext in memory or in a finished temp file.
pub(crate) enum Sealed {
    Bytes(Vec<u8>),
    TempFile(PathBuf),
}

pub(crate) struct NewObject {
    pub id: Id,
    pub kind: ObjectKind,
    pub sealed: Sealed,
    pub sha256: String,
}

/// A batch of changes: objects to add, notes to purge, revisions to apply to the state.
#[derive(Default)]
pub(crate) struct Batch {
    pub objects: Vec<NewObject>,
    pub revisions: Vec<Revision>,
    pub purged: Vec<Purge>,
    /// A change to the roster of devices, carried by the batch's entry.
    pub roster: Option<crate::roster::RosterEvent>,
}

/// Writes a batch's objects at their final names and syncs them and their folders (one round
/// of waiting for the disk). Returns the paths placed so far, also on failure, so the caller
/// can remove them again.
pub(crate) fn place_objects(layout: &Layout, objects: &[NewObject]) -> (Vec<PathBuf>, Result<()>) {
    let mut placed = Vec::with_capacity(objects.len());
    let mut files = Vec::with_capacity(objects.len());
    let mut dirs = HashSet::new();
    let written = objects.iter().try_for_each(|obj| {
        let path = layout.object(&obj.id);
        dirs.insert(path.parent().expect("objects have a folder").to_path_buf());
        match &obj.sealed {
            Sealed::Bytes(ct) => {
                files.push(fsutil::create_new(&path, ct)?);
                placed.push(path);
            }
            Sealed::TempFile(tmp) => {
                fs::rename(tmp, &path)
                    .map_err(Error::io(format!("renaming into {}", path.display())))?;
                // In place from here: removed again if anything later fails.
                placed.push(path);
                let path = placed.last().expect("just placed");
                files.push(
                    File::open(path).map_err(Error::io(format!("opening {}", path.display())))?,
                );
            }
        }
        Ok(())
    });
    let synced = written.and_then(|()| {
        let items: Vec<fsutil::ToSync<'_>> = files
            .iter()
            .zip(&placed)
            .map(|(f, p)| fsutil::ToSync::File(f, p))
            .chain(dirs.iter().map(|d| fsutil::ToSync::Dir(d)))
            .collect();
        fsutil::sync_all(&items)
    });
    (placed, synced)
}
