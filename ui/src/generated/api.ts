// Generated from the Rust types by src-tauri (typescript::definitions).
// Do not edit: run `scripts/build-app --update-types`.

export type NewNote = { 
/**
 * The note's title; runs of whitespace become one space, and a blank one "Untitled".
 */
title: string, 
/**
 * The Markdown body, stored exactly as given.
 */
body: string, 
/**
 * Tags: each trimmed, a leading `#` dropped, inner spaces turned into `-`. Blank tags
 * and repeats (ignoring case) are dropped.
 */
tags: Array<string>, 
/**
 * The notebook to file the note in (whitespace tidied); `None` or a blank name: none.
 * Notebooks nest: "Work/Plans" is notebook Plans inside Work.
 */
notebook: string | null, 
/**
 * Whether the note starts out pinned (`NoteFilter::pinned` lists only pinned notes).
 */
pinned: boolean, };

export type NoteChange = { 
/**
 * The revision the change was made on. If the note has moved on since (another device or
 * process edited it), both versions are kept. `None`: the current revision.
 */
base: string | null, 
/**
 * A new title, tidied as in [`NewNote::title`].
 */
title: string | null, 
/**
 * A new Markdown body, replacing the whole old one.
 */
body: string | null, 
/**
 * A new set of tags, replacing all the old ones; tidied as in [`NewNote::tags`].
 */
tags: Array<string> | null, 
/**
 * `Some(None)` takes the note out of its notebook.
 */
notebook: string | null | undefined, 
/**
 * `Some(true)` pins the note, `Some(false)` unpins it.
 */
pinned: boolean | null, };

export type NoteFilter = { 
/**
 * Only notes with this tag, compared ignoring case after tidying it as in
 * [`NewNote::tags`] (so `#Home` finds `home`). `None`: any tags.
 */
tag: string | null, 
/**
 * Only notes in this notebook or in the notebooks inside it (exact, case-sensitive
 * name). `None`: any notebook or none.
 */
notebook: string | null, 
/**
 * Only pinned notes.
 */
pinned: boolean, 
/**
 * The trash instead of the live notes.
 */
trash: boolean, };

export type NoteSummary = { 
/**
 * The note's id, the same for all its revisions.
 */
id: string, 
/**
 * The note's current title (never empty).
 */
title: string, 
/**
 * The start of the body, as plain text.
 */
excerpt: string, 
/**
 * The note's tags, in the order they were given.
 */
tags: Array<string>, 
/**
 * The notebook the note is in, if any.
 */
notebook: string | null, 
/**
 * Whether the note is pinned.
 */
pinned: boolean, 
/**
 * Whether the note is in the trash.
 */
trashed: boolean, 
/**
 * When the note was created, in milliseconds since the Unix epoch (UTC).
 */
created: number, 
/**
 * When the note was last changed, in milliseconds since the Unix epoch (UTC). Lists are
 * sorted by it, newest first.
 */
updated: number, 
/**
 * Concurrent edits are waiting to be reconciled.
 */
conflict: boolean, 
/**
 * How many files are attached to the note.
 */
attachments: number, };

export type NoteRef = { 
/**
 * The id of the note linked to.
 */
id: string, 
/**
 * That note's current title, to show as the link's text.
 */
title: string, };

export type Note = { 
/**
 * The note's id, the same for all its revisions.
 */
id: string, 
/**
 * The revision shown.
 */
revision: string, 
/**
 * The note's title at the revision shown (never empty).
 */
title: string, 
/**
 * The Markdown body at the revision shown.
 */
body: string, 
/**
 * The note's tags at the revision shown.
 */
tags: Array<string>, 
/**
 * The notebook the note is in at the revision shown, if any.
 */
notebook: string | null, 
/**
 * Whether the note is pinned at the revision shown.
 */
pinned: boolean, 
/**
 * Whether the note is in the trash at the revision shown.
 */
trashed: boolean, 
/**
 * When the note was created, in milliseconds since the Unix epoch (UTC).
 */
created: number, 
/**
 * When the revision shown was saved, in milliseconds since the Unix epoch (UTC).
 */
updated: number, 
/**
 * The files attached to the note at the revision shown.
 */
attachments: Array<Attachment>, 
/**
 * Notes whose `[[links]]` point here.
 */
backlinks: Array<NoteRef>, 
/**
 * Other current revisions from concurrent edits (empty normally).
 */
conflicts: string[], };

