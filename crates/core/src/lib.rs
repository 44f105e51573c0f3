//! # coffer-core
//!
//! Coffer's vault: private notes kept as age-encrypted files that the standard `age` tool can
//! read with the user's key. This crate does all storage, cryptography, search and rendering;
//! the CLI (`coffer`) and the desktop app are thin clients of it. It knows nothing of any UI.
//!
//! ```no_run
//! use coffer_core::{Vault, InitOptions, NewNote, NoteFilter};
//! use age::secrecy::SecretString;
//! # fn main() -> coffer_core::Result<()> {
//! let pass = SecretString::from("correct horse battery staple".to_string());
//! let mut vault = Vault::init("my-vault".as_ref(), &pass, &InitOptions::default())?;
//! let id = vault.create(NewNote { title: "Hello".into(), body: "First note".into(), ..Default::default() })?;
//! assert_eq!(vault.list(&NoteFilter::default()).len(), 1);
//! let hits = vault.search("fir", 10);
//! assert_eq!(hits[0].id, id);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The layers, each looking only down (docs/ARCHITECTURE.md draws them).
//
// Formats: what Coffer writes, readable without a vault (docs/FORMAT.md). Public: the format is
// open, and a reader can be built from these.
pub mod config;
pub mod crypto;
pub use store::journal;
pub mod generations;
pub mod keys;
pub mod log;
pub mod note;
pub mod object;
pub mod roster;

// Below the formats: ids, limits on what is read, durable files, text rules.
mod error;
mod fsutil;
mod held;
mod id;
mod limits;
pub mod passphrase;
mod process;
mod text;

// The store: a vault folder opened with its keys (layout, lock, batches, commits, journal).
mod store;

// The state: every note, the search index, the snapshot cache.
mod model;
pub mod search;
mod snapshot;
mod state;

// Operations on a vault, and the facade that holds them together.
mod attach;
mod conflict;
mod devices;
mod highlight;
pub mod messages;
mod notebooks;
mod ops;
pub mod render;
mod repair;
mod rotate;
mod scrub;
pub mod templates;
pub use rotate::Rotation;
pub mod sync;
pub mod transfer;
mod vault;
mod verify;

pub use age;
pub use age::secrecy;
pub use attach::{AttachmentText, AttachmentToRead};
pub use devices::DeviceRemoval;
pub use error::{Error, Result};
pub use fsutil::{create_dirs, new_private_file, write_atomic};
pub use id::Id;
pub use model::*;
pub use process::{harden_process, lower_this_threads_priority};
pub use repair::{Healed, RepairReport};
pub use scrub::{Damage, Scrub, ScrubFound, ScrubReport, THIS_DEVICE};
pub use text::is_invisible;
pub use vault::{InitOptions, LoadProblem, LockedVault, ProblemKind, Vault};
pub use verify::{Problem, VerifyReport};

/// Internals for Coffer's own benchmarks (the `internals` feature); not an API.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::snapshot::{BODIES_MAGIC, META_MAGIC as SNAPSHOT_MAGIC};
    pub use crate::state::State;
}

/// A report of progress through a long operation.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    /// What is being done, e.g. "importing".
    pub stage: String,
    /// Steps done so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: u64,
    /// Steps in all, or 0 while the total is not known yet.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
}

impl Progress {
    /// Reports step `done` of `total` through `progress` every hundredth step before the last
    /// (the caller reports the start and the end): often enough to move a bar, rarely enough
    /// to cost nothing.
    pub(crate) fn now_and_then(progress: ProgressFn<'_>, stage: &str, done: u64, total: u64) {
        if done.is_multiple_of(100) && done < total {
            progress(&Progress {
                stage: stage.into(),
                done,
                total,
            });
        }
    }
}

/// Receives progress reports; long operations call it now and then.
pub type ProgressFn<'a> = &'a mut dyn FnMut(&Progress);

/// Where the vault lives when none is named: `$COFFER_VAULT`, else
/// `$XDG_DATA_HOME/coffer/vault`, else `~/.local/share/coffer/vault`.
/// The CLI and the desktop app both use this, so they open the same vault.
pub fn default_vault_dir() -> std::path::PathBuf {
    use std::path::PathBuf;
    if let Some(v) = std::env::var_os("COFFER_VAULT").filter(|v| !v.is_empty()) {
        return PathBuf::from(v);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("coffer").join("vault")
}
