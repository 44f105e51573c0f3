// Generated from the Rust types by src-tauri (api::typescript_definitions).
// Do not edit: run `scripts/build-app --update-types`.

export type NewNote = { title: string, body: string, tags: Array<string>, notebook: string | null, pinned: boolean, };

export type NoteChange = { 
/**
 * The revision the change was made on. If the note has moved on since (another device or
 * process edited it), both versions are kept. `None`: the current revision.
 */
base: string | null, title: string | null, body: string | null, tags: Array<string> | null, 
/**
 * `Some(None)` takes the note out of its notebook.
 */
notebook: string | null | undefined, pinned: boolean | null, };

export type NoteFilter = { tag: string | null, notebook: string | null, 
/**
 * Only pinned notes.
 */
pinned: boolean, 
/**
 * The trash instead of the live notes.
 */
trash: boolean, };

export type NoteSummary = { id: string, title: string, 
/**
 * The start of the body, as plain text.
 */
excerpt: string, tags: Array<string>, notebook: string | null, pinned: boolean, trashed: boolean, created: number, updated: number, 
/**
 * Concurrent edits are waiting to be reconciled.
 */
conflict: boolean, attachments: number, };

export type NoteRef = { id: string, title: string, };

export type Note = { id: string, 
/**
 * The revision shown.
 */
revision: string, title: string, body: string, tags: Array<string>, notebook: string | null, pinned: boolean, trashed: boolean, created: number, updated: number, attachments: Array<Attachment>, 
/**
 * Notes whose `[[links]]` point here.
 */
backlinks: Array<NoteRef>, 
/**
 * Other current revisions from concurrent edits (empty normally).
 */
conflicts: string[], };

export type RevisionInfo = { revision: string, parents: string[], title: string, updated: number, trashed: boolean, bytes: number, 
/**
 * This revision is (one of) the note's current ones.
 */
current: boolean, };

export type SearchHit = { id: string, title: Array<Segment>, snippet: Array<Segment>, tags: Array<string>, notebook: string | null, updated: number, score: number, };

export type NameCount = { name: string, count: number, };

export type Segment = { text: string, hit: boolean, };

export type Attachment = { name: string, object: string, size: number, 
/**
 * SHA-256 of the file's bytes, hex.
 */
sha256: string, };

export type Progress = { 
/**
 * What is being done, e.g. "importing".
 */
stage: string, done: number, total: number, };

export type Problem = { 
/**
 * The object or log entry concerned (a path inside the vault).
 */
path: string, message: string, };

export type VerifyReport = { log_entries: number, objects: number, 
/**
 * Damage: the vault is not whole.
 */
problems: Array<Problem>, 
/**
 * Harmless findings, such as objects left by an interrupted save.
 */
warnings: Array<Problem>, };

export type ImportReport = { 
/**
 * Notes created.
 */
notes: number, 
/**
 * Attachments stored.
 */
attachments: number, 
/**
 * Files and folders not imported, each with the reason.
 */
skipped: Array<string>, 
/**
 * Files imported with a caveat (e.g. a front matter that did not parse and was kept in
 * the body).
 */
warnings: Array<string>, };

export type ExportReport = { 
/**
 * Note files written.
 */
notes: number, 
/**
 * Attachment files written.
 */
attachments: number, 
/**
 * Attachments that could not be written (damaged objects), each with the reason.
 */
skipped: Array<string>, };

export type ApiError = { code: string, message: string, };

export type VaultStatus = { exists: boolean, unlocked: boolean, 
/**
 * The vault folder.
 */
path: string, };

export type Theme = "system" | "light" | "dark";

export type Settings = { 
/**
 * Lock after this many minutes without activity (1 to 240).
 */
auto_lock_minutes: number, theme: Theme, };

export type LockedEvent = { 
/**
 * `idle` (auto-lock) or `manual`.
 */
reason: string, };

export type RemoteKind = "folder" | "s3" | "webdav";

export type RemoteInfo = { name: string, 
/**
 * The URL with any password hidden.
 */
url: string, kind: RemoteKind, 
/**
 * S3 credentials are stored (encrypted) for it.
 */
has_credentials: boolean, last_sync: number | null, };

export type NewRemote = { name: string, 
/**
 * A folder path, `s3://bucket/prefix?endpoint=…`, or `webdav+http(s)://host/path`.
 */
url: string, 
/**
 * S3: the access key id; WebDAV: the user name. Empty for none.
 */
user: string, 
/**
 * S3: the secret access key; WebDAV: the password. Empty for none.
 */
secret: string, };

export type RemoteCheck = { kind: RemoteKind, 
/**
 * The remote already holds this vault (otherwise it is empty and will receive it).
 */
holds_this_vault: boolean, 
/**
 * Requests the test made.
 */
requests: number, };

export type DeviceInfo = { id: string, 
/**
 * This is the device the vault is open on.
 */
this_device: boolean, 
/**
 * Its latest log entry known here.
 */
entries: number, 
/**
 * When it wrote that entry (its last change known here).
 */
last_change: number | null, 
/**
 * For this device: its last sync with any remote.
 */
last_sync: number | null, };

export type AlarmKind = "unnamed_object" | "forged_entry" | "rollback" | "fork" | "dropped_object" | "swapped_object" | "lost_write" | "local_conflict";

export type Alarm = { kind: AlarmKind, 
/**
 * The remote's name.
 */
remote: string, 
/**
 * The key (path) on the remote concerned.
 */
key: string, message: string, time: number, };

export type SyncState = "off" | "idle" | "syncing" | "offline" | "error";

export type SyncStatus = { state: SyncState, 
/**
 * When the last sync that succeeded ended (milliseconds since 1970).
 */
last_sync: number | null, 
/**
 * Why the last sync failed (state `offline` or `error`).
 */
message: string, progress: Progress | null, 
/**
 * Notes with concurrent edits that could not be merged: both versions are kept.
 */
conflicts: Array<NoteRef>, 
/**
 * Alarms raised since the person last acknowledged them.
 */
new_alarms: number, 
/**
 * Counts up each time a sync brought changes in (the UI then reloads what it shows).
 */
changes: number, };

export type SyncSettings = { 
/**
 * Sync a few seconds after each change, and every `interval_minutes`.
 */
auto_sync: boolean, 
/**
 * 1 to 1440.
 */
interval_minutes: number, };

export type AlarmView = { alarm: Alarm, notes: Array<NoteRef>, new: boolean, };
