//! Import and export of notes, on real files in temp folders: Obsidian- and Joplin-shaped
//! folders (fixtures under tests/data/import/), `.age` files from the reference `age` tool
//! and from the crate, hostile file names and titles, and an export/import round trip.

// A failed unwrap is a failed test, with the error in the panic message.
#![allow(clippy::unwrap_used)]

use coffer_core::note::millis_to_rfc3339;
use coffer_core::secrecy::SecretString;
use coffer_core::transfer::{ExportReport, IMPORT_BATCH, ImportReport};
use coffer_core::{Error, InitOptions, LockedVault, NewNote, Note, NoteFilter, Progress, Vault};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

fn pass() -> SecretString {
    SecretString::from("pw".to_string())
}

fn new_vault(tmp: &Path, name: &str) -> Vault {
    Vault::init(&tmp.join(name), &pass(), &InitOptions { work_factor: 10 }).unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/import")
}

/// Copies a fixture folder (hidden entries included) so the test can change it.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn import(v: &mut Vault, dir: &Path) -> (ImportReport, Vec<Progress>) {
    let mut seen = Vec::new();
    let report = v
        .import_dir(dir, &mut |p: &Progress| seen.push(p.clone()))
        .unwrap();
    (report, seen)
}

fn export(v: &Vault, dir: &Path) -> coffer_core::Result<ExportReport> {
    v.export_dir(dir, &mut |_: &Progress| {})
}

/// Live notes by title (titles are unique in each test's data).
fn by_title(v: &Vault) -> BTreeMap<String, Note> {
    let mut out = BTreeMap::new();
    for s in v.list(&NoteFilter::default()) {
        let n = v.note(&s.id).unwrap();
        assert!(out.insert(n.title.clone(), n).is_none(), "duplicate title");
    }
    out
}

fn time(n: i64) -> String {
    millis_to_rfc3339(n)
}

fn attachment_bytes(v: &Vault, n: &Note, name: &str) -> Vec<u8> {
    let a = n
        .attachments
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("{:?} has no attachment {name:?}", n.title));
    let mut out = Vec::new();
    v.decrypt_attachment(&n.id, a, &mut out).unwrap();
    out
}

fn attachment_names(n: &Note) -> Vec<String> {
    let mut names: Vec<String> = n.attachments.iter().map(|a| a.name.clone()).collect();
    names.sort();
    names
}

fn has(list: &[String], needle: &str) -> bool {
    list.iter().any(|s| s.contains(needle))
}

#[test]
fn obsidian_vault_comes_in_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("in");
    copy_dir(&fixtures().join("obsidian"), &src);
    let plain_mtime = SystemTime::UNIX_EPOCH + Duration::from_millis(1_654_041_600_123);
    fs::File::options()
        .write(true)
        .open(src.join("Plain.md"))
        .unwrap()
        .set_modified(plain_mtime)
        .unwrap();
    let mut v = new_vault(tmp.path(), "v");
    let (report, progress) = import(&mut v, &src);

    assert_eq!(report.notes, 5, "{report:?}");
    assert_eq!(report.attachments, 2, "{report:?}");
    assert!(
        has(&report.skipped, ".obsidian: a hidden folder"),
        "{report:?}"
    );
    assert!(
        has(&report.skipped, ".trash: a hidden folder"),
        "{report:?}"
    );
    assert!(
        has(&report.skipped, "unused.txt: not referenced by any note"),
        "{report:?}"
    );
    assert_eq!(report.skipped.len(), 3, "{report:?}");
    assert_eq!(report.warnings.len(), 1, "{report:?}");
    assert!(report.warnings[0].starts_with("Broken.md: "), "{report:?}");
    let last = progress.last().unwrap();
    assert_eq!((last.done, last.total), (5, 5));

    let notes = by_title(&v);
    assert_eq!(
        notes.keys().collect::<Vec<_>>(),
        ["Broken", "Coffer plan", "Nested Idea", "Plain", "Welcome"]
    );

    let welcome = &notes["Welcome"];
    assert_eq!(welcome.notebook, None);
    assert_eq!(welcome.tags, ["start", "pinned-ideas"]);
    assert_eq!(time(welcome.created), "2023-01-02T10:00:00Z");
    assert!(
        welcome.body.starts_with("# Welcome\n"),
        "{:?}",
        welcome.body
    );
    assert!(!welcome.body.contains("aliases"));
    assert_eq!(attachment_names(welcome), ["embed.png"]);
    assert_eq!(
        attachment_bytes(&v, welcome, "embed.png"),
        fs::read(src.join("Attachments/embed.png")).unwrap()
    );

    let coffer = &notes["Coffer plan"];
    assert_eq!(coffer.notebook.as_deref(), Some("Projects"));
    assert_eq!(coffer.tags, ["rust", "crypto"]);
    assert_eq!(time(coffer.created), "2023-03-04T00:00:00Z");
    assert_eq!(coffer.body, "Build the importer.\n");

    let nested = &notes["Nested Idea"];
    assert_eq!(nested.notebook.as_deref(), Some("Projects/Deep"));
    assert_eq!(nested.tags, ["idea", "deep"]);
    assert_eq!(time(nested.created), "2023-05-06T05:08:09Z");
    assert_eq!(time(nested.updated), "2023-05-07T00:00:00Z");
    // The embed and the relative link name the same file; the one in a code block is text.
    assert_eq!(attachment_names(nested), ["diagram.png"]);

    let broken = &notes["Broken"];
    assert_eq!(
        broken.body,
        fs::read_to_string(src.join("Broken.md")).unwrap()
    );
    assert!(broken.tags.is_empty());

    let plain = &notes["Plain"];
    assert_eq!(time(plain.created), "2022-06-01T00:00:00.123Z");
    assert_eq!(plain.updated, plain.created);
    assert_eq!(plain.body, "A note with no front matter at all.\n");

    // Everything survives a reopen.
    drop(v);
    let v = LockedVault::open(&tmp.path().join("v"))
        .unwrap()
        .unlock(&pass())
        .unwrap();
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    assert_eq!(by_title(&v).len(), 5);
}

