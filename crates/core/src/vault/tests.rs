//! Tests of a vault handle's own parts (the rest are in crates/core/tests).

use super::*;
use crate::{NewNote, NoteChange};

/// Where the file system refuses direct writes (some network file systems), appends go
/// through the page cache and an fdatasync: the same records, as durable.
#[test]
fn buffered_appends_where_direct_writes_are_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let pass = age::secrecy::SecretString::from("pw".to_string());
    let mut v = Vault::init(&dir, &pass, &InitOptions { work_factor: 10 }).expect("init");
    v.journal.buffered = true;
    let id = v
        .create(NewNote {
            title: "Buffered".into(),
            body: "one".into(),
            ..Default::default()
        })
        .expect("create");
    for body in ["two", "three"] {
        v.update(
            &id,
            NoteChange {
                body: Some(body.into()),
                ..Default::default()
            },
        )
        .expect("update");
    }
    assert!(v.journal.buffered, "kept across the journal's creation");
    assert_eq!(v.journal.records, 3);
    std::mem::forget(v); // a crash: nothing written out
    let v = LockedVault::open(&dir)
        .and_then(|l| l.unlock(&pass))
        .expect("reopen");
    assert_eq!(v.note(&id).expect("note").body, "three");
    assert!(v.verify(&mut |_| {}).expect("verify").ok());
}
