//! `coffer-sync-bench`: sync against real remotes (S3 from `scripts/sync-servers`, and a
//! folder), on generated vaults of several sizes. For each remote and size it measures:
//! - the first push of the whole vault (time, requests);
//! - the initial clone of a new device (time, requests), the issue's goal being under 15 s for
//!   10k notes from a local S3 server;
//! - an incremental sync after one change: the pushing device's sync and the pulling device's
//!   sync, each its requests (by kind, counted by a wrapper around the `Remote` trait) and
//!   its time; the goal being under 20 requests and 200 ms, and the same at every size.
//!
//! Run it with `scripts/bench --sync` (which starts the servers); prints a Markdown table and
//! writes JSON.
#![forbid(unsafe_code)]

use anyhow::{Context, Result, bail};
use clap::Parser;
use coffer_core::secrecy::SecretString;
use coffer_core::sync::{Credentials, Remote, StoreRemote, SyncOptions};
use coffer_core::{Id, InitOptions, NewNote, NoteChange, Vault};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "coffer-sync-bench", about = "Benchmarks of Coffer's sync")]
struct Cli {
    /// Vault sizes, in notes.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    sizes: Vec<usize>,
    /// Remotes to measure: s3 (needs the environment of scripts/sync-servers) and folder.
    #[arg(long, value_delimiter = ',', default_value = "s3,folder")]
    remotes: Vec<String>,
    /// Incremental syncs measured per size (the median is reported).
    #[arg(long, default_value_t = 7)]
    rounds: usize,
    /// Notes per log entry when generating (a batch of imported or pasted notes).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Where the vaults and the folder remote are made (a temporary folder inside it).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Where to write the results as JSON.
    #[arg(long, default_value = "target/coffer-bench/sync.json")]
    json: PathBuf,
    /// Where to write the Markdown table (it is printed on stdout too).
    #[arg(long)]
    markdown: Option<PathBuf>,
}

/// Requests by kind, counted around any remote.
#[derive(Default, Clone, Copy, Serialize)]
struct Counts {
    get: u64,
    put: u64,
    delete: u64,
    list: u64,
}

impl Counts {
    fn total(&self) -> u64 {
        self.get + self.put + self.delete + self.list
    }
    fn minus(&self, o: &Counts) -> Counts {
        Counts {
            get: self.get - o.get,
            put: self.put - o.put,
            delete: self.delete - o.delete,
            list: self.list - o.list,
        }
    }
}

/// A `Remote` that counts each request by kind and passes it on.
struct Counting<R> {
    inner: R,
    get: AtomicU64,
    put: AtomicU64,
    delete: AtomicU64,
    list: AtomicU64,
}

impl<R: Remote> Counting<R> {
    fn new(inner: R) -> Counting<R> {
        Counting {
            inner,
            get: AtomicU64::new(0),
            put: AtomicU64::new(0),
            delete: AtomicU64::new(0),
            list: AtomicU64::new(0),
        }
    }
    fn counts(&self) -> Counts {
        Counts {
            get: self.get.load(Ordering::Relaxed),
            put: self.put.load(Ordering::Relaxed),
            delete: self.delete.load(Ordering::Relaxed),
            list: self.list.load(Ordering::Relaxed),
        }
    }
}

fn add(c: &AtomicU64, n: usize) {
    c.fetch_add(n as u64, Ordering::Relaxed);
}

