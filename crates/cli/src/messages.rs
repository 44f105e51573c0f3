//! Contacts and messages: `contact ...`, `send`, `inbox`, `thread`, `open-armored`, `share`.
//! A thin client of coffer_core::messages.

use crate::context::{Ctx, changed};
use crate::error::{CliError, Result};
use crate::output::{datetime, info, short, warn};
use clap::{Args, Subcommand};
use coffer_core::Vault;
use coffer_core::messages::{Contact, Draft, MessageView, Party, Via};
use coffer_core::sync::RemotePurpose;
use serde_json::json;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// The messaging commands (flattened into the top level of `coffer`).
#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Contacts: your card, adding, listing, verifying
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Send a signed, encrypted message to contacts. The body comes from --file, else stdin
    #[command(after_help = "\
Delivery: into the recipients' inboxes on a remote shared with them (added with
`coffer remote add NAME URL --messages`; --remote NAME picks one when there are several), or --armor to print a text block to paste into any channel.")]
    Send(SendArgs),
    /// Fetch new messages from a shared remote's inbox, then list conversations
    #[command(after_help = "\
Messages from keys that are not a contact's are HELD: shown, not stored, left in the inbox
until you add the sender's card (or --discard-held deletes them). Forged, altered or
misaddressed messages are rejected.")]
    Inbox {
        /// The shared remote to check [default: the only one added with --messages]
        #[arg(long, value_name = "R")]
        remote: Option<String>,
        /// Only list the conversations; do not contact any remote
        #[arg(long, conflicts_with = "discard_held")]
        local: bool,
        /// Delete the messages this check holds (from keys that are not a contact's) from your
        /// inbox on the remote; prints how many
        #[arg(long)]
        discard_held: bool,
    },
    /// Show the conversation with a contact (or a conversation id prefix) and mark it read
    Thread {
        /// Contact name, or conversation id prefix
        name: String,
        /// Do not mark the messages read
        #[arg(long)]
        keep_unread: bool,
    },
    /// Open an armored message pasted into stdin (or read from --file), and store it
    OpenArmored {
        #[arg(long, value_name = "F")]
        file: Option<PathBuf>,
    },
    /// Share a note with contacts: it arrives as a message they can save as a note
    Share {
        /// Note id or unique prefix
        id: String,
        /// Contact names
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(long, value_name = "R", conflicts_with = "armor")]
        remote: Option<String>,
        /// Print an armored block instead of using a remote
        #[arg(long)]
        armor: bool,
    },
    /// Save a received message (for example a shared note) as a new note
    SaveNote {
        /// Message id or unique prefix (see `thread`)
        message: String,
    },
    /// Write a message's attachment to a new file
    SaveAttachment {
        message: String,
        name: String,
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Full-text search over messages
    SearchMessages {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Print your contact card (give it to people who should write to you)
    Card {
        /// Set the display name your card carries first
        #[arg(long, value_name = "N")]
        name: Option<String>,
        /// Also write the card as a QR code (SVG) to FILE
        #[arg(long, value_name = "FILE")]
        qr: Option<PathBuf>,
    },
    /// Add a contact from their card
    Add {
        card: String,
        /// The name you will use for them
        #[arg(long, value_name = "N", required = true)]
        name: String,
        /// Accept NEW KEYS for the existing contact N (after checking with them); the old keys
        /// are kept on record and the contact must be verified again
        #[arg(long)]
        replace: bool,
    },
    /// List contacts
    List,
    /// Show a contact: card, key fingerprint, safety number, verified mark
    Show { name: String },
    /// Show the safety number to compare with the contact; with --yes (or a "y" at the
    /// prompt), mark the contact verified
    Verify {
        name: String,
        /// The numbers were compared and match
        #[arg(long)]
        yes: bool,
    },
    /// Rename a contact (in this vault only)
    Rename { name: String, new_name: String },
    /// Remove a contact (on all your devices, through sync). Their messages are then held like
    /// a stranger's; the conversations you had stay readable. Adding their card again brings
    /// the contact back, to be verified again
    #[command(visible_alias = "remove")]
    Rm { name: String },
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Contact names (several make a group conversation)
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Read the body from FILE (`-` for stdin)
    #[arg(long, value_name = "F")]
    pub file: Option<PathBuf>,
    /// Print the message as an armored text block instead of using a remote
    #[arg(long, conflicts_with = "remote")]
    pub armor: bool,
    /// The shared remote holding the inboxes (see `coffer remote add --messages`)
    #[arg(long, value_name = "R")]
    pub remote: Option<String>,
    /// Attach a small file (repeatable; 1 MiB in all)
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Continue this conversation (id prefix) instead of the latest one with these people
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,
}

/// Runs one messaging command.
pub fn run(ctx: &Ctx, command: MessageCommand) -> Result<()> {
    match command {
        MessageCommand::Contact(c) => contact(ctx, c),
        MessageCommand::Send(args) => send(ctx, args),
        MessageCommand::Inbox {
            remote,
            local,
            discard_held,
        } => inbox(ctx, remote, local, discard_held),
        MessageCommand::Thread { name, keep_unread } => thread(ctx, &name, keep_unread),
        MessageCommand::OpenArmored { file } => open_armored(ctx, file.as_deref()),
        MessageCommand::Share {
            id,
            names,
            remote,
            armor,
        } => share(ctx, &id, &names, remote, armor),
        MessageCommand::SaveNote { message } => save_note(ctx, &message),
        MessageCommand::SaveAttachment { message, name, to } => {
            save_attachment(ctx, &message, &name, &to)
        }
        MessageCommand::SearchMessages { query, limit } => search(ctx, &query, limit),
    }
}

fn read_text(file: Option<&Path>, what: &str) -> Result<String> {
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
fn pick_remote(vault: &Vault, named: Option<String>) -> Result<String> {
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
fn shared_remotes(vault: &Vault) -> Result<Vec<String>> {
    Ok(vault.remote_names(RemotePurpose::Messages)?)
}

fn contact_line(c: &Contact) -> String {
    let mut s = format!(
        "{}  {}  {}",
        c.name,
        c.fingerprint,
        if c.verified {
            "verified"
        } else {
            "not verified"
        }
    );
    if c.key_changed {
        s.push_str("  KEYS CHANGED: verify the new safety number");
    }
    if c.card_name != c.name {
        s.push_str(&format!("  (calls themselves {:?})", c.card_name));
    }
    s
}

fn contact(ctx: &Ctx, command: ContactCommand) -> Result<()> {
    let mut vault = ctx.open()?;
    match command {
        ContactCommand::Card { name, qr } => {
            let card = match name {
                Some(n) => vault.set_display_name(&n)?,
                None => vault.my_card()?,
            };
            if let Some(path) = &qr {
                write_new(path, card.qr_svg().as_bytes())?;
            }
            changed(&mut vault);
            let text = card.encode();
            ctx.out.emit(
                &json!({ "card": text, "name": card.name(), "fingerprint": card.fingerprint() }),
                || text.clone(),
            )
        }
        ContactCommand::Add {
            card,
            name,
            replace,
        } => {
            let c = if replace {
                vault.replace_contact_keys(&name, &card)?
            } else {
                match vault.add_contact(&card, &name) {
                    Err(e @ coffer_core::Error::ContactKeyChanged { .. }) => {
                        warn(&format!(
                            "to accept the new keys after checking with them: `coffer contact add CARD --name {name} --replace`; to keep both, choose another --name"
                        ));
                        return Err(e.into());
                    }
                    r => r?,
                }
            };
            changed(&mut vault);
            ctx.out.emit(&c, || {
                format!(
                    "added {}\ncompare the safety number with them: coffer contact verify {:?}",
                    contact_line(&c),
                    c.name
                )
            })
        }
        ContactCommand::List => {
            let list = vault.contacts()?;
            ctx.out.emit(&list, || {
                list.iter().map(|c| contact_line(c) + "\n").collect()
            })
        }
        ContactCommand::Show { name } => {
            let c = vault.contact(&name)?;
            let number = vault.safety_number(&name)?;
            ctx.out
                .emit(&json!({ "contact": c, "safety_number": number }), || {
                    format!(
                        "{}\ncard: {}\nsafety number:\n{}\n",
                        contact_line(&c),
                        c.card,
                        number
                    )
                })
        }
        ContactCommand::Verify { name, yes } => {
            let c = vault.contact(&name)?;
            let number = vault.safety_number(&name)?;
            let confirmed = yes || (!ctx.out.json() && ask_match(&c.name, &number.to_string())?);
            let c = if confirmed {
                let c = vault.verify_contact(&name)?;
                changed(&mut vault);
                c
            } else {
                c
            };
            ctx.out.emit(
                &json!({ "contact": c, "safety_number": number, "verified": c.verified }),
                || {
                    if confirmed {
                        format!("{} is now verified", c.name)
                    } else {
                        format!(
                            "safety number with {}:\n{}\nnot marked verified: compare it with them, then run `coffer contact verify {:?} --yes`",
                            c.name, number, c.name
                        )
                    }
                },
            )
        }
        ContactCommand::Rename { name, new_name } => {
            let c = vault.rename_contact(&name, &new_name)?;
            changed(&mut vault);
            ctx.out.emit(&c, || contact_line(&c))
        }
        ContactCommand::Rm { name } => {
            let c = vault.remove_contact(&name)?;
            changed(&mut vault);
            ctx.out.emit(&c, || format!("removed {}", contact_line(&c)))
        }
    }
}

/// On a terminal: shows the number and asks whether it matches. Elsewhere: no.
fn ask_match(name: &str, number: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(false);
    }
    let name = crate::output::inert(name, false);
    eprintln!(
        "Safety number with {name}:\n{number}\nDoes {name} see exactly the same digits? [y/N] "
    );
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(CliError::Stdin)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

fn write_new(path: &Path, data: &[u8]) -> Result<()> {
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

fn message_text(m: &MessageView) -> String {
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

fn send(ctx: &Ctx, args: SendArgs) -> Result<()> {
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

fn share(ctx: &Ctx, id: &str, names: &[String], remote: Option<String>, armor: bool) -> Result<()> {
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

fn inbox(ctx: &Ctx, remote: Option<String>, local: bool, discard_held: bool) -> Result<()> {
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
        || {
            let mut s = String::new();
            if let Some(r) = &report {
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
            for c in &conversations {
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
        },
    )
}

fn thread(ctx: &Ctx, name: &str, keep_unread: bool) -> Result<()> {
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

fn open_armored(ctx: &Ctx, file: Option<&Path>) -> Result<()> {
    let mut vault = ctx.open()?;
    let text = read_text(file, "armored message")?;
    let m = vault.open_armored(&text)?;
    changed(&mut vault);
    ctx.out.emit(&m, || message_text(&m))
}

fn save_note(ctx: &Ctx, message: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    let m = vault.message(message)?;
    let id = vault.save_shared_note(&m.id)?;
    changed(&mut vault);
    ctx.out.emit(&json!({ "id": id }), || id.to_string())
}

fn save_attachment(ctx: &Ctx, message: &str, name: &str, to: &Path) -> Result<()> {
    let mut vault = ctx.open()?;
    let m = vault.message(message)?;
    let bytes = vault.message_attachment(&m.id, name)?;
    write_new(to, &bytes)?;
    ctx.out
        .emit(&json!({ "path": to, "bytes": bytes.len() }), || {
            format!("wrote {} ({} bytes)", to.display(), bytes.len())
        })
}

fn search(ctx: &Ctx, query: &str, limit: usize) -> Result<()> {
    let mut vault = ctx.open()?;
    let hits = vault.search_messages(query, limit)?;
    ctx.out.emit(&hits, || {
        hits.iter().map(|h| message_text(&h.message)).collect()
    })
}
