//! Import of Markdown folders and age files, export to a Markdown folder.
//!
//! **Import** ([`Vault::import_dir`]) reads a folder tree such as an Obsidian vault or Joplin's
//! "Markdown + Front Matter" export:
//! - every `.md` / `.markdown` file becomes a note. Its YAML front matter gives the title
//!   (`title`, else the file name's stem), the tags (`tags` or `tag`: a list, or one string
//!   separated by commas or spaces), the times (`created`, else `date`; `updated`, else
//!   `modified`; RFC 3339 or `YYYY-MM-DD[ HH:MM[:SS]]`, UTC unless an offset is given; else the
//!   file's modification time), `pinned`, and the notebook (`notebook`, else the folder path
//!   relative to the imported folder, e.g. `A/B`; none at the top). A front matter block that
//!   parses is removed from the body; one that does not is kept in the body and reported.
//! - files a note links to (`![x](../_resources/a.png)`, `[doc](file.pdf)`, `<img src=...>`,
//!   Obsidian's `![[a.png]]`), or lists under `attachments` in its front matter, are attached
//!   to it. A target is found like Obsidian does: relative to the note, else relative to the
//!   imported folder, else by its file name if that name is unique in the folder. Nothing
//!   outside the imported folder is ever read.
//! - `.age` files are decrypted with the vault key. A Coffer note object (e.g. a file copied
//!   from a vault's `objects/`) becomes a new note keeping its title, tags, notebook, pin and
//!   times (a note from the trash comes back live, without attachments, which are other
//!   objects); any other plaintext is read as a Markdown file named by the stem
//!   (`plan.md.age` is the note "plan").
//! - hidden files and folders (`.obsidian`, `.trash`, `.git`) and symbolic links are skipped,
//!   as are files no note refers to; each is listed in [`ImportReport::skipped`] with the
//!   reason. One unreadable file never stops the import.
//!
//! Notes are committed in batches of [`IMPORT_BATCH`] revisions (one log entry each), so a
//! large import is quick and an interruption keeps the batches already written. Importing the
//! same folder twice creates every note twice: an import never merges into existing notes.
//!
//! **Export** ([`Vault::export_dir`]) writes every live note to `<notebook>/<title>.md` in an
//! empty or new folder, with a front matter (`title`, `tags`, `notebook`, `created`,
//! `updated`, `pinned`, `attachments`) whose strings are JSON strings (valid YAML), then the
//! body unchanged. Attachments go to `<notebook>/_attachments/<title>/<name>` and are listed in
//! the front matter, so importing an export brings everything back. The files are plaintext:
//! on Unix they are created readable by their owner only (0600, folders 0700).
//!
//! Here: the reports and limits. `import.rs` walks the folder and commits the notes,
//! `markdown.rs` reads a Markdown file (front matter, links, times), `export.rs` writes one.

use crate::held::{HeldDir, Refused, WriteError};
use crate::note::{Millis, Revision, millis_to_rfc3339, rfc3339_to_millis};
use crate::object::{Header, Kind};
use crate::ops::clean_tags;
use crate::store::{Batch, NewObject, Sealed};
use crate::{Error, Id, Progress, ProgressFn, Result, Vault, crypto, fsutil};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};
use rustix::fs::FileType;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use yaml_rust2::{Yaml, YamlLoader};
use zeroize::Zeroizing;

/// Revisions (plus attachments) committed per log entry during an import.
pub const IMPORT_BATCH: usize = 500;
/// Largest Markdown or `.age` file imported as a note.
pub const MAX_NOTE_FILE: u64 = 64 << 20;
/// Largest front matter block parsed; a bigger one is kept in the body.
pub(super) const MAX_FRONT_MATTER: usize = 256 << 10;
/// Longest file or folder name written by an export, in bytes (before " (2)" and ".md").
pub(super) const MAX_NAME_BYTES: usize = 120;
/// Notebook folders an export nests at most; a deeper notebook's note goes in the deepest of
/// them (its front matter keeps the whole notebook name, so an import restores it).
pub(super) const MAX_EXPORT_DEPTH: usize = 16;
/// The folder, beside the notes of a notebook, that holds their attachments on export.
pub const ATTACHMENTS_DIR: &str = "_attachments";

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    /// Notes created.
    pub notes: usize,
    /// Attachments stored.
    pub attachments: usize,
    /// Files and folders not imported, each with the reason.
    pub skipped: Vec<String>,
    /// Files imported with a caveat (e.g. a front matter that did not parse and was kept in
    /// the body).
    pub warnings: Vec<String>,
}

/// What an export wrote.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportReport {
    /// Note files written.
    pub notes: usize,
    /// Attachment files written.
    pub attachments: usize,
    /// Attachments that could not be written (damaged objects), each with the reason.
    pub skipped: Vec<String>,
}

mod export;
mod import;
mod markdown;
#[cfg(test)]
mod tests;

pub use export::safe_file_name;
use import::*;
pub use markdown::parse_time;
use markdown::*;
