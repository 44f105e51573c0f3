//! Hostile and damaged files: each gives a clear, specific error (its `code()` and message are
//! checked), and nothing else in the vault is harmed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use coffer_core::note::Revision;
use coffer_core::object::{Header, MAX_HEADER};
use coffer_core::secrecy::SecretString;
use coffer_core::{
    Error, Id, InitOptions, LockedVault, NewNote, NoteChange, NoteFilter, Vault, age, crypto,
};
use std::fs;
use std::path::{Path, PathBuf};

const PASS: &str = "hostile test passphrase";

fn pass() -> SecretString {
    SecretString::from(PASS.to_string())
}

fn new_vault(dir: &Path) -> Vault {
    Vault::init(dir, &pass(), &InitOptions { work_factor: 10 }).expect("init")
}

fn reopen(dir: &Path) -> Vault {
    LockedVault::open(dir)
        .and_then(|l| l.unlock(&pass()))
        .expect("the vault still opens")
}

fn note(title: &str, body: &str) -> NewNote {
    NewNote {
        title: title.into(),
        body: body.into(),
        ..Default::default()
    }
}

fn edit(v: &mut Vault, id: &Id, body: &str) -> Id {
    v.update(
        id,
        NoteChange {
            body: Some(body.into()),
            ..Default::default()
        },
    )
    .expect("update")
}

/// The object file's path relative to the vault, as `verify` names it.
fn obj_rel(id: &Id) -> String {
    let s = id.to_string();
    format!("objects/{}/{s}.age", &s[..2])
}

fn obj_path(root: &Path, id: &Id) -> PathBuf {
    root.join(obj_rel(id))
}

fn log_rel(device: &Id, seq: u64) -> String {
    format!("log/{device}/{seq:012}.age")
}

fn flip_bit(path: &Path, offset: usize) {
    let mut b = fs::read(path).expect("reading a file to damage");
    b[offset] ^= 0x10;
    fs::write(path, b).expect("writing the damaged file");
}

fn err_of<T: std::fmt::Debug>(r: coffer_core::Result<T>) -> Error {
    r.expect_err("this must be refused")
}

/// A vault with note A (revisions a1, a2) and note B (revision b1), and a snapshot, so that
/// unlocking does not read the objects and old revisions are read only on demand.
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    a: Id,
    a1: Id,
    a2: Id,
    b: Id,
    b1: Id,
}

fn fixture(snapshot: bool) -> Fixture {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let a = v.create(note("Alpha", "alpha one")).expect("create");
    let a1 = v.note(&a).expect("a").revision;
    let a2 = edit(&mut v, &a, "alpha two");
    let b = v.create(note("Beta", "beta body")).expect("create");
    let b1 = v.note(&b).expect("b").revision;
    if snapshot {
        v.save_snapshot().expect("snapshot");
    }
    Fixture {
        _tmp: tmp,
        dir,
        a,
        a1,
        a2,
        b,
        b1,
    }
}

/// The rest of the fixture vault is whole: B and A's current revision read as written.
fn rest_is_readable(v: &Vault, f: &Fixture) {
    assert_eq!(v.note(&f.b).expect("B").body, "beta body");
    assert_eq!(v.note(&f.a).expect("A").body, "alpha two");
    assert_eq!(v.note(&f.a).expect("A").revision, f.a2);
}

/// Verify reports exactly one problem, on `path`, whose message contains `needle`.
fn verify_names(v: &Vault, path: &str, needle: &str) {
    let report = v.verify(&mut |_| {}).expect("verify runs");
    assert_eq!(
        report.problems.len(),
        1,
        "expected one problem on {path}: {:?}",
        report.problems
    );
    assert_eq!(report.problems[0].path, path);
    assert!(
        report.problems[0].message.contains(needle),
        "{:?} does not say {needle:?}",
        report.problems[0].message
    );
}

fn assert_corrupt(e: &Error, object: &Id, needle: &str) {
    assert_eq!(e.code(), "corrupt_object", "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&object.to_string()),
        "{msg} does not name {object}"
    );
    assert!(msg.contains(needle), "{msg:?} does not say {needle:?}");
}

