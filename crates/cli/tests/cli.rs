//! The `coffer` binary, run as a user or a script would: each test has its own temp vault
//! (scrypt work factor 10 so unlocking is quick). Error messages are pinned exactly, stderr
//! included. Interop is checked against the reference `age` tool.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASS: &str = "correct horse";

/// A temp folder with a vault in `v/`, created by `coffer init`.
struct Env {
    tmp: tempfile::TempDir,
    vault: PathBuf,
}

/// What a run printed and how it ended.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(o.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(o.stderr).expect("stderr is UTF-8"),
        }
    }
}

/// The binary with a clean environment: no inherited vault, passphrase or data folder.
fn coffer(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coffer"));
    c.env_remove("COFFER_VAULT")
        .env_remove("COFFER_PASSPHRASE")
        .env_remove("COFFER_NEW_PASSPHRASE")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .stdin(Stdio::null());
    c
}

fn run_with_stdin(mut c: Command, stdin: &[u8]) -> Run {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("coffer runs");
    let mut input = child.stdin.take().expect("piped stdin");
    input.write_all(stdin).expect("writes stdin");
    drop(input);
    child.wait_with_output().expect("coffer finishes").into()
}

impl Env {
    fn new() -> Env {
        let tmp = tempfile::tempdir().expect("temp dir");
        let vault = tmp.path().join("v");
        let env = Env { tmp, vault };
        let out = env.ok(&["init", "--work-factor", "10"]);
        assert!(out.starts_with("created a vault at "), "{out}");
        env
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `coffer --vault v ARGS` with the right passphrase in the environment.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = coffer(self.tmp.path());
        c.arg("--vault")
            .arg(&self.vault)
            .args(args)
            .env("COFFER_PASSPHRASE", PASS);
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        self.cmd(args).output().expect("coffer runs").into()
    }

    fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        run_with_stdin(self.cmd(args), stdin.as_bytes())
    }

    /// Runs, asserts success, returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "coffer {args:?} failed: {}", r.stderr);
        r.stdout
    }

    /// Runs with `--json`, asserts success and a single JSON document on stdout.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not one JSON document ({e}): {out}"))
    }

    /// Adds a note; returns its id.
    fn add(&self, title: &str, body: &str, extra: &[&str]) -> String {
        let mut args = vec!["add", "--title", title];
        args.extend_from_slice(extra);
        let r = self.run_stdin(&args, body);
        assert_eq!(r.code, 0, "add failed: {}", r.stderr);
        let id = r.stdout.trim().to_string();
        assert_eq!(id.len(), 32, "{id:?}");
        id
    }

    /// Every file in the vault folder with its bytes.
    fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for e in std::fs::read_dir(dir).expect("readable folder") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.insert(p.clone(), std::fs::read(&p).expect("readable file"));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.vault, &mut out);
        out
    }
}

/// Asserts a failure with exactly this stderr and exit code.
#[track_caller]
fn assert_fails(r: &Run, code: i32, stderr: &str) {
    assert_eq!(r.code, code, "stdout: {} stderr: {}", r.stdout, r.stderr);
    assert_eq!(r.stderr, stderr);
}

/// Asserts that a `--json` failure printed exactly this error document.
#[track_caller]
fn assert_json_error(r: &Run, code: &str, message: &str) {
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!(
        v,
        serde_json::json!({ "error": { "code": code, "message": message } })
    );
    assert_eq!(r.stderr, format!("coffer: error: {message}\n"));
}

// ---------------------------------------------------------------------------------------------
// Happy paths and their --json shapes
// ---------------------------------------------------------------------------------------------

#[test]
fn init_json_and_refusal_to_init_twice() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("vault");
    let r: Run = coffer(tmp.path())
        .args(["--json", "--vault"])
        .arg(&dir)
        .args(["init", "--work-factor", "10"])
        .env("COFFER_PASSPHRASE", PASS)
        .output()
        .expect("runs")
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["vault"], dir.display().to_string());
    assert_eq!(v["vault_id"].as_str().map(str::len), Some(32));
    assert!(dir.join("coffer.toml").is_file());

    let again: Run = coffer(tmp.path())
        .arg("--vault")
        .arg(&dir)
        .args(["init", "--work-factor", "10"])
        .env("COFFER_PASSPHRASE", PASS)
        .output()
        .expect("runs")
        .into();
    assert_fails(
        &again,
        1,
        &format!(
            "coffer: error: {} already holds a Coffer vault\n",
            dir.display()
        ),
    );
}

