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

export type Purpose = "attach" | "send_files" | "save_file" | "import_folder" | "export_folder" | "remote_folder";

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

export type RemotePurpose = "sync" | "messages";

export type RemoteInfo = { name: string, 
/**
 * The URL with any password hidden.
 */
url: string, kind: RemoteKind, purpose: RemotePurpose, 
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
secret: string, 
/**
 * Syncing this vault (the default), or shared with contacts for messages.
 */
purpose: RemotePurpose, };

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

export type AlarmKind = "unnamed_object" | "forged_entry" | "rollback" | "fork" | "dropped_object" | "swapped_object" | "lost_write" | "replaced_identity" | "local_conflict";

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

export type Contact = { 
/**
 * Stable local id of the contact.
 */
id: string, 
/**
 * The name this user gave the contact.
 */
name: string, 
/**
 * The name inside the contact's card (what they call themselves; not checked by anyone).
 */
card_name: string, 
/**
 * Their current contact card.
 */
card: string, 
/**
 * A short hex fingerprint of their keys.
 */
fingerprint: string, 
/**
 * The safety number was compared and confirmed (reset when the keys change).
 */
verified: boolean, 
/**
 * Their keys were replaced after they were first added, and the new ones are not verified
 * yet: show a loud warning.
 */
key_changed: boolean, 
/**
 * Cards this contact had before a key change, oldest first (kept on record).
 */
previous_cards: Array<string>, added: number, updated: number, };

export type Party = { "status": "me" } | { "status": "contact", id: string, name: string, verified: boolean, } | { "status": "previous-key", id: string, name: string, } | { "status": "unknown", claimed: string, fingerprint: string, };

export type SharedNote = { title: string, tags: Array<string>, };

export type AttachmentInfo = { name: string, size: number, };

export type MessageView = { 
/**
 * The message id (chosen and signed by the sender).
 */
id: string, conversation: string, from: Party, 
/**
 * The other recipients (everyone but the sender).
 */
to: Array<Party>, 
/**
 * Sent by this vault's owner.
 */
outgoing: boolean, 
/**
 * The sender's time (signed), milliseconds since the epoch.
 */
time: number, 
/**
 * When this vault stored it.
 */
received: number, body: string, 
/**
 * Set when the message shares a note (save it with `save_shared_note`).
 */
note: SharedNote | null, attachments: Array<AttachmentInfo>, 
/**
 * The message names a previous message this vault does not have (one was lost or held
 * back on the way).
 */
missing_previous: boolean, 
/**
 * How it came: "remote:NAME", "armor", or "sent".
 */
carrier: string, };

export type ConversationSummary = { id: string, 
/**
 * Everyone taking part except this vault's owner.
 */
with: Array<Party>, messages: number, unread: number, last_time: number, 
/**
 * The start of the last message's body.
 */
last_excerpt: string, };

export type Rejected = { 
/**
 * The inbox file it came from.
 */
key: string, 
/**
 * The stable error code (`bad_signature`, `not_a_recipient`, ...).
 */
code: string, message: string, 
/**
 * Whether the file was removed from the inbox: only a file that opened as a message
 * encrypted to this vault is; anything else is left where it is.
 */
removed: boolean, };

export type Held = { key: string, 
/**
 * `unknown_sender` or `contact_key_changed`.
 */
code: string, message: string, 
/**
 * The sender's card as the message carries it (add it to accept their messages).
 */
sender_card: string, from: Party, };

export type ReceiveReport = { 
/**
 * Messages accepted and stored, oldest first.
 */
received: Array<MessageView>, 
/**
 * Messages from unknown or changed keys (not stored; they stay in the inbox until
 * discarded).
 */
held: Array<Held>, 
/**
 * Files refused (each with a clear reason); see [`Rejected::removed`].
 */
rejected: Array<Rejected>, 
/**
 * Copies of messages already stored (duplicates, replays), removed from the inbox.
 */
duplicates: number, };

export type SafetyNumber = { 
/**
 * 60 decimal digits.
 */
digits: string, 
/**
 * The same digits in 12 groups of 5, as shown.
 */
groups: Array<string>, };

export type QrImage = { 
/**
 * The side of the square in modules, quiet zone included (the `viewBox` is `0 0 size size`).
 */
size: number, 
/**
 * The dark modules as path data: only `M`, `h`, `v`, `z`, digits and spaces.
 */
path: string, };

export type MyCard = { 
/**
 * The card text (`coffer-card1:...`).
 */
card: string, 
/**
 * The display name inside it.
 */
name: string, fingerprint: string, qr: QrImage, };

export type ContactDetail = { contact: Contact, 
/**
 * Both sides see the same number: compare it in person or on a call.
 */
safety: SafetyNumber, 
/**
 * The QR code of the contact's card as this vault has it (to compare with theirs).
 */
qr: QrImage, };

export type ThreadMessage = { message: MessageView, html: string, };

export type Outgoing = { 
/**
 * Contact names (or ids).
 */
to: Array<string>, body: string, 
/**
 * Files to attach, by path (small: together at most 1 MiB).
 */
attachments: Array<string>, 
/**
 * Continue this conversation (its id); by default the latest with these recipients.
 */
conversation: string | null, 
/**
 * Deliver through this shared remote; `None`: return an armored block instead.
 */
remote: string | null, };

export type SentMessage = { message: MessageView, armored: string | null, };

export type InboxFailure = { remote: string, code: string, message: string, };

export type InboxCheck = { 
/**
 * The remotes checked (none: no remote is set up, only armored messages can arrive).
 */
remotes: Array<string>, 
/**
 * What came in, all remotes together.
 */
report: ReceiveReport, failures: Array<InboxFailure>, };

export type DiscardReport = { 
/**
 * Held messages deleted from the inboxes.
 */
discarded: number, failures: Array<InboxFailure>, };
