//! Crash safety: a writer process (examples/crash_writer.rs) saves notes and attachments in a
//! loop and is killed with SIGKILL at random moments, over and over, on several vaults. After
//! every kill the vault must open with no load problems, `verify` must find no damage (temp
//! files and unreferenced objects left by the interrupted save are warnings, not damage), and
//! every revision the writer acknowledged must be there with the same body.
//!
//! The random delays before each kill are the fault injection, not a readiness wait: the test
//! waits for the writer's `ready` line before starting the clock. The seed is printed; set
//! `COFFER_CRASH_SEED` to replay a run.

#![allow(clippy::unwrap_used)]

use coffer_core::secrecy::SecretString;
use coffer_core::{Id, LockedVault};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

mod built;

const VAULTS: usize = 4;
const KILLS_PER_VAULT: usize = 55;
const PASSPHRASE: &str = "crash test passphrase";

/// splitmix64: reproducible from a printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// The random delays of a test: from `COFFER_CRASH_SEED`, else a random seed, printed so that
/// a run can be replayed.
fn seeded(what: &str) -> Rng {
    let seed = match std::env::var("COFFER_CRASH_SEED") {
        Ok(s) => s.parse().expect("COFFER_CRASH_SEED is a number"),
        Err(_) => {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b).expect("random seed");
            u64::from_le_bytes(b)
        }
    };
    println!("{what}: seed {seed} (replay with COFFER_CRASH_SEED={seed})");
    Rng(seed)
}

/// An acknowledged save: the note, its revision, and the SHA-256 of the body.
#[derive(Debug, Clone)]
struct Ack {
    note: Id,
    revision: Id,
    sha256: String,
}

/// A line of the writer: an acknowledged save, or (in the removal mode) a device removed.
fn parse_line(line: &str) -> Result<Ack, Id> {
    match line.strip_prefix("removed ") {
        Some(id) => Err(id.parse().expect("removed: device id")),
        None => Ok(parse_ack(line)),
    }
}

fn parse_ack(line: &str) -> Ack {
    let parts: Vec<&str> = line.split(' ').collect();
    match parts.as_slice() {
        ["ack", note, revision, sha] => Ack {
            note: note.parse().expect("ack: note id"),
            revision: revision.parse().expect("ack: revision id"),
            sha256: sha.to_string(),
        },
        _ => panic!("unexpected line from the writer: {line:?}"),
    }
}

/// The crash_writer example, built with the same profile and target folder as this test.
fn writer_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/crash-<hash>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    let target_dir = profile_dir.parent().expect("target/<profile>");
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a profile folder name");
    let bin = profile_dir.join("examples").join("crash_writer");
    // `cargo test` builds the examples before running tests, with this run's features: use
    // that one when no source changed since. Otherwise ask cargo (on its own it resolves the
    // features of coffer-core alone, which rebuilds the crate in a workspace run).
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if built::newer_than_sources(&bin, &[&manifest.join("src"), &manifest.join("examples")]) {
        return bin;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--quiet",
        "--example",
        "crash_writer",
        "-p",
        "coffer-core",
    ])
    .arg("--target-dir")
    .arg(target_dir)
    .current_dir(env!("CARGO_MANIFEST_DIR"));
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let status = cmd.status().expect("running cargo build for crash_writer");
    assert!(status.success(), "building the crash_writer example failed");
    assert!(bin.exists(), "{} was not built", bin.display());
    bin
}

/// Runs the writer once: waits for `ready`, lets it work for `delay`, kills it with SIGKILL,
/// and returns every save it acknowledged (including lines still in the pipe at the kill).
fn run_and_kill(bin: &Path, vault: &Path, scratch: &Path, delay: Duration) -> Vec<Ack> {
    run_and_kill_in(bin, vault, scratch, delay, "save")
        .into_iter()
        .map(|l| l.expect("only saves in this mode"))
        .collect()
}

