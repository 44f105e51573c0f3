//! Contacts and signed messages between real vaults: three people exchanging messages through a
//! real S3 server (SeaweedFS, started by `scripts/sync-servers` unless COFFER_TEST_S3_ENDPOINT
//! and the AWS_* credentials name a running one) and through armored text; the same through a
//! password-protected WebDAV server and a folder; and one test per
//! attack of issue 5 ("Bad input and attacks"): each gets its own clear error and stores nothing.
#![allow(clippy::unwrap_used)]

use coffer_core::messages::armor::{armor, dearmor};
use coffer_core::messages::inbox::inbox_folder;
use coffer_core::messages::{ContactCard, Draft, Party, Via};
use coffer_core::secrecy::ExposeSecret;
use coffer_core::secrecy::SecretString;
use coffer_core::sync::{NewRemote, Remote, RemotePurpose, StoreRemote};
use coffer_core::{Id, InitOptions, NewNote, NoteFilter, Vault, crypto};

mod sync_support;
use sync_support::{creds, servers};

/// A fresh prefix on the S3 server: the shared remote of one test.
fn shared_url() -> String {
    let s = servers();
    format!(
        "s3://{}/{}?endpoint={}&region=us-east-1",
        s.s3_bucket,
        Id::random(),
        s.s3_endpoint
    )
}

// ---------- people ----------

fn pass() -> SecretString {
    SecretString::from("correct horse".to_string())
}

struct Person {
    v: Vault,
    _dir: tempfile::TempDir,
}

fn person(name: &str, shared: Option<&str>) -> Person {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vault::init(
        &dir.path().join("vault"),
        &pass(),
        &InitOptions { work_factor: 10 },
    )
    .unwrap();
    v.set_display_name(name).unwrap();
    if let Some(url) = shared {
        v.add_remote_for("shared", url, Some(creds()), RemotePurpose::Messages)
            .unwrap();
    }
    Person { v, _dir: dir }
}

fn card(p: &mut Person) -> String {
    p.v.my_card().unwrap().encode()
}

/// Makes `a` and `b` each other's contacts under their display names.
fn introduce(a: &mut Person, b: &mut Person) {
    let (ca, cb) = (card(a), card(b));
    let (na, nb) = (
        ContactCard::parse(&ca).unwrap().name().to_string(),
        ContactCard::parse(&cb).unwrap().name().to_string(),
    );
    a.v.add_contact(&cb, &nb).unwrap();
    b.v.add_contact(&ca, &na).unwrap();
}

/// What a person has stored: the log's length and every message id.
fn stored(p: &mut Person) -> (u64, Vec<Id>) {
    let seq = p.v.devices().values().sum();
    let mut ids = Vec::new();
    for c in p.v.conversations().unwrap() {
        ids.extend(p.v.thread(&c.id).unwrap().iter().map(|m| m.id));
    }
    ids.sort();
    (seq, ids)
}

fn decrypt_as(p: &Person, ct: &[u8]) -> Vec<u8> {
    crypto::decrypt(&[p.v.keys().messaging_identity()], ct)
        .unwrap()
        .to_vec()
}

// ---------- three people through S3 and armored text ----------