export type RevisionInfo = { 
/**
 * The revision's id, for `Vault::note_at` and `Vault::revert`.
 */
revision: string, 
/**
 * The revisions this one replaced: none for a note's first revision, two or more
 * for one that reconciled concurrent edits.
 */
parents: string[], 
/**
 * The note's title at this revision.
 */
title: string, 
/**
 * When this revision was saved, in milliseconds since the Unix epoch (UTC). The
 * history is sorted by it, newest first.
 */
updated: number, 
/**
 * Whether this revision put (or kept) the note in the trash.
 */
trashed: boolean, 
/**
 * The device that saved it, by its name in the roster (its short id when the roster does
 * not name it); `None` when not known.
 */
device: string | null, 
/**
 * Size of the note's Markdown body at this revision, in bytes (attachments not counted).
 */
bytes: number, 
/**
 * This revision is (one of) the note's current ones.
 */
current: boolean, };

export type Conflict = { 
/**
 * The note's id.
 */
note: string, 
/**
 * The version the note shows now (the newer one).
 */
shown: ConflictVersion, 
/**
 * The other version.
 */
other: ConflictVersion, 
/**
 * Which side changed the title since the versions parted (`Same` when the titles are
 * equal).
 */
title_changed: PartChange, 
/**
 * The two bodies in order: runs both share, and runs where they differ. The `shown`
 * sides joined make the shown body; the `other` sides, the other.
 */
parts: Array<ConflictPart>, 
/**
 * Whether the version both came from is known; without it every difference is marked
 * as changed on both sides.
 */
base_known: boolean, 
/**
 * How many more versions wait after this pair (three or more devices edited at once).
 */
more: number, };

export type ConflictVersion = { 
/**
 * The revision.
 */
revision: string, 
/**
 * Its title.
 */
title: string, 
/**
 * When it was saved, in milliseconds since the Unix epoch (UTC).
 */
updated: number, 
/**
 * The device that saved it, by name, when known.
 */
device: string | null, };

export type ConflictPart = { 
/**
 * The run in the shown version (empty when only the other has lines here).
 */
shown: string, 
/**
 * The run in the other version.
 */
other: string, 
/**
 * Which side changed it since the versions parted.
 */
change: PartChange, };

export type PartChange = "same" | "shown" | "other" | "both";

export type Settlement = { 
/**
 * The shown version settled, as `Conflict::shown` gave it.
 */
shown: string, 
/**
 * The other version settled.
 */
other: string, 
/**
 * The title to keep.
 */
title: string, 
/**
 * The body to keep.
 */
body: string, };

export type Strength = { 
/**
 * 0 (empty), 1 weak, 2 fair, 3 good, 4 strong.
 */
score: number, 
/**
 * "Weak", "Fair", "Good" or "Strong" ("" when empty).
 */
label: string, 
/**
 * What makes it weak, or what would make it stronger ("" when nothing to say).
 */
hint: string, };

export type SearchHit = { 
/**
 * The id of the note found.
 */
id: string, 
/**
 * The note's title (up to 200 characters around the first match), split into plain
 * and matching pieces.
 */
title: Array<Segment>, 
/**
 * About 160 characters of the body, starting a little before the first match, split
 * into plain and matching pieces; `…` marks text left out.
 */
snippet: Array<Segment>, 
/**
 * The note's tags.
 */
tags: Array<string>, 
/**
 * The notebook the note is in, if any.
 */
notebook: string | null, 
/**
 * When the note was last changed, in milliseconds since the Unix epoch (UTC).
 */
updated: number, 
/**
 * How well the note matched (BM25, with titles and tags counting more); higher is
 * better. Only comparable within one search, whose hits come best first.
 */
score: number, 
/**
 * Set when the match is in the text of one of the note's attachments (a plain-text file
 * or a PDF): its name. The snippet is then of that text. Such hits come after the notes
 * found by their own text.
 */
attachment: string | null, };

export type NameCount = { 
/**
 * The notebook name or tag, as written on the notes (tags differing in case count apart).
 */
name: string, 
/**
 * How many notes outside the trash have it.
 */
count: number, };

export type Segment = { 
/**
 * The piece's text, runs of whitespace as one space; show it as text, never as HTML.
 */
text: string, 
/**
 * Whether the piece matched a query word (only the matching start of a word is a hit).
 */
hit: boolean, };

export type Attachment = { 
/**
 * The file's name, without folders; unique among the note's attachments (attaching
 * another file of the same name replaces it).
 */
name: string, 
/**
 * The id of the attachment object holding the encrypted bytes.
 */
object: string, 
/**
 * The file's size in bytes.
 */
size: number, 
/**
 * SHA-256 of the file's bytes, hex.
 */
sha256: string, };

