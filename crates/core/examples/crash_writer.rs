//! A writer that never stops: the victim of the crash-safety test (tests/crash.rs), which kills
//! it with SIGKILL at random moments and then checks the vault.
//!
//! ```text
//! COFFER_CRASH_PASSPHRASE=... crash_writer <vault> <scratch folder>
//! ```
//! Opens the vault (creating it with work factor 10 if the folder is absent), prints `ready`,
//! then creates, edits, trashes and restores notes, attaches files, and writes out the save
//! journal, forever. After each save
//! returns it prints `ack <note-id> <revision-id> <sha256 of the body>` and flushes, so every
//! acknowledged line names a revision that must survive any crash after it was printed.
//! It prints nothing else on stdout; errors go to stderr and end the process with status 1.
//!
//! With `COFFER_CRASH_MODE=remove` it instead removes the vault's other devices one by one,
//! printing `removed <device-id>` after each removal returns, and saves a new note after each
//! (acknowledged as above): the crash test of a removal and its new key generation.
//! With `COFFER_CRASH_MODE=join` it joins the vault on the remote `$COFFER_CRASH_REMOTE` into
//! `<vault>` (as `coffer join` does), and with `COFFER_CRASH_MODE=open` it unlocks `<vault>`
//! (which upgrades a vault of the first format); either prints `done` and ends.

use coffer_core::secrecy::SecretString;
use coffer_core::{Id, InitOptions, LockedVault, NewNote, NoteChange, NoteFilter, Vault};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A small deterministic generator seeded from the OS (the writer needs variety, not secrecy).
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).expect("the operating system's random source failed");
        Rng(u64::from_le_bytes(b) | 1)
    }
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "coffer",
    "note",
    "—",
    "naïve",
    "日本語",
    "🙂",
    "---",
    "# heading",
    "- item",
    "[[link]]",
    "\n",
    "\n\n",
    "tab\there",
    "ünïcödé",
    "end.",
];

fn text(rng: &mut Rng, max_words: u64) -> String {
    let n = rng.below(max_words + 1);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        s.push(' ');
    }
    s
}

fn ack(vault: &Vault, note: &Id) -> coffer_core::Result<()> {
    let n = vault.note(note)?;
    let sha = coffer_core::crypto::sha256_hex(n.body.as_bytes());
    let mut out = std::io::stdout().lock();
    writeln!(out, "ack {} {} {sha}", n.id, n.revision)
        .and_then(|_| out.flush())
        .map_err(|e| coffer_core::Error::Invalid(format!("stdout: {e}")))
}

fn open(dir: &Path, pass: &SecretString) -> coffer_core::Result<Vault> {
    if dir.exists() {
        LockedVault::open(dir)?.unlock(pass)
    } else {
        Vault::init(dir, pass, &InitOptions { work_factor: 10 })
    }
}

/// Removes the other devices one at a time, saving a note after each removal.
fn remove_devices(vault: &mut Vault) -> coffer_core::Result<()> {
    let mut rng = Rng::new();
    loop {
        let next = vault
            .device_list()?
            .into_iter()
            .find(|d| !d.this_device && d.name.is_some() && d.removed.is_none());
        if let Some(d) = next {
            vault.remove_device(&d.id.to_string())?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "removed {}", d.id)
                .and_then(|_| out.flush())
                .map_err(|e| coffer_core::Error::Invalid(format!("stdout: {e}")))?;
        }
        let id = vault.create(NewNote {
            title: text(&mut rng, 3),
            body: text(&mut rng, 50),
            ..Default::default()
        })?;
        ack(vault, &id)?;
    }
}

