//! Contacts and messages from the command line: two people, each with a vault, exchanging cards,
//! verifying, and sending through a shared folder remote and as armored text.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PASS: &str = "correct horse";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Person {
    vault: PathBuf,
}

fn run(vault: &Path, args: &[&str], stdin: &str) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coffer"));
    c.arg("--vault")
        .arg(vault)
        .args(args)
        .env_remove("COFFER_VAULT")
        .env("COFFER_PASSPHRASE", PASS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("coffer runs");
    let mut input = child.stdin.take().expect("piped stdin");
    input.write_all(stdin.as_bytes()).expect("writes stdin");
    drop(input);
    let o = child.wait_with_output().expect("coffer finishes");
    Run {
        code: o.status.code().expect("exited"),
        stdout: String::from_utf8(o.stdout).expect("UTF-8"),
        stderr: String::from_utf8(o.stderr).expect("UTF-8"),
    }
}

impl Person {
    fn new(dir: &Path, name: &str) -> Person {
        let vault = dir.join(name);
        let r = run(&vault, &["init", "--work-factor", "10"], "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        let p = Person { vault };
        p.ok(&["contact", "card", "--name", name], "");
        p
    }

    fn run(&self, args: &[&str], stdin: &str) -> Run {
        run(&self.vault, args, stdin)
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let r = self.run(args, stdin);
        assert_eq!(r.code, 0, "coffer {args:?} failed: {}", r.stderr);
        r.stdout
    }

    fn json(&self, args: &[&str], stdin: &str) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a, stdin)).expect("JSON output")
    }

    /// Runs a command that must fail with `code`; returns the message.
    fn fails(&self, args: &[&str], stdin: &str, code: &str) -> String {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let r = self.run(&a, stdin);
        assert_eq!(r.code, 1, "coffer {args:?} should fail: {}", r.stdout);
        let v: Value = serde_json::from_str(&r.stdout).expect("a JSON error");
        assert_eq!(v["error"]["code"], code, "{}", r.stdout);
        v["error"]["message"]
            .as_str()
            .expect("a message")
            .to_string()
    }

    fn card(&self) -> String {
        self.ok(&["contact", "card"], "").trim().to_string()
    }
}

