//! The on-disk format, pinned.
//!
//! - A tiny vault committed under `tests/data/golden/v1/` (made once with a fixed passphrase) must
//!   keep opening and reading identically forever: `expected.json` is what it read as when it
//!   was made. If a change breaks this test, the change broke every existing vault.
//! - The decrypted plaintext of each note revision is committed too (`plain/`), pinning the
//!   object framing byte for byte, and re-encoding what was decoded must give the same bytes.
//! - Property tests: note revisions round-trip through `Revision::encode`/`decode`, and the
//!   object header parser never panics on arbitrary bytes.
//!
//! The golden files were made by `regenerate_golden_vault` below (ignored; it refuses to run
//! unless COFFER_REGENERATE_GOLDEN=1). A new format version gets its own folder (`v2/`) and
//! generator beside this one; regenerating v1 to make a failing test pass would hide exactly
//! the breakage this test exists to catch.

use coffer_core::note::{Attachment, Revision};
use coffer_core::object::Header;
use coffer_core::secrecy::SecretString;
use coffer_core::{
    Id, InitOptions, LockedVault, NewNote, NoteChange, NoteFilter, Vault, age, crypto,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const GOLDEN_PASSPHRASE: &str = "golden passphrase: format version 1";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/golden/v1")
}

fn pass() -> SecretString {
    SecretString::from(GOLDEN_PASSPHRASE.to_string())
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).expect("copy");
        }
    }
}

/// Opens a copy of the golden vault (opening writes local/ files; the committed copy stays
/// untouched).
fn open_golden_copy(tmp: &Path) -> (PathBuf, Vault) {
    let dir = tmp.join("golden");
    copy_dir(&golden_dir().join("vault"), &dir);
    let v = LockedVault::open(&dir)
        .and_then(|l| l.unlock(&pass()))
        .expect("the golden vault opens");
    (dir, v)
}

/// Everything a user can read from the vault, as JSON.
fn project(v: &Vault) -> Value {
    let ids = |trash: bool| -> Vec<Id> {
        v.list(&NoteFilter {
            trash,
            ..Default::default()
        })
        .iter()
        .map(|n| n.id)
        .collect()
    };
    let (live, trash) = (ids(false), ids(true));
    let mut notes = BTreeMap::new();
    for id in live.iter().chain(&trash) {
        let n = v.note(id).expect("listed note");
        let history = v.history(id).expect("history");
        let mut revisions = BTreeMap::new();
        for h in &history {
            let r = v.note_at(id, &h.revision).expect("old revision");
            revisions.insert(
                h.revision.to_string(),
                json!({"title": r.title, "body": r.body, "tags": r.tags,
                       "attachments": r.attachments}),
            );
        }
        let mut attachments = BTreeMap::new();
        for a in &n.attachments {
            let mut bytes = Vec::new();
            v.decrypt_attachment(id, a, &mut bytes)
                .expect("attachment decrypts");
            attachments.insert(a.name.clone(), crypto::sha256_hex(&bytes));
        }
        notes.insert(
            id.to_string(),
            json!({
                "revision": n.revision, "title": n.title, "body": n.body, "tags": n.tags,
                "notebook": n.notebook, "pinned": n.pinned, "trashed": n.trashed,
                "created": n.created, "updated": n.updated, "attachments": n.attachments,
                "attachment_contents": attachments, "conflicts": n.conflicts,
                "history": history, "revisions": revisions,
            }),
        );
    }
    let report = v.verify(&mut |_| {}).expect("verify");
    json!({
        "vault": v.vault_id(),
        "devices": v.devices().iter().map(|(d, s)| (d.to_string(), *s)).collect::<BTreeMap<_, _>>(),
        "live": live,
        "trash": trash,
        "tags": v.tags(),
        "notebooks": v.notebooks(),
        "notes": notes,
        "verify": {"log_entries": report.log_entries, "objects": report.objects,
                   "problems": report.problems, "warnings": report.warnings},
    })
}