#[test]
fn joplin_export_comes_in_whole_and_twice_makes_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let src = fixtures().join("joplin");
    let mut v = new_vault(tmp.path(), "v");
    let (report, _) = import(&mut v, &src);
    assert_eq!((report.notes, report.attachments), (3, 3), "{report:?}");
    assert!(report.skipped.is_empty(), "{report:?}");
    assert!(report.warnings.is_empty(), "{report:?}");

    let notes = by_title(&v);
    let meeting = &notes["Meeting notes: Q3 plan"];
    assert_eq!(meeting.notebook.as_deref(), Some("Work"));
    assert_eq!(meeting.tags, ["work", "planning"]);
    assert_eq!(time(meeting.created), "2021-08-15T09:00:00Z");
    assert_eq!(time(meeting.updated), "2021-08-16T14:22:01Z");
    // The blank line Joplin writes after the front matter is not part of the body.
    assert!(meeting.body.starts_with("# Meeting notes: Q3 plan\n"));
    assert!(!meeting.body.contains("latitude"));
    let png = "0b3c8d1e5f6a47b8a9c0d1e2f3a4b5c6.png";
    let pdf = "7e8f9a0b1c2d4e3f8a9b0c1d2e3f4a5b.pdf";
    assert_eq!(attachment_names(meeting), [png, pdf]);
    assert_eq!(
        attachment_bytes(&v, meeting, pdf),
        fs::read(src.join("_resources").join(pdf)).unwrap()
    );

    let todo = &notes["Todo"];
    assert_eq!(todo.notebook.as_deref(), Some("Work/Sub"));
    assert_eq!(todo.tags, ["todo"]);
    assert_eq!(time(todo.updated), "2022-02-02T02:02:02Z");
    assert_eq!(attachment_names(todo), [png]);

    let recipe = &notes["Pancakes"];
    assert_eq!(recipe.notebook.as_deref(), Some("Personal"));
    assert_eq!(recipe.body, "Flour, eggs, milk.\n");

    let (again, _) = import(&mut v, &src);
    assert_eq!(again.notes, 3);
    assert_eq!(v.list(&NoteFilter::default()).len(), 6);
}

