//! The commands: each opens the vault, calls one or two core functions, and prints the result.

pub mod notes;
pub mod sync;
pub mod vault;

use crate::cli::{Command, DeviceCommand, NotebookCommand, RemoteCommand};
use crate::context::Ctx;
use crate::error::Result;

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
        C::Templates => notes::templates(ctx),
        C::New {
            template,
            title,
            notebook,
            date,
        } => notes::new_from_template(
            ctx,
            &template,
            title.as_deref(),
            notebook.as_deref(),
            date.as_deref(),
        ),
        C::Today { date } => notes::today(ctx, date.as_deref()),
        C::Conflict(args) => notes::conflict(ctx, &args),
        C::Revert { id, rev } => notes::revert(ctx, &id, &rev),
        C::Pin { id } => notes::pin(ctx, &id, true),
        C::Unpin { id } => notes::pin(ctx, &id, false),
        C::Attach { id, file, name } => notes::attach(ctx, &id, &file, name.as_deref()),
        C::Extract { id, name, to } => notes::extract(ctx, &id, &name, &to),
        C::Render { id } => notes::render(ctx, &id),
        C::Notebooks => notes::notebooks(ctx),
        C::Notebook(NotebookCommand::Rename { old, new }) => {
            notes::rename_notebook(ctx, &old, &new)
        }
        C::Notebook(NotebookCommand::Rm { name }) => notes::remove_notebook(ctx, &name),
        C::Notebook(NotebookCommand::Mv { id, name }) => notes::move_note(ctx, &id, &name),
        C::Tags => notes::tags(ctx),
        C::Export { dir } => vault::export(ctx, &dir),
        C::Import { dir } => vault::import(ctx, &dir),
        C::Passwd(args) => vault::passwd(ctx, args),
        C::RotateKeys(args) => vault::rotate_keys(ctx, &args),
        C::Verify {
            dismiss_alarms,
            repair,
        } => vault::verify(ctx, dismiss_alarms, repair),
        C::Identity { export_age } => vault::identity(ctx, &export_age),
        C::Remote(RemoteCommand::Add {
            name,
            url,
            messages,
        }) => sync::remote_add(ctx, &name, &url, messages),
        C::Remote(RemoteCommand::List) => sync::remote_list(ctx),
        C::Remote(RemoteCommand::Rm { name }) => sync::remote_rm(ctx, &name),
        C::Sync { name, audit } => sync::sync(ctx, name.as_deref(), audit),
        C::Clone { url, dir } => sync::clone(ctx, &url, &dir, None),
        C::Join { url, dir, name } => sync::clone(ctx, &url, &dir, name.as_deref()),
        C::Device(DeviceCommand::Rename { device, name }) => {
            sync::rename_device(ctx, &device, &name)
        }
        C::Device(DeviceCommand::Rm { device }) => sync::remove_device(ctx, &device),
        C::Devices => sync::devices(ctx),
        C::Pair { dir, name, yes } => sync::pair(ctx, &dir, name.as_deref(), yes),
        C::Device(DeviceCommand::Add { code, remote, yes }) => {
            sync::add_device(ctx, &code, remote.as_deref(), yes)
        }
        C::Device(DeviceCommand::ContinueAsNew) => sync::continue_as_new(ctx),
        C::Messages(m) => crate::messages::run(ctx, m),
    }
}
