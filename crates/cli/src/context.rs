//! What every command needs (where the vault is, how to ask for the passphrase, where to print),
//! opening the vault, and what a command does after it changed the vault.

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
    /// From the global options: the vault folder (else the default one), the passphrase file,
    /// and whether to print JSON.
    pub fn new(vault: Option<PathBuf>, passphrase_file: Option<PathBuf>, json: bool) -> Ctx {
        Ctx {
            vault_dir: vault.unwrap_or_else(coffer_core::default_vault_dir),
            passphrase_file,
            out: Out::new(json),
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
        let (locked, pass) = self.find_with_passphrase()?;
        let vault = locked.unlock(&pass)?;
        for p in vault.load_problems() {
            warn(p);
        }
        Ok((vault, pass))
    }

    pub fn open(&self) -> Result<Vault> {
        self.unlock().map(|(v, _)| v)
    }

    /// Unlocks to look only (`verify`): nothing in the vault folder is written or moved, and
    /// what loading met is left to the caller's report.
    pub fn open_to_look(&self) -> Result<Vault> {
        let (locked, pass) = self.find_with_passphrase()?;
        Ok(locked.unlock_to_look(&pass)?)
    }

    /// The vault folder, then its passphrase: a wrong folder fails before any prompt.
    fn find_with_passphrase(&self) -> Result<(LockedVault, SecretString)> {
        let locked = find(&self.vault_dir)?;
        let pass = self.passphrases().current(&self.vault_dir)?;
        Ok((locked, pass))
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