#[test]
fn three_people_exchange_messages_through_s3_and_armored_text() {
    let url = shared_url();
    let mut alice = person("Alice", Some(&url));
    let mut bob = person("Bob", Some(&url));
    let mut carol = person("Carol", Some(&url));
    introduce(&mut alice, &mut bob);
    introduce(&mut alice, &mut carol);
    introduce(&mut bob, &mut carol);
    // Safety numbers agree pairwise; verifying marks the contact.
    assert_eq!(
        alice.v.safety_number("Bob").unwrap(),
        bob.v.safety_number("Alice").unwrap()
    );
    assert_ne!(
        alice.v.safety_number("Bob").unwrap(),
        alice.v.safety_number("Carol").unwrap()
    );
    assert!(alice.v.verify_contact("bob").unwrap().verified);

    // A group message from Alice to Bob and Carol through their inboxes on S3.
    let sent = alice
        .v
        .send_to_remote(
            "shared",
            &["Bob", "Carol"],
            Draft::text("Meeting at **noon**"),
        )
        .unwrap()
        .message;
    for p in [&mut bob, &mut carol] {
        let r = p.v.receive_from_remote("shared").unwrap();
        assert_eq!(r.received.len(), 1, "{r:?}");
        assert!(r.held.is_empty() && r.rejected.is_empty());
        let m = &r.received[0];
        assert_eq!((m.id, m.conversation), (sent.id, sent.conversation));
        assert_eq!(m.body, "Meeting at **noon**");
        assert!(matches!(&m.from, Party::Contact { name, .. } if name == "Alice"));
        assert_eq!(m.to.len(), 2);
        assert!(m.to.contains(&Party::Me));
        // Taken out of the inbox once stored.
        assert!(
            p.v.receive_from_remote("shared")
                .unwrap()
                .received
                .is_empty()
        );
    }
    // Carol answers the group; both others get it in the same conversation.
    let reply = carol
        .v
        .send_to_remote("shared", &["Alice", "Bob"], Draft::text("ok, noon"))
        .unwrap()
        .message;
    assert_eq!(reply.conversation, sent.conversation);
    for p in [&mut alice, &mut bob] {
        let r = p.v.receive_from_remote("shared").unwrap();
        assert_eq!(r.received.len(), 1);
        assert!(!r.received[0].missing_previous);
        let t = p.v.thread(&sent.conversation).unwrap();
        assert_eq!(
            t.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            ["Meeting at **noon**", "ok, noon"]
        );
    }
    // Bob writes to Alice alone: a separate conversation, unread until read.
    let private = bob
        .v
        .send_to_remote("shared", &["Alice"], Draft::text("just us"))
        .unwrap()
        .message;
    assert_ne!(private.conversation, sent.conversation);
    alice.v.receive_from_remote("shared").unwrap();
    let convs = alice.v.conversations().unwrap();
    assert_eq!(convs.len(), 2);
    assert_eq!(convs[0].id, private.conversation);
    assert_eq!(convs[0].unread, 1);
    alice.v.mark_read(&private.conversation).unwrap();
    assert_eq!(alice.v.conversations().unwrap()[0].unread, 0);
    assert_eq!(alice.v.thread_with("Bob").unwrap().len(), 1);
    // Search finds messages by word prefix.
    let hits = alice.v.search_messages("noo", 10).unwrap();
    assert_eq!(hits.len(), 2);

    // The inbox names reveal no name and no key.
    let remote = StoreRemote::open(&url, Some(&creds())).unwrap();
    let keys = remote.list("inbox/").unwrap();
    let bob_card = bob.v.my_card().unwrap();
    for k in remote.list("").unwrap() {
        for secret in ["Alice", "Bob", "Carol", &bob_card.encode()[13..40]] {
            assert!(!k.contains(secret), "{k} reveals {secret}");
        }
    }
    assert!(keys.is_empty(), "every inbox was emptied: {keys:?}");
    assert_eq!(inbox_folder(&bob_card).len(), "inbox/".len() + 64);

    // Armored text: Carol to Alice, pasted with surrounding whitespace.
    let (m, block) = carol
        .v
        .send_armored(&["Alice"], Draft::text("by email"))
        .unwrap();
    let got = alice.v.open_armored(&format!("\n  {block}\n\n")).unwrap();
    assert_eq!((got.id, got.body.as_str()), (m.id, "by email"));

    // Attachments and a shared note.
    let note = alice
        .v
        .create(NewNote {
            title: "Plan".into(),
            body: "1. go\n2. return".into(),
            tags: vec!["trip".into()],
            ..Default::default()
        })
        .unwrap();
    let remote = alice.v.open_remote("shared").unwrap();
    let shared = alice
        .v
        .share_note(
            &note,
            &["Bob"],
            Via::Remote {
                remote: &remote,
                name: "shared",
            },
        )
        .unwrap();
    let r = bob.v.receive_from_remote("shared").unwrap();
    assert_eq!(r.received[0].id, shared.message.id);
    let saved = bob.v.save_shared_note(&shared.message.id).unwrap();
    let n = bob.v.note(&saved).unwrap();
    assert_eq!(
        (n.title.as_str(), n.body.as_str(), n.tags.clone()),
        ("Plan", "1. go\n2. return", vec!["trip".to_string()])
    );
    let photo: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let with_file = bob
        .v
        .send_to_remote(
            "shared",
            &["Alice"],
            Draft {
                body: "the photo".into(),
                attachments: vec![("photo.jpg".into(), photo.clone())],
                conversation: None,
            },
        )
        .unwrap()
        .message;
    alice.v.receive_from_remote("shared").unwrap();
    assert_eq!(
        alice
            .v
            .message_attachment(&with_file.id, "photo.jpg")
            .unwrap(),
        photo
    );
    assert_eq!(
        alice
            .v
            .message(&with_file.id.to_string())
            .unwrap()
            .attachments[0]
            .size,
        50_000
    );
    // Nothing any of them stored is damaged.
    for p in [&mut alice, &mut bob, &mut carol] {
        let report = p.v.verify(&mut |_| {}).unwrap();
        assert!(report.ok(), "{:?}", report.problems);
    }
}

