//! A durable save against bare writes of the same size.

use crate::notegen::NoteGen;
use crate::stats::{Summary, ms};
use crate::sys::peak_rss_mib;
use anyhow::{Context, Result};
use coffer_core::{LockedVault, NoteChange, NoteFilter};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::Path;
use std::time::Instant;

use super::common::*;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SaveResult {
    pub saves: usize,
    pub body_bytes: usize,
    /// `Vault::update` of one note's body: durable when it returns (one record appended to the
    /// save journal and synced; the object and log entry files come at the checkpoint).
    pub update: Summary,
    /// The checkpoint after the saves: writing all of them out as object and log entry files.
    #[serde(default)]
    pub checkpoint_ms: f64,
    /// 4 KiB: temp file, write, fsync, rename.
    pub bare: Summary,
    /// The same plus an fsync of the folder (what makes the rename durable).
    pub bare_dir: Summary,
    /// Two of `bare_dir` in two folders: the least an object plus a log entry can cost.
    pub two_bare_dir: Summary,
    /// The disk work of a save written as two files, as a checkpoint or a save that does not
    /// go to the journal does it, without encryption, signing or state: an object and a temp
    /// file written, both and the object's folder synced in parallel, the temp renamed into
    /// another folder, that folder synced.
    #[serde(default)]
    pub commit_disk: Summary,
    pub peak_rss_mib: f64,
}

/// The disk pattern of a commit (see [`SaveResult::commit_disk`]), with threads as the vault
/// uses them: the object side on a second thread, the entry on this one.
fn commit_disk(objects: &Path, log: &Path, i: usize, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let create = |p: &Path| -> Result<fs::File> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(p)?;
        f.write_all(data)?;
        Ok(f)
    };
    let tmp = log.join(format!(".tmp-{i}"));
    std::thread::scope(|s| -> Result<()> {
        let object = s.spawn(|| -> Result<()> {
            let f = create(&objects.join(format!("{i}.age")))?;
            let dir = s.spawn(|| fs::File::open(objects)?.sync_all());
            f.sync_all()?;
            dir.join().expect("no panic")?;
            Ok(())
        });
        create(&tmp)?.sync_all()?;
        object.join().expect("no panic")
    })?;
    fs::rename(&tmp, log.join(format!("{i}.age")))?;
    fs::File::open(log)?.sync_all()?;
    Ok(())
}

fn bare_write(dir: &Path, i: usize, data: &[u8], sync_dir: bool) -> Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!(".tmp-{i}"));
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, dir.join(format!("{i}.bin")))?;
    if sync_dir {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Durable save latency: `Vault::update` of a ~4 KiB note against bare durable writes of
/// 4 KiB in folders of the same vault, interleaved so that all see the same disk.
pub fn save(paths: &Paths, saves: usize, seed: u64) -> Result<SaveResult> {
    warm_cache(paths)?;
    let mut vault = LockedVault::open(&paths.vault())?.unlock(&passphrase())?;
    // As in the app: the search index exists and is kept up to date by every save.
    vault.search("warm", 1);
    let id = vault
        .list(&NoteFilter::default())
        .first()
        .map(|s| s.id)
        .context("the vault has no notes")?;
    let mut g = NoteGen::new(seed ^ 0x5a7e);
    let bodies: Vec<String> = (0..saves).map(|_| g.body(4096)).collect();
    let body_bytes = bodies.iter().map(String::len).sum::<usize>() / saves.max(1);
    let data = bodies
        .first()
        .map(|b| b.as_bytes().to_vec())
        .unwrap_or_default();
    let data = &data[..data.len().min(4096)];
    let bare_root = paths.vault().join("bench-bare");
    let dirs = [
        bare_root.join("a"),
        bare_root.join("b"),
        bare_root.join("c"),
        bare_root.join("objects"),
        bare_root.join("log"),
    ];
    for d in &dirs {
        fs::create_dir_all(d)?;
    }
    let (mut upd, mut bare, mut bare_dir, mut two, mut disk) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (i, body) in bodies.into_iter().enumerate() {
        let t = Instant::now();
        vault.update(
            &id,
            NoteChange {
                body: Some(body),
                ..NoteChange::default()
            },
        )?;
        upd.push(ms(t.elapsed()));
        let t = Instant::now();
        bare_write(&dirs[0], i, data, false)?;
        bare.push(ms(t.elapsed()));
        let t = Instant::now();
        bare_write(&dirs[0], saves + i, data, true)?;
        bare_dir.push(ms(t.elapsed()));
        let t = Instant::now();
        bare_write(&dirs[1], i, data, true)?;
        bare_write(&dirs[2], i, data, true)?;
        two.push(ms(t.elapsed()));
        let t = Instant::now();
        commit_disk(&dirs[3], &dirs[4], i, data)?;
        disk.push(ms(t.elapsed()));
    }
    let t = Instant::now();
    vault.checkpoint()?;
    let checkpoint_ms = ms(t.elapsed());
    vault.save_snapshot_if_stale()?;
    fs::remove_dir_all(&bare_root)?;
    Ok(SaveResult {
        saves,
        body_bytes,
        update: Summary::of(&upd),
        checkpoint_ms,
        bare: Summary::of(&bare),
        bare_dir: Summary::of(&bare_dir),
        two_bare_dir: Summary::of(&two),
        commit_disk: Summary::of(&disk),
        peak_rss_mib: peak_rss_mib(),
    })
}
