//! Commands on the whole vault: init, passwd, rotate-keys, verify, identity, import, export.

use crate::cli::{PasswdArgs, RotateKeysArgs};
use crate::context::{Ctx, changed};
use crate::error::{CliError, Result};
use crate::output::{Bar, info, warn};
use crate::pass;
use coffer_core::{Error, InitOptions, Vault};
use serde_json::json;
use std::path::Path;

/// What to do after creating a vault.
pub const NEXT_STEPS: &str = "\
Next steps:
  echo 'My first note' | coffer add --title 'Hello'   add a note (body from stdin or --file)
  coffer list                                        list notes
  coffer show ID                                     print a note (ID: the first characters)
  coffer search WORDS                                full-text search
  coffer --help                                      every command";

pub fn init(ctx: &Ctx, work_factor: u8) -> Result<()> {
    let dir = &ctx.vault_dir;
    if dir.join("coffer.toml").exists() {
        return Err(Error::VaultExists(dir.clone()).into());
    }
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(Error::FolderNotEmpty(dir.clone()).into());
    }
    let passphrases = ctx.passphrases();
    if passphrases.file.is_none()
        && std::env::var_os(pass::PASSPHRASE_ENV).is_none()
        && pass::on_terminal()
    {
        info(&format!(
            "Creating a vault at {}.\nChoose a passphrase. It cannot be recovered: if you lose it, your notes are lost.",
            dir.display()
        ));
    }
    let passphrase = passphrases.for_new_vault()?;
    let vault = Vault::init(dir, &passphrase, &InitOptions { work_factor })?;
    ctx.out.emit(
        &json!({ "vault": vault.root(), "vault_id": vault.vault_id() }),
        || {
            format!(
                "created a vault at {}\n\n{NEXT_STEPS}",
                vault.root().display()
            )
        },
    )
}

pub fn passwd(ctx: &Ctx, args: PasswdArgs) -> Result<()> {
    let mut vault = ctx.open()?;
    let work_factor = match args.work_factor {
        Some(n) => n,
        None => std::fs::read(vault.root().join("identity.age"))
            .ok()
            .and_then(|ct| coffer_core::crypto::scrypt_work_factor(&ct))
            .unwrap_or(coffer_core::crypto::DEFAULT_WORK_FACTOR),
    };
    let new = pass::new_passphrase(args.new_passphrase_file.as_deref())?;
    vault.change_passphrase(&new, work_factor)?;
    ctx.out.emit(&json!({ "passphrase_changed": true }), || {
        "passphrase changed on this device (only identity.age was re-encrypted); other devices keep\n\
         theirs. The copy on each remote (the one `coffer clone` asks for) is replaced at the next sync."
            .into()
    })
}

pub fn rotate_keys(ctx: &Ctx, args: &RotateKeysArgs) -> Result<()> {
    let (mut vault, passphrase) = ctx.unlock()?;
    if !args.anew {
        let rotation = vault.rotate_keys(&passphrase)?;
        changed(&mut vault);
        let names = rotation
            .devices
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ");
        return ctx.out.emit(
            &json!({
                "rotated": true,
                "generation": rotation.generation,
                "devices": rotation.devices,
                "device": vault.device_id(),
            }),
            || {
                format!(
                    "a new vault key, sealed to {names}: everything written from now on is encrypted to it,\n\
                     here at once and on the other devices from their next sync (sync now to hand it out).\n\
                     Joining with the passphrase is closed: add a new device with `coffer pair` there and\n\
                     `coffer device add CODE` here. Files written before stay encrypted to the older keys\n\
                     (`coffer rotate-keys --anew` re-encrypts everything, as a new vault)."
                )
            },
        );
    }
    let bar = Bar::new();
    let result = vault.rotate_keys_anew(&passphrase, &mut |p| bar.update(p));
    bar.finish();
    result?;
    changed(&mut vault);
    ctx.out.emit(
        &json!({ "rotated": true, "anew": true, "device": vault.device_id() }),
        || {
            "new keys made and every object re-encrypted to them, as a new vault.\n\
         Other devices and exported identity files hold the old keys, and remotes hold the vault\n\
         under them: sync with a new, empty remote (`coffer remote add`), then set the other\n\
         devices up again with `coffer join` from it."
                .into()
        },
    )
}

