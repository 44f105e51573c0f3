//! Opening a vault, with and without the snapshot cache.

use crate::stats::{median, ms};
use crate::sys::peak_rss_mib;
use anyhow::{Context, Result, bail};
use coffer_core::internals::{BODIES_MAGIC, SNAPSHOT_MAGIC, State};
use coffer_core::{Id, LockedVault, NoteFilter, crypto};
use serde::{Deserialize, Serialize};
use std::fs;
use std::time::Instant;

use super::common::*;

/// Where an open with the snapshot spends its time, measured by repeating its steps here:
/// `snapshot.age` (read before unlock returns) and `bodies.age` (read in the background).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SnapshotBreakdown {
    pub bytes: u64,
    pub read_ms: f64,
    pub decrypt_ms: f64,
    /// LZ4 decompression and postcard decoding.
    pub deserialize_ms: f64,
    #[serde(default)]
    pub bodies_bytes: u64,
    #[serde(default)]
    pub bodies_read_ms: f64,
    #[serde(default)]
    pub bodies_decrypt_ms: f64,
    #[serde(default)]
    pub bodies_deserialize_ms: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OpenResult {
    pub with_snapshot: bool,
    /// The scrypt decrypt of identity.age alone (median), subtracted from each unlock.
    pub kdf_ms: f64,
    pub unlock_runs_ms: Vec<f64>,
    /// Unlock minus the KDF.
    pub open_runs_ms: Vec<f64>,
    pub open_ms: f64,
    /// From the start of the unlock (KDF excluded) until: the first `list()` returned, the
    /// first `note()` returned (it waits for the bodies), the first search returned (it waits
    /// for the index). Medians.
    #[serde(default)]
    pub listed_ms: f64,
    #[serde(default)]
    pub bodies_ready_ms: f64,
    #[serde(default)]
    pub index_ready_ms: f64,
    pub notes: usize,
    /// Opening without a snapshot rewrites it when 32 or more log entries were replayed.
    pub rewrote_snapshot: bool,
    pub breakdown: Option<SnapshotBreakdown>,
    pub peak_rss_mib: f64,
}

/// The plaintext layouts of the snapshot's two files (crates/core/src/snapshot.rs),
/// to time their decoding.
#[derive(Deserialize)]
pub(super) struct SnapshotMirror {
    _format: u32,
    _vault: Id,
    _bodies: Id,
    pub(super) state: State,
}

#[derive(Deserialize)]
pub(super) struct BodiesMirror {
    _format: u32,
    _vault: Id,
    _generation: Id,
    pub(super) bodies: Vec<(Id, String)>,
}

/// Unpacks a decrypted snapshot file: 8-byte magic (the core's, so a format change is seen
/// here), u64 LE length, LZ4 block of the postcard encoding.
pub(super) fn unpack(plain: &[u8], magic: &[u8; 8]) -> Result<Vec<u8>> {
    let rest = plain
        .strip_prefix(magic)
        .context("the snapshot is not of the format this Coffer writes")?;
    let len = u64::from_le_bytes(rest[..8].try_into()?) as usize;
    lz4_flex::block::decompress(&rest[8..], len).context("decompressing the snapshot")
}

pub(super) fn decode_snapshot(plain: &[u8]) -> Result<SnapshotMirror> {
    postcard::from_bytes(&unpack(plain, SNAPSHOT_MAGIC)?).context("decoding the snapshot")
}

pub(super) fn decode_bodies(plain: &[u8]) -> Result<BodiesMirror> {
    postcard::from_bytes(&unpack(plain, BODIES_MAGIC)?).context("decoding the bodies")
}

