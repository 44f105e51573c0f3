//! Sync commands: remote add/list/rm, sync, clone, devices.

use crate::context::{Ctx, changed};
use crate::error::{CliError, Result};
use crate::output::{Bar, datetime, short, warn};
use coffer_core::Vault;
use coffer_core::secrecy::ExposeSecret;
use coffer_core::sync::{Alarm, RemotePurpose, SyncOptions, SyncReport};
use serde_json::json;
use std::path::Path;

/// One line per alarm, for the terminal.
pub fn alarm_lines(alarms: &[Alarm]) -> String {
    alarms
        .iter()
        .map(|a| {
            format!(
                "ALARM ({}) remote {} {}: {}\n",
                serde_json::to_value(a.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                a.remote,
                a.key,
                a.message
            )
        })
        .collect()
}

pub fn remote_add(ctx: &Ctx, name: &str, url: &str, messages: bool) -> Result<()> {
    let mut vault = ctx.open()?;
    let purpose = if messages {
        RemotePurpose::Messages
    } else {
        RemotePurpose::Sync
    };
    let url = crate::pass::complete_remote_url(url)?;
    let info = vault.add_remote_for(name, url.expose_secret(), None, purpose)?;
    ctx.out.emit(&info, || {
        format!(
            "added {} remote {} ({}){}",
            if messages { "shared messages" } else { "sync" },
            info.name,
            info.url,
            if info.has_credentials {
                "; its S3 credentials are stored encrypted in the vault"
            } else {
                ""
            }
        )
    })
}

pub fn remote_list(ctx: &Ctx) -> Result<()> {
    let vault = ctx.open()?;
    let remotes = vault.remotes()?;
    ctx.out.emit(&remotes, || {
        remotes
            .iter()
            .map(|r| match r.purpose {
                RemotePurpose::Sync => format!(
                    "{}  sync  {}  last sync: {}\n",
                    r.name,
                    r.url,
                    r.last_sync.map(datetime).unwrap_or_else(|| "never".into())
                ),
                RemotePurpose::Messages => {
                    format!("{}  messages (shared)  {}\n", r.name, r.url)
                }
            })
            .collect()
    })
}

pub fn remote_rm(ctx: &Ctx, name: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    vault.remove_remote(name)?;
    ctx.out.emit(&json!({ "removed": name }), || {
        format!("removed remote {name} (nothing on the remote was touched)")
    })
}

pub fn sync(ctx: &Ctx, name: Option<&str>, audit: bool) -> Result<()> {
    let mut vault = ctx.open()?;
    let bar = Bar::new();
    let result = vault.sync(name, &SyncOptions { audit }, &mut |p| bar.update(p));
    bar.finish();
    let report = result?;
    changed(&mut vault);
    ctx.out.emit(&report, || {
        let mut s = alarm_lines(&report.alarms);
        s.push_str(&format!(
            "synced with {}: {} change(s) in, {} out, {} merged, {} conflict(s), {} request(s)",
            report.remote,
            report.pulled_entries,
            report.pushed_entries,
            report.merged,
            report.conflicts,
            report.requests
        ));
        if !report.alarms.is_empty() {
            s.push_str(&format!(
                "\n{} alarm(s): the remote did something wrong; nothing local was changed by it",
                report.alarms.len() as u64 + report.more_alarms
            ));
        }
        if report.more_alarms > 0 {
            s.push_str(&format!(
                " ({} more than the {} listed were only counted)",
                report.more_alarms,
                report.alarms.len()
            ));
        }
        for n in &report.news {
            s.push_str(&format!("\nDEVICES: {} (see `coffer devices`)", n.message));
        }
        s
    })?;
    if report.alarms.is_empty() {
        Ok(())
    } else {
        Err(CliError::SyncAlarms(report.alarms.len()))
    }
}

pub fn clone(ctx: &Ctx, url: &str, dir: &Path, name: Option<&str>) -> Result<()> {
    let pass = ctx.passphrases().current(dir)?;
    let url = crate::pass::complete_remote_url(url)?;
    let bar = Bar::new();
    let result = Vault::join_from(url.expose_secret(), dir, &pass, None, name, &mut |p| {
        bar.update(p)
    });
    bar.finish();
    let (vault, report) = result?;
    report_new_device(ctx, &vault, report, "cloned {} notes into")
}

/// What `clone`, `join` and `pair` print once the vault is made: alarms as warnings, then the
/// vault (`done` says what happened, `{}` standing for the number of notes); alarms make the
/// exit status that of a sync with alarms.
fn report_new_device(ctx: &Ctx, vault: &Vault, report: SyncReport, done: &str) -> Result<()> {
    for a in &report.alarms {
        warn(alarm_lines(std::slice::from_ref(a)).trim_end());
    }
    let alarms = report.alarms.len();
    ctx.out.emit(
        &json!({
            "vault": vault.root(),
            "device": vault.device_id(),
            "notes": vault.note_count(),
            "report": report,
        }),
        || {
            format!(
                "{} {} (this device: {}); the remote is called \"origin\"",
                done.replace("{}", &vault.note_count().to_string()),
                vault.root().display(),
                short(&vault.device_id())
            )
        },
    )?;
    if alarms == 0 {
        Ok(())
    } else {
        Err(CliError::SyncAlarms(alarms))
    }
}

/// A QR code of `text` for a terminal (two rows of modules per line).
fn qr(text: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build(),
    )
}

