//! The connection test the app runs before it saves a remote, against real servers: SeaweedFS
//! (S3) and wsgidav (WebDAV) on 127.0.0.1, from the environment `scripts/sync-servers -- CMD`
//! sets, or started here through that script when the environment lacks them.

#![allow(clippy::unwrap_used)]

use coffer_core::secrecy::ExposeSecret;
use coffer_core::sync::{Credentials, NewRemote, RemotePurpose, SyncOptions, check_remote};
use coffer_core::{Id, InitOptions, NewNote, Vault, secrecy::SecretString};

mod sync_support;
use sync_support::servers;

fn s3_url() -> String {
    let s = servers();
    format!(
        "s3://{}/check-{}?endpoint={}&region=us-east-1",
        s.s3_bucket,
        Id::random(),
        s.s3_endpoint
    )
}

fn creds(secret: &str) -> Credentials {
    Credentials {
        access_key_id: servers().key.clone(),
        secret_access_key: SecretString::from(secret.to_string()),
    }
}

#[test]
fn s3_with_the_right_credentials_passes_and_with_wrong_ones_is_refused() {
    let vault = Id::random();
    let url = s3_url();
    let ok = check_remote(&vault, &url, Some(&creds(&servers().secret))).expect("ok");
    assert!(!ok.holds_this_vault);
    assert!(ok.requests <= 4, "{ok:?}");
    let e = check_remote(&vault, &url, Some(&creds("not-the-secret"))).expect_err("wrong secret");
    assert_eq!(e.code(), "remote_denied", "{e}");
    assert!(
        !e.to_string().contains("not-the-secret"),
        "the secret is in the message: {e}"
    );
}

#[test]
fn webdav_passes() {
    // The server's URL ends with '/': webdav+http://127.0.0.1:PORT/
    let url = format!("{}check-{}", servers().webdav, Id::random());
    let ok = check_remote(&Id::random(), &url, None).expect("webdav");
    assert!(!ok.holds_this_vault);
}

/// The URL and password-carrying URL (as the app's form makes it) of a fresh folder on the
/// WebDAV server that asks for a password.
fn dav_with_password(password: &str) -> (String, String) {
    let (url, user, _) = &servers().webdav_auth;
    let url = format!("{url}dav-{}", Id::random());
    let spec = NewRemote {
        name: "dav".into(),
        url: url.clone(),
        user: user.clone(),
        secret: password.into(),
        purpose: RemotePurpose::Sync,
    }
    .spec()
    .expect("a valid WebDAV remote");
    (url, spec.url.expose_secret().to_string())
}

#[test]
fn webdav_with_a_password_syncs_and_a_wrong_or_missing_one_is_refused() {
    let password = servers().webdav_auth.2.clone();
    let (bare, with_password) = dav_with_password(&password);
    let vault = Id::random();
    check_remote(&vault, &with_password, None).expect("the right password");
    for url in [bare.clone(), dav_with_password("not-the-password").1] {
        let e = check_remote(&vault, &url, None).expect_err("no or a wrong password");
        assert_eq!(e.code(), "remote_denied", "{e}");
        assert!(!e.to_string().contains("not-the-password"), "{e}");
    }

    // A whole round: a vault syncs through it, a new device clones it back.
    let pass = SecretString::from("webdav password test".to_string());
    let dir = tempfile::tempdir().unwrap();
    let mut a = Vault::init(
        &dir.path().join("a"),
        &pass,
        &InitOptions { work_factor: 10 },
    )
    .unwrap();
    let id = a
        .create(NewNote {
            title: "Behind a password".into(),
            body: "only for the account's owner".into(),
            ..Default::default()
        })
        .unwrap();
    a.add_remote("dav", &with_password, None).unwrap();
    let listed = a.remotes().unwrap();
    assert!(!listed[0].url.contains(&password), "{}", listed[0].url);
    let r = a
        .sync(Some("dav"), &SyncOptions::default(), &mut |_| {})
        .unwrap();
    assert!(r.alarms.is_empty(), "{r:?}");
    let (b, report) = Vault::clone_from(
        &with_password,
        &dir.path().join("b"),
        &pass,
        None,
        &mut |_| {},
    )
    .unwrap();
    assert!(report.alarms.is_empty(), "{report:?}");
    assert_eq!(b.note(&id).unwrap().body, "only for the account's owner");
    let e = Vault::clone_from(&bare, &dir.path().join("c"), &pass, None, &mut |_| {})
        .expect_err("no password");
    assert_eq!(e.code(), "remote_denied", "{e}");
}
