//! Devices with their own keys and the signed roster, through real remotes (a folder,
//! SeaweedFS for S3, wsgidav for WebDAV, all on 127.0.0.1; see tests/sync.rs).
#![allow(clippy::unwrap_used)]

mod sync_support;

use coffer_core::keys::{DeviceKeys, JOIN_PROOF_CONTEXT, Keys};
use coffer_core::log::LogEntry;
use coffer_core::roster::{Change, RosterEvent, join_statement, signing_text};
use coffer_core::sync::AlarmKind;
use coffer_core::{Vault, crypto};
use std::fs;
use sync_support::*;

fn join(remote: &TestRemote, name: &str) -> Device {
    join_device(remote, Some(name))
}

fn news(r: &coffer_core::sync::SyncReport) -> Vec<(AlarmKind, String)> {
    r.news.iter().map(|n| (n.kind, n.message.clone())).collect()
}

/// A new device's first entry, adding itself as `name` with a passphrase proof signed by
/// `proof_by` (its own key when `None`: a proof no passphrase holder made), naming `after`:
/// the device's id and the entry's file, encrypted to `to`.
fn joining_entry(
    vault: coffer_core::Id,
    to: &coffer_core::age::x25519::Recipient,
    name: &str,
    proof_by: Option<&Keys>,
    after: Vec<String>,
    time: i64,
) -> (coffer_core::Id, Vec<u8>) {
    use base64::Engine;
    let device = coffer_core::Id::random();
    let keys = DeviceKeys::generate();
    let signing = signing_text(&keys.verifying_key());
    let recipient = keys.recipient().to_string();
    let statement = join_statement(&vault, &device, &signing, &recipient);
    let proof = match proof_by {
        Some(k) => k.sign(JOIN_PROOF_CONTEXT, &statement),
        None => keys.sign(JOIN_PROOF_CONTEXT, &statement),
    };
    let entry = LogEntry {
        format: 2,
        vault,
        device,
        seq: 1,
        prev: None,
        time,
        objects: vec![],
        purged: vec![],
        roster: Some(RosterEvent {
            after,
            change: Change::Add {
                device,
                name: name.into(),
                signing,
                recipient,
                proof: Some(base64::engine::general_purpose::STANDARD.encode(proof)),
            },
        }),
    };
    let (plain, _) = entry.seal(&keys);
    (device, crypto::encrypt(&[to], &plain).unwrap())
}

/// Writes a device's first entry file into the log of the vault folder `root`.
fn plant_first_entry(root: &std::path::Path, device: coffer_core::Id, file: &[u8]) {
    fs::create_dir_all(root.join(format!("log/{device}"))).unwrap();
    fs::write(root.join(format!("log/{device}/000000000001.age")), file).unwrap();
}

