//! Sync between devices through real remotes: a folder, SeaweedFS (S3) and wsgidav (WebDAV),
//! all on 127.0.0.1. The servers come from `scripts/sync-servers`: started here (once per test
//! binary, stopped when it exits), or already running when COFFER_TEST_S3_URL and
//! COFFER_TEST_WEBDAV_URL are set. A server that cannot start fails the tests; none is skipped.
#![allow(clippy::unwrap_used)]

use coffer_core::crypto;
use coffer_core::keys::Keys;
use coffer_core::log::{LogEntry, entry_file_name};
use coffer_core::secrecy::SecretString;
use coffer_core::sync::{AlarmKind, Credentials, Remote, StoreRemote, SyncOptions, SyncReport};
use coffer_core::{Id, InitOptions, NewNote, NoteChange, NoteFilter, Vault};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

// ---------- servers ----------

struct Servers {
    s3_endpoint: String,
    s3_bucket: String,
    key: String,
    secret: String,
    webdav: String,
    webdav_root: Option<PathBuf>,
    /// Held so the script's standard input stays open while tests run.
    _child: Option<Mutex<(Child, ChildStdin)>>,
}

fn servers() -> &'static Servers {
    static S: OnceLock<Servers> = OnceLock::new();
    S.get_or_init(start_servers)
}

fn start_servers() -> Servers {
    let from_env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(endpoint), Some(webdav)) = (
        from_env("COFFER_TEST_S3_ENDPOINT"),
        from_env("COFFER_TEST_WEBDAV_URL"),
    ) {
        return Servers {
            s3_endpoint: endpoint,
            s3_bucket: from_env("COFFER_TEST_S3_BUCKET").unwrap_or_else(|| "coffer".into()),
            key: from_env("AWS_ACCESS_KEY_ID").expect("AWS_ACCESS_KEY_ID for the S3 server"),
            secret: from_env("AWS_SECRET_ACCESS_KEY")
                .expect("AWS_SECRET_ACCESS_KEY for the S3 server"),
            webdav,
            webdav_root: from_env("COFFER_TEST_WEBDAV_ROOT").map(PathBuf::from),
            _child: None,
        };
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sync-servers");
    let mut child = Command::new(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdin = child.stdin.take().unwrap();
    let mut env = std::collections::HashMap::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line == "READY" => break,
            Some(Ok(line)) => {
                if let Some((k, v)) = line.split_once('=') {
                    env.insert(k.to_string(), v.to_string());
                }
            }
            _ => {
                let status = child.wait().unwrap();
                panic!(
                    "scripts/sync-servers could not start the S3 and WebDAV servers ({status}); see its messages above"
                );
            }
        }
    }
    let get = |k: &str| {
        env.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("scripts/sync-servers printed no {k}"))
    };
    Servers {
        s3_endpoint: get("COFFER_TEST_S3_ENDPOINT"),
        s3_bucket: get("COFFER_TEST_S3_BUCKET"),
        key: get("AWS_ACCESS_KEY_ID"),
        secret: get("AWS_SECRET_ACCESS_KEY"),
        webdav: get("COFFER_TEST_WEBDAV_URL"),
        webdav_root: Some(PathBuf::from(get("COFFER_TEST_WEBDAV_ROOT"))),
        _child: Some(Mutex::new((child, stdin))),
    }
}

fn creds() -> Credentials {
    let s = servers();
    Credentials {
        access_key_id: s.key.clone(),
        secret_access_key: SecretString::from(s.secret.clone()),
    }
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Folder,
    S3,
    Webdav,
}

/// A fresh, empty remote of one kind: its URL (and for the folder, the temp dir holding it).
struct TestRemote {
    url: String,
    _dir: Option<tempfile::TempDir>,
    folder: Option<PathBuf>,
}

fn fresh_remote(kind: Backend) -> TestRemote {
    let tag = Id::random().to_string();
    match kind {
        Backend::Folder => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("remote");
            TestRemote {
                url: path.display().to_string(),
                folder: Some(path),
                _dir: Some(dir),
            }
        }
        Backend::S3 => {
            let s = servers();
            TestRemote {
                url: format!(
                    "s3://{}/{tag}?endpoint={}&region=us-east-1",
                    s.s3_bucket, s.s3_endpoint
                ),
                folder: None,
                _dir: None,
            }
        }
        Backend::Webdav => {
            let s = servers();
            TestRemote {
                url: format!("{}{tag}/", s.webdav),
                folder: s.webdav_root.as_ref().map(|r| r.join(&tag)),
                _dir: None,
            }
        }
    }
}