/// The other carriers of issue 5's shared remote: a WebDAV server that asks for a password (the
/// URL made as the app's Settings form makes it) and a plain folder. Each carries a message and
/// its answer, and its inboxes are empty once read.
#[test]
fn messages_travel_through_webdav_with_a_password_and_through_a_folder() {
    let (dav, user, password) = &servers().webdav_auth;
    let dav_url = NewRemote {
        name: "shared".into(),
        url: format!("{dav}inbox-{}", Id::random()),
        user: user.clone(),
        secret: password.clone(),
        purpose: RemotePurpose::Messages,
    }
    .spec()
    .unwrap()
    .url
    .expose_secret()
    .to_string();
    let folder = tempfile::tempdir().unwrap();
    let folder_url = folder.path().join("shared").display().to_string();
    for (kind, url) in [("webdav", dav_url), ("folder", folder_url)] {
        let mut alice = person("Alice", Some(&url));
        let mut bob = person("Bob", Some(&url));
        introduce(&mut alice, &mut bob);
        let sent = alice
            .v
            .send_to_remote("shared", &["Bob"], Draft::text(format!("via {kind}")))
            .unwrap()
            .message;
        let r = bob.v.receive_from_remote("shared").unwrap();
        assert_eq!(r.received.len(), 1, "{kind}: {r:?}");
        assert_eq!(r.received[0].id, sent.id, "{kind}");
        assert_eq!(r.received[0].body, format!("via {kind}"));
        assert!(matches!(&r.received[0].from, Party::Contact { name, .. } if name == "Alice"));
        bob.v
            .send_to_remote("shared", &["Alice"], Draft::text("got it"))
            .unwrap();
        let r = alice.v.receive_from_remote("shared").unwrap();
        assert_eq!(r.received.len(), 1, "{kind}: {r:?}");
        assert_eq!(r.received[0].conversation, sent.conversation, "{kind}");
        assert_eq!(
            alice
                .v
                .thread(&sent.conversation)
                .unwrap()
                .iter()
                .map(|m| m.body.as_str())
                .collect::<Vec<_>>(),
            [format!("via {kind}").as_str(), "got it"]
        );
        let remote = alice.v.open_remote("shared").unwrap();
        assert!(
            remote.list("inbox/").unwrap().is_empty(),
            "{kind}: the inboxes were emptied"
        );
    }
}

#[test]
fn contacts_and_messages_sync_between_ones_own_devices_and_survive_rotation() {
    let folder = tempfile::tempdir().unwrap();
    let url = folder.path().join("remote").display().to_string();
    let mut alice = person("Alice", None);
    let mut bob = person("Bob", None);
    introduce(&mut alice, &mut bob);
    let (m, block) = bob.v.send_armored(&["Alice"], Draft::text("hi")).unwrap();
    alice.v.open_armored(&block).unwrap();
    alice.v.add_remote("origin", &url, None).unwrap();
    alice
        .v
        .sync(Some("origin"), &Default::default(), &mut |_| {})
        .unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let (mut second, _) =
        Vault::clone_from(&url, &dir2.path().join("v"), &pass(), None, &mut |_| {}).unwrap();
    assert_eq!(second.contacts().unwrap()[0].name, "Bob");
    assert_eq!(second.thread_with("Bob").unwrap()[0].id, m.id);
    assert_eq!(second.my_card().unwrap(), alice.v.my_card().unwrap());
    // The replayed message is a duplicate on the other device too.
    assert_eq!(
        second.open_armored(&block).unwrap_err().code(),
        "duplicate_message"
    );
    // Key rotation re-encrypts and re-logs the messaging objects with the notes.
    alice.v.rotate_keys_anew(&pass(), &mut |_| {}).unwrap();
    let dir = alice.v.root().to_path_buf();
    let mut again = coffer_core::LockedVault::open(&dir)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    assert_eq!(again.thread_with("Bob").unwrap()[0].body, "hi");
}

