//! The outside probe's findings against the CLI (issue 12): file modes that do not follow the
//! umask, and terminal escapes in what notes and contacts hold, which are printed inert.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASS: &str = "correct horse";

/// `coffer ARGS` under umask 000, with a clean environment.
fn coffer(home: &Path, vault: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_coffer"))
        .arg("--vault")
        .arg(vault)
        .args(args)
        .env_remove("COFFER_VAULT")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("COFFER_PASSPHRASE", PASS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("coffer runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("coffer ends")
}

fn ok(home: &Path, vault: &Path, args: &[&str], stdin: &str) -> String {
    let o = coffer(home, vault, args, stdin);
    assert!(
        o.status.success(),
        "coffer {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8")
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable") {
        let p = e.expect("entry").path();
        out.push(p.clone());
        if p.is_dir() {
            walk(&p, out);
        }
    }
}

#[test]
fn files_and_folders_are_private_whatever_the_umask() {
    let tmp = tempfile::tempdir().expect("temp");
    let (home, vault) = (tmp.path(), tmp.path().join("v"));
    ok(home, &vault, &["init", "--work-factor", "10"], "");
    let id = ok(home, &vault, &["add", "--title", "t"], "secret body")
        .trim()
        .to_string();
    std::fs::write(tmp.path().join("f.bin"), b"attached").expect("write");
    ok(
        home,
        &vault,
        &[
            "attach",
            &id,
            tmp.path().join("f.bin").to_str().expect("utf-8"),
        ],
        "",
    );
    let remote = tmp.path().join("remote");
    ok(
        home,
        &vault,
        &["remote", "add", "r", remote.to_str().expect("utf-8")],
        "",
    );
    ok(home, &vault, &["sync"], "");
    let mut all = vec![vault.clone()];
    walk(&vault, &mut all);
    walk(&remote, &mut all);
    all.push(remote.clone());
    assert!(all.len() > 15, "{all:?}");
    for p in &all {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(p), want, "{} is {:o}", p.display(), mode(p));
    }
    // Plaintext written out of the vault: an extracted attachment, a bare file name too.
    let out = tmp.path().join("out.bin");
    ok(
        home,
        &vault,
        &[
            "extract",
            &id,
            "f.bin",
            "--to",
            out.to_str().expect("utf-8"),
        ],
        "",
    );
    assert_eq!(mode(&out), 0o600);
    let o = Command::new(env!("CARGO_BIN_EXE_coffer"))
        .current_dir(tmp.path())
        .args([
            "--vault",
            vault.to_str().expect("utf-8"),
            "extract",
            &id,
            "f.bin",
            "--to",
            "bare.bin",
        ])
        .env("COFFER_PASSPHRASE", PASS)
        .env("HOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(tmp.path().join("bare.bin")).expect("written"),
        b"attached"
    );
    assert_eq!(mode(&tmp.path().join("bare.bin")), 0o600);
}

#[test]
fn terminal_escapes_in_titles_tags_bodies_and_names_print_inert() {
    let tmp = tempfile::tempdir().expect("temp");
    let (home, vault) = (tmp.path(), tmp.path().join("v"));
    ok(home, &vault, &["init", "--work-factor", "10"], "");
    let nasty = "\x1b]0;owned\x07\x1b[2J\u{9b}31m\u{202E}gnp.exe\r";
    let id = ok(
        home,
        &vault,
        &[
            "add",
            "--title",
            &format!("T{nasty}"),
            "--tag",
            &format!("g{nasty}"),
            "--notebook",
            &format!("N{nasty}"),
        ],
        &format!("body{nasty}\nline two"),
    )
    .trim()
    .to_string();
    for args in [
        vec!["list"],
        vec!["tags"],
        vec!["notebooks"],
        vec!["show", &id],
        vec!["search", "body"],
        vec!["--json", "list"],
        vec!["--json", "show", &id],
        vec!["history", &id],
    ] {
        let o = coffer(home, &vault, &args, "");
        let (out, err) = (
            String::from_utf8(o.stdout).expect("UTF-8"),
            String::from_utf8(o.stderr).expect("UTF-8"),
        );
        for s in [&out, &err] {
            let bad: Vec<char> = s
                .chars()
                .filter(|c| (c.is_control() && !matches!(c, '\n' | '\t')) || *c == '\u{202E}')
                .collect();
            // The CLI's own bold (search matches) is the only escape sequence let through.
            let own = s.matches("\x1b[1m").count() + s.matches("\x1b[0m").count();
            assert_eq!(bad.len(), own, "coffer {args:?} printed {bad:?} in {s:?}");
        }
        if args[0] == "--json" {
            let v: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
            assert!(v.to_string().contains("\\u001b"), "{v}");
        } else if args[0] != "history" {
            assert!(out.contains("\\u{1b}"), "coffer {args:?}: {out}");
        }
    }
    // The stored text is kept as written: the JSON reads back the same characters.
    let o = coffer(home, &vault, &["--json", "show", &id], "");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(
        v["body"].as_str(),
        Some(format!("body{nasty}\nline two").as_str())
    );
}