#[test]
fn age_files_from_the_age_tool_and_from_the_crate() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("in");
    fs::create_dir_all(src.join("Vaulted")).unwrap();
    let mut v = new_vault(tmp.path(), "v");
    let recipient = v.vault_recipient();

    // Made by the reference age tool: Markdown with front matter.
    let out = Command::new("age")
        .arg("-r")
        .arg(&recipient)
        .arg("-o")
        .arg(src.join("plan.md.age"))
        .arg(fixtures().join("age/plan.md"))
        .output()
        .expect("the reference `age` tool is needed for this test (installed by the setup script)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Made by the crate: a note object copied out of the vault, and plain Markdown.
    let original = v
        .create(NewNote {
            title: "From the objects".into(),
            body: "object body\n".into(),
            tags: vec!["kept".into()],
            notebook: Some("Old/Place".into()),
            pinned: true,
        })
        .unwrap();
    let original = v.note(&original).unwrap();
    v.checkpoint().unwrap(); // the save is in the journal until written out as files
    let object = |id: &coffer_core::Id| {
        tmp.path()
            .join("v/objects")
            .join(id.shard())
            .join(format!("{id}.age"))
    };
    fs::copy(object(&original.revision), src.join("Vaulted/copy.age")).unwrap();
    let key: coffer_core::age::x25519::Recipient = recipient.parse().unwrap();
    let md = coffer_core::crypto::encrypt(&[&key], "# Hello\n".as_bytes()).unwrap();
    fs::write(src.join("hello.markdown.age"), md).unwrap();

    // Bad ones: not age, another key, an attachment object, Markdown that is not UTF-8.
    fs::write(src.join("garbage.age"), b"this is not an age file").unwrap();
    let other = coffer_core::age::x25519::Identity::generate().to_public();
    fs::write(
        src.join("other.age"),
        coffer_core::crypto::encrypt(&[&other], b"secret").unwrap(),
    )
    .unwrap();
    let file = tmp.path().join("a.bin");
    fs::write(&file, b"attached").unwrap();
    let a = v.attach(&original.id, &file, None).unwrap();
    fs::copy(object(&a.object), src.join("attachment.age")).unwrap();
    fs::write(src.join("latin1.md"), b"caf\xe9\n").unwrap();

    let before = v.list(&NoteFilter::default()).len();
    let (report, _) = import(&mut v, &src);
    assert_eq!(report.notes, 3, "{report:?}");
    assert_eq!(v.list(&NoteFilter::default()).len(), before + 3);
    assert!(
        has(&report.skipped, "garbage.age: cannot decrypt"),
        "{report:?}"
    );
    assert!(
        has(
            &report.skipped,
            "other.age: cannot decrypt: not encrypted to this vault's key"
        ),
        "{report:?}"
    );
    assert!(
        has(
            &report.skipped,
            "attachment.age: a Coffer \"attachment\" object"
        ),
        "{report:?}"
    );
    assert!(has(&report.skipped, "latin1.md: not UTF-8"), "{report:?}");
    assert_eq!(report.skipped.len(), 4, "{report:?}");

    let notes: Vec<Note> = v
        .list(&NoteFilter::default())
        .iter()
        .map(|s| v.note(&s.id).unwrap())
        .collect();
    let plan = notes.iter().find(|n| n.title == "Secret plan").unwrap();
    assert_eq!(plan.tags, ["secret"]);
    assert_eq!(plan.notebook, None);
    assert_eq!(time(plan.created), "2024-02-03T04:05:06Z");
    assert_eq!(plan.body, "Encrypted with the reference age tool.\n");

    let copies: Vec<&Note> = notes
        .iter()
        .filter(|n| n.title == "From the objects")
        .collect();
    assert_eq!(copies.len(), 2);
    let copy = copies.iter().find(|n| n.id != original.id).unwrap();
    assert_eq!(copy.body, original.body);
    assert_eq!(copy.tags, original.tags);
    assert_eq!(copy.notebook, original.notebook);
    assert!(copy.pinned);
    assert_eq!(
        (copy.created, copy.updated),
        (original.created, original.updated)
    );

    let hello = notes.iter().find(|n| n.title == "hello").unwrap();
    assert_eq!(hello.body, "# Hello\n");
}

