//! Faults in the middle of a sync, against real servers on 127.0.0.1: the S3 server
//! (SeaweedFS) or the WebDAV server (wsgidav) killed with SIGKILL mid-transfer and started
//! again on the same data and ports; the real `coffer` binary killed with SIGKILL during a large
//! push and during a clone; a TCP proxy that cuts connections after N bytes. After each, the
//! next sync (or the same clone command) resumes where the interrupted one stopped and
//! converges: nothing lost (the devices show the same notes, `verify` finds no problem) and
//! nothing duplicated (no object on the remote that no signed entry names).
#![allow(clippy::unwrap_used)]

mod built;
mod sync_support;

use coffer_core::sync::{Remote, StoreRemote, SyncOptions, SyncReport};
use coffer_core::{Id, InitOptions, LockedVault, NewNote, Result, Vault};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use sync_support::*;

// ---------- a server of our own, to kill and start again ----------

/// One server started by `scripts/sync-servers --serve KIND --data DIR`: killed with SIGKILL
/// (its whole process group) and started again on the same data folder and ports.
struct OwnServer {
    kind: &'static str,
    data: PathBuf,
    env: HashMap<String, String>,
    script: Option<(Child, ChildStdin)>,
}

impl OwnServer {
    fn start(kind: &'static str, data: &Path, ports: Option<&str>) -> OwnServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sync-servers");
        let mut cmd = Command::new(&script);
        cmd.args(["--serve", kind, "--data"]).arg(data);
        if let Some(p) = ports {
            cmd.args(["--ports", p]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut env = HashMap::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if line == "READY" {
                return OwnServer {
                    kind,
                    data: data.to_path_buf(),
                    env,
                    script: Some((child, stdin)),
                };
            }
            if let Some((k, v)) = line.split_once('=') {
                env.insert(k.to_string(), v.to_string());
            }
        }
        let _ = child.wait();
        panic!("scripts/sync-servers --serve {kind} did not start; see its messages above");
    }

    fn get(&self, k: &str) -> String {
        self.env.get(k).cloned().unwrap()
    }

    /// Starts the server again on the same data and ports (after [`Self::kill`]).
    fn restart(mut self) -> OwnServer {
        self.stop_script();
        let ports = self.get("COFFER_TEST_SERVER_PORTS");
        OwnServer::start(self.kind, &self.data.clone(), Some(&ports))
    }

    fn stop_script(&mut self) {
        if let Some((mut child, stdin)) = self.script.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }

    /// A remote URL on this server, in a fresh folder (prefix).
    fn remote_url(&self) -> String {
        let tag = Id::random();
        match self.kind {
            "s3" => format!(
                "s3://{}/{tag}?endpoint={}&region=us-east-1",
                self.get("COFFER_TEST_S3_BUCKET"),
                self.get("COFFER_TEST_S3_ENDPOINT")
            ),
            _ => format!("{}{tag}/", self.get("COFFER_TEST_WEBDAV_URL")),
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop_script();
    }
}

/// A remote that runs `fault` (kills the server) half-way through its first batch of
/// uploads (`put_many`) or downloads (`get_many`) once armed: half the requests of the batch
/// have been answered, the other half meet a dead server.
struct FaultyRemote {
    inner: StoreRemote,
    on_put: bool,
    fault: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl FaultyRemote {
    fn fire(&self) -> bool {
        match self.fault.lock().unwrap().take() {
            Some(f) => {
                f();
                true
            }
            None => false,
        }
    }
    fn armed(&self) -> bool {
        self.fault.lock().unwrap().is_some()
    }
}

impl Remote for FaultyRemote {
    fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        self.inner.get(key, limit)
    }
    fn put(&self, key: &str, data: &[u8]) -> Result<()> {
        self.inner.put(key, data)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.inner.list(prefix)
    }
    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        self.inner.list_dirs(prefix)
    }
    fn requests(&self) -> u64 {
        self.inner.requests()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn get_many(&self, keys: &[String], limit: u64) -> Vec<Result<Option<Vec<u8>>>> {
        // Only a batch of objects: the log is read a few entries at a time.
        if self.on_put || !self.armed() || keys.len() < 8 || !keys[0].starts_with("objects/") {
            return self.inner.get_many(keys, limit);
        }
        let (first, rest) = keys.split_at(keys.len() / 2);
        let mut out = self.inner.get_many(first, limit);
        self.fire();
        out.extend(self.inner.get_many(rest, limit));
        out
    }
    fn put_many(&self, items: &[(String, Vec<u8>)]) -> Result<()> {
        if !self.on_put || !self.armed() || items.len() < 8 {
            return self.inner.put_many(items);
        }
        let (first, rest) = items.split_at(items.len() / 2);
        self.inner.put_many(first)?;
        self.fire();
        self.inner.put_many(rest)
    }
    fn get_to_file(&self, key: &str, to: &Path, limit: u64) -> Result<Option<String>> {
        self.inner.get_to_file(key, to, limit)
    }
    fn put_file(&self, key: &str, from: &Path) -> Result<()> {
        self.inner.put_file(key, from)
    }
}

/// A sync that met a dead server or a cut connection fails with a remote error (which one
/// depends on where it was cut).
fn assert_remote_failed(err: &coffer_core::Error) {
    assert!(
        matches!(err.code(), "remote_failed" | "remote_unreachable"),
        "{}: {err}",
        err.code()
    );
}

// ---------- what "converged, nothing lost or duplicated" means ----------

/// Every object on the remote is named by a signed entry (no debris of the interrupted
/// uploads, no duplicates under other names), and every named object is there.
fn remote_is_whole(d: &mut Device) {
    let r = d.sync_opts(&SyncOptions { audit: true });
    assert!(
        r.alarms.is_empty(),
        "an audit after the fault found: {:?}",
        r.alarms
    );
}

fn notes(n: usize, tag: &str) -> Vec<NewNote> {
    (0..n)
        .map(|i| NewNote {
            title: format!("{tag} {i}"),
            body: format!("{tag} {i}: {}", "some words of a note ".repeat(20)),
            ..Default::default()
        })
        .collect()
}

/// `n` notes, one log entry each (so a push has many entries and objects).
fn create_each(d: &mut Device, n: usize, tag: &str) {
    for note in notes(n, tag) {
        d.v.create(note).unwrap();
    }
}

fn sync_through(d: &mut Device, remote: &dyn Remote) -> Result<SyncReport> {
    let name = d.remote;
    d.v.sync_with(remote, name, &SyncOptions::default(), &mut |_| {})
}

/// What kills the server, for [`FaultyRemote`].
fn killer(server: &OwnServer) -> Box<dyn FnOnce() + Send> {
    let pid = server.get("COFFER_TEST_SERVER_PID");
    Box::new(move || {
        let status = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status()
            .unwrap();
        assert!(status.success(), "kill -KILL -{pid} failed");
    })
}

/// The server killed half-way through a push, then through a pull; both resume.
fn server_killed_mid_transfer(kind: &'static str) {
    let data = tempfile::tempdir().unwrap();
    let server = OwnServer::start(kind, data.path(), None);
    let remote = TestRemote {
        url: server.remote_url(),
        _dir: None,
        folder: None,
    };
    let mut a = first_device(&remote);
    a.sync();
    let mut b = clone_device(&remote);
    create_each(&mut a, 300, "before the kill");

    // Push: half the objects of the first batch are up, then the server dies.
    let faulty = FaultyRemote {
        inner: StoreRemote::open(&remote.url, Some(&creds())).unwrap(),
        on_put: true,
        fault: Mutex::new(Some(killer(&server))),
    };
    let err = sync_through(&mut a, &faulty).unwrap_err();
    assert_remote_failed(&err);
    assert!(!faulty.armed(), "the server was killed mid-push");
    let server = server.restart();
    let r = a.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert_eq!(
        r.pushed_entries, 300,
        "every entry goes up once the server is back"
    );

    // Pull: half the objects of the first batch are down, then the server dies.
    let faulty = FaultyRemote {
        inner: StoreRemote::open(&remote.url, Some(&creds())).unwrap(),
        on_put: false,
        fault: Mutex::new(Some(killer(&server))),
    };
    let err = sync_through(&mut b, &faulty).unwrap_err();
    assert_remote_failed(&err);
    assert!(!faulty.armed(), "the server was killed mid-pull");
    let _server = server.restart();
    let r = b.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert_eq!(b.view(), a.view());
    assert_eq!(b.view().len(), 300);
    assert!(b.v.verify(&mut |_| {}).unwrap().ok());
    remote_is_whole(&mut a);
    remote_is_whole(&mut b);
}

#[test]
fn s3_server_killed_mid_transfer_and_restarted_resumes() {
    server_killed_mid_transfer("s3");
}

#[test]
fn webdav_server_killed_mid_transfer_and_restarted_resumes() {
    server_killed_mid_transfer("webdav");
}

// ---------- the coffer process killed ----------

/// The `coffer` binary of this workspace, built if needed (cargo is the one running the tests).
/// `cargo test --workspace` builds it before any test runs, with this run's features: that one
/// is used when it is newer than every source file of the core and the CLI; otherwise cargo
/// builds it (a `cargo build -p coffer-cli` resolves features on its own and can rebuild many
/// crates, which cost CI over a minute).
fn coffer_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let sibling = exe
            .parent()
            .and_then(Path::parent)
            .map(|p| p.join("coffer"));
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        if let Some(bin) = sibling
            && built::newer_than_sources(&bin, &[&crates.join("core/src"), &crates.join("cli/src")])
        {
            return bin;
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // The same profile as this test binary (target/<profile>/deps/...).
        let exe = std::env::current_exe().unwrap();
        let release = exe
            .parent()
            .and_then(Path::parent)
            .is_some_and(|p| p.ends_with("release"));
        let out = Command::new(cargo)
            .args([
                "build",
                "-p",
                "coffer-cli",
                "--bin",
                "coffer",
                "--message-format=json",
            ])
            .args(release.then_some("--release"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success(), "cannot build the coffer binary");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["target"]["name"] == "coffer")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the coffer executable")
    })
}

