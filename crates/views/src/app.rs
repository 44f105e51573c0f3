//! The app's own state as the UI sees it: whether a vault is there and unlocked, the settings,
//! sync's status and its settings, and alarms as shown.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Whether there is a vault, and whether it is unlocked.
#[derive(Debug, Serialize, TS)]
pub struct VaultStatus {
    /// A vault is in the folder (else the first screen offers to create one).
    pub exists: bool,
    /// It is unlocked in this app.
    pub unlocked: bool,
    /// The vault folder.
    pub path: String,
}

/// The app's look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// As the desktop's setting says.
    #[default]
    System,
    /// Light, whatever the desktop says.
    Light,
    /// Dark, whatever the desktop says.
    Dark,
}

/// The app's settings, kept in plain text in the vault's `local/coffer-app.json` (nothing
/// secret in it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Settings {
    /// Lock after this many minutes without activity (1 to 240).
    pub auto_lock_minutes: u32,
    /// The app's look.
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

/// Sent with the `notes-changed` event to every window when one of them changed notes (saved,
/// trashed, restored, settled a conflict...): the others reload what they show.
#[derive(Clone, Debug, Serialize, TS)]
pub struct NotesChanged {
    /// The label of the window that made the change (it knows already).
    pub by: String,
}

/// What sync is doing, as the sidebar shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum SyncState {
    /// No remote is set up.
    Off,
    /// Waiting for the next change or the next interval.
    Idle,
    /// A sync is under way (see the progress).
    Syncing,
    /// The remote could not be reached; retried at the next interval or change.
    Offline,
    /// The last sync failed for another reason (see the message).
    Error,
}

/// Sync's status, sent with every `sync-status` event.
#[derive(Clone, Debug, Serialize, TS)]
pub struct SyncStatus {
    /// What sync is doing now.
    pub state: SyncState,
    /// When the last sync that succeeded ended (milliseconds since 1970).
    #[ts(type = "number | null")]
    pub last_sync: Option<i64>,
    /// Why the last sync failed (state `offline` or `error`).
    pub message: String,
    /// How far the running sync is, while one runs.
    pub progress: Option<coffer_core::Progress>,
    /// Notes with concurrent edits that could not be merged: both versions are kept.
    pub conflicts: Vec<coffer_core::NoteRef>,
    /// Alarms raised since the person last acknowledged them.
    pub new_alarms: usize,
    /// Of those, the ones about a damaged or missing file in this device's vault folder (found
    /// by the check after unlock), not about a remote.
    pub new_damage: usize,
    /// News of devices (joined, removed) since the person last acknowledged it.
    pub new_news: usize,
    /// Counts up each time a sync brought changes in (the UI then reloads what it shows).
    pub changes: u32,
}

/// The sync settings, kept in plain text in the vault's `local/coffer-app-sync.json` (nothing
/// secret in it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SyncSettings {
    /// Sync a few seconds after each change, and every `interval_minutes`.
    pub auto_sync: bool,
    /// 1 to 1440.
    pub interval_minutes: u32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            auto_sync: true,
            interval_minutes: 5,
        }
    }
}

/// An alarm as the app shows it: what the remote did, the notes concerned where known, and
/// whether the person has seen it.
#[derive(Clone, Debug, Serialize, TS)]
pub struct AlarmView {
    /// What the remote did, where and when.
    pub alarm: coffer_core::sync::Alarm,
    /// The notes it concerns, where this vault knows them (none for alarms about logs).
    pub notes: Vec<coffer_core::NoteRef>,
    /// Raised since the person last acknowledged the alarms.
    pub new: bool,
}