/// Every path under `dir`, relative, with `/`.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let ft = e.file_type().unwrap();
            assert!(!ft.is_symlink());
            out.push(
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
            if ft.is_dir() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn hostile_file_names_and_titles() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("in");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::create_dir_all(tmp.path().join("outside")).unwrap();
    fs::write(tmp.path().join("outside/secret.txt"), b"outside").unwrap();
    let long = "l".repeat(240);
    for name in [
        "we:ird*name?.md",
        "new\nline.md",
        "-dash.md",
        "über ünïcode.md",
        &format!("{long}.md"),
    ] {
        fs::write(src.join(name), format!("body of {name:?}\n")).unwrap();
    }
    fs::write(src.join("...dots.md"), "hidden\n").unwrap();
    fs::write(
        src.join("sub/escape.md"),
        "![](../../outside/secret.txt) ![[../../outside/secret.txt]] ![](/etc/hostname) \
         [x](../../../../../../etc/passwd)\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(tmp.path().join("outside"), src.join("link")).unwrap();

    let mut v = new_vault(tmp.path(), "v");
    let (report, _) = import(&mut v, &src);
    assert_eq!((report.notes, report.attachments), (6, 0), "{report:?}");
    assert!(
        has(&report.skipped, "...dots.md: a hidden file"),
        "{report:?}"
    );
    #[cfg(unix)]
    assert!(has(&report.skipped, "link: a symbolic link"), "{report:?}");
    let notes = by_title(&v);
    for title in [
        "we:ird*name?",
        "new line",
        "-dash",
        "über ünïcode",
        &long,
        "escape",
    ] {
        assert!(notes.contains_key(title), "{title:?} in {:?}", notes.keys());
    }
    assert_eq!(notes["escape"].notebook.as_deref(), Some("sub"));

    // Export notes whose titles, notebooks and attachment names try to escape or clash.
    for (title, notebook) in [
        ("../../etc/passwd", Some("../up")),
        ("a/b\\c:d*e?f\"g<h>i|j", Some("A/B")),
        (".hidden", None),
        ("CON", None),
        ("\u{7}bell", None),
        ("Same", None),
        ("same", None),
        ("x", Some("_attachments")),
    ] {
        v.create(NewNote {
            title: title.into(),
            body: format!("{title}\n"),
            notebook: notebook.map(str::to_string),
            ..Default::default()
        })
        .unwrap();
    }
    let target = v.resolve(&notes["-dash"].id.to_string()).unwrap();
    let file = tmp.path().join("f.txt");
    fs::write(&file, b"one").unwrap();
    v.attach(&target, &file, Some("..:evil?.txt")).unwrap();
    v.attach(&target, &file, Some("..:evil*.txt")).unwrap();

    let out = tmp.path().join("out");
    let report = export(&v, &out).unwrap();
    assert_eq!((report.notes, report.attachments), (14, 2), "{report:?}");
    let files = tree(&out);
    let mds = files.iter().filter(|f| f.ends_with(".md")).count();
    assert_eq!(mds, 14, "{files:#?}");
    for f in &files {
        for part in f.split('/') {
            assert!(!part.starts_with('.'), "{f:?}");
            assert!(part.len() <= 130, "{f:?}");
            assert!(
                !part
                    .chars()
                    .any(|c| c.is_control() || "\\:*?\"<>|".contains(c)),
                "{f:?}"
            );
        }
    }
    assert!(files.contains(&"Same.md".to_string()), "{files:#?}");
    assert!(files.contains(&"same (2).md".to_string()), "{files:#?}");
    assert!(files.contains(&"_CON.md".to_string()), "{files:#?}");
    assert!(
        files.contains(&"_attachments_/x.md".to_string()),
        "{files:#?}"
    );
    assert!(!tmp.path().join("etc").exists() && !tmp.path().join("up").exists());

    // And everything comes back under its real name.
    let mut w = new_vault(tmp.path(), "w");
    let (back, _) = import(&mut w, &out);
    assert_eq!((back.notes, back.attachments), (14, 2), "{back:?}");
    assert!(
        back.skipped.is_empty() && back.warnings.is_empty(),
        "{back:?}"
    );
    let again = by_title(&w);
    assert_eq!(again["../../etc/passwd"].notebook.as_deref(), Some("../up"));
    assert_eq!(again["x"].notebook.as_deref(), Some("_attachments"));
    assert_eq!(
        attachment_names(&again["-dash"]),
        ["..:evil*.txt", "..:evil?.txt"]
    );
}

#[test]
fn export_then_import_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(tmp.path(), "v");
    let bodies = [
        "plain body\n",
        "",
        "\n\nstarts with blank lines",
        "---\nlooks: like front matter\n---\nbut is the body\n",
        "crlf\r\nlines\r\n",
        "unicode: 日本語 ✓ and \u{1F600}",
    ];
    let mut ids = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        ids.push(
            v.create(NewNote {
                title: format!("Note {i}: \"quoted\" #{i}"),
                body: body.to_string(),
                tags: vec![format!("t{i}"), "shared".into(), "yes".into()],
                notebook: match i % 3 {
                    0 => None,
                    1 => Some("Work".into()),
                    _ => Some("Work/Deep: nested".into()),
                },
                pinned: i % 2 == 0,
            })
            .unwrap(),
        );
    }
    // Attachments: a big one that spans many chunks, binary bytes, a shared name.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let big_file = tmp.path().join("big.bin");
    fs::write(&big_file, &big).unwrap();
    let small = tmp.path().join("photo.png");
    fs::write(&small, [0u8, 159, 146, 150, 255]).unwrap();
    v.attach(&ids[0], &big_file, None).unwrap();
    v.attach(&ids[0], &small, None).unwrap();
    v.attach(&ids[1], &small, None).unwrap();
    v.attach(&ids[2], &small, Some("we:ird name.png")).unwrap();
    // In the trash: not exported.
    let gone = v.create(NewNote {
        title: "Trashed".into(),
        ..Default::default()
    });
    v.trash(&gone.unwrap()).unwrap();

    let out = tmp.path().join("out");
    let exported = export(&v, &out).unwrap();
    assert_eq!((exported.notes, exported.attachments), (6, 4));
    assert!(exported.skipped.is_empty());
    assert!(
        fs::read_to_string(out.join("Note 0_ _quoted_ #0.md"))
            .unwrap()
            .starts_with("---\ntitle: \"Note 0: \\\"quoted\\\" #0\"\n")
    );

    // Plaintext: readable by the owner only.
    #[cfg(unix)]
    for f in tree(&out) {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(out.join(&f)).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{f}: {mode:o}");
    }

    let mut w = new_vault(tmp.path(), "w");
    let (report, _) = import(&mut w, &out);
    assert_eq!((report.notes, report.attachments), (6, 4), "{report:?}");
    assert!(report.skipped.is_empty(), "{report:?}");
    assert!(report.warnings.is_empty(), "{report:?}");

    let before = by_title(&v);
    let after = by_title(&w);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (title, a) in &before {
        let b = &after[title];
        assert_eq!(a.body, b.body, "{title}");
        assert_eq!(a.tags, b.tags, "{title}");
        assert_eq!(a.notebook, b.notebook, "{title}");
        assert_eq!(a.pinned, b.pinned, "{title}");
        assert_eq!((a.created, a.updated), (b.created, b.updated), "{title}");
        let key = |n: &Note| {
            let mut v: Vec<(String, u64, String)> = n
                .attachments
                .iter()
                .map(|x| (x.name.clone(), x.size, x.sha256.clone()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(key(a), key(b), "{title}");
        for att in &a.attachments {
            assert_eq!(
                attachment_bytes(&v, a, &att.name),
                attachment_bytes(&w, b, &att.name)
            );
        }
    }
    assert!(!after.contains_key("Trashed"));
}

#[test]
fn export_refuses_a_non_empty_target() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(tmp.path(), "v");
    v.create(NewNote {
        title: "One".into(),
        ..Default::default()
    })
    .unwrap();

    let full = tmp.path().join("full");
    fs::create_dir_all(&full).unwrap();
    fs::write(full.join("keep.txt"), b"mine").unwrap();
    let err = export(&v, &full).unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("is not empty"), "{err}");
    assert_eq!(tree(&full), ["keep.txt"]);

    let file = tmp.path().join("file");
    fs::write(&file, b"x").unwrap();
    assert!(matches!(export(&v, &file), Err(Error::Invalid(_))));
    assert_eq!(fs::read(&file).unwrap(), b"x");

    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    assert_eq!(export(&v, &empty).unwrap().notes, 1);
    assert_eq!(tree(&empty), ["One.md"]);
}