#[test]
fn a_removed_contact_stays_removed_on_every_device_and_can_be_added_again() {
    let folder = tempfile::tempdir().unwrap();
    let url = folder.path().join("remote").display().to_string();
    let mut alice = person("Alice", None);
    let mut bob = person("Bob", None);
    introduce(&mut alice, &mut bob);
    alice.v.verify_contact("Bob").unwrap();
    let original = alice.v.contact("Bob").unwrap();
    let (first, block) = bob.v.send_armored(&["Alice"], Draft::text("hi")).unwrap();
    alice.v.open_armored(&block).unwrap();
    alice.v.add_remote("origin", &url, None).unwrap();
    let sync = |v: &mut Vault| {
        v.sync(Some("origin"), &Default::default(), &mut |_| {})
            .unwrap();
    };
    sync(&mut alice.v);
    let dir2 = tempfile::tempdir().unwrap();
    let (mut second, _) =
        Vault::clone_from(&url, &dir2.path().join("v"), &pass(), None, &mut |_| {}).unwrap();
    assert_eq!(second.contacts().unwrap().len(), 1);

    // Removed: not listed, not found, no recipient; the conversation stays readable.
    let removed = alice.v.remove_contact("bob").unwrap();
    assert_eq!(removed, original);
    assert!(alice.v.contacts().unwrap().is_empty());
    for e in [
        alice.v.contact("Bob").unwrap_err(),
        alice.v.remove_contact("Bob").unwrap_err(),
        alice
            .v
            .send_armored(&["Bob"], Draft::text("still there?"))
            .unwrap_err(),
    ] {
        assert_eq!(e.code(), "no_such_contact");
        assert_eq!(
            e.to_string(),
            "no contact matches \"Bob\"; see `coffer contact list`"
        );
    }
    let thread = alice.v.thread(&first.conversation).unwrap();
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0].body, "hi");
    assert!(
        matches!(&thread[0].from, Party::Unknown { claimed, .. } if claimed == "Bob"),
        "{:?}",
        thread[0].from
    );
    // A new message from Bob's keys is an unknown sender's, and nothing is stored.
    let (_, later) = bob
        .v
        .send_armored(&["Alice"], Draft::text("hello?"))
        .unwrap();
    let before = stored(&mut alice);
    assert_eq!(
        alice.v.open_armored(&later).unwrap_err().code(),
        "unknown_sender"
    );
    assert_eq!(stored(&mut alice), before);

    // The removal travels to the other device, and survives a fresh unlock there.
    sync(&mut alice.v);
    sync(&mut second);
    assert!(second.contacts().unwrap().is_empty());
    assert_eq!(
        second.open_armored(&later).unwrap_err().code(),
        "unknown_sender"
    );
    second.save_messages_cache().unwrap();
    let dir = second.root().to_path_buf();
    drop(second);
    let mut second = coffer_core::LockedVault::open(&dir)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    assert!(second.contacts().unwrap().is_empty());

    // Added again (on the other device): the same contact, not verified, newer than the removal.
    let again = second.add_contact(&card(&mut bob), "Bob again").unwrap();
    assert_eq!(again.id, original.id);
    assert!(!again.verified);
    assert!(again.updated > original.updated);
    let m = second.open_armored(&later).unwrap();
    assert!(matches!(&m.from, Party::Contact { name, .. } if name == "Bob again"));
    sync(&mut second);
    sync(&mut alice.v);
    let listed = alice.v.contacts().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id, listed[0].name.as_str()),
        (original.id, "Bob again")
    );
    assert!(matches!(
        &alice.v.thread(&first.conversation).unwrap()[0].from,
        Party::Contact { name, .. } if name == "Bob again"
    ));
    alice
        .v
        .send_armored(&["Bob again"], Draft::text("welcome back"))
        .unwrap();
    let report = alice.v.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

#[test]
fn a_shared_messages_remote_never_receives_the_vault_and_a_sync_remote_never_carries_messages() {
    let url = shared_url();
    let mut alice = person("Alice", Some(&url));
    let mut bob = person("Bob", Some(&url));
    introduce(&mut alice, &mut bob);
    let own = tempfile::tempdir().unwrap();
    let own_url = own.path().join("remote").display().to_string();
    alice.v.add_remote("origin", &own_url, None).unwrap();

    // Without a name, sync picks the only sync remote, never the shared one.
    let report = alice
        .v
        .sync(None, &Default::default(), &mut |_| {})
        .unwrap();
    assert_eq!(report.remote, "origin");
    let err = alice
        .v
        .sync(Some("shared"), &Default::default(), &mut |_| {})
        .unwrap_err();
    assert_eq!(err.code(), "wrong_remote_purpose");
    assert!(err.to_string().contains("shared with contacts"), "{err}");
    let shared = StoreRemote::open(&url, Some(&creds())).unwrap();
    assert!(
        shared.list("").unwrap().is_empty(),
        "nothing of the vault went to the shared remote"
    );

    // Messages never go through the vault's own remote.
    let err = alice
        .v
        .send_to_remote("origin", &["Bob"], Draft::text("psst"))
        .unwrap_err();
    assert_eq!(err.code(), "wrong_remote_purpose");
    assert!(err.to_string().contains("--messages"), "{err}");
    assert!(
        alice.v.conversations().unwrap().is_empty(),
        "nothing stored"
    );
    assert_eq!(
        alice.v.receive_from_remote("origin").unwrap_err().code(),
        "wrong_remote_purpose"
    );

    // Through the shared remote it works, and the app's inbox check looks only there.
    alice
        .v
        .send_to_remote("shared", &["Bob"], Draft::text("hello"))
        .unwrap();
    let check = bob.v.check_inboxes().unwrap();
    assert_eq!(check.remotes, ["shared"]);
    assert_eq!(check.report.received.len(), 1);
    let listed = alice.v.remotes().unwrap();
    let purposes: Vec<_> = listed
        .iter()
        .map(|r| (r.name.as_str(), r.purpose))
        .collect();
    assert_eq!(
        purposes,
        [
            ("shared", RemotePurpose::Messages),
            ("origin", RemotePurpose::Sync)
        ]
    );
}

