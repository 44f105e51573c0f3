//! `coffer-messages-bench`: the two measurements of issue 5.
//!
//! 1. Send-to-receive latency through a local S3 remote: Alice sends (sign, encrypt, PUT into
//!    Bob's inbox, commit her copy), then Bob receives (LIST, GET, check, commit, DELETE);
//!    timed per message, end to end. Needs the S3 server of `scripts/sync-servers`:
//!    `scripts/sync-servers -- cargo run --release -p coffer-bench --bin coffer-messages-bench`.
//! 2. Opening a conversation of N messages (default 10 000): after a fresh unlock, with the
//!    message cache (`local/messages.age`) and without it (everything read from the log), and
//!    again in the same session.
#![forbid(unsafe_code)]

use anyhow::{Context, Result};
use clap::Parser;
use coffer_core::messages::{Draft, Via};
use coffer_core::secrecy::SecretString;
use coffer_core::sync::{Credentials, RemotePurpose};
use coffer_core::{InitOptions, LockedVault, Vault};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "coffer-messages-bench")]
struct Cli {
    /// Messages sent through S3, one at a time.
    #[arg(long, default_value_t = 50)]
    rounds: usize,
    /// Messages in the conversation that is opened.
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
    /// Skip the S3 latency measurement.
    #[arg(long)]
    no_s3: bool,
    /// Folder for the vaults (default: a temporary folder).
    #[arg(long)]
    work_dir: Option<std::path::PathBuf>,
}

fn pass() -> SecretString {
    SecretString::from("bench passphrase".to_string())
}

fn person(dir: &Path, name: &str) -> Result<Vault> {
    let mut v = Vault::init(&dir.join(name), &pass(), &InitOptions { work_factor: 10 })?;
    v.set_display_name(name)?;
    Ok(v)
}

fn introduce(a: &mut Vault, b: &mut Vault) -> Result<()> {
    let (ca, cb) = (a.my_card()?, b.my_card()?);
    a.add_contact(&cb.encode(), cb.name())?;
    b.add_contact(&ca.encode(), ca.name())?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms (n = {})",
        at(0.5),
        at(0.95),
        v[0],
        v[v.len() - 1],
        v.len()
    )
}

/// The messaging benchmark as one script, step after step (two vaults, cards exchanged, then
/// each measurement in turn), so a reader follows it top to bottom.
fn main() -> Result<()> {
    let cli = Cli::parse();
    let tmp = tempfile::tempdir()?;
    let dir = cli
        .work_dir
        .clone()
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;

    if !cli.no_s3 {
        let url = std::env::var("COFFER_TEST_S3_URL").context(
            "COFFER_TEST_S3_URL is not set: run under scripts/sync-servers -- ... (or pass --no-s3)",
        )?;
        let creds =
            || Credentials::from_env().expect("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        let mut alice = person(&dir, "alice-s3")?;
        let mut bob = person(&dir, "bob-s3")?;
        introduce(&mut alice, &mut bob)?;
        alice.add_remote_for("shared", &url, Some(creds()), RemotePurpose::Messages)?;
        bob.add_remote_for("shared", &url, Some(creds()), RemotePurpose::Messages)?;
        let (ra, rb) = (alice.open_remote("shared")?, bob.open_remote("shared")?);
        let (mut send, mut receive, mut total) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..cli.rounds {
            let t0 = Instant::now();
            alice.send(
                &["bob-s3"],
                Draft::text(format!("message {i}: {}", "words ".repeat(40))),
                Via::Remote {
                    remote: &ra,
                    name: "shared",
                },
            )?;
            let t1 = Instant::now();
            let r = bob.receive_from(&rb, "shared")?;
            let t2 = Instant::now();
            anyhow::ensure!(r.received.len() == 1, "message {i} did not arrive: {r:?}");
            send.push(ms(t1 - t0));
            receive.push(ms(t2 - t1));
            total.push(ms(t2 - t0));
        }
        println!("send-to-receive through local S3 (SeaweedFS on 127.0.0.1):");
        println!("  send:    {}", summary(send));
        println!("  receive: {}", summary(receive));
        println!("  total:   {}", summary(total));
    }

    // A conversation of N messages, built as Alice's sent copies (each its own commit).
    let mut alice = person(&dir, "alice")?;
    let mut bob = person(&dir, "bob")?;
    introduce(&mut alice, &mut bob)?;
    let t = Instant::now();
    let mut conversation = None;
    for i in 0..cli.messages {
        let sent = alice.send(
            &["bob"],
            Draft {
                body: format!("message {i}: the quick brown fox jumps over the lazy dog"),
                attachments: vec![],
                conversation,
            },
            Via::Armor,
        )?;
        conversation = Some(sent.message.conversation);
    }
    let conversation = conversation.context("no messages")?;
    alice.save_messages_cache()?;
    println!(
        "built a conversation of {} messages in {:.1} s",
        cli.messages,
        t.elapsed().as_secs_f64()
    );
    let root = alice.root().to_path_buf();
    drop(alice);
    let open = |with_cache: bool| -> Result<(f64, f64, Vault)> {
        if !with_cache {
            let _ = std::fs::remove_file(root.join("local/messages.age"));
        }
        let t0 = Instant::now();
        let mut v = LockedVault::open(&root)?.unlock(&pass())?;
        let t1 = Instant::now();
        let n = v.thread(&conversation)?.len();
        let t2 = Instant::now();
        anyhow::ensure!(n == cli.messages, "{n} messages");
        Ok((ms(t1 - t0), ms(t2 - t1), v))
    };
    let (_, cold, mut v) = open(false)?;
    v.save_messages_cache()?;
    drop(v);
    let mut warm = Vec::new();
    let mut again = Vec::new();
    let mut unlock = Vec::new();
    for _ in 0..5 {
        let (u, first, mut v) = open(true)?;
        unlock.push(u);
        warm.push(first);
        let t = Instant::now();
        v.thread(&conversation)?;
        again.push(ms(t.elapsed()));
    }
    println!("opening a conversation of {} messages:", cli.messages);
    println!("  without the cache (read from the log): {cold:.0} ms");
    println!("  unlock (scrypt 2^10, notes):  {}", summary(unlock));
    println!("  with the cache, first open:   {}", summary(warm));
    println!("  again in the same session:    {}", summary(again));
    Ok(())
}