impl TestRemote {
    /// A client to the same remote that acts as the attacker (direct API access).
    fn attacker(&self) -> StoreRemote {
        StoreRemote::open(&self.url, Some(&creds())).unwrap()
    }
}

// ---------- vault helpers ----------

fn pass() -> SecretString {
    SecretString::from("sync test passphrase".to_string())
}

struct Device {
    _dir: tempfile::TempDir,
    v: Vault,
    /// The remote's name in this vault ("r", or "origin" for a clone).
    remote: &'static str,
}

fn first_device(remote: &TestRemote) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vault::init(
        &dir.path().join("v"),
        &pass(),
        &InitOptions { work_factor: 10 },
    )
    .unwrap();
    v.add_remote("r", &remote.url, Some(creds())).unwrap();
    Device {
        _dir: dir,
        v,
        remote: "r",
    }
}

fn clone_device(remote: &TestRemote) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let (v, report) = Vault::clone_from(
        &remote.url,
        &dir.path().join("v"),
        &pass(),
        Some(creds()),
        &mut |_| {},
    )
    .unwrap();
    assert!(report.alarms.is_empty(), "{:?}", report.alarms);
    Device {
        _dir: dir,
        v,
        remote: "origin",
    }
}

impl Device {
    fn sync(&mut self) -> SyncReport {
        self.sync_opts(&SyncOptions::default())
    }

    fn sync_opts(&mut self, opts: &SyncOptions) -> SyncReport {
        self.v
            .sync(Some(self.remote), opts, &mut |_| {})
            .unwrap_or_else(|e| panic!("sync failed: {e}"))
    }

    fn create(&mut self, title: &str, body: &str) -> Id {
        self.v
            .create(NewNote {
                title: title.into(),
                body: body.into(),
                ..Default::default()
            })
            .unwrap()
    }

    fn set_body(&mut self, id: &Id, body: &str) -> Id {
        self.v
            .update(
                id,
                NoteChange {
                    body: Some(body.into()),
                    ..Default::default()
                },
            )
            .unwrap()
    }

    fn body(&self, id: &Id) -> String {
        self.v.note(id).unwrap().body
    }

    /// Everything visible, for comparing devices: (id, title, body, trashed, conflicts).
    fn view(&self) -> Vec<(Id, String, String, bool, usize)> {
        let mut out = Vec::new();
        for trash in [false, true] {
            for s in self.v.list(&NoteFilter {
                trash,
                ..Default::default()
            }) {
                let n = self.v.note(&s.id).unwrap();
                out.push((n.id, n.title, n.body, n.trashed, n.conflicts.len()));
            }
        }
        out.sort();
        out
    }
}

fn kinds(report: &SyncReport) -> Vec<AlarmKind> {
    report.alarms.iter().map(|a| a.kind).collect()
}

// ---------- devices syncing ----------