#[test]
fn damaged_old_revision_is_named_and_the_rest_stays_readable() {
    type Damage = fn(&Path);
    let cases: [(&str, Damage, &str); 4] = [
        (
            "truncated",
            |p| {
                let b = fs::read(p).expect("read");
                fs::write(p, &b[..b.len() / 2]).expect("truncate");
            },
            "cannot decrypt",
        ),
        (
            "extended",
            |p| {
                let mut b = fs::read(p).expect("read");
                b.extend_from_slice(b"trailing bytes");
                fs::write(p, b).expect("extend");
            },
            "cannot decrypt",
        ),
        (
            "bit flipped in the payload",
            |p| {
                let len = fs::metadata(p).expect("meta").len() as usize;
                flip_bit(p, len - 20);
            },
            "cannot decrypt",
        ),
        (
            "bit flipped in the header",
            |p| flip_bit(p, 30),
            "cannot decrypt",
        ),
    ];
    for (what, damage, needle) in cases {
        let f = fixture(true);
        damage(&obj_path(&f.dir, &f.a1));
        let v = reopen(&f.dir);
        assert!(
            v.load_problems().is_empty(),
            "{what}: {:?}",
            v.load_problems()
        );
        rest_is_readable(&v, &f);
        let e = err_of(v.note_at(&f.a, &f.a1));
        assert_corrupt(&e, &f.a1, needle);
        verify_names(&v, &obj_rel(&f.a1), "differs from the one the log names");
        // Without the snapshot the log's ciphertext hash catches it while loading; the
        // damaged revision is left out, named, and nothing else.
        fs::remove_file(f.dir.join("local/snapshot.age")).expect("rm snapshot");
        let v = reopen(&f.dir);
        assert_eq!(
            v.load_problems().len(),
            1,
            "{what}: {:?}",
            v.load_problems()
        );
        let p = &v.load_problems()[0];
        assert!(
            p.contains(&f.a1.to_string()) && p.contains("swapped or altered"),
            "{what}: {p}"
        );
        rest_is_readable(&v, &f);
    }
}

#[test]
fn damaged_only_revision_loses_that_note_only() {
    let f = fixture(false);
    flip_bit(&obj_path(&f.dir, &f.b1), 100);
    let v = reopen(&f.dir);
    assert_eq!(v.load_problems().len(), 1, "{:?}", v.load_problems());
    assert!(v.load_problems()[0].contains(&f.b1.to_string()));
    assert_eq!(err_of(v.note(&f.b)).code(), "no_such_note");
    assert_eq!(v.note(&f.a).expect("A").body, "alpha two");
    assert_eq!(v.note_at(&f.a, &f.a1).expect("a1").body, "alpha one");
    verify_names(&v, &obj_rel(&f.b1), "swapped or altered");
}

#[test]
fn object_copied_under_another_name_is_caught() {
    let f = fixture(true);
    // B's revision, a valid object of this very vault, put in place of A's old revision.
    fs::copy(obj_path(&f.dir, &f.b1), obj_path(&f.dir, &f.a1)).expect("copy");
    let v = reopen(&f.dir);
    rest_is_readable(&v, &f);
    let e = err_of(v.note_at(&f.a, &f.a1));
    assert_corrupt(&e, &f.a1, "copied or renamed from another object");
    verify_names(&v, &obj_rel(&f.a1), "swapped or altered");
}

