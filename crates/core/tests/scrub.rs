//! The check after unlock (the scrub): damage to any file the log names is found without a
//! `verify`, named by its path, kept as an alarm once, and nothing is changed.

use coffer_core::secrecy::SecretString;
use coffer_core::sync::AlarmKind;
use coffer_core::{Id, InitOptions, LockedVault, NewNote, NoteChange, THIS_DEVICE, Vault};
use std::fs;
use std::path::{Path, PathBuf};

const PASS: &str = "scrub test passphrase";

fn pass() -> SecretString {
    SecretString::from(PASS.to_string())
}

fn reopen(dir: &Path) -> Vault {
    LockedVault::open(dir)
        .and_then(|l| l.unlock(&pass()))
        .expect("the vault opens")
}

fn note(title: &str, body: &str) -> NewNote {
    NewNote {
        title: title.into(),
        body: body.into(),
        ..Default::default()
    }
}

fn obj_rel(id: &Id) -> String {
    let s = id.to_string();
    format!("objects/{}/{s}.age", &s[..2])
}

fn log_rel(device: &Id, seq: u64) -> String {
    format!("log/{device}/{seq:012}.age")
}

fn flip_byte(path: &Path, offset: usize) {
    let mut b = fs::read(path).expect("reading a file to damage");
    b[offset] ^= 0x10;
    fs::write(path, b).expect("writing the damaged file");
}

/// A vault with notes A (two revisions) and B, written out as files, and a snapshot: an unlock
/// reads neither the objects nor the log entries.
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    device: Id,
    a1: Id,
    a2: Id,
    b1: Id,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut v = Vault::init(&dir, &pass(), &InitOptions { work_factor: 10 }).expect("init");
    let a = v.create(note("Alpha", "alpha one")).expect("create");
    let a1 = v.note(&a).expect("a").revision;
    v.update(
        &a,
        NoteChange {
            body: Some("alpha two".into()),
            ..Default::default()
        },
    )
    .expect("update");
    let a2 = v.note(&a).expect("a").revision;
    let b = v.create(note("Beta", "beta body")).expect("create");
    let b1 = v.note(&b).expect("b").revision;
    v.checkpoint().expect("checkpoint");
    v.save_snapshot().expect("snapshot");
    let device = v.device_id();
    Fixture {
        _tmp: tmp,
        dir,
        device,
        a1,
        a2,
        b1,
    }
}

/// Every file in the vault folder and its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).expect("listing") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = fs::read(&p).expect("reading");
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_whole_vault_scrubs_clean_and_every_file_is_read() {
    let f = fixture();
    let mut v = reopen(&f.dir);
    let r = v.scrub().expect("scrub");
    assert!(r.damaged.is_empty(), "{:?}", r.damaged);
    assert_eq!(r.unchecked, 0, "every log entry's file hash is known");
    // Three note revisions, and this device's log entries (at least one per save).
    assert!(r.files >= 3 + 3, "{r:?}");
    assert!(v.sync_alarms().expect("alarms").is_empty());
}

#[test]
fn a_flipped_byte_in_an_object_is_an_alarm_at_the_next_unlock_and_once() {
    let f = fixture();
    flip_byte(&f.dir.join(obj_rel(&f.a2)), 100);
    let mut v = reopen(&f.dir);
    // The note still shows from the snapshot: the scrub is what tells.
    let r = v.scrub().expect("scrub");
    assert_eq!(r.damaged.len(), 1, "{:?}", r.damaged);
    assert_eq!(r.damaged[0].path, obj_rel(&f.a2));
    assert!(
        r.damaged[0].message.contains("differ"),
        "{}",
        r.damaged[0].message
    );
    let alarms = v.sync_alarms().expect("alarms");
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0].kind, AlarmKind::DamagedFile);
    assert_eq!(alarms[0].remote, THIS_DEVICE);
    assert_eq!(alarms[0].key, obj_rel(&f.a2));
    assert!(
        v.load_problems()
            .iter()
            .any(|p| p.contains(&obj_rel(&f.a2))),
        "{:?}",
        v.load_problems()
    );
    // The alarm view names the note the damaged revision belongs to.
    let notes = v.alarm_notes(&alarms);
    assert_eq!(notes[0].len(), 1);
    assert_eq!(notes[0][0].title, "Alpha");
    drop(v);

    // Still damaged at the next unlock: the same alarm, not a new one.
    let mut v = reopen(&f.dir);
    let r = v.scrub().expect("scrub");
    assert_eq!(r.damaged.len(), 1);
    assert_eq!(v.sync_alarms().expect("alarms"), alarms);
}