fn devices_converge(kind: Backend) {
    let remote = fresh_remote(kind);
    let mut a = first_device(&remote);
    let n1 = a.create("Groceries", "milk\neggs\nbread\n");
    let n2 = a.create("Plans", "one\ntwo\nthree\nfour\nfive\n");
    let r = a.sync();
    assert_eq!((r.pushed_entries, r.pushed_objects), (2, 2), "{r:?}");
    assert!(r.alarms.is_empty(), "{:?}", r.alarms);

    let mut b = clone_device(&remote);
    assert_eq!(b.view(), a.view(), "the clone holds every note");
    assert_ne!(b.v.device_id(), a.v.device_id(), "a clone is a new device");

    // An edit travels from B to A.
    b.set_body(&n1, "milk\neggs\nbread\nbutter\n");
    b.sync();
    a.sync();
    assert_eq!(a.body(&n1), "milk\neggs\nbread\nbutter\n");

    // Concurrent edits of separate lines merge.
    a.set_body(&n2, "ONE\ntwo\nthree\nfour\nfive\n");
    b.set_body(&n2, "one\ntwo\nthree\nfour\nFIVE\n");
    a.sync();
    let r = b.sync();
    assert_eq!(r.merged, 1, "{r:?}");
    a.sync();
    assert_eq!(a.body(&n2), "ONE\ntwo\nthree\nfour\nFIVE\n");
    assert_eq!(a.view(), b.view());
    assert!(a.v.note(&n2).unwrap().conflicts.is_empty());

    // Overlapping edits keep both versions, on both devices.
    a.set_body(&n2, "ONE!\ntwo\nthree\nfour\nFIVE\n");
    b.set_body(&n2, "ONE?\ntwo\nthree\nfour\nFIVE\n");
    a.sync();
    let r = b.sync();
    assert_eq!((r.merged, r.conflicts), (0, 1), "{r:?}");
    a.sync();
    for d in [&a, &b] {
        let n = d.v.note(&n2).unwrap();
        assert_eq!(n.conflicts.len(), 1);
        let other = d.v.note_at(&n2, &n.conflicts[0]).unwrap();
        let mut both = [n.body.clone(), other.body];
        both.sort();
        assert_eq!(
            both,
            [
                "ONE!\ntwo\nthree\nfour\nFIVE\n".to_string(),
                "ONE?\ntwo\nthree\nfour\nFIVE\n".to_string()
            ]
        );
    }
    assert_eq!(a.view(), b.view());

    // A third device; trash and purge travel as signed log entries.
    let mut c = clone_device(&remote);
    assert_eq!(c.view(), a.view());
    c.v.trash(&n1).unwrap();
    c.sync();
    a.sync();
    b.sync();
    assert!(a.v.note(&n1).unwrap().trashed);
    b.v.purge(&n1).unwrap();
    b.sync();
    a.sync();
    c.sync();
    for d in [&a, &c] {
        assert!(d.v.note(&n1).is_err(), "purged everywhere");
    }
    assert_eq!(a.view(), b.view());
    assert_eq!(a.view(), c.view());
    let devices = a.v.device_list().unwrap();
    assert_eq!(devices.len(), 3, "{devices:?}");
    assert!(devices[0].this_device && devices[0].last_sync.is_some());
    for d in [&a, &b, &c] {
        let report = d.v.verify(&mut |_| {}).unwrap();
        assert!(report.ok(), "{:?}", report.problems);
    }
    assert!(a.v.sync_alarms().unwrap().is_empty());
}

#[test]
fn devices_converge_through_a_folder() {
    devices_converge(Backend::Folder);
}

#[test]
fn devices_converge_through_s3() {
    devices_converge(Backend::S3);
}

#[test]
fn devices_converge_through_webdav() {
    devices_converge(Backend::Webdav);
}

/// The requests of a sync after one change do not grow with the vault.
fn one_change_requests(kind: Backend, notes: usize) -> (u64, u64) {
    let remote = fresh_remote(kind);
    let mut a = first_device(&remote);
    for chunk in 0..notes / 50 {
        a.v.create_many(
            (0..50)
                .map(|i| NewNote {
                    title: format!("note {chunk} {i}"),
                    body: "body".into(),
                    ..Default::default()
                })
                .collect(),
        )
        .unwrap();
    }
    a.sync();
    let mut b = clone_device(&remote);
    let id = a.create("one more", "x");
    let push = a.sync().requests;
    let pull = b.sync();
    assert!(b.v.note(&id).is_ok());
    (push, pull.requests)
}

#[test]
fn incremental_sync_costs_do_not_grow_with_the_vault() {
    for kind in [Backend::Folder, Backend::S3] {
        let small = one_change_requests(kind, 50);
        let large = one_change_requests(kind, 500);
        assert_eq!(small, large, "{kind:?}: requests grew with the vault");
        assert!(small.0 < 20 && small.1 < 20, "{kind:?}: {small:?}");
    }
}

// ---------- attacks ----------

/// A log entry for `device` at `seq` signed by `signer`, encrypted to the vault.
fn signed_entry(
    vault: &Vault,
    signer: &Keys,
    device: Id,
    seq: u64,
    prev: Option<String>,
) -> Vec<u8> {
    let e = LogEntry {
        format: 1,
        vault: vault.vault_id(),
        device,
        seq,
        prev,
        time: 1,
        objects: vec![],
        purged: vec![],
    };
    let (plain, _) = e.seal(signer);
    let recipient: coffer_core::age::x25519::Recipient = vault.vault_recipient().parse().unwrap();
    crypto::encrypt(&[&recipient], &plain).unwrap()
}