#[test]
fn add_show_list_and_their_json() {
    let env = Env::new();
    let id = env.add(
        "Groceries",
        "- milk\n- bread\n",
        &["--tag", "home", "--tag", "weekly", "--notebook", "Life"],
    );
    std::fs::write(env.path("body.md"), "From a file\n").expect("write");
    let other = env.ok(&[
        "add",
        "--title",
        "Filed",
        "--file",
        env.path("body.md").to_str().expect("utf-8 path"),
        "--pin",
    ]);
    let other = other.trim();

    let shown = env.ok(&["show", &id[..6]]);
    let note = env.json(&["show", &id]);
    let rev = note["revision"].as_str().expect("revision");
    let updated = note["updated"].as_i64().expect("updated");
    let stamp = millis_text(updated);
    assert_eq!(
        shown,
        format!(
            "---\ntitle: Groceries\nid: {id}\nrevision: {rev}\ntags: home, weekly\nnotebook: Life\n\
             created: {stamp}\nupdated: {stamp}\n---\n\n- milk\n- bread\n"
        )
    );
    assert_eq!(note["title"], "Groceries");
    assert_eq!(note["body"], "- milk\n- bread\n");
    assert_eq!(note["tags"], serde_json::json!(["home", "weekly"]));
    assert_eq!(note["notebook"], "Life");
    assert_eq!(note["pinned"], false);
    assert_eq!(note["trashed"], false);
    assert_eq!(note["attachments"], serde_json::json!([]));
    assert_eq!(note["conflicts"], serde_json::json!([]));

    assert_eq!(env.json(&["show", other])["body"], "From a file\n");

    let list = env.ok(&["list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    let day = &stamp[..10];
    assert!(lines.contains(&format!("{}  {day}  Groceries  #home #weekly", &id[..8]).as_str()));
    assert!(lines.contains(&format!("{}  {day}  Filed", &other[..8]).as_str()));

    let json = env.json(&["list"]);
    let arr = json.as_array().expect("array");
    assert_eq!(arr.len(), 2);
    for key in [
        "id",
        "title",
        "excerpt",
        "tags",
        "notebook",
        "pinned",
        "trashed",
        "created",
        "updated",
        "conflict",
        "attachments",
    ] {
        assert!(arr[0].get(key).is_some(), "list entries have {key}");
    }

    let only = |args: &[&str]| -> Vec<String> {
        env.json(args)
            .as_array()
            .expect("array")
            .iter()
            .map(|n| n["id"].as_str().expect("id").to_string())
            .collect()
    };
    assert_eq!(only(&["list", "--tag", "home"]), vec![id.clone()]);
    assert_eq!(only(&["list", "--notebook", "Life"]), vec![id.clone()]);
    assert_eq!(only(&["list", "--pinned"]), vec![other.to_string()]);
    assert!(only(&["list", "--trash"]).is_empty());
}

/// The header's time format, computed the same way as the note's `updated` field.
fn millis_text(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

#[test]
fn edit_changes_fields_and_reads_the_body_from_stdin() {
    let env = Env::new();
    let id = env.add("Draft", "first words", &["--tag", "old"]);

    let r = env.run_stdin(&["edit", &id[..5]], "second words");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.json(&["show", &id])["body"], "second words");

    // Metadata only, with empty stdin: the body stays.
    let v = env.json(&[
        "edit",
        &id,
        "--title",
        "Final",
        "--tag",
        "new",
        "--notebook",
        "Work",
        "--pin",
    ]);
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["conflict"], false);
    let rev = v["revision"].as_str().expect("revision").to_string();
    let note = env.json(&["show", &id]);
    assert_eq!(note["revision"], rev.as_str());
    assert_eq!(note["title"], "Final");
    assert_eq!(note["body"], "second words");
    assert_eq!(note["tags"], serde_json::json!(["new"]));
    assert_eq!(note["notebook"], "Work");
    assert_eq!(note["pinned"], true);

    std::fs::write(env.path("b.md"), "third words").expect("write");
    let b = env.path("b.md");
    let out = env.ok(&[
        "edit",
        &id,
        "--file",
        b.to_str().expect("utf-8"),
        "--unpin",
        "--no-notebook",
        "--clear-tags",
    ]);
    assert!(
        out.starts_with(&format!("updated {} (revision ", &id[..8])),
        "{out}"
    );
    let note = env.json(&["show", &id]);
    assert_eq!(note["body"], "third words");
    assert_eq!(note["pinned"], false);
    assert_eq!(note["notebook"], Value::Null);
    assert_eq!(note["tags"], serde_json::json!([]));

    let r = env.run(&["edit", &id]);
    assert_fails(
        &r,
        1,
        "coffer: error: nothing to change: give --title, --file, --tag, --clear-tags, --notebook, \
         --no-notebook, --pin or --unpin, or pipe a new body into stdin\n",
    );
}

#[test]
fn search_render_notebooks_tags() {
    let env = Env::new();
    let a = env.add(
        "Recipes",
        "Bake the **sourdough** at 250 degrees. See [[Flour]].",
        &["--tag", "food", "--notebook", "Kitchen"],
    );
    env.add(
        "Flour",
        "Rye and wheat",
        &["--tag", "food", "--tag", "shop"],
    );

    let hits = env.json(&["search", "sourdough"]);
    let hits = hits.as_array().expect("array");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["id"], a.as_str());
    assert_eq!(hits[0]["kind"], "note");
    for key in ["title", "snippet", "tags", "notebook", "updated", "score"] {
        assert!(hits[0].get(key).is_some(), "search hits have {key}");
    }
    let text = env.ok(&["search", "sourdough"]);
    let mut lines = text.lines();
    let first = lines.next().expect("a line");
    assert!(first.starts_with(&a[..8]), "{text}");
    assert!(first.ends_with("  Recipes  #food"), "{text}");
    assert!(
        lines.next().expect("snippet").contains("sourdough"),
        "{text}"
    );

    let r = env.run(&["search", "nothingmatches"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    assert_eq!(r.stderr, "no notes or messages match \"nothingmatches\"\n");

    let html = env.ok(&["render", &a]);
    assert!(html.contains("<strong>sourdough</strong>"), "{html}");
    assert!(!html.contains("[[Flour]]"), "wiki link rendered: {html}");
    let v = env.json(&["render", &a]);
    assert_eq!(v["id"], a.as_str());
    assert_eq!(v["html"].as_str().map(str::trim), Some(html.trim()));

    assert_eq!(env.ok(&["notebooks"]), "    1  Kitchen\n");
    assert_eq!(env.ok(&["tags"]), "    2  food\n    1  shop\n");
    assert_eq!(
        env.json(&["tags"]),
        serde_json::json!([{"name": "food", "count": 2}, {"name": "shop", "count": 1}])
    );
}

#[test]
fn trash_restore_purge_and_pins() {
    let env = Env::new();
    let id = env.add("Temp", "body", &[]);
    assert_eq!(
        env.ok(&["rm", &id[..4]]),
        format!("moved {} \"Temp\" to the trash\n", &id[..8])
    );
    assert!(env.json(&["list"]).as_array().expect("array").is_empty());
    assert_eq!(env.json(&["list", "--trash"])[0]["id"], id.as_str());
    assert_eq!(
        env.json(&["restore", &id]),
        serde_json::json!({"id": id, "trashed": false})
    );
    assert_eq!(
        env.json(&["rm", &id]),
        serde_json::json!({"id": id, "trashed": true})
    );
    assert_eq!(
        env.json(&["purge", &id]),
        serde_json::json!({"id": id, "purged": true})
    );
    assert!(
        env.json(&["list", "--trash"])
            .as_array()
            .expect("array")
            .is_empty()
    );
    let r = env.run(&["show", &id]);
    assert_fails(&r, 1, &format!("coffer: error: no note matches {id}\n"));

    let p = env.add("Pinned", "x", &[]);
    assert_eq!(env.ok(&["pin", &p]), format!("pinned {}\n", &p[..8]));
    assert_eq!(env.json(&["list", "--pinned"])[0]["id"], p.as_str());
    let v = env.json(&["unpin", &p]);
    assert_eq!(v["pinned"], false);
    assert!(
        env.json(&["list", "--pinned"])
            .as_array()
            .expect("array")
            .is_empty()
    );
}

#[test]
fn history_show_rev_and_revert() {
    let env = Env::new();
    let id = env.add("Poem", "version one", &[]);
    env.run_stdin(&["edit", &id], "version two");
    let hist = env.json(&["history", &id]);
    let hist = hist.as_array().expect("array");
    assert_eq!(hist.len(), 2);
    for key in [
        "revision", "parents", "title", "updated", "trashed", "device", "bytes", "current",
    ] {
        assert!(hist[0].get(key).is_some(), "history entries have {key}");
    }
    assert_eq!(hist[0]["current"], true);
    let old = hist[1]["revision"].as_str().expect("rev").to_string();

    let text = env.ok(&["history", &id]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    // Each revision names the device that saved it (this one, by its name in the roster).
    let device = hist[0]["device"]
        .as_str()
        .expect("the device is known")
        .to_string();
    assert!(
        lines[0].ends_with(&format!("      11 bytes  Poem  (on {device})  [current]")),
        "{text}"
    );
    assert!(lines[1].starts_with(&old[..8]), "{text}");
    assert!(
        lines[1].ends_with(&format!("      11 bytes  Poem  (on {device})")),
        "{text}"
    );

    let at = env.json(&["show", &id, "--rev", &old[..6]]);
    assert_eq!(at["body"], "version one");
    assert_eq!(at["revision"], old.as_str());

    let v = env.json(&["revert", &id, &old[..6]]);
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["reverted_to"], old.as_str());
    assert_eq!(env.json(&["show", &id])["body"], "version one");
    assert_eq!(
        env.json(&["history", &id]).as_array().map(Vec::len),
        Some(3)
    );

    let r = env.run(&["show", &id, "--rev", "ffffffff"]);
    assert_fails(
        &r,
        1,
        &format!("coffer: error: note {id} has no revision ffffffff\n"),
    );
}

#[test]
fn attach_and_extract() {
    let env = Env::new();
    let id = env.add("With file", "see attachment", &[]);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    std::fs::write(env.path("data.bin"), &bytes).expect("write");
    let a = env.json(&["attach", &id, env.path("data.bin").to_str().expect("utf-8")]);
    assert_eq!(a["name"], "data.bin");
    assert_eq!(a["size"], 5000);
    assert_eq!(a["object"].as_str().map(str::len), Some(32));
    assert_eq!(a["sha256"].as_str().map(str::len), Some(64));
    let shown = env.ok(&["show", &id]);
    assert!(
        shown.contains("\nattachments: data.bin (5000 bytes)\n"),
        "{shown}"
    );

    let to = env.path("out.bin");
    let v = env.json(&[
        "extract",
        &id,
        "data.bin",
        "--to",
        to.to_str().expect("utf-8"),
    ]);
    assert_eq!(v["bytes"], 5000);
    assert_eq!(std::fs::read(&to).expect("extracted"), bytes);

    // Never over an existing file, which stays as it was.
    std::fs::write(&to, b"keep me").expect("write");
    let r = env.run(&[
        "extract",
        &id,
        "data.bin",
        "--to",
        to.to_str().expect("utf-8"),
    ]);
    let msg = format!("{} already exists; not overwriting it", to.display());
    assert_fails(&r, 1, &format!("coffer: error: {msg}\n"));
    assert_eq!(r.stdout, "");
    let r = env.run(&[
        "--json",
        "extract",
        &id,
        "data.bin",
        "--to",
        to.to_str().expect("utf-8"),
    ]);
    assert_json_error(&r, "file_exists", &msg);
    assert_eq!(std::fs::read(&to).expect("kept"), b"keep me");

    let r = env.run(&[
        "extract",
        &id,
        "nope.txt",
        "--to",
        env.path("n").to_str().expect("utf-8"),
    ]);
    assert_fails(
        &r,
        1,
        &format!("coffer: error: note {id} has no attachment named \"nope.txt\"\n"),
    );
}

#[test]
fn passwd_changes_the_passphrase() {
    let env = Env::new();
    let id = env.add("Kept", "body", &[]);
    let r: Run = env
        .cmd(&["--json", "passwd"])
        .env("COFFER_NEW_PASSPHRASE", "new pass")
        .output()
        .expect("runs")
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).expect("JSON"),
        serde_json::json!({"passphrase_changed": true})
    );
    assert_fails(&env.run(&["list"]), 1, "coffer: error: wrong passphrase\n");
    let r: Run = env
        .cmd(&["show", &id])
        .env("COFFER_PASSPHRASE", "new pass")
        .output()
        .expect("runs")
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);

    // From a file, back again; not on a terminal and no new passphrase: a clear error.
    std::fs::write(env.path("new.txt"), format!("{PASS}\n")).expect("write");
    let r: Run = env
        .cmd(&[
            "passwd",
            "--new-passphrase-file",
            env.path("new.txt").to_str().expect("utf-8"),
        ])
        .env("COFFER_PASSPHRASE", "new pass")
        .output()
        .expect("runs")
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_fails(
        &env.run(&["passwd"]),
        1,
        "coffer: error: no new passphrase: not on a terminal, so set $COFFER_NEW_PASSPHRASE or \
         use --new-passphrase-file FILE\n",
    );
    env.ok(&["show", &id]);
}