#[test]
fn object_from_another_vault_is_caught() {
    let f = fixture(true);
    let tmp = tempfile::tempdir().expect("temp dir");
    let other_dir = tmp.path().join("other");
    let mut other = new_vault(&other_dir);
    let o = other.create(note("Other", "not yours")).expect("create");
    let o1 = other.note(&o).expect("o").revision;
    other.checkpoint().expect("write out the journal");

    // Under a name of this vault: another vault's key, so it does not even decrypt.
    fs::copy(obj_path(&other_dir, &o1), obj_path(&f.dir, &f.a1)).expect("copy");
    let v = reopen(&f.dir);
    rest_is_readable(&v, &f);
    assert_corrupt(&err_of(v.note_at(&f.a, &f.a1)), &f.a1, "cannot decrypt");
    verify_names(&v, &obj_rel(&f.a1), "swapped or altered");

    // Under its own name: no log entry names it, so it is ignored and reported.
    let dest = obj_path(&f.dir, &o1);
    fs::create_dir_all(dest.parent().expect("shard")).expect("mkdir");
    fs::copy(obj_path(&other_dir, &o1), &dest).expect("copy");
    let v = reopen(&f.dir);
    assert_eq!(err_of(v.note(&o)).code(), "no_such_note");
    let report = v.verify(&mut |_| {}).expect("verify");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.path == obj_rel(&o1) && w.message.contains("no log entry names")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn object_bound_to_another_vault_id_is_caught() {
    // Whoever holds the vault's recipient can encrypt to it; the vault id inside the
    // plaintext still tells the object does not belong here.
    let f = fixture(true);
    let v = reopen(&f.dir);
    let recipient: age::x25519::Recipient = v.vault_recipient().parse().expect("recipient");
    let mut rev = Revision {
        note: f.a,
        revision: f.a1,
        parents: vec![],
        title: "Alpha".into(),
        tags: vec![],
        notebook: None,
        pinned: false,
        deleted: false,
        created: 0,
        updated: 0,
        attachments: vec![],
        body: "forged".into(),
    };
    let foreign = crypto::encrypt(&[&recipient], &rev.encode(&Id::random())).expect("encrypt");
    fs::write(obj_path(&f.dir, &f.a1), foreign).expect("write");
    assert_corrupt(
        &err_of(v.note_at(&f.a, &f.a1)),
        &f.a1,
        "belongs to another vault",
    );
    // And an object of the right vault claiming another id.
    rev.revision = Id::random();
    let renamed = crypto::encrypt(&[&recipient], &rev.encode(&v.vault_id())).expect("encrypt");
    fs::write(obj_path(&f.dir, &f.a1), renamed).expect("write");
    assert_corrupt(
        &err_of(v.note_at(&f.a, &f.a1)),
        &f.a1,
        "copied or renamed from another object",
    );
    rest_is_readable(&v, &f);
}

#[test]
fn oversized_object_header_is_refused() {
    let f = fixture(true);
    let v = reopen(&f.dir);
    let recipient: age::x25519::Recipient = v.vault_recipient().parse().expect("recipient");
    let mut plain = String::from("---\n");
    let mut i = 0;
    while plain.len() <= MAX_HEADER + 4096 {
        plain.push_str(&format!("k{i}: \"{}\"\n", "x".repeat(100)));
        i += 1;
    }
    plain.push_str("body-bytes: 0\n---\n");
    let ct = crypto::encrypt(&[&recipient], plain.as_bytes()).expect("encrypt");
    fs::write(obj_path(&f.dir, &f.a1), ct).expect("write");
    let e = err_of(v.note_at(&f.a, &f.a1));
    assert_corrupt(&e, &f.a1, "object header: unterminated");
    rest_is_readable(&v, &f);
    // The parser itself stops at MAX_HEADER.
    let e = Header::decode(plain.as_bytes()).expect_err("oversized header");
    assert_eq!(e.code(), "invalid_input");
    assert!(e.to_string().contains("unterminated"), "{e}");
}

/// A vault with three log entries of this device: notes N1, N2, N3 created one per entry.
fn three_entries() -> (tempfile::TempDir, PathBuf, Id, [Id; 3]) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let ids = [
        v.create(note("N1", "one")).expect("create"),
        v.create(note("N2", "two")).expect("create"),
        v.create(note("N3", "three")).expect("create"),
    ];
    let device = v.device_id();
    (tmp, dir, device, ids)
}

#[test]
fn bit_flipped_log_entry_is_named() {
    let (_tmp, dir, device, [n1, n2, n3]) = three_entries();
    let entry = dir.join(log_rel(&device, 2));
    let len = fs::metadata(&entry).expect("meta").len() as usize;
    flip_bit(&entry, len - 30);
    let v = reopen(&dir);
    assert_eq!(v.load_problems().len(), 1, "{:?}", v.load_problems());
    let p = &v.load_problems()[0];
    assert!(
        p.contains(&format!("the log of device {device} is damaged at entry 2"))
            && p.contains("cannot decrypt"),
        "{p}"
    );
    assert_eq!(v.note(&n1).expect("N1").body, "one");
    // Entries after the damage are not trusted: the chain through them is broken.
    assert_eq!(err_of(v.note(&n2)).code(), "no_such_note");
    assert_eq!(err_of(v.note(&n3)).code(), "no_such_note");
    let report = v.verify(&mut |_| {}).expect("verify");
    let paths: Vec<&str> = report.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, [log_rel(&device, 2), log_rel(&device, 3)]);
    assert!(report.problems[0].message.contains("damaged at entry 2"));
    assert!(
        report.problems[1]
            .message
            .contains("not part of the device's log chain")
    );
}

#[test]
fn deleted_log_entry_leaves_a_gap_that_is_reported() {
    let (_tmp, dir, device, [n1, _n2, n3]) = three_entries();
    fs::remove_file(dir.join(log_rel(&device, 2))).expect("rm entry 2");
    let v = reopen(&dir);
    assert_eq!(v.note(&n1).expect("N1").body, "one");
    assert_eq!(err_of(v.note(&n3)).code(), "no_such_note");
    let report = v.verify(&mut |_| {}).expect("verify");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].path, log_rel(&device, 3));
    assert!(
        report.problems[0]
            .message
            .contains("after a gap or damaged entry")
    );
    // Unlocking says so too: entry 3 is ignored because entry 2 is gone.
    assert_eq!(v.load_problems().len(), 1, "{:?}", v.load_problems());
    let p = &v.load_problems()[0];
    assert!(
        p.contains(&format!("the log of device {device} is damaged at entry 2"))
            && p.contains("missing while entry 3 exists"),
        "{p}"
    );
}