fn log_key(device: &Id, seq: u64) -> String {
    format!("log/{device}/{}", entry_file_name(seq))
}

fn object_key(id: &Id) -> String {
    format!("objects/{}/{id}.age", id.shard())
}

/// Two devices on a fresh remote, in sync, and the remote's attacker handle.
fn attacked(kind: Backend) -> (TestRemote, Device, Device, StoreRemote) {
    let remote = fresh_remote(kind);
    let mut a = first_device(&remote);
    a.create("first", "from a");
    a.sync();
    let mut b = clone_device(&remote);
    b.create("second", "from b");
    b.sync();
    a.sync();
    let attacker = remote.attacker();
    (remote, a, b, attacker)
}

fn attacks(kind: Backend) {
    // An object no signed entry names: ignored, reported by an audit.
    let (_r, mut a, _b, evil) = attacked(kind);
    let before = a.view();
    let planted = Id::random();
    let recipient: coffer_core::age::x25519::Recipient = a.v.vault_recipient().parse().unwrap();
    evil.put(
        &object_key(&planted),
        &crypto::encrypt(&[&recipient], b"not a note").unwrap(),
    )
    .unwrap();
    let r = a.sync_opts(&SyncOptions { audit: true });
    assert_eq!(kinds(&r), vec![AlarmKind::UnnamedObject], "{r:?}");
    assert_eq!(a.view(), before);

    // A forged entry of a new "device", signed by another key.
    let (_r, mut a, _b, evil) = attacked(kind);
    let before = a.view();
    let fake = Id::random();
    evil.put(
        &log_key(&fake, 1),
        &signed_entry(&a.v, &Keys::generate(), fake, 1, None),
    )
    .unwrap();
    let r = a.sync();
    assert_eq!(kinds(&r), vec![AlarmKind::ForgedEntry], "{r:?}");
    assert_eq!(a.view(), before);

    // An altered entry that was seen before.
    let (_r, mut a, b, evil) = attacked(kind);
    let before = a.view();
    let bdev = b.v.device_id();
    evil.put(
        &log_key(&bdev, 1),
        &signed_entry(&a.v, &Keys::generate(), bdev, 1, None),
    )
    .unwrap();
    let r = a.sync();
    assert_eq!(kinds(&r), vec![AlarmKind::ForgedEntry], "{r:?}");
    assert_eq!(a.view(), before);

    // A fork: a validly signed, different entry 1 of B (as after a rollback and a replay).
    let (_r, mut a, b, evil) = attacked(kind);
    let before = a.view();
    let bdev = b.v.device_id();
    evil.put(
        &log_key(&bdev, 1),
        &signed_entry(&a.v, b.v.keys(), bdev, 1, None),
    )
    .unwrap();
    let r = a.sync();
    assert_eq!(kinds(&r), vec![AlarmKind::Fork], "{r:?}");
    assert_eq!(a.view(), before);

    // A rollback: B's entry, seen before, is gone.
    let (_r, mut a, b, evil) = attacked(kind);
    let before = a.view();
    evil.delete(&log_key(&b.v.device_id(), 1)).unwrap();
    let r = a.sync();
    assert!(kinds(&r).contains(&AlarmKind::Rollback), "{r:?}");
    assert_eq!(a.view(), before, "nothing local changes");

    // A dropped object: named by B's new entry, absent. Nothing of it is applied; once the
    // object is back, the next sync takes it.
    let (_r, mut a, mut b, evil) = attacked(kind);
    let before = a.view();
    let n = b.create("third", "dropped then back");
    b.sync();
    let rev = b.v.note(&n).unwrap().revision;
    let saved = evil.get(&object_key(&rev)).unwrap().unwrap();
    evil.delete(&object_key(&rev)).unwrap();
    let r = a.sync();
    assert_eq!(kinds(&r), vec![AlarmKind::DroppedObject], "{r:?}");
    assert_eq!(a.view(), before);
    evil.put(&object_key(&rev), &saved).unwrap();
    let r = a.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert_eq!(a.body(&n), "dropped then back");

    // A swapped object: another valid object under its name.
    let (_r, mut a, mut b, evil) = attacked(kind);
    let before = a.view();
    let n = b.create("fourth", "will be swapped");
    b.sync();
    let rev = b.v.note(&n).unwrap().revision;
    let other = a.v.list(&NoteFilter::default())[0].id;
    let other_rev = a.v.note(&other).unwrap().revision;
    let other_bytes = evil.get(&object_key(&other_rev)).unwrap().unwrap();
    evil.put(&object_key(&rev), &other_bytes).unwrap();
    let r = a.sync();
    assert_eq!(kinds(&r), vec![AlarmKind::SwappedObject], "{r:?}");
    assert_eq!(a.view(), before);

    // Alarms are kept for `verify` and the app.
    let kept: Vec<AlarmKind> = a.v.sync_alarms().unwrap().iter().map(|a| a.kind).collect();
    assert_eq!(kept, vec![AlarmKind::SwappedObject]);
    assert!(
        a.v.verify(&mut |_| {}).unwrap().ok(),
        "the local vault stays whole"
    );
}