fn expected() -> Value {
    let text = fs::read_to_string(golden_dir().join("expected.json"))
        .expect("tests/data/golden/v1/expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

#[test]
fn golden_vault_reads_identically() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (dir, mut v) = open_golden_copy(tmp.path());
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    let want = expected();
    assert_eq!(
        project(&v),
        want,
        "the golden vault no longer reads as it did"
    );
    // The same through the snapshot cache.
    v.save_snapshot().expect("snapshot");
    drop(v);
    let v = LockedVault::open(&dir)
        .and_then(|l| l.unlock(&pass()))
        .expect("reopen");
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    assert_eq!(project(&v), want, "read through the snapshot, it differs");
    // Sanity: the golden vault holds what it is meant to exercise.
    let notes = want["notes"].as_object().expect("notes");
    assert!(notes.len() >= 5);
    assert!(
        notes
            .values()
            .any(|n| n["conflicts"].as_array().is_some_and(|c| !c.is_empty()))
    );
    assert!(
        notes
            .values()
            .any(|n| n["attachments"].as_array().is_some_and(|a| !a.is_empty()))
    );
    assert!(notes.values().any(|n| n["trashed"] == json!(true)));
    assert!(notes.values().any(|n| n["body"] == json!("")));
}

/// The vault key, from the committed plaintext identity (the same text identity.age holds).
fn golden_vault_identity() -> age::x25519::Identity {
    let text = fs::read_to_string(golden_dir().join("identity.txt")).expect("identity.txt");
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|l| l.trim() == "# coffer-key: vault")
        .expect("a vault key label");
    lines
        .next()
        .expect("the vault key")
        .parse()
        .expect("an age identity")
}

#[test]
fn golden_identity_is_what_identity_age_holds() {
    let ct = fs::read(golden_dir().join("vault/identity.age")).expect("identity.age");
    let plain = crypto::decrypt_with_passphrase(&pass(), &ct).expect("decrypts");
    let committed = fs::read(golden_dir().join("identity.txt")).expect("identity.txt");
    assert_eq!(&plain[..], &committed[..]);
}

