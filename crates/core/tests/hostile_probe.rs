//! The classes of attack an outside probe found (issue 12), each with generated cases: symbolic
//! links anywhere under a folder remote, size bombs for every file kind, deep nesting for every
//! parser and the renderer, control characters in every name. Each case checks that the attack
//! gets a clear, specific error or is ignored, and that nothing outside its place is read,
//! changed or deleted.
#![allow(clippy::unwrap_used)]

use coffer_core::messages::Draft;
use coffer_core::messages::inbox::inbox_folder;
use coffer_core::secrecy::SecretString;
use coffer_core::sync::{Remote, RemotePurpose, StoreRemote, SyncOptions};
use coffer_core::{InitOptions, NewNote, NoteFilter, Vault, crypto};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pass() -> SecretString {
    SecretString::from("probe passphrase".to_string())
}

fn new_vault(dir: &Path, name: &str) -> Vault {
    let mut v = Vault::init(dir, &pass(), &InitOptions { work_factor: 10 }).unwrap();
    v.set_display_name(name).unwrap();
    v
}

fn note(title: &str) -> NewNote {
    NewNote {
        title: title.into(),
        body: format!("{title} body"),
        ..Default::default()
    }
}

/// Every file under `dir` with its bytes (links as their targets).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else if meta.file_type().is_symlink() {
                out.insert(
                    p.clone(),
                    fs::read_link(&p).unwrap().into_os_string().into_vec(),
                );
            } else {
                out.insert(p.clone(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

// ---------- symbolic links under a folder remote ----------

/// Two people who write to each other through a shared folder.
struct Pair {
    _dir: tempfile::TempDir,
    shared: PathBuf,
    alice: Vault,
    bob: Vault,
    bob_dir: PathBuf,
}

fn pair() -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    let url = shared.display().to_string();
    let mut alice = new_vault(&dir.path().join("alice"), "Alice");
    let bob_dir = dir.path().join("bob");
    let mut bob = new_vault(&bob_dir, "Bob");
    for v in [&mut alice, &mut bob] {
        v.add_remote_for("shared", &url, None, RemotePurpose::Messages)
            .unwrap();
    }
    let (ca, cb) = (alice.my_card().unwrap(), bob.my_card().unwrap());
    alice.add_contact(&cb.encode(), "Bob").unwrap();
    bob.add_contact(&ca.encode(), "Alice").unwrap();
    bob.create(note("Bob's own note")).unwrap();
    Pair {
        _dir: dir,
        shared,
        alice,
        bob,
        bob_dir,
    }
}

#[test]
fn a_symlinked_inbox_deletes_nothing_outside_it() {
    let mut p = pair();
    let me = p.bob.my_card().unwrap();
    // The contact replaces Bob's inbox with a link to Bob's own log folder (full of *.age
    // files that are no messages), and to the vault's root.
    let device = fs::read_dir(p.bob_dir.join("log"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for target in [device.clone(), p.bob_dir.clone(), p.bob_dir.join("objects")] {
        let inbox = p.shared.join(inbox_folder(&me));
        let _ = fs::remove_dir_all(&inbox);
        let _ = fs::remove_file(&inbox);
        fs::create_dir_all(inbox.parent().unwrap()).unwrap();
        symlink(&target, &inbox).unwrap();
        let before = snapshot(&p.bob_dir);
        let e = p.bob.receive_from_remote("shared").unwrap_err();
        assert_eq!(e.code(), "remote_link", "{e}");
        assert!(e.to_string().contains("never follows links"), "{e}");
        let e = p
            .bob
            .discard_held_on("shared", &[format!("{}/x.age", inbox_folder(&me))])
            .unwrap_err();
        assert_eq!(e.code(), "remote_link", "{e}");
        assert_eq!(snapshot(&p.bob_dir), before, "through {}", target.display());
    }
    // The vault still shows its note after a fresh open.
    drop(p.bob);
    let v = coffer_core::LockedVault::open(&p.bob_dir)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    assert_eq!(v.list(&NoteFilter::default()).len(), 1);
}

#[test]
fn links_inside_an_inbox_are_skipped_and_messages_still_arrive() {
    let mut p = pair();
    let me = p.bob.my_card().unwrap();
    let inbox = p.shared.join(inbox_folder(&me));
    fs::create_dir_all(&inbox).unwrap();
    let outside = p._dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("precious.age"), b"not a message").unwrap();
    symlink(outside.join("precious.age"), inbox.join("a.age")).unwrap();
    symlink(&outside, inbox.join("sub")).unwrap();
    p.alice
        .send_to_remote("shared", &["Bob"], Draft::text("hello"))
        .unwrap();
    let r = p.bob.receive_from_remote("shared").unwrap();
    assert_eq!(r.received.len(), 1);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    assert_eq!(
        fs::read(outside.join("precious.age")).unwrap(),
        b"not a message"
    );
}

#[test]
fn only_files_that_open_as_messages_for_this_user_are_removed() {
    let mut p = pair();
    let me = p.bob.my_card().unwrap();
    let folder = inbox_folder(&me);
    let remote = StoreRemote::open(&p.shared.display().to_string(), None).unwrap();
    // Not messages for Bob: left where they are.
    let stranger = coffer_core::keys::Keys::generate();
    let not_for_bob =
        crypto::encrypt(&[&stranger.messaging_identity().to_public()], b"hi").unwrap();
    let kept = [
        ("garbage", b"not an age file at all".to_vec()),
        ("not-for-bob", not_for_bob),
        ("cut", {
            let (_, block) = p
                .alice
                .send_armored(&["Bob"], Draft::text("cut short"))
                .unwrap();
            let ct = coffer_core::messages::armor::dearmor(&block).unwrap();
            ct[..ct.len() - 40].to_vec()
        }),
    ];
    for (name, bytes) in &kept {
        remote.put(&format!("{folder}/{name}.age"), bytes).unwrap();
    }
    // A 3 GB sparse file: refused by its size, never read.
    let big = p.shared.join(&folder).join("big.age");
    fs::File::create(&big).unwrap().set_len(3 << 30).unwrap();
    // For Bob but forged: removed.
    let forged = crypto::encrypt(&[&me.messaging_recipient()], b"coffer-message1\n{}").unwrap();
    remote
        .put(&format!("{folder}/forged.age"), &forged)
        .unwrap();

    let r = p.bob.receive_from_remote("shared").unwrap();
    let by: BTreeMap<String, (String, bool)> = r
        .rejected
        .iter()
        .map(|x| {
            let name = x.key.rsplit('/').next().unwrap().to_string();
            (name, (x.code.clone(), x.removed))
        })
        .collect();
    assert_eq!(by["garbage.age"], ("bad_message".into(), false), "{by:?}");
    assert_eq!(by["not-for-bob.age"], ("not_for_me".into(), false));
    assert_eq!(by["cut.age"], ("bad_message".into(), false));
    assert_eq!(by["big.age"], ("remote_file_too_large".into(), false));
    assert_eq!(by["forged.age"], ("bad_message".into(), true));
    let mut left = remote.list(&format!("{folder}/")).unwrap();
    left.sort();
    assert_eq!(
        left,
        ["big.age", "cut.age", "garbage.age", "not-for-bob.age"].map(|n| format!("{folder}/{n}"))
    );
}

/// Every key a folder sync remote holds, after two devices synced through it.
fn synced_pair() -> (tempfile::TempDir, PathBuf, Vault, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote");
    let url = remote.display().to_string();
    let mut a = new_vault(&dir.path().join("a"), "Laptop");
    a.create(note("first")).unwrap();
    a.add_remote("origin", &url, None).unwrap();
    a.sync(Some("origin"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    let (b, _) =
        Vault::clone_from(&url, &dir.path().join("b"), &pass(), None, &mut |_| {}).unwrap();
    (dir, remote, a, b)
}

#[test]
fn a_link_anywhere_in_a_sync_remote_is_never_followed() {
    let (dir, remote, mut a, mut b) = synced_pair();
    // A decoy outside the remote, with files of every name the remote holds.
    let decoy = dir.path().join("decoy");
    let keys: Vec<PathBuf> = snapshot(&remote).into_keys().collect();
    // Every file and every folder on the way to one, in turn, becomes a link to the decoy.
    let mut places: Vec<PathBuf> = Vec::new();
    for k in &keys {
        let rel = k.strip_prefix(&remote).unwrap().to_path_buf();
        for anc in rel.ancestors() {
            if !anc.as_os_str().is_empty() && !places.contains(&anc.to_path_buf()) {
                places.push(anc.to_path_buf());
            }
        }
    }
    assert!(places.len() >= 6, "{places:?}");
    for place in &places {
        let _ = fs::remove_dir_all(&decoy);
        fs::create_dir_all(&decoy).unwrap();
        for k in &keys {
            let rel = k.strip_prefix(&remote).unwrap();
            for d in [decoy.join(rel), decoy.join(rel.file_name().unwrap())] {
                fs::create_dir_all(d.parent().unwrap()).unwrap();
                fs::write(&d, b"decoy").unwrap();
            }
        }
        let target = remote.join(place);
        let saved = dir.path().join("saved");
        fs::rename(&target, &saved).unwrap();
        // A folder links to the decoy folder, a file to the decoy's file of the same name.
        let to = if saved.is_dir() {
            decoy.clone()
        } else {
            decoy.join(place)
        };
        symlink(&to, &target).unwrap();
        let decoy_before = snapshot(&decoy);
        a.create(note(&format!("while {} is a link", place.display())))
            .unwrap();
        for v in [&mut a, &mut b] {
            match v.sync(Some("origin"), &SyncOptions::default(), &mut |_| {}) {
                Ok(_) => {}
                Err(e) => assert!(
                    matches!(
                        e.code(),
                        "remote_link" | "remote_mismatch" | "remote_failed"
                    ),
                    "{}: {e}",
                    place.display()
                ),
            }
        }
        assert_eq!(
            snapshot(&decoy),
            decoy_before,
            "through {}",
            place.display()
        );
        fs::remove_file(&target).unwrap();
        fs::rename(&saved, &target).unwrap();
    }
    // With the links gone, both devices agree again.
    a.sync(Some("origin"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    b.sync(Some("origin"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    assert_eq!(
        a.list(&NoteFilter::default()).len(),
        b.list(&NoteFilter::default()).len()
    );
}

// ---------- deep nesting and expansion in every parser ----------

#[test]
fn front_matter_that_would_expand_or_nest_is_kept_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = new_vault(&dir.path().join("v"), "Me");
    let src = dir.path().join("import");
    fs::create_dir_all(&src).unwrap();
    // "Billion laughs": 616 bytes that expand to gigabytes.
    let mut laughs = String::from(
        "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (i, c) in "bcdefghi".chars().enumerate() {
        let prev = (b'a' + i as u8) as char;
        laughs.push_str(&format!(
            "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    laughs.push_str("title: laughs\n---\nbody\n");
    let cases = [
        ("laughs.md", laughs, "anchors or aliases"),
        (
            "anchor.md",
            "---\ntitle: &t x\ntags: [*t]\n---\nb\n".to_string(),
            "anchors or aliases",
        ),
        (
            "deep.md",
            format!("---\nx: {}{}\n---\nb\n", "[".repeat(50), "]".repeat(50)),
            "nested too deeply",
        ),
        (
            "deeper.md",
            format!("---\nx: {}{}\n---\nb\n", "[".repeat(5000), "]".repeat(5000)),
            "recursion limit exceeded",
        ),
        (
            "many.md",
            format!("---\nx: [{}]\n---\nb\n", "1,".repeat(20_000)),
            "too many values",
        ),
    ];
    for (name, text, _) in &cases {
        fs::write(src.join(name), text).unwrap();
    }
    let report = v.import_dir(&src, &mut |_| {}).unwrap();
    assert_eq!(report.notes, cases.len(), "{report:?}");
    for (name, _, why) in &cases {
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains(name) && w.contains(why)),
            "{name}: {:?}",
            report.warnings
        );
    }
}

#[test]
fn hostile_nesting_renders_as_too_complex_for_notes_and_messages() {
    let mut p = pair();
    for body in [
        "- ".repeat(20_000),
        ">".repeat(1 << 20),
        "<div>".repeat(100_000),
    ] {
        let id = p
            .bob
            .create(NewNote {
                title: "deep".into(),
                body: body.clone(),
                ..Default::default()
            })
            .unwrap();
        let html = p.bob.render(&id).unwrap();
        assert!(html.contains("too complex to preview"), "{html:.100}");
        // The text is kept as written.
        assert_eq!(p.bob.note(&id).unwrap().body, body);
        p.alice
            .send_to_remote("shared", &["Bob"], Draft::text(&body))
            .unwrap();
    }
    let r = p.bob.receive_from_remote("shared").unwrap();
    assert_eq!(r.received.len(), 3);
    for got in &r.received {
        for m in p.bob.open_conversation(&got.conversation).unwrap() {
            assert!(m.html.contains("too complex to preview"), "{:.100}", m.html);
        }
    }
}

// ---------- size bombs for every file kind ----------

/// A vault with a note, synced once through a folder remote (so every local file exists).
fn full_vault(dir: &Path) -> (PathBuf, coffer_core::Id) {
    let root = dir.join("v");
    let mut v = new_vault(&root, "Me");
    let id = v.create(note("kept")).unwrap();
    v.add_remote("r", &dir.join("remote").display().to_string(), None)
        .unwrap();
    v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    v.create(note("in the journal")).unwrap();
    std::mem::forget(v); // as after a crash: the journal keeps its record
    (root, id)
}

/// Every error an everyday round of use meets: open, unlock, list, read, sync, verify.
fn everyday(root: &Path, id: &coffer_core::Id) -> Vec<String> {
    let mut errors = Vec::new();
    let mut v = match coffer_core::LockedVault::open(root).and_then(|l| l.unlock(&pass())) {
        Ok(v) => v,
        Err(e) => return vec![format!("{}: {e}", e.code())],
    };
    let _ = v.list(&NoteFilter::default());
    if let Err(e) = v.note(id) {
        errors.push(format!("{}: {e}", e.code()));
    }
    if let Err(e) = v.sync(Some("r"), &SyncOptions::default(), &mut |_| {}) {
        errors.push(format!("{}: {e}", e.code()));
    }
    let report = format!("{:?}", v.verify(&mut |_| {}));
    errors.push(report);
    errors
}

/// Where a kind of file is in a vault.
type Place = fn(&Path, &coffer_core::Id) -> PathBuf;

#[test]
fn a_huge_local_file_of_any_kind_is_refused_before_it_is_read() {
    let kinds: Vec<(&str, Place)> = vec![
        ("coffer.toml", |r, _| r.join("coffer.toml")),
        ("identity.age", |r, _| r.join("identity.age")),
        ("local/journal", |r, _| r.join("local/journal")),
        ("local/sync.age", |r, _| r.join("local/sync.age")),
        ("local/remotes.age", |r, _| r.join("local/remotes.age")),
        ("a log entry", |r, _| {
            let dev = fs::read_dir(r.join("log"))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path();
            dev.join("000000000001.age")
        }),
        ("an object", |r, id| {
            let s = id.to_string();
            r.join("objects").join(&s[..2]).join(format!("{s}.age"))
        }),
    ];
    for (what, place) in kinds {
        let dir = tempfile::tempdir().unwrap();
        let (root, id) = full_vault(dir.path());
        let mut path = place(&root, &id);
        if what == "an object" {
            // The note's revision object, whichever name it has.
            path = fs::read_dir(root.join("objects"))
                .unwrap()
                .flat_map(|d| fs::read_dir(d.unwrap().path()).unwrap())
                .map(|f| f.unwrap().path())
                .next()
                .unwrap();
        }
        assert!(path.exists(), "{what}: {}", path.display());
        let f = fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(3 << 30).unwrap();
        drop(f);
        let errors = everyday(&root, &id);
        assert!(
            errors.iter().any(|e| e.contains("over the limit of")),
            "{what}: {errors:?}"
        );
    }
}

// ---------- names ----------

#[test]
fn no_two_vaults_share_a_default_name_and_a_name_alone_attributes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mk = |n: &str| {
        Vault::init(
            &dir.path().join(n),
            &pass(),
            &InitOptions { work_factor: 10 },
        )
        .unwrap()
    };
    let (mut a, mut b, mut stranger) = (mk("a"), mk("b"), mk("s"));
    let (ca, cb) = (a.my_card().unwrap(), b.my_card().unwrap());
    assert!(ca.name().starts_with("Coffer user "), "{}", ca.name());
    assert_ne!(ca.name(), cb.name());
    assert_ne!(ca.name(), stranger.my_card().unwrap().name());
    // Bob knows Alice by the name on her card; a stranger writes the same name on theirs.
    b.add_contact(&ca.encode(), ca.name()).unwrap();
    stranger.set_display_name(ca.name()).unwrap();
    stranger.add_contact(&cb.encode(), "Bob").unwrap();
    let (_, block) = stranger
        .send_armored(&["Bob"], Draft::text("it is me, really"))
        .unwrap();
    let e = b.open_armored(&block).unwrap_err();
    assert_eq!(e.code(), "unknown_sender", "{e}");
    // The same after Alice is removed: her name on a stranger's card is no key change.
    b.remove_contact(ca.name()).unwrap();
    assert_eq!(b.open_armored(&block).unwrap_err().code(), "unknown_sender");
    let (_, real) = {
        a.add_contact(&cb.encode(), "Bob").unwrap();
        a.send_armored(&["Bob"], Draft::text("hi")).unwrap()
    };
    assert_eq!(b.open_armored(&real).unwrap_err().code(), "unknown_sender");
}

#[test]
fn invisible_characters_are_refused_in_names() {
    let mut p = pair();
    let alice = p.alice.my_card().unwrap();
    for bad in [
        "Ali\u{200B}ce",
        "Al\u{202E}ice",
        "Ali\u{2060}ce",
        "\u{FEFF}Alice",
        "Ali\u{1b}ce",
    ] {
        let e = p.bob.set_display_name(bad).unwrap_err();
        assert_eq!(e.code(), "invalid_input", "{bad:?}");
        let e = p.bob.add_contact(&alice.encode(), bad).unwrap_err();
        assert!(
            matches!(e.code(), "invalid_input" | "contact_exists"),
            "{bad:?}: {e}"
        );
    }
    let id = p.bob.create(note("n")).unwrap();
    let file = p._dir.path().join("f.txt");
    fs::write(&file, b"x").unwrap();
    for bad in [
        "exe\u{202E}txt.exe",
        "a\u{200B}.txt",
        "a\nb.txt",
        "a\u{1b}.txt",
    ] {
        let e = p.bob.attach(&id, &file, Some(bad)).unwrap_err();
        assert_eq!(e.code(), "invalid_input", "{bad:?}");
    }
    assert_eq!(
        coffer_core::transfer::safe_file_name("exe\u{202E}txt.exe"),
        "exe_txt.exe"
    );
}

// ---------- message times and conversations ----------

/// A message signed by `from`, to Bob, with the fields a hostile sender chooses.
fn crafted(from: &mut Vault, bob: &mut Vault, conversation: coffer_core::Id, time: i64) -> String {
    use coffer_core::messages::envelope::{Envelope, MESSAGE_FORMAT, seal};
    let env = Envelope {
        format: MESSAGE_FORMAT,
        sender: from.my_card().unwrap().encode(),
        recipients: vec![bob.my_card().unwrap().encode()],
        conversation,
        message: coffer_core::Id::random(),
        time,
        prev: None,
        body: "crafted".into(),
        note: None,
        attachments: vec![],
    };
    let (ct, _) = seal(from.keys(), &env).unwrap();
    coffer_core::messages::armor::armor(&ct).unwrap()
}

#[test]
fn future_times_and_borrowed_conversations_are_refused_and_replies_never_overflow() {
    let mut p = pair();
    let dir = tempfile::tempdir().unwrap();
    let mut carol = new_vault(&dir.path().join("c"), "Carol");
    let cb = p.bob.my_card().unwrap();
    carol.add_contact(&cb.encode(), "Bob").unwrap();
    p.bob
        .add_contact(&carol.my_card().unwrap().encode(), "Carol")
        .unwrap();
    // Alice and Bob talk.
    let (m, block) = p
        .alice
        .send_armored(&["Bob"], Draft::text("hi Bob"))
        .unwrap();
    p.bob.open_armored(&block).unwrap();
    let conv = m.conversation;
    // Carol, a contact but not in that conversation, names its id.
    let block = crafted(&mut carol, &mut p.bob, conv, 1);
    let e = p.bob.open_armored(&block).unwrap_err();
    assert_eq!(e.code(), "bad_message");
    assert!(e.to_string().contains("not part of"), "{e}");
    // Year 9999, or i64::MAX: refused, so nothing is pinned on top.
    for time in [253_402_300_799_000, i64::MAX] {
        let block = crafted(&mut carol, &mut p.bob, coffer_core::Id::random(), time);
        let e = p.bob.open_armored(&block).unwrap_err();
        assert!(e.to_string().contains("ahead of this clock"), "{e}");
    }
    assert_eq!(p.bob.thread(&conv).unwrap().len(), 1);
    // A reply after a message of the latest time allowed does not overflow.
    let ahead = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 3_600_000;
    let block = crafted(&mut p.alice, &mut p.bob, coffer_core::Id::random(), ahead);
    let got = p.bob.open_armored(&block).unwrap();
    let mut d = Draft::text("reply");
    d.conversation = Some(got.conversation);
    p.bob.send_armored(&["Alice"], d).unwrap();
}

#[test]
fn a_query_of_one_word_repeated_costs_one_word() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = new_vault(&dir.path().join("v"), "Me");
    for i in 0..50 {
        v.create(note(&format!("apple {i}"))).unwrap();
    }
    let once = v.search("a", 50);
    let ids = |h: Vec<coffer_core::SearchHit>| h.into_iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(ids(v.search(&"a ".repeat(4000), 50)), ids(once));
    let many: String = (0..4000).map(|i| format!("w{i} ")).collect();
    let _ = v.search(&many, 50);
}

// ---------- a rolled-back vault folder, a restored device ----------

fn own_log(root: &Path) -> PathBuf {
    fs::read_dir(root.join("log"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

#[test]
fn a_rolled_back_vault_folder_is_noticed_and_saves_nothing_after_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let mut v = new_vault(&root, "Me");
    v.create(note("one")).unwrap();
    v.create(note("two")).unwrap();
    v.save_snapshot().unwrap();
    drop(v);
    // The newest entry of this device's log is taken away; the snapshot still counts it.
    let log = own_log(&root);
    let mut entries: Vec<PathBuf> = fs::read_dir(&log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let newest = entries.pop().unwrap();
    fs::remove_file(&newest).unwrap();
    let mut v = coffer_core::LockedVault::open(&root)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    assert!(
        v.load_problems()
            .iter()
            .any(|p| p.contains("restored from an older copy")),
        "{:?}",
        v.load_problems()
    );
    let e = v.create(note("three")).unwrap_err();
    assert_eq!(e.code(), "log_rolled_back", "{e}");
    // Nothing was written after the gap.
    assert_eq!(fs::read_dir(&log).unwrap().count(), entries.len());
}

#[test]
fn a_device_restored_from_a_backup_never_overwrites_its_entries_on_the_remote() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let remote = dir.path().join("remote");
    let mut v = new_vault(&root, "Me");
    v.create(note("one")).unwrap();
    v.add_remote("r", &remote.display().to_string(), None)
        .unwrap();
    v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    drop(v);
    // A backup of the folder is taken, then the device goes on and syncs.
    let backup = dir.path().join("backup");
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(&root)
            .arg(&backup)
            .status()
            .unwrap()
            .success()
    );
    let mut v = coffer_core::LockedVault::open(&root)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    v.create(note("after the backup")).unwrap();
    v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    drop(v);
    let on_remote = snapshot(&remote);
    // The backup comes back, and writes other entries at the same places.
    fs::remove_dir_all(&root).unwrap();
    fs::rename(&backup, &root).unwrap();
    let mut v = coffer_core::LockedVault::open(&root)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    v.create(note("restored device")).unwrap();
    let r = v
        .sync(Some("r"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    assert!(
        r.alarms
            .iter()
            .any(|a| a.message.contains("restored from an older copy")),
        "{:?}",
        r.alarms
    );
    // Every entry that was on the remote is still there, byte for byte.
    let after = snapshot(&remote);
    for (k, bytes) in &on_remote {
        if k.to_string_lossy().contains("/log/") {
            assert_eq!(after.get(k), Some(bytes), "{} was overwritten", k.display());
        }
    }
    // The way out: the device goes on under a new id, keeping what only it held ("restored
    // device") and taking what the remote held ("after the backup").
    drop(v);
    let (mut v, done) = Vault::continue_as_new_device(&root, &pass()).unwrap();
    assert_ne!(done.old, done.new);
    assert_eq!(v.device_id(), done.new);
    assert!(
        Path::new(&done.kept_at).is_dir(),
        "the old log was not kept"
    );
    let r = v
        .sync(Some("r"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    assert!(r.alarms.is_empty(), "{:?}", r.alarms);
    let titles = |v: &Vault| {
        let mut t: Vec<String> = v
            .list(&NoteFilter::default())
            .into_iter()
            .map(|n| n.title)
            .collect();
        t.sort();
        t
    };
    assert_eq!(titles(&v), ["after the backup", "one", "restored device"]);
    v.create(note("later")).unwrap();
    v.sync(Some("r"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    assert!(v.verify(&mut |_| {}).unwrap().problems.is_empty());
    // A new device cloned from the remote sees all of it, with no alarm.
    let (c, report) = Vault::clone_from(
        &remote.display().to_string(),
        &dir.path().join("c"),
        &pass(),
        None,
        &mut |_| {},
    )
    .unwrap();
    assert!(report.alarms.is_empty(), "{:?}", report.alarms);
    assert_eq!(
        titles(&c),
        ["after the backup", "later", "one", "restored device"]
    );
}

/// A vault folder whose newest entries were deleted (rolled back) is told how to go on, and goes
/// on under a new id without losing anything.
#[test]
fn a_rolled_back_device_goes_on_under_a_new_id() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let mut v = new_vault(&root, "Me");
    v.create(note("one")).unwrap();
    v.checkpoint().unwrap();
    v.create(note("two")).unwrap();
    v.save_snapshot().unwrap();
    drop(v);
    let log = own_log(&root);
    let mut entries: Vec<PathBuf> = fs::read_dir(&log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    fs::remove_file(entries.last().unwrap()).unwrap();
    let mut v = coffer_core::LockedVault::open(&root)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    let e = v.create(note("three")).unwrap_err();
    assert!(
        e.to_string().contains("coffer device continue-as-new"),
        "{e}"
    );
    drop(v);
    let (mut v, done) = Vault::continue_as_new_device(&root, &pass()).unwrap();
    assert!(done.carried >= 1);
    v.create(note("three")).unwrap();
    drop(v);
    let v = coffer_core::LockedVault::open(&root)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    assert!(v.load_problems().is_empty(), "{:?}", v.load_problems());
    let mut t: Vec<String> = v
        .list(&NoteFilter::default())
        .into_iter()
        .map(|n| n.title)
        .collect();
    t.sort();
    assert_eq!(t, ["one", "three"]);
}

#[test]
fn a_notebook_3000_levels_deep_exports_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = new_vault(&dir.path().join("v"), "Me");
    let deep = vec!["level"; 3000].join("/");
    v.create(NewNote {
        title: "deep".into(),
        body: "in a deep notebook".into(),
        notebook: Some(deep.clone()),
        ..Default::default()
    })
    .unwrap();
    v.create(note("plain")).unwrap();
    let out = dir.path().join("export");
    let report = v.export_dir(&out, &mut |_| {}).unwrap();
    assert_eq!(report.notes, 2, "{report:?}");
    // The note is in a folder at most 16 deep; its front matter keeps the whole notebook.
    let mut back = new_vault(&dir.path().join("w"), "Me");
    let r = back.import_dir(&out, &mut |_| {}).unwrap();
    assert_eq!(r.notes, 2, "{r:?}");
    let nb: Vec<Option<String>> = back
        .list(&NoteFilter::default())
        .into_iter()
        .map(|n| n.notebook)
        .collect();
    assert!(
        nb.contains(&Some(deep)),
        "{:?}",
        nb.iter()
            .map(|n| n.as_ref().map(String::len))
            .collect::<Vec<_>>()
    );
}

/// An import folder whose files and folders are swapped for links after the walk (from the
/// first progress report, which comes between the walk and the reading): every swapped path
/// is refused and reported, and nothing outside the folder is read into the vault.
#[test]
fn files_swapped_for_links_during_an_import_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir_all(outside.join("sub")).unwrap();
    fs::write(outside.join("secret.md"), "OUTSIDE SECRET").unwrap();
    fs::write(outside.join("sub/b.md"), "OUTSIDE SECRET B").unwrap();
    fs::write(outside.join("sub/pic.png"), "OUTSIDE PNG").unwrap();
    fs::write(outside.join("pic.png"), "OUTSIDE PNG").unwrap();
    // Each case: the path swapped, what it is swapped for.
    let cases: [(&str, PathBuf); 3] = [
        ("a.md", outside.join("secret.md")),
        ("pic.png", outside.join("pic.png")),
        ("sub", outside.join("sub")),
    ];
    for (i, (swapped, target)) in cases.iter().enumerate() {
        let input = tmp.path().join(format!("in{i}"));
        fs::create_dir_all(input.join("sub")).unwrap();
        fs::write(input.join("a.md"), "# A\n\n![p](pic.png)\n").unwrap();
        fs::write(input.join("pic.png"), "inside png").unwrap();
        fs::write(input.join("sub/b.md"), "# B\n\n![p](pic.png)\n").unwrap();
        fs::write(input.join("sub/pic.png"), "inside png b").unwrap();
        let mut v = new_vault(&tmp.path().join(format!("v{i}")), "Importer");
        let path = input.join(swapped);
        let mut swap = |p: &coffer_core::Progress| {
            if p.done == 0 && fs::symlink_metadata(&path).is_ok_and(|m| !m.is_symlink()) {
                if path.is_dir() {
                    fs::remove_dir_all(&path).unwrap();
                } else {
                    fs::remove_file(&path).unwrap();
                }
                symlink(target, &path).unwrap();
            }
        };
        let report = v.import_dir(&input, &mut swap).unwrap();
        assert!(
            report
                .skipped
                .iter()
                .any(|s| s.contains("a symbolic link (not followed)")),
            "{swapped}: {:?}",
            report.skipped
        );
        assert!(!v.list(&NoteFilter::default()).is_empty());
        for n in v.list(&NoteFilter::default()) {
            let note = v.note(&n.id).unwrap();
            assert!(
                !note.body.contains("OUTSIDE"),
                "{swapped}: read {}",
                note.body
            );
            for a in &note.attachments {
                let got = tmp.path().join("got");
                let _ = fs::remove_file(&got);
                v.extract(&n.id, &a.name, &got).unwrap();
                let bytes = fs::read(&got).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains("OUTSIDE"),
                    "{swapped}"
                );
            }
        }
    }
}

/// Links planted in the export folder while an export runs (a notebook folder, an attachment
/// folder, a note's file name) are never written through: a folder link stops the export with
/// `folder_link`, a file link is left alone, and the folders they point to stay untouched.
#[test]
fn links_planted_in_an_export_are_never_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"), "Exporter");
    let id = v
        .create(NewNote {
            title: "Plan".into(),
            body: "the plan".into(),
            notebook: Some("Work".into()),
            ..Default::default()
        })
        .unwrap();
    let file = tmp.path().join("att.txt");
    fs::write(&file, "attachment").unwrap();
    v.attach(&id, &file, None).unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("Plan.md"), "mine").unwrap();
    let before = snapshot(&outside);
    for (i, planted) in ["Work", "Work/_attachments", "Work/Plan.md"]
        .iter()
        .enumerate()
    {
        let out = tmp.path().join(format!("out{i}"));
        let link = out.join(planted);
        let target = if planted.ends_with(".md") {
            outside.join("Plan.md")
        } else {
            outside.clone()
        };
        let mut plant = |p: &coffer_core::Progress| {
            if p.done == 0 {
                fs::create_dir_all(link.parent().unwrap()).unwrap();
                symlink(&target, &link).unwrap();
            }
        };
        let result = v.export_dir(&out, &mut plant);
        if planted.ends_with(".md") {
            let report = result.unwrap();
            assert_eq!(report.notes, 1);
            assert!(out.join("Work/Plan (2).md").is_file(), "{planted}");
        } else {
            let e = result.unwrap_err();
            assert_eq!(e.code(), "folder_link", "{planted}: {e}");
        }
        assert_eq!(
            snapshot(&outside),
            before,
            "{planted}: written through the link"
        );
    }
}

fn sync_alarms(v: &mut Vault) -> Vec<coffer_core::sync::Alarm> {
    v.sync(Some("origin"), &SyncOptions::default(), &mut |_| {})
        .unwrap()
        .alarms
        .into_iter()
        .filter(|a| a.kind == coffer_core::sync::AlarmKind::ReplacedIdentity)
        .collect()
}

/// The copy of identity.age a remote keeps for clone cannot be swapped unnoticed: not for
/// another file, not for an older copy (opened by a changed passphrase), not deleted. A
/// passphrase change on another device is no alarm.
#[test]
fn a_replaced_identity_on_a_remote_is_noticed_and_put_back() {
    let (dir, remote, mut a, mut b) = synced_pair();
    b.sync(Some("origin"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    let id_path = remote.join("identity.age");
    let original = fs::read(&id_path).unwrap();
    assert!(
        remote.join("identity.sig").is_file(),
        "no statement beside identity.age"
    );
    assert!(sync_alarms(&mut a).is_empty());

    // Another vault's identity.age (a passphrase the attacker knows).
    let other = new_vault(&dir.path().join("other"), "Other");
    fs::write(
        &id_path,
        fs::read(other.root().join("identity.age")).unwrap(),
    )
    .unwrap();
    let alarms = sync_alarms(&mut a);
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert!(
        alarms[0].message.contains("did not put there"),
        "{}",
        alarms[0].message
    );
    assert_eq!(
        fs::read(&id_path).unwrap(),
        original,
        "this device's copy was not put back"
    );
    assert!(
        sync_alarms(&mut a).is_empty(),
        "the alarm repeats once resolved"
    );

    // A third device that will miss the passphrase change.
    let (mut c, _) = Vault::clone_from(
        &remote.display().to_string(),
        &dir.path().join("c"),
        &pass(),
        None,
        &mut |_| {},
    )
    .unwrap();
    assert!(sync_alarms(&mut c).is_empty());
    // A passphrase change on device B: B puts its new copy there, A takes it without alarm.
    let old_pair = (
        original.clone(),
        fs::read(remote.join("identity.sig")).unwrap(),
    );
    b.change_passphrase(&SecretString::from("a new passphrase".to_string()), 10)
        .unwrap();
    assert!(sync_alarms(&mut b).is_empty());
    let changed = fs::read(&id_path).unwrap();
    assert_ne!(changed, original);
    assert!(
        sync_alarms(&mut a).is_empty(),
        "a real passphrase change raised an alarm"
    );

    // The remote replays the old copy with its (validly signed, older) statement.
    fs::write(&id_path, &old_pair.0).unwrap();
    fs::write(remote.join("identity.sig"), &old_pair.1).unwrap();
    let alarms = sync_alarms(&mut a);
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert!(
        alarms[0].message.contains("older one"),
        "{}",
        alarms[0].message
    );
    // B holds the good copy and puts it back.
    let alarms = sync_alarms(&mut b);
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(fs::read(&id_path).unwrap(), changed);

    // Deleted: put back by the device that has the good copy.
    fs::remove_file(&id_path).unwrap();
    let alarms = sync_alarms(&mut b);
    assert!(
        alarms[0].message.contains("was gone"),
        "{}",
        alarms[0].message
    );
    assert_eq!(fs::read(&id_path).unwrap(), changed);

    // Deleted again, and the device that missed the change syncs first: it puts back its old
    // copy with its old statement, which the others see as older and undo; then it takes the
    // good one.
    fs::remove_file(&id_path).unwrap();
    assert_eq!(sync_alarms(&mut c).len(), 1);
    assert_eq!(fs::read(&id_path).unwrap(), original);
    let alarms = sync_alarms(&mut a);
    assert!(
        alarms[0].message.contains("older one"),
        "{}",
        alarms[0].message
    );
    assert_eq!(sync_alarms(&mut b).len(), 1);
    assert_eq!(fs::read(&id_path).unwrap(), changed);
    assert!(sync_alarms(&mut c).is_empty());
    assert!(sync_alarms(&mut a).is_empty());
    assert_eq!(fs::read(&id_path).unwrap(), changed);
}