#[test]
fn attacks_on_a_folder_remote_are_caught() {
    attacks(Backend::Folder);
}

#[test]
fn attacks_on_an_s3_remote_are_caught() {
    attacks(Backend::S3);
}

/// The whole remote folder restored to an older copy (a backup, a sync service's revert).
#[test]
fn a_folder_remote_restored_from_backup_is_a_rollback() {
    let remote = fresh_remote(Backend::Folder);
    let folder = remote.folder.clone().unwrap();
    let mut a = first_device(&remote);
    a.create("one", "1");
    a.sync();
    let mut b = clone_device(&remote);
    let backup = tempfile::tempdir().unwrap();
    copy_dir(&folder, backup.path());
    b.create("two", "2");
    b.sync();
    a.sync();
    let before = a.view();
    std::fs::remove_dir_all(&folder).unwrap();
    copy_dir(backup.path(), &folder);
    let r = a.sync();
    assert!(kinds(&r).contains(&AlarmKind::Rollback), "{r:?}");
    assert_eq!(a.view(), before);
    // B's own rollback is noticed by B, which uploads its entries again.
    let r = b.sync();
    assert!(kinds(&r).contains(&AlarmKind::Rollback), "{r:?}");
    let r = a.sync();
    assert!(r.alarms.is_empty(), "the remote is whole again: {r:?}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

// ---------- faults ----------

/// A TCP proxy in front of a server (healthy while its budget is `i64::MAX`). Armed with a budget, it lets that many bytes go from
/// clients to the server, then cuts every connection and refuses new ones (the network is
/// down, retries included) until healed.
struct CuttingProxy {
    port: u16,
    budget: Arc<AtomicI64>,
}

impl CuttingProxy {
    fn cut_after(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }
    fn heal(&self) {
        self.budget.store(i64::MAX, Ordering::SeqCst);
    }
}

fn cutting_proxy(upstream: String) -> CuttingProxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let budget = Arc::new(AtomicI64::new(i64::MAX));
    let b = budget.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            if b.load(Ordering::SeqCst) < 0 {
                // Down: the connection is accepted and closed at once.
                continue;
            }
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let b = b.clone();
            std::thread::spawn(move || pump(client, server, Some(b)));
            std::thread::spawn(move || pump(s2, c2, None));
        }
    });
    CuttingProxy { port, budget }
}