/// Times `LockedVault::unlock` minus the separately measured KDF, with or without the snapshot.
pub fn open(paths: &Paths, with_snapshot: bool, reps: usize) -> Result<OpenResult> {
    let pass = passphrase();
    let identity_ct = fs::read(paths.vault().join("identity.age"))?;
    let mut kdf = Vec::new();
    for _ in 0..9 {
        let t = Instant::now();
        let plain = crypto::decrypt_with_passphrase(&pass, &identity_ct)?;
        kdf.push(ms(t.elapsed()));
        drop(plain);
    }
    let kdf_ms = median(&kdf);
    let snapshot_aside = paths.root.join("snapshot.age.aside");
    if !with_snapshot {
        fs::rename(paths.snapshot(), &snapshot_aside).context("moving the snapshot aside")?;
    }
    warm_cache(paths)?;
    let (mut unlock_runs, mut open_runs) = (Vec::new(), Vec::new());
    let (mut listed, mut bodies_ready, mut index_ready) = (Vec::new(), Vec::new(), Vec::new());
    let mut notes = 0;
    let mut rewrote = false;
    for _ in 0..reps {
        if !with_snapshot && paths.snapshot().exists() {
            fs::remove_file(paths.snapshot())?;
        }
        let t = Instant::now();
        let mut vault = LockedVault::open(&paths.vault())?.unlock(&pass)?;
        let e = ms(t.elapsed());
        unlock_runs.push(e);
        open_runs.push(e - kdf_ms);
        let list = vault.list(&NoteFilter::default());
        listed.push(ms(t.elapsed()) - kdf_ms);
        let first = list.first().map(|s| s.id).context("no notes")?;
        drop(list);
        vault.note(&first)?;
        bodies_ready.push(ms(t.elapsed()) - kdf_ms);
        vault.search("qqqq", 1);
        index_ready.push(ms(t.elapsed()) - kdf_ms);
        notes = vault.note_count();
        if !vault.load_problems().is_empty() {
            bail!("problems while loading: {:?}", vault.load_problems());
        }
        rewrote = !with_snapshot && paths.snapshot().exists();
        drop(vault);
    }
    let peak = peak_rss_mib();
    if !with_snapshot {
        if paths.snapshot().exists() {
            fs::remove_file(&snapshot_aside)?;
        } else {
            fs::rename(&snapshot_aside, paths.snapshot())?;
        }
    }
    let breakdown = if with_snapshot {
        Some(snapshot_breakdown(paths)?)
    } else {
        None
    };
    Ok(OpenResult {
        with_snapshot,
        kdf_ms,
        open_ms: median(&open_runs),
        listed_ms: median(&listed),
        bodies_ready_ms: median(&bodies_ready),
        index_ready_ms: median(&index_ready),
        unlock_runs_ms: unlock_runs,
        open_runs_ms: open_runs,
        notes,
        rewrote_snapshot: rewrote,
        breakdown,
        peak_rss_mib: peak,
    })
}

fn snapshot_breakdown(paths: &Paths) -> Result<SnapshotBreakdown> {
    let id = vault_identity(paths)?;
    let t = Instant::now();
    let ct = fs::read(paths.snapshot())?;
    let read_ms = ms(t.elapsed());
    let t = Instant::now();
    let plain = age_decrypt(&id, &ct)?;
    let decrypt_ms = ms(t.elapsed());
    let t = Instant::now();
    let snap = decode_snapshot(&plain)?;
    let deserialize_ms = ms(t.elapsed());
    drop(snap.state);
    let t = Instant::now();
    let bodies_ct = fs::read(paths.bodies())?;
    let bodies_read_ms = ms(t.elapsed());
    let t = Instant::now();
    let plain = age_decrypt(&id, &bodies_ct)?;
    let bodies_decrypt_ms = ms(t.elapsed());
    let t = Instant::now();
    let bodies = decode_bodies(&plain)?;
    let bodies_deserialize_ms = ms(t.elapsed());
    drop(bodies);
    Ok(SnapshotBreakdown {
        bytes: ct.len() as u64,
        read_ms,
        decrypt_ms,
        deserialize_ms,
        bodies_bytes: bodies_ct.len() as u64,
        bodies_read_ms,
        bodies_decrypt_ms,
        bodies_deserialize_ms,
    })
}