/// [`run_and_kill`] in a mode of the writer (`save` or `remove`), returning every line.
fn run_and_kill_in(
    bin: &Path,
    vault: &Path,
    scratch: &Path,
    delay: Duration,
    mode: &str,
) -> Vec<Result<Ack, Id>> {
    let mut child = Command::new(bin)
        .arg(vault)
        .arg(scratch)
        .env("COFFER_CRASH_PASSPHRASE", PASSPHRASE)
        .env("COFFER_CRASH_MODE", mode)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting crash_writer");
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("reading the writer");
    if first.trim_end() != "ready" {
        let _ = child.kill();
        let output = child.wait_with_output().expect("waiting for the writer");
        panic!(
            "the writer did not start (said {first:?}): {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let reader = std::thread::spawn(move || {
        let mut acks = Vec::new();
        for line in out.lines() {
            acks.push(parse_line(&line.expect("reading the writer")));
        }
        acks
    });
    std::thread::sleep(delay);
    // Child::kill sends SIGKILL on Unix: no destructor, no flush, no cleanup runs.
    child.kill().expect("killing the writer");
    let output = child.wait_with_output().expect("waiting for the writer");
    use std::os::unix::process::ExitStatusExt;
    let acks = reader.join().expect("the reader thread");
    assert_eq!(
        output.status.signal(),
        Some(9),
        "the writer ended by itself before the kill: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    acks
}

/// Opens the vault after a crash and checks everything the test knows must hold; returns the
/// number of harmless leftovers `verify` reported.
fn check(vault: &Path, acks: &[Ack], round: usize) -> usize {
    let pass = SecretString::from(PASSPHRASE.to_string());
    let v = LockedVault::open(vault)
        .unwrap_or_else(|e| panic!("round {round}: the vault does not open: {e}"))
        .unlock(&pass)
        .unwrap_or_else(|e| panic!("round {round}: the vault does not unlock: {e}"));
    assert!(
        v.load_problems().is_empty(),
        "round {round}: load problems: {:?}",
        v.load_problems()
    );
    let report = v
        .verify(&mut |_| {})
        .unwrap_or_else(|e| panic!("round {round}: verify failed: {e}"));
    assert!(
        report.problems.is_empty(),
        "round {round}: verify found damage: {:?}",
        report.problems
    );
    for w in &report.warnings {
        assert!(
            w.message.contains("interrupted save"),
            "round {round}: unexpected warning {w:?}"
        );
    }
    for a in acks {
        let n = v.note_at(&a.note, &a.revision).unwrap_or_else(|e| {
            panic!(
                "round {round}: acknowledged revision {} of note {} is lost: {e}",
                a.revision, a.note
            )
        });
        assert_eq!(
            coffer_core::crypto::sha256_hex(n.body.as_bytes()),
            a.sha256,
            "round {round}: acknowledged revision {} of note {} has another body",
            a.revision,
            a.note
        );
    }
    report.warnings.len()
}

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let mut rng = seeded("crash");
    let bin = writer_binary();
    let tmp = tempfile::tempdir().expect("a temp folder");
    let (mut kills, mut total_acks, mut warnings_seen) = (0usize, 0usize, 0usize);
    for n in 0..VAULTS {
        let vault = tmp.path().join(format!("vault-{n}"));
        let scratch = tmp.path().join(format!("scratch-{n}"));
        let mut acks: Vec<Ack> = Vec::new();
        for round in 0..KILLS_PER_VAULT {
            let delay = Duration::from_millis(rng.range(2, 100));
            acks.extend(run_and_kill(&bin, &vault, &scratch, delay));
            kills += 1;
            warnings_seen += check(&vault, &acks, round);
        }
        total_acks += acks.len();
        assert!(
            !acks.is_empty(),
            "vault {n}: the writer never acknowledged a save; the test tested nothing"
        );
    }
    println!(
        "crash: {kills} SIGKILLs over {VAULTS} vaults, {total_acks} acknowledged saves all \
         intact; {warnings_seen} verify warnings about leftovers of interrupted saves, summed over \
         all rounds"
    );
    assert!(kills >= 200);
}