#[test]
fn passphrase_file_first_line() {
    let env = Env::new();
    let id = env.add("Note", "body", &[]);
    std::fs::write(env.path("pass.txt"), format!("{PASS}\nnot part of it\n")).expect("write");
    let r: Run = coffer(env.tmp.path())
        .arg("--vault")
        .arg(&env.vault)
        .arg("--passphrase-file")
        .arg(env.path("pass.txt"))
        .args(["show", &id])
        .output()
        .expect("runs")
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);

    // The file wins over the environment.
    std::fs::write(env.path("bad.txt"), "wrong\n").expect("write");
    let r: Run = env
        .cmd(&[
            "--passphrase-file",
            env.path("bad.txt").to_str().expect("utf-8"),
            "list",
        ])
        .output()
        .expect("runs")
        .into();
    assert_fails(&r, 1, "coffer: error: wrong passphrase\n");

    let missing = env.path("missing.txt");
    let r = env.run(&[
        "--passphrase-file",
        missing.to_str().expect("utf-8"),
        "list",
    ]);
    assert_fails(
        &r,
        1,
        &format!(
            "coffer: error: cannot read {}: No such file or directory (os error 2)\n",
            missing.display()
        ),
    );
}

#[test]
fn rotate_keys_and_verify() {
    let env = Env::new();
    let id = env.add("Before rotation", "secret", &[]);
    std::fs::write(env.path("a.txt"), "attached").expect("write");
    env.ok(&["attach", &id, env.path("a.txt").to_str().expect("utf-8")]);

    let v = env.json(&["verify"]);
    assert_eq!(v["problems"], serde_json::json!([]));
    assert_eq!(v["log_entries"], 2);
    assert_eq!(v["objects"], 3);
    assert_eq!(
        env.ok(&["verify"]),
        "checked 2 log entries and 3 objects: no problems\n"
    );

    // A new vault key for the devices of the roster (this one).
    let v = env.json(&["rotate-keys"]);
    assert_eq!(v["rotated"], true);
    assert_eq!(v["generation"].as_str().map(str::len), Some(32), "{v}");
    assert_eq!(v["devices"].as_array().map(Vec::len), Some(1), "{v}");
    assert!(
        env.ok(&["rotate-keys"])
            .contains("Joining with the passphrase is closed")
    );
    assert_eq!(env.json(&["show", &id])["body"], "secret");
    // Everything re-encrypted, as a new vault.
    let v = env.json(&["rotate-keys", "--anew"]);
    assert_eq!(v["rotated"], true);
    assert_eq!(v["anew"], true);
    assert_eq!(env.json(&["show", &id])["body"], "secret");
    let out = env.path("a2.txt");
    env.ok(&[
        "extract",
        &id,
        "a.txt",
        "--to",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(std::fs::read(&out).expect("read"), b"attached");
    assert_eq!(env.json(&["verify"])["problems"], serde_json::json!([]));
}

#[test]
fn verify_names_each_damaged_path_and_exits_3() {
    let env = Env::new();
    let id = env.add("Damaged", "body", &[]);
    let note = env.json(&["show", &id]);
    let rev = note["revision"].as_str().expect("rev");
    let rel = format!("objects/{}/{rev}.age", &rev[..2]);
    let path = env.vault.join(&rel);
    let mut bytes = std::fs::read(&path).expect("object");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).expect("write");

    let before = env.files();
    let r = env.run(&["verify"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(env.files() == before, "verify changed the vault folder");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(lines[0].starts_with(&format!("{rel}: ")), "{}", r.stdout);
    assert_eq!(
        lines[1],
        "checked 1 log entries and 1 objects: 1 problem(s)"
    );
    assert_eq!(
        r.stderr,
        "coffer: error: verify found 1 problem(s) in the vault\n"
    );

    let r = env.run(&["--json", "verify"]);
    assert_eq!(r.code, 3);
    let v: Value = serde_json::from_str(&r.stdout).expect("exactly one JSON document");
    assert_eq!(v["problems"][0]["path"], rel.as_str());
}

/// Damage is named by any command (the scrub beside it), without a verify; `verify --repair`
/// puts the file back from the sync remote, and verify is clean again.
#[test]
fn every_command_names_damage_and_verify_repair_heals_it() {
    let env = Env::new();
    let id = env.add("Damaged", "body to keep", &[]);
    let remote = env.path("remote");
    env.ok(&["remote", "add", "home", remote.to_str().expect("UTF-8")]);
    env.ok(&["sync"]);
    let note = env.json(&["show", &id]);
    let rev = note["revision"].as_str().expect("rev");
    let rel = format!("objects/{}/{rev}.age", &rev[..2]);
    let path = env.vault.join(&rel);
    let good = std::fs::read(&path).expect("object");
    let mut bytes = good.clone();
    bytes[60] ^= 1;
    std::fs::write(&path, bytes).expect("write");

    let r = env.run(&["list"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Damaged"), "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!(
            "coffer: warning: damaged file in the vault: {rel}: its bytes differ"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(env.run(&["verify"]).code, 3);

    let r = env.run(&["--json", "verify", "--repair"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!(doc["repair"]["healed"][0]["path"], rel.as_str());
    assert_eq!(doc["repair"]["not_healed"], serde_json::json!([]));
    assert_eq!(doc["problems"], serde_json::json!([]));
    assert!(
        r.stderr
            .contains(&format!("repaired {rel}: put back from remote “home”")),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&path).expect("object"), good);
    let r = env.run(&["list"]);
    assert!(!r.stderr.contains("damaged"), "{}", r.stderr);
}

#[test]
fn verify_only_looks_and_names_a_damaged_journal() {
    let env = Env::new();
    env.add("Written out", "by the CLI", &[]);
    // Saves left in the save journal, as by an app that was killed: a handle that never
    // writes them out (forgotten, so its drop does not either).
    let mut v = coffer_core::LockedVault::open(&env.vault)
        .and_then(|l| l.unlock(&coffer_core::secrecy::SecretString::from(PASS)))
        .expect("unlocks");
    for i in 0..3 {
        v.create(coffer_core::NewNote {
            title: format!("In the journal {i}"),
            body: "not written out yet".into(),
            ..Default::default()
        })
        .expect("create");
    }
    std::mem::forget(v);
    // One digit of the second record's time changes: the record still frames, its signature
    // no longer verifies.
    let path = env.vault.join("local/journal");
    let mut bytes = std::fs::read(&path).expect("journal");
    let starts: Vec<usize> = coffer_core::journal::record_spans(&bytes)
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert!(starts.len() >= 3, "three records: {starts:?}");
    let key = b"\\\"time\\\":";
    let at = starts[1]
        + bytes[starts[1]..]
            .windows(key.len())
            .position(|w| w == key)
            .expect("the record's entry has a time")
        + key.len();
    let digits = bytes[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    bytes[at + digits - 1] ^= 0x01;
    std::fs::write(&path, &bytes).expect("writing the damaged journal");

    let before = env.files();
    let r = env.run(&["verify"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("local/journal: ") && l.contains("forged or altered")),
        "{}",
        r.stdout
    );
    assert!(env.files() == before, "verify changed the vault folder");

    // A normal open still keeps the damaged journal aside, as before, and the note before the
    // damage is there.
    let list = env.ok(&["list"]);
    assert!(list.contains("In the journal 0"), "{list}");
    assert!(env.files() != before);
}

#[test]
fn identity_export_is_private_and_never_overwrites() {
    let env = Env::new();
    let to = env.path("identity.txt");
    let r = env.run(&["identity", "--export-age", to.to_str().expect("utf-8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "coffer: warning: {} holds the vault's secret key in plaintext: anyone with it can \
             read every note. Keep it safe and delete it when done.\n",
            to.display()
        )
    );
    let text = std::fs::read_to_string(&to).expect("identity");
    assert!(text.contains("AGE-SECRET-KEY-1"), "an age identity file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&to).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let r = env.run(&[
        "--json",
        "identity",
        "--export-age",
        to.to_str().expect("utf-8"),
    ]);
    assert_json_error(
        &r,
        "file_exists",
        &format!("{} already exists; not overwriting it", to.display()),
    );
    assert_eq!(std::fs::read_to_string(&to).expect("identity"), text);
}

#[test]
fn export_and_import_smoke() {
    let env = Env::new();
    env.add(
        "Exported one",
        "first body",
        &["--tag", "t", "--notebook", "NB"],
    );
    env.add("Exported two", "second body", &[]);
    let out = env.path("export");
    let r = env.run(&["--json", "export", out.to_str().expect("utf-8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("are NOT encrypted"), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["notes"], 2);

    let other = Env::new();
    let v = other.json(&["import", out.to_str().expect("utf-8")]);
    assert_eq!(v["notes"], 2);
    assert!(v.get("attachments").is_some() && v.get("skipped").is_some());
    let titles: BTreeSet<String> = other
        .json(&["list"])
        .as_array()
        .expect("array")
        .iter()
        .map(|n| n["title"].as_str().expect("title").to_string())
        .collect();
    assert_eq!(
        titles,
        BTreeSet::from(["Exported one".to_string(), "Exported two".to_string()])
    );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn wrong_passphrase() {
    let env = Env::new();
    let r: Run = env
        .cmd(&["list"])
        .env("COFFER_PASSPHRASE", "not it")
        .output()
        .expect("runs")
        .into();
    assert_fails(&r, 1, "coffer: error: wrong passphrase\n");
    assert_eq!(r.stdout, "");
    let r: Run = env
        .cmd(&["--json", "list"])
        .env("COFFER_PASSPHRASE", "not it")
        .output()
        .expect("runs")
        .into();
    assert_json_error(&r, "wrong_passphrase", "wrong passphrase");
}

#[test]
fn wrong_passphrase_leaves_the_vault_unchanged() {
    let env = Env::new();
    let id = env.add("Untouchable", "body", &[]);
    env.ok(&["rm", &id]);
    let before = env.files();
    std::fs::write(env.path("f.txt"), "x").expect("write");
    let f = env.path("f.txt");
    let f = f.to_str().expect("utf-8");
    let new_id_file = env.path("id.txt");
    let attempts: Vec<Vec<&str>> = vec![
        vec!["add", "--title", "Intruder"],
        vec!["edit", &id, "--title", "Changed"],
        vec!["restore", &id],
        vec!["purge", &id],
        vec!["attach", &id, f],
        vec!["passwd"],
        vec!["rotate-keys"],
        vec!["rotate-keys", "--anew"],
        vec!["import", f],
        vec![
            "identity",
            "--export-age",
            new_id_file.to_str().expect("utf-8"),
        ],
    ];
    for args in attempts {
        let r = run_with_stdin(
            {
                let mut c = env.cmd(&args);
                c.env("COFFER_PASSPHRASE", "wrong")
                    .env("COFFER_NEW_PASSPHRASE", "newer");
                c
            },
            b"body",
        );
        assert_fails(&r, 1, "coffer: error: wrong passphrase\n");
    }
    assert_eq!(env.files(), before, "the vault changed");
    assert!(!new_id_file.exists());
}

#[test]
fn no_passphrase_without_a_terminal() {
    let env = Env::new();
    let r: Run = coffer(env.tmp.path())
        .arg("--vault")
        .arg(&env.vault)
        .arg("list")
        .output()
        .expect("runs")
        .into();
    assert_fails(
        &r,
        1,
        "coffer: error: no passphrase: not on a terminal, so set $COFFER_PASSPHRASE or use \
         --passphrase-file FILE\n",
    );
}

#[test]
fn missing_vault_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("nowhere");
    let r: Run = coffer(tmp.path())
        .arg("--vault")
        .arg(&dir)
        .arg("list")
        .env("COFFER_PASSPHRASE", PASS)
        .output()
        .expect("runs")
        .into();
    let msg = format!(
        "no vault folder at {}; create a vault with `coffer init` or name one with --vault DIR",
        dir.display()
    );
    assert_fails(&r, 1, &format!("coffer: error: {msg}\n"));

    // $COFFER_VAULT names the vault when --vault does not.
    let r: Run = coffer(tmp.path())
        .args(["--json", "list"])
        .env("COFFER_VAULT", &dir)
        .env("COFFER_PASSPHRASE", PASS)
        .output()
        .expect("runs")
        .into();
    assert_json_error(&r, "no_vault", &msg);
    assert!(!dir.exists(), "nothing was created");
}

#[test]
fn folder_that_is_not_a_vault() {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::write(tmp.path().join("notes.txt"), "hello").expect("write");
    let r: Run = coffer(tmp.path())
        .arg("--vault")
        .arg(tmp.path())
        .arg("list")
        .env("COFFER_PASSPHRASE", PASS)
        .output()
        .expect("runs")
        .into();
    assert_fails(
        &r,
        1,
        &format!(
            "coffer: error: no Coffer vault at {} (no coffer.toml); create one with `coffer init`\n",
            tmp.path().display()
        ),
    );
    let r: Run = coffer(tmp.path())
        .arg("--vault")
        .arg(tmp.path())
        .args(["init", "--work-factor", "10"])
        .env("COFFER_PASSPHRASE", PASS)
        .output()
        .expect("runs")
        .into();
    assert_fails(
        &r,
        1,
        &format!(
            "coffer: error: {} is not empty and is not a Coffer vault; choose an empty or new folder\n",
            tmp.path().display()
        ),
    );
}

#[test]
fn unknown_and_ambiguous_ids() {
    let env = Env::new();
    env.add("Only", "x", &[]);
    assert_fails(
        &env.run(&["show", "ffffffff0000"]),
        1,
        "coffer: error: no note matches ffffffff0000\n",
    );
    assert_fails(
        &env.run(&["rm", "not-an-id"]),
        1,
        "coffer: error: no note matches not-an-id\n",
    );
    let r = env.run(&["--json", "show", "ffffffff0000"]);
    assert_json_error(&r, "no_such_note", "no note matches ffffffff0000");

    // Make notes (through the library, in batches) until two share a 4-character prefix.
    let mut vault = coffer_core::LockedVault::open(&env.vault)
        .expect("open")
        .unlock(&coffer_core::secrecy::SecretString::from(PASS.to_string()))
        .expect("unlock");
    let mut by_prefix: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let prefix = loop {
        let batch = (0..400)
            .map(|i| coffer_core::NewNote {
                title: format!("Filler {i}"),
                ..Default::default()
            })
            .collect();
        for id in vault.create_many(batch).expect("create") {
            let id = id.to_string();
            by_prefix.entry(id[..4].to_string()).or_default().push(id);
        }
        if let Some((p, _)) = by_prefix.iter().find(|(_, ids)| ids.len() > 1) {
            break p.clone();
        }
    };
    drop(vault);
    let mut candidates = by_prefix[&prefix].clone();
    candidates.sort();
    candidates.truncate(5);
    let msg = format!(
        "{prefix} matches several notes: {}; give more characters",
        candidates.join(", ")
    );
    assert_fails(
        &env.run(&["show", &prefix]),
        1,
        &format!("coffer: error: {msg}\n"),
    );
    assert_json_error(&env.run(&["--json", "show", &prefix]), "ambiguous_id", &msg);
}

#[test]
fn purge_of_a_note_not_in_the_trash() {
    let env = Env::new();
    let id = env.add("Alive", "x", &[]);
    let msg = format!("note {id} is not in the trash; move it to the trash first (`coffer rm`)");
    assert_fails(
        &env.run(&["purge", &id[..8]]),
        1,
        &format!("coffer: error: {msg}\n"),
    );
    assert_json_error(&env.run(&["--json", "purge", &id]), "not_in_trash", &msg);
    assert_eq!(env.json(&["show", &id])["title"], "Alive");
}

#[test]
fn usage_errors_and_no_command() {
    let env = Env::new();
    let r = env.run(&["--json", "show"]);
    assert_eq!(r.code, 2);
    let v: Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!(v["error"]["code"], "usage");

    // No command and no terminal: help, not a prompt.
    let r: Run = coffer(env.tmp.path()).output().expect("runs").into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("Private notes, age-encrypted on disk\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Commands:"), "{}", r.stdout);
    assert!(
        !env.tmp.path().join("data/coffer").exists(),
        "no vault created"
    );

    let r: Run = coffer(env.tmp.path())
        .arg("--json")
        .output()
        .expect("runs")
        .into();
    assert_eq!(r.code, 2);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).expect("JSON"),
        serde_json::json!({"error": {"code": "usage", "message": "no command given (see `coffer --help`)"}})
    );
}

// ---------------------------------------------------------------------------------------------
// Interop with the reference `age` tool
// ---------------------------------------------------------------------------------------------

const AGE: &str = "/usr/bin/age";

/// `age -d -i identity FILE`; panics (fails the test) if age is missing or refuses.
fn age_decrypt(identity: &Path, file: &Path) -> Vec<u8> {
    assert!(
        Path::new(AGE).is_file(),
        "the reference age tool is missing at {AGE}: install the Debian package `age`"
    );
    let out = Command::new(AGE)
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .output()
        .expect("age runs");
    assert!(
        out.status.success(),
        "age -d failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Splits a decrypted object into its header lines and its content (padding checked).
fn parse_object(plain: &[u8]) -> (BTreeMap<String, Value>, Vec<u8>) {
    let text_end = plain
        .windows(5)
        .position(|w| w == b"\n---\n")
        .expect("a closing ---");
    let head = std::str::from_utf8(&plain[..text_end]).expect("header is text");
    let head = head.strip_prefix("---\n").expect("starts with ---");
    let fields: BTreeMap<String, Value> = head
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(": ").expect("key: value");
            (k.to_string(), serde_json::from_str(v).expect("JSON value"))
        })
        .collect();
    let len = fields["body-bytes"].as_u64().expect("body-bytes") as usize;
    let rest = &plain[text_end + 5..];
    assert!(
        rest[len..].iter().all(|b| *b == b'\n'),
        "only newlines pad the content"
    );
    (fields, rest[..len].to_vec())
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("folder") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn every_object_and_log_entry_decrypts_with_age() {
    let env = Env::new();
    let a = env.add(
        "Medical",
        "Blood type: O+\nAllergies: none\n",
        &["--tag", "health"],
    );
    let b = env.add("Recovery codes", "1234-5678\n", &["--notebook", "Keys"]);
    env.run_stdin(&["edit", &a], "Blood type: O+\nAllergies: penicillin\n");
    let blob: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(env.path("scan.bin"), &blob).expect("write");
    env.ok(&["attach", &b, env.path("scan.bin").to_str().expect("utf-8")]);
    env.ok(&["rm", &b]);
    env.ok(&["restore", &b]);

    let identity = env.path("identity.txt");
    env.ok(&[
        "identity",
        "--export-age",
        identity.to_str().expect("utf-8"),
    ]);

    // What each object must hold, from the CLI's own view of every revision.
    let mut expected_notes: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut expected_attachments: BTreeMap<String, (String, Vec<u8>)> = BTreeMap::new();
    for id in [&a, &b] {
        for r in env.json(&["history", id]).as_array().expect("array") {
            let rev = r["revision"].as_str().expect("rev");
            let n = env.json(&["show", id, "--rev", rev]);
            expected_notes.insert(
                rev.to_string(),
                (
                    n["title"].as_str().expect("title").to_string(),
                    n["body"].as_str().expect("body").to_string(),
                ),
            );
            for att in n["attachments"].as_array().expect("array") {
                expected_attachments.insert(
                    att["object"].as_str().expect("object").to_string(),
                    (
                        att["name"].as_str().expect("name").to_string(),
                        blob.clone(),
                    ),
                );
            }
        }
    }
    assert_eq!(expected_notes.len(), 6);
    assert_eq!(expected_attachments.len(), 1);

    let objects = files_under(&env.vault.join("objects"));
    assert_eq!(objects.len(), 7, "{objects:?}");
    for file in objects {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("named by id")
            .to_string();
        let (fields, content) = parse_object(&age_decrypt(&identity, &file));
        assert_eq!(fields["object"], stem.as_str());
        match fields["kind"].as_str() {
            Some("note") => {
                let (title, body) = &expected_notes[&stem];
                assert_eq!(fields["title"], title.as_str());
                assert_eq!(String::from_utf8(content).expect("Markdown text"), *body);
            }
            Some("attachment") => {
                let (name, bytes) = &expected_attachments[&stem];
                assert_eq!(fields["name"], name.as_str());
                assert_eq!(fields["note"], b.as_str());
                assert_eq!(&content, bytes);
            }
            other => panic!("unexpected kind {other:?} in {}", file.display()),
        }
    }

    let entries = files_under(&env.vault.join("log"));
    assert_eq!(entries.len(), 6, "{entries:?}");
    for file in entries {
        let plain = age_decrypt(&identity, &file);
        let v: Value = serde_json::from_slice(&plain).expect("a JSON log entry");
        let signed: Value =
            serde_json::from_str(v["signed"].as_str().expect("signed text")).expect("JSON");
        let seq: u64 = file
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse().ok())
            .expect("numbered");
        assert_eq!(signed["seq"], seq);
        assert!(v["sig"].is_string());
    }
}

// ---------------------------------------------------------------------------------------------
// On a terminal: `script` (util-linux) gives the process a pseudo-terminal; the typed input is
// queued on it before the process starts reading, so nothing waits on timing.
// ---------------------------------------------------------------------------------------------

/// Runs `coffer ARGS` on a pseudo-terminal with `input` typed; stdout and stderr arrive
/// merged, with `\r\n` turned into `\n`.
fn on_terminal(c: Command, args: &str, input: &str) -> Run {
    let script = Path::new("/usr/bin/script");
    assert!(script.is_file(), "util-linux `script` is missing");
    let mut t = Command::new(script);
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    t.arg("-qec")
        .arg(format!("{} {args}", env!("CARGO_BIN_EXE_coffer")))
        .arg("/dev/null");
    let mut r = run_with_stdin(t, input.as_bytes());
    r.stdout = r.stdout.replace("\r\n", "\n");
    r
}

#[test]
fn guided_start_creates_the_default_vault() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let r = on_terminal(
        coffer(tmp.path()),
        "",
        "y\nlong passphrase\nlong passphrase\n",
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let dir = tmp.path().join("data/coffer/vault");
    assert!(
        r.stdout.contains(&format!(
            "There is no vault at {} yet. A vault is a folder of encrypted files that\n",
            dir.display()
        )),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("it cannot be recovered"), "{}", r.stdout);
    // Two common words: only a fair passphrase, said so (zxcvbn), and accepted.
    assert!(
        r.stdout
            .contains("New passphrase: \ncoffer: warning: this passphrase is fair: "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("(it will be accepted)\nRepeat it: \n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\nNext steps:\n"), "{}", r.stdout);
    assert!(dir.join("coffer.toml").is_file());
    let r: Run = coffer(tmp.path())
        .arg("list")
        .env("COFFER_PASSPHRASE", "long passphrase")
        .output()
        .expect("runs")
        .into();
    assert_eq!((r.code, r.stderr.as_str()), (0, "no notes\n"));
}

#[test]
fn guided_start_declined_creates_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let r = on_terminal(coffer(tmp.path()), "", "n\n");
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Nothing was created. To put the vault elsewhere: coffer --vault DIR init\n"),
        "{}",
        r.stdout
    );
    assert!(!tmp.path().join("data/coffer").exists());
}

#[test]
fn guided_start_unlocks_and_lists_an_existing_vault() {
    let env = Env::new();
    let id = env.add("Listed", "x", &["--tag", "t"]);
    let mut c = coffer(env.tmp.path());
    c.env("COFFER_VAULT", &env.vault);
    let r = on_terminal(c, "", &format!("{PASS}\n"));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains(&format!("Passphrase for {}: \n", env.vault.display())),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("{}  ", &id[..8])) && r.stdout.contains("  Listed  #t\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn init_and_passwd_on_a_terminal_refuse_a_mismatch() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("v");
    let mut c = coffer(tmp.path());
    c.env("COFFER_VAULT", &dir);
    let r = on_terminal(c, "init --work-factor 10", "one\ntwo\n");
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .ends_with("coffer: error: the passphrases do not match; nothing was changed\n"),
        "{}",
        r.stdout
    );
    assert!(!dir.join("coffer.toml").exists());

    let env = Env::new();
    let before = env.files();
    let mut c = coffer(env.tmp.path());
    c.env("COFFER_VAULT", &env.vault);
    let r = on_terminal(c, "passwd", &format!("{PASS}\nnew one\nnew two\n"));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .ends_with("coffer: error: the passphrases do not match; nothing was changed\n"),
        "{}",
        r.stdout
    );
    assert_eq!(env.files(), before);
    env.ok(&["list"]);
}

/// Sync commands on a folder remote: remote add/list/rm, sync, clone, devices, alarms shown by
/// sync and verify. (S3 and WebDAV are covered by coffer-core's tests/sync.rs.)
#[test]
fn sync_through_a_folder_remote() {
    let a = Env::new();
    let remote = a.path("remote");
    let remote_s = remote.to_str().expect("UTF-8 temp path");
    let id = a.add("Shared", "from a", &[]);
    let added = a.json(&["remote", "add", "home", remote_s]);
    assert_eq!(added["name"], "home");
    assert_eq!(added["kind"], "folder");
    let r = a.run(&["remote", "add", "home", remote_s]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("a remote named \"home\" already exists"),
        "{}",
        r.stderr
    );
    let bad = json_error(&a.run(&["--json", "remote", "add", "x", "ftp://host/x"]));
    assert_eq!(bad["error"]["code"], "bad_remote_url");
    let report = a.json(&["sync"]);
    assert_eq!(report["pushed_entries"], 1);
    assert_eq!(report["alarms"], serde_json::json!([]));
    let list = a.json(&["remote", "list"]);
    assert!(list[0]["last_sync"].is_number(), "{list}");
    // No remote credentials or URLs in plaintext in the vault.
    for (path, bytes) in a.files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(remote_s),
            "{} names the remote",
            path.display()
        );
    }

    // A second device.
    let b_dir = a.path("b");
    let mut c = coffer(a.tmp.path());
    c.args(["--json", "clone", remote_s])
        .arg(&b_dir)
        .env("COFFER_PASSPHRASE", PASS);
    let r: Run = c.output().expect("coffer runs").into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cloned: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(cloned["notes"], 1);
    let b = Env {
        tmp: tempfile::tempdir().expect("temp dir"),
        vault: b_dir,
    };
    assert!(b.ok(&["show", &id]).contains("from a"));
    b.add("From b", "hello", &[]);
    b.ok(&["sync", "origin"]);
    let out = a.ok(&["sync", "home"]);
    // Two changes: B joining the roster, then its note; B's joining is announced.
    assert!(
        out.starts_with("synced with home: 2 change(s) in, 0 out"),
        "{out}"
    );
    assert!(out.contains("DEVICES: new device"), "{out}");
    let devices = a.json(&["devices"]);
    assert_eq!(devices.as_array().map(Vec::len), Some(2), "{devices}");
    assert_eq!(devices[0]["this_device"], true);

    // The remote rolls back: an alarm, shown by sync and kept for verify; nothing local changes.
    for e in std::fs::read_dir(remote.join("log")).expect("log folder") {
        std::fs::remove_file(e.expect("entry").path().join("000000000001.age")).expect("rm");
    }
    let before = a.files();
    let out = a.run(&["sync"]);
    assert_eq!(out.code, 4, "alarms make the exit code 4: {}", out.stderr);
    assert!(
        out.stdout.contains("ALARM (rollback) remote home log/"),
        "{}",
        out.stdout
    );
    let verify = a.run(&["verify"]);
    assert_eq!(verify.code, 4, "kept alarms make verify exit with 4");
    assert!(
        verify.stderr.contains("ALARM (rollback)"),
        "{}",
        verify.stderr
    );
    let doc: Value = serde_json::from_str(&a.run(&["--json", "verify"]).stdout).expect("JSON");
    assert_eq!(doc["problems"], serde_json::json!([]));
    assert_eq!(doc["sync_alarms"][0]["kind"], "rollback", "{doc}");
    let after = a.files();
    let notes_only = |m: &BTreeMap<PathBuf, Vec<u8>>| {
        m.iter()
            .filter(|(p, _)| !p.components().any(|c| c.as_os_str() == "local"))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(notes_only(&before), notes_only(&after));
    // Once shown, the alarms can be dismissed; verify is then clean.
    assert_eq!(a.run(&["verify", "--dismiss-alarms"]).code, 0);
    assert_eq!(a.run(&["verify"]).code, 0);

    a.ok(&["remote", "rm", "home"]);
    let r = json_error(&a.run(&["--json", "sync"]));
    assert_eq!(r["error"]["code"], "invalid_input");
}

/// A WebDAV remote with a password: the URL on the command line names only the user; the
/// password comes from $COFFER_WEBDAV_PASSWORD (or a prompt), so it never shows in the process
/// list. Needs the password-protected wsgidav that scripts/sync-servers starts (scripts/test
/// runs the tests under it).
#[test]
fn webdav_password_stays_off_the_command_line() {
    let need = |k: &str| {
        std::env::var(k).unwrap_or_else(|_| {
            panic!("{k} is not set: run the tests under scripts/sync-servers (scripts/test does)")
        })
    };
    let base = need("COFFER_TEST_WEBDAV_AUTH_URL");
    let (user, password) = (
        need("COFFER_TEST_WEBDAV_USER"),
        need("COFFER_TEST_WEBDAV_PASSWORD"),
    );
    let tag = format!("cli-{}", std::process::id());
    let url = format!("{}{tag}/", base.replacen("://", &format!("://{user}@"), 1));
    let a = Env::new();
    let id = a.add("Over WebDAV", "behind a password", &[]);

    // No terminal and no variable: a clear error, nothing added.
    let r = a.run(&["remote", "add", "dav", &url]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "coffer: error: the URL names WebDAV user {user}@127.0.0.1 without a password: set $COFFER_WEBDAV_PASSWORD (or run on a terminal to be asked)"
        )
    );
    assert_eq!(a.json(&["remote", "list"]), serde_json::json!([]));

    // A wrong password is refused by the server at the first sync.
    let mut c = a.cmd(&["remote", "add", "dav", &url]);
    c.env("COFFER_WEBDAV_PASSWORD", "not the password");
    let r: Run = c.output().expect("coffer runs").into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = a.run(&["sync"]);
    assert_ne!(r.code, 0);
    assert!(!r.stderr.contains("not the password"), "{}", r.stderr);
    a.ok(&["remote", "rm", "dav"]);

    // The right one, from the variable: sync works, and the password shows nowhere.
    let mut c = a.cmd(&["--json", "remote", "add", "dav", &url]);
    c.env("COFFER_WEBDAV_PASSWORD", &password);
    let r: Run = c.output().expect("coffer runs").into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(&password), "{}", r.stdout);
    let report = a.json(&["sync"]);
    assert_eq!(report["pushed_entries"], 1, "{report}");
    let list = a.ok(&["remote", "list"]);
    assert!(!list.contains(&password), "{list}");

    // A clone asks for it the same way, and gets the note.
    let b = a.path("b");
    let mut c = coffer(a.tmp.path());
    c.args(["clone", &url])
        .arg(&b)
        .env("COFFER_PASSPHRASE", PASS)
        .env("COFFER_WEBDAV_PASSWORD", &password);
    let r: Run = c.output().expect("coffer runs").into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut c = coffer(a.tmp.path());
    c.arg("--vault")
        .arg(&b)
        .args(["show", &id])
        .env("COFFER_PASSPHRASE", PASS);
    let r: Run = c.output().expect("coffer runs").into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("behind a password"), "{}", r.stdout);
}

/// A failed `--json` run's single JSON document.
fn json_error(r: &Run) -> Value {
    assert_eq!(r.code, 1, "{}", r.stderr);
    serde_json::from_str(&r.stdout).expect("one JSON document")
}

/// `coffer pair DIR` on a new device and `coffer device add CODE` on one the user has: the code
/// goes one way, the answer the other, each through standard output and input; the new device
/// then holds every note under a passphrase of its own and is listed as paired.
#[test]
fn pair_a_device_through_the_cli() {
    use std::io::{BufRead, BufReader, Write};
    let a = Env::new();
    let remote = a.tmp.path().join("remote");
    a.ok(&["remote", "add", "home", remote.to_str().expect("utf-8")]);
    a.add("Before pairing", "from the first device", &[]);
    a.ok(&["sync"]);
    let b = a.tmp.path().join("b");
    let mut pair = coffer(a.tmp.path())
        .args(["pair"])
        .arg(&b)
        .args(["--name", "new laptop", "--yes"])
        .env("COFFER_PASSPHRASE", "the new device's own passphrase")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("coffer pair runs");
    let mut out = BufReader::new(pair.stdout.take().expect("stdout"));
    let mut code = String::new();
    out.read_line(&mut code).expect("the code");
    assert!(code.starts_with("coffer-pair-1:"), "{code}");
    // A mistyped code is refused with a specific error.
    let typo = a.run(&[
        "--json",
        "device",
        "add",
        &code.trim().replacen('A', "B", 2),
    ]);
    assert_eq!(typo.code, 1);
    assert!(typo.stdout.contains("bad_pairing"), "{}", typo.stdout);
    let added = a.run(&["device", "add", code.trim()]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(
        added.stderr.contains("the number to compare"),
        "{}",
        added.stderr
    );
    assert!(
        added
            .stdout
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    );
    let check = added
        .stderr
        .rsplit("it must then show this number: ")
        .next()
        .expect("the answer check")
        .trim()
        .to_string();
    assert_eq!(check.len(), 9, "{}", added.stderr);
    let mut stdin = pair.stdin.take().expect("stdin");
    stdin
        .write_all(added.stdout.as_bytes())
        .expect("the answer");
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).expect("pair's output");
    let status = pair.wait().expect("coffer pair ends");
    let mut err = String::new();
    if let Some(mut e) = pair.stderr.take() {
        std::io::Read::read_to_string(&mut e, &mut err).expect("stderr");
    }
    assert!(status.success(), "{err}");
    assert!(
        err.contains(&format!("a second number with the answer: {check}")),
        "{err}"
    );
    assert!(rest.contains("paired: 1 notes"), "{rest}");
    let listed = coffer(a.tmp.path())
        .arg("--vault")
        .arg(&b)
        .arg("list")
        .env("COFFER_PASSPHRASE", "the new device's own passphrase")
        .output()
        .expect("list");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("Before pairing"));
    a.ok(&["sync"]);
    let devices = a.ok(&["devices"]);
    assert!(
        devices.contains("new laptop") && devices.contains("by pairing, added by"),
        "{devices}"
    );
}