#[test]
fn a_password_in_a_url_argument_is_refused_and_never_shown() {
    let tmp = tempfile::tempdir().expect("temp");
    let (home, vault) = (tmp.path(), tmp.path().join("v"));
    ok(home, &vault, &["init", "--work-factor", "10"], "");
    for url in [
        "webdav+http://me:secret@127.0.0.1:9/x",
        "s3://b/p?endpoint=http://key:secret@127.0.0.1:9",
        "webdav+http://me:secret@[bad/x",
    ] {
        for json in [false, true] {
            let mut args = vec!["remote", "add", "r", url];
            if json {
                args.insert(0, "--json");
            }
            let o = coffer(home, &vault, &args, "");
            assert!(!o.status.success(), "{url}");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(!all.contains("secret"), "{url}: {all}");
            assert!(
                all.contains("***") || all.contains("password"),
                "{url}: {all}"
            );
        }
    }
    let list = ok(home, &vault, &["remote", "list"], "");
    assert!(!list.contains("secret"), "{list}");
}

/// A vault folder restored from a backup (its newest log entry gone): saving is refused with a
/// message naming the way out, and `coffer device continue-as-new` takes it.
#[test]
fn a_restored_vault_folder_goes_on_under_a_new_device_id() {
    let tmp = tempfile::tempdir().expect("temp");
    let (home, vault) = (tmp.path(), tmp.path().join("v"));
    ok(home, &vault, &["init", "--work-factor", "10"], "");
    ok(home, &vault, &["add", "--title", "one"], "first");
    ok(home, &vault, &["add", "--title", "two"], "second");
    let log = std::fs::read_dir(vault.join("log"))
        .expect("log")
        .next()
        .expect("a device log")
        .expect("entry")
        .path();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&log)
        .expect("log")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 2, "{entries:?}");
    std::fs::remove_file(entries.last().expect("newest")).expect("removed");
    let refused = coffer(home, &vault, &["add", "--title", "three"], "third");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("coffer device continue-as-new"), "{err}");
    let said = ok(home, &vault, &["device", "continue-as-new"], "");
    assert!(said.contains("this device goes on as"), "{said}");
    ok(home, &vault, &["add", "--title", "three"], "third");
    let list = ok(home, &vault, &["list"], "");
    assert!(list.contains("one") && list.contains("three"), "{list}");
    // The old id's log is kept aside until a sync brings it back from a remote.
    let devices = ok(home, &vault, &["--json", "devices"], "");
    let devices: serde_json::Value = serde_json::from_str(&devices).expect("json");
    let old = log.file_name().expect("name").to_string_lossy().to_string();
    assert_ne!(devices[0]["id"].as_str(), Some(old.as_str()), "{devices}");
    let kept: Vec<String> = std::fs::read_dir(vault.join("local/restored"))
        .expect("local/restored")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    assert!(kept.iter().any(|k| k.starts_with(&old)), "{kept:?}");
}
