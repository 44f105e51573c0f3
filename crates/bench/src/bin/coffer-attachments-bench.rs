//! `coffer-attachments-bench`: what reading attachments for search costs (issue 15).
//!
//! Makes a vault with PDFs and plain-text files attached to notes (written here; the PDFs
//! byte by byte), then reads every attachment's text as the app and the CLI do after an
//! unlock ([`Vault::next_attachment_to_read`]), timing the decryption and the reading of each
//! apart, by kind. Twice, each in a fresh process: with PDFs read in a child process (as the
//! app and the CLI read them) and in the same process (as a library user without
//! `serve_or_register` reads them), so that the cost of a child per PDF, and the memory it
//! keeps out of the reading process, are seen. Also the time of a search that finds a word
//! that only the attachments hold.
//!
//! `cargo run --release -p coffer-bench --bin coffer-attachments-bench -- [--pdfs 20] [--lines 400] [--texts 20]`
#![forbid(unsafe_code)]

use anyhow::{Context, Result, bail};
use clap::Parser;
use coffer_core::search::attachments::{Readable, pdf_reader};
use coffer_core::secrecy::SecretString;
use coffer_core::{InitOptions, LockedVault, NewNote, Vault};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Set (to anything) in the measuring process: PDFs are read in that process.
const IN_PROCESS: &str = "COFFER_BENCH_PDF_IN_PROCESS";

#[derive(Parser)]
#[command(name = "coffer-attachments-bench")]
struct Cli {
    /// PDFs attached.
    #[arg(long, default_value_t = 20)]
    pdfs: usize,
    /// Lines of text in each PDF (about 60 bytes each).
    #[arg(long, default_value_t = 400)]
    lines: usize,
    /// Plain-text files attached (64 KiB each).
    #[arg(long, default_value_t = 20)]
    texts: usize,
    /// Internal: measure the vault at this path (in a process of its own).
    #[arg(long, hide = true)]
    measure: Option<PathBuf>,
}

/// What one measuring process saw.
#[derive(Serialize, Deserialize)]
struct Measured {
    /// Decrypting each PDF, then reading its text (ms).
    pdf_decrypt: Vec<f64>,
    pdf_read: Vec<f64>,
    text_decrypt: Vec<f64>,
    text_read: Vec<f64>,
    /// Every attachment, start to end (ms).
    all_ms: f64,
    /// A search for a word only the attachments hold, after they were read (ms, median of 20).
    search_ms: f64,
    /// The process's peak resident memory (MiB).
    peak_rss_mib: f64,
}

fn pass() -> SecretString {
    SecretString::from("bench passphrase".to_string())
}

const WORDS: &[&str] = &[
    "invoice",
    "tenancy",
    "deposit",
    "quarterly",
    "statement",
    "insurance",
    "policy",
    "garden",
    "meeting",
    "budget",
    "passport",
    "renewal",
    "contract",
    "clause",
    "payment",
    "receipt",
    "account",
    "balance",
    "schedule",
    "delivery",
    "warranty",
    "repair",
    "doctor",
    "letter",
];

