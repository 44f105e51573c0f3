//! Sync between devices through real remotes: a folder, SeaweedFS (S3) and wsgidav (WebDAV),
//! all on 127.0.0.1. The servers come from `scripts/sync-servers`: started here (once per test
//! binary, stopped when it exits), or already running when COFFER_TEST_S3_URL and
//! COFFER_TEST_WEBDAV_URL are set. A server that cannot start fails the tests; none is skipped.
#![allow(clippy::unwrap_used)]

mod sync_support;

use coffer_core::crypto;
use coffer_core::keys::Keys;
use coffer_core::log::{LogEntry, entry_file_name};
use coffer_core::secrecy::SecretString;
use coffer_core::sync::{AlarmKind, Remote, StoreRemote, SyncOptions};
use coffer_core::{Id, LockedVault, NewNote, NoteFilter, Vault};
use std::path::Path;
use sync_support::*;

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

/// Two devices edit the same lines; `n` is left with two versions on both.
fn conflicted(a: &mut Device, b: &mut Device, n: &Id, body_a: &str, body_b: &str) {
    a.set_body(n, body_a);
    b.set_body(n, body_b);
    a.sync();
    assert_eq!(b.sync().conflicts, 1);
    a.sync();
    assert_eq!(a.v.note(n).unwrap().conflicts.len(), 1);
}

