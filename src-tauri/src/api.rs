//! The few request/response types that belong to the app rather than to the vault, and the
//! generation of the TypeScript definitions the UI is written against (ui/src/generated/api.ts).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Whether there is a vault, and whether it is unlocked.
#[derive(Debug, Serialize, TS)]
pub struct VaultStatus {
    pub exists: bool,
    pub unlocked: bool,
    /// The vault folder.
    pub path: String,
}

/// The app's look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// The app's settings, kept in plain text in the vault's `local/coffer-app.json` (nothing
/// secret in it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Settings {
    /// Lock after this many minutes without activity (1 to 240).
    pub auto_lock_minutes: u32,
    pub theme: Theme,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_lock_minutes: 5,
            theme: Theme::System,
        }
    }
}

/// Sent with the `locked` event.
#[derive(Clone, Debug, Serialize, TS)]
pub struct LockedEvent {
    /// `idle` (auto-lock) or `manual`.
    pub reason: String,
}

/// The TypeScript definitions of every type that crosses between Rust and the UI, as one
/// module. A test compares it with the checked-in ui/src/generated/api.ts.
pub fn typescript_definitions() -> String {
    use coffer_core as c;
    let cfg = ts_rs::Config::new().with_large_int("number");
    let decls = [
        c::NewNote::decl(&cfg),
        c::NoteChange::decl(&cfg),
        c::NoteFilter::decl(&cfg),
        c::NoteSummary::decl(&cfg),
        c::NoteRef::decl(&cfg),
        c::Note::decl(&cfg),
        c::RevisionInfo::decl(&cfg),
        c::SearchHit::decl(&cfg),
        c::NameCount::decl(&cfg),
        c::search::Segment::decl(&cfg),
        c::note::Attachment::decl(&cfg),
        c::Progress::decl(&cfg),
        c::verify::Problem::decl(&cfg),
        c::verify::VerifyReport::decl(&cfg),
        c::transfer::ImportReport::decl(&cfg),
        c::transfer::ExportReport::decl(&cfg),
        crate::error::ApiError::decl(&cfg),
        VaultStatus::decl(&cfg),
        Theme::decl(&cfg),
        Settings::decl(&cfg),
        LockedEvent::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri (api::typescript_definitions).\n\
         // Do not edit: run `scripts/build-app --update-types`.\n",
    );
    for d in decls {
        out.push_str("\nexport ");
        out.push_str(d.trim());
        out.push('\n');
    }
    out
}