/// `coffer conflict`: a note changed on two devices in the same place shows both versions
/// part by part, refuses a --take count that does not fit, settles by --take (both versions
/// kept in the history), and keeps both versions as two notes with --keep-both.
#[test]
fn conflict_shows_both_versions_and_settles_them() {
    let a = Env::new();
    let remote = a.path("remote");
    let remote_s = remote.to_str().expect("UTF-8 temp path");
    let id = a.add("Trip", "intro\npack a hat\nend\n", &[]);
    a.ok(&["remote", "add", "home", remote_s]);
    a.ok(&["sync"]);
    let b_dir = a.path("b");
    let mut c = coffer(a.tmp.path());
    c.args(["clone", remote_s])
        .arg(&b_dir)
        .env("COFFER_PASSPHRASE", PASS);
    let r: Run = c.output().expect("coffer runs").into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let b = Env {
        tmp: tempfile::tempdir().expect("temp dir"),
        vault: b_dir,
    };
    let conflicted = |from_a: &str, from_b: &str| {
        assert_eq!(a.run_stdin(&["edit", &id], from_a).code, 0);
        assert_eq!(b.run_stdin(&["edit", &id], from_b).code, 0);
        a.ok(&["sync"]);
        b.ok(&["sync"]);
        assert_eq!(
            b.json(&["show", &id])["conflicts"].as_array().map(Vec::len),
            Some(1)
        );
    };
    conflicted("intro\npack a towel\nend\n", "intro\npack a map\nend\n");

    let shown = b.ok(&["conflict", &id]);
    assert!(shown.contains("[1] changed in both versions"), "{shown}");
    assert!(
        shown.contains("| pack a towel") && shown.contains("| pack a map"),
        "{shown}"
    );
    assert!(
        shown.contains("    intro"),
        "the unchanged lines are shown: {shown}"
    );
    let json = b.json(&["conflict", &id]);
    assert_eq!(json["parts"].as_array().map(Vec::len), Some(3), "{json}");
    assert_eq!(json["parts"][1]["change"], "both");

    let r = b.run(&["conflict", &id, "--take", "shown", "--take", "other"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("1 parts differ"), "{}", r.stderr);
    let r = b.run(&["conflict", &id, "--take", "sideways"]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    let settled = b.json(&["conflict", &id, "--take", "both"]);
    assert_eq!(settled["more"], 0);
    let note = b.json(&["show", &id]);
    let body = note["body"].as_str().expect("body");
    assert!(
        body.contains("pack a towel\npack a map\n") || body.contains("pack a map\npack a towel\n"),
        "{body}"
    );
    assert_eq!(note["conflicts"], serde_json::json!([]));
    let history = b.json(&["history", &id]);
    let current = history
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["current"] == true)
        .expect("a current revision");
    assert_eq!(
        current["parents"].as_array().map(Vec::len),
        Some(2),
        "{history}"
    );
    let r = b.run(&["--json", "conflict", &id]);
    assert_json_error(
        &r,
        "no_conflict",
        &format!("note {id} has only one current version: there is nothing to settle"),
    );

    b.ok(&["sync"]);
    a.ok(&["sync"]);
    conflicted("mine\n", "theirs\n");
    let kept = b.json(&["conflict", &id, "--keep-both"]);
    let copy = kept["kept_as"].as_str().expect("the new note's id");
    let bodies = [
        b.json(&["show", &id])["body"].clone(),
        b.json(&["show", copy])["body"].clone(),
    ];
    assert!(
        bodies.contains(&"mine\n".into()) && bodies.contains(&"theirs\n".into()),
        "{bodies:?}"
    );
    assert_eq!(b.json(&["show", copy])["title"], "Trip (other version)");
    assert_eq!(b.json(&["show", &id])["conflicts"], serde_json::json!([]));
}

/// `coffer notebook rename|rm|mv`, on nested notebooks.
#[test]
fn notebook_rename_rm_and_mv() {
    let env = Env::new();
    let plan = env.add("Plan", "p", &["--notebook", "Work/Plans"]);
    let memo = env.add("Memo", "m", &["--notebook", "Work"]);
    let loose = env.add("Loose", "l", &[]);
    let out = env.ok(&["notebook", "rename", "Work", "Job"]);
    assert_eq!(out, "renamed notebook \"Work\" to \"Job\" (2 note(s))\n");
    assert_eq!(env.json(&["show", &plan])["notebook"], "Job/Plans");
    let moved = env.json(&["notebook", "mv", &loose, "Job/Plans"]);
    assert_eq!(moved["notebook"], "Job/Plans");
    let list = env.json(&["list", "--notebook", "Job"]);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(3),
        "Job holds Job/Plans: {list}"
    );
    let r = env.run(&["--json", "notebook", "rm", "Nowhere"]);
    assert_json_error(
        &r,
        "no_such_notebook",
        "no notebook named \"Nowhere\" holds a note",
    );
    let gone = env.json(&["notebook", "rm", "Job/Plans"]);
    assert_eq!(gone["trashed"], 2);
    assert_eq!(env.json(&["show", &plan])["trashed"], true);
    assert_eq!(env.json(&["show", &memo])["trashed"], false);
    let out = env.ok(&["notebook", "mv", &memo, ""]);
    assert!(out.starts_with("took "), "{out}");
    assert_eq!(env.json(&["show", &memo])["notebook"], Value::Null);
}