// ---------- attacks: each a clear error, nothing stored ----------

#[test]
fn a_message_from_an_unknown_key_is_held_apart_never_shown_as_a_contact() {
    let url = shared_url();
    let mut alice = person("Alice", Some(&url));
    let mut bob = person("Bob", Some(&url));
    let mut mallory = person("Mallory", Some(&url));
    introduce(&mut alice, &mut bob);
    mallory.v.add_contact(&card(&mut bob), "Bob").unwrap();
    let before = stored(&mut bob);
    // Armored: refused with the sender's fingerprint; nothing stored.
    let (_, block) = mallory.v.send_armored(&["Bob"], Draft::text("hi")).unwrap();
    let e = bob.v.open_armored(&block).unwrap_err();
    assert_eq!(e.code(), "unknown_sender");
    assert!(e.to_string().contains("Mallory"), "{e}");
    assert_eq!(stored(&mut bob), before);
    // Through the inbox: held (not stored), left in place until Bob adds Mallory.
    mallory
        .v
        .send_to_remote("shared", &["Bob"], Draft::text("hello from M"))
        .unwrap();
    let r = bob.v.receive_from_remote("shared").unwrap();
    assert!(r.received.is_empty());
    assert_eq!(r.held.len(), 1);
    assert_eq!(r.held[0].code, "unknown_sender");
    assert!(matches!(&r.held[0].from, Party::Unknown { claimed, .. } if claimed == "Mallory"));
    assert_eq!(stored(&mut bob), before);
    assert_eq!(bob.v.receive_from_remote("shared").unwrap().held.len(), 1);
    bob.v
        .add_contact(&r.held[0].sender_card, "Mallory (met at the conference)")
        .unwrap();
    let r = bob.v.receive_from_remote("shared").unwrap();
    assert_eq!(r.received.len(), 1);
    assert!(
        matches!(&r.received[0].from, Party::Contact { name, .. } if name.starts_with("Mallory"))
    );
}