export type Progress = { 
/**
 * What is being done, e.g. "importing".
 */
stage: string, 
/**
 * Steps done so far.
 */
done: number, 
/**
 * Steps in all, or 0 while the total is not known yet.
 */
total: number, };

export type Problem = { 
/**
 * The object or log entry concerned (a path inside the vault).
 */
path: string, 
/**
 * What is wrong (or was noticed), in a sentence for the user.
 */
message: string, };

export type VerifyReport = { 
/**
 * How many log entries opened and checked out, including those still in this
 * device's save journal.
 */
log_entries: number, 
/**
 * How many objects the log names were checked (those of purged notes are skipped).
 */
objects: number, 
/**
 * Damage: the vault is not whole.
 */
problems: Array<Problem>, 
/**
 * Harmless findings, such as objects left by an interrupted save.
 */
warnings: Array<Problem>, };

export type Damage = { 
/**
 * The file, inside the vault folder (`objects/xx/<id>.age`, `log/<device>/<seq>.age`).
 */
path: string, 
/**
 * What is wrong with it, in a sentence for the user.
 */
message: string, };

export type Healed = { 
/**
 * The file, inside the vault folder.
 */
path: string, 
/**
 * How, in a sentence for the user.
 */
how: string, };

export type RepairReport = { 
/**
 * Files put back (or whose note's text was saved again).
 */
healed: Array<Healed>, 
/**
 * Files that could not be put right, each with why.
 */
not_healed: Array<Damage>, };

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

export type VaultStatus = { 
/**
 * A vault is in the folder (else the first screen offers to create one).
 */
exists: boolean, 
/**
 * It is unlocked in this app.
 */
unlocked: boolean, 
/**
 * The vault folder.
 */
path: string, };

export type Theme = "system" | "light" | "dark";

export type Settings = { 
/**
 * Lock after this many minutes without activity (1 to 240).
 */
auto_lock_minutes: number, 
/**
 * The app's look.
 */
theme: Theme, };

export type LockedEvent = { 
/**
 * `idle` (auto-lock) or `manual`.
 */
reason: string, };

export type NotesChanged = { 
/**
 * The label of the window that made the change (it knows already).
 */
by: string, };

export type RemoteKind = "folder" | "s3" | "webdav";

export type RemotePurpose = "sync" | "messages";

export type RemoteInfo = { 
/**
 * The name the remote was added under, which commands take (a clone names its source
 * `origin`).
 */
name: string, 
/**
 * The URL with any password hidden.
 */
url: string, 
/**
 * A folder, an S3 store or a WebDAV server, as the URL says.
 */
kind: RemoteKind, 
/**
 * Whether it syncs this vault or holds message inboxes shared with contacts.
 */
purpose: RemotePurpose, 
/**
 * S3 credentials are stored (encrypted) for it.
 */
has_credentials: boolean, 
/**
 * When this device last finished a sync with it at its current URL, in milliseconds since the
 * Unix epoch, UTC; `None` if never.
 */
last_sync: number | null, };

