//! Generating a vault of generated notes, and what each step of writing one costs.

use crate::notegen::NoteGen;
use crate::stats::{Summary, ms};
use crate::sys::peak_rss_mib;
use anyhow::{Result, bail};
use coffer_core::age::x25519;
use coffer_core::internals::State;
use coffer_core::note::Revision;
use coffer_core::{Id, InitOptions, Vault, crypto, write_atomic};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::Path;
use std::time::Instant;

use super::common::*;

/// Microseconds per note spent in each step of `create_many`, measured by calling the same
/// public coffer_core functions on a sample of notes outside the vault.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WriteBreakdown {
    pub sample: usize,
    pub encode_us: f64,
    pub encrypt_us: f64,
    pub sha256_us: f64,
    pub write_atomic_us: f64,
    pub apply_revision_us: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenResult {
    pub notes: usize,
    pub batches: usize,
    pub body_bytes: u64,
    pub mean_body_bytes: f64,
    /// Generating the text (the bench's own work, not coffer's).
    pub text_s: f64,
    /// Inside `Vault::create_many`, all batches.
    pub create_many_s: f64,
    pub notes_per_s: f64,
    pub batch_ms: Summary,
    pub first_batch_ms: f64,
    pub last_batch_ms: f64,
    pub save_snapshot_ms: f64,
    /// `local/snapshot.age`: the state without note bodies.
    pub snapshot_bytes: u64,
    /// `local/bodies.age`: the bodies of the current revisions.
    #[serde(default)]
    pub bodies_bytes: u64,
    pub vault_bytes: u64,
    pub files: u64,
    pub breakdown: WriteBreakdown,
    pub peak_rss_mib: f64,
    /// The file system `create_many` wrote to (a staging folder, if one was given).
    pub generated_on: String,
    /// Copying the vault from the staging folder to the work folder, then `sync`.
    pub copy_s: f64,
}

/// Creates the vault: `n` notes in batches, then the snapshot; exports the identity.
/// With `stage`, the vault is built there (e.g. on a tmpfs, when the disk's fsyncs make
/// generation too slow) and then copied into place. One function, on purpose: the steps of
/// building the vault, timed one after another.
/// `cjk_share`: the share of notes written in Chinese or Japanese (0: none).
pub fn generate(
    paths: &Paths,
    n: usize,
    seed: u64,
    stage: Option<&Path>,
    cjk_share: f64,
) -> Result<GenResult> {
    fs::create_dir_all(&paths.root)?;
    let opts = InitOptions {
        work_factor: WORK_FACTOR,
    };
    let build_at = match stage {
        Some(s) => {
            fs::create_dir_all(s)?;
            tempfile::Builder::new()
                .prefix("coffer-bench-stage-")
                .tempdir_in(s)?
                .keep()
        }
        None => paths.vault(),
    };
    let generated_on = crate::sys::disk_of(&build_at);
    let mut vault = Vault::init(&build_at, &passphrase(), &opts)?;
    vault.export_identity(&paths.identity())?;
    let mut g = NoteGen::with_cjk(seed, cjk_share);
    let (mut text_s, mut create_s, mut body_bytes) = (0.0, 0.0, 0u64);
    let mut batch_ms = Vec::new();
    let mut done = 0;
    while done < n {
        let k = BATCH.min(n - done);
        let t = Instant::now();
        let notes: Vec<_> = (0..k).map(|_| g.note()).collect();
        text_s += t.elapsed().as_secs_f64();
        body_bytes += notes.iter().map(|x| x.body.len() as u64).sum::<u64>();
        let t = Instant::now();
        vault.create_many(notes)?;
        let e = t.elapsed();
        create_s += e.as_secs_f64();
        batch_ms.push(ms(e));
        done += k;
        if done.is_multiple_of(10_000) || done == n {
            eprintln!(
                "  generated {done}/{n} notes ({:.1} s in create_many)",
                create_s
            );
        }
    }
    let t = Instant::now();
    vault.save_snapshot()?;
    let save_snapshot_ms = ms(t.elapsed());
    if vault.note_count() != n {
        bail!("the vault holds {} notes, expected {n}", vault.note_count());
    }
    drop(vault);
    let t = Instant::now();
    if build_at != paths.vault() {
        for f in files_under(&build_at)? {
            let to = paths.vault().join(f.strip_prefix(&build_at)?);
            if let Some(dir) = to.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::copy(&f, &to)?;
        }
        fs::remove_dir_all(&build_at)?;
        let synced = std::process::Command::new("sync").status()?;
        if !synced.success() {
            bail!("sync failed");
        }
    }
    let copy_s = t.elapsed().as_secs_f64();
    let (vault_bytes, files) = du(&paths.vault())?;
    let breakdown = write_breakdown(&paths.root.join("scratch"), seed ^ 0x5eed, n.min(300))?;
    Ok(GenResult {
        notes: n,
        batches: batch_ms.len(),
        body_bytes,
        mean_body_bytes: body_bytes as f64 / n as f64,
        text_s,
        create_many_s: create_s,
        notes_per_s: n as f64 / create_s,
        first_batch_ms: batch_ms.first().copied().unwrap_or(0.0),
        last_batch_ms: batch_ms.last().copied().unwrap_or(0.0),
        batch_ms: Summary::of(&batch_ms),
        save_snapshot_ms,
        snapshot_bytes: fs::metadata(paths.snapshot())?.len(),
        bodies_bytes: fs::metadata(paths.bodies())?.len(),
        vault_bytes,
        files,
        breakdown,
        peak_rss_mib: peak_rss_mib(),
        generated_on,
        copy_s,
    })
}