#[test]
fn two_people_exchange_cards_verify_and_message() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let alice = Person::new(tmp.path(), "Alice");
    let bob = Person::new(tmp.path(), "Bob");
    let (ca, cb) = (alice.card(), bob.card());
    assert!(ca.starts_with("coffer-card1:"));
    alice.ok(&["contact", "add", &cb, "--name", "Bob"], "");
    let added = bob.json(&["contact", "add", &ca, "--name", "Alice"], "");
    assert_eq!(added["name"], "Alice");
    assert_eq!(added["verified"], false);

    // Both see the same safety number; verify needs --yes when not asked on a terminal.
    let sa = alice.json(&["contact", "show", "Bob"], "");
    let sb = bob.json(&["contact", "show", "alice"], "");
    assert_eq!(sa["safety_number"]["digits"], sb["safety_number"]["digits"]);
    let r = alice.run(&["contact", "verify", "Bob"], "");
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("not marked verified"), "{}", r.stdout);
    let v = alice.json(&["contact", "verify", "Bob", "--yes"], "");
    assert_eq!(v["verified"], true);
    let list = alice.ok(&["contact", "list"], "");
    assert!(
        list.starts_with("Bob  ") && list.contains("  verified"),
        "{list}"
    );

    // Armored: the block on stdout, opened from stdin; a second paste is a duplicate.
    let block = alice.ok(&["send", "Bob", "--armor"], "Hello *Bob*\n");
    assert!(block.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    let shown = bob.ok(&["open-armored"], &format!("  {block}  "));
    assert!(
        shown.contains("Alice") && shown.contains("Hello *Bob*"),
        "{shown}"
    );
    let msg = bob.fails(&["open-armored"], &block, "duplicate_message");
    assert!(msg.contains("already received"), "{msg}");
    bob.fails(&["open-armored"], "not a block", "bad_armor");

    // Through a shared folder remote: send, inbox, thread.
    let shared = tmp.path().join("shared");
    let url = shared.display().to_string();
    for p in [&alice, &bob] {
        p.ok(&["remote", "add", "shared", &url, "--messages"], "");
    }
    // Roles: the vault never syncs into the shared place, messages never go through the
    // vault's own remote, and with one shared remote `send` picks it over a sync remote.
    let own = tmp.path().join("bob-own").display().to_string();
    bob.ok(&["remote", "add", "home", &own], "");
    let msg = bob.fails(&["sync", "shared"], "", "wrong_remote_purpose");
    assert!(msg.contains("shared with contacts"), "{msg}");
    let msg = bob.fails(
        &["send", "Alice", "--remote", "home"],
        "psst",
        "wrong_remote_purpose",
    );
    assert!(msg.contains("--messages"), "{msg}");
    let listed = bob.ok(&["remote", "list"], "");
    assert!(listed.contains("shared  messages (shared)"), "{listed}");
    assert!(listed.contains("home  sync"), "{listed}");
    let body = tmp.path().join("body.md");
    std::fs::write(&body, "see you at noon").expect("writes");
    bob.ok(
        &["send", "Alice", "--file", body.to_str().expect("UTF-8")],
        "",
    );
    let inbox = alice.ok(&["inbox"], "");
    assert!(
        inbox.contains("NEW") && inbox.contains("see you at noon"),
        "{inbox}"
    );
    assert!(inbox.contains("1 unread"), "{inbox}");
    let again = alice.json(&["inbox", "--remote", "shared"], "");
    assert_eq!(
        again["received"]["received"].as_array().map(Vec::len),
        Some(0)
    );
    let thread = alice.json(&["thread", "Bob"], "");
    let bodies: Vec<&str> = thread
        .as_array()
        .expect("an array")
        .iter()
        .map(|m| m["body"].as_str().expect("a body"))
        .collect();
    assert_eq!(bodies, ["Hello *Bob*\n", "see you at noon"]);
    assert!(alice.ok(&["inbox", "--local"], "").contains("0 unread"));
    let hits = alice.json(&["search-messages", "noo"], "");
    assert_eq!(hits.as_array().map(Vec::len), Some(1));
    // `coffer search` lists the messages found in their own group, after the notes.
    alice.ok(&["add", "--title", "Lunch at noon"], "with Bob");
    let all = alice.json(&["search", "noon"], "");
    let kinds: Vec<&str> = all
        .as_array()
        .expect("an array")
        .iter()
        .map(|h| h["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(kinds, ["note", "message"]);
    assert_eq!(all[1]["message"]["body"], "see you at noon");
    assert!(
        all[1]["snippet"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x["hit"] == true))
    );
    let text = alice.ok(&["search", "noon"], "");
    assert!(text.contains("\nmessages (1):\n"), "{text}");
    assert!(text.contains("see you at noon"), "{text}");

    // Share a note; the recipient saves it as a note.
    let id = alice.ok(&["add", "--title", "Plan", "--tag", "trip"], "go north");
    let block = alice.ok(&["share", id.trim(), "Bob", "--armor"], "");
    let m = bob.json(&["open-armored"], &block);
    assert_eq!(m["note"]["title"], "Plan");
    let note = bob.json(&["save-note", m["id"].as_str().expect("an id")], "");
    let shown = bob.ok(&["show", note["id"].as_str().expect("an id")], "");
    assert!(
        shown.contains("Plan") && shown.contains("go north"),
        "{shown}"
    );
}

#[test]
fn bad_cards_and_strangers_get_clear_errors() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let alice = Person::new(tmp.path(), "Alice");
    let bob = Person::new(tmp.path(), "Bob");
    let mallory = Person::new(tmp.path(), "Mallory");
    let cb = bob.card();
    let msg = alice.fails(
        &["contact", "add", &cb[..cb.len() - 2], "--name", "Bob"],
        "",
        "bad_card",
    );
    assert!(msg.contains("missing"), "{msg}");
    alice.fails(
        &["contact", "add", "hello", "--name", "Bob"],
        "",
        "bad_card",
    );
    alice.fails(&["send", "Bob", "--armor"], "hi", "no_such_contact");
    alice.ok(&["contact", "add", &cb, "--name", "Bob"], "");
    alice.fails(
        &["contact", "add", &cb, "--name", "Bob2"],
        "",
        "contact_exists",
    );
    // Mallory's card under the name Bob: a key change, refused unless --replace.
    let cm = mallory.card();
    let r = alice.run(&["contact", "add", &cm, "--name", "Bob"], "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--replace"), "{}", r.stderr);
    // A stranger's message is refused and not stored.
    mallory.ok(&["contact", "add", &alice.card(), "--name", "Alice"], "");
    let block = mallory.ok(&["send", "Alice", "--armor"], "trust me");
    let msg = alice.fails(&["open-armored"], &block, "unknown_sender");
    assert!(msg.contains("Mallory"), "{msg}");
    assert_eq!(
        alice.json(&["inbox", "--local"], "")["conversations"],
        Value::Array(vec![])
    );
    // Accepting new keys on purpose flags the contact until verified again.
    let c = alice.json(&["contact", "add", &cm, "--name", "Bob", "--replace"], "");
    assert_eq!(
        (c["key_changed"].clone(), c["verified"].clone()),
        (Value::Bool(true), Value::Bool(false))
    );
    assert!(alice.ok(&["contact", "list"], "").contains("KEYS CHANGED"));
}

