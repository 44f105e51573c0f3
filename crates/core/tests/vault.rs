//! Integration tests of the vault through its public API, on real files in temp folders.
#![allow(clippy::unwrap_used)]

use coffer_core::secrecy::SecretString;
use coffer_core::{Error, InitOptions, LockedVault, NewNote, NoteChange, NoteFilter, Vault};

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

fn fast() -> InitOptions {
    InitOptions { work_factor: 10 }
}

fn new_vault() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::init(&dir.path().join("v"), &pass("pw"), &fast()).unwrap();
    (dir, v)
}

fn note(title: &str, body: &str) -> NewNote {
    NewNote {
        title: title.into(),
        body: body.into(),
        ..Default::default()
    }
}

#[test]
fn notes_survive_reopen() {
    let (dir, mut v) = new_vault();
    let a = v.create(note("Alpha", "first body")).unwrap();
    let b = v
        .create(NewNote {
            title: "Beta".into(),
            body: "second".into(),
            tags: vec!["#work".into(), "Work".into(), "x y".into()],
            notebook: Some("Job".into()),
            pinned: true,
        })
        .unwrap();
    v.update(
        &a,
        NoteChange {
            body: Some("edited body".into()),
            ..Default::default()
        },
    )
    .unwrap();
    drop(v);
    let v = LockedVault::open(&dir.path().join("v"))
        .unwrap()
        .unlock(&pass("pw"))
        .unwrap();
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    assert_eq!(v.note(&a).unwrap().body, "edited body");
    let nb = v.note(&b).unwrap();
    assert_eq!(nb.tags, vec!["work", "x-y"]);
    assert_eq!(nb.notebook.as_deref(), Some("Job"));
    assert_eq!(v.history(&a).unwrap().len(), 2);
    assert_eq!(
        v.list(&NoteFilter {
            pinned: true,
            ..Default::default()
        })
        .len(),
        1
    );
    assert_eq!(
        v.list(&NoteFilter {
            tag: Some("WORK".into()),
            ..Default::default()
        })
        .len(),
        1
    );
}

#[test]
fn wrong_passphrase_is_refused() {
    let (dir, _v) = new_vault();
    let err = LockedVault::open(&dir.path().join("v"))
        .unwrap()
        .unlock(&pass("nope"))
        .unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err}");
}