pub fn verify(ctx: &Ctx, dismiss_alarms: bool, repair: bool) -> Result<()> {
    let repaired = if repair {
        let mut vault = ctx.open_to_change()?;
        let r = vault.repair()?;
        for h in &r.healed {
            info(&format!("repaired {}: {}", h.path, h.how));
        }
        for d in &r.not_healed {
            warn(&format!("not repaired {}: {}", d.path, d.message));
        }
        changed(&mut vault);
        Some(r)
    } else {
        None
    };
    // Opened to look: a damaged journal stays where it is, to be named below.
    let mut vault = ctx.open_to_look()?;
    let bar = Bar::new();
    let result = vault.verify(&mut |p| bar.update(p));
    bar.finish();
    let report = result?;
    for w in &report.warnings {
        warn(&format!("{}: {}", w.path, w.message));
    }
    // What remotes did wrong during syncs (kept in local/sync.age): not damage to this vault,
    // but the user must see it, and it makes the exit code non-zero until dismissed.
    let alarms = vault.sync_alarms().unwrap_or_else(|e| {
        warn(&format!("the sync alarms cannot be read: {e}"));
        Vec::new()
    });
    for line in super::sync::alarm_lines(&alarms).lines() {
        warn(line);
    }
    let mut doc = serde_json::to_value(&report).expect("the verify report serializes");
    doc["sync_alarms"] = serde_json::to_value(&alarms).expect("alarms serialize");
    if let Some(r) = &repaired {
        doc["repair"] = serde_json::to_value(r).expect("the repair report serializes");
    }
    ctx.out.emit(&doc, || {
        let mut s = String::new();
        for p in &report.problems {
            s.push_str(&format!("{}: {}\n", p.path, p.message));
        }
        s.push_str(&format!(
            "checked {} log entries and {} objects: {}",
            report.log_entries,
            report.objects,
            match report.problems.len() {
                0 => "no problems".to_string(),
                n => format!("{n} problem(s)"),
            }
        ));
        if let Some(r) = &repaired {
            s.push_str(&format!(
                "\nrepaired {} file(s){}",
                r.healed.len(),
                match r.not_healed.len() {
                    0 => String::new(),
                    n => format!("; {n} could not be repaired"),
                }
            ));
        }
        if !alarms.is_empty() {
            s.push_str(&format!(
                "\n{} alarm(s) kept: a remote did something wrong, or a file here was damaged{}",
                alarms.len(),
                if dismiss_alarms {
                    "; dismissed now"
                } else {
                    " (`coffer verify --dismiss-alarms` forgets them)"
                }
            ));
        }
        s
    })?;
    if dismiss_alarms {
        vault.dismiss_sync_alarms()?;
    }
    if !report.ok() {
        Err(CliError::VerifyFailed(report.problems.len()))
    } else if !alarms.is_empty() && !dismiss_alarms {
        Err(CliError::SyncAlarms(alarms.len()))
    } else {
        Ok(())
    }
}

pub fn identity(ctx: &Ctx, path: &Path) -> Result<()> {
    let vault = ctx.open()?;
    if path.symlink_metadata().is_ok() {
        return Err(CliError::Exists(path.to_path_buf()));
    }
    vault.export_identity(path)?;
    warn(&format!(
        "{} holds the vault's secret key in plaintext: anyone with it can read every note. Keep it safe and delete it when done.",
        path.display()
    ));
    ctx.out.emit(&json!({ "path": path }), || {
        format!(
            "wrote the secret age identity to {} (mode 0600); decrypt any vault file with: age -d -i {} FILE",
            path.display(),
            path.display()
        )
    })
}

pub fn export(ctx: &Ctx, dir: &Path) -> Result<()> {
    let vault = ctx.open()?;
    warn(&format!(
        "the exported files in {} are NOT encrypted: anyone who can read them can read your notes. Delete them when done.",
        dir.display()
    ));
    let bar = Bar::new();
    let result = vault.export_dir(dir, &mut |p| bar.update(p));
    bar.finish();
    let report = result?;
    for s in &report.skipped {
        warn(&format!("not exported: {s}"));
    }
    ctx.out.emit(&report, || {
        format!(
            "exported {} notes and {} attachments to {} (plaintext)",
            report.notes,
            report.attachments,
            dir.display()
        )
    })
}

pub fn import(ctx: &Ctx, dir: &Path) -> Result<()> {
    let mut vault = ctx.open()?;
    let bar = Bar::new();
    let result = vault.import_dir(dir, &mut |p| bar.update(p));
    bar.finish();
    let report = result?;
    changed(&mut vault);
    for s in &report.skipped {
        warn(&format!("skipped {s}"));
    }
    for w in &report.warnings {
        warn(w);
    }
    ctx.out.emit(&report, || {
        format!(
            "imported {} notes and {} attachments from {}{}",
            report.notes,
            report.attachments,
            dir.display(),
            match report.skipped.len() {
                0 => String::new(),
                n => format!(" ({n} skipped)"),
            }
        )
    })
}