#[test]
fn a_removed_contact_is_gone_its_messages_are_held_and_it_can_be_added_again() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let alice = Person::new(tmp.path(), "Alice");
    let bob = Person::new(tmp.path(), "Bob");
    let (ca, cb) = (alice.card(), bob.card());
    alice.ok(&["contact", "add", &cb, "--name", "Bob"], "");
    bob.ok(&["contact", "add", &ca, "--name", "Alice"], "");
    let url = tmp.path().join("shared").display().to_string();
    for p in [&alice, &bob] {
        p.ok(&["remote", "add", "shared", &url, "--messages"], "");
    }
    bob.ok(&["send", "Alice"], "before");
    let inbox = alice.json(&["inbox"], "");
    let conversation = inbox["conversations"][0]["id"]
        .as_str()
        .expect("a conversation")
        .to_string();

    let removed = alice.json(&["contact", "rm", "Bob"], "");
    assert_eq!(removed["name"], "Bob");
    let id = removed["id"].as_str().expect("an id").to_string();
    assert_eq!(alice.json(&["contact", "list"], ""), Value::Array(vec![]));
    let msg = alice.fails(&["send", "Bob", "--armor"], "hi", "no_such_contact");
    assert_eq!(msg, "no contact matches \"Bob\"; see `coffer contact list`");
    let msg = alice.fails(&["contact", "rm", "Bob"], "", "no_such_contact");
    assert_eq!(msg, "no contact matches \"Bob\"; see `coffer contact list`");
    // The conversation stays readable; its sender now shows as unknown.
    let thread = alice.json(&["thread", &conversation[..8]], "");
    assert_eq!(thread[0]["body"], "before");
    assert_eq!(thread[0]["from"]["status"], "unknown");
    // A new message from Bob's keys is held like a stranger's.
    bob.ok(&["send", "Alice"], "after");
    let inbox = alice.ok(&["inbox"], "");
    assert!(
        // (Not "NEW" anywhere: the held message's card, random base64, may hold those letters.)
        inbox.contains("HELD (not stored) from UNKNOWN")
            && !inbox.lines().any(|l| l.starts_with("NEW ")),
        "{inbox}"
    );

    // Added again: the same contact, not verified; the held message now comes in.
    let again = alice.json(&["contact", "add", &cb, "--name", "Bob"], "");
    assert_eq!(
        (again["id"].as_str(), again["verified"].as_bool()),
        (Some(id.as_str()), Some(false))
    );
    let inbox = alice.json(&["inbox"], "");
    assert_eq!(inbox["received"]["received"][0]["body"], "after");
    // `remove` is the same command.
    let out = alice.ok(&["contact", "remove", "bob"], "");
    assert!(out.starts_with("removed Bob  "), "{out}");
    assert_eq!(alice.ok(&["contact", "list"], ""), "");
}

