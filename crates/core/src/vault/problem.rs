//! What loading a vault met and skipped: each problem with its kind, the rest stays usable.

use serde::Serialize;
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// What part of the vault a [`LoadProblem`] concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The encrypted snapshot cache could not be used; the state was rebuilt from the log.
    Snapshot,
    /// A log entry is damaged, or missing while later ones exist: the entries after it are
    /// ignored.
    Log,
    /// An object a log entry names is missing or damaged: that revision is left out.
    Object,
    /// The save journal is damaged: the records before the damage are kept, the file kept
    /// aside.
    Journal,
    /// A log ends before an entry this vault had read: the folder was restored from an older
    /// copy, or entries were deleted.
    RolledBack,
    /// A contact or message could not be read.
    Messages,
}

/// One problem met while loading: its kind and a message naming the file concerned. It reads
/// as its message (`Display`, and as a `str`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoadProblem {
    /// What part of the vault it concerns.
    pub kind: ProblemKind,
    /// What was found and skipped, naming the file concerned.
    pub message: String,
}

impl LoadProblem {
    pub(crate) fn new(kind: ProblemKind, message: impl Into<String>) -> LoadProblem {
        LoadProblem {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Deref for LoadProblem {
    type Target = str;
    fn deref(&self) -> &str {
        &self.message
    }
}

impl Borrow<str> for LoadProblem {
    fn borrow(&self) -> &str {
        &self.message
    }
}