#[test]
fn held_messages_are_discarded_from_ones_own_inbox_and_nothing_else() {
    let url = shared_url();
    let mut alice = person("Alice", Some(&url));
    let mut bob = person("Bob", Some(&url));
    let mut carol = person("Carol", Some(&url));
    let mut mallory = person("Mallory", Some(&url));
    introduce(&mut alice, &mut bob);
    introduce(&mut bob, &mut carol);
    mallory.v.add_contact(&card(&mut bob), "Bob").unwrap();
    mallory.v.add_contact(&card(&mut alice), "Alice").unwrap();
    let carol_card = card(&mut carol);
    bob.v.remove_contact("Carol").unwrap();
    // One copy of Mallory's message in Bob's inbox and one in Alice's; Carol is now a stranger
    // to Bob; Alice is his contact.
    mallory
        .v
        .send_to_remote("shared", &["Bob", "Alice"], Draft::text("spam"))
        .unwrap();
    carol
        .v
        .send_to_remote("shared", &["Bob"], Draft::text("from Carol"))
        .unwrap();
    alice
        .v
        .send_to_remote("shared", &["Bob"], Draft::text("from Alice"))
        .unwrap();
    let check = bob.v.check_inboxes().unwrap();
    assert_eq!(check.report.received.len(), 1);
    assert_eq!(check.report.held.len(), 2);
    assert!(check.report.held.iter().all(|h| h.code == "unknown_sender"));
    let mut keys: Vec<String> = check.report.held.iter().map(|h| h.key.clone()).collect();
    let remote = StoreRemote::open(&url, Some(&creds())).unwrap();
    let bob_folder = inbox_folder(&bob.v.my_card().unwrap());
    let alice_folder = inbox_folder(&alice.v.my_card().unwrap());
    // A file in Bob's inbox that is not a held message (it is not even for him).
    let junk = format!("{bob_folder}/{}.age", Id::random());
    remote.put(&junk, b"not a message").unwrap();
    keys.push(junk.clone());
    let everything = |r: &StoreRemote| {
        let mut all = r.list("").unwrap();
        all.sort();
        all
    };
    let before = everything(&remote);
    assert_eq!(before.len(), 4, "{before:?}");
    let in_alices = remote.list(&format!("{alice_folder}/")).unwrap();
    assert_eq!(in_alices.len(), 1);

    // Keys outside Bob's own inbox are refused before anything is deleted.
    for bad in [
        in_alices[0].clone(),
        format!("{bob_folder}/../{}", &in_alices[0]["inbox/".len()..]),
        format!("{bob_folder}/sub/x.age"),
        "coffer.toml".to_string(),
    ] {
        let mut with_bad = keys.clone();
        with_bad.push(bad.clone());
        let want =
            format!("invalid input: {bad:?} is not a message in your inbox: nothing was deleted");
        let e = bob.v.discard_held(&with_bad).unwrap_err();
        assert_eq!((e.code(), e.to_string()), ("invalid_input", want.clone()));
        let e = bob.v.discard_held_on("shared", &with_bad).unwrap_err();
        assert_eq!((e.code(), e.to_string()), ("invalid_input", want));
        assert_eq!(everything(&remote), before);
    }

    // Carol is added again before the discard: her message is no longer held, so it stays.
    bob.v.add_contact(&carol_card, "Carol").unwrap();
    let report = bob.v.discard_held(&keys).unwrap();
    assert_eq!(report.discarded, 1);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let carols = check
        .report
        .held
        .iter()
        .find(|h| matches!(&h.from, Party::Unknown { claimed, .. } if claimed == "Carol"))
        .unwrap()
        .key
        .clone();
    let mut left = remote.list(&format!("{bob_folder}/")).unwrap();
    left.sort();
    let mut want = vec![junk.clone(), carols];
    want.sort();
    assert_eq!(left, want);
    assert_eq!(remote.list(&format!("{alice_folder}/")).unwrap(), in_alices);
    assert_eq!(bob.v.discard_held(&keys).unwrap().discarded, 0);
    // The next check takes Carol's message in and rejects the junk, but leaves it: it is no
    // message for Bob, and Coffer deletes only what it shows to be one; Mallory's is gone.
    let check = bob.v.check_inboxes().unwrap();
    assert_eq!(check.report.received.len(), 1);
    assert_eq!(check.report.received[0].body, "from Carol");
    assert!(check.report.held.is_empty());
    assert_eq!(check.report.rejected.len(), 1);
    assert!(!check.report.rejected[0].removed);
    assert_eq!(remote.list(&format!("{bob_folder}/")).unwrap(), [junk]);
    // Alice still gets her copy of Mallory's message (held for her).
    assert_eq!(alice.v.check_inboxes().unwrap().report.held.len(), 1);
}

#[test]
fn a_known_contact_with_changed_keys_is_flagged_and_never_shown_as_the_contact() {
    let mut alice = person("Alice", None);
    let mut bob = person("Bob", None);
    introduce(&mut alice, &mut bob);
    bob.v.verify_contact("Alice").unwrap();
    // Someone else (or Alice on a new vault) claims to be Alice: a name proves nothing, so
    // this is a stranger who calls themselves Alice, never "Alice's keys changed".
    let mut impostor = person("Alice", None);
    impostor.v.add_contact(&card(&mut bob), "Bob").unwrap();
    let before = stored(&mut bob);
    let (_, block) = impostor
        .v
        .send_armored(&["Bob"], Draft::text("it's me"))
        .unwrap();
    let e = bob.v.open_armored(&block).unwrap_err();
    assert_eq!(e.code(), "unknown_sender", "{e}");
    assert!(e.to_string().contains("calls themselves \"Alice\""), "{e}");
    assert_eq!(stored(&mut bob), before);
    // Adding the new card under the known name (Bob's choice) is a key change, refused
    // unless accepted on purpose.
    let new_card = card(&mut impostor);
    let e = bob.v.add_contact(&new_card, "Alice").unwrap_err();
    assert_eq!(e.code(), "contact_key_changed");
    let old = bob.v.contact("Alice").unwrap();
    assert!(old.verified && !old.key_changed);
    // Accepting the new keys on purpose: verification resets, the old keys stay on record.
    let c = bob.v.replace_contact_keys("Alice", &new_card).unwrap();
    assert!(!c.verified && c.key_changed);
    assert_eq!(c.previous_cards, vec![old.card.clone()]);
    // Messages signed with the replaced keys are refused as well.
    let before = stored(&mut bob);
    let (_, block) = alice
        .v
        .send_armored(&["Bob"], Draft::text("old key"))
        .unwrap();
    assert_eq!(
        bob.v.open_armored(&block).unwrap_err().code(),
        "contact_key_changed"
    );
    assert_eq!(stored(&mut bob), before);
}

