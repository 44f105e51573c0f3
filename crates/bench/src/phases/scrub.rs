//! The check after unlock (the scrub): every file the log names read and hashed again.

use crate::stats::{median, ms};
use crate::sys::peak_rss_mib;
use anyhow::{Result, bail};
use coffer_core::LockedVault;
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::common::*;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ScrubResult {
    /// Files read and hashed (objects and log entries), and their bytes.
    pub files: usize,
    pub bytes: u64,
    /// Taking the list of files from the unlocked vault (median).
    pub plan_ms: f64,
    /// Reading and hashing them, page cache warm.
    pub runs_ms: Vec<f64>,
    pub median_ms: f64,
    pub per_file_us: f64,
    pub mb_per_s: f64,
    pub peak_rss_mib: f64,
}

/// Unlocks (from the snapshot) and scrubs `reps` times; the vault must be whole.
pub fn scrub(paths: &Paths, reps: usize) -> Result<ScrubResult> {
    let vault = LockedVault::open(&paths.vault())?.unlock(&passphrase())?;
    warm_cache(paths)?;
    let (mut plans, mut runs) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let plan = vault.scrub_plan();
        plans.push(ms(t.elapsed()));
        let t = Instant::now();
        let found = plan.run(&AtomicBool::new(false));
        runs.push(ms(t.elapsed()));
        last = Some(found);
    }
    let found = last.expect("at least one run");
    let mut vault = vault;
    let report = vault.confirm_damage(found)?;
    if !report.damaged.is_empty() {
        bail!("the bench vault is damaged: {:?}", report.damaged);
    }
    let median_ms = median(&runs);
    Ok(ScrubResult {
        files: report.files,
        bytes: report.bytes,
        plan_ms: median(&plans),
        per_file_us: median_ms * 1e3 / report.files.max(1) as f64,
        mb_per_s: report.bytes as f64 / 1e6 / (median_ms / 1e3).max(1e-9),
        median_ms,
        runs_ms: runs,
        peak_rss_mib: peak_rss_mib(),
    })
}
