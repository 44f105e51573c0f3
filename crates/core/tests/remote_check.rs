//! The connection test the app runs before it saves a remote, against real servers: SeaweedFS
//! (S3) and wsgidav (WebDAV) on 127.0.0.1, from the environment `scripts/sync-servers -- CMD`
//! sets, or started here through that script when the environment lacks them.

use coffer_core::sync::{Credentials, check_remote};
use coffer_core::{Id, secrecy::SecretString};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

struct Servers {
    env: HashMap<String, String>,
    _child: Option<(Child, ChildStdin)>,
}

fn servers() -> &'static Servers {
    static S: OnceLock<Servers> = OnceLock::new();
    S.get_or_init(|| {
        let keys = [
            "COFFER_TEST_S3_ENDPOINT",
            "COFFER_TEST_WEBDAV_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ];
        let env: HashMap<String, String> = keys
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect();
        if env.len() == keys.len() {
            return Servers { env, _child: None };
        }
        // The script stops the servers when its standard input closes (when this process ends).
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sync-servers");
        let mut child = Command::new(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let stdin = child.stdin.take().expect("stdin");
        let mut env = HashMap::new();
        for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
            let line = line.expect("a line from scripts/sync-servers");
            if line == "READY" {
                return Servers {
                    env,
                    _child: Some((child, stdin)),
                };
            }
            if let Some((k, v)) = line.split_once('=') {
                env.insert(k.to_string(), v.to_string());
            }
        }
        let _ = child.wait();
        panic!("scripts/sync-servers ended before its servers were ready");
    })
}

fn var(k: &str) -> &'static str {
    servers()
        .env
        .get(k)
        .unwrap_or_else(|| panic!("{k} not set by scripts/sync-servers"))
}

fn s3_url() -> String {
    format!(
        "s3://coffer/check-{}?endpoint={}&region=us-east-1",
        Id::random(),
        var("COFFER_TEST_S3_ENDPOINT")
    )
}

fn creds(secret: &str) -> Credentials {
    Credentials {
        access_key_id: var("AWS_ACCESS_KEY_ID").to_string(),
        secret_access_key: SecretString::from(secret.to_string()),
    }
}

#[test]
fn s3_with_the_right_credentials_passes_and_with_wrong_ones_is_refused() {
    let vault = Id::random();
    let url = s3_url();
    let ok = check_remote(&vault, &url, Some(&creds(var("AWS_SECRET_ACCESS_KEY")))).expect("ok");
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
    let url = format!("{}check-{}", var("COFFER_TEST_WEBDAV_URL"), Id::random());
    let ok = check_remote(&Id::random(), &url, None).expect("webdav");
    assert!(!ok.holds_this_vault);
}