#[test]
fn a_signature_that_does_not_verify_is_rejected() {
    let mut alice = person("Alice", None);
    let mut bob = person("Bob", None);
    introduce(&mut alice, &mut bob);
    let before = stored(&mut bob);
    let (_, block) = alice
        .v
        .send_armored(&["Bob"], Draft::text("pay 10"))
        .unwrap();
    let plain = decrypt_as(&bob, &dearmor(&block).unwrap());
    let text = String::from_utf8(plain).unwrap();
    // Replace the signature with another valid-looking one.
    let sig_at = text.find("\"sig\":\"").unwrap() + 7;
    let mut forged = text.clone();
    let c = if &text[sig_at..sig_at + 1] == "A" {
        "B"
    } else {
        "A"
    };
    forged.replace_range(sig_at..sig_at + 1, c);
    let bob_card = bob.v.my_card().unwrap();
    let ct = crypto::encrypt(&[&bob_card.messaging_recipient()], forged.as_bytes()).unwrap();
    let e = bob.v.open_armored(&armor(&ct).unwrap()).unwrap_err();
    assert_eq!(e.code(), "bad_signature");
    assert_eq!(stored(&mut bob), before);
}

#[test]
fn a_message_signed_for_b_and_re_encrypted_to_c_is_rejected() {
    let url = shared_url();
    let mut alice = person("Alice", Some(&url));
    let mut bob = person("Bob", Some(&url));
    let mut carol = person("Carol", Some(&url));
    introduce(&mut alice, &mut bob);
    introduce(&mut alice, &mut carol);
    introduce(&mut bob, &mut carol);
    let before = stored(&mut carol);
    let (_, block) = alice
        .v
        .send_armored(&["Bob"], Draft::text("for Bob only"))
        .unwrap();
    // Bob forwards Alice's signed message to Carol, re-encrypted.
    let plain = decrypt_as(&bob, &dearmor(&block).unwrap());
    let carol_card = carol.v.my_card().unwrap();
    let ct = crypto::encrypt(&[&carol_card.messaging_recipient()], &plain).unwrap();
    let e = carol.v.open_armored(&armor(&ct).unwrap()).unwrap_err();
    assert_eq!(e.code(), "not_a_recipient");
    // The same through Carol's inbox: rejected and removed.
    let remote = StoreRemote::open(&url, Some(&creds())).unwrap();
    remote
        .put(
            &format!("{}/{}.age", inbox_folder(&carol_card), Id::random()),
            &ct,
        )
        .unwrap();
    let r = carol.v.receive_from_remote("shared").unwrap();
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].code, "not_a_recipient");
    assert!(remote.list("inbox/").unwrap().is_empty());
    assert_eq!(stored(&mut carol), before);
    // And a file that is not for Carol at all.
    let e = carol.v.open_armored(&block).unwrap_err();
    assert_eq!(e.code(), "not_for_me");
}

#[test]
fn an_altered_body_is_rejected() {
    let mut alice = person("Alice", None);
    let mut bob = person("Bob", None);
    introduce(&mut alice, &mut bob);
    let before = stored(&mut bob);
    let (_, block) = alice
        .v
        .send_armored(&["Bob"], Draft::text("pay 10 EUR"))
        .unwrap();
    // Bob (a recipient, so able to re-encrypt) alters the body and keeps the signature.
    let plain = decrypt_as(&bob, &dearmor(&block).unwrap());
    let altered = String::from_utf8(plain)
        .unwrap()
        .replace("pay 10", "pay 99");
    let bob_card = bob.v.my_card().unwrap();
    let ct = crypto::encrypt(&[&bob_card.messaging_recipient()], altered.as_bytes()).unwrap();
    assert_eq!(
        bob.v.open_armored(&armor(&ct).unwrap()).unwrap_err().code(),
        "bad_signature"
    );
    // Someone on the way flips a byte of the ciphertext: age's authentication fails.
    let mut ct = dearmor(&block).unwrap();
    let n = ct.len() - 20;
    ct[n] ^= 0x40;
    assert_eq!(
        bob.v.open_armored(&armor(&ct).unwrap()).unwrap_err().code(),
        "bad_message"
    );
    assert_eq!(stored(&mut bob), before);
    bob.v.open_armored(&block).unwrap();
}

