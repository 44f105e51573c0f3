//! Unlocking from the snapshot reads only the notes' metadata; bodies and the search index come
//! from a background thread. These tests check that nothing a caller sees differs from a vault
//! rebuilt from the log: every body, every list, and every search result with its score, also
//! when notes change before the first search, and when the bodies file is missing, stale or
//! damaged.
#![allow(clippy::unwrap_used)]

use coffer_core::secrecy::SecretString;
use coffer_core::{Id, InitOptions, LockedVault, NewNote, NoteChange, NoteFilter, Vault};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn pass() -> SecretString {
    SecretString::from("lazy open test".to_string())
}

const QUERIES: &[&str] = &[
    "p",
    "pa",
    "pass",
    "passport",
    "garden",
    "tomato seeds",
    "the",
    "meeting notes",
    "zebra",
    "renewal",
    "x",
];

const WORDS: &[&str] = &[
    "passport",
    "renewal",
    "garden",
    "tomato",
    "seeds",
    "meeting",
    "notes",
    "budget",
    "the",
    "a",
    "of",
    "pasta",
    "past",
    "patient",
    "plan",
    "zebra",
    "xylophone",
    "May.",
    "See",
];

/// A vault of `n` notes with varied bodies, tags and notebooks, one note edited twice and one
/// trashed; the snapshot written.
fn build(n: usize) -> (tempfile::TempDir, PathBuf, Vec<Id>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let mut v = Vault::init(&root, &pass(), &InitOptions { work_factor: 10 }).unwrap();
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let notes: Vec<NewNote> = (0..n)
        .map(|i| {
            let words = 5 + next() % 60;
            let body: Vec<&str> = (0..words).map(|_| WORDS[next() % WORDS.len()]).collect();
            NewNote {
                title: format!("{} {i}", WORDS[next() % WORDS.len()]),
                body: body.join(if i % 3 == 0 { "\n" } else { " " }),
                tags: vec![WORDS[next() % WORDS.len()].to_string()],
                notebook: (i % 2 == 0).then(|| "Home".to_string()),
                pinned: i % 10 == 0,
            }
        })
        .collect();
    let ids = v.create_many(notes).unwrap();
    v.update(
        &ids[1],
        NoteChange {
            body: Some("second revision about passport renewal".into()),
            ..Default::default()
        },
    )
    .unwrap();
    v.trash(&ids[2]).unwrap();
    v.save_snapshot().unwrap();
    (dir, root, ids)
}

fn unlock(root: &Path) -> Vault {
    let v = LockedVault::open(root).unwrap().unlock(&pass()).unwrap();
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    v
}

/// The same vault rebuilt from the log alone (the snapshot moved away and put back).
fn unlock_from_log(root: &Path) -> Vault {
    let local = root.join("local");
    let aside = root.join("aside");
    std::fs::create_dir_all(&aside).unwrap();
    for f in ["snapshot.age", "bodies.age"] {
        let _ = std::fs::rename(local.join(f), aside.join(f));
    }
    let v = unlock(root);
    for f in ["snapshot.age", "bodies.age"] {
        let _ = std::fs::rename(aside.join(f), local.join(f));
    }
    v
}

/// Everything a caller can see of the notes: bodies, lists, counts, and search hits with scores.
fn observe(v: &mut Vault) -> (BTreeMap<Id, String>, String, Vec<String>) {
    let mut all = v.list(&NoteFilter::default());
    all.extend(v.list(&NoteFilter {
        trash: true,
        ..Default::default()
    }));
    let bodies = all
        .iter()
        .map(|s| (s.id, v.note(&s.id).unwrap().body))
        .collect();
    let lists = format!(
        "{:?}\n{:?}\n{:?}",
        all.iter()
            .map(|s| (s.id, &s.title, &s.excerpt, &s.tags, s.updated))
            .collect::<Vec<_>>(),
        v.tags(),
        v.notebooks()
    );
    let searches = QUERIES
        .iter()
        .map(|q| {
            let hits: Vec<_> = v
                .search(q, 20)
                .into_iter()
                .map(|h| (h.id, h.score.to_bits(), h.snippet))
                .collect();
            format!("{q}: {hits:?}")
        })
        .collect();
    (bodies, lists, searches)
}