fn coffer(args: &[&str]) -> Command {
    let s = servers();
    let mut cmd = Command::new(coffer_bin());
    cmd.args(args)
        .env("COFFER_PASSPHRASE", "sync test passphrase")
        .env("AWS_ACCESS_KEY_ID", &s.key)
        .env("AWS_SECRET_ACCESS_KEY", &s.secret)
        .stdin(Stdio::null());
    cmd
}

/// Runs `coffer ... --json` to its end; its JSON result.
fn coffer_json(args: &[&str]) -> serde_json::Value {
    let out = coffer(args).arg("--json").output().unwrap();
    assert!(
        out.status.success(),
        "coffer {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Starts `coffer ARGS`, waits until `progress()` reaches `at` (polling what it has written so
/// far), then kills it with SIGKILL; asserts it was killed, not finished.
fn kill_when(args: &[&str], at: usize, mut progress: impl FnMut() -> usize) {
    let mut child = coffer(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("coffer {args:?} ended ({status}) before it could be killed mid-way");
        }
        if progress() >= at {
            break;
        }
        std::thread::yield_now();
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "coffer {args:?} was killed");
}

/// Objects in place under `dir` (temp files of a write in progress not counted).
fn count_objects(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        count_objects(&e.path())
                    } else {
                        usize::from(e.file_name().to_string_lossy().ends_with(".age"))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The real `coffer` process killed during a large push and during a clone: running the same
/// command again resumes from what was done (it does not start over) and converges.
#[test]
fn a_killed_coffer_process_resumes_push_and_clone() {
    const N: usize = 3000;
    let remote = fresh_remote(Backend::S3);
    let watcher = remote.attacker();
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("a");
    let mut a = Vault::init(&vault_dir, &pass(), &InitOptions { work_factor: 10 }).unwrap();
    for chunk in notes(N, "pushed").chunks(10) {
        a.create_many(chunk.to_vec()).unwrap();
    }
    a.add_remote("r", &remote.url, Some(creds())).unwrap();
    drop(a);
    let va = vault_dir.to_str().unwrap();

    // Push: killed once a third of the objects are on the remote.
    kill_when(&["--vault", va, "sync"], N / 3, || {
        watcher.list("objects").map(|l| l.len()).unwrap_or(0)
    });
    let r = coffer_json(&["--vault", va, "sync"]);
    let entries = (N / 10) as u64;
    let pushed = r["pushed_entries"].as_u64().unwrap();
    assert!(
        pushed > 0 && pushed < entries,
        "the push resumed where it was killed ({pushed} of {entries} entries sent again)"
    );
    assert_eq!(r["alarms"].as_array().unwrap().len(), 0, "{r}");

    // Clone: killed once a third of the objects are in the new vault.
    let vb = dir.path().join("b");
    let objects = vb.join("objects");
    kill_when(&["clone", &remote.url, vb.to_str().unwrap()], N / 3, || {
        count_objects(&objects)
    });
    let r = coffer_json(&["clone", &remote.url, vb.to_str().unwrap()]);
    let pulled = r["report"]["pulled_objects"].as_u64().unwrap();
    assert!(
        pulled > 0 && pulled < N as u64,
        "the clone resumed where it was killed ({pulled} of {N} objects fetched again)"
    );
    assert_eq!(r["notes"].as_u64().unwrap(), N as u64, "{r}");

    let a = LockedVault::open(&vault_dir)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    let b = LockedVault::open(&vb).unwrap().unlock(&pass()).unwrap();
    let view = |v: &Vault| {
        let mut all: Vec<(String, String)> = v
            .list(&Default::default())
            .into_iter()
            .map(|s| {
                let n = v.note(&s.id).unwrap();
                (n.title, n.body)
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(view(&a), view(&b));
    assert_eq!(view(&b).len(), N);
    assert!(b.verify(&mut |_| {}).unwrap().ok());
    let mut b = Device {
        _dir: tempfile::tempdir().unwrap(),
        v: b,
        remote: "origin",
    };
    remote_is_whole(&mut b);
}

// ---------- a proxy that cuts connections ----------

/// Cut after ~60 KB of a push: part of the objects are up, no entry is complete; the next sync
/// converges. Then a pull cut mid-download resumes too.
#[test]
fn a_cut_connection_mid_sync_resumes_and_converges() {
    let s = servers();
    let proxy = cutting_proxy(s.s3_endpoint.trim_start_matches("http://").to_string());
    let tag = Id::random();
    let url = format!(
        "s3://{}/{tag}?endpoint=http://127.0.0.1:{}&region=us-east-1",
        s.s3_bucket, proxy.port
    );
    let remote = TestRemote {
        url,
        _dir: None,
        folder: None,
    };
    let mut a = first_device(&remote);
    a.sync();
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(a.create(&format!("note {i}"), &"words ".repeat(200)));
    }
    proxy.cut_after(60_000);
    let err =
        a.v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
            .unwrap_err();
    assert_remote_failed(&err);
    proxy.heal();
    let r = a.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert!(r.pushed_entries > 0 && r.pushed_entries <= 40, "{r:?}");
    let b = clone_device(&remote);
    assert_eq!(b.view(), a.view());
    // The pulling side cut mid-download also resumes.
    let mut c = clone_device(&remote);
    for i in 0..20 {
        a.create(&format!("later {i}"), &"more ".repeat(300));
    }
    a.sync();
    proxy.cut_after(3_000);
    let _ =
        c.v.sync(Some("origin"), &SyncOptions::default(), &mut |_| {});
    proxy.heal();
    let r = c.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert_eq!(c.view(), a.view());
    assert!(c.v.verify(&mut |_| {}).unwrap().ok());
    remote_is_whole(&mut c);
}

/// The same through WebDAV: the connection to wsgidav cut mid-push; the next sync converges.
#[test]
fn a_webdav_cut_resumes_too() {
    let s = servers();
    let upstream = s
        .webdav
        .trim_start_matches("webdav+http://")
        .trim_end_matches('/')
        .to_string();
    let proxy = cutting_proxy(upstream);
    let tag = Id::random();
    let remote = TestRemote {
        url: format!("webdav+http://127.0.0.1:{}/{tag}/", proxy.port),
        _dir: None,
        folder: None,
    };
    let mut a = first_device(&remote);
    for i in 0..30 {
        a.create(&format!("note {i}"), &"text ".repeat(100));
    }
    proxy.cut_after(20_000);
    assert!(
        a.v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
            .is_err()
    );
    proxy.heal();
    a.sync();
    let b = clone_device(&remote);
    assert_eq!(b.view(), a.view());
    remote_is_whole(&mut a);
}

/// A large attachment is cut mid-upload (S3, in parts) and mid-download (streamed to a temp
/// file): nothing half-written is ever used, and the next sync completes both.
#[test]
fn a_large_attachment_cut_mid_transfer_resumes() {
    let s = servers();
    let proxy = cutting_proxy(s.s3_endpoint.trim_start_matches("http://").to_string());
    let remote = TestRemote {
        url: format!(
            "s3://{}/{}?endpoint=http://127.0.0.1:{}&region=us-east-1",
            s.s3_bucket,
            Id::random(),
            proxy.port
        ),
        _dir: None,
        folder: None,
    };
    let mut a = first_device(&remote);
    a.sync();
    let mut b = clone_device(&remote);
    let id = a.create("scan", "see the attachment");
    let file = a._dir.path().join("scan.bin");
    // 20 MiB of bytes that do not compress: three parts of 8 MiB.
    let mut bytes = Vec::with_capacity(20 << 20);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while bytes.len() < 20 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(&file, &bytes).unwrap();
    a.v.attach(&id, &file, None).unwrap();
    proxy.cut_after(12 << 20);
    assert!(
        a.v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
            .is_err()
    );
    proxy.heal();
    let r = a.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    proxy.cut_after(1 << 20);
    let _ =
        b.v.sync(Some("origin"), &SyncOptions::default(), &mut |_| {});
    proxy.heal();
    let r = b.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    let out = b._dir.path().join("out.bin");
    b.v.extract(&id, "scan.bin", &out).unwrap();
    assert!(
        std::fs::read(&out).unwrap() == bytes,
        "the attachment arrived whole"
    );
    assert!(b.v.verify(&mut |_| {}).unwrap().ok());
    remote_is_whole(&mut b);
}