#[test]
fn golden_objects_are_pinned_byte_for_byte() {
    let identity = golden_vault_identity();
    let vault: Id = {
        let text = fs::read_to_string(golden_dir().join("vault/coffer.toml")).expect("toml");
        coffer_core::config::Config::parse(&text, Path::new("golden"))
            .expect("config")
            .vault
    };
    let mut checked = 0;
    for e in fs::read_dir(golden_dir().join("plain")).expect("plain/") {
        let path = e.expect("entry").path();
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name");
        let id: Id = name.parse().expect("plain/<object id>.txt");
        let want = fs::read(&path).expect("plaintext");
        let s = id.to_string();
        let ct = fs::read(golden_dir().join(format!("vault/objects/{}/{s}.age", &s[..2])))
            .expect("the object");
        let plain = crypto::decrypt(&[&identity], &ct).expect("decrypts");
        assert_eq!(&plain[..], &want[..], "object {id} decrypts to other bytes");
        let rev = Revision::decode(&want, &vault, &id).expect("decodes");
        assert_eq!(
            &rev.encode(&vault)[..],
            &want[..],
            "object {id}: re-encoding what was decoded changes the bytes"
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} pinned plaintexts");
}

// ---- Property tests ----

fn arb_id() -> impl Strategy<Value = Id> {
    "[0-9a-f]{32}".prop_map(|s| s.parse().expect("hex id"))
}

/// Any text, weighted towards what breaks front matter: `---` lines, newlines, quotes,
/// backslashes, control characters, and non-ASCII.
fn arb_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("---".to_string()),
        Just("---\n".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("body-bytes: 0".to_string()),
        Just("\"\\".to_string()),
        Just("\u{2028}\u{0}\u{7f}\u{feff}".to_string()),
        "\\PC{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Milliseconds between years 0000 and 9999 (what RFC 3339 can write).
fn arb_millis() -> impl Strategy<Value = i64> {
    -62_167_219_200_000i64..=253_402_300_799_999i64
}

fn arb_revision() -> impl Strategy<Value = Revision> {
    let attachment = (arb_text(), arb_id(), any::<u64>(), "[0-9a-f]{64}").prop_map(
        |(name, object, size, sha256)| Attachment {
            name,
            object,
            size,
            sha256,
        },
    );
    (
        (arb_id(), arb_id(), prop::collection::vec(arb_id(), 0..3)),
        (
            arb_text(),
            prop::collection::vec(arb_text(), 0..4),
            prop::option::of(arb_text()),
        ),
        (any::<bool>(), any::<bool>(), arb_millis(), arb_millis()),
        (prop::collection::vec(attachment, 0..3), arb_text()),
    )
        .prop_map(
            |(
                (note, revision, parents),
                (title, tags, notebook),
                (pinned, deleted, created, updated),
                (attachments, body),
            )| {
                Revision {
                    note,
                    revision,
                    parents,
                    title,
                    tags,
                    notebook,
                    pinned,
                    deleted,
                    created,
                    updated,
                    attachments,
                    body,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn revisions_round_trip(rev in arb_revision(), vault in arb_id()) {
        let plain = rev.encode(&vault);
        // Padded to its Padmé length, so object sizes leak little.
        prop_assert_eq!(plain.len() as u64, crypto::padme(plain.len() as u64));
        let back = Revision::decode(&plain, &vault, &rev.revision);
        prop_assert!(back.is_ok(), "{:?}", back.err());
        prop_assert_eq!(back.expect("checked"), rev.clone());
        // Bound to its vault and its object id.
        prop_assert!(Revision::decode(&plain, &rev.note, &rev.revision).is_err() || rev.note == vault);
        prop_assert!(Revision::decode(&plain, &vault, &rev.note).is_err() || rev.note == rev.revision);
    }

    #[test]
    fn empty_and_rule_only_bodies_round_trip(
        rev in arb_revision(),
        body in prop_oneof![Just(String::new()), Just("---".into()), Just("---\n".into()),
                            Just("\n---\n---\n".into()), Just("---\nbody-bytes: 1\n---\n".into())],
    ) {
        let rev = Revision { body, ..rev };
        let vault = rev.note;
        let back = Revision::decode(&rev.encode(&vault), &vault, &rev.revision);
        prop_assert_eq!(back.expect("round trip"), rev);
    }

    #[test]
    fn header_decode_never_panics_on_bytes(data in prop::collection::vec(any::<u8>(), 0..4096)) {
        check_decode(&data);
    }

    #[test]
    fn header_decode_never_panics_on_near_headers(
        lines in prop::collection::vec(
            prop_oneof![
                Just("---".to_string()),
                Just("body-bytes: 18446744073709551615".to_string()),
                Just("body-bytes: -1".to_string()),
                Just("body-bytes: 1e400".to_string()),
                "[a-z-]{0,8}: \\PC{0,20}",
                "\\PC{0,20}",
                any::<String>(),
            ],
            0..16,
        ),
        end in prop_oneof![Just(""), Just("\n"), Just("---\n")],
        tail in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut data = b"---\n".to_vec();
        for l in &lines {
            data.extend_from_slice(l.as_bytes());
            data.push(b'\n');
        }
        data.extend_from_slice(end.as_bytes());
        data.extend_from_slice(&tail);
        check_decode(&data);
    }
}

/// Decoding arbitrary bytes returns (never panics), and what it returns is consistent.
fn check_decode(data: &[u8]) {
    if let Ok((h, _len, start)) = Header::decode(data) {
        assert!(start <= data.len());
        assert!(h.get("body-bytes").is_some());
    }
    let (v, o) = (Id::random(), Id::random());
    let _ = coffer_core::object::unframe(data, coffer_core::object::Kind::Note, &v, &o);
    let _ = Revision::decode(data, &v, &o);
}

// ---- Making the golden files (once) ----

#[test]
#[ignore = "overwrites tests/data/golden/v1; see the module comment"]
fn regenerate_golden_vault() {
    assert_eq!(
        std::env::var("COFFER_REGENERATE_GOLDEN").as_deref(),
        Ok("1"),
        "set COFFER_REGENERATE_GOLDEN=1: this overwrites the committed golden vault"
    );
    let out = golden_dir();
    let _ = fs::remove_dir_all(&out);
    let dir = out.join("vault");
    let mut v = Vault::init(&dir, &pass(), &InitOptions { work_factor: 10 }).expect("init");

    let groceries = v
        .create(NewNote {
            title: "Groceries".into(),
            body: "- milk\n- eggs\n".into(),
            tags: vec!["home".into(), "todo".into()],
            notebook: Some("Personal".into()),
            pinned: true,
        })
        .expect("create");
    v.update(
        &groceries,
        NoteChange {
            body: Some("- milk\n- eggs\n- 茶 (tea)\n\n---\n\nafter a rule\n".into()),
            ..Default::default()
        },
    )
    .expect("update");

    let trip = v
        .create(NewNote {
            title: "Trip to Kyōto 🗾".into(),
            body: "# Plan\n\n```\ncode: block\n---\n```\n\nSee [[Groceries]].\n".into(),
            tags: vec!["travel".into()],
            ..Default::default()
        })
        .expect("create");
    let ticket = out.join("ticket.bin");
    fs::write(&ticket, b"TICKET 1234\n\x00\x01 binary \xff\xfe").expect("ticket");
    v.attach(&trip, &ticket, Some("ticket.bin"))
        .expect("attach");
    fs::remove_file(&ticket).expect("rm ticket");

    let old = v.create(NewNote {
        title: "Old idea".into(),
        body: "not any more".into(),
        ..Default::default()
    });
    v.trash(&old.expect("create")).expect("trash");

    v.create(NewNote {
        title: "Empty body".into(),
        ..Default::default()
    })
    .expect("create");

    let conflicted = v
        .create(NewNote {
            title: "Conflicted".into(),
            body: "base\n".into(),
            ..Default::default()
        })
        .expect("create");
    let base = v.note(&conflicted).expect("note").revision;
    for body in ["edit on one device\n", "edit on another device\n"] {
        v.update(
            &conflicted,
            NoteChange {
                base: Some(base),
                body: Some(body.into()),
                ..Default::default()
            },
        )
        .expect("concurrent edit");
    }

    let gone = v
        .create(NewNote {
            title: "Gone".into(),
            body: "purged".into(),
            ..Default::default()
        })
        .expect("create");
    v.trash(&gone).expect("trash");
    v.purge(&gone).expect("purge");

    v.export_identity(&out.join("identity.txt"))
        .expect("export identity");
    drop(v);
    fs::remove_dir_all(dir.join("local")).expect("local/ is per device, not golden");

    // The plaintext of every note object.
    let identity = golden_vault_identity();
    fs::create_dir_all(out.join("plain")).expect("mkdir plain");
    let tmp = tempfile::tempdir().expect("temp dir");
    let (_, v) = open_golden_copy(tmp.path());
    let expected = project(&v);
    for note in expected["notes"].as_object().expect("notes").values() {
        for rev in note["revisions"].as_object().expect("revisions").keys() {
            let s = rev.as_str();
            let ct = fs::read(dir.join(format!("objects/{}/{s}.age", &s[..2]))).expect("object");
            let plain = crypto::decrypt(&[&identity], &ct).expect("decrypt");
            fs::write(out.join(format!("plain/{s}.txt")), &plain[..]).expect("write plain");
        }
    }
    let mut text = serde_json::to_string_pretty(&expected).expect("json");
    text.push('\n');
    fs::write(out.join("expected.json"), text).expect("expected.json");
    fs::write(
        out.join("README.md"),
        "Golden vault, format version 1: made once by `regenerate_golden_vault` in\n\
         crates/core/tests/format.rs with the passphrase in that file. Never edit or\n\
         regenerate these files; the current code must keep reading them as expected.json says.\n\
         identity.txt is the plaintext of vault/identity.age (a test key, for `age -d -i`).\n\
         plain/ holds the decrypted note revisions.\n",
    )
    .expect("README");
}
