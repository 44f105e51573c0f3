//! Secret residue: after a session of everyday work and a lock, neither a note's plaintext, nor
//! the passphrase, nor any key may be found in any file under the vault folder (objects, logs,
//! local/ with its snapshot cache) or in the temp folder the process used.
//!
//! The temp folder must be private to the test, so the work runs in a child process (this same
//! test binary, running the ignored test `session_then_scan`) started with its own `TMPDIR`:
//! every entry in it was made during the test. The child scans after dropping the vault and
//! fails on any find; the parent test fails if the child does.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use coffer_core::secrecy::SecretString;
use coffer_core::{Id, InitOptions, LockedVault, NewNote, NoteChange, NoteFilter, Vault};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Set for the child: the folder its vault and files go in.
const WORK_ENV: &str = "COFFER_RESIDUE_WORK";

#[test]
fn nothing_secret_is_left_in_files_after_lock() {
    let root = tempfile::tempdir().unwrap();
    let tmp = root.path().join("tmp");
    let work = root.path().join("work");
    std::fs::create_dir(&tmp).unwrap();
    std::fs::create_dir(&work).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "session_then_scan", "--ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env("TMPDIR", &tmp)
        .env(WORK_ENV, &work)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the session in the child process failed:\n{stdout}\n{stderr}"
    );
    // The child really ran the session (a filter matching nothing also exits 0).
    assert!(stdout.contains("1 passed"), "child did not run:\n{stdout}");
}