/// Removing devices, killed at random moments: after every kill the vault opens clean, every
/// acknowledged removal holds, and once the vault writes again, what it writes is encrypted to
/// a generation of the vault key that no removed device can open (checked with each removed
/// device's own exported identity, every key it holds), whether or not the kill fell between
/// a removal and its new generation.
#[test]
fn sigkill_during_removals_never_hands_the_new_key_to_a_removed_device() {
    const OTHERS: usize = 6;
    const ROUNDS: usize = 24;
    let mut rng = seeded("crash (removals)");
    let bin = writer_binary();
    let tmp = tempfile::tempdir().expect("a temp folder");
    let pass = SecretString::from(PASSPHRASE.to_string());
    let remote = tmp.path().join("remote").display().to_string();
    let vault = tmp.path().join("vault");
    let sync = |v: &mut coffer_core::Vault, name: &str| {
        v.sync(Some(name), &Default::default(), &mut |_| {})
            .expect("sync")
    };
    {
        let opts = coffer_core::InitOptions { work_factor: 10 };
        let mut a = coffer_core::Vault::init(&vault, &pass, &opts).expect("init");
        a.add_remote("r", &remote, None).expect("add remote");
        a.create(coffer_core::NewNote {
            title: "first".into(),
            ..Default::default()
        })
        .expect("a note");
        sync(&mut a, "r");
    }
    let mut others = Vec::new();
    for i in 0..OTHERS {
        let dir = tmp.path().join(format!("device-{i}"));
        let (v, _) = coffer_core::Vault::join_from(
            &remote,
            &dir,
            &pass,
            None,
            Some(&format!("device {i}")),
            &mut |_| {},
        )
        .expect("join");
        drop(v);
        others.push(dir);
    }
    {
        let mut a = LockedVault::open(&vault).unwrap().unlock(&pass).unwrap();
        sync(&mut a, "r");
        assert_eq!(a.device_list().unwrap().len(), OTHERS + 1);
    }
    let scratch = tmp.path().join("scratch");
    let (mut acks, mut removed) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let delay = Duration::from_millis(rng.range(5, 150));
        for line in run_and_kill_in(&bin, &vault, &scratch, delay, "remove") {
            match line {
                Ok(a) => acks.push(a),
                Err(d) => removed.push(d),
            }
        }
        check(&vault, &acks, round);
        let mut a = LockedVault::open(&vault).unwrap().unlock(&pass).unwrap();
        let roster = a.device_list().unwrap();
        for d in &removed {
            assert!(
                roster.iter().any(|m| m.id == *d && m.removed.is_some()),
                "round {round}: acknowledged removal of {d} is lost"
            );
        }
        // A save now is encrypted to a generation no removed device holds.
        let id = a
            .create(coffer_core::NewNote {
                title: format!("after round {round}"),
                body: "for the remaining devices only".into(),
                ..Default::default()
            })
            .unwrap();
        a.checkpoint().unwrap();
        let rev = a.note(&id).unwrap().revision.to_string();
        let object = vault.join(format!("objects/{}/{rev}.age", &rev[..2]));
        let ct = std::fs::read(&object).unwrap();
        let own = tmp.path().join("own-key.txt");
        let _ = std::fs::remove_file(&own);
        a.export_identity(&own).unwrap();
        assert!(
            decrypts(&own, &ct),
            "round {round}: the vault cannot read its own save"
        );
        drop(a);
        for (i, dir) in others.iter().enumerate() {
            let v = LockedVault::open(dir).unwrap().unlock(&pass).unwrap();
            let gone = roster
                .iter()
                .any(|m| m.id == v.device_id() && m.removed.is_some());
            if gone {
                let key = tmp.path().join(format!("key-{i}.txt"));
                let _ = std::fs::remove_file(&key);
                v.export_identity(&key).unwrap();
                assert!(
                    !decrypts(&key, &ct),
                    "round {round}: removed device {i} can read what was written after its removal"
                );
            }
        }
    }
    assert!(
        !removed.is_empty(),
        "the writer never acknowledged a removal; the test tested nothing"
    );
    println!(
        "crash (removals): {ROUNDS} SIGKILLs, {} removals and {} saves acknowledged, all intact",
        removed.len(),
        acks.len()
    );
}

/// Whether an age file decrypts with every key of an exported identity file.
fn decrypts(identity_file: &Path, ct: &[u8]) -> bool {
    let text = std::fs::read_to_string(identity_file).unwrap();
    let ids: Vec<coffer_core::age::x25519::Identity> = text
        .lines()
        .filter(|l| l.starts_with("AGE-SECRET-KEY-"))
        .map(|l| l.parse().unwrap())
        .collect();
    let refs: Vec<&coffer_core::age::x25519::Identity> = ids.iter().collect();
    coffer_core::crypto::decrypt(&refs, ct).is_ok()
}