fn three_devices_and_a_removal(kind: Backend) {
    let remote = fresh_remote(kind);
    let mut a = first_device(&remote);
    a.create("from a", "1");
    a.sync();
    let me = a.v.device_list().unwrap();
    assert_eq!(me.len(), 1, "{me:?}");
    assert!(me[0].this_device && me[0].joined_by.as_deref() == Some("passphrase"));
    let mut b = join(&remote, "work laptop");
    let mut c = join(&remote, "old phone");
    // Joining with the passphrase is announced, never silent.
    let r = a.sync();
    assert!(r.alarms.is_empty(), "{:?}", r.alarms);
    let n = news(&r);
    assert_eq!(n.len(), 2, "{n:?}");
    assert!(n.iter().all(|(k, _)| *k == AlarmKind::NewDevice));
    assert!(
        n.iter()
            .any(|(_, m)| m.contains("new device 'work laptop' joined"))
    );
    // The news is kept (the app shows it until read), apart from the alarms.
    let kept = a.v.sync_news().unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(a.v.sync_alarms().unwrap().is_empty());
    let names: Vec<_> =
        a.v.device_list()
            .unwrap()
            .into_iter()
            .filter_map(|d| d.name)
            .collect();
    assert_eq!(names.len(), 3, "{names:?}");

    // Each device signs with its own key: the entries differ in signer, and all apply.
    b.create("from b", "2");
    b.sync();
    a.sync();
    assert_eq!(a.view().len(), 2);

    // C is lost: A removes it. C, not knowing yet, writes a note; its entry is refused
    // everywhere and never applied.
    c.create("written after removal", "x");
    c.v.checkpoint().unwrap();
    let first_generation = a.v.vault_recipient();
    a.v.remove_device("old phone").unwrap();
    // A new generation of the vault key, which the removed device never gets.
    let newest = a.v.vault_recipient();
    assert_ne!(newest, first_generation);
    assert_eq!(c.v.vault_recipient(), first_generation);
    a.sync();
    // A thief's copy of Coffer would upload it regardless: put it on the remote as is.
    let cdev = c.v.device_id();
    let stolen = fs::read(c.v.root().join(format!("log/{cdev}/000000000002.age"))).unwrap();
    {
        use coffer_core::sync::Remote;
        remote
            .attacker()
            .put(&format!("log/{cdev}/000000000002.age"), &stolen)
            .unwrap();
    }
    let r = b.sync();
    assert!(
        news(&r)
            .iter()
            .any(|(k, m)| *k == AlarmKind::DeviceRemoved && m.contains("'old phone' was removed")),
        "{r:?}"
    );
    // B picked the new generation up at its sync: no new remote, no clone.
    assert_eq!(b.v.vault_recipient(), newest);
    let secret = b.create("after the removal", "the removed device must not read this");
    b.sync();
    a.sync();
    assert!(a.view().iter().any(|n| n.0 == secret));
    let r = c.sync();
    assert!(c.view().iter().all(|n| n.0 != secret));
    // The removed device is told why it reads nothing new.
    assert!(
        r.alarms.iter().any(|a| a.kind == AlarmKind::DeviceRemoved
            && a.message.contains("this device was removed by")),
        "{r:?}"
    );
    // The stock age tool agrees: the new note's object opens with B's exported identity
    // (which holds every generation), not with the removed device's.
    let rev = b.v.history(&secret).unwrap()[0].revision.to_string();
    let object = b.v.root().join(format!("objects/{}/{rev}.age", &rev[..2]));
    let (b_key, c_key) = (b.v.root().join("key.txt"), c.v.root().join("key.txt"));
    b.v.export_identity(&b_key).unwrap();
    c.v.export_identity(&c_key).unwrap();
    let age_d = |key: &std::path::Path| {
        std::process::Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(key)
            .arg(&object)
            .output()
            .expect("the reference `age` tool is needed (installed by the setup script)")
    };
    let good = age_d(&b_key);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("must not read this"));
    let bad = age_d(&c_key);
    assert!(!bad.status.success());
    assert!(!String::from_utf8_lossy(&bad.stdout).contains("must not read this"));
    for d in [&mut a, &mut b] {
        let r = d.sync();
        assert_eq!(kinds(&r), vec![AlarmKind::RefusedEntry], "{r:?}");
        assert!(
            r.alarms[0].message.contains("after it was removed"),
            "{r:?}"
        );
        assert!(d.view().iter().all(|n| n.1 != "written after removal"));
    }
    // The removed device is told, and writes nothing more.
    let e =
        c.v.create(coffer_core::NewNote {
            title: "again".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.code(), "device_removed", "{e}");
    // Joining with the passphrase is closed: the removed device knows the passphrase.
    let dir = tempfile::tempdir().unwrap();
    let e = Vault::join_from(
        &remote.url,
        &dir.path().join("v"),
        &pass(),
        Some(creds()),
        Some("thief"),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(e.code(), "passphrase_join_closed", "{e}");
    let listed = a.v.device_list().unwrap();
    let gone = listed
        .iter()
        .find(|d| d.name.as_deref() == Some("old phone"))
        .unwrap();
    assert!(gone.removed.is_some(), "{listed:?}");
    // Renaming is a signed roster change too, seen by the other device.
    a.v.rename_device("work laptop", "desk").unwrap();
    a.sync();
    b.sync();
    assert!(
        b.v.device_list()
            .unwrap()
            .iter()
            .any(|d| d.name.as_deref() == Some("desk"))
    );
    assert_eq!(a.view(), b.view());
}

#[test]
fn three_devices_join_and_one_is_removed_through_a_folder() {
    three_devices_and_a_removal(Backend::Folder);
}

#[test]
fn three_devices_join_and_one_is_removed_through_s3() {
    three_devices_and_a_removal(Backend::S3);
}

#[test]
fn three_devices_join_and_one_is_removed_through_webdav() {
    three_devices_and_a_removal(Backend::Webdav);
}

/// An entry of a device the roster does not hold, signed by a key of its own and claiming to
/// join without knowing the passphrase, is refused and never applied.
#[test]
fn a_forged_roster_entry_is_refused() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("mine", "1");
    a.sync();
    let root = a.v.root().to_path_buf();
    // A device that does not know the passphrase makes its own keys and claims to join,
    // with a proof made by some other key: a well-formed, validly signed entry.
    let mut b = join(&remote, "b");
    b.create("b's", "2");
    b.sync();
    let b_root = b.v.root().to_path_buf();
    let bdev = b.v.device_id();
    let to: coffer_core::age::x25519::Recipient = a.v.vault_recipient().parse().unwrap();
    let wrong = Keys::generate();
    let (fake, file) = joining_entry(a.v.vault_id(), &to, "intruder", Some(&wrong), vec![], 1);
    plant_first_entry(&root, fake, &file);
    a.v.refresh().unwrap();
    let problems: Vec<String> = a.v.load_problems().iter().map(|p| p.to_string()).collect();
    assert!(
        problems.iter().any(
            |p| p.contains(&fake.to_string()) && p.contains("passphrase proof does not verify")
        ),
        "{problems:?}"
    );
    assert!(
        a.v.device_list()
            .unwrap()
            .iter()
            .all(|d| d.name.as_deref() != Some("intruder"))
    );
    // Each entry is an age file the stock tool can open with the exported key, and names
    // its roster change in the clear inside.
    let key = root.join("key.txt");
    a.v.export_identity(&key).unwrap();
    let entry = b_root.join(format!("log/{bdev}/000000000001.age"));
    let plain = crypto::decrypt(
        &[&fs::read_to_string(&key)
            .unwrap()
            .lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .unwrap()
            .parse::<coffer_core::age::x25519::Identity>()
            .unwrap()],
        &fs::read(entry).unwrap(),
    )
    .unwrap();
    let text = String::from_utf8(plain.to_vec()).unwrap();
    assert!(
        text.contains(r#"\"event\":\"add\""#) && text.contains(r#"\"format\":2"#),
        "{text}"
    );
}

/// A remote that drops the entry holding a removal, after another device saw it, is caught
/// as a rollback.
#[test]
fn a_remote_that_rolls_the_roster_back_is_caught() {
    let remote = fresh_remote(Backend::S3);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let mut b = join(&remote, "b");
    let _c = join(&remote, "c");
    a.sync();
    a.v.remove_device("c").unwrap();
    a.sync();
    b.sync();
    let seq = a.v.devices()[&a.v.device_id()];
    let evil = remote.attacker();
    use coffer_core::sync::Remote;
    evil.delete(&format!(
        "log/{}/{}",
        a.v.device_id(),
        coffer_core::log::entry_file_name(seq)
    ))
    .unwrap();
    let r = b.sync();
    assert!(kinds(&r).contains(&AlarmKind::Rollback), "{r:?}");
    // B still holds the removal: the roster did not go back.
    assert!(
        b.v.device_list()
            .unwrap()
            .iter()
            .any(|d| d.removed.is_some())
    );
}

/// Whether a note's newest revision, as `holder` stores it, opens with every key `other`'s
/// exported identity holds.
fn can_read(holder: &Device, note: &coffer_core::Id, other: &Device) -> bool {
    let rev = holder.v.history(note).unwrap()[0].revision.to_string();
    let ct = fs::read(
        holder
            .v
            .root()
            .join(format!("objects/{}/{rev}.age", &rev[..2])),
    )
    .unwrap();
    let key = other.v.root().join("key.txt");
    let _ = fs::remove_file(&key);
    other.v.export_identity(&key).unwrap();
    let ids: Vec<coffer_core::age::x25519::Identity> = fs::read_to_string(&key)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("AGE-SECRET-KEY-"))
        .map(|l| l.parse().unwrap())
        .collect();
    crypto::decrypt(&ids.iter().collect::<Vec<_>>(), &ct).is_ok()
}

/// Two devices remove two others at once, each making a new generation sealed to the device
/// the other removes: once they have both synced, what they write is readable by each other
/// and by neither removed device.
#[test]
fn two_removals_at_once_leave_both_removed_devices_out() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let mut b = join(&remote, "b");
    let c = join(&remote, "c");
    let d = join(&remote, "d");
    a.sync();
    b.sync();
    a.v.remove_device("c").unwrap();
    b.v.remove_device("d").unwrap();
    a.sync();
    b.sync();
    a.sync();
    let from_a = a.create("from a", "after both removals");
    a.sync();
    b.sync();
    let from_b = b.create("from b", "after both removals");
    b.sync();
    a.sync();
    assert_eq!(a.view(), b.view());
    for (holder, note) in [(&a, &from_a), (&b, &from_b)] {
        assert!(can_read(holder, note, &a) && can_read(holder, note, &b));
        assert!(!can_read(holder, note, &c), "the device A removed reads it");
        assert!(!can_read(holder, note, &d), "the device B removed reads it");
    }
}

/// A new device paired from `from`: its code read there, the answer taken here, under a
/// passphrase of its own.
fn pair(from: &mut Device, name: &str) -> Device {
    use coffer_core::sync::{PairingCode, PairingRequest};
    let request = PairingRequest::new(Some(name)).unwrap();
    let code = PairingCode::parse(&request.code()).unwrap();
    assert_eq!(
        code.comparison(),
        request.comparison(),
        "both show one number"
    );
    assert_eq!(code.name, name);
    let added = from.v.add_device(&code, None).unwrap();
    assert!(
        added
            .answer
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    );
    let opened = request.open_answer(&added.answer).unwrap();
    assert_eq!(opened.check(), added.check, "both show one answer check");
    assert_ne!(added.check, code.comparison());
    let dir = tempfile::tempdir().unwrap();
    let own = coffer_core::secrecy::SecretString::from("this device's own passphrase".to_string());
    let (v, report) = request
        .finish(&opened, &dir.path().join("v"), &own, 10, &mut |_| {})
        .unwrap();
    assert!(report.alarms.is_empty(), "{:?}", report.alarms);
    Device {
        _dir: dir,
        v,
        remote: "origin",
    }
}