#[test]
fn deleted_truncated_and_swapped_files_are_each_named() {
    let f = fixture();
    fs::remove_file(f.dir.join(obj_rel(&f.b1))).expect("delete");
    fs::copy(f.dir.join(obj_rel(&f.a2)), f.dir.join(obj_rel(&f.a1))).expect("swap");
    let entry = f.dir.join(log_rel(&f.device, 1));
    let len = fs::metadata(&entry).expect("entry").len();
    fs::OpenOptions::new()
        .write(true)
        .open(&entry)
        .and_then(|e| e.set_len(len / 2))
        .expect("truncate");
    let mut v = reopen(&f.dir);
    let r = v.scrub().expect("scrub");
    let mut found: Vec<(&str, &str)> = r
        .damaged
        .iter()
        .map(|d| (d.path.as_str(), d.message.as_str()))
        .collect();
    found.sort();
    let mut want = vec![
        (obj_rel(&f.a1), "differ"),
        (obj_rel(&f.b1), "missing"),
        (log_rel(&f.device, 1), "differ"),
    ];
    want.sort();
    assert_eq!(found.len(), want.len(), "{found:?}");
    for ((path, message), (want_path, word)) in found.iter().zip(&want) {
        assert_eq!(path, want_path);
        assert!(message.contains(word), "{path}: {message}");
    }
    assert_eq!(v.sync_alarms().expect("alarms").len(), 3);
}

#[test]
fn a_scrub_changes_nothing_in_the_folder_but_the_alarms_file() {
    let f = fixture();
    flip_byte(&f.dir.join(obj_rel(&f.b1)), 60);
    let mut v = reopen(&f.dir);
    let before = tree(&f.dir);
    v.scrub().expect("scrub");
    let after = tree(&f.dir);
    let changed: Vec<&PathBuf> = after
        .iter()
        .filter(|(p, b)| !before.iter().any(|(q, c)| q == p && c == b))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(changed, vec![&f.dir.join("local").join("sync.age")]);
    assert_eq!(before.len(), after.len() - 1, "only sync.age is new");
}

#[test]
fn a_handle_that_only_looks_reports_damage_and_keeps_no_alarm() {
    let f = fixture();
    flip_byte(&f.dir.join(obj_rel(&f.b1)), 60);
    let mut v = LockedVault::open(&f.dir)
        .and_then(|l| l.unlock_to_look(&pass()))
        .expect("look");
    let before = tree(&f.dir);
    let r = v.scrub().expect("scrub");
    assert_eq!(r.damaged.len(), 1);
    assert_eq!(tree(&f.dir), before, "nothing written");
}

#[test]
fn saves_still_in_the_journal_and_purged_notes_are_not_damage() {
    let f = fixture();
    let mut v = reopen(&f.dir);
    let c = v.create(note("Gamma", "in the journal")).expect("create");
    // Not written out yet: its object and entry are only in local/journal.
    let r = v.scrub().expect("scrub");
    assert!(r.damaged.is_empty(), "{:?}", r.damaged);
    // Written out, then trashed and purged: its objects are gone on purpose.
    v.checkpoint().expect("checkpoint");
    v.trash(&c).expect("trash");
    v.purge(&c).expect("purge");
    let r = v.scrub().expect("scrub");
    assert!(r.damaged.is_empty(), "{:?}", r.damaged);
    drop(v);
    let mut v = reopen(&f.dir);
    let r = v.scrub().expect("scrub");
    assert!(r.damaged.is_empty(), "{:?}", r.damaged);
    assert_eq!(r.unchecked, 0);
}

#[test]
fn a_vault_opened_from_the_log_knows_every_file_too() {
    let f = fixture();
    fs::remove_file(f.dir.join("local").join("snapshot.age")).expect("no snapshot");
    fs::remove_file(f.dir.join("local").join("bodies.age")).expect("no bodies");
    let mut v = reopen(&f.dir);
    flip_byte(&f.dir.join(obj_rel(&f.a1)), 80);
    let r = v.scrub().expect("scrub");
    assert_eq!(r.unchecked, 0);
    assert_eq!(r.damaged.len(), 1, "{:?}", r.damaged);
    assert_eq!(r.damaged[0].path, obj_rel(&f.a1));
}
