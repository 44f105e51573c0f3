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

pub mod attach;
pub mod config;
pub mod crypto;
mod error;
pub mod fsutil;
pub(crate) mod held;
mod id;

pub mod keys;
pub mod limits;
pub mod log;
pub mod messages;
pub mod model;
pub mod note;
pub mod object;
mod ops;
pub mod process;
pub mod render;
mod rotate;
pub mod search;
mod snapshot;
pub mod state;
mod store;
pub use store::journal;
pub mod sync;
pub mod text;
pub mod transfer;
pub mod vault;
pub mod verify;

pub use age;
pub use age::secrecy;
pub use error::{Error, Result};
pub use id::Id;
pub use model::*;
pub use process::harden_process;
pub use vault::{InitOptions, LoadProblem, LockedVault, ProblemKind, Vault};

/// A report of progress through a long operation.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    /// What is being done, e.g. "importing".
    pub stage: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: u64,
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