/// A folder remote typed as `~/x` (quoted, so no shell expanded it) is the folder x in the
/// home folder, kept as that absolute path; no folder named "~" is made.
#[test]
fn a_remote_under_tilde_is_in_the_home_folder() {
    let env = Env::new();
    let added = env.json(&["remote", "add", "home", "~/coffer-remote"]);
    let want = env.tmp.path().join("coffer-remote");
    assert_eq!(added["url"], want.display().to_string());
    env.ok(&["sync"]);
    let inside: Vec<_> = std::fs::read_dir(&want)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        !inside.is_empty(),
        "the remote is in the home folder: {inside:?}"
    );
    assert!(!env.tmp.path().join("~").exists());
    let listed = env.json(&["remote", "list"]);
    assert_eq!(listed[0]["url"], want.display().to_string());
}

/// `coffer templates`, `coffer new TEMPLATE`, `coffer today`.
#[test]
fn templates_new_and_today() {
    let env = Env::new();
    assert!(env.ok(&["templates"]).starts_with("no templates yet"));
    env.run_stdin(
        &[
            "add",
            "--title",
            "Standup {{date}}",
            "--notebook",
            "Templates",
        ],
        "# {{title}}\nYesterday, today, blockers\n",
    );
    let made = env.json(&["new", "standup {{date}}", "--date", "2026-12-03"]);
    assert_eq!(made["title"], "Standup 2026-12-03");
    let id = made["id"].as_str().expect("id");
    assert_eq!(
        env.json(&["show", id])["body"],
        "# Standup 2026-12-03\nYesterday, today, blockers\n"
    );
    let r = env.run(&["new", "standup {{date}}", "--date", "tomorrow"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("is not a date written YYYY-MM-DD"),
        "{}",
        r.stderr
    );
    let first = env.json(&["today", "--date", "2026-12-03"]);
    assert_eq!(first["created"], true);
    let again = env.json(&["today", "--date", "2026-12-03"]);
    assert_eq!(
        (again["id"].clone(), again["created"].clone()),
        (first["id"].clone(), false.into())
    );
    // Without --date: today here, a date all the same.
    let now = env.json(&["today"]);
    assert_eq!(now["date"].as_str().map(str::len), Some(10), "{now}");
}