export type NewRemote = { 
/**
 * The name to give the remote: 1 to 64 letters, digits, `-`, `_` or `.` (spaces around it are
 * trimmed).
 */
name: string, 
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

export type RemoteCheck = { 
/**
 * A folder, an S3 store or a WebDAV server, as the URL says.
 */
kind: RemoteKind, 
/**
 * The remote already holds this vault (otherwise it is empty and will receive it).
 */
holds_this_vault: boolean, 
/**
 * Requests the test made.
 */
requests: number, };

export type DeviceInfo = { 
/**
 * The device's id (its log is under `log/<id>/` on a remote).
 */
id: string, 
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
last_sync: number | null, 
/**
 * Its name in the roster; `None` for a device that has not joined it (one that signs
 * with the shared key of an older Coffer, or this device before its first change).
 */
name: string | null, 
/**
 * How it joined: `"passphrase"`, `"paired"`, or `None` when it is not in the roster.
 */
joined_by: string | null, 
/**
 * The name of the device that added it (paired devices only).
 */
added_by: string | null, 
/**
 * When it joined the roster, in milliseconds since the Unix epoch (UTC).
 */
joined: number | null, 
/**
 * Its removal from the roster, if it was removed.
 */
removed: DeviceRemoval | null, };

export type DeviceRemoval = { 
/**
 * The name of the device that removed it.
 */
by: string, 
/**
 * When, in milliseconds since the Unix epoch (UTC).
 */
time: number, 
/**
 * Its last entry that is accepted.
 */
last_entry: number, };

export type PairingStart = { 
/**
 * The code to give the device that has the vault.
 */
code: string, 
/**
 * The same code as a QR code.
 */
qr: QrImage, 
/**
 * The number both devices show.
 */
comparison: string, 
/**
 * The name this device asks for.
 */
name: string, };

export type PairingCheck = { 
/**
 * The new device's id.
 */
device: string, 
/**
 * The name it asks for.
 */
name: string, 
/**
 * The number the new device must show too.
 */
comparison: string, };

export type DeviceAdded = { 
/**
 * The answer to give the new device.
 */
answer: string, 
/**
 * The number the new device must show once it opened the answer.
 */
check: string, };

export type Rotation = { 
/**
 * The id of the new generation of the vault key.
 */
generation: string, 
/**
 * The devices it was sealed to (this one included), by name.
 */
devices: Array<string>, };

export type AlarmKind = "unnamed_object" | "forged_entry" | "rollback" | "fork" | "dropped_object" | "swapped_object" | "lost_write" | "replaced_identity" | "local_conflict" | "new_device" | "device_removed" | "refused_entry" | "damaged_file";

export type Alarm = { 
/**
 * What went wrong.
 */
kind: AlarmKind, 
/**
 * The remote's name.
 */
remote: string, 
/**
 * The key (path) on the remote concerned.
 */
key: string, 
/**
 * What went wrong, in words to show the user.
 */
message: string, 
/**
 * When this device noticed it, in milliseconds since the Unix epoch, UTC.
 */
time: number, };

export type SyncState = "off" | "idle" | "syncing" | "offline" | "error";

export type SyncStatus = { 
/**
 * What sync is doing now.
 */
state: SyncState, 
/**
 * When the last sync that succeeded ended (milliseconds since 1970).
 */
last_sync: number | null, 
/**
 * Why the last sync failed (state `offline` or `error`).
 */
message: string, 
/**
 * How far the running sync is, while one runs.
 */
progress: Progress | null, 
/**
 * Notes with concurrent edits that could not be merged: both versions are kept.
 */
conflicts: Array<NoteRef>, 
/**
 * Alarms raised since the person last acknowledged them.
 */
new_alarms: number, 
/**
 * Of those, the ones about a damaged or missing file in this device's vault folder (found
 * by the check after unlock), not about a remote.
 */
new_damage: number, 
/**
 * News of devices (joined, removed) since the person last acknowledged it.
 */
new_news: number, 
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

export type AlarmView = { 
/**
 * What the remote did, where and when.
 */
alarm: Alarm, 
/**
 * The notes it concerns, where this vault knows them (none for alarms about logs).
 */
notes: Array<NoteRef>, 
/**
 * Raised since the person last acknowledged the alarms.
 */
new: boolean, };

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
previous_cards: Array<string>, 
/**
 * When the contact was first added, in milliseconds since the Unix epoch, UTC.
 */
added: number, 
/**
 * When the contact last changed (renamed, verified, keys replaced), in milliseconds since the
 * Unix epoch, UTC.
 */
updated: number, };

export type Party = { "status": "me" } | { "status": "contact", 
/**
 * The contact's id.
 */
id: string, 
/**
 * The name this user gave the contact.
 */
name: string, 
/**
 * Whether the safety number of these keys was compared and confirmed.
 */
verified: boolean, } | { "status": "previous-key", 
/**
 * The id of the contact who had these keys.
 */
id: string, 
/**
 * The name this user gave that contact.
 */
name: string, } | { "status": "unknown", 
/**
 * The name in their card: their own claim, checked by no one (empty if it could not be
 * read).
 */
claimed: string, 
/**
 * A short hex fingerprint of their keys (empty if their card could not be read).
 */
fingerprint: string, };

export type SharedNote = { 
/**
 * Title of the shared note (at most 1024 bytes).
 */
title: string, 
/**
 * Tags of the shared note (at most 64).
 */
tags: Array<string>, };

export type AttachmentInfo = { 
/**
 * The file name the sender gave it: a plain name, no folders or control characters.
 */
name: string, 
/**
 * Its size in bytes.
 */
size: number, };

export type MessageView = { 
/**
 * The message id (chosen and signed by the sender).
 */
id: string, 
/**
 * The conversation it belongs to (an id chosen by whoever started the conversation).
 */
conversation: string, 
/**
 * Who signed it: this vault's owner, a contact, a contact's old keys, or unknown keys.
 */
from: Party, 
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
received: number, 
/**
 * The text (Markdown) exactly as the sender wrote it: untrusted, so render it with
 * [`Vault::render_message`](crate::Vault::render_message) rather than as HTML.
 */
body: string, 
/**
 * Set when the message shares a note (save it with `save_shared_note`).
 */
note: SharedNote | null, 
/**
 * The attached files' names and sizes, in the sender's order.
 */
attachments: Array<AttachmentInfo>, 
/**
 * The message names a previous message this vault does not have (one was lost or held
 * back on the way).
 */
missing_previous: boolean, 
/**
 * How it came: "remote:NAME", "armor", or "sent".
 */
carrier: string, };

export type MessageHit = { 
/**
 * The matching message (newest first in the results).
 */
message: MessageView, 
/**
 * About 160 characters of its text around the first match, split into plain and
 * matching pieces; `…` marks text left out.
 */
snippet: Array<Segment>, 
/**
 * The attachment whose text matched, when the message's own text did not (the snippet
 * is then from the attachment).
 */
attachment: string | null, };

export type ConversationSummary = { 
/**
 * The conversation's id (chosen by whoever started it), to open its thread.
 */
id: string, 
/**
 * Everyone taking part except this vault's owner.
 */
with: Array<Party>, 
/**
 * How many messages it holds, sent and received.
 */
messages: number, 
/**
 * Incoming messages received since the conversation was last marked read.
 */
unread: number, 
/**
 * The sender's time of its newest message (by their clock), in milliseconds since the Unix
 * epoch, UTC.
 */
last_time: number, 
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
code: string, 
/**
 * The reason in words, to show the user.
 */
message: string, 
/**
 * Whether the file was removed from the inbox: only a file that opened as a message
 * encrypted to this vault is; anything else is left where it is.
 */
removed: boolean, };

export type Held = { 
/**
 * The inbox file it is in: pass it to [`Vault::discard_held`](crate::Vault::discard_held) to
 * delete it.
 */
key: string, 
/**
 * `unknown_sender` or `contact_key_changed`.
 */
code: string, 
/**
 * The reason in words, to show the user.
 */
message: string, 
/**
 * The sender's card as the message carries it (add it to accept their messages).
 */
sender_card: string, 
/**
 * Whose keys they are as far as this vault knows: unknown keys or a contact's old ones.
 */
from: Party, };

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
name: string, 
/**
 * A short hex fingerprint of this vault's keys, as contacts see it beside your name.
 */
fingerprint: string, 
/**
 * The card as a QR code, for a contact to scan.
 */
qr: QrImage, };