pub fn pair(ctx: &Ctx, dir: &Path, name: Option<&str>, yes: bool) -> Result<()> {
    use coffer_core::sync::PairingRequest;
    use std::io::{BufRead, Write};
    let pass = ctx.passphrases().for_new_vault()?;
    let request = PairingRequest::new(name)?;
    let code = request.code();
    let terminal = crate::pass::on_terminal();
    if terminal && let Some(q) = qr(&code) {
        eprintln!("{q}");
    }
    eprintln!(
        "On a device that has the vault, run:\n  coffer device add {code}\n\
         Both devices show this number; check that they match: {}\n\
         Then paste the answer it prints here:",
        request.comparison()
    );
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{code}").and_then(|_| out.flush());
    }
    // Sized once, so that no reallocation leaves a copy of the answer behind unzeroed.
    let mut answer = zeroize::Zeroizing::new(String::with_capacity(132 * 1024));
    for line in std::io::stdin().lock().lines() {
        let line = zeroize::Zeroizing::new(line.map_err(CliError::Stdin)?);
        if answer.len() + line.len() + 1 > answer.capacity() {
            // Far too long for an answer: what was read is refused as cut short.
            break;
        }
        answer.push_str(&line);
        answer.push('\n');
        if line.trim() == coffer_core::messages::armor::ARMOR_END {
            break;
        }
    }
    let opened = request.open_answer(&answer)?;
    drop(answer);
    eprintln!(
        "The other device printed a second number with the answer: {}",
        opened.check()
    );
    if !yes && crate::pass::on_terminal() {
        eprint!("Does it show the same number? [y/N] ");
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(CliError::Stdin)?;
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            return Err(CliError::Usage(
                "the numbers differ, or were not checked: nothing was written (the answer may come from someone else's vault)".into(),
            ));
        }
    }
    let bar = Bar::new();
    let result = request.finish(
        &opened,
        dir,
        &pass,
        coffer_core::crypto::DEFAULT_WORK_FACTOR,
        &mut |p| bar.update(p),
    );
    bar.finish();
    let (vault, report) = result?;
    report_new_device(ctx, &vault, report, "paired: {} notes in")
}