/// Pairing after a removal (joining with the passphrase is closed then): the new device gets
/// the newest key generation from the device that added it, reads everything, writes, and is
/// listed as added by it; the removed device reads none of what the paired one writes.
fn pairing_after_a_removal(kind: Backend) {
    let remote = fresh_remote(kind);
    let mut a = first_device(&remote);
    a.create("before", "1");
    a.sync();
    let mut b = join(&remote, "lost laptop");
    a.sync();
    a.v.remove_device("lost laptop").unwrap();
    let after = a.create("after the removal", "new generation");
    a.sync();
    let mut c = pair(&mut a, "new phone");
    assert_eq!(c.v.vault_recipient(), a.v.vault_recipient());
    assert!(
        c.view().iter().any(|n| n.0 == after),
        "the paired device misses a note"
    );
    assert_eq!(c.view(), a.view());
    let from_c = c.create("from the paired device", "hello");
    c.sync();
    let r = a.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert!(a.view().iter().any(|n| n.0 == from_c));
    let listed = a.v.device_list().unwrap();
    let paired = listed
        .iter()
        .find(|d| d.name.as_deref() == Some("new phone"))
        .unwrap();
    assert_eq!(paired.joined_by.as_deref(), Some("paired"), "{listed:?}");
    assert_eq!(
        paired.added_by,
        a.v.device_list().unwrap()[0].name,
        "{listed:?}"
    );
    b.sync();
    assert!(
        !can_read(&c, &from_c, &b),
        "the removed device reads the paired one's note"
    );
    assert!(can_read(&c, &from_c, &a));
    // Opened again with its own passphrase, the paired device reads everything as before.
    let root = c.v.root().to_path_buf();
    let before = c.view();
    drop(c.v);
    let own = coffer_core::secrecy::SecretString::from("this device's own passphrase".to_string());
    let again = coffer_core::LockedVault::open(&root)
        .unwrap()
        .unlock(&own)
        .unwrap();
    assert!(
        again.load_problems().is_empty(),
        "{:?}",
        again.load_problems()
    );
    let c = Device {
        _dir: c._dir,
        v: again,
        remote: "origin",
    };
    assert_eq!(c.view(), before);
}

#[test]
fn pairing_after_a_removal_through_a_folder() {
    pairing_after_a_removal(Backend::Folder);
}

#[test]
fn pairing_after_a_removal_through_s3() {
    pairing_after_a_removal(Backend::S3);
}

#[test]
fn pairing_after_a_removal_through_webdav() {
    pairing_after_a_removal(Backend::Webdav);
}

/// A code cut short or mistyped, an answer for another request, and an answer altered are
/// refused with a specific error, and nothing is left behind.
#[test]
fn bad_pairing_codes_and_answers_are_refused() {
    use coffer_core::sync::{PairingCode, PairingRequest};
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let request = PairingRequest::new(Some("phone")).unwrap();
    let code = request.code();
    for bad in [
        code[..code.len() - 3].to_string(),
        code.replacen('A', "B", 1).replacen('Q', "R", 1),
        "coffer-pair-1:".to_string(),
        "pair me".to_string(),
        format!("{code}{}", "A".repeat(2000)),
    ] {
        let e = PairingCode::parse(&bad).unwrap_err();
        assert_eq!(e.code(), "bad_pairing", "{bad}: {e}");
    }
    // A code made by hand (its check digits right) with a hostile device name: refused, the
    // name never shown or stored.
    let hand_made = |name: &str| {
        use base64::Engine;
        let keys = DeviceKeys::generate();
        let recipient = keys.recipient().to_string();
        let mut p = vec![1u8];
        p.extend_from_slice(&[7u8; 16]);
        p.extend_from_slice(keys.verifying_key().as_bytes());
        p.push(recipient.len() as u8);
        p.extend_from_slice(recipient.as_bytes());
        p.extend_from_slice(name.as_bytes());
        let sum = crypto::sha256_hex(&p);
        for i in 0..4 {
            p.push(u8::from_str_radix(&sum[2 * i..2 * i + 2], 16).unwrap());
        }
        format!(
            "coffer-pair-1:{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(p)
        )
    };
    assert_eq!(
        PairingCode::parse(&hand_made("work laptop")).unwrap().name,
        "work laptop"
    );
    for name in [
        "\u{202e}gnp.exe",
        "tab\there",
        "bell\u{7}",
        "zero\u{200b}width",
        "",
    ] {
        let e = PairingCode::parse(&hand_made(name)).unwrap_err();
        assert_eq!(e.code(), "bad_pairing", "{name:?}: {e}");
        assert!(!e.to_string().contains(name) || name.is_empty(), "{e}");
    }
    // A huge answer is refused before it is decrypted or parsed.
    let e = request.open_answer(&"A".repeat(64 << 20)).unwrap_err();
    assert_eq!(e.code(), "bad_pairing", "{e}");
    assert!(e.to_string().contains("too long"), "{e}");
    // Spaces and line breaks from a copy are fine.
    let spaced = format!("  {}\n{}  ", &code[..20], &code[20..]);
    assert_eq!(
        PairingCode::parse(&spaced).unwrap().device,
        request.device()
    );
    // Another device's code gives another number to compare.
    let other = PairingRequest::new(Some("phone")).unwrap();
    assert_ne!(other.comparison(), request.comparison());
    // An answer made for another request does not open here.
    let answer =
        a.v.add_device(&PairingCode::parse(&other.code()).unwrap(), None)
            .unwrap()
            .answer;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("v");
    let e = request.open_answer(&answer).unwrap_err();
    assert_eq!(e.code(), "bad_pairing", "{e}");
    assert!(!target.exists(), "a refused answer left a folder");
    // Anyone can encrypt an answer to the code's public key: one from another vault (an
    // attacker's, reached through the answer's way) opens, but shows another check than the
    // user's device does.
    let real =
        a.v.add_device(&PairingCode::parse(&code).unwrap(), None)
            .unwrap();
    let elsewhere = fresh_remote(Backend::Folder);
    let mut attacker = first_device(&elsewhere);
    let forged = attacker
        .v
        .add_device(&PairingCode::parse(&code).unwrap(), None)
        .unwrap();
    let opened = request.open_answer(&forged.answer).unwrap();
    assert_eq!(opened.check(), forged.check);
    assert_ne!(
        opened.check(),
        real.check,
        "a forged answer shows the real check"
    );
    assert_eq!(
        request.open_answer(&real.answer).unwrap().check(),
        real.check
    );
    // An altered answer does not open either.
    let mut lines: Vec<String> = answer.lines().map(String::from).collect();
    let mid = lines.len() / 2;
    lines[mid] = lines[mid].chars().rev().collect();
    let e = other.open_answer(&lines.join("\n")).unwrap_err();
    assert_eq!(e.code(), "bad_pairing", "{e}");
    assert!(!target.exists());
}

