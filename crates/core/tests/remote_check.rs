//! The connection test the app runs before it saves a remote, against real servers: SeaweedFS
//! (S3) and wsgidav (WebDAV) on 127.0.0.1, from the environment `scripts/sync-servers -- CMD`
//! sets, or started here through that script when the environment lacks them.

#![allow(clippy::unwrap_used)]

use coffer_core::sync::{Credentials, check_remote};
use coffer_core::{Id, secrecy::SecretString};

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