impl<R: Remote> Remote for Counting<R> {
    fn get(&self, key: &str, limit: u64) -> coffer_core::Result<Option<Vec<u8>>> {
        add(&self.get, 1);
        self.inner.get(key, limit)
    }
    fn put(&self, key: &str, data: &[u8]) -> coffer_core::Result<()> {
        add(&self.put, 1);
        self.inner.put(key, data)
    }
    fn delete(&self, key: &str) -> coffer_core::Result<()> {
        add(&self.delete, 1);
        self.inner.delete(key)
    }
    fn list(&self, prefix: &str) -> coffer_core::Result<Vec<String>> {
        add(&self.list, 1);
        self.inner.list(prefix)
    }
    fn list_dirs(&self, prefix: &str) -> coffer_core::Result<Vec<String>> {
        add(&self.list, 1);
        self.inner.list_dirs(prefix)
    }
    fn requests(&self) -> u64 {
        self.counts().total()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn get_many(&self, keys: &[String], limit: u64) -> Vec<coffer_core::Result<Option<Vec<u8>>>> {
        add(&self.get, keys.len());
        self.inner.get_many(keys, limit)
    }
    fn put_many(&self, items: &[(String, Vec<u8>)]) -> coffer_core::Result<()> {
        add(&self.put, items.len());
        self.inner.put_many(items)
    }
    fn get_to_file(&self, key: &str, to: &Path, limit: u64) -> coffer_core::Result<Option<String>> {
        add(&self.get, 1);
        self.inner.get_to_file(key, to, limit)
    }
    fn put_file(&self, key: &str, from: &Path) -> coffer_core::Result<()> {
        add(&self.put, 1);
        self.inner.put_file(key, from)
    }
}

#[derive(Serialize)]
struct Step {
    ms: f64,
    requests: Counts,
}

/// A clone: its time and the requests the core counted (GET and LIST).
#[derive(Serialize)]
struct CloneStep {
    ms: f64,
    requests: u64,
}

#[derive(Serialize)]
struct SizeResult {
    remote: String,
    notes: usize,
    entries: usize,
    first_push: Step,
    clone: CloneStep,
    /// Median over the rounds: the device that made the change.
    incremental_push: Step,
    /// Median over the rounds: the other device taking it.
    incremental_pull: Step,
    /// Every round, for the spread.
    push_ms_all: Vec<f64>,
    pull_ms_all: Vec<f64>,
    /// Removing a third device: the removal itself (roster entry and new key generation).
    removal_ms: f64,
    /// From the start of the removal until the other remaining device writes with the new
    /// generation: the removal, the remover's push and the other device's pull.
    removal_everywhere_ms: f64,
}

fn pass() -> SecretString {
    SecretString::from("coffer sync bench".to_string())
}

fn creds() -> Option<Credentials> {
    Credentials::from_env()
}

fn remote_url(kind: &str, work: &Path) -> Result<String> {
    Ok(match kind {
        "s3" => {
            let endpoint = std::env::var("COFFER_TEST_S3_ENDPOINT").context(
                "no S3 server: run under scripts/sync-servers (scripts/bench --sync does)",
            )?;
            let bucket = std::env::var("COFFER_TEST_S3_BUCKET").unwrap_or_else(|_| "coffer".into());
            format!(
                "s3://{bucket}/bench-{}?endpoint={endpoint}&region=us-east-1",
                Id::random()
            )
        }
        "folder" => work
            .join(format!("remote-{}", Id::random()))
            .display()
            .to_string(),
        other => bail!("unknown remote kind {other:?}: use s3 or folder"),
    })
}

/// A note body of a few hundred bytes, different for each note.
fn body(i: usize) -> String {
    const WORDS: [&str; 16] = [
        "meeting",
        "budget",
        "garden",
        "travel",
        "recipe",
        "project",
        "invoice",
        "doctor",
        "library",
        "concert",
        "repair",
        "holiday",
        "insurance",
        "lesson",
        "market",
        "letter",
    ];
    let mut s = format!("Note {i}\n\n");
    let mut x = i as u64 * 0x9e37_79b9_7f4a_7c15 + 1;
    for w in 0..80 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push_str(WORDS[(x % 16) as usize]);
        s.push(if w % 12 == 11 { '\n' } else { ' ' });
    }
    s
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[s.len() / 2]
}

