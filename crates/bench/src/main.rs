//! `coffer-bench`: generates vaults of several sizes and measures, side by side in one run,
//! opening (with and without the snapshot, against decrypting every object with age), search
//! latency, durable save latency (against bare durable writes) and peak memory.
//!
//! Each measurement runs in a child process of this same binary, so each one's peak RSS
//! (VmHWM) is its own. Prints a Markdown table and writes JSON (and optionally an SVG chart).
#![forbid(unsafe_code)]

mod notegen;
mod phases;
mod report;
mod stats;
mod sys;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use phases::Paths;
use report::{Report, Settings, SizeResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "coffer-bench", about = "Benchmarks of Coffer's vault core")]
struct Cli {
    #[command(subcommand)]
    phase: Option<PhaseCmd>,
    /// Vault sizes, in notes.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    sizes: Vec<usize>,
    /// Where to write the results as JSON.
    #[arg(long, default_value = "target/coffer-bench/results.json")]
    json: PathBuf,
    /// Where to write the Markdown table (it is printed on stdout too).
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Where to write an SVG chart of the results.
    #[arg(long)]
    chart: Option<PathBuf>,
    /// Folder to create the vaults in (a temporary folder inside it; removed afterwards).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Build each vault here (e.g. /dev/shm) and copy it into the work folder afterwards: for
    /// disks whose fsyncs make `create_many` too slow. Every measurement still runs on the
    /// work folder's disk.
    #[arg(long)]
    gen_dir: Option<PathBuf>,
    /// Keep the generated vaults.
    #[arg(long)]
    keep: bool,
    /// Saves measured per size.
    #[arg(long, default_value_t = 200)]
    saves: usize,
    /// Rounds over the search queries per size.
    #[arg(long, default_value_t = 25)]
    search_rounds: usize,
    /// Only redo the table, chart and goals from an earlier results file (no measuring).
    #[arg(long)]
    from_json: Option<PathBuf>,
    /// Seed of the generated notes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The share of notes written in Chinese or Japanese, half each (0 to 1; the multilingual
    /// corpus is 0.33), and more search queries in those languages.
    #[arg(long, default_value_t = 0.0)]
    cjk_share: f64,
}