#[test]
fn a_replayed_message_id_is_dropped() {
    let url = shared_url();
    let mut alice = person("Alice", Some(&url));
    let mut bob = person("Bob", Some(&url));
    introduce(&mut alice, &mut bob);
    let (_, block) = alice.v.send_armored(&["Bob"], Draft::text("once")).unwrap();
    bob.v.open_armored(&block).unwrap();
    let before = stored(&mut bob);
    assert_eq!(
        bob.v.open_armored(&block).unwrap_err().code(),
        "duplicate_message"
    );
    // Replayed into the inbox (twice): dropped and removed.
    let remote = StoreRemote::open(&url, Some(&creds())).unwrap();
    let folder = inbox_folder(&bob.v.my_card().unwrap());
    for _ in 0..2 {
        remote
            .put(
                &format!("{folder}/{}.age", Id::random()),
                &dearmor(&block).unwrap(),
            )
            .unwrap();
    }
    let r = bob.v.receive_from_remote("shared").unwrap();
    assert_eq!((r.received.len(), r.duplicates), (0, 2));
    assert!(remote.list("inbox/").unwrap().is_empty());
    assert_eq!(stored(&mut bob), before);
}

#[test]
fn malformed_or_truncated_cards_and_blocks_are_refused() {
    let mut alice = person("Alice", None);
    let mut bob = person("Bob", None);
    let good = card(&mut bob);
    for (bad, why) in [
        (String::new(), "empty"),
        (good[..good.len() - 3].to_string(), "checksum"),
        (good[..20].to_string(), "missing"),
        (good.replace("coffer-card1:", "coffer-card9:"), "version 9"),
        (good.replace("coffer-card1:", "card:"), "coffer-card1"),
        (format!("{} {}", &good[..30], &good[30..]), "' '"),
        ("x".repeat(10_000), "longer"),
    ] {
        let e = alice.v.add_contact(&bad, "Bob").unwrap_err();
        assert_eq!(e.code(), "bad_card", "{bad:?}");
        assert!(e.to_string().contains(why), "{e} (expected {why:?})");
    }
    assert!(alice.v.contacts().unwrap().is_empty());
    introduce(&mut alice, &mut bob);
    let before = stored(&mut bob);
    let (_, block) = alice.v.send_armored(&["Bob"], Draft::text("x")).unwrap();
    let lines: Vec<&str> = block.lines().collect();
    let cut = lines[..lines.len() - 2].join("\n");
    for (bad, code) in [
        (String::new(), "bad_armor"),
        ("hello".to_string(), "bad_armor"),
        (format!("Dear Bob,\n{block}"), "bad_armor"),
        (cut, "bad_armor"),
        (block.replacen('A', "!", 3), "bad_armor"),
        (
            armor(b"age-encryption.org/v1\n-> X25519 nonsense\n--- x\n").unwrap(),
            "bad_message",
        ),
    ] {
        let e = bob.v.open_armored(&bad).unwrap_err();
        assert_eq!(e.code(), code, "{bad:?}: {e}");
    }
    assert_eq!(stored(&mut bob), before);
}

#[test]
fn hostile_names_and_bodies_stay_inert() {
    let mut alice = person("Alice", None);
    let mut bob = person("Bob", None);
    // Control and bidirectional-override characters are refused in names.
    for bad in ["Al\u{202E}ice", "Ali\nce", "\u{7}"] {
        assert_eq!(
            bob.v
                .add_contact(&card(&mut alice), bad)
                .unwrap_err()
                .code(),
            "invalid_input"
        );
        assert_eq!(
            alice.v.set_display_name(bad).unwrap_err().code(),
            "invalid_input"
        );
    }
    // Markup in a name is only text; in a body it renders inert, like notes.
    let hostile = "<img src=x onerror=alert(1)>";
    alice.v.set_display_name(hostile).unwrap();
    bob.v.add_contact(&card(&mut alice), hostile).unwrap();
    alice.v.add_contact(&card(&mut bob), "Bob").unwrap();
    let body =
        "**ok**\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <iframe src=//evil>";
    let (_, block) = alice.v.send_armored(&["Bob"], Draft::text(body)).unwrap();
    let m = bob.v.open_armored(&block).unwrap();
    assert_eq!(m.body, body);
    assert!(matches!(&m.from, Party::Contact { name, .. } if name == hostile));
    let html = bob.v.render_message(&m.id).unwrap();
    for bad in ["<script", "javascript:", "<iframe", "onerror"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert!(html.contains("<strong>ok</strong>"), "{html}");
    // A hostile attachment name never reaches a file system path.
    let e = alice
        .v
        .send_armored(
            &["Bob"],
            Draft {
                body: "x".into(),
                attachments: vec![("../../etc/passwd".into(), b"x".to_vec())],
                conversation: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    // Notes are untouched by all this.
    assert!(bob.v.list(&NoteFilter::default()).is_empty());
}