#[test]
fn replayed_log_entry_is_named() {
    let (_tmp, dir, device, [n1, n2, n3]) = three_entries();
    // Entry 1 again, as entry 4.
    fs::copy(dir.join(log_rel(&device, 1)), dir.join(log_rel(&device, 4))).expect("copy");
    let v = reopen(&dir);
    assert_eq!(v.load_problems().len(), 1, "{:?}", v.load_problems());
    let p = &v.load_problems()[0];
    assert!(
        p.contains("damaged at entry 4")
            && p.contains("entry 1 of device")
            && p.contains("replayed"),
        "{p}"
    );
    for (id, body) in [(n1, "one"), (n2, "two"), (n3, "three")] {
        assert_eq!(v.note(&id).expect("note").body, body);
    }
    let report = v.verify(&mut |_| {}).expect("verify");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].path, log_rel(&device, 4));
    assert!(report.problems[0].message.contains("replayed or moved"));
}

/// An age scrypt file header by hand: the work factor is whatever the attacker likes.
fn hostile_scrypt_file(work_factor: u32) -> Vec<u8> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("random");
    let mut out = format!(
        "age-encryption.org/v1\n-> scrypt {} {work_factor}\n{}\n--- {}\n",
        B64.encode(salt),
        B64.encode([7u8; 32]),
        B64.encode([9u8; 32]),
    )
    .into_bytes();
    out.extend_from_slice(&[0u8; 12]);
    out.extend_from_slice(&[1u8; 64]);
    out
}

#[test]
fn identity_with_absurd_work_factor_is_refused_at_once() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let id = v.create(note("Kept", "still here")).expect("create");
    drop(v);
    let identity = dir.join("identity.age");
    let good = fs::read(&identity).expect("read identity");
    for wf in [40u32, 23] {
        fs::write(&identity, hostile_scrypt_file(wf)).expect("write");
        // 2^40 would take days and a terabyte: this returns only if it is refused up front.
        let e = err_of(LockedVault::open(&dir).and_then(|l| l.unlock(&pass())));
        assert_eq!(e.code(), "excessive_work_factor", "{e}");
        assert!(e.to_string().contains(&format!("2^{wf}")), "{e}");
    }
    fs::write(&identity, good).expect("restore");
    assert_eq!(reopen(&dir).note(&id).expect("note").body, "still here");
}

#[test]
fn truncated_identity_is_damage_not_a_wrong_passphrase() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let id = v.create(note("Kept", "still here")).expect("create");
    drop(v);
    let identity = dir.join("identity.age");
    let good = fs::read(&identity).expect("read identity");
    let header_end = good
        .windows(4)
        .position(|w| w == b"--- ")
        .expect("header MAC line")
        + 48;
    for len in [0, 10, 40, header_end, header_end + 10, good.len() - 1] {
        fs::write(&identity, &good[..len]).expect("truncate");
        let e = err_of(LockedVault::open(&dir).and_then(|l| l.unlock(&pass())));
        assert_eq!(e.code(), "bad_identity", "truncated to {len} bytes: {e}");
        assert!(e.to_string().starts_with("identity.age is damaged"), "{e}");
    }
    fs::remove_file(&identity).expect("rm");
    let e = err_of(LockedVault::open(&dir).and_then(|l| l.unlock(&pass())));
    assert_eq!(e.code(), "io", "{e}");
    assert!(e.to_string().contains("identity.age"), "{e}");
    fs::write(&identity, good).expect("restore");
    assert_eq!(reopen(&dir).note(&id).expect("note").body, "still here");
}

