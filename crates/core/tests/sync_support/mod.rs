//! What the sync test binaries share: the real servers (from `scripts/sync-servers`), fresh
//! remotes of each kind, devices (vaults) that sync with them, and a TCP proxy that cuts
//! connections. Each test binary uses part of it.
#![allow(dead_code, clippy::unwrap_used)]

use coffer_core::secrecy::SecretString;
use coffer_core::sync::{AlarmKind, Credentials, StoreRemote, SyncOptions, SyncReport};
use coffer_core::{Id, InitOptions, NewNote, NoteChange, NoteFilter, Vault};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

// ---------- servers ----------

pub struct Servers {
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub key: String,
    pub secret: String,
    pub webdav: String,
    pub webdav_root: Option<PathBuf>,
    /// A WebDAV server that asks for a user name and password: its URL, user and password.
    pub webdav_auth: (String, String, String),
    /// Held so the script's standard input stays open while tests run.
    pub _child: Option<Mutex<(Child, ChildStdin)>>,
}

pub fn servers() -> &'static Servers {
    static S: OnceLock<Servers> = OnceLock::new();
    S.get_or_init(start_servers)
}

pub fn start_servers() -> Servers {
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
            webdav_auth: (
                from_env("COFFER_TEST_WEBDAV_AUTH_URL")
                    .expect("COFFER_TEST_WEBDAV_AUTH_URL (scripts/sync-servers sets it)"),
                from_env("COFFER_TEST_WEBDAV_USER").expect("COFFER_TEST_WEBDAV_USER"),
                from_env("COFFER_TEST_WEBDAV_PASSWORD").expect("COFFER_TEST_WEBDAV_PASSWORD"),
            ),
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
        webdav_auth: (
            get("COFFER_TEST_WEBDAV_AUTH_URL"),
            get("COFFER_TEST_WEBDAV_USER"),
            get("COFFER_TEST_WEBDAV_PASSWORD"),
        ),
        _child: Some(Mutex::new((child, stdin))),
    }
}

pub fn creds() -> Credentials {
    let s = servers();
    Credentials {
        access_key_id: s.key.clone(),
        secret_access_key: SecretString::from(s.secret.clone()),
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Folder,
    S3,
    Webdav,
}

/// A fresh, empty remote of one kind: its URL (and for the folder, the temp dir holding it).
pub struct TestRemote {
    pub url: String,
    pub _dir: Option<tempfile::TempDir>,
    pub folder: Option<PathBuf>,
}

pub fn fresh_remote(kind: Backend) -> TestRemote {
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
    pub fn attacker(&self) -> StoreRemote {
        StoreRemote::open(&self.url, Some(&creds())).unwrap()
    }
}

// ---------- vault helpers ----------

pub fn pass() -> SecretString {
    SecretString::from("sync test passphrase".to_string())
}

pub struct Device {
    pub _dir: tempfile::TempDir,
    pub v: Vault,
    /// The remote's name in this vault ("r", or "origin" for a clone).
    pub remote: &'static str,
}

pub fn first_device(remote: &TestRemote) -> Device {
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

pub fn clone_device(remote: &TestRemote) -> Device {
    join_device(remote, None)
}

/// A new device set up from the remote with the passphrase, joining the roster as `name` (the
/// host name when `None`; what `clone_from` does).
pub fn join_device(remote: &TestRemote, name: Option<&str>) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let (v, report) = Vault::join_from(
        &remote.url,
        &dir.path().join("v"),
        &pass(),
        Some(creds()),
        name,
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
    pub fn sync(&mut self) -> SyncReport {
        self.sync_opts(&SyncOptions::default())
    }

    pub fn sync_opts(&mut self, opts: &SyncOptions) -> SyncReport {
        self.v
            .sync(Some(self.remote), opts, &mut |_| {})
            .unwrap_or_else(|e| panic!("sync failed: {e}"))
    }

    pub fn create(&mut self, title: &str, body: &str) -> Id {
        self.v
            .create(NewNote {
                title: title.into(),
                body: body.into(),
                ..Default::default()
            })
            .unwrap()
    }

    pub fn set_body(&mut self, id: &Id, body: &str) -> Id {
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

    pub fn body(&self, id: &Id) -> String {
        self.v.note(id).unwrap().body
    }

    /// Everything visible, for comparing devices: (id, title, body, trashed, conflicts).
    pub fn view(&self) -> Vec<(Id, String, String, bool, usize)> {
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

pub fn kinds(report: &SyncReport) -> Vec<AlarmKind> {
    report.alarms.iter().map(|a| a.kind).collect()
}

// ---------- faults ----------

/// A TCP proxy in front of a server (healthy while its budget is `i64::MAX`). Armed with a budget, it lets that many bytes go from
/// clients to the server, then cuts every connection and refuses new ones (the network is
/// down, retries included) until healed.
pub struct CuttingProxy {
    pub port: u16,
    pub budget: Arc<AtomicI64>,
}

impl CuttingProxy {
    pub fn cut_after(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }
    pub fn heal(&self) {
        self.budget.store(i64::MAX, Ordering::SeqCst);
    }
}

pub fn cutting_proxy(upstream: String) -> CuttingProxy {
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

pub fn pump(mut from: TcpStream, mut to: TcpStream, budget: Option<Arc<AtomicI64>>) {
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