#[test]
fn large_imports_are_batched() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("in");
    let count = IMPORT_BATCH * 2 + 7;
    for i in 0..count {
        let dir = src.join(format!("nb{}", i % 10));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("n{i}.md")), format!("note {i}\n")).unwrap();
    }
    let mut v = new_vault(tmp.path(), "v");
    let (report, progress) = import(&mut v, &src);
    assert_eq!(report.notes, count);
    // One log entry per batch.
    assert_eq!(v.devices()[&v.device_id()], 3);
    assert!(progress.windows(2).all(|w| w[0].done <= w[1].done));
    assert_eq!(progress.last().unwrap().done, count as u64);
    assert_eq!(v.notebooks().len(), 10);
    drop(v);
    let v = LockedVault::open(&tmp.path().join("v"))
        .unwrap()
        .unlock(&pass())
        .unwrap();
    assert_eq!(v.list(&NoteFilter::default()).len(), count);
}

#[test]
fn a_missing_folder_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(tmp.path(), "v");
    let err = v
        .import_dir(&tmp.path().join("nope"), &mut |_: &Progress| {})
        .unwrap_err();
    assert_eq!(err.code(), "io");
    assert!(err.to_string().contains("nope"), "{err}");
    let file = tmp.path().join("file.md");
    fs::write(&file, "x").unwrap();
    let err = v.import_dir(&file, &mut |_: &Progress| {}).unwrap_err();
    assert!(err.to_string().contains("is not a folder"), "{err}");
}
