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
    /// The note's title; runs of whitespace become one space, and a blank one "Untitled".
    pub title: String,
    /// The Markdown body, stored exactly as given.
    pub body: String,
    /// Tags: each trimmed, a leading `#` dropped, inner spaces turned into `-`. Blank tags
    /// and repeats (ignoring case) are dropped.
    pub tags: Vec<String>,
    /// The notebook to file the note in (whitespace tidied); `None` or a blank name: none.
    /// Notebooks nest: "Work/Plans" is notebook Plans inside Work.
    pub notebook: Option<String>,
    /// Whether the note starts out pinned (`NoteFilter::pinned` lists only pinned notes).
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
    /// A new title, tidied as in [`NewNote::title`].
    pub title: Option<String>,
    /// A new Markdown body, replacing the whole old one.
    pub body: Option<String>,
    /// A new set of tags, replacing all the old ones; tidied as in [`NewNote::tags`].
    pub tags: Option<Vec<String>>,
    /// `Some(None)` takes the note out of its notebook.
    #[cfg_attr(feature = "ts", ts(type = "string | null | undefined"))]
    pub notebook: Option<Option<String>>,
    /// `Some(true)` pins the note, `Some(false)` unpins it.
    pub pinned: Option<bool>,
}

/// Which notes to list.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct NoteFilter {
    /// Only notes with this tag, compared ignoring case after tidying it as in
    /// [`NewNote::tags`] (so `#Home` finds `home`). `None`: any tags.
    pub tag: Option<String>,
    /// Only notes in this notebook or in the notebooks inside it (exact, case-sensitive
    /// name). `None`: any notebook or none.
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
    /// The note's id, the same for all its revisions.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    /// The note's current title (never empty).
    pub title: String,
    /// The start of the body, as plain text.
    pub excerpt: String,
    /// The note's tags, in the order they were given.
    pub tags: Vec<String>,
    /// The notebook the note is in, if any.
    pub notebook: Option<String>,
    /// Whether the note is pinned.
    pub pinned: bool,
    /// Whether the note is in the trash.
    pub trashed: bool,
    /// When the note was created, in milliseconds since the Unix epoch (UTC).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: Millis,
    /// When the note was last changed, in milliseconds since the Unix epoch (UTC). Lists are
    /// sorted by it, newest first.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
    /// Concurrent edits are waiting to be reconciled.
    pub conflict: bool,
    /// How many files are attached to the note.
    pub attachments: usize,
}

/// A link to a note, with its title.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteRef {
    /// The id of the note linked to.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    /// That note's current title, to show as the link's text.
    pub title: String,
}

/// A whole note.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Note {
    /// The note's id, the same for all its revisions.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    /// The revision shown.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub revision: Id,
    /// The note's title at the revision shown (never empty).
    pub title: String,
    /// The Markdown body at the revision shown.
    pub body: String,
    /// The note's tags at the revision shown.
    pub tags: Vec<String>,
    /// The notebook the note is in at the revision shown, if any.
    pub notebook: Option<String>,
    /// Whether the note is pinned at the revision shown.
    pub pinned: bool,
    /// Whether the note is in the trash at the revision shown.
    pub trashed: bool,
    /// When the note was created, in milliseconds since the Unix epoch (UTC).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: Millis,
    /// When the revision shown was saved, in milliseconds since the Unix epoch (UTC).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
    /// The files attached to the note at the revision shown.
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
    /// The revision's id, for `Vault::note_at` and `Vault::revert`.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub revision: Id,
    /// The revisions this one replaced: none for a note's first revision, two or more
    /// for one that reconciled concurrent edits.
    #[cfg_attr(feature = "ts", ts(type = "string[]"))]
    pub parents: Vec<Id>,
    /// The note's title at this revision.
    pub title: String,
    /// When this revision was saved, in milliseconds since the Unix epoch (UTC). The
    /// history is sorted by it, newest first.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
    /// Whether this revision put (or kept) the note in the trash.
    pub trashed: bool,
    /// The device that saved it, by its name in the roster (its short id when the roster does
    /// not name it); `None` when not known.
    pub device: Option<String>,
    /// Size of the note's Markdown body at this revision, in bytes (attachments not counted).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// This revision is (one of) the note's current ones.
    pub current: bool,
}

/// A note changed on two devices at once, in the same places, laid out to be settled
/// (`Vault::conflict`): the version shown and one other, their bodies in parts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conflict {
    /// The note's id.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub note: Id,
    /// The version the note shows now (the newer one).
    pub shown: ConflictVersion,
    /// The other version.
    pub other: ConflictVersion,
    /// Which side changed the title since the versions parted (`Same` when the titles are
    /// equal).
    pub title_changed: PartChange,
    /// The two bodies in order: runs both share, and runs where they differ. The `shown`
    /// sides joined make the shown body; the `other` sides, the other.
    pub parts: Vec<ConflictPart>,
    /// Whether the version both came from is known; without it every difference is marked
    /// as changed on both sides.
    pub base_known: bool,
    /// How many more versions wait after this pair (three or more devices edited at once).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub more: usize,
}

/// One side of a conflict.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictVersion {
    /// The revision.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub revision: Id,
    /// Its title.
    pub title: String,
    /// When it was saved, in milliseconds since the Unix epoch (UTC).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
    /// The device that saved it, by name, when known.
    pub device: Option<String>,
}

/// A run of lines of the two versions of a conflict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictPart {
    /// The run in the shown version (empty when only the other has lines here).
    pub shown: String,
    /// The run in the other version.
    pub other: String,
    /// Which side changed it since the versions parted.
    pub change: PartChange,
}

/// Which side of a conflict changed a part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PartChange {
    /// Both versions have the same text here.
    Same,
    /// Only the shown version changed it: taking the shown side keeps both people's work.
    Shown,
    /// Only the other version changed it.
    Other,
    /// Both changed it (or which did is not known): the person chooses.
    Both,
}

/// How a person settled a conflict (`Vault::settle_conflict`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Settlement {
    /// The shown version settled, as `Conflict::shown` gave it.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub shown: Id,
    /// The other version settled.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub other: Id,
    /// The title to keep.
    pub title: String,
    /// The body to keep.
    pub body: String,
}

/// A search result.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    /// The id of the note found.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    /// The note's title (up to 200 characters around the first match), split into plain
    /// and matching pieces.
    pub title: Vec<Segment>,
    /// About 160 characters of the body, starting a little before the first match, split
    /// into plain and matching pieces; `…` marks text left out.
    pub snippet: Vec<Segment>,
    /// The note's tags.
    pub tags: Vec<String>,
    /// The notebook the note is in, if any.
    pub notebook: Option<String>,
    /// When the note was last changed, in milliseconds since the Unix epoch (UTC).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
    /// How well the note matched (BM25, with titles and tags counting more); higher is
    /// better. Only comparable within one search, whose hits come best first.
    pub score: f32,
    /// Set when the match is in the text of one of the note's attachments (a plain-text file
    /// or a PDF): its name. The snippet is then of that text. Such hits come after the notes
    /// found by their own text.
    pub attachment: Option<String>,
}

/// A notebook or tag with the number of live notes in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NameCount {
    /// The notebook name or tag, as written on the notes (tags differing in case count apart).
    pub name: String,
    /// How many notes outside the trash have it.
    pub count: usize,
}