/// Roster events with hostile content in the vault's own log folder: names with bidirectional
/// overrides, control or invisible characters, or too long (from a holder of the passphrase,
/// with valid proofs); a thousand forged joins; one event naming twenty thousand unknown
/// `after` hashes. Each is refused (or, the last, ordered by nothing it names), the vault
/// opens, lists only real devices, and goes on working.
#[test]
fn hostile_roster_content_is_refused() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("mine", "1");
    a.sync();
    let root = a.v.root().to_path_buf();
    let vault = a.v.vault_id();
    let key = root.join("key.txt");
    a.v.export_identity(&key).unwrap();
    let shared = Keys::from_identity_file(&fs::read_to_string(&key).unwrap(), &vault).unwrap();
    let to: coffer_core::age::x25519::Recipient = a.v.vault_recipient().parse().unwrap();
    let plant = |name: &str, proof_by: Option<&Keys>, after: Vec<String>| {
        let (device, file) = joining_entry(vault, &to, name, proof_by, after, 1);
        plant_first_entry(&root, device, &file);
        device
    };
    let hostile_names = [
        "\u{202e}gnp.exe",
        "tab\there",
        "zero\u{200b}width",
        "",
        &"x".repeat(65),
    ];
    for n in hostile_names {
        plant(n, Some(&shared), vec![]);
    }
    for i in 0..1000 {
        plant(&format!("forged {i}"), None, vec![]);
    }
    let many: Vec<String> = (0..20_000)
        .map(|i| crypto::sha256_hex(format!("{i}").as_bytes()))
        .collect();
    let wide = plant("wide", Some(&shared), many);
    a.v.refresh().unwrap();
    let problems: Vec<String> = a.v.load_problems().iter().map(|p| p.to_string()).collect();
    let about_names = problems.iter().filter(|p| p.contains("name")).count();
    assert!(about_names >= hostile_names.len(), "{problems:?}");
    assert!(
        problems
            .iter()
            .filter(|p| p.contains("passphrase proof does not verify"))
            .count()
            >= 1000,
        "{} problems",
        problems.len()
    );
    let listed = a.v.device_list().unwrap();
    let names: Vec<String> = listed.iter().filter_map(|d| d.name.clone()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(listed.iter().any(|d| d.id == wide));
    assert!(
        names
            .iter()
            .all(|n| !n.contains('\u{202e}') && !n.starts_with("forged"))
    );
    // It goes on working.
    let id = a.create("after the flood", "still here");
    a.sync();
    assert_eq!(a.body(&id), "still here");
}

/// A removed device still holds the passphrase: a join it writes for a stand-in device, with an
/// `after` that names nothing (so it might sort before the removal), is refused everywhere, and
/// the stand-in gets no key generation.
#[test]
fn a_removed_device_cannot_backdate_a_stand_in() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let mut b = join(&remote, "b");
    let c = join(&remote, "c");
    a.sync();
    a.v.remove_device("c").unwrap();
    a.sync();
    // C's copy of the shared keys signs a valid passphrase proof for a new device X.
    let vault = c.v.vault_id();
    let key = c.v.root().join("key.txt");
    c.v.export_identity(&key).unwrap();
    let shared = Keys::from_identity_file(&fs::read_to_string(&key).unwrap(), &vault).unwrap();
    let to: coffer_core::age::x25519::Recipient = c.v.vault_recipient().parse().unwrap();
    // Whatever its hash, it is refused: several, so that some sort before the removal.
    for time in 1..=8 {
        let (x, file) = joining_entry(
            vault,
            &to,
            &format!("stand-in {time}"),
            Some(&shared),
            vec![],
            time,
        );
        use coffer_core::sync::Remote;
        remote
            .attacker()
            .put(&format!("log/{x}/000000000001.age"), &file)
            .unwrap();
    }
    let r = b.sync();
    assert!(kinds(&r).contains(&AlarmKind::RefusedEntry), "{r:?}");
    let listed = b.v.device_list().unwrap();
    assert!(
        listed
            .iter()
            .all(|d| !d.name.as_deref().unwrap_or("").starts_with("stand-in")),
        "{listed:?}"
    );
    let secret = b.create("after the stand-ins", "for a and b only");
    b.sync();
    a.sync();
    assert!(can_read(&b, &secret, &a));
    assert!(!can_read(&b, &secret, &c));
}

/// Every age identity of a device's exported identity file (all its key generations).
fn all_identities(d: &Device) -> Vec<coffer_core::age::x25519::Identity> {
    let key = d.v.root().join("all-keys.txt");
    d.v.export_identity(&key).unwrap();
    let text = fs::read_to_string(&key).unwrap();
    fs::remove_file(&key).unwrap();
    text.lines()
        .filter(|l| l.starts_with("AGE-SECRET-KEY-"))
        .map(|l| l.parse().unwrap())
        .collect()
}

/// The entries of `device` in a folder remote, in order: (seq, parsed entry, hash).
fn remote_entries(
    folder: &std::path::Path,
    vault: coffer_core::Id,
    device: coffer_core::Id,
    ids: &[coffer_core::age::x25519::Identity],
) -> Vec<(u64, LogEntry, String)> {
    let ids: Vec<&coffer_core::age::x25519::Identity> = ids.iter().collect();
    let mut out = Vec::new();
    for seq in 1.. {
        let Ok(ct) = fs::read(folder.join(format!("log/{device}/{seq:012}.age"))) else {
            break;
        };
        let plain = crypto::decrypt(&ids, &ct).unwrap();
        let u = LogEntry::read(&plain, &vault, &device, seq).unwrap();
        let hash = u.hash();
        out.push((seq, u.entry, hash));
    }
    out
}

/// A removed device `c` writes, with its own keys, the roster change `change` as its next
/// entry, dated back (its `after` names only what came before the removal `removal`) and with
/// its hash ground until it sorts before the removal: what a holder of a stolen device can do.
fn backdated_change(
    remote: &TestRemote,
    c: &Device,
    removal: &(u64, LogEntry, String),
    change: Change,
) {
    let folder = remote.folder.as_ref().unwrap();
    let (vault, device) = (c.v.vault_id(), c.v.device_id());
    let ids = all_identities(c);
    let text = crypto::decrypt(
        &ids.iter().collect::<Vec<_>>(),
        &fs::read(c.v.root().join("local/device.age")).unwrap(),
    )
    .unwrap();
    let keys = DeviceKeys::from_file(std::str::from_utf8(&text).unwrap(), &vault, &device).unwrap();
    let own = remote_entries(folder, vault, device, &ids);
    let (last, _, last_hash) = own.last().unwrap().clone();
    let after = removal.1.roster.as_ref().unwrap().after.clone();
    let to: coffer_core::age::x25519::Recipient = c.v.vault_recipient().parse().unwrap();
    for time in 1.. {
        let entry = LogEntry {
            format: 2,
            vault,
            device,
            seq: last + 1,
            prev: Some(last_hash.clone()),
            time,
            objects: vec![],
            purged: vec![],
            roster: Some(RosterEvent {
                after: after.clone(),
                change: change.clone(),
            }),
        };
        let (plain, hash) = entry.seal(&keys);
        if hash < removal.2 {
            use coffer_core::sync::Remote;
            remote
                .attacker()
                .put(
                    &format!("log/{device}/{:012}.age", last + 1),
                    &crypto::encrypt(&[&to], &plain).unwrap(),
                )
                .unwrap();
            return;
        }
    }
}