/// A byte pattern to look for and what it stands for (the secret itself is never printed).
struct Canary {
    what: String,
    bytes: Vec<u8>,
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The patterns for one secret string: UTF-8 and UTF-16LE.
fn canaries(what: &str, secret: &str) -> Vec<Canary> {
    vec![
        Canary {
            what: format!("{what} (UTF-8)"),
            bytes: secret.as_bytes().to_vec(),
        },
        Canary {
            what: format!("{what} (UTF-16LE)"),
            bytes: utf16le(secret),
        },
    ]
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            files_under(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

/// Every (file, canary) pair where the canary occurs in the file's bytes or its path.
fn scan(dirs: &[&Path], canaries: &[Canary]) -> Vec<String> {
    let mut files = Vec::new();
    for d in dirs {
        files_under(d, &mut files);
    }
    let mut finds = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap_or_default();
        let name = f.to_string_lossy();
        for c in canaries {
            let n = c.bytes.len();
            if data.windows(n).any(|w| w == c.bytes)
                || name.as_bytes().windows(n).any(|w| w == c.bytes)
            {
                finds.push(format!("{} in {}", c.what, f.display()));
            }
        }
    }
    finds
}

fn unique(prefix: &str) -> String {
    // Lower case only: a search index lowercases words, so this is also what it would store.
    format!("{prefix}{}", Id::random())
}

#[test]
#[ignore = "run by nothing_secret_is_left_in_files_after_lock in a child with its own TMPDIR"]
fn session_then_scan() {
    let work = PathBuf::from(
        std::env::var_os(WORK_ENV).expect("run through nothing_secret_is_left_in_files_after_lock"),
    );
    let tmp = std::env::temp_dir();
    assert!(
        tmp.starts_with(work.parent().unwrap()),
        "TMPDIR is not private"
    );
    let vault_dir = work.join("vault");

    let title = unique("canarytitle");
    let body = unique("canarybody");
    let edit = unique("canaryedit");
    let attached = unique("canaryattachment");
    let attach_name = unique("canaryname");
    let pass_text = unique("canarypass");
    let pass2_text = unique("canarynewpass");
    let pass = SecretString::from(pass_text.clone());
    let pass2 = SecretString::from(pass2_text.clone());

    let mut v = Vault::init(&vault_dir, &pass, &InitOptions { work_factor: 10 }).unwrap();

    // The vault's keys, as the identity file shows them; the file is deleted again below.
    let key_file = work.join("identity.txt");
    v.export_identity(&key_file).unwrap();
    let identity = std::fs::read_to_string(&key_file).unwrap();
    let mut keys: Vec<(String, Vec<u8>)> = Vec::new();
    for line in identity.lines() {
        if line.starts_with("AGE-SECRET-KEY-") {
            keys.push(("an age secret key".into(), line.as_bytes().to_vec()));
            keys.push((
                "an age secret key (lower case)".into(),
                line.to_lowercase().into_bytes(),
            ));
        } else if let Some(seed) = line.strip_prefix("# coffer-signing-key: ") {
            keys.push(("the signing seed (base64)".into(), seed.as_bytes().to_vec()));
            let raw = base64::engine::general_purpose::STANDARD
                .decode(seed.trim())
                .unwrap();
            assert_eq!(raw.len(), 32, "signing seed length");
            keys.push(("the signing seed (raw bytes)".into(), raw));
        }
    }
    assert_eq!(
        keys.len(),
        8,
        "the vault and messaging keys, a signing seed and the device key in the identity file"
    );

    let mut all: Vec<Canary> = Vec::new();
    for (what, s) in [
        ("the note title", &title),
        ("the note body", &body),
        ("the edited body", &edit),
        ("the attachment's content", &attached),
        ("the attachment's name", &attach_name),
        ("the passphrase", &pass_text),
        ("the new passphrase", &pass2_text),
    ] {
        all.extend(canaries(what, s));
    }
    for (what, bytes) in keys {
        if let Ok(s) = std::str::from_utf8(&bytes) {
            all.extend(canaries(&what, s));
        } else {
            all.push(Canary { what, bytes });
        }
    }

    // The scanner finds what is there: the exported key file holds every key.
    let finds = scan(&[&work], &all);
    for k in ["age secret key (UTF-8)", "signing seed (base64) (UTF-8)"] {
        assert!(
            finds.iter().any(|f| f.contains(k)),
            "scanner missed {k}: {finds:?}"
        );
    }
    std::fs::remove_file(&key_file).unwrap();
    // ... and UTF-16LE text.
    let control = work.join("control.txt");
    std::fs::write(&control, utf16le(&format!("x{body}x"))).unwrap();
    assert!(
        scan(&[&work], &all)
            .iter()
            .any(|f| f.contains("note body (UTF-16LE)")),
        "scanner missed UTF-16LE"
    );
    std::fs::remove_file(&control).unwrap();

    // A session of everyday work, nothing that writes plaintext out on purpose (no export,
    // no extract).
    let id = v
        .create(NewNote {
            title: title.clone(),
            body: format!("# {title}\n\nThe secret is {body} and more.\n"),
            tags: vec!["private".into()],
            notebook: Some("Journal".into()),
            pinned: true,
        })
        .unwrap();
    v.create_many(vec![NewNote {
        title: "Other".into(),
        body: format!("mentions {body} too"),
        ..Default::default()
    }])
    .unwrap();
    let first = v.history(&id).unwrap()[0].revision;
    v.update(
        &id,
        NoteChange {
            body: Some(format!("Now it says {edit}.\n")),
            ..Default::default()
        },
    )
    .unwrap();
    let source = work.join("attachment.txt");
    std::fs::write(&source, format!("attached: {attached}\n")).unwrap();
    v.attach(&id, &source, Some(&attach_name)).unwrap();
    std::fs::remove_file(&source).unwrap();
    assert_eq!(v.search(&body, 10).len(), 1);
    assert_eq!(v.search(&edit, 10)[0].id, id);
    assert!(v.render(&id).unwrap().contains(&edit));
    assert!(v.note_at(&id, &first).unwrap().body.contains(&body));
    assert_eq!(v.list(&NoteFilter::default()).len(), 2);
    v.revert(&id, &first).unwrap();
    v.trash(&id).unwrap();
    v.restore(&id).unwrap();
    v.save_snapshot().unwrap();
    v.change_passphrase(&pass2, 10).unwrap();
    drop(v);

    // Unlock again (reads the snapshot cache), search, lock.
    let mut v = LockedVault::open(&vault_dir)
        .unwrap()
        .unlock(&pass2)
        .unwrap();
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    assert_eq!(v.search(&body, 10).len(), 2);
    v.create(NewNote {
        title: "After reopen".into(),
        body: format!("again {edit}"),
        ..Default::default()
    })
    .unwrap();
    v.save_snapshot_if_stale().unwrap();
    drop(v);

    assert!(
        vault_dir.join("local").is_dir()
            && std::fs::read_dir(vault_dir.join("local")).unwrap().count() > 0,
        "local/ (with the snapshot) was not written, so it was not checked"
    );
    let finds = scan(&[&work, &tmp], &all);
    let mut scanned = Vec::new();
    files_under(&work, &mut scanned);
    files_under(&tmp, &mut scanned);
    println!("scanned {} files for {} patterns", scanned.len(), all.len());
    assert!(
        finds.is_empty(),
        "secrets left behind:\n{}",
        finds.join("\n")
    );
}
