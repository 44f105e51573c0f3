//! `coffer` alone on a terminal: a guided start. Creates the vault if there is none (after
//! asking), else unlocks it and lists the notes.

use crate::commands::notes::list_lines;
use crate::commands::vault::NEXT_STEPS;
use crate::context::{Ctx, find};
use crate::error::{CliError, Result};
use crate::output::{info, write_stdout};
use coffer_core::{Error, InitOptions, NoteFilter, Vault};
use std::io::BufRead;

fn confirm(question: &str) -> Result<bool> {
    eprint!("{question}");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(CliError::Prompt)?;
    let a = answer.trim().to_ascii_lowercase();
    Ok(a == "y" || a == "yes")
}

fn empty_or_missing(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir)
        .map(|mut entries| entries.next().is_none())
        .unwrap_or(true)
}

pub fn start(ctx: &Ctx) -> Result<()> {
    let dir = &ctx.vault_dir;
    match find(dir) {
        Ok(_) => {
            let vault = ctx.open()?;
            let notes = vault.list(&NoteFilter::default());
            if notes.is_empty() {
                info(&format!(
                    "The vault at {} has no notes yet.\n",
                    dir.display()
                ));
            } else {
                write_stdout(&list_lines(&notes))?;
                info("");
            }
            info(NEXT_STEPS);
            Ok(())
        }
        Err(CliError::NoVaultFolder(_) | CliError::Core(Error::NoVault(_)))
            if empty_or_missing(dir) =>
        {
            info(&format!(
                "Welcome to Coffer: private notes, encrypted on this disk with age.\n\n\
                 There is no vault at {} yet. A vault is a folder of encrypted files that\n\
                 only your passphrase opens.",
                dir.display()
            ));
            if !confirm("Create it now? [y/N] ")? {
                info("Nothing was created. To put the vault elsewhere: coffer --vault DIR init");
                return Ok(());
            }
            info(
                "Choose a passphrase. It protects every note, and it cannot be recovered:\n\
                 if you lose it, nobody (not even you) can read your notes again.",
            );
            let passphrase = ctx.passphrases().for_new_vault()?;
            let vault = Vault::init(dir, &passphrase, &InitOptions::default())?;
            info(&format!(
                "\nCreated a vault at {}.\n\n{NEXT_STEPS}",
                vault.root().display()
            ));
            Ok(())
        }
        Err(e) => Err(e),
    }
}