/// The entry of `a` that removed `gone`, from a folder remote.
fn removal_entry(
    remote: &TestRemote,
    a: &Device,
    gone: coffer_core::Id,
) -> (u64, LogEntry, String) {
    remote_entries(
        remote.folder.as_ref().unwrap(),
        a.v.vault_id(),
        a.v.device_id(),
        &all_identities(a),
    )
    .into_iter()
    .find(|(_, e, _)| {
        matches!(&e.roster, Some(RosterEvent { change: Change::Remove { device, .. }, .. }) if *device == gone)
    })
    .unwrap()
}

/// A removed device's roster changes dated back to before its removal (removing another device,
/// renaming one, handing out keys), even with hashes that sort first, are refused everywhere:
/// its removal stands and nothing it claims applies.
#[test]
fn a_removed_device_cannot_backdate_roster_changes() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let mut b = join(&remote, "b");
    let c = join(&remote, "c");
    a.sync();
    b.sync();
    let (bid, cid) = (b.v.device_id(), c.v.device_id());
    let b_last = remote_entries(
        remote.folder.as_ref().unwrap(),
        b.v.vault_id(),
        bid,
        &all_identities(&b),
    )
    .len() as u64;
    a.v.remove_device("c").unwrap();
    a.sync();
    let removal = removal_entry(&remote, &a, cid);
    backdated_change(
        &remote,
        &c,
        &removal,
        Change::Remove {
            device: bid,
            last: b_last,
            legacy: Default::default(),
        },
    );
    let r = b.sync();
    assert!(kinds(&r).contains(&AlarmKind::RefusedEntry), "{r:?}");
    for d in [&a, &b] {
        let listed = d.v.device_list().unwrap();
        let c_row = listed.iter().find(|x| x.id == cid).unwrap();
        let b_row = listed.iter().find(|x| x.id == bid).unwrap();
        assert!(c_row.removed.is_some(), "{listed:?}");
        assert!(b_row.removed.is_none(), "{listed:?}");
    }
    a.sync();
    let listed = a.v.device_list().unwrap();
    assert!(
        listed
            .iter()
            .find(|x| x.id == bid)
            .unwrap()
            .removed
            .is_none()
    );
    // B goes on writing, readable by A, not by C.
    let secret = b.create("after the forgery", "for a and b only");
    b.sync();
    a.sync();
    assert!(can_read(&b, &secret, &a));
    assert!(!can_read(&b, &secret, &c));
    assert_eq!(a.body(&secret), "for a and b only");
}

/// Two devices that remove each other at once are both removed, on every device, whichever
/// removal's hash sorts first; the third device goes on with a key neither of them holds.
#[test]
fn devices_that_remove_each_other_at_once_are_both_removed() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let mut b = join(&remote, "b");
    let c = join(&remote, "c");
    a.sync();
    b.sync();
    let (aid, cid) = (a.v.device_id(), c.v.device_id());
    let a_last = remote_entries(
        remote.folder.as_ref().unwrap(),
        a.v.vault_id(),
        aid,
        &all_identities(&a),
    )
    .len() as u64;
    a.v.remove_device("c").unwrap();
    a.sync();
    let removal = removal_entry(&remote, &a, cid);
    backdated_change(
        &remote,
        &c,
        &removal,
        Change::Remove {
            device: aid,
            last: a_last,
            legacy: Default::default(),
        },
    );
    b.sync();
    a.sync();
    // The same on each, and again when B opens from its snapshot and from its log alone.
    let b_root = b.v.root().to_path_buf();
    let reopen = || {
        coffer_core::LockedVault::open(&b_root)
            .unwrap()
            .unlock(&pass())
            .unwrap()
    };
    let from_snapshot = reopen();
    fs::remove_file(b_root.join("local/snapshot.age")).unwrap();
    let from_log = reopen();
    for v in [&a.v, &b.v, &from_snapshot, &from_log] {
        let listed = v.device_list().unwrap();
        for gone in [aid, cid] {
            assert!(
                listed
                    .iter()
                    .find(|x| x.id == gone)
                    .unwrap()
                    .removed
                    .is_some(),
                "{listed:?}"
            );
        }
    }
    let secret = b.create("after both", "for b only");
    b.sync();
    assert!(!can_read(&b, &secret, &a));
    assert!(!can_read(&b, &secret, &c));
}

/// The signing keys of a device, read from its local/device.age as its holder could.
fn device_keys_of(d: &Device) -> DeviceKeys {
    let ids = all_identities(d);
    let text = crypto::decrypt(
        &ids.iter().collect::<Vec<_>>(),
        &fs::read(d.v.root().join("local/device.age")).unwrap(),
    )
    .unwrap();
    DeviceKeys::from_file(
        std::str::from_utf8(&text).unwrap(),
        &d.v.vault_id(),
        &d.v.device_id(),
    )
    .unwrap()
}

/// A refused entry's roster change must not count for the rest of the pull that refuses it:
/// device C writes an entry with the shared key (refused: C has its own key), then one adding a
/// device Y, and Y writes as a member. C stops at the refused entry, so nothing after it
/// counts: Y's entry is refused too and never placed in the log.
#[test]
fn a_refused_entry_adds_no_device_for_the_rest_of_the_pull() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let c = join(&remote, "c");
    a.sync();
    let folder = remote.folder.as_ref().unwrap();
    let (vault, cid) = (c.v.vault_id(), c.v.device_id());
    let key = a.v.root().join("key.txt");
    a.v.export_identity(&key).unwrap();
    let shared = Keys::from_identity_file(&fs::read_to_string(&key).unwrap(), &vault).unwrap();
    fs::remove_file(&key).unwrap();
    let to: coffer_core::age::x25519::Recipient = a.v.vault_recipient().parse().unwrap();
    let own = remote_entries(folder, vault, cid, &all_identities(&c));
    let (last, _, last_hash) = own.last().unwrap().clone();
    let put = |device: coffer_core::Id, seq: u64, plain: &[u8]| {
        fs::create_dir_all(folder.join(format!("log/{device}"))).unwrap();
        fs::write(
            folder.join(format!("log/{device}/{seq:012}.age")),
            crypto::encrypt(&[&to], plain).unwrap(),
        )
        .unwrap();
    };
    let entry = |device, seq, prev: Option<String>, format, roster| LogEntry {
        format,
        vault,
        device,
        seq,
        prev,
        time: 1,
        objects: vec![],
        purged: vec![],
        roster,
    };
    // C's next entry, signed with the shared key after C took its own: refused.
    let (plain, refused) = entry(cid, last + 1, Some(last_hash), 1, None).seal(&shared);
    put(cid, last + 1, &plain);
    // Then, with C's own key, the addition of Y.
    let yid = coffer_core::Id::random();
    let ykeys = DeviceKeys::generate();
    let add = RosterEvent {
        after: vec![],
        change: Change::Add {
            device: yid,
            name: "y".into(),
            signing: signing_text(&ykeys.verifying_key()),
            recipient: ykeys.recipient().to_string(),
            proof: None,
        },
    };
    let (plain, added) =
        entry(cid, last + 2, Some(refused), 2, Some(add)).seal(&device_keys_of(&c));
    put(cid, last + 2, &plain);
    // Y writes as a member.
    let rename = RosterEvent {
        after: vec![added],
        change: Change::Rename {
            device: yid,
            name: "intruder".into(),
        },
    };
    let (plain, _) = entry(yid, 1, None, 2, Some(rename)).seal(&ykeys);
    put(yid, 1, &plain);

    let report = a.sync();
    let refused_keys: Vec<&str> = report
        .alarms
        .iter()
        .filter(|al| al.kind == AlarmKind::RefusedEntry)
        .map(|al| al.key.as_str())
        .collect();
    assert!(
        refused_keys.contains(&format!("log/{cid}/{:012}.age", last + 1).as_str()),
        "{:?}",
        report.alarms
    );
    assert!(
        refused_keys.contains(&format!("log/{yid}/{:012}.age", 1).as_str()),
        "{:?}",
        report.alarms
    );
    assert!(!a.v.root().join(format!("log/{yid}")).exists());
    let names: Vec<String> =
        a.v.device_list()
            .unwrap()
            .into_iter()
            .filter_map(|d| d.name)
            .collect();
    assert!(
        !names.iter().any(|n| n == "y" || n == "intruder"),
        "{names:?}"
    );
    // The vault goes on.
    a.create("after", "2");
    assert!(a.sync().alarms.iter().all(|al| al.kind != AlarmKind::Fork));
}