fn pump(mut from: TcpStream, mut to: TcpStream, budget: Option<Arc<AtomicI64>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(b) = &budget {
            let healthy = b.load(Ordering::SeqCst) == i64::MAX;
            if !healthy && b.fetch_sub(n as i64, Ordering::SeqCst) - (n as i64) < 0 {
                // Cut: the request is left half-sent.
                let _ = to.write_all(&buf[..n / 2]);
                break;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

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
    // Cut after ~60 KB: part of the objects are uploaded, no entry is complete.
    proxy.cut_after(60_000);
    let err =
        a.v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
            .unwrap_err();
    assert_eq!(err.code(), "remote_failed", "{err}");
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
}

/// The WebDAV server killed and started again on the same port and folder mid-way: the sync
/// fails with a clear error and the next one converges.
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
}

// ---------- property: three devices converge ----------

mod prop {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Create(usize),
        Edit {
            dev: usize,
            note: usize,
            line: usize,
        },
        Trash {
            dev: usize,
            note: usize,
        },
        Restore {
            dev: usize,
            note: usize,
        },
        Sync(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            1 => (0..3usize).prop_map(Op::Create),
            4 => (0..3usize, 0..6usize, 0..5usize)
                .prop_map(|(dev, note, line)| Op::Edit { dev, note, line }),
            1 => (0..3usize, 0..6usize).prop_map(|(dev, note)| Op::Trash { dev, note }),
            1 => (0..3usize, 0..6usize).prop_map(|(dev, note)| Op::Restore { dev, note }),
            3 => (0..3usize).prop_map(Op::Sync),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
        #[test]
        fn three_devices_converge_and_lose_no_edit(ops in proptest::collection::vec(op(), 1..30)) {
            let remote = fresh_remote(Backend::Folder);
            let mut first = first_device(&remote);
            let seed = first.create("seed", "l0\nl1\nl2\nl3\nl4\n");
            first.sync();
            let mut devs = vec![first, clone_device(&remote), clone_device(&remote)];
            // Every revision a device acknowledged, by note.
            let mut acked: Vec<(Id, Id)> = Vec::new();
            let mut counter = 0;
            for op in ops {
                counter += 1;
                match op {
                    Op::Create(d) => {
                        let id = devs[d].create(&format!("n{counter}"), "l0\nl1\nl2\nl3\nl4\n");
                        acked.push((id, devs[d].v.note(&id).unwrap().revision));
                    }
                    Op::Edit { dev, note, line } => {
                        let Some(id) = pick(&devs[dev], note, seed) else { continue };
                        let mut lines: Vec<String> =
                            devs[dev].body(&id).lines().map(str::to_string).collect();
                        if lines.is_empty() { lines.push(String::new()); }
                        let i = line % lines.len();
                        lines[i] = format!("edit {counter} by {dev}");
                        let rev = devs[dev].set_body(&id, &(lines.join("\n") + "\n"));
                        acked.push((id, rev));
                    }
                    Op::Trash { dev, note } => {
                        let Some(id) = pick(&devs[dev], note, seed) else { continue };
                        devs[dev].v.trash(&id).unwrap();
                    }
                    Op::Restore { dev, note } => {
                        let trashed = devs[dev].v.list(&NoteFilter { trash: true, ..Default::default() });
                        if trashed.is_empty() { continue; }
                        let id = trashed[note % trashed.len()].id;
                        devs[dev].v.restore(&id).unwrap();
                    }
                    Op::Sync(d) => {
                        let r = devs[d].sync();
                        prop_assert!(r.alarms.is_empty(), "{:?}", r.alarms);
                    }
                }
            }
            // Quiesce: everyone syncs until nothing moves (merges can add a round).
            for _ in 0..4 {
                for d in devs.iter_mut() {
                    let r = d.sync();
                    prop_assert!(r.alarms.is_empty(), "{:?}", r.alarms);
                }
            }
            let view = devs[0].view();
            for d in &devs[1..] {
                prop_assert_eq!(&d.view(), &view);
            }
            for d in &devs {
                for (note, rev) in &acked {
                    let history = d.v.history(note).unwrap();
                    prop_assert!(history.iter().any(|h| h.revision == *rev),
                        "revision {} of note {} is lost", rev, note);
                }
                let verified = d.v.verify(&mut |_| {}).unwrap();
                prop_assert!(verified.ok(), "{:?}", verified.problems);
            }
        }
    }

    /// The `n`th note (any, live or trashed) this device sees, most recent first.
    fn pick(d: &Device, n: usize, seed: Id) -> Option<Id> {
        let mut all: Vec<Id> = d.view().into_iter().map(|v| v.0).collect();
        if all.is_empty() {
            return Some(seed);
        }
        all.sort();
        Some(all[n % all.len()])
    }
}

#[test]
fn s3_credentials_are_stored_encrypted() {
    let remote = fresh_remote(Backend::S3);
    let a = first_device(&remote);
    let secret = servers().secret.as_bytes();
    fn walk(dir: &Path, secret: &[u8]) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, secret);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret),
                    "{} holds the S3 secret in plaintext",
                    p.display()
                );
            }
        }
    }
    walk(a.v.root(), secret);
    let listed = a.v.remotes().unwrap();
    assert!(listed[0].has_credentials);
    // A sync with the stored credentials works (no environment needed).
    let mut a = a;
    assert!(a.sync().alarms.is_empty());
}
