//! Sending and reading: `send`, `share`, `inbox`, `thread`, `open-armored`, `save-note`,
//! `save-attachment`, `search-messages`.

use super::args::SendArgs;
use super::io::{message_text, pick_remote, read_text, shared_remotes, write_new};
use crate::context::{Ctx, changed};
use crate::error::{CliError, Result};
use crate::output::{datetime, short};
use coffer_core::messages::{ConversationSummary, Draft, Party, ReceiveReport, Via};
use coffer_core::sync::RemotePurpose;
use serde_json::json;
use std::path::Path;

pub(super) fn send(ctx: &Ctx, args: SendArgs) -> Result<()> {
    let mut vault = ctx.open()?;
    let body = read_text(args.file.as_deref(), "message")?;
    let mut attachments = Vec::new();
    for p in &args.attach {
        let bytes = std::fs::read(p).map_err(|source| CliError::Read {
            path: p.clone(),
            source,
        })?;
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        attachments.push((name, bytes));
    }
    let conversation = match &args.conversation {
        Some(c) => Some(vault.resolve_conversation(c)?),
        None => None,
    };
    let draft = Draft {
        body,
        attachments,
        conversation,
    };
    let names: Vec<&str> = args.names.iter().map(String::as_str).collect();
    let sent = if args.armor {
        vault.send(&names, draft, Via::Armor)?
    } else {
        let remote = pick_remote(&vault, args.remote)?;
        vault.send_to_remote(&remote, &names, draft)?
    };
    changed(&mut vault);
    ctx.out.emit(&sent, || match &sent.armored {
        Some(a) => a.clone(),
        None => format!(
            "sent {} to {} via {}",
            short(&sent.message.id),
            names.join(", "),
            sent.message.carrier
        ),
    })
}

pub(super) fn share(
    ctx: &Ctx,
    id: &str,
    names: &[String],
    remote: Option<String>,
    armor: bool,
) -> Result<()> {
    let mut vault = ctx.open()?;
    let note = vault.resolve(id)?;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let sent = if armor {
        vault.share_note(&note, &names, Via::Armor)?
    } else {
        let name = pick_remote(&vault, remote)?;
        let r = vault.open_remote_for(&name, RemotePurpose::Messages)?;
        vault.share_note(
            &note,
            &names,
            Via::Remote {
                remote: &r,
                name: &name,
            },
        )?
    };
    changed(&mut vault);
    ctx.out.emit(&sent, || match &sent.armored {
        Some(a) => a.clone(),
        None => format!(
            "shared note {} as message {}",
            short(&note),
            short(&sent.message.id)
        ),
    })
}

pub(super) fn inbox(
    ctx: &Ctx,
    remote: Option<String>,
    local: bool,
    discard_held: bool,
) -> Result<()> {
    let mut vault = ctx.open()?;
    let remote = if local {
        None
    } else if discard_held || remote.is_some() || !shared_remotes(&vault)?.is_empty() {
        Some(pick_remote(&vault, remote)?)
    } else {
        // No shared remote: only armored messages arrive; list what is here.
        None
    };
    let report = match &remote {
        Some(r) => Some(vault.receive_from_remote(r)?),
        None => None,
    };
    // Exactly the messages this check held (and shows), if they are still held.
    let discarded = match (&remote, &report) {
        (Some(r), Some(rep)) if discard_held => {
            let keys: Vec<String> = rep.held.iter().map(|h| h.key.clone()).collect();
            Some(vault.discard_held_on(r, &keys)?)
        }
        _ => None,
    };
    let conversations = vault.conversations()?;
    changed(&mut vault);
    ctx.out.emit(
        &json!({ "received": report, "discarded": discarded, "conversations": conversations }),
        || inbox_text(report.as_ref(), discarded, &conversations),
    )
}

/// What `inbox` prints: the new, held and rejected messages, what was discarded, then every
/// conversation.
fn inbox_text(
    report: Option<&ReceiveReport>,
    discarded: Option<u64>,
    conversations: &[ConversationSummary],
) -> String {
    let mut s = String::new();
    if let Some(r) = report {
        for m in &r.received {
            s.push_str("NEW ");
            s.push_str(&message_text(m));
        }
        for h in &r.held {
            s.push_str(&format!(
                "HELD (not stored) from {}: {}\n  their card: {}\n",
                h.from.label(),
                h.message,
                h.sender_card
            ));
        }
        for x in &r.rejected {
            let what = if x.removed {
                "removed from the inbox"
            } else {
                "left in the inbox: it is no message for you"
            };
            s.push_str(&format!("REJECTED [{}] ({what}): {}\n", x.code, x.message));
        }
        if r.duplicates > 0 {
            s.push_str(&format!("{} duplicate(s) dropped\n", r.duplicates));
        }
        if r.received.is_empty() && r.held.is_empty() && r.rejected.is_empty() {
            s.push_str("no new messages\n");
        }
    }
    if let Some(n) = discarded {
        s.push_str(&format!(
            "discarded {n} held message{} from your inbox\n",
            if n == 1 { "" } else { "s" }
        ));
    }
    for c in conversations {
        s.push_str(&format!(
            "{}  {}  {}  {} message(s), {} unread  {}\n",
            short(&c.id),
            datetime(c.last_time),
            c.with
                .iter()
                .map(Party::label)
                .collect::<Vec<_>>()
                .join(", "),
            c.messages,
            c.unread,
            c.last_excerpt
        ));
    }
    s
}

pub(super) fn thread(ctx: &Ctx, name: &str, keep_unread: bool) -> Result<()> {
    let mut vault = ctx.open()?;
    let messages = match vault.thread_with(name) {
        Ok(m) => m,
        Err(coffer_core::Error::NoSuchContact(_)) => {
            let id = vault
                .resolve_conversation(name)
                .map_err(|_| coffer_core::Error::NoSuchContact(name.to_string()))?;
            vault.thread(&id)?
        }
        Err(e) => return Err(e.into()),
    };
    if !keep_unread {
        let convs: std::collections::BTreeSet<_> =
            messages.iter().map(|m| m.conversation).collect();
        for c in convs {
            vault.mark_read(&c)?;
        }
        changed(&mut vault);
    }
    ctx.out
        .emit(&messages, || messages.iter().map(message_text).collect())
}

pub(super) fn open_armored(ctx: &Ctx, file: Option<&Path>) -> Result<()> {
    let mut vault = ctx.open()?;
    let text = read_text(file, "armored message")?;
    let m = vault.open_armored(&text)?;
    changed(&mut vault);
    ctx.out.emit(&m, || message_text(&m))
}

pub(super) fn save_note(ctx: &Ctx, message: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    let m = vault.message(message)?;
    let id = vault.save_shared_note(&m.id)?;
    changed(&mut vault);
    ctx.out.emit(&json!({ "id": id }), || id.to_string())
}

pub(super) fn save_attachment(ctx: &Ctx, message: &str, name: &str, to: &Path) -> Result<()> {
    let mut vault = ctx.open()?;
    let m = vault.message(message)?;
    let bytes = vault.message_attachment(&m.id, name)?;
    write_new(to, &bytes)?;
    ctx.out
        .emit(&json!({ "path": to, "bytes": bytes.len() }), || {
            format!("wrote {} ({} bytes)", to.display(), bytes.len())
        })
}

pub(super) fn search(ctx: &Ctx, query: &str, limit: usize) -> Result<()> {
    let mut vault = ctx.open()?;
    let hits = vault.search_messages(query, limit)?;
    ctx.out.emit(&hits, || {
        hits.iter().map(|h| message_text(&h.message)).collect()
    })
}