#[test]
fn a_conflict_is_settled_part_by_part_or_kept_as_two_notes() {
    use coffer_core::{PartChange, Settlement};
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    let n = a.create("Plans", "intro\none\ntwo\nthree\nend\n");
    a.sync();
    let mut b = clone_device(&remote);

    // Shown and other: one line changed on both, one only on each side.
    conflicted(
        &mut a,
        &mut b,
        &n,
        "INTRO\none!\ntwo\nthree\nend\n",
        "intro\none?\ntwo\nthree\nEND\n",
    );
    let c = a.v.conflict(&n).unwrap();
    assert!(c.base_known);
    assert_eq!(c.more, 0);
    assert_eq!(c.title_changed, PartChange::Same, "the titles are equal");
    let shown: String = c.parts.iter().map(|p| p.shown.as_str()).collect();
    let other: String = c.parts.iter().map(|p| p.other.as_str()).collect();
    assert_eq!(shown, a.body(&n));
    assert_eq!(other, a.v.note_at(&n, &c.other.revision).unwrap().body);
    let changes: Vec<PartChange> = c.parts.iter().map(|p| p.change).collect();
    assert!(changes.contains(&PartChange::Both), "{changes:?}");

    // Settled by part: each side's own change, and both versions of the line both changed.
    let body: String = c
        .parts
        .iter()
        .map(|p| match p.change {
            PartChange::Same | PartChange::Shown => p.shown.clone(),
            PartChange::Other => p.other.clone(),
            PartChange::Both => format!("{}{}", p.shown, p.other),
        })
        .collect();
    let settle = Settlement {
        shown: c.shown.revision,
        other: c.other.revision,
        title: "Plans".into(),
        body: body.clone(),
    };
    // A settlement of versions that are no longer current writes nothing.
    let stale = Settlement {
        shown: c.other.revision,
        other: c.shown.revision,
        ..settle.clone()
    };
    let before = a.v.history(&n).unwrap().len();
    assert!(matches!(
        a.v.settle_conflict(&n, stale),
        Err(coffer_core::Error::ConflictChanged(_))
    ));
    assert_eq!(a.v.history(&n).unwrap().len(), before);
    let rev = a.v.settle_conflict(&n, settle).unwrap();
    assert_eq!(a.body(&n), body);
    for kept in ["INTRO\n", "one!\n", "one?\n", "END\n"] {
        assert!(body.contains(kept), "{kept:?} is kept: {body:?}");
    }
    let note = a.v.note(&n).unwrap();
    assert!(note.conflicts.is_empty());
    let history = a.v.history(&n).unwrap();
    let settled = history.iter().find(|h| h.revision == rev).unwrap();
    let mut parents = settled.parents.clone();
    parents.sort();
    let mut both = vec![c.shown.revision, c.other.revision];
    both.sort();
    assert_eq!(parents, both, "both versions stay in the history");
    assert!(matches!(
        a.v.conflict(&n),
        Err(coffer_core::Error::NoConflict(_))
    ));
    a.sync();
    b.sync();
    assert_eq!(b.body(&n), a.body(&n), "the settlement travels");
    assert!(b.v.note(&n).unwrap().conflicts.is_empty());

    // Kept as two notes: the note keeps the shown version, a new note holds the other.
    conflicted(&mut a, &mut b, &n, "mine\n", "theirs\n");
    let c = a.v.conflict(&n).unwrap();
    let shown_body = a.body(&n);
    let other_body = a.v.note_at(&n, &c.other.revision).unwrap().body;
    let notes_before = a.v.list(&NoteFilter::default()).len();
    let copy =
        a.v.keep_both(&n, &c.shown.revision, &c.other.revision)
            .unwrap();
    assert_eq!(a.v.list(&NoteFilter::default()).len(), notes_before + 1);
    assert_eq!(a.body(&n), shown_body);
    assert!(a.v.note(&n).unwrap().conflicts.is_empty());
    let copy = a.v.note(&copy).unwrap();
    assert_eq!(copy.body, other_body);
    assert_eq!(copy.title, "Plans (other version)");
    a.sync();
    b.sync();
    assert_eq!(a.view(), b.view());
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
        roster: None,
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
    // The entry seen last (B's first is its joining, its second the note).
    let seen = b.v.devices()[&bdev];
    evil.put(
        &log_key(&bdev, seen),
        &signed_entry(&a.v, &Keys::generate(), bdev, seen, None),
    )
    .unwrap();
    let r = a.sync();
    assert_eq!(kinds(&r), vec![AlarmKind::ForgedEntry], "{r:?}");
    assert_eq!(a.view(), before);

    // A fork: a validly signed, different entry 1 of B (as after a rollback and a replay).
    let (_r, mut a, b, evil) = attacked(kind);
    let before = a.view();
    let bdev = b.v.device_id();
    let seen = b.v.devices()[&bdev];
    evil.put(
        &log_key(&bdev, seen),
        &signed_entry(&a.v, b.v.keys(), bdev, seen, None),
    )
    .unwrap();
    let r = a.sync();
    assert_eq!(kinds(&r), vec![AlarmKind::Fork], "{r:?}");
    assert_eq!(a.view(), before);

    // A rollback: B's entry, seen before, is gone.
    let (_r, mut a, b, evil) = attacked(kind);
    let before = a.view();
    let seen = b.v.devices()[&b.v.device_id()];
    evil.delete(&log_key(&b.v.device_id(), seen)).unwrap();
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
    let saved = evil.get(&object_key(&rev), u64::MAX).unwrap().unwrap();
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
    let other_bytes = evil
        .get(&object_key(&other_rev), u64::MAX)
        .unwrap()
        .unwrap();
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

/// Objects the remote dropped: an audit reports them and uploads again those this vault holds,
/// this device's own and another device's alike; a device without them raises the alarm.
fn dropped_objects(kind: Backend) {
    let (_r, mut a, mut b, evil) = attacked(kind);
    // A's own object, dropped: A's audit uploads it again.
    let mine = a.create("mine", "from a");
    a.sync();
    let rev = a.v.note(&mine).unwrap().revision;
    evil.delete(&object_key(&rev)).unwrap();
    let r = a.sync_opts(&SyncOptions { audit: true });
    assert_eq!(kinds(&r), vec![AlarmKind::DroppedObject], "{r:?}");
    assert!(r.alarms[0].message.contains("uploaded again"), "{r:?}");
    assert!(evil.get(&object_key(&rev), u64::MAX).unwrap().is_some());
    let r = b.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert_eq!(b.body(&mine), "from a");

    // B's object, dropped before A got it: A raises the alarm and waits; B's audit heals it.
    let theirs = b.create("theirs", "from b");
    b.sync();
    let rev = b.v.note(&theirs).unwrap().revision;
    evil.delete(&object_key(&rev)).unwrap();
    let r = a.sync();
    assert_eq!(kinds(&r), vec![AlarmKind::DroppedObject], "{r:?}");
    let r = a.sync_opts(&SyncOptions { audit: true });
    assert!(
        r.alarms
            .iter()
            .all(|x| x.kind == AlarmKind::DroppedObject && !x.message.contains("uploaded again")),
        "A does not hold it: {r:?}"
    );
    let r = b.sync_opts(&SyncOptions { audit: true });
    assert_eq!(kinds(&r), vec![AlarmKind::DroppedObject], "{r:?}");
    let r = a.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert_eq!(a.body(&theirs), "from b");

    // B's object dropped after A took it: A's audit reports it and uploads A's copy.
    let rev = b.v.note(&theirs).unwrap().revision;
    evil.delete(&object_key(&rev)).unwrap();
    let r = a.sync_opts(&SyncOptions { audit: true });
    assert_eq!(kinds(&r), vec![AlarmKind::DroppedObject], "{r:?}");
    assert!(r.alarms[0].message.contains("device"), "{r:?}");
    assert!(evil.get(&object_key(&rev), u64::MAX).unwrap().is_some());
    let c = clone_device(&_r);
    assert_eq!(c.view(), a.view());
    // Kept for `coffer verify`, until dismissed.
    assert!(!a.v.sync_alarms().unwrap().is_empty());
    assert!(a.v.dismiss_sync_alarms().unwrap() > 0);
    assert!(a.v.sync_alarms().unwrap().is_empty());
}

#[test]
fn dropped_objects_on_a_folder_remote_are_uploaded_again() {
    dropped_objects(Backend::Folder);
}

#[test]
fn dropped_objects_on_an_s3_remote_are_uploaded_again() {
    dropped_objects(Backend::S3);
}

/// `passwd` is per device; the remote's identity.age (what clone asks for) follows the device
/// that changed it at its next sync, so the old passphrase no longer clones.
#[test]
fn a_new_passphrase_reaches_the_remote_at_the_next_sync() {
    let remote = fresh_remote(Backend::S3);
    let mut a = first_device(&remote);
    a.create("one", "1");
    a.sync();
    let mut b = clone_device(&remote);
    let new = SecretString::from("a new passphrase".to_string());
    a.v.change_passphrase(&new, 10).unwrap();
    a.sync();
    let dir = tempfile::tempdir().unwrap();
    let err = Vault::clone_from(
        &remote.url,
        &dir.path().join("old"),
        &pass(),
        Some(creds()),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err.code(), "wrong_passphrase", "{err}");
    let (c, _) = Vault::clone_from(
        &remote.url,
        &dir.path().join("new"),
        &new,
        Some(creds()),
        &mut |_| {},
    )
    .unwrap();
    // B keeps its own passphrase, and syncs on.
    b.create("two", "2");
    assert!(b.sync().alarms.is_empty());
    drop(c);
    let Device { _dir, v, .. } = b;
    let b_dir = v.root().to_path_buf();
    drop(v);
    assert!(
        coffer_core::LockedVault::open(&b_dir)
            .unwrap()
            .unlock(&pass())
            .is_ok()
    );
}

/// After `rotate-keys`, the remotes (kept encrypted) are still listed, a remote holding the
/// vault under the old keys is refused with a clear reason, a new, empty remote works, and a
/// device still on the old keys is told why it cannot read it.
#[test]
fn keys_rotated_anew_need_a_new_remote() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("one", "1");
    a.sync();
    let mut b = clone_device(&remote);
    a.v.rotate_keys_anew(&pass(), &mut |_| {}).unwrap();
    assert_eq!(
        a.v.remotes().unwrap().len(),
        1,
        "remotes survive the rotation"
    );
    let err =
        a.v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
            .unwrap_err();
    assert_eq!(err.code(), "remote_mismatch", "{err}");
    assert!(err.to_string().contains("rotated"), "{err}");
    // Refused again next time (the marks still name the old keys).
    let err =
        a.v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
            .unwrap_err();
    assert_eq!(err.code(), "remote_mismatch", "{err}");
    let fresh = fresh_remote(Backend::Folder);
    a.v.add_remote("new", &fresh.url, None).unwrap();
    a.remote = "new";
    assert!(a.sync().alarms.is_empty());
    let c = clone_device(&fresh);
    assert_eq!(c.view(), a.view());
    // B, on the old keys, still syncs with the old remote; pointed at the new one, it is told.
    assert!(b.sync().alarms.is_empty());
    b.v.add_remote("new", &fresh.url, None).unwrap();
    let err =
        b.v.sync(Some("new"), &SyncOptions::default(), &mut |_| {})
            .unwrap_err();
    assert_eq!(err.code(), "remote_mismatch", "{err}");
    assert!(err.to_string().contains("rotated"), "{err}");
    // B wrote nothing there: A and its clone see no alarm.
    assert!(a.sync().alarms.is_empty());
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

/// A pull fetches objects without the vault's lock: the app (another handle on the same vault)
/// can save while a large pull downloads, and both changes are kept.
#[test]
fn saving_during_a_pull_does_not_wait_for_the_download() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("first", "before B exists");
    a.sync();
    let mut b = clone_device(&remote);
    let pulled: Vec<Id> = (0..3)
        .map(|i| a.create(&format!("from A {i}"), "pulled by B"))
        .collect();
    a.sync();

    let b_dir = b._dir.path().join("v");
    let mut app = LockedVault::open(&b_dir).unwrap().unlock(&pass()).unwrap();
    let lock_path = b_dir.join("local").join("lock");
    let mut saved = Vec::new();
    let r =
        b.v.sync(Some(b.remote), &SyncOptions::default(), &mut |p| {
            if p.stage != "downloading" {
                return;
            }
            // Right after a group of objects came: the lock must be free.
            let lock = std::fs::File::options()
                .write(true)
                .open(&lock_path)
                .unwrap();
            assert!(
                lock.try_lock().is_ok(),
                "the pull holds the vault's lock while downloading"
            );
            drop(lock);
            saved.push(
                app.create(NewNote {
                    title: "saved during the pull".into(),
                    body: "typed while syncing".into(),
                    ..Default::default()
                })
                .unwrap(),
            );
        })
        .unwrap();
    assert!(r.alarms.is_empty(), "{:?}", r.alarms);
    assert_eq!(saved.len(), 1, "one group of objects was downloaded");
    app.refresh().unwrap();
    for id in pulled.iter().chain(&saved) {
        assert!(b.v.note(id).is_ok(), "B has note {id}");
        assert!(app.note(id).is_ok(), "the other handle has note {id}");
    }
    let report = b.v.verify(&mut |_| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // And the note saved meanwhile travels on.
    b.sync();
    a.sync();
    assert_eq!(a.body(&saved[0]), "typed while syncing");
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

/// Renaming a notebook keeps a conflict whole: the version in another notebook stays there,
/// and the version shown stays the one shown.
#[test]
fn a_notebook_rename_keeps_a_conflict_whole() {
    use coffer_core::NoteChange;
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    let n = a.create("Plan", "base\n");
    a.sync();
    let mut b = clone_device(&remote);
    let file = |d: &mut Device, nb: &str, body: &str| {
        d.v.update(
            &n,
            NoteChange {
                notebook: Some(Some(nb.into())),
                body: Some(body.into()),
                ..Default::default()
            },
        )
        .unwrap();
    };
    file(&mut a, "Inbox", "from a\n");
    std::thread::sleep(std::time::Duration::from_millis(5));
    file(&mut b, "Work/Plans", "from b\n");
    a.sync();
    b.sync();
    let before = b.v.note(&n).unwrap();
    assert_eq!(before.conflicts.len(), 1);
    assert_eq!(
        before.notebook.as_deref(),
        Some("Work/Plans"),
        "the newer version is shown"
    );
    assert_eq!(b.v.rename_notebook("Work", "Jobs").unwrap(), 1);
    let after = b.v.note(&n).unwrap();
    assert_eq!(after.conflicts.len(), 1, "the conflict stays");
    assert_eq!(
        after.body, "from b\n",
        "the version shown stays the one shown"
    );
    assert_eq!(after.notebook.as_deref(), Some("Jobs/Plans"));
    let other = b.v.note_at(&n, &after.conflicts[0]).unwrap();
    assert_eq!(
        other.notebook.as_deref(),
        Some("Inbox"),
        "the other version stays where it was"
    );
}
