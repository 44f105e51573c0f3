//! `coffer`: every capability of the vault from a terminal. A thin client of coffer-core.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod context;
mod error;
mod guided;
mod messages;
mod output;
mod pass;

use clap::{CommandFactory, Parser};
use cli::Cli;
use context::Ctx;
use error::CliError;
use std::process::ExitCode;

fn main() -> ExitCode {
    // PDFs attached to notes are read for search in a child of this program, with limits.
    coffer_core::search::attachments::pdf_reader::serve_or_register();
    coffer_core::harden_process()
        .unwrap_or_else(|e| eprintln!("coffer: core dumps stay enabled: {e}"));
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = args.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e, json),
    };
    let ctx = Ctx::new(cli.vault.clone(), cli.passphrase_file.clone(), cli.json);
    match run(&ctx, cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&ctx, e),
    }
}

fn run(ctx: &Ctx, cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(command) => commands::run(ctx, command)?,
        None if ctx.out.json() => {
            return Err(CliError::Usage("no command given (see `coffer --help`)".into()).into());
        }
        None if pass::on_terminal() => guided::start(ctx)?,
        None => {
            let help = Cli::command().render_help().to_string();
            output::write_stdout(&help)?;
        }
    }
    Ok(())
}

/// Prints an error (and its JSON form with `--json`) and picks the exit code.
fn report(ctx: &Ctx, e: anyhow::Error) -> ExitCode {
    let (code, exit) = match e.downcast_ref::<CliError>() {
        // The reader went away (`coffer list | head`): nothing more to say.
        Some(CliError::Output(io)) if io.kind() == std::io::ErrorKind::BrokenPipe => {
            return ExitCode::SUCCESS;
        }
        Some(c) => (c.code(), c.exit_code()),
        None => ("internal", 1),
    };
    let message = e.to_string();
    eprintln!("coffer: error: {}", output::inert(&message, false));
    if ctx.out.json() && !ctx.out.emitted() {
        print_json_error(code, &message);
    }
    ExitCode::from(exit)
}

fn print_json_error(code: &str, message: &str) {
    let doc = serde_json::json!({ "error": { "code": code, "message": message } });
    let _ = output::write_json(&format!("{doc:#}\n"));
}

/// clap's own errors; with `--json`, also as one JSON document (help and version excepted).
fn usage_error(e: clap::Error, json: bool) -> ExitCode {
    use clap::error::ErrorKind;
    let informational = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if json && !informational {
        let text = e.render().to_string();
        let first = text.lines().next().unwrap_or("invalid usage");
        print_json_error("usage", first.strip_prefix("error: ").unwrap_or(first));
    }
    let _ = e.print();
    ExitCode::from(if informational { 0 } else { 2 })
}
