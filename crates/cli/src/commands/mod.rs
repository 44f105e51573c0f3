//! The commands: each opens the vault, calls one or two core functions, and prints the result.

mod notes;
pub mod sync;
pub mod vault;

use crate::cli::{Cli, Command, DeviceCommand, RemoteCommand};
use crate::error::{CliError, Result};
use crate::output::{Out, warn};
use crate::pass::Passphrases;
use coffer_core::secrecy::SecretString;
use coffer_core::{LockedVault, Vault};
use std::path::{Path, PathBuf};

/// What every command needs: where the vault is, how to get the passphrase, where to print.
pub struct Ctx {
    pub vault_dir: PathBuf,
    pub passphrase_file: Option<PathBuf>,
    pub out: Out,
}

impl Ctx {
    pub fn new(cli: &Cli) -> Ctx {
        Ctx {
            vault_dir: cli
                .vault
                .clone()
                .unwrap_or_else(coffer_core::default_vault_dir),
            passphrase_file: cli.passphrase_file.clone(),
            out: Out::new(cli.json),
        }
    }

    pub fn passphrases(&self) -> Passphrases<'_> {
        Passphrases {
            file: self.passphrase_file.as_deref(),
        }
    }

    /// Finds the vault, then asks for the passphrase (so a wrong folder fails before any
    /// prompt), and unlocks it.
    pub fn unlock(&self) -> Result<(Vault, SecretString)> {
        let locked = find(&self.vault_dir)?;
        let pass = self.passphrases().current(&self.vault_dir)?;
        let vault = locked.unlock(&pass)?;
        for p in vault.load_problems() {
            warn(p);
        }
        Ok((vault, pass))
    }

    pub fn open(&self) -> Result<Vault> {
        self.unlock().map(|(v, _)| v)
    }
}

/// Opens the vault folder (coffer.toml only), with a specific error for a missing folder.
pub fn find(dir: &Path) -> Result<LockedVault> {
    if !dir.exists() {
        return Err(CliError::NoVaultFolder(dir.to_path_buf()));
    }
    Ok(LockedVault::open(dir)?)
}

/// After a command that changed the vault: write the save journal out as files and refresh the
/// snapshot cache. The change itself is already durable, so a failure here is only a warning.
pub fn changed(vault: &mut Vault) {
    if let Err(e) = vault.checkpoint() {
        warn(&format!(
            "the change is saved in the vault's journal, but writing it out failed ({e}); the next command tries again"
        ));
    }
    if let Err(e) = vault.save_snapshot_if_stale() {
        warn(&format!("could not update the snapshot cache: {e}"));
    }
}

/// Runs one command.
pub fn run(ctx: &Ctx, command: Command) -> Result<()> {
    use Command as C;
    match command {
        C::Init { work_factor } => vault::init(ctx, work_factor),
        C::Add(args) => notes::add(ctx, args),
        C::Edit(args) => notes::edit(ctx, args),
        C::Show { id, rev } => notes::show(ctx, &id, rev.as_deref()),
        C::List {
            tag,
            notebook,
            trash,
            pinned,
        } => notes::list(
            ctx,
            coffer_core::NoteFilter {
                tag,
                notebook,
                pinned,
                trash,
            },
        ),
        C::Search { query, limit } => notes::search(ctx, &query, limit),
        C::Rm { id } => notes::trash(ctx, &id),
        C::Restore { id } => notes::restore(ctx, &id),
        C::Purge { id } => notes::purge(ctx, &id),
        C::History { id } => notes::history(ctx, &id),
        C::Revert { id, rev } => notes::revert(ctx, &id, &rev),
        C::Pin { id } => notes::pin(ctx, &id, true),
        C::Unpin { id } => notes::pin(ctx, &id, false),
        C::Attach { id, file, name } => notes::attach(ctx, &id, &file, name.as_deref()),
        C::Extract { id, name, to } => notes::extract(ctx, &id, &name, &to),
        C::Render { id } => notes::render(ctx, &id),
        C::Notebooks => notes::notebooks(ctx),
        C::Tags => notes::tags(ctx),
        C::Export { dir } => vault::export(ctx, &dir),
        C::Import { dir } => vault::import(ctx, &dir),
        C::Passwd(args) => vault::passwd(ctx, args),
        C::RotateKeys => vault::rotate_keys(ctx),
        C::Verify { dismiss_alarms } => vault::verify(ctx, dismiss_alarms),
        C::Identity { export_age } => vault::identity(ctx, &export_age),
        C::Remote(RemoteCommand::Add {
            name,
            url,
            messages,
        }) => sync::remote_add(ctx, &name, &url, messages),
        C::Remote(RemoteCommand::List) => sync::remote_list(ctx),
        C::Remote(RemoteCommand::Rm { name }) => sync::remote_rm(ctx, &name),
        C::Sync { name, audit } => sync::sync(ctx, name.as_deref(), audit),
        C::Clone { url, dir } => sync::clone(ctx, &url, &dir),
        C::Devices => sync::devices(ctx),
        C::Device(DeviceCommand::ContinueAsNew) => sync::continue_as_new(ctx),
        C::Messages(m) => crate::messages::run(ctx, m),
    }
}

/// The notes as `list` prints them.
pub fn list_lines(notes: &[coffer_core::NoteSummary]) -> String {
    use crate::output::{date, hashtags, short};
    let mut s = String::new();
    for n in notes {
        s.push_str(&format!(
            "{}  {}  {}",
            short(&n.id),
            date(n.updated),
            n.title
        ));
        if !n.tags.is_empty() {
            s.push_str("  ");
            s.push_str(&hashtags(&n.tags));
        }
        s.push('\n');
    }
    s
}