#[test]
fn trash_restore_purge_revert() {
    let (_dir, mut v) = new_vault();
    let a = v.create(note("A", "one")).unwrap();
    let r1 = v.note(&a).unwrap().revision;
    v.update(
        &a,
        NoteChange {
            body: Some("two".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(matches!(v.purge(&a), Err(Error::NotInTrash(_))));
    v.trash(&a).unwrap();
    assert_eq!(v.list(&NoteFilter::default()).len(), 0);
    assert_eq!(
        v.list(&NoteFilter {
            trash: true,
            ..Default::default()
        })
        .len(),
        1
    );
    v.restore(&a).unwrap();
    v.revert(&a, &r1).unwrap();
    assert_eq!(v.note(&a).unwrap().body, "one");
    assert_eq!(v.history(&a).unwrap().len(), 5);
    v.trash(&a).unwrap();
    v.purge(&a).unwrap();
    assert!(v.note(&a).is_err());
    let report = v.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{report:?}");
}

#[test]
fn search_and_backlinks() {
    let (_dir, mut v) = new_vault();
    let a = v.create(note("Passport", "renew before june")).unwrap();
    let b = v.create(note("Trip", "see [[passport]] first")).unwrap();
    let hits = v.search("pass", 10);
    assert_eq!(hits[0].id, a);
    assert_eq!(hits.len(), 2);
    assert_eq!(v.note(&a).unwrap().backlinks[0].id, b);
    let html = v.render(&b).unwrap();
    assert!(html.contains(&format!("coffer:note/{a}")), "{html}");
    // The index follows edits.
    v.update(
        &a,
        NoteChange {
            body: Some("gone".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(v.search("june", 10).len(), 0);
}

#[test]
fn two_writers_lose_nothing() {
    let (dir, mut v1) = new_vault();
    let mut v2 = LockedVault::open(&dir.path().join("v"))
        .unwrap()
        .unlock(&pass("pw"))
        .unwrap();
    let a = v1.create(note("Shared", "base")).unwrap();
    v2.refresh().unwrap();
    let base = v2.note(&a).unwrap().revision;
    v1.update(
        &a,
        NoteChange {
            body: Some("from one".into()),
            base: Some(base),
            ..Default::default()
        },
    )
    .unwrap();
    v2.update(
        &a,
        NoteChange {
            body: Some("from two".into()),
            base: Some(base),
            ..Default::default()
        },
    )
    .unwrap();
    let b = v2.create(note("Other", "x")).unwrap();
    v1.refresh().unwrap();
    let n = v1.note(&a).unwrap();
    assert_eq!(n.conflicts.len(), 1, "both edits are kept");
    assert!(v1.note(&b).is_ok());
    // Editing without a base resolves the conflict.
    v1.update(
        &a,
        NoteChange {
            body: Some("merged".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(v1.note(&a).unwrap().conflicts.is_empty());
    assert!(v1.verify(&mut |_| {}).unwrap().ok());
}

#[test]
fn attachments_round_trip() {
    let (dir, mut v) = new_vault();
    let a = v.create(note("With file", "")).unwrap();
    let src = dir.path().join("photo.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
    std::fs::write(&src, &data).unwrap();
    let att = v.attach(&a, &src, None).unwrap();
    assert_eq!(att.size, data.len() as u64);
    let out = dir.path().join("out.bin");
    v.extract(&a, "photo.bin", &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), data);
    assert!(
        v.extract(&a, "photo.bin", &out).is_err(),
        "never overwrites"
    );
    assert!(v.verify(&mut |_| {}).unwrap().ok());
}

#[test]
fn rotate_keys_and_passwd() {
    let (dir, mut v) = new_vault();
    let a = v.create(note("Keep", "me")).unwrap();
    let old = v.vault_recipient();
    v.rotate_keys_anew(&pass("pw"), &mut |_| {}).unwrap();
    assert_ne!(v.vault_recipient(), old);
    v.change_passphrase(&pass("new"), 10).unwrap();
    drop(v);
    let v = LockedVault::open(&dir.path().join("v"))
        .unwrap()
        .unlock(&pass("new"))
        .unwrap();
    assert_eq!(v.note(&a).unwrap().body, "me");
    assert!(v.verify(&mut |_| {}).unwrap().ok());
}

#[test]
fn snapshot_is_used_and_a_damaged_one_is_ignored() {
    let (dir, mut v) = new_vault();
    let a = v.create(note("Cached", "from the snapshot")).unwrap();
    v.save_snapshot().unwrap();
    drop(v);
    let root = dir.path().join("v");
    // With the snapshot, unlocking does not read the note's object: remove it and the note is
    // still there (verify would name the missing file).
    let obj = std::fs::read_dir(root.join("objects"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .next()
        .unwrap();
    let saved = std::fs::read(&obj).unwrap();
    std::fs::remove_file(&obj).unwrap();
    let v = LockedVault::open(&root)
        .unwrap()
        .unlock(&pass("pw"))
        .unwrap();
    assert_eq!(v.note(&a).unwrap().body, "from the snapshot");
    assert!(!v.verify(&mut |_| {}).unwrap().ok());
    drop(v);
    std::fs::write(&obj, saved).unwrap();
    // A damaged snapshot is reported and ignored; the state is rebuilt from the log.
    let snap = root.join("local/snapshot.age");
    let mut bytes = std::fs::read(&snap).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 1;
    std::fs::write(&snap, bytes).unwrap();
    let v = LockedVault::open(&root)
        .unwrap()
        .unlock(&pass("pw"))
        .unwrap();
    assert_eq!(v.note(&a).unwrap().body, "from the snapshot");
    assert!(
        v.load_problems().iter().any(|p| p.contains("snapshot")),
        "{:?}",
        v.load_problems()
    );
}

// ----- the save journal (crate::journal) -----

fn files_named(dir: &std::path::Path, suffix: &str) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            n += files_named(&p, suffix);
        } else if p.to_string_lossy().ends_with(suffix) {
            n += 1;
        }
    }
    n
}

/// Bytes of records in `local/journal` (of its current generation).
fn journal_records_bytes(root: &std::path::Path) -> usize {
    std::fs::read(root.join("local/journal"))
        .map(|b| {
            coffer_core::journal::record_spans(&b)
                .iter()
                .map(|(s, e)| e - s)
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn a_note_save_is_a_journal_append_and_a_checkpoint_writes_the_files() {
    let (dir, mut v) = new_vault();
    let root = dir.path().join("v");
    let a = v.create(note("Journal", "first")).unwrap();
    let first = v.note(&a).unwrap().revision;
    v.update(
        &a,
        NoteChange {
            body: Some("second".into()),
            ..Default::default()
        },
    )
    .unwrap();
    // Durable in the journal; no object or log file yet.
    assert!(journal_records_bytes(&root) > 0);
    assert_eq!(files_named(&root.join("objects"), ".age"), 0);
    assert_eq!(files_named(&root.join("log"), ".age"), 0);
    assert!(v.has_unwritten_saves());
    // Reads find revisions still in the journal.
    assert_eq!(v.note_at(&a, &first).unwrap().body, "first");
    let report = v.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(
        report.log_entries, 2,
        "journal records are checked like log entries"
    );

    v.checkpoint().unwrap();
    assert_eq!(journal_records_bytes(&root), 0, "a new, empty journal");
    assert_eq!(files_named(&root.join("objects"), ".age"), 2);
    assert_eq!(files_named(&root.join("log"), ".age"), 2);
    assert!(!v.has_unwritten_saves());
    // Each object is an age file of the vault key, as before the journal.
    let key = root.join("key.txt");
    v.export_identity(&key).unwrap();
    let identity: coffer_core::age::x25519::Identity = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap()
        .parse()
        .unwrap();
    let s = first.to_string();
    let ct = std::fs::read(root.join(format!("objects/{}/{s}.age", &s[..2]))).unwrap();
    let plain = coffer_core::crypto::decrypt(&[&identity], &ct).unwrap();
    assert!(String::from_utf8_lossy(&plain).contains("first"));
    let report = v.verify(&mut |_| {}).unwrap();
    assert!(report.ok() && report.warnings.is_empty(), "{report:?}");
    assert_eq!(report.log_entries, 2);
}

#[test]
fn saves_left_in_the_journal_by_a_crash_are_there_after_reopening() {
    let (dir, mut v) = new_vault();
    let root = dir.path().join("v");
    let ids: Vec<_> = (0..5)
        .map(|i| {
            v.create(note(&format!("Crash {i}"), &format!("body {i}")))
                .unwrap()
        })
        .collect();
    // Attachments and other non-note batches are written out directly, after the journal.
    let file = dir.path().join("a.bin");
    std::fs::write(&file, b"attached").unwrap();
    v.attach(&ids[0], &file, None).unwrap();
    assert_eq!(
        journal_records_bytes(&root),
        0,
        "an attachment writes the journal out first"
    );
    v.update(
        &ids[1],
        NoteChange {
            body: Some("after the attachment".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(journal_records_bytes(&root) > 0);
    // A crash: the process ends without dropping the vault (no checkpoint on the way out).
    std::mem::forget(v);

    let v = LockedVault::open(&root)
        .unwrap()
        .unlock(&pass("pw"))
        .unwrap();
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    for (i, id) in ids.iter().enumerate() {
        let body = if i == 1 {
            "after the attachment".to_string()
        } else {
            format!("body {i}")
        };
        assert_eq!(v.note(id).unwrap().body, body);
    }
    assert_eq!(v.note(&ids[0]).unwrap().attachments.len(), 1);
    assert_eq!(
        journal_records_bytes(&root),
        0,
        "opening wrote the journal out"
    );
    let report = v.verify(&mut |_| {}).unwrap();
    assert!(report.ok() && report.warnings.is_empty(), "{report:?}");
    assert_eq!(report.log_entries, 7);
}

#[test]
fn two_handles_share_saves_still_in_the_journal() {
    let (dir, mut v1) = new_vault();
    let root = dir.path().join("v");
    let mut v2 = LockedVault::open(&root)
        .unwrap()
        .unlock(&pass("pw"))
        .unwrap();
    let a = v1.create(note("Shared", "one")).unwrap();
    let r1 = v1.note(&a).unwrap().revision;
    v2.refresh().unwrap();
    assert_eq!(
        v2.note(&a).unwrap().body,
        "one",
        "read from the other handle's journal"
    );
    // The second handle's save chains after the first one's, in the same journal.
    v2.update(
        &a,
        NoteChange {
            body: Some("two".into()),
            base: Some(r1),
            ..Default::default()
        },
    )
    .unwrap();
    v1.refresh().unwrap();
    let n = v1.note(&a).unwrap();
    assert_eq!((n.body.as_str(), n.conflicts.len()), ("two", 0));
    // A third process (the CLI) opens the vault: it writes both handles' saves out.
    let v3 = LockedVault::open(&root)
        .unwrap()
        .unlock(&pass("pw"))
        .unwrap();
    assert_eq!(journal_records_bytes(&root), 0);
    assert_eq!(files_named(&root.join("log"), ".age"), 2);
    assert!(v3.verify(&mut |_| {}).unwrap().ok());
    // The first handle still reads its old revision, now from the file.
    assert_eq!(v1.note_at(&a, &r1).unwrap().body, "one");
    // And keeps saving after the journal it knew was replaced.
    v1.create(note("After", "x")).unwrap();
    drop(v1); // writes its journal out on the way
    drop(v2);
    assert_eq!(journal_records_bytes(&root), 0);
    let v = LockedVault::open(&root)
        .unwrap()
        .unlock(&pass("pw"))
        .unwrap();
    assert_eq!(v.note_count(), 2);
    assert!(v.verify(&mut |_| {}).unwrap().ok());
}

#[test]
fn purging_a_note_whose_saves_are_in_the_journal_removes_every_file() {
    let (dir, mut v) = new_vault();
    let root = dir.path().join("v");
    let keep = v.create(note("Keep", "kept")).unwrap();
    let a = v.create(note("Secret", "to be destroyed")).unwrap();
    v.trash(&a).unwrap();
    let revisions: Vec<_> = v.history(&a).unwrap().iter().map(|r| r.revision).collect();
    assert_eq!(revisions.len(), 2);
    v.purge(&a).unwrap();
    // Not even in the journal's reused space: a purge starts a new journal file.
    let journal = std::fs::read(root.join("local/journal")).unwrap();
    for r in &revisions {
        assert!(
            !journal.windows(16).any(|w| w == r.as_bytes()),
            "revision {r} left in the journal"
        );
    }
    assert!(v.note(&a).is_err());
    assert_eq!(journal_records_bytes(&root), 0);
    // Keep's revision only: A's two revisions are gone from disk.
    assert_eq!(files_named(&root.join("objects"), ".age"), 1);
    assert!(v.note(&keep).is_ok());
    let report = v.verify(&mut |_| {}).unwrap();
    assert!(report.ok() && report.warnings.is_empty(), "{report:?}");
}

/// Notebooks nest ("Work/Plans"), are renamed with the ones inside them, and removed by
/// moving their notes to the trash; a notebook's list holds the ones inside it; pinned notes
/// come first in every list.
#[test]
fn notebooks_nest_rename_and_remove() {
    let (dir, mut v) = new_vault();
    let in_nb = |title: &str, nb: &str| NewNote {
        notebook: Some(nb.into()),
        ..note(title, "")
    };
    let plan = v.create(in_nb("Plan", " Work /  Plans ")).unwrap();
    let memo = v.create(in_nb("Memo", "Work")).unwrap();
    let shop = v.create(in_nb("Shop", "Workshop")).unwrap();
    assert_eq!(
        v.note(&plan).unwrap().notebook.as_deref(),
        Some("Work/Plans")
    );
    let titles = |v: &Vault, nb: &str| -> Vec<String> {
        v.list(&NoteFilter {
            notebook: Some(nb.into()),
            ..Default::default()
        })
        .into_iter()
        .map(|s| s.title)
        .collect()
    };
    // Both were made in the same instant, maybe: which comes first is checked below.
    let mut work = titles(&v, "Work");
    work.sort();
    assert_eq!(
        work,
        ["Memo", "Plan"],
        "Work holds Work/Plans, not Workshop"
    );
    assert_eq!(titles(&v, "Work/Plans"), ["Plan"]);
    assert_eq!(v.notebook_size("Work"), 2);

    // Renamed with what is inside it; moved inside another.
    assert_eq!(v.rename_notebook("Work", "Archive/Job").unwrap(), 2);
    assert_eq!(
        v.note(&plan).unwrap().notebook.as_deref(),
        Some("Archive/Job/Plans")
    );
    assert_eq!(
        v.note(&memo).unwrap().notebook.as_deref(),
        Some("Archive/Job")
    );
    assert_eq!(v.note(&shop).unwrap().notebook.as_deref(), Some("Workshop"));
    assert_eq!(v.history(&plan).unwrap().len(), 2, "a rename is a revision");
    assert!(matches!(
        v.rename_notebook("Archive", "Archive/Old"),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        v.rename_notebook("Nothing", "Else"),
        Err(Error::NoSuchNotebook(_))
    ));
    assert!(matches!(
        v.rename_notebook("Job", " / "),
        Err(Error::Invalid(_))
    ));

    // Pinned first, then newest first.
    v.update(
        &shop,
        NoteChange {
            pinned: Some(true),
            ..Default::default()
        },
    )
    .unwrap();
    v.update(
        &memo,
        NoteChange {
            body: Some("newest".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let all: Vec<String> = v
        .list(&NoteFilter::default())
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert_eq!(all, ["Shop", "Memo", "Plan"]);

    // Removed: its notes (and those of the notebooks inside it) go to the trash.
    assert_eq!(v.remove_notebook("Archive").unwrap(), 2);
    assert!(v.note(&plan).unwrap().trashed && v.note(&memo).unwrap().trashed);
    assert!(!v.note(&shop).unwrap().trashed);
    assert_eq!(v.notebooks().len(), 1);
    drop(v);
    let v = LockedVault::open(&dir.path().join("v"))
        .unwrap()
        .unlock(&pass("pw"))
        .unwrap();
    assert!(v.note(&plan).unwrap().trashed, "the removal was saved");
}

/// Templates are the notes in "Templates"; a note made from one has its placeholders filled;
/// the daily note is made once per day (from the "Daily" template) and found after.
#[test]
fn templates_and_the_daily_note() {
    let (_dir, mut v) = new_vault();
    let meeting = v
        .create(NewNote {
            title: "Meeting {{date}}".into(),
            body: "# {{title}}\n\nAttendees:\n".into(),
            tags: vec!["work".into()],
            notebook: Some("Templates".into()),
            pinned: false,
        })
        .unwrap();
    v.create(NewNote {
        title: "Daily".into(),
        body: "Plans for {{date}}\n".into(),
        notebook: Some("Templates/Routine".into()),
        ..Default::default()
    })
    .unwrap();
    let plain = v.create(note("Not a template", "x")).unwrap();
    let titles: Vec<String> = v.templates().into_iter().map(|t| t.title).collect();
    assert_eq!(titles, ["Daily", "Meeting {{date}}"]);

    let id = v
        .create_from_template(&meeting, "", "2026-12-03", Some("Work"))
        .unwrap();
    let n = v.note(&id).unwrap();
    assert_eq!(n.title, "Meeting 2026-12-03");
    assert_eq!(n.body, "# Meeting 2026-12-03\n\nAttendees:\n");
    assert_eq!(n.tags, ["work"]);
    assert_eq!(n.notebook.as_deref(), Some("Work"));
    let named = v
        .create_from_template(&meeting, "Budget review", "2026-12-03", None)
        .unwrap();
    assert_eq!(
        v.note(&named).unwrap().body,
        "# Budget review\n\nAttendees:\n"
    );
    assert!(matches!(
        v.create_from_template(&plain, "", "2026-12-03", None),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        v.create_from_template(&meeting, "", "someday", None),
        Err(Error::Invalid(_))
    ));

    let (day, made) = v.daily_note("2026-12-03").unwrap();
    assert!(made);
    let d = v.note(&day).unwrap();
    assert_eq!(
        (d.title.as_str(), d.notebook.as_deref()),
        ("2026-12-03", Some("Daily"))
    );
    assert_eq!(d.body, "Plans for 2026-12-03\n");
    assert_eq!(
        v.daily_note("2026-12-03").unwrap(),
        (day, false),
        "one per day"
    );
    assert_ne!(v.daily_note("2026-12-04").unwrap().0, day);
}