/// Runs the writer once in `mode` with `envs`, killing it with SIGKILL after `delay` unless
/// it ended first; returns whether it said `done`.
fn run_once(bin: &Path, vault: &Path, delay: Duration, mode: &str, envs: &[(&str, &str)]) -> bool {
    let mut cmd = Command::new(bin);
    cmd.arg(vault)
        .arg(vault.with_extension("scratch"))
        .env("COFFER_CRASH_MODE", mode)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("starting crash_writer");
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("reading the writer");
    assert_eq!(first.trim_end(), "ready", "the writer did not start");
    std::thread::sleep(delay);
    let _ = child.kill();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut out, &mut rest);
    let output = child.wait_with_output().expect("waiting for the writer");
    use std::os::unix::process::ExitStatusExt;
    if output.status.signal() != Some(9) {
        assert!(
            output.status.success(),
            "the writer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    rest.contains("done")
}

/// `coffer join`, killed at random moments: joining again resumes (or starts over from an
/// empty folder) and ends with every note, this device in the roster once, and the first
/// device seeing it once, with no alarm.
#[test]
fn sigkill_during_a_join_resumes() {
    const NOTES: usize = 300;
    const ROUNDS: usize = 12;
    let mut rng = Rng(std::env::var("COFFER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x005e_ed0f_101e));
    let bin = writer_binary();
    let tmp = tempfile::tempdir().expect("a temp folder");
    let pass = SecretString::from(PASSPHRASE.to_string());
    let remote = tmp.path().join("remote").display().to_string();
    let opts = coffer_core::InitOptions { work_factor: 10 };
    let mut a = coffer_core::Vault::init(&tmp.path().join("a"), &pass, &opts).expect("init");
    a.create_many(
        (0..NOTES)
            .map(|i| coffer_core::NewNote {
                title: format!("note {i}"),
                body: "x".repeat(200 + i),
                ..Default::default()
            })
            .collect(),
    )
    .expect("notes");
    a.add_remote("r", &remote, None).expect("remote");
    a.sync(Some("r"), &Default::default(), &mut |_| {})
        .expect("sync");
    let (mut finished, mut interrupted) = (0, 0);
    for round in 0..ROUNDS {
        let dir = tmp.path().join(format!("b-{round}"));
        let delay = Duration::from_millis(rng.range(2, 400));
        if run_once(
            &bin,
            &dir,
            delay,
            "join",
            &[
                ("COFFER_CRASH_PASSPHRASE", PASSPHRASE),
                ("COFFER_CRASH_REMOTE", &remote),
            ],
        ) {
            finished += 1;
        } else {
            interrupted += 1;
        }
        let (b, report) =
            coffer_core::Vault::join_from(&remote, &dir, &pass, None, Some("joining"), &mut |_| {})
                .unwrap_or_else(|e| panic!("round {round}: joining again failed: {e}"));
        assert!(
            report.alarms.is_empty(),
            "round {round}: {:?}",
            report.alarms
        );
        assert!(
            b.load_problems().is_empty(),
            "round {round}: {:?}",
            b.load_problems()
        );
        assert_eq!(b.note_count(), NOTES, "round {round}: notes missing");
        let me = b.device_list().unwrap();
        let me = me.iter().find(|d| d.this_device).unwrap();
        assert_eq!(
            me.name.as_deref(),
            Some("joining"),
            "round {round}: not in the roster"
        );
        let r = a
            .sync(Some("r"), &Default::default(), &mut |_| {})
            .expect("sync");
        assert!(r.alarms.is_empty(), "round {round}: {:?}", r.alarms);
        let listed = a.device_list().unwrap();
        assert_eq!(
            listed.iter().filter(|d| d.id == b.device_id()).count(),
            1,
            "round {round}: {listed:?}"
        );
    }
    println!("crash (join): {interrupted} joins killed and resumed, {finished} finished first");
    assert!(
        interrupted > 0,
        "no join was interrupted: the test tested nothing"
    );
}

/// Opening a vault of the first format on the device that wrote it upgrades it (this device
/// joins the roster, coffer.toml says format 2), killed at random moments: the next open
/// finishes it, nothing is lost and verify finds nothing.
#[test]
fn sigkill_during_an_upgrade_resumes() {
    const GOLDEN: &str = "golden passphrase: format version 1";
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/golden/v1/vault");
    let writer = std::fs::read_dir(golden.join("log"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .into_string()
        .unwrap();
    let mut rng = Rng(0x0c0f_fe12);
    let bin = writer_binary();
    let tmp = tempfile::tempdir().expect("a temp folder");
    let pass = SecretString::from(GOLDEN.to_string());
    let mut interrupted = 0;
    for round in 0..12 {
        let dir = tmp.path().join(format!("v-{round}"));
        copy_tree(&golden, &dir);
        std::fs::create_dir_all(dir.join("local")).unwrap();
        // This copy is the device that wrote the golden vault.
        std::fs::write(dir.join("local/device"), format!("{writer}\n")).unwrap();
        let delay = Duration::from_micros(rng.range(0, 40_000));
        if !run_once(
            &bin,
            &dir,
            delay,
            "open",
            &[("COFFER_CRASH_PASSPHRASE", GOLDEN)],
        ) {
            interrupted += 1;
        }
        let v = LockedVault::open(&dir).unwrap().unlock(&pass).unwrap();
        assert!(
            v.load_problems().is_empty(),
            "round {round}: {:?}",
            v.load_problems()
        );
        let toml = std::fs::read_to_string(dir.join("coffer.toml")).unwrap();
        assert!(
            toml.contains("format = 2"),
            "round {round}: not upgraded: {toml}"
        );
        let me = v.device_list().unwrap();
        let me = me.iter().find(|d| d.this_device).unwrap();
        assert_eq!(me.id.to_string(), writer);
        assert!(
            me.name.is_some(),
            "round {round}: the writer is not in the roster"
        );
        assert_eq!(v.note_count(), 5, "round {round}");
        let report = v.verify(&mut |_| {}).unwrap();
        assert!(
            report.problems.is_empty(),
            "round {round}: {:?}",
            report.problems
        );
    }
    println!("crash (upgrade): {interrupted} of 12 upgrades killed and finished by the next open");
    assert!(
        interrupted > 0,
        "no upgrade was interrupted: the test tested nothing"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