fn run(dir: &Path, scratch: &Path, pass: &SecretString) -> coffer_core::Result<()> {
    let mode = std::env::var("COFFER_CRASH_MODE").unwrap_or_default();
    if mode == "join" || mode == "open" {
        println!("ready");
        let _ = std::io::stdout().flush();
        if mode == "join" {
            let remote = std::env::var("COFFER_CRASH_REMOTE")
                .map_err(|_| coffer_core::Error::Invalid("set COFFER_CRASH_REMOTE".into()))?;
            Vault::join_from(&remote, dir, pass, None, Some("joining"), &mut |_| {})?;
        } else {
            LockedVault::open(dir)?.unlock(pass)?;
        }
        println!("done");
        let _ = std::io::stdout().flush();
        return Ok(());
    }
    let mut vault = open(dir, pass)?;
    if std::env::var("COFFER_CRASH_MODE").as_deref() == Ok("remove") {
        println!("ready");
        std::io::stdout()
            .flush()
            .map_err(|e| coffer_core::Error::Invalid(format!("stdout: {e}")))?;
        return remove_devices(&mut vault);
    }
    let mut rng = Rng::new();
    std::fs::create_dir_all(scratch).map_err(|e| coffer_core::Error::Invalid(e.to_string()))?;
    println!("ready");
    std::io::stdout()
        .flush()
        .map_err(|e| coffer_core::Error::Invalid(format!("stdout: {e}")))?;
    loop {
        let live: Vec<Id> = vault
            .list(&NoteFilter::default())
            .iter()
            .map(|n| n.id)
            .collect();
        let trashed: Vec<Id> = vault
            .list(&NoteFilter {
                trash: true,
                ..Default::default()
            })
            .iter()
            .map(|n| n.id)
            .collect();
        let pick = |rng: &mut Rng, ids: &[Id]| ids[rng.below(ids.len() as u64) as usize];
        match rng.below(23) {
            0..=5 => {
                let id = vault.create(NewNote {
                    title: text(&mut rng, 4),
                    body: text(&mut rng, 400),
                    tags: vec![text(&mut rng, 1)],
                    ..Default::default()
                })?;
                ack(&vault, &id)?;
            }
            6 => {
                let notes = (0..1 + rng.below(5))
                    .map(|_| NewNote {
                        title: text(&mut rng, 3),
                        body: text(&mut rng, 50),
                        ..Default::default()
                    })
                    .collect();
                for id in vault.create_many(notes)? {
                    ack(&vault, &id)?;
                }
            }
            7..=14 if !live.is_empty() => {
                let id = pick(&mut rng, &live);
                vault.update(
                    &id,
                    NoteChange {
                        body: Some(text(&mut rng, 2000)),
                        title: (rng.below(3) == 0).then(|| text(&mut rng, 4)),
                        ..Default::default()
                    },
                )?;
                ack(&vault, &id)?;
            }
            15 | 16 if !live.is_empty() => {
                let id = pick(&mut rng, &live);
                let file = scratch.join(format!("attachment-{}.bin", rng.below(4)));
                let mut bytes = vec![0u8; rng.below(96 * 1024) as usize];
                bytes.iter_mut().for_each(|b| *b = rng.next() as u8);
                std::fs::write(&file, &bytes)
                    .map_err(|e| coffer_core::Error::Invalid(e.to_string()))?;
                vault.attach(&id, &file, None)?;
                ack(&vault, &id)?;
            }
            17 if !live.is_empty() => {
                let id = pick(&mut rng, &live);
                vault.trash(&id)?;
                ack(&vault, &id)?;
            }
            18 if !trashed.is_empty() => {
                let id = pick(&mut rng, &trashed);
                vault.restore(&id)?;
                ack(&vault, &id)?;
            }
            19 => vault.save_snapshot()?,
            // Note saves go to the journal; kills also land while it is written out.
            20 | 21 => vault.checkpoint()?,
            _ => {}
        }
    }
}

fn main() {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(dir), Some(scratch)) = (args.next(), args.next()) else {
        eprintln!("usage: COFFER_CRASH_PASSPHRASE=... crash_writer <vault> <scratch folder>");
        std::process::exit(2);
    };
    let Some(pass) = std::env::var("COFFER_CRASH_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty())
    else {
        eprintln!("crash_writer: set COFFER_CRASH_PASSPHRASE");
        std::process::exit(2);
    };
    let pass = SecretString::from(pass);
    if let Err(e) = run(&dir, &scratch, &pass) {
        eprintln!("crash_writer: {} ({})", e, e.code());
        std::process::exit(1);
    }
}
