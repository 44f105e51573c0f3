//! What the messaging commands share: reading a text, writing a new file, choosing the shared
//! remote, and a message as text.

use crate::error::{CliError, Result};
use crate::output::{datetime, info, short};
use coffer_core::Vault;
use coffer_core::messages::{MessageView, Party};
use coffer_core::sync::RemotePurpose;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;

/// The text of `file`, or of stdin (prompting on a terminal) when it is absent or `-`.
pub(super) fn read_text(file: Option<&Path>, what: &str) -> Result<String> {
    let mut bytes = Vec::new();
    match file {
        Some(p) if p != Path::new("-") => {
            bytes = std::fs::read(p).map_err(|source| CliError::Read {
                path: p.to_path_buf(),
                source,
            })?;
        }
        _ => {
            if std::io::stdin().is_terminal() {
                info(&format!(
                    "Type or paste the {what}, then press Ctrl-D on a line of its own:"
                ));
            }
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(CliError::Stdin)?;
        }
    }
    String::from_utf8(bytes)
        .map_err(|_| CliError::NotText(file.map_or("stdin".into(), |p| p.display().to_string())))
}

/// The shared remote to use: the one named, else the only one added with `--messages`.
pub(super) fn pick_remote(vault: &Vault, named: Option<String>) -> Result<String> {
    if let Some(n) = named {
        return Ok(n);
    }
    let shared = shared_remotes(vault)?;
    match shared.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::Usage(
            "no remote shared for messages: add one with `coffer remote add NAME URL --messages`, or use --armor".into(),
        )),
        _ => Err(CliError::Usage(format!(
            "several remotes shared for messages ({}): choose one with --remote NAME",
            shared.join(", ")
        ))),
    }
}

/// The names of the remotes added with `--messages`.
pub(super) fn shared_remotes(vault: &Vault) -> Result<Vec<String>> {
    Ok(vault.remote_names(RemotePurpose::Messages)?)
}

/// Writes `data` to a new private file at `path` (never over an existing one).
pub(super) fn write_new(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = coffer_core::new_private_file().open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::Exists(path.to_path_buf())
        } else {
            CliError::Read {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(|source| CliError::Read {
            path: path.to_path_buf(),
            source,
        })
}

/// A message as the terminal shows it: when, its id, who wrote it, then its body.
pub(super) fn message_text(m: &MessageView) -> String {
    let mut s = format!("{}  {}  {}", datetime(m.time), short(&m.id), m.from.label());
    if let Party::Contact {
        verified: false, ..
    } = m.from
    {
        s.push_str(" (not verified)");
    }
    if m.to.len() > 1 {
        s.push_str(&format!(
            " to {}",
            m.to.iter().map(Party::label).collect::<Vec<_>>().join(", ")
        ));
    }
    s.push_str(":\n");
    if let Some(n) = &m.note {
        s.push_str(&format!(
            "[shared note {:?}; save it with `coffer save-note {}`]\n",
            n.title,
            short(&m.id)
        ));
    }
    if m.missing_previous {
        s.push_str("[an earlier message of this conversation is missing]\n");
    }
    for line in m.body.lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    for a in &m.attachments {
        s.push_str(&format!("  [attachment {:?}, {} bytes]\n", a.name, a.size));
    }
    s
}
