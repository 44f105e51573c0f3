//! Search latency over a fixed set of queries, and ranking alone.

use crate::stats::{Summary, ms};
use crate::sys::{peak_rss_mib, rss_mib};
use anyhow::{Context, Result};
use coffer_core::{Id, LockedVault};
use serde::{Deserialize, Serialize};
use std::fs;
use std::time::Instant;

use super::common::*;
use super::open::{decode_bodies, decode_snapshot};

/// Search queries: search-as-you-type prefixes and whole queries people type.
pub const QUERIES: &[&str] = &[
    "p",
    "pa",
    "pas",
    "pass",
    "passp",
    "passport",
    "passport renewal",
    "m",
    "me",
    "mee",
    "meeting",
    "meeting notes",
    "meeting notes budget",
    "wifi password",
    "doctor appointment",
    "recipe chicken garlic",
    "tax",
    "flight to",
    "insurance renewal expires",
    "the",
];

/// More queries when a share of the notes is in Chinese or Japanese (`--cjk-share`): a
/// character, words, and words together, as people type them.
pub const CJK_QUERIES: &[&str] = &[
    "会",
    "会议",
    "会议 预算",
    "项目计划",
    "预约",
    "東",
    "東京",
    "プロジェクト",
    "打ち合わせ 資料",
    "予算",
];

/// The queries of a run: [`QUERIES`], and [`CJK_QUERIES`] when `cjk`.
pub fn queries(cjk: bool) -> Vec<&'static str> {
    let mut q = QUERIES.to_vec();
    if cjk {
        q.extend_from_slice(CJK_QUERIES);
    }
    q
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QueryResult {
    pub query: String,
    pub hits: usize,
    pub latency: Summary,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SearchResult {
    /// The first search builds the in-memory index.
    pub index_build_ms: f64,
    pub rss_before_index_mib: f64,
    pub rss_after_index_mib: f64,
    pub latency: Summary,
    pub queries: Vec<QueryResult>,
    pub peak_rss_mib: f64,
}

/// Search latency through `Vault::search(q, 50)` (ranking and snippets), after the index is
/// built; the queries are interleaved round by round.
pub fn search(paths: &Paths, rounds: usize, queries: &[&str]) -> Result<SearchResult> {
    warm_cache(paths)?;
    let mut vault = LockedVault::open(&paths.vault())?.unlock(&passphrase())?;
    let rss_before = rss_mib();
    let t = Instant::now();
    let warm = vault.search("qqqq", 1);
    let index_build_ms = ms(t.elapsed());
    drop(warm);
    let rss_after = rss_mib();
    let (latency, queries) = time_queries(rounds, queries, |q| vault.search(q, 50).len());
    Ok(SearchResult {
        index_build_ms,
        rss_before_index_mib: rss_before,
        rss_after_index_mib: rss_after,
        latency,
        queries,
        peak_rss_mib: peak_rss_mib(),
    })
}

/// Runs every query `rounds` times, interleaved; `run` returns the number of hits. Gives the
/// latency over all samples and per query.
fn time_queries(
    rounds: usize,
    list: &[&str],
    mut run: impl FnMut(&str) -> usize,
) -> (Summary, Vec<QueryResult>) {
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); list.len()];
    let mut hits = vec![0; list.len()];
    for _ in 0..rounds {
        for (i, q) in list.iter().enumerate() {
            let t = Instant::now();
            hits[i] = run(q);
            per[i].push(ms(t.elapsed()));
        }
    }
    let all: Vec<f64> = per.iter().flatten().copied().collect();
    let queries = list
        .iter()
        .zip(per.iter().zip(hits))
        .map(|(q, (s, h))| QueryResult {
            query: q.to_string(),
            hits: h,
            latency: Summary::of(s),
        })
        .collect();
    (Summary::of(&all), queries)
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RankingResult {
    pub index_build_ms: f64,
    pub indexed_notes: usize,
    pub latency: Summary,
    pub queries: Vec<QueryResult>,
}

/// The search index alone (`SearchIndex::search`, no snippets), built from the state the
/// snapshot holds: separates ranking from snippet making in `Vault::search`.
pub fn ranking(paths: &Paths, rounds: usize, queries: &[&str]) -> Result<RankingResult> {
    let id = vault_identity(paths)?;
    let plain = age_decrypt(&id, &fs::read(paths.snapshot())?)?;
    let snap = decode_snapshot(&plain)?;
    let plain = age_decrypt(&id, &fs::read(paths.bodies())?)?;
    let mut bodies: std::collections::HashMap<Id, String> =
        decode_bodies(&plain)?.bodies.into_iter().collect();
    drop(plain);
    let mut state = snap.state;
    for n in state.notes.values_mut() {
        for h in &mut n.heads {
            h.body = bodies
                .remove(&h.revision)
                .context("a head without its body")?;
        }
    }
    let t = Instant::now();
    let index = state.index();
    let index_build_ms = ms(t.elapsed());
    let (latency, queries) = time_queries(rounds, queries, |q| index.search(q, 50).len());
    Ok(RankingResult {
        index_build_ms,
        indexed_notes: index.len(),
        latency,
        queries,
    })
}