/// The message files in every inbox of a shared folder remote.
fn inbox_files(shared: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(folders) = std::fs::read_dir(shared.join("inbox")) else {
        return out;
    };
    for f in folders {
        for m in std::fs::read_dir(f.expect("an inbox").path()).expect("lists") {
            out.push(m.expect("a file").path());
        }
    }
    out.sort();
    out
}

#[test]
fn inbox_discard_held_deletes_what_the_check_held_and_says_how_many() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let alice = Person::new(tmp.path(), "Alice");
    let bob = Person::new(tmp.path(), "Bob");
    let mallory = Person::new(tmp.path(), "Mallory");
    let (ca, cb) = (alice.card(), bob.card());
    alice.ok(&["contact", "add", &cb, "--name", "Bob"], "");
    bob.ok(&["contact", "add", &ca, "--name", "Alice"], "");
    mallory.ok(&["contact", "add", &ca, "--name", "Alice"], "");
    mallory.ok(&["contact", "add", &cb, "--name", "Bob"], "");
    let shared = tmp.path().join("shared");
    let url = shared.display().to_string();
    for p in [&alice, &bob, &mallory] {
        p.ok(&["remote", "add", "shared", &url, "--messages"], "");
    }
    // Without a shared remote there is nothing to discard.
    let r = Person::new(tmp.path(), "Carol").run(&["inbox", "--discard-held"], "");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "no remote shared for messages: add one with `coffer remote add NAME URL --messages`"
        ),
        "{}",
        r.stderr
    );
    let r = alice.run(&["inbox", "--local", "--discard-held"], "");
    assert_eq!(r.code, 2, "{}", r.stderr);

    mallory.ok(&["send", "Alice"], "buy now");
    mallory.ok(&["send", "Alice"], "buy now!!");
    mallory.ok(&["send", "Bob"], "buy now, Bob");
    bob.ok(&["send", "Alice"], "lunch?");
    assert_eq!(inbox_files(&shared).len(), 4);
    let r = alice.json(&["inbox", "--discard-held"], "");
    assert_eq!(r["received"]["received"][0]["body"], "lunch?");
    assert_eq!(r["received"]["held"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["discarded"], 2);
    // Only Bob's copy of Mallory's message is left: Alice's inbox is empty.
    let left = inbox_files(&shared);
    assert_eq!(left.len(), 1, "{left:?}");
    let bobs = bob.json(&["inbox"], "");
    assert_eq!(bobs["received"]["held"].as_array().map(Vec::len), Some(1));
    assert_eq!(bobs["discarded"], Value::Null);
    assert_eq!(inbox_files(&shared), left);

    mallory.ok(&["send", "Alice"], "last chance");
    let out = alice.ok(&["inbox", "--discard-held"], "");
    assert!(
        out.contains("HELD (not stored) from UNKNOWN")
            && out.contains("discarded 1 held message from your inbox\n"),
        "{out}"
    );
    let out = alice.ok(&["inbox", "--discard-held"], "");
    assert!(
        out.starts_with("no new messages\ndiscarded 0 held messages from your inbox\n"),
        "{out}"
    );
    assert_eq!(inbox_files(&shared), left);
}