#[test]
fn folders_that_are_not_vaults() {
    let tmp = tempfile::tempdir().expect("temp dir");

    let missing = tmp.path().join("missing");
    let e = err_of(LockedVault::open(&missing));
    assert_eq!(e.code(), "no_vault");
    assert!(e.to_string().contains("missing"), "{e}");

    // Somebody else's folder: no coffer.toml. Open says so; init refuses to mix in.
    let foreign = tmp.path().join("photos");
    fs::create_dir_all(foreign.join("2024")).expect("mkdir");
    fs::write(foreign.join("2024/beach.jpg"), b"\xff\xd8\xff").expect("write");
    assert_eq!(err_of(LockedVault::open(&foreign)).code(), "no_vault");
    let e = err_of(Vault::init(
        &foreign,
        &pass(),
        &InitOptions { work_factor: 10 },
    ));
    assert_eq!(e.code(), "folder_not_empty");
    assert!(foreign.join("2024/beach.jpg").exists());
    assert!(!foreign.join("coffer.toml").exists());

    // Another program's coffer.toml (valid TOML, not ours).
    fs::write(
        foreign.join("coffer.toml"),
        "[package]\nname = \"coffee\"\n",
    )
    .expect("write");
    let e = err_of(LockedVault::open(&foreign));
    assert_eq!(e.code(), "foreign_folder", "{e}");
    assert!(e.to_string().contains("no valid format version"), "{e}");
}

#[test]
fn bad_coffer_toml() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let id = v.create(note("Kept", "still here")).expect("create");
    drop(v);
    let config = dir.join("coffer.toml");
    let good = fs::read_to_string(&config).expect("read");

    let newer = good.replace("format = 2", "format = 3");
    assert_ne!(newer, good);
    fs::write(&config, &newer).expect("write");
    let e = err_of(LockedVault::open(&dir));
    assert_eq!(e.code(), "newer_format");
    assert!(e.to_string().contains("format version 3"), "{e}");
    assert!(e.to_string().contains("update Coffer"), "{e}");

    fs::write(&config, "format = = 1\n[[[ not toml").expect("write");
    let e = err_of(LockedVault::open(&dir));
    assert_eq!(e.code(), "foreign_folder", "{e}");
    assert!(e.to_string().contains("coffer.toml is unreadable"), "{e}");

    fs::write(&config, good.replace("vault = \"", "vault = \"zz")).expect("write");
    let e = err_of(LockedVault::open(&dir));
    assert_eq!(e.code(), "foreign_folder", "{e}");
    assert!(e.to_string().contains("coffer.toml is invalid"), "{e}");

    fs::write(&config, b"\x00\xff\xfe binary garbage \x80").expect("write");
    let e = err_of(LockedVault::open(&dir));
    assert_eq!(e.code(), "foreign_folder", "binary coffer.toml: {e}");

    fs::write(&config, good).expect("restore");
    assert_eq!(reopen(&dir).note(&id).expect("note").body, "still here");
}

/// A tmpfs mounted for the test and unmounted when dropped.
struct TmpfsMount(PathBuf);

