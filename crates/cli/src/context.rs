//! What every command needs (where the vault is, how to ask for the passphrase, where to print),
//! opening the vault, and what a command does after it changed the vault.

use crate::error::{CliError, Result};
use crate::output::{Out, warn};
use crate::pass::Passphrases;
use coffer_core::secrecy::SecretString;
use coffer_core::{LockedVault, ScrubFound, Vault};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;

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
    /// prompt), and unlocks it. The check of every file against its signed hash (the scrub)
    /// starts at once on another thread and reports when the command ends ([`Opened`]).
    pub fn unlock(&self) -> Result<(Opened, SecretString)> {
        let (locked, pass) = self.find_with_passphrase()?;
        let vault = locked.unlock(&pass)?;
        for p in vault.load_problems() {
            warn(p);
        }
        let scrub = vault
            .scrub_plan()
            .run_in_background(Arc::new(AtomicBool::new(false)))
            .ok();
        Ok((Opened { vault, scrub }, pass))
    }

    pub fn open(&self) -> Result<Opened> {
        self.unlock().map(|(v, _)| v)
    }

    /// Unlocks without the scrub beside the command (`verify --repair` makes its own).
    pub fn open_to_change(&self) -> Result<Vault> {
        let (locked, pass) = self.find_with_passphrase()?;
        let vault = locked.unlock(&pass)?;
        for p in vault.load_problems() {
            warn(p);
        }
        Ok(vault)
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

/// An unlocked vault, while the scrub runs beside the command: when the command is done with
/// it (dropped), the scrub's findings are confirmed, kept as alarms, and each damaged file is
/// named on stderr. It reads as the vault.
pub struct Opened {
    vault: Vault,
    scrub: Option<JoinHandle<ScrubFound>>,
}

impl Deref for Opened {
    type Target = Vault;
    fn deref(&self) -> &Vault {
        &self.vault
    }
}

impl DerefMut for Opened {
    fn deref_mut(&mut self) -> &mut Vault {
        &mut self.vault
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        let Some(Ok(found)) = self.scrub.take().map(JoinHandle::join) else {
            return;
        };
        match self.vault.confirm_damage(found) {
            Ok(r) => {
                for d in &r.damaged {
                    warn(&format!(
                        "damaged file in the vault: {}: {} (`coffer verify --repair` puts it back from a remote)",
                        d.path, d.message
                    ));
                }
            }
            Err(e) => warn(&format!("the check of the vault's files failed: {e}")),
        }
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