/// A forked entry (another entry at a place this vault holds already) counts for nothing: a
/// second remote holds device C's log with its last entry swapped for one adding a device Y,
/// and an entry of Y. The fork is an alarm, and Y's entry is refused and never placed.
#[test]
fn a_forked_entry_adds_no_device() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let mut c = join(&remote, "c");
    c.create("c", "1");
    c.sync();
    a.sync();
    let folder = remote.folder.as_ref().unwrap();
    let (vault, cid) = (c.v.vault_id(), c.v.device_id());
    let own = remote_entries(folder, vault, cid, &all_identities(&c));
    let (last, _, _) = own.last().unwrap().clone();
    let before = own[own.len() - 2].2.clone();
    // The second remote: C's log, its last entry swapped.
    let second = fresh_remote(Backend::Folder);
    let other = second.folder.as_ref().unwrap();
    fs::create_dir_all(other.join(format!("log/{cid}"))).unwrap();
    for seq in 1..last {
        let name = format!("log/{cid}/{seq:012}.age");
        fs::copy(folder.join(&name), other.join(&name)).unwrap();
    }
    let to: coffer_core::age::x25519::Recipient = a.v.vault_recipient().parse().unwrap();
    let yid = coffer_core::Id::random();
    let ykeys = DeviceKeys::generate();
    let fork = LogEntry {
        format: 2,
        vault,
        device: cid,
        seq: last,
        prev: Some(before),
        time: 1,
        objects: vec![],
        purged: vec![],
        roster: Some(RosterEvent {
            after: vec![],
            change: Change::Add {
                device: yid,
                name: "y".into(),
                signing: signing_text(&ykeys.verifying_key()),
                recipient: ykeys.recipient().to_string(),
                proof: None,
            },
        }),
    };
    let (plain, added) = fork.seal(&device_keys_of(&c));
    fs::write(
        other.join(format!("log/{cid}/{last:012}.age")),
        crypto::encrypt(&[&to], &plain).unwrap(),
    )
    .unwrap();
    let y_entry = LogEntry {
        format: 2,
        vault,
        device: yid,
        seq: 1,
        prev: None,
        time: 1,
        objects: vec![],
        purged: vec![],
        roster: Some(RosterEvent {
            after: vec![added],
            change: Change::Rename {
                device: yid,
                name: "intruder".into(),
            },
        }),
    };
    let (plain, _) = y_entry.seal(&ykeys);
    fs::create_dir_all(other.join(format!("log/{yid}"))).unwrap();
    fs::write(
        other.join(format!("log/{yid}/{:012}.age", 1)),
        crypto::encrypt(&[&to], &plain).unwrap(),
    )
    .unwrap();

    a.v.add_remote("second", &second.url, Some(creds()))
        .unwrap();
    let report =
        a.v.sync(Some("second"), &Default::default(), &mut |_| {})
            .unwrap();
    assert!(
        report
            .alarms
            .iter()
            .any(|al| al.kind == AlarmKind::Fork && al.key == format!("log/{cid}/{last:012}.age")),
        "{:?}",
        report.alarms
    );
    assert!(
        report
            .alarms
            .iter()
            .any(|al| al.kind == AlarmKind::RefusedEntry
                && al.key.starts_with(&format!("log/{yid}/"))),
        "{:?}",
        report.alarms
    );
    assert!(!a.v.root().join(format!("log/{yid}")).exists());
    let names: Vec<String> =
        a.v.device_list()
            .unwrap()
            .into_iter()
            .filter_map(|d| d.name)
            .collect();
    assert!(
        !names.iter().any(|n| n == "y" || n == "intruder"),
        "{names:?}"
    );
}