/// Times the steps of writing a note with the same coffer_core functions `create_many` uses.
fn write_breakdown(scratch: &Path, seed: u64, sample: usize) -> Result<WriteBreakdown> {
    let mut g = NoteGen::new(seed);
    let vault_id = Id::random();
    let recipient = x25519::Identity::generate().to_public();
    let revs: Vec<Revision> = (0..sample)
        .map(|_| {
            let n = g.note();
            Revision {
                note: Id::random(),
                revision: Id::random(),
                parents: vec![],
                title: n.title,
                tags: n.tags,
                notebook: n.notebook,
                pinned: n.pinned,
                deleted: false,
                created: 1_700_000_000_000,
                updated: 1_700_000_000_000,
                attachments: vec![],
                body: n.body,
            }
        })
        .collect();
    let t = Instant::now();
    let plains: Vec<_> = revs.iter().map(|r| r.encode(&vault_id)).collect();
    let encode = t.elapsed();
    let t = Instant::now();
    let cts = plains
        .iter()
        .map(|p| crypto::encrypt(&[&recipient], p))
        .collect::<coffer_core::Result<Vec<_>>>()?;
    let encrypt = t.elapsed();
    let t = Instant::now();
    let hashes: Vec<String> = cts.iter().map(|c| crypto::sha256_hex(c)).collect();
    let sha = t.elapsed();
    let t = Instant::now();
    for (r, c) in revs.iter().zip(&cts) {
        let path = scratch
            .join(r.revision.shard())
            .join(format!("{}.age", r.revision));
        write_atomic(&path, c)?;
    }
    let write = t.elapsed();
    let mut state = State::default();
    let t = Instant::now();
    for r in revs {
        state.apply_revision(r, None);
    }
    let apply = t.elapsed();
    fs::remove_dir_all(scratch)?;
    if hashes.len() != sample || state.notes.len() != sample {
        bail!("breakdown sample lost notes");
    }
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / sample as f64;
    Ok(WriteBreakdown {
        sample,
        encode_us: per(encode),
        encrypt_us: per(encrypt),
        sha256_us: per(sha),
        write_atomic_us: per(write),
        apply_revision_us: per(apply),
    })
}