export type ContactDetail = { 
/**
 * The contact as the contact list shows it.
 */
contact: Contact, 
/**
 * Both sides see the same number: compare it in person or on a call.
 */
safety: SafetyNumber, 
/**
 * The QR code of the contact's card as this vault has it (to compare with theirs).
 */
qr: QrImage, };

export type ThreadMessage = { 
/**
 * The message, with its sender, time and attachments.
 */
message: MessageView, 
/**
 * Its body rendered as sanitized HTML (like a note's preview; links to notes do nothing).
 */
html: string, };

export type Outgoing = { 
/**
 * Contact names (or ids).
 */
to: Array<string>, 
/**
 * The message text (Markdown).
 */
body: string, 
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

export type SentMessage = { 
/**
 * The message as it now appears in its conversation.
 */
message: MessageView, 
/**
 * The ASCII-armored block to hand to the recipients, when no remote was given; `None` when
 * the message went into their inboxes on a remote.
 */
armored: string | null, };

export type InboxFailure = { 
/**
 * The name of the remote that failed.
 */
remote: string, 
/**
 * The stable error code (as [`crate::Error::code`] gives it).
 */
code: string, 
/**
 * What went wrong, in words to show the user.
 */
message: string, };

export type InboxCheck = { 
/**
 * The remotes checked (none: no remote is set up, only armored messages can arrive).
 */
remotes: Array<string>, 
/**
 * What came in, all remotes together.
 */
report: ReceiveReport, 
/**
 * Remotes whose inbox could not be checked, and why; the others were checked all the same.
 */
failures: Array<InboxFailure>, };

export type DiscardReport = { 
/**
 * Held messages deleted from the inboxes.
 */
discarded: number, 
/**
 * Remotes where held messages could not be deleted, and why; the others were done all the
 * same.
 */
failures: Array<InboxFailure>, };
