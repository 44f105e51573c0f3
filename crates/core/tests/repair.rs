//! Repair (`coffer verify --repair`): damaged or missing files put back from a real remote (a
//! folder, SeaweedFS for S3, wsgidav for WebDAV, all on 127.0.0.1, from `scripts/sync-servers`)
//! only with the bytes their signed entry names; a note whose current version no remote holds
//! saved again from its text on this device; what nothing can heal named.
#![allow(clippy::unwrap_used)]

mod sync_support;

use coffer_core::sync::{AlarmKind, Remote};
use coffer_core::{Id, LockedVault, Vault};
use std::fs;
use std::path::Path;
use sync_support::*;

fn obj_rel(id: &Id) -> String {
    let s = id.to_string();
    format!("objects/{}/{s}.age", &s[..2])
}

fn flip_byte(path: &Path, offset: usize) {
    let mut b = fs::read(path).unwrap();
    b[offset] ^= 0x10;
    fs::write(path, b).unwrap();
}

fn reopen(v: Vault) -> Vault {
    let root = v.root().to_path_buf();
    drop(v);
    LockedVault::open(&root).unwrap().unlock(&pass()).unwrap()
}

/// A device with two notes synced to `kind`, one object flipped, one deleted, and one log entry
/// truncated: all three are put back from the remote, byte for byte, and the vault verifies.
fn heals_from(kind: Backend) {
    let remote = fresh_remote(kind);
    let mut a = first_device(&remote);
    let n1 = a.create("Groceries", "milk\neggs\n");
    let n2 = a.create("Plans", "one\ntwo\n");
    assert!(a.sync().alarms.is_empty());
    a.v.checkpoint().unwrap();
    a.v.save_snapshot().unwrap();
    let root = a.v.root().to_path_buf();
    let r1 = obj_rel(&a.v.note(&n1).unwrap().revision);
    let r2 = obj_rel(&a.v.note(&n2).unwrap().revision);
    let entry = format!(
        "log/{}/{}",
        a.v.device_id(),
        coffer_core::log::entry_file_name(1)
    );
    let good: Vec<Vec<u8>> = [&r1, &r2, &entry]
        .iter()
        .map(|p| fs::read(root.join(p)).unwrap())
        .collect();
    flip_byte(&root.join(&r1), 90);
    fs::remove_file(root.join(&r2)).unwrap();
    let len = good[2].len();
    fs::write(root.join(&entry), &good[2][..len / 2]).unwrap();

    let mut v = reopen(a.v);
    let r = v.repair().unwrap();
    assert!(r.not_healed.is_empty(), "{:?}", r.not_healed);
    let mut healed: Vec<&str> = r.healed.iter().map(|h| h.path.as_str()).collect();
    healed.sort();
    let mut want = vec![r1.as_str(), r2.as_str(), entry.as_str()];
    want.sort();
    assert_eq!(healed, want);
    assert!(
        r.healed.iter().all(|h| h.how.contains("remote “r”")),
        "{:?}",
        r.healed
    );
    for (p, bytes) in [&r1, &r2, &entry].iter().zip(&good) {
        assert_eq!(
            &fs::read(root.join(p)).unwrap(),
            bytes,
            "{p} is the signed copy again"
        );
    }
    // Whole again: no alarm about them left, a scrub and verify find nothing.
    assert!(
        v.sync_alarms()
            .unwrap()
            .iter()
            .all(|a| a.kind != AlarmKind::DamagedFile),
        "{:?}",
        v.sync_alarms()
    );
    assert!(v.scrub().unwrap().damaged.is_empty());
    let report = v.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

#[test]
fn repair_puts_files_back_from_a_folder() {
    heals_from(Backend::Folder);
}

#[test]
fn repair_puts_files_back_from_s3() {
    heals_from(Backend::S3);
}

#[test]
fn repair_puts_files_back_from_webdav() {
    heals_from(Backend::Webdav);
}

/// A remote that offers a note object larger than any note object may be is cut off at the
/// format's limit: nothing is written, and the file is reported as not repaired.
#[test]
fn a_size_bomb_from_the_remote_is_refused() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    let n = a.create("Small", "a few words\n");
    assert!(a.sync().alarms.is_empty());
    a.v.checkpoint().unwrap();
    let root = a.v.root().to_path_buf();
    let rel = obj_rel(&a.v.note(&n).unwrap().revision);
    // 81 MiB of zeros, sparse, where the remote holds the object.
    let bomb = fs::File::create(remote.folder.as_ref().unwrap().join(&rel)).unwrap();
    bomb.set_len(81 << 20).unwrap();
    fs::remove_file(root.join(&rel)).unwrap();
    // The text is still in memory, so the note is saved again, but the bomb was never kept.
    let r = a.v.repair().unwrap();
    assert_eq!(r.healed.len(), 1, "{r:?}");
    assert!(
        r.healed[0].how.contains("over the limit")
            && r.healed[0].how.contains("it was not downloaded"),
        "{}",
        r.healed[0].how
    );
    assert!(!root.join(&rel).exists(), "nothing was put in place");
    let dir = root.join(&rel);
    let dir = dir.parent().unwrap();
    assert!(
        fs::read_dir(dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".tmp-")),
        "no temp file left behind"
    );
}