pub fn add_device(ctx: &Ctx, code: &str, remote: Option<&str>, yes: bool) -> Result<()> {
    use coffer_core::sync::PairingCode;
    let code = PairingCode::parse(code)?;
    let (mut vault, _) = ctx.unlock()?;
    eprintln!(
        "adding device '{}' ({}); the number to compare: {}",
        code.name,
        short(&code.device),
        code.comparison()
    );
    if !yes && crate::pass::on_terminal() {
        eprint!("Does the new device show the same number? [y/N] ");
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(CliError::Stdin)?;
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            return Err(CliError::Usage(
                "the numbers differ, or were not checked: nothing was added".into(),
            ));
        }
    }
    let added = vault.add_device(&code, remote)?;
    ctx.out.emit(
        &json!({
            "device": code.device,
            "name": code.name,
            "comparison": code.comparison(),
            "answer": added.answer,
            "check": added.check,
        }),
        || added.answer.clone(),
    )?;
    eprintln!(
        "give this answer to the new device (it opens only there); it must then show this number: {}",
        added.check
    );
    Ok(())
}

pub fn continue_as_new(ctx: &Ctx) -> Result<()> {
    let (vault, pass) = ctx.unlock()?;
    drop(vault);
    let (_, done) = Vault::continue_as_new_device(&ctx.vault_dir, &pass)?;
    ctx.out.emit(&done, || {
        format!(
            "this device goes on as {} (it was {}); {} object(s) of its log carried over.\n\
             The old log is kept in {}. Sync now (`coffer sync`) to take the old id's\n\
             changes from the remote and hand this device's on; then remove the old id\n\
             (`coffer device rm {}`): copies of the backup hold its keys.\n",
            short(&done.new),
            short(&done.old),
            done.carried,
            done.kept_at,
            short(&done.old),
        )
    })
}

pub fn devices(ctx: &Ctx) -> Result<()> {
    let vault = ctx.open()?;
    let list = vault.device_list()?;
    ctx.out.emit(&list, || {
        list.iter()
            .map(|d| {
                let mut line = format!(
                    "{}  {}{}",
                    d.name.as_deref().unwrap_or("(not in the roster)"),
                    short(&d.id),
                    if d.this_device { " (this device)" } else { "" },
                );
                match (&d.joined_by, d.joined) {
                    (Some(how), Some(t)) => {
                        let how = match how.as_str() {
                            "passphrase" => "with the passphrase",
                            _ => "by pairing",
                        };
                        line += &format!("  joined {} {how}", datetime(t));
                        if let Some(by) = &d.added_by {
                            line += &format!(", added by {by}");
                        }
                    }
                    _ if d.entries > 0 => line += "  signs with the shared key (an older Coffer)",
                    _ => line += "  joins with its first change",
                }
                if let Some(r) = &d.removed {
                    line += &format!(
                        "  REMOVED {} by {} (entries after {} refused)",
                        datetime(r.time),
                        r.by,
                        r.last_entry
                    );
                }
                line += &format!(
                    "  {} change(s), last {}",
                    d.entries,
                    d.last_change
                        .map(datetime)
                        .unwrap_or_else(|| "never".into())
                );
                if d.this_device {
                    line += &format!(
                        ", last sync {}",
                        d.last_sync.map(datetime).unwrap_or_else(|| "never".into())
                    );
                }
                line + "\n"
            })
            .collect()
    })
}

pub fn rename_device(ctx: &Ctx, device: &str, name: &str) -> Result<()> {
    let (mut vault, _) = ctx.unlock()?;
    vault.rename_device(device, name)?;
    ctx.out.emit(&json!({"renamed": device, "name": name}), || {
        format!("renamed {device} to {name}; the other devices see it at their next sync\n")
    })
}

pub fn remove_device(ctx: &Ctx, device: &str) -> Result<()> {
    let (mut vault, _) = ctx.unlock()?;
    let id = vault.remove_device(device)?;
    ctx.out.emit(&json!({"removed": id}), || {
        format!(
            "removed {device} ({}). Every entry it writes from now on is refused on every\n\
             device once they sync, and joining with the passphrase is closed (the removed\n\
             device knows it). It keeps what it had until now. Sync to hand the removal on.\n",
            short(&id)
        )
    })
}
