//! The vault's API types: what the CLI prints with `--json` and what crosses to the desktop UI.
//! With the `ts` feature, TypeScript definitions are generated from them.

use crate::Id;
use crate::note::{Attachment, Millis};
use crate::search::Segment;
use serde::{Deserialize, Serialize};

/// A note to create.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct NewNote {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub notebook: Option<String>,
    pub pinned: bool,
}

/// A change to a note; fields left `None` stay as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct NoteChange {
    /// The revision the change was made on. If the note has moved on since (another device or
    /// process edited it), both versions are kept. `None`: the current revision.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub base: Option<Id>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub tags: Option<Vec<String>>,
    /// `Some(None)` takes the note out of its notebook.
    #[cfg_attr(feature = "ts", ts(type = "string | null | undefined"))]
    pub notebook: Option<Option<String>>,
    pub pinned: Option<bool>,
}

/// Which notes to list.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct NoteFilter {
    pub tag: Option<String>,
    pub notebook: Option<String>,
    /// Only pinned notes.
    pub pinned: bool,
    /// The trash instead of the live notes.
    pub trash: bool,
}

/// A note in a list.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteSummary {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    pub title: String,
    /// The start of the body, as plain text.
    pub excerpt: String,
    pub tags: Vec<String>,
    pub notebook: Option<String>,
    pub pinned: bool,
    pub trashed: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: Millis,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
    /// Concurrent edits are waiting to be reconciled.
    pub conflict: bool,
    pub attachments: usize,
}

/// A link to a note, with its title.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteRef {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    pub title: String,
}

/// A whole note.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Note {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    /// The revision shown.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub revision: Id,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub notebook: Option<String>,
    pub pinned: bool,
    pub trashed: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: Millis,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
    pub attachments: Vec<Attachment>,
    /// Notes whose `[[links]]` point here.
    pub backlinks: Vec<NoteRef>,
    /// Other current revisions from concurrent edits (empty normally).
    #[cfg_attr(feature = "ts", ts(type = "string[]"))]
    pub conflicts: Vec<Id>,
}

/// One entry of a note's history.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RevisionInfo {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub revision: Id,
    #[cfg_attr(feature = "ts", ts(type = "string[]"))]
    pub parents: Vec<Id>,
    pub title: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
    pub trashed: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// This revision is (one of) the note's current ones.
    pub current: bool,
}

/// A search result.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    pub title: Vec<Segment>,
    pub snippet: Vec<Segment>,
    pub tags: Vec<String>,
    pub notebook: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
    pub score: f32,
}

/// A notebook or tag with the number of live notes in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NameCount {
    pub name: String,
    pub count: usize,
}