/// One measurement, run in a child process; prints its result as one JSON line.
#[derive(Subcommand)]
enum PhaseCmd {
    #[command(hide = true)]
    Phase {
        #[arg(value_enum)]
        name: PhaseName,
        #[arg(long)]
        root: PathBuf,
        #[arg(long)]
        size: usize,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        #[arg(long, default_value_t = 200)]
        saves: usize,
        #[arg(long, default_value_t = 25)]
        rounds: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        stage: Option<PathBuf>,
        #[arg(long, default_value_t = 0.0)]
        cjk_share: f64,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum PhaseName {
    Generate,
    Baseline,
    OpenSnapshot,
    OpenLog,
    Search,
    Ranking,
    Save,
    Scrub,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(PhaseCmd::Phase {
        name,
        root,
        size,
        reps,
        saves,
        rounds,
        seed,
        stage,
        cjk_share,
    }) = cli.phase
    {
        let paths = Paths { root };
        let queries = phases::queries(cjk_share > 0.0);
        let json = match name {
            PhaseName::Generate => to_json(&phases::generate(
                &paths,
                size,
                seed,
                stage.as_deref(),
                cjk_share,
            )?),
            PhaseName::Baseline => to_json(&phases::baseline(&paths, reps)?),
            PhaseName::OpenSnapshot => to_json(&phases::open(&paths, true, reps)?),
            PhaseName::OpenLog => to_json(&phases::open(&paths, false, reps)?),
            PhaseName::Search => to_json(&phases::search(&paths, rounds, &queries)?),
            PhaseName::Ranking => to_json(&phases::ranking(&paths, rounds, &queries)?),
            PhaseName::Save => to_json(&phases::save(&paths, saves, seed)?),
            PhaseName::Scrub => to_json(&phases::scrub(&paths, reps)?),
        }?;
        println!("{json}");
        return Ok(());
    }
    run(cli)
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    Ok(serde_json::to_string(v)?)
}

/// Every size in turn, each phase in its own child process, then the report. One function, on
/// purpose: the run's script, in the order it measures.
fn run(cli: Cli) -> Result<()> {
    if let Some(p) = &cli.from_json {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let mut report: Report = serde_json::from_str(&text)?;
        report.evaluate_goals();
        return write_outputs(&report, &cli, true);
    }
    if cli.sizes.is_empty() || cli.sizes.contains(&0) {
        bail!("--sizes needs positive numbers of notes, e.g. --sizes 1000,10000,100000");
    }
    if cli.saves == 0 || cli.search_rounds == 0 {
        bail!("--saves and --search-rounds must be at least 1");
    }
    let base = std::path::absolute(cli.work_dir.clone().unwrap_or_else(std::env::temp_dir))?;
    std::fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
    let work = tempfile::Builder::new()
        .prefix("coffer-bench-")
        .tempdir_in(&base)?;
    let started = Instant::now();
    let mut report = Report {
        date: sys::today(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        machine: sys::Machine::read(work.path()),
        settings: Settings {
            work_factor: phases::WORK_FACTOR,
            batch: phases::BATCH,
            seed: cli.seed,
            saves: cli.saves,
            search_rounds: cli.search_rounds,
            cjk_share: cli.cjk_share,
        },
        ..Report::default()
    };
    eprintln!(
        "coffer-bench: {} cores, {}, vaults in {}",
        report.machine.cpus,
        report.machine.cpu_model,
        work.path().display()
    );
    for &n in &cli.sizes {
        let paths = Paths {
            root: work.path().join(format!("n{n}")),
        };
        let big = n >= 50_000;
        let child = |name: &str, reps: usize| -> Result<String> {
            eprintln!("[{n} notes] {name}…");
            let t = Instant::now();
            let out = run_child(&paths.root, n, name, reps, &cli)?;
            eprintln!(
                "[{n} notes] {name} done in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            Ok(out)
        };
        let generate = parse(&child("generate", 1)?)?;
        let baseline = parse(&child("baseline", if big { 2 } else { 3 })?)?;
        let open_snapshot = parse(&child("open-snapshot", if big { 3 } else { 5 })?)?;
        let open_log = parse(&child("open-log", if big { 2 } else { 3 })?)?;
        let search = parse(&child("search", 1)?)?;
        let ranking = parse(&child("ranking", 1)?)?;
        let scrub = parse(&child("scrub", if big { 3 } else { 5 })?)?;
        let save = parse(&child("save", 1)?)?;
        report.sizes.push(SizeResult {
            notes: n,
            generate,
            baseline,
            open_snapshot,
            open_log,
            search,
            ranking,
            save,
            scrub,
        });
        report.total_s = started.elapsed().as_secs_f64();
        report.evaluate_goals();
        // After every size, so that a long run that fails later still leaves its results.
        write_outputs(&report, &cli, false)?;
    }
    write_outputs(&report, &cli, true)?;
    if cli.keep {
        let kept = work.keep();
        eprintln!("vaults kept in {}", kept.display());
    } else {
        // Removing 100k files can take minutes on a file system mounted with `discard`.
        eprintln!("removing the generated vaults…");
        drop(work);
    }
    eprintln!(
        "coffer-bench: done in {:.0} s (measurements: {:.0} s)",
        started.elapsed().as_secs_f64(),
        report.total_s
    );
    Ok(())
}

fn write_outputs(report: &Report, cli: &Cli, last: bool) -> Result<()> {
    let md = report.markdown();
    if last {
        println!("{md}");
    }
    write_file(&cli.json, &serde_json::to_string_pretty(report)?)?;
    if let Some(p) = &cli.markdown {
        write_file(p, &md)?;
    }
    if let Some(p) = &cli.chart {
        write_file(p, &report.svg())?;
    }
    Ok(())
}

fn run_child(root: &Path, n: usize, name: &str, reps: usize, cli: &Cli) -> Result<String> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .args(["phase", name, "--root"])
        .arg(root)
        .args(["--size", &n.to_string(), "--reps", &reps.to_string()])
        .args(["--saves", &cli.saves.to_string()])
        .args(["--rounds", &cli.search_rounds.to_string()])
        .args(["--seed", &cli.seed.to_string()])
        .args(["--cjk-share", &cli.cjk_share.to_string()])
        .args(
            cli.gen_dir
                .iter()
                .flat_map(|d| [PathBuf::from("--stage"), d.clone()]),
        )
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!("phase {name} at {n} notes failed ({})", out.status);
    }
    let text = String::from_utf8(out.stdout)?;
    text.lines()
        .last()
        .map(str::to_string)
        .with_context(|| format!("phase {name} printed no result"))
}

fn parse<T: DeserializeOwned>(line: &str) -> Result<T> {
    serde_json::from_str(line).context("reading a phase's result")
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