/// `n` lines of words, deterministic (a simple linear congruential sequence).
fn lines(n: usize, seed: u64) -> Vec<String> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            (0..8)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    WORDS[(x >> 33) as usize % WORDS.len()]
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn make_vault(dir: &Path, cli: &Cli) -> Result<PathBuf> {
    let root = dir.join("vault");
    let mut v = Vault::init(&root, &pass(), &InitOptions { work_factor: 10 })?;
    let files = dir.join("files");
    std::fs::create_dir(&files)?;
    let papers = v.create(NewNote {
        title: "Papers".into(),
        body: "Scanned papers.".into(),
        ..Default::default()
    })?;
    for i in 0..cli.pdfs {
        let mut text = lines(cli.lines, i as u64);
        // One word that only this bench's attachments hold, for the search.
        text[0].push_str(" zebrafinch");
        let refs: Vec<&str> = text.iter().map(String::as_str).collect();
        let path = files.join(format!("scan-{i}.pdf"));
        std::fs::write(&path, coffer_testkit::pdf_showing(&refs))?;
        v.attach(&papers, &path, None)?;
    }
    let logs = v.create(NewNote {
        title: "Logs".into(),
        body: "Exported logs.".into(),
        ..Default::default()
    })?;
    for i in 0..cli.texts {
        let mut text = String::new();
        let mut seed = 1000 + i as u64;
        while text.len() < 64 << 10 {
            for l in lines(64, seed) {
                text.push_str(&l);
                text.push('\n');
            }
            seed += 1;
        }
        text.truncate(64 << 10);
        let path = files.join(format!("log-{i}.txt"));
        std::fs::write(&path, text)?;
        v.attach(&logs, &path, None)?;
    }
    Ok(root)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn measure(root: &Path) -> Result<Measured> {
    let mut v = LockedVault::open(root)?.unlock(&pass())?;
    let mut m = Measured {
        pdf_decrypt: Vec::new(),
        pdf_read: Vec::new(),
        text_decrypt: Vec::new(),
        text_read: Vec::new(),
        all_ms: 0.0,
        search_ms: 0.0,
        peak_rss_mib: 0.0,
    };
    let all = Instant::now();
    loop {
        let t = Instant::now();
        let Some(next) = v.next_attachment_to_read() else {
            break;
        };
        let decrypt = ms(t);
        let kind = next.kind();
        let t = Instant::now();
        let text = next.read();
        let read = ms(t);
        if !text.has_text() {
            bail!("an attachment of the bench had no text");
        }
        v.keep_attachment_text(text);
        let (d, r) = match kind {
            Readable::Pdf => (&mut m.pdf_decrypt, &mut m.pdf_read),
            Readable::Text => (&mut m.text_decrypt, &mut m.text_read),
        };
        d.push(decrypt);
        r.push(read);
    }
    m.all_ms = ms(all);
    let mut searches = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let hits = v.search("zebrafinch", 50);
        searches.push(ms(t));
        if hits.is_empty() {
            bail!("the search found nothing");
        }
    }
    m.search_ms = median(searches);
    m.peak_rss_mib = peak_rss_mib();
    Ok(m)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pct(mut v: Vec<f64>, p: usize) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) * p).div_ceil(100)]
}

fn run(root: &Path, in_process: bool) -> Result<Measured> {
    let mut c = Command::new(std::env::current_exe()?);
    c.arg("--measure").arg(root);
    if in_process {
        c.env(IN_PROCESS, "1");
    }
    let out = c.output().context("running the measuring process")?;
    if !out.status.success() {
        bail!(
            "the measuring process failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn main() -> Result<()> {
    if std::env::var_os(IN_PROCESS).is_none() {
        pdf_reader::serve_or_register();
    }
    let cli = Cli::parse();
    if let Some(root) = &cli.measure {
        println!("{}", serde_json::to_string(&measure(root)?)?);
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let root = make_vault(dir.path(), &cli)?;
    let child = run(&root, false)?;
    let here = run(&root, true)?;
    println!(
        "{} PDFs of {} lines ({} KB each), {} text files of 64 KiB\n",
        cli.pdfs,
        cli.lines,
        coffer_testkit::pdf_showing(
            &lines(cli.lines, 0)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        )
        .len()
            / 1000,
        cli.texts
    );
    println!(
        "| PDFs read | PDF: decrypt p50 | PDF: read p50 / p90 | text: decrypt p50 | text: read p50 | all | search after | peak memory of the reading process |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, m) in [("in a child each", child), ("in the process", here)] {
        println!(
            "| {name} | {:.1} ms | {:.1} / {:.1} ms | {:.1} ms | {:.2} ms | {:.0} ms | {:.2} ms | {:.0} MiB |",
            median(m.pdf_decrypt.clone()),
            median(m.pdf_read.clone()),
            pct(m.pdf_read, 90),
            median(m.text_decrypt.clone()),
            median(m.text_read),
            m.all_ms,
            m.search_ms,
            m.peak_rss_mib
        );
    }
    Ok(())
}