/// `rotate_keys`: a new generation for every device, picked up at their next sync with no new
/// remote and no setting up again; an identity file exported before it (or the passphrase's
/// keys) reads nothing written after, by the stock `age` tool too; joining with the passphrase
/// closes, and an entry signed with the shared key by a new device id is refused.
#[test]
fn a_key_rotation_reaches_every_device_without_setting_them_up_again() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    let before = a.create("before", "written before the rotation");
    a.sync();
    let mut b = join(&remote, "b");
    let mut c = join(&remote, "c");
    a.sync();
    b.sync();
    // What someone who copied an identity file yesterday holds.
    let stale = b.v.root().join("stale-key.txt");
    b.v.export_identity(&stale).unwrap();
    let e =
        a.v.rotate_keys(&coffer_core::age::secrecy::SecretString::from(
            "not the passphrase".to_string(),
        ))
        .unwrap_err();
    assert_eq!(e.code(), "wrong_passphrase", "{e}");
    let old_recipient = a.v.vault_recipient();
    let rotation = a.v.rotate_keys(&pass()).unwrap();
    let mut names = rotation.devices.clone();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&"b".to_string()) && names.contains(&"c".to_string()));
    let newest = a.v.vault_recipient();
    assert_ne!(newest, old_recipient);
    let secret = a.create("after", "written after the rotation");
    assert!(a.sync().alarms.is_empty());
    // B and C pick the new key up at their sync, and write with it.
    let r = b.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert_eq!(b.v.vault_recipient(), newest);
    let from_b = b.create("from b", "b after the rotation");
    b.sync();
    let r = c.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert_eq!(c.v.vault_recipient(), newest);
    assert_eq!(c.body(&secret), "written after the rotation");
    assert_eq!(c.body(&from_b), "b after the rotation");
    assert_eq!(c.body(&before), "written before the rotation");
    a.sync();
    assert_eq!(a.view(), c.view());
    // The stale identity file opens what was written before, and nothing written after.
    let age_d = |note: &coffer_core::Id, holder: &Device| {
        let rev = holder.v.history(note).unwrap()[0].revision.to_string();
        let object = holder
            .v
            .root()
            .join(format!("objects/{}/{rev}.age", &rev[..2]));
        std::process::Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&stale)
            .arg(&object)
            .output()
            .expect("the reference `age` tool is needed (installed by the setup script)")
    };
    assert!(age_d(&before, &a).status.success());
    for (note, holder) in [(&secret, &a), (&from_b, &b)] {
        let out = age_d(note, holder);
        assert!(!out.status.success());
        assert!(!String::from_utf8_lossy(&out.stdout).contains("after the rotation"));
    }
    // A fresh export holds the new generation.
    assert!(can_read(&a, &secret, &b));
    // Joining with the passphrase is closed.
    let dir = tempfile::tempdir().unwrap();
    let e = Vault::join_from(
        &remote.url,
        &dir.path().join("v"),
        &pass(),
        Some(creds()),
        Some("thief"),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(e.code(), "passphrase_join_closed", "{e}");
    // An entry signed with the shared key, under a new device id, is refused.
    let vault = a.v.vault_id();
    let shared = Keys::from_identity_file(&fs::read_to_string(&stale).unwrap(), &vault).unwrap();
    let legacy = coffer_core::Id::random();
    let entry = LogEntry {
        format: 1,
        vault,
        device: legacy,
        seq: 1,
        prev: None,
        time: 1,
        objects: vec![],
        purged: vec![],
        roster: None,
    };
    let (plain, _) = entry.seal(&shared);
    let to: coffer_core::age::x25519::Recipient = old_recipient.parse().unwrap();
    plant_first_entry(
        remote.folder.as_ref().unwrap(),
        legacy,
        &crypto::encrypt(&[&to], &plain).unwrap(),
    );
    let r = a.sync();
    assert!(
        r.alarms
            .iter()
            .any(|al| al.kind == AlarmKind::RefusedEntry && al.message.contains("retired")),
        "{r:?}"
    );
    // The vault reopens with the new key as its write generation.
    let root = a.v.root().to_path_buf();
    let Device { _dir: keep, v, .. } = a;
    drop(v);
    let v = coffer_core::LockedVault::open(&root)
        .unwrap()
        .unlock(&pass())
        .unwrap();
    assert_eq!(v.vault_recipient(), newest);
    assert!(v.verify(&mut |_| {}).unwrap().ok());
    drop(keep);
}

/// Hostile `keys` events from a device of the roster, sealed to another: armor that is not
/// age, another vault's generations, a file past the size limit. None adds a key or changes
/// what the device writes with; the one over the limit is refused; `verify` names each of the
/// others, and the vault goes on.
#[test]
fn hostile_sealed_generations_add_nothing_and_are_named() {
    use coffer_core::generations::Generations;
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let c = join(&remote, "c");
    a.sync();
    let folder = remote.folder.as_ref().unwrap();
    let (vault, aid, cid) = (a.v.vault_id(), a.v.device_id(), c.v.device_id());
    let a_recipient: coffer_core::age::x25519::Recipient =
        remote_entries(folder, vault, aid, &all_identities(&a))
            .into_iter()
            .find_map(|(_, e, _)| match e.roster {
                Some(RosterEvent {
                    change:
                        Change::Add {
                            device, recipient, ..
                        },
                    ..
                }) if device == aid => Some(recipient.parse().unwrap()),
                _ => None,
            })
            .unwrap();
    let other_vault = Generations::first(&coffer_core::age::x25519::Identity::generate())
        .seal(
            None,
            std::slice::from_ref(&a_recipient),
            &coffer_core::Id::random(),
        )
        .unwrap();
    let not_age =
        "-----BEGIN AGE ENCRYPTED FILE-----\nbm90IGFnZQ==\n-----END AGE ENCRYPTED FILE-----\n";
    let huge = "A".repeat(coffer_core::generations::MAX_SEALED_CHARS + 1);
    let own = remote_entries(folder, vault, cid, &all_identities(&c));
    let (mut seq, _, mut prev) = own.last().unwrap().clone();
    let keys = device_keys_of(&c);
    let to: coffer_core::age::x25519::Recipient = a.v.vault_recipient().parse().unwrap();
    let write_before = a.v.vault_recipient();
    for sealed in [not_age.to_string(), other_vault, huge] {
        seq += 1;
        let entry = LogEntry {
            format: 2,
            vault,
            device: cid,
            seq,
            prev: Some(prev.clone()),
            time: 1,
            objects: vec![],
            purged: vec![],
            roster: Some(RosterEvent {
                after: vec![own[0].2.clone()],
                change: Change::Keys {
                    newest: "0123456789abcdef0123456789abcdef".into(),
                    to: vec![aid],
                    sealed,
                    retired: None,
                },
            }),
        };
        let (plain, hash) = entry.seal(&keys);
        fs::write(
            folder.join(format!("log/{cid}/{seq:012}.age")),
            crypto::encrypt(&[&to], &plain).unwrap(),
        )
        .unwrap();
        prev = hash;
    }
    let r = a.sync();
    assert!(
        r.alarms.iter().any(|al| al.kind == AlarmKind::RefusedEntry
            && al.key == format!("log/{cid}/{seq:012}.age")
            && al.message.contains("too long")),
        "{r:?}"
    );
    assert_eq!(a.v.vault_recipient(), write_before);
    assert_eq!(all_identities(&a).len(), all_identities(&c).len());
    let report = a.v.verify(&mut |_| {}).unwrap();
    for s in [seq - 2, seq - 1] {
        let path = format!("log/{cid}/{s:012}.age");
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.path == path && p.message.contains("do not open")),
            "{path}: {:?}",
            report.problems
        );
    }
    // The vault goes on: what A writes, C reads.
    let after = a.create("after", "still readable");
    a.sync();
    let mut c = c;
    c.sync();
    assert_eq!(c.body(&after), "still readable");
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// After a removal closed joining with the passphrase, a device restored from a backup still
/// goes on under a new id: the key of the id it had vouches for the new one. A removed device
/// cannot do the same: its continuation is refused on the others.
#[test]
fn a_restored_device_goes_on_under_a_new_id_after_a_removal() {
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let mut b = join(&remote, "b");
    let c = join(&remote, "c");
    b.create("b before the backup", "1");
    b.sync();
    a.sync();
    // B's folder is backed up; B goes on writing; C is removed (joining closes).
    let backup = tempfile::tempdir().unwrap();
    copy_tree(b.v.root(), &backup.path().join("v"));
    b.create("b after the backup", "2");
    b.sync();
    a.v.remove_device("c").unwrap();
    a.sync();
    b.sync();
    // B's disk is restored from the backup: it goes on under a new id.
    let root = b.v.root().to_path_buf();
    let Device {
        _dir: keep_b, v, ..
    } = b;
    drop(v);
    fs::remove_dir_all(&root).unwrap();
    copy_tree(&backup.path().join("v"), &root);
    let (mut v, done) = Vault::continue_as_new_device(&root, &pass()).unwrap();
    let r = v
        .sync(Some("origin"), &Default::default(), &mut |_| {})
        .unwrap();
    assert!(r.alarms.is_empty(), "{:?}", r.alarms);
    let mine = v.create(coffer_core::NewNote {
        title: "b under its new id".into(),
        ..Default::default()
    });
    let mine = mine.unwrap();
    v.sync(Some("origin"), &Default::default(), &mut |_| {})
        .unwrap();
    let r = a.sync();
    assert!(r.alarms.is_empty(), "{r:?}");
    assert!(a.view().iter().any(|n| n.0 == mine));
    let listed = a.v.device_list().unwrap();
    let new = listed.iter().find(|d| d.id == done.new).unwrap();
    assert!(new.removed.is_none(), "{listed:?}");
    // The new id holds the newest generation: what A writes now, it reads.
    let secret = a.create("for b", "after the continuation");
    a.sync();
    v.sync(Some("origin"), &Default::default(), &mut |_| {})
        .unwrap();
    assert_eq!(v.note(&secret).unwrap().body, "after the continuation");
    drop(keep_b);
    // The removed device's key vouches for a new id, dated back to before its removal (what a
    // thief could write by hand): refused on A.
    let removal = removal_entry(&remote, &a, c.v.device_id());
    let (vault, cid) = (a.v.vault_id(), c.v.device_id());
    let yid = coffer_core::Id::random();
    let ykeys = DeviceKeys::generate();
    let signing = signing_text(&ykeys.verifying_key());
    let recipient = ykeys.recipient().to_string();
    let statement = join_statement(&vault, &yid, &signing, &recipient);
    use base64::Engine;
    let proof = base64::engine::general_purpose::STANDARD
        .encode(device_keys_of(&c).sign(coffer_core::keys::CONTINUE_PROOF_CONTEXT, &statement));
    // Its hash ground until it sorts before the removal's.
    let mut entry = LogEntry {
        format: 2,
        vault,
        device: yid,
        seq: 1,
        prev: None,
        time: 1,
        objects: vec![],
        purged: vec![],
        roster: Some(RosterEvent {
            after: removal.1.roster.as_ref().unwrap().after.clone(),
            change: Change::Continue {
                device: yid,
                name: "c again".into(),
                signing,
                recipient,
                from: cid,
                proof,
                passphrase_proof: None,
            },
        }),
    };
    let plain = loop {
        let (plain, hash) = entry.seal(&ykeys);
        if hash < removal.2 {
            break plain;
        }
        entry.time += 1;
    };
    let to: coffer_core::age::x25519::Recipient = a.v.vault_recipient().parse().unwrap();
    plant_first_entry(
        remote.folder.as_ref().unwrap(),
        yid,
        &crypto::encrypt(&[&to], &plain).unwrap(),
    );
    let r = a.sync();
    assert!(
        r.alarms.iter().any(|al| al.kind == AlarmKind::RefusedEntry
            && al.key.starts_with(&format!("log/{yid}/"))
            && al.message.contains("removed")),
        "{r:?}"
    );
    assert!(a.v.device_list().unwrap().iter().all(|d| d.id != yid));
    drop(c);
}

