//! The measurements. Each phase runs in its own child process (so its peak RSS is its own)
//! and returns a JSON-serializable result.

use crate::notegen::NoteGen;
use crate::stats::{Summary, median, ms};
use crate::sys::{peak_rss_mib, rss_mib};
use anyhow::{Context, Result, bail};
use coffer_core::age::secrecy::SecretString;
use coffer_core::age::x25519;
use coffer_core::internals::State;
use coffer_core::note::Revision;
use coffer_core::{
    Id, InitOptions, LockedVault, NoteChange, NoteFilter, Vault, crypto, write_atomic,
};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

/// scrypt work factor of the generated vaults (the KDF is excluded from every timing).
pub const WORK_FACTOR: u8 = 10;
/// Notes per `Vault::create_many` call.
pub const BATCH: usize = 1000;

pub fn passphrase() -> SecretString {
    SecretString::from("coffer bench passphrase, not a secret".to_string())
}

/// Where one size's vault and exported identity live.
#[derive(Clone, Debug)]
pub struct Paths {
    pub root: PathBuf,
}

impl Paths {
    pub fn vault(&self) -> PathBuf {
        self.root.join("vault")
    }
    pub fn identity(&self) -> PathBuf {
        self.root.join("identity.txt")
    }
    fn snapshot(&self) -> PathBuf {
        self.vault().join("local").join("snapshot.age")
    }
    fn bodies(&self) -> PathBuf {
        self.vault().join("local").join("bodies.age")
    }
}

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
/// generation too slow) and then copied into place.
pub fn generate(paths: &Paths, n: usize, seed: u64, stage: Option<&Path>) -> Result<GenResult> {
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
    let mut g = NoteGen::new(seed);
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
        state.apply_revision(r);
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

/// Total bytes and number of files under `dir`.
fn du(dir: &Path) -> Result<(u64, u64)> {
    let (mut bytes, mut files) = (0, 0);
    for p in files_under(dir)? {
        bytes += fs::metadata(&p)?.len();
        files += 1;
    }
    Ok((bytes, files))
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let e = e?;
            if e.file_type()?.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every file of the vault once, so each timing starts from a warm page cache.
pub fn warm_cache(paths: &Paths) -> Result<()> {
    let mut buf = Vec::new();
    for p in files_under(&paths.vault())? {
        buf.clear();
        fs::File::open(&p)?.read_to_end(&mut buf)?;
    }
    Ok(())
}

/// The vault key from the exported identity file (the key labelled `coffer-key: vault`).
fn vault_identity(paths: &Paths) -> Result<x25519::Identity> {
    let text = fs::read_to_string(paths.identity())?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "# coffer-key: vault" {
            let key = lines.next().context("no key after its label")?;
            return x25519::Identity::from_str(key.trim())
                .map_err(|e| anyhow::anyhow!("bad vault key in the identity file: {e}"));
        }
    }
    bail!("no vault key in {}", paths.identity().display())
}

/// Decrypts a whole age file with the age crate.
fn age_decrypt(id: &x25519::Identity, ct: &[u8]) -> Result<Vec<u8>> {
    let dec = age::Decryptor::new_buffered(ct)?;
    let mut r = dec.decrypt(std::iter::once(id as &dyn age::Identity))?;
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}

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

/// The plaintext layouts of the snapshot's two files (crates/core/src/snapshot.rs, format 3),
/// to time their decoding.
#[derive(Deserialize)]
struct SnapshotMirror {
    _format: u32,
    _vault: Id,
    _bodies: Id,
    state: State,
}

#[derive(Deserialize)]
struct BodiesMirror {
    _format: u32,
    _vault: Id,
    _generation: Id,
    bodies: Vec<(Id, String)>,
}

/// Unpacks a decrypted snapshot file of format 3: 8-byte magic, u64 LE length, LZ4 block of the
/// postcard encoding.
fn unpack(plain: &[u8], magic: &[u8; 8]) -> Result<Vec<u8>> {
    let rest = plain
        .strip_prefix(magic)
        .context("the snapshot is not format 3")?;
    let len = u64::from_le_bytes(rest[..8].try_into()?) as usize;
    lz4_flex::block::decompress(&rest[8..], len).context("decompressing the snapshot")
}

fn decode_snapshot(plain: &[u8]) -> Result<SnapshotMirror> {
    postcard::from_bytes(&unpack(plain, b"cofsnap3")?).context("decoding the snapshot")
}

fn decode_bodies(plain: &[u8]) -> Result<BodiesMirror> {
    postcard::from_bytes(&unpack(plain, b"cofbody3")?).context("decoding the bodies")
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
pub fn search(paths: &Paths, rounds: usize) -> Result<SearchResult> {
    warm_cache(paths)?;
    let mut vault = LockedVault::open(&paths.vault())?.unlock(&passphrase())?;
    let rss_before = rss_mib();
    let t = Instant::now();
    let warm = vault.search("qqqq", 1);
    let index_build_ms = ms(t.elapsed());
    drop(warm);
    let rss_after = rss_mib();
    let (latency, queries) = time_queries(rounds, |q| vault.search(q, 50).len());
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
fn time_queries(rounds: usize, mut run: impl FnMut(&str) -> usize) -> (Summary, Vec<QueryResult>) {
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); QUERIES.len()];
    let mut hits = vec![0; QUERIES.len()];
    for _ in 0..rounds {
        for (i, q) in QUERIES.iter().enumerate() {
            let t = Instant::now();
            hits[i] = run(q);
            per[i].push(ms(t.elapsed()));
        }
    }
    let all: Vec<f64> = per.iter().flatten().copied().collect();
    let queries = QUERIES
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
pub fn ranking(paths: &Paths, rounds: usize) -> Result<RankingResult> {
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
    let (latency, queries) = time_queries(rounds, |q| index.search(q, 50).len());
    Ok(RankingResult {
        index_build_ms,
        indexed_notes: index.len(),
        latency,
        queries,
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every phase on a small vault, in process: the numbers are not checked, the work is.
    #[test]
    fn phases_run_on_a_small_vault() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let paths = Paths {
            root: dir.path().join("n30"),
        };
        let stage = dir.path().join("stage");
        let g = generate(&paths, 30, 1, Some(&stage))?;
        assert_eq!(
            fs::read_dir(&stage)?.count(),
            0,
            "the staging copy is removed"
        );
        assert_eq!((g.notes, g.batches), (30, 1));
        assert!(g.snapshot_bytes > 0);
        let b = baseline(&paths, 1)?;
        assert_eq!(b.objects, 30);
        assert!(b.plaintext_bytes >= g.body_bytes);
        let o = open(&paths, true, 1)?;
        assert_eq!(o.notes, 30);
        assert!(o.breakdown.is_some());
        let o = open(&paths, false, 2)?;
        assert_eq!(o.notes, 30);
        assert!(!o.rewrote_snapshot);
        assert!(paths.snapshot().exists(), "the snapshot is put back");
        let s = search(&paths, 1)?;
        assert_eq!(s.queries.len(), QUERIES.len());
        assert!(s.queries.iter().any(|q| q.hits > 0));
        let r = ranking(&paths, 1)?;
        assert_eq!(r.indexed_notes, 30);
        assert_eq!(
            r.queries.iter().map(|q| q.hits).collect::<Vec<_>>(),
            s.queries.iter().map(|q| q.hits).collect::<Vec<_>>()
        );
        let v = save(&paths, 3, 1)?;
        assert_eq!((v.update.n, v.bare_dir.n), (3, 3));
        assert!(!paths.vault().join("bench-bare").exists());
        let vault = LockedVault::open(&paths.vault())?.unlock(&passphrase())?;
        assert_eq!(vault.note_count(), 30);
        Ok(())
    }
}
