//! The baseline: decrypting every object with age directly, one by one.

use crate::stats::{median, ms};
use crate::sys::peak_rss_mib;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::fs;
use std::time::Instant;

use super::common::*;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BaselineResult {
    pub objects: usize,
    pub ciphertext_bytes: u64,
    pub plaintext_bytes: u64,
    pub runs_ms: Vec<f64>,
    pub median_ms: f64,
    pub per_object_us: f64,
    pub peak_rss_mib: f64,
}

/// The baseline: every object read and decrypted one by one with the age crate.
pub fn baseline(paths: &Paths, reps: usize) -> Result<BaselineResult> {
    let id = vault_identity(paths)?;
    let objects = files_under(&paths.vault().join("objects"))?;
    warm_cache(paths)?;
    let mut runs = Vec::new();
    let (mut ct_bytes, mut pt_bytes) = (0, 0);
    for _ in 0..reps {
        (ct_bytes, pt_bytes) = (0, 0);
        let t = Instant::now();
        for p in &objects {
            let ct = fs::read(p)?;
            let pt = age_decrypt(&id, &ct).with_context(|| format!("{}", p.display()))?;
            ct_bytes += ct.len() as u64;
            pt_bytes += pt.len() as u64;
        }
        runs.push(ms(t.elapsed()));
    }
    let median_ms = median(&runs);
    Ok(BaselineResult {
        objects: objects.len(),
        ciphertext_bytes: ct_bytes,
        plaintext_bytes: pt_bytes,
        median_ms,
        per_object_us: median_ms * 1e3 / objects.len().max(1) as f64,
        runs_ms: runs,
        peak_rss_mib: peak_rss_mib(),
    })
}