impl TmpfsMount {
    fn new(at: &Path, size: &str) -> Result<TmpfsMount, String> {
        fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(TmpfsMount(at.to_path_buf()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }
}

impl Drop for TmpfsMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` until it refuses another byte.
fn fill_disk(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = fs::File::create(&path).expect("filler");
    let block = vec![0u8; 4096];
    loop {
        match f.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    // Single bytes too, so not even a small write fits.
    while let Ok(1) = f.write(&[0]) {}
    path
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> std::collections::BTreeSet<PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).expect("listing the vault").flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.insert(p.strip_prefix(dir).expect("inside").to_path_buf());
            }
        }
    }
    out
}

#[test]
fn full_disk_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mount = match TmpfsMount::new(&tmp.path().join("small"), "16m") {
        Ok(m) => m,
        Err(why) => {
            let msg = format!(
                "full_disk_loses_nothing_acknowledged NOT RUN: cannot mount a tmpfs here ({why}); \
                 it needs root. Set COFFER_ALLOW_NO_TMPFS=1 to accept running without this test."
            );
            assert!(std::env::var_os("COFFER_ALLOW_NO_TMPFS").is_some(), "{msg}");
            eprintln!("{msg}");
            return;
        }
    };
    let dir = mount.0.join("v");
    let mut v = new_vault(&dir);
    let a = v
        .create(note("Alpha", "before the disk filled"))
        .expect("create");
    v.checkpoint().expect("checkpoint");
    let files_before = files_under(&dir);
    let filler = fill_disk(&mount.0);

    // Saves go on into the save journal's reserve (its blocks exist already); past it, a
    // clear error.
    let big = "a body that does not fit. ".repeat(2000);
    let mut saved: Vec<(Id, String)> = Vec::new();
    let e = loop {
        let body = format!("{} {big}", saved.len());
        match v.update(
            &a,
            NoteChange {
                body: Some(body.clone()),
                ..Default::default()
            },
        ) {
            Ok(rev) => saved.push((rev, body)),
            Err(e) => break e,
        }
        assert!(
            saved.len() <= coffer_core::journal::RESERVE / big.len() + 1,
            "the reserve cannot hold more than so many of these"
        );
    };
    assert!(
        !saved.is_empty(),
        "the journal's reserve takes saves on a full disk"
    );
    assert_eq!(e.code(), "disk_full", "{e}");
    assert!(
        e.to_string()
            .contains("the disk is full: nothing was changed"),
        "{e}"
    );
    let e = err_of(v.create(note("New", &big)));
    assert_eq!(e.code(), "disk_full", "{e}");
    // The open vault shows the last acknowledged save, and nothing of the refused ones.
    let last = &saved.last().expect("saved").1;
    assert_eq!(&v.note(&a).expect("a").body, last);
    assert_eq!(v.list(&NoteFilter::default()).len(), 1);
    // No object or temp file is left behind by the refused saves or the failed write-outs.
    assert_eq!(files_under(&dir), files_before);

    // Reopened while the disk is still full: every acknowledged save is there.
    drop(v);
    let v = reopen(&dir);
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    assert_eq!(&v.note(&a).expect("a").body, last);
    for (rev, body) in &saved {
        assert_eq!(
            &v.note_at(&a, rev).expect("acknowledged revision").body,
            body
        );
    }
    let report = v.verify(&mut |_| {}).expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(files_under(&dir), files_before);

    // With space again, the journal is written out and saving works.
    drop(v);
    fs::remove_file(filler).expect("rm filler");
    let mut v = reopen(&dir);
    assert!(
        files_under(&dir).len() > files_before.len(),
        "written out at open"
    );
    edit(&mut v, &a, "after the disk had room again");
    drop(v);
    let v = reopen(&dir);
    assert_eq!(v.note(&a).expect("a").body, "after the disk had room again");
    for (rev, body) in &saved {
        assert_eq!(
            &v.note_at(&a, rev).expect("acknowledged revision").body,
            body
        );
    }
    let report = v.verify(&mut |_| {}).expect("verify");
    assert!(report.ok() && report.warnings.is_empty(), "{report:?}");
}

// ----- the save journal (local/journal) -----

/// A vault with one note written out as files and three whose saves are still in the journal,
/// left by a process that ended without a checkpoint (as a crash leaves them).
fn journal_fixture() -> (tempfile::TempDir, PathBuf, Id, Vec<Id>) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let first = v.create(note("Written out", "on disk")).expect("create");
    v.checkpoint().expect("checkpoint");
    let ids = (0..3)
        .map(|i| {
            v.create(note(&format!("J{i}"), &format!("journal {i}")))
                .expect("create")
        })
        .collect();
    std::mem::forget(v);
    (tmp, dir, first, ids)
}

/// Where each record starts in a journal file.
fn record_starts(journal: &[u8]) -> Vec<usize> {
    coffer_core::journal::record_spans(journal)
        .iter()
        .map(|(s, _)| *s)
        .collect()
}

/// Where the records of a journal file end.
fn records_end(journal: &[u8]) -> usize {
    coffer_core::journal::record_spans(journal)
        .last()
        .map_or(32, |(_, e)| *e)
}

/// Bytes padded with zeros to whole journal blocks (records start at block boundaries).
fn padded(bytes: &[u8]) -> Vec<u8> {
    let block = coffer_core::journal::BLOCK;
    let mut out = bytes.to_vec();
    out.resize(bytes.len().div_ceil(block) * block, 0);
    out
}

/// Replaces the vault's journal with what `f` makes of it and its record spans.
fn rewrite_journal(dir: &Path, f: impl FnOnce(&[u8], &[(usize, usize)]) -> Vec<u8>) {
    let path = dir.join("local/journal");
    let ours = fs::read(&path).expect("journal");
    let spans = coffer_core::journal::record_spans(&ours);
    fs::write(&path, f(&ours, &spans)).expect("write");
}

/// Asserts the vault reported its journal damaged at byte `at`.
fn assert_journal_damaged_at(v: &Vault, at: usize) {
    let problems = v.load_problems().join("\n");
    assert!(
        problems.contains(&format!("local/journal is damaged at byte {at}")),
        "{problems}"
    );
}

fn damaged_copies(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir.join("local"))
        .expect("local/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .expect("a file name")
                .to_string_lossy()
                .starts_with("journal-damaged-")
        })
        .collect()
}

#[test]
fn a_torn_last_journal_append_is_dropped_quietly() {
    for how in ["cut", "zeros"] {
        let (_tmp, dir, first, ids) = journal_fixture();
        let path = dir.join("local/journal");
        let mut bytes = fs::read(&path).expect("journal");
        let starts = record_starts(&bytes);
        assert_eq!(starts.len(), 3, "{how}");
        let last = starts[2];
        match how {
            // The file ends inside the record: the append grew the file and was cut short.
            "cut" => bytes.truncate(last + (records_end(&bytes) - last) / 2),
            // The size grew but the data never reached the disk.
            _ => bytes[last..].fill(0),
        }
        fs::write(&path, &bytes).expect("write");
        let v = reopen(&dir);
        assert!(
            v.load_problems().is_empty(),
            "{how}: {:?}",
            v.load_problems()
        );
        assert_eq!(v.note(&first).expect("first").body, "on disk");
        assert_eq!(v.note(&ids[0]).expect("J0").body, "journal 0");
        assert_eq!(v.note(&ids[1]).expect("J1").body, "journal 1");
        // The torn save was never acknowledged (its fdatasync had not returned).
        assert!(v.note(&ids[2]).is_err(), "{how}");
        assert!(damaged_copies(&dir).is_empty());
        let report = v.verify(&mut |_| {}).expect("verify");
        assert!(
            report.ok() && report.warnings.is_empty(),
            "{how}: {report:?}"
        );
    }
}

#[test]
fn a_damaged_journal_record_is_reported_and_the_journal_kept() {
    let (_tmp, dir, first, ids) = journal_fixture();
    let path = dir.join("local/journal");
    let original = fs::read(&path).expect("journal");
    let starts = record_starts(&original);
    // A flipped bit inside the second record's ciphertext: it frames, but does not decrypt.
    flip_bit(&path, starts[1] + 200);
    let mut v = reopen(&dir);
    let problems = v.load_problems().join("\n");
    assert!(
        problems.contains("local/journal is damaged at byte")
            && problems.contains("journal-damaged-"),
        "{problems}"
    );
    assert_eq!(v.note(&first).expect("first").body, "on disk");
    assert_eq!(v.note(&ids[0]).expect("J0").body, "journal 0");
    assert!(v.note(&ids[1]).is_err() && v.note(&ids[2]).is_err());
    // Nothing is deleted: the damaged journal is kept, byte for byte, beside the new one.
    let kept = damaged_copies(&dir);
    assert_eq!(kept.len(), 1);
    let mut expected = original.clone();
    expected[starts[1] + 200] ^= 0x10;
    assert_eq!(fs::read(&kept[0]).expect("kept"), expected);
    // The vault goes on working.
    let later = v
        .create(note("Later", "still saving"))
        .expect("save after damage");
    drop(v);
    let v = reopen(&dir);
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    assert_eq!(v.note(&later).expect("later").body, "still saving");
    assert!(v.verify(&mut |_| {}).expect("verify").ok());
}

#[test]
fn verify_names_a_damaged_journal_without_changing_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    for i in 0..3 {
        v.create(note(&format!("N{i}"), "x")).expect("create");
    }
    let path = dir.join("local/journal");
    // The last digit of the second record's time changes to another digit: the entry still reads,
    // its signature no longer verifies. (A bit flipped at a fixed offset could land on the
    // entry's framing instead, whose place moves with the random ids: then it is not an entry.)
    let mut bytes = fs::read(&path).expect("journal");
    let starts = record_starts(&bytes);
    let key = b"\\\"time\\\":";
    let at = starts[1]
        + bytes[starts[1]..]
            .windows(key.len())
            .position(|w| w == key)
            .expect("the record's entry has a time");
    let digits = bytes[at + key.len()..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    bytes[at + key.len() + digits - 1] ^= 0x01; // the last digit: a leading 0 would not parse
    fs::write(&path, &bytes).expect("writing the damaged journal");
    let before = fs::read(&path).expect("journal");
    let report = v.verify(&mut |_| {}).expect("verify");
    assert!(!report.ok());
    assert_eq!(report.problems[0].path, "local/journal");
    assert!(
        report.problems[0].message.contains("forged or altered"),
        "{:?}",
        report.problems
    );
    assert_eq!(
        fs::read(&path).expect("journal"),
        before,
        "verify changes nothing"
    );
    std::mem::forget(v);
}

#[test]
fn a_journal_record_from_another_vault_is_never_applied() {
    // Another vault's save, as a record of its own journal.
    let other_tmp = tempfile::tempdir().expect("temp dir");
    let mut other = new_vault(&other_tmp.path().join("o"));
    for i in 0..4 {
        other
            .create(note(&format!("Intruder {i}"), "not yours"))
            .expect("create");
    }
    let theirs = fs::read(other_tmp.path().join("o/local/journal")).expect("their journal");
    std::mem::forget(other);
    let spans = coffer_core::journal::record_spans(&theirs);
    let foreign = padded(&theirs[spans[3].0..spans[3].1]);
    let intruders = |v: &Vault| {
        v.list(&NoteFilter::default())
            .iter()
            .any(|n| n.title.starts_with("Intruder"))
    };

    // After this journal's last record: not a record of this journal, so where its records
    // end (like the torn end of an append). Nothing of it is applied.
    let (_tmp, dir, first, ids) = journal_fixture();
    rewrite_journal(&dir, |ours, _| {
        let mut out = ours.to_vec();
        let end = padded(&ours[..records_end(ours)]).len();
        out[end..end + foreign.len()].copy_from_slice(&foreign);
        out
    });
    let v = reopen(&dir);
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    assert!(!intruders(&v));
    assert!(v.note(&first).is_ok() && ids.iter().all(|id| v.note(id).is_ok()));
    assert!(v.verify(&mut |_| {}).expect("verify").ok());
    drop(v);

    // Between two of this journal's records: damage, reported, and the journal kept.
    let (_tmp, dir, first, ids) = journal_fixture();
    let mut at = 0;
    rewrite_journal(&dir, |ours, spans| {
        at = spans[2].0;
        [&ours[..at], &foreign, &ours[at..]].concat()
    });
    let v = reopen(&dir);
    assert_journal_damaged_at(&v, at);
    assert!(!intruders(&v));
    assert!(v.note(&first).is_ok() && v.note(&ids[0]).is_ok() && v.note(&ids[1]).is_ok());
    assert!(
        v.note(&ids[2]).is_err(),
        "the record after the damage is not applied"
    );
    assert_eq!(damaged_copies(&dir).len(), 1);
    assert!(v.verify(&mut |_| {}).expect("verify").ok());
}

#[test]
fn journal_records_out_of_order_are_damage_not_a_torn_end() {
    // The last two records swapped: each genuine, the third one out of place.
    let (_tmp, dir, first, ids) = journal_fixture();
    let mut at = 0;
    rewrite_journal(&dir, |ours, spans| {
        at = spans[1].0;
        let mut out = [
            &ours[..at],
            &padded(&ours[spans[2].0..spans[2].1]),
            &padded(&ours[spans[1].0..spans[1].1]),
        ]
        .concat();
        out.resize(ours.len(), 0);
        out
    });
    let v = reopen(&dir);
    assert_journal_damaged_at(&v, at);
    assert!(v.note(&first).is_ok() && v.note(&ids[0]).is_ok());
    assert!(v.note(&ids[1]).is_err() && v.note(&ids[2]).is_err());
    assert_eq!(damaged_copies(&dir).len(), 1, "kept for inspection");
    drop(v);

    // A record taken out: the last one, genuine, follows a gap. Not a torn append either.
    let (_tmp, dir, _, ids) = journal_fixture();
    rewrite_journal(&dir, |ours, spans| {
        at = spans[1].0;
        let mut out = [&ours[..at], &padded(&ours[spans[2].0..spans[2].1])].concat();
        out.resize(ours.len(), 0);
        out
    });
    let v = reopen(&dir);
    assert_journal_damaged_at(&v, at);
    assert!(v.note(&ids[0]).is_ok() && v.note(&ids[2]).is_err());
}

#[test]
fn a_file_that_is_not_a_journal_is_kept_and_reported() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let a = v.create(note("Before", "x")).expect("create");
    drop(v);
    fs::write(dir.join("local/journal"), b"hello, not a journal").expect("write");
    let mut v = reopen(&dir);
    assert!(
        v.load_problems()
            .join("\n")
            .contains("local/journal is damaged at byte 0"),
        "{:?}",
        v.load_problems()
    );
    assert_eq!(damaged_copies(&dir).len(), 1);
    assert!(v.note(&a).is_ok());
    v.create(note("After", "y")).expect("saving works again");
}

/// A damaged `local/device.age` (this device's own keys) is made again at open, but the new key
/// is not the one the roster holds: nothing is signed with it, and the error says how to go on.
#[test]
fn a_damaged_device_key_file_writes_nothing_under_a_wrong_key() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let id = v.create(note("Kept", "still here")).expect("create");
    drop(v);
    let key = dir.join("local/device.age");
    let len = fs::metadata(&key).expect("meta").len() as usize;
    flip_bit(&key, len - 20);
    let mut v = reopen(&dir);
    assert_eq!(v.note(&id).expect("note").body, "still here");
    let e = err_of(v.create(note("New", "x")));
    assert_eq!(e.code(), "damaged_local_file", "{e}");
    assert!(e.to_string().contains("continue-as-new"), "{e}");
}