/// A removed device builds a cycle in the roster's order: a continuation it vouches for, and
/// from the new id a removal of its remover dated before the remover's last roster change
/// (which the removal names), with the continuation's hash ground to sort first. When no event
/// is free of the removals it must follow, none of them is taken: the removal stands, the
/// remover stays, and the new id is not a member.
#[test]
fn a_removed_device_cannot_break_the_order_with_a_vouched_cycle() {
    use base64::Engine;
    let remote = fresh_remote(Backend::Folder);
    let mut a = first_device(&remote);
    a.create("a", "1");
    a.sync();
    let mut b = join(&remote, "b");
    let r = join(&remote, "r");
    a.sync();
    b.sync();
    let (vault, aid, rid) = (a.v.vault_id(), a.v.device_id(), r.v.device_id());
    // A's last roster change before the removal, which the removal names.
    a.v.rename_device("b", "b2").unwrap();
    a.v.remove_device("r").unwrap();
    a.sync();
    let folder = remote.folder.as_ref().unwrap();
    let removal = removal_entry(&remote, &a, rid);
    let a_entries = remote_entries(folder, vault, aid, &all_identities(&a));
    let (g_seq, _, g_hash) = a_entries
        .iter()
        .find(|(_, e, h)| {
            matches!(
                &e.roster,
                Some(RosterEvent {
                    change: Change::Rename { .. },
                    ..
                })
            ) && removal.1.roster.as_ref().unwrap().after.contains(h)
        })
        .cloned()
        .expect("the removal names A's rename");
    // The new id N: its continuation vouched for by R's key, then a removal of A.
    let nid = coffer_core::Id::random();
    let nkeys = DeviceKeys::generate();
    let signing = signing_text(&nkeys.verifying_key());
    let recipient = nkeys.recipient().to_string();
    let statement = join_statement(&vault, &nid, &signing, &recipient);
    let proof = base64::engine::general_purpose::STANDARD
        .encode(device_keys_of(&r).sign(coffer_core::keys::CONTINUE_PROOF_CONTEXT, &statement));
    let mut cont = LogEntry {
        format: 2,
        vault,
        device: nid,
        seq: 1,
        prev: None,
        time: 1,
        objects: vec![],
        purged: vec![],
        roster: Some(RosterEvent {
            after: vec![],
            change: Change::Continue {
                device: nid,
                name: "r again".into(),
                signing,
                recipient,
                from: rid,
                proof,
                passphrase_proof: None,
            },
        }),
    };
    let (c_plain, c_hash) = loop {
        let (plain, hash) = cont.seal(&nkeys);
        if hash < g_hash {
            break (plain, hash);
        }
        cont.time += 1;
    };
    let remove_a = LogEntry {
        format: 2,
        vault,
        device: nid,
        seq: 2,
        prev: Some(c_hash.clone()),
        time: 2,
        objects: vec![],
        purged: vec![],
        roster: Some(RosterEvent {
            after: vec![c_hash],
            change: Change::Remove {
                device: aid,
                last: g_seq - 1,
                legacy: Default::default(),
            },
        }),
    };
    let (x_plain, _) = remove_a.seal(&nkeys);
    let to: coffer_core::age::x25519::Recipient = a.v.vault_recipient().parse().unwrap();
    fs::create_dir_all(folder.join(format!("log/{nid}"))).unwrap();
    for (seq, plain) in [(1, &c_plain), (2, &x_plain)] {
        fs::write(
            folder.join(format!("log/{nid}/{seq:012}.age")),
            crypto::encrypt(&[&to], plain).unwrap(),
        )
        .unwrap();
    }
    for d in [&mut a, &mut b] {
        let rep = d.sync();
        eprintln!(
            "DEBUG {:?}",
            rep.alarms
                .iter()
                .map(|x| x.message.clone())
                .collect::<Vec<_>>()
        );
        let listed = d.v.device_list().unwrap();
        let find = |id| listed.iter().find(|x| x.id == id);
        assert!(find(rid).is_some_and(|m| m.removed.is_some()), "{listed:?}");
        assert!(find(aid).is_some_and(|m| m.removed.is_none()), "{listed:?}");
        assert!(find(nid).is_none_or(|m| m.name.is_none()), "{listed:?}");
    }
    // A still writes, and B reads it.
    let after = a.create("after", "still the vault's");
    a.sync();
    b.sync();
    assert_eq!(b.body(&after), "still the vault's");
}
