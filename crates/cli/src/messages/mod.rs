//! Contacts and messages: `contact ...`, `send`, `inbox`, `thread`, `open-armored`, `share`.
//! A thin client of coffer_core::messages: the commands as declared (`args.rs`), contacts
//! (`contacts.rs`), conversations (`conversations.rs`), and what both use (`io.rs`).

mod args;
mod contacts;
mod conversations;
mod io;

pub use args::MessageCommand;

use crate::context::Ctx;
use crate::error::Result;
use conversations::{inbox, open_armored, save_attachment, save_note, search, send, share, thread};

/// Runs one messaging command.
pub fn run(ctx: &Ctx, command: MessageCommand) -> Result<()> {
    match command {
        MessageCommand::Contact(c) => contacts::run(ctx, c),
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