/// One size against one kind of remote: generate, first sync, clone, incremental syncs, each
/// timed. One function, on purpose: it is the benchmark's script, step after step, each step
/// using the state the previous one left.
fn measure(kind: &str, notes: usize, cli: &Cli, work: &Path) -> Result<SizeResult> {
    let url = remote_url(kind, work)?;
    let dir = tempfile::tempdir_in(work)?;
    eprintln!("{kind}, {notes} notes: generating");
    let mut a = Vault::init(
        &dir.path().join("a"),
        &pass(),
        &InitOptions { work_factor: 10 },
    )?;
    let mut ids = Vec::new();
    let mut i = 0;
    while i < notes {
        let n = cli.batch.min(notes - i);
        ids.extend(
            a.create_many(
                (i..i + n)
                    .map(|k| NewNote {
                        title: format!("Note {k}"),
                        body: body(k),
                        tags: vec![format!("t{}", k % 20)],
                        ..Default::default()
                    })
                    .collect(),
            )?,
        );
        i += n;
    }
    a.add_remote("r", &url, creds())?;
    let remote_a = Counting::new(StoreRemote::open(&url, creds().as_ref())?);
    eprintln!("{kind}, {notes} notes: first push");
    let t = Instant::now();
    let r = a.sync_with(&remote_a, "r", &SyncOptions::default(), &mut |_| {})?;
    let first_push = Step {
        ms: ms(t),
        requests: remote_a.counts(),
    };
    if !r.alarms.is_empty() {
        bail!("alarms on the first push: {:?}", r.alarms);
    }

    eprintln!("{kind}, {notes} notes: clone");
    let t = Instant::now();
    // Where the clone's time goes: each stage's first and last progress report.
    let mut stages: Vec<(String, f64, f64)> = Vec::new();
    let (mut b, r) = Vault::clone_from(&url, &dir.path().join("b"), &pass(), creds(), &mut |p| {
        let now = ms(t);
        match stages.last_mut() {
            Some(last) if last.0 == p.stage => last.2 = now,
            _ => stages.push((p.stage.clone(), now, now)),
        }
    })?;
    let clone_ms = ms(t);
    for (stage, from, to) in &stages {
        eprintln!("  clone: {stage} from {from:.0} ms to {to:.0} ms (end {clone_ms:.0} ms)");
    }
    let clone = CloneStep {
        ms: ms(t),
        requests: r.requests,
    };
    if b.note_count() != notes {
        bail!("the clone has {} notes, not {notes}", b.note_count());
    }
    let remote_b = Counting::new(StoreRemote::open(&url, creds().as_ref())?);

    eprintln!("{kind}, {notes} notes: incremental syncs");
    let mut pushes = Vec::new();
    let mut pulls = Vec::new();
    for round in 0..cli.rounds {
        let id = ids[(round * 7919) % ids.len()];
        a.update(
            &id,
            NoteChange {
                body: Some(format!("{}\nedited in round {round}\n", body(round))),
                ..Default::default()
            },
        )?;
        let before = remote_a.counts();
        let t = Instant::now();
        let r = a.sync_with(&remote_a, "r", &SyncOptions::default(), &mut |_| {})?;
        pushes.push(Step {
            ms: ms(t),
            requests: remote_a.counts().minus(&before),
        });
        if r.pushed_entries != 1 || !r.alarms.is_empty() {
            bail!("round {round}: the push was {r:?}");
        }
        let before = remote_b.counts();
        let t = Instant::now();
        let r = b.sync_with(&remote_b, "origin", &SyncOptions::default(), &mut |_| {})?;
        pulls.push(Step {
            ms: ms(t),
            requests: remote_b.counts().minus(&before),
        });
        if r.pulled_entries != 1 || !r.alarms.is_empty() {
            bail!("round {round}: the pull was {r:?}");
        }
    }
    eprintln!("{kind}, {notes} notes: a third device joins, then is removed");
    let (c, _) = Vault::join_from(
        &url,
        &dir.path().join("c"),
        &pass(),
        creds(),
        Some("lost phone"),
        &mut |_| {},
    )?;
    let lost = c.device_id().to_string();
    drop(c);
    a.sync_with(&remote_a, "r", &SyncOptions::default(), &mut |_| {})?;
    b.sync_with(&remote_b, "origin", &SyncOptions::default(), &mut |_| {})?;
    let before = a.vault_recipient();
    let t = Instant::now();
    a.remove_device(&lost)?;
    let removal_ms = ms(t);
    a.sync_with(&remote_a, "r", &SyncOptions::default(), &mut |_| {})?;
    b.sync_with(&remote_b, "origin", &SyncOptions::default(), &mut |_| {})?;
    let removal_everywhere_ms = ms(t);
    if a.vault_recipient() == before || b.vault_recipient() != a.vault_recipient() {
        bail!("after the removal the devices do not write with one new key generation");
    }
    let pick = |steps: &[Step]| -> Step {
        let m = median(&steps.iter().map(|s| s.ms).collect::<Vec<_>>());
        let s = steps
            .iter()
            .min_by(|x, y| (x.ms - m).abs().total_cmp(&(y.ms - m).abs()))
            .expect("at least one round");
        Step {
            ms: s.ms,
            requests: s.requests,
        }
    };
    Ok(SizeResult {
        remote: kind.to_string(),
        notes,
        entries: notes.div_ceil(cli.batch),
        first_push,
        clone,
        incremental_push: pick(&pushes),
        incremental_pull: pick(&pulls),
        push_ms_all: pushes.iter().map(|s| s.ms).collect(),
        pull_ms_all: pulls.iter().map(|s| s.ms).collect(),
        removal_ms,
        removal_everywhere_ms,
    })
}

fn req(c: &Counts) -> String {
    format!(
        "{} ({} GET, {} PUT, {} LIST{})",
        c.total(),
        c.get,
        c.put,
        c.list,
        if c.delete > 0 {
            format!(", {} DELETE", c.delete)
        } else {
            String::new()
        }
    )
}

fn table(results: &[SizeResult]) -> String {
    let mut s = String::from(
        "| remote | notes (entries) | first push | clone (new device) | incremental: push after one change | incremental: the other device's pull | removing a device: itself, until every remaining device writes with the new key |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in results {
        s.push_str(&format!(
            "| {} | {} ({}) | {:.1} s, {} req | **{:.1} s**, {} req | **{:.0} ms**, {} | **{:.0} ms**, {} | {:.0} ms, **{:.0} ms** |\n",
            r.remote,
            r.notes,
            r.entries,
            r.first_push.ms / 1000.0,
            r.first_push.requests.total(),
            r.clone.ms / 1000.0,
            r.clone.requests,
            r.incremental_push.ms,
            req(&r.incremental_push.requests),
            r.incremental_pull.ms,
            req(&r.incremental_pull.requests),
            r.removal_ms,
            r.removal_everywhere_ms,
        ));
    }
    s
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let base = cli.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    let work = tempfile::tempdir_in(&base)?;
    let mut results = Vec::new();
    for kind in &cli.remotes {
        for &n in &cli.sizes {
            let r = measure(kind, n, &cli, work.path())?;
            eprint!("{}", table(std::slice::from_ref(&r)));
            results.push(r);
        }
    }
    let t = table(&results);
    print!("{t}");
    if let Some(dir) = cli.json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&cli.json, serde_json::to_string_pretty(&results)?)?;
    if let Some(md) = &cli.markdown {
        std::fs::write(md, &t)?;
    }
    Ok(())
}