#[test]
fn unlocking_from_the_snapshot_shows_the_same_vault_as_the_log() {
    let (_dir, root, _) = build(300);
    assert!(root.join("local/bodies.age").exists());
    let mut fast = unlock(&root);
    // Metadata is there at once (listing needs no body).
    assert_eq!(fast.note_count(), 300);
    let mut slow = unlock_from_log(&root);
    let a = observe(&mut fast);
    let b = observe(&mut slow);
    assert_eq!(a.0, b.0, "bodies");
    assert_eq!(a.1, b.1, "lists");
    assert_eq!(a.2, b.2, "search");
    assert!(
        a.2.iter().any(|s| s.starts_with("passport: [(")),
        "{:?}",
        a.2
    );
}

#[test]
fn changes_before_the_first_search_are_found_and_ranked_as_after_a_fresh_index() {
    let (_dir, root, ids) = build(200);
    let mut v = unlock(&root);
    // Changes while the index is (perhaps) still being built in the background.
    let new = v
        .create(NewNote {
            title: "Zebra passport".into(),
            body: "a brand new note about the garden".into(),
            ..Default::default()
        })
        .unwrap();
    v.update(
        &ids[5],
        NoteChange {
            title: Some("Renamed xylophone".into()),
            body: Some("tomato seeds only".into()),
            ..Default::default()
        },
    )
    .unwrap();
    v.trash(&ids[6]).unwrap();
    v.trash(&ids[7]).unwrap();
    v.purge(&ids[7]).unwrap();
    v.restore(&ids[2]).unwrap();
    let a = observe(&mut v);
    assert!(a.2.iter().any(|s| s.contains(&new.to_string())));
    drop(v);
    // The same vault, rebuilt from the log with an index built from scratch.
    let b = observe(&mut unlock_from_log(&root));
    assert_eq!(a.0, b.0, "bodies");
    assert_eq!(a.1, b.1, "lists");
    assert_eq!(a.2, b.2, "search");
}

#[test]
fn a_missing_stale_or_damaged_bodies_file_falls_back_to_the_objects() {
    let (_dir, root, ids) = build(60);
    let expected = observe(&mut unlock_from_log(&root));
    let bodies = root.join("local/bodies.age");
    let good = std::fs::read(&bodies).unwrap();

    // Missing.
    std::fs::remove_file(&bodies).unwrap();
    assert_eq!(observe(&mut unlock(&root)), expected);

    // Damaged (age authenticates it: the flip is caught).
    let mut bad = good.clone();
    let n = bad.len();
    bad[n / 2] ^= 0x40;
    std::fs::write(&bodies, &bad).unwrap();
    assert_eq!(observe(&mut unlock(&root)), expected);

    // Stale: a bodies file of an older generation, beside a newer snapshot.
    std::fs::write(&bodies, &good).unwrap();
    let mut v = unlock(&root);
    v.update(
        &ids[0],
        NoteChange {
            body: Some("newer than the old bodies file".into()),
            ..Default::default()
        },
    )
    .unwrap();
    v.save_snapshot().unwrap();
    drop(v);
    std::fs::write(&bodies, &good).unwrap();
    let mut v = unlock(&root);
    assert_eq!(
        v.note(&ids[0]).unwrap().body,
        "newer than the old bodies file"
    );
    let fresh = observe(&mut unlock_from_log(&root));
    assert_eq!(observe(&mut v), fresh);
}

#[test]
fn a_snapshot_of_an_older_format_is_ignored_and_rebuilt() {
    let (_dir, root, ids) = build(20);
    let v = unlock(&root);
    let recipient: coffer_core::age::x25519::Recipient = v.vault_recipient().parse().unwrap();
    drop(v);
    // A format-2 snapshot ("cofsnap2" + length + LZ4 block): one file with the bodies.
    let mut plain = b"cofsnap2".to_vec();
    plain.extend_from_slice(&3u64.to_le_bytes());
    plain.extend_from_slice(&[0x30, b'a', b'b', b'c']);
    let ct = coffer_core::crypto::encrypt(&[&recipient], &plain).unwrap();
    std::fs::write(root.join("local/snapshot.age"), ct).unwrap();
    let mut v = unlock(&root);
    assert_eq!(v.note_count(), 20);
    assert_eq!(
        v.note(&ids[1]).unwrap().body,
        "second revision about passport renewal"
    );
    assert!(!v.search("passport renewal", 5).is_empty());
}

#[test]
fn dropping_the_vault_while_it_loads_is_fine() {
    let (_dir, root, _) = build(400);
    for _ in 0..5 {
        let v = unlock(&root);
        assert_eq!(v.note_count(), 400);
        drop(v);
    }
    let mut v = unlock(&root);
    assert_eq!(
        v.search("passport", 500).len(),
        unlock_from_log(&root).search("passport", 500).len()
    );
}