/// A remote that offers other bytes under the damaged file's name is not believed: its bytes
/// do not have the hash the signed entry names. With no good copy anywhere, the note's current
/// text (still on this device, from the snapshot) is saved as a new revision; an old revision
/// no remote holds is named as not repaired.
#[test]
fn without_a_good_copy_the_text_is_saved_again_and_the_rest_is_named() {
    let remote = fresh_remote(Backend::S3);
    let mut a = first_device(&remote);
    let n = a.create("Diary", "first words\n");
    let old = a.v.note(&n).unwrap().revision;
    a.set_body(&n, "the words I must not lose\n");
    assert!(a.sync().alarms.is_empty());
    a.v.checkpoint().unwrap();
    a.v.save_snapshot().unwrap();
    let root = a.v.root().to_path_buf();
    let cur = a.v.note(&n).unwrap().revision;
    // The remote's copies are replaced by the attacker with another valid object of this vault.
    let other = fs::read(root.join(obj_rel(&old))).unwrap();
    remote.attacker().put(&obj_rel(&cur), &other).unwrap();
    remote.attacker().delete(&obj_rel(&old)).unwrap();
    flip_byte(&root.join(obj_rel(&cur)), 70);
    fs::remove_file(root.join(obj_rel(&old))).unwrap();

    let mut v = reopen(a.v);
    let r = v.repair().unwrap();
    assert_eq!(r.healed.len(), 1, "{r:?}");
    assert_eq!(r.healed[0].path, obj_rel(&cur));
    assert!(
        r.healed[0].how.contains("saved again"),
        "{}",
        r.healed[0].how
    );
    assert!(
        r.healed[0].how.contains("does not hold the right bytes"),
        "{}",
        r.healed[0].how
    );
    assert_eq!(r.not_healed.len(), 1, "{r:?}");
    assert_eq!(r.not_healed[0].path, obj_rel(&old));
    assert!(
        r.not_healed[0].message.contains("no copy found"),
        "{}",
        r.not_healed[0].message
    );
    // The text is there, in a new revision that reads from its own, whole object.
    let note = v.note(&n).unwrap();
    assert_eq!(note.body, "the words I must not lose\n");
    assert_ne!(note.revision, cur);
    let v = reopen(v);
    fs::remove_file(v.root().join("local").join("bodies.age")).unwrap();
    let v = reopen(v);
    assert_eq!(v.note(&n).unwrap().body, "the words I must not lose\n");
    // The damaged file was not replaced by the attacker's bytes.
    assert_ne!(fs::read(v.root().join(obj_rel(&cur))).unwrap(), other);
}
