//! The command line, declared once with clap's derive API. Names and flags here are a
//! contract: scripts and the acceptance checks rely on them.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Passphrase: asked on the terminal; for scripts set $COFFER_PASSPHRASE or use --passphrase-file.
Vault: --vault DIR, else $COFFER_VAULT, else $XDG_DATA_HOME/coffer/vault (~/.local/share/...).
Exit codes: 0 ok, 1 error, 2 usage error, 3 `verify` found problems.
Run `coffer` alone on a terminal for a guided start.";

/// Private notes, age-encrypted on disk.
#[derive(Debug, Parser)]
#[command(name = "coffer", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The vault folder [default: $COFFER_VAULT, else $XDG_DATA_HOME/coffer/vault, else
    /// ~/.local/share/coffer/vault]
    #[arg(long, global = true, value_name = "DIR")]
    pub vault: Option<PathBuf>,

    /// Print exactly one JSON document on stdout (errors too, as {"error":{"code","message"}})
    #[arg(long, global = true)]
    pub json: bool,

    /// Read the passphrase from the first line of FILE instead of asking
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault (asks for the passphrase twice)
    #[command(after_long_help = "\
For tests only: --work-factor N sets the scrypt work factor (log2 N, default 18).
Lower values make the passphrase far cheaper to guess.")]
    Init {
        /// scrypt work factor (log2 N) protecting the keys; lower only for tests
        #[arg(long, value_name = "N", default_value_t = 18, hide = true)]
        work_factor: u8,
    },
    /// Add a note; prints its id. The body comes from --file, else from stdin
    Add(AddArgs),
    /// List the templates: the notes in the notebook "Templates" (their titles and bodies may
    /// hold {{date}} and {{title}})
    Templates,
    /// Add a note from a template (its id, or its title); prints the new note's id
    New {
        /// The template: an id prefix or a title
        template: String,
        /// The new note's title (default: the template's, {{date}} filled in)
        #[arg(long, value_name = "T")]
        title: Option<String>,
        #[arg(long, value_name = "N")]
        notebook: Option<String>,
        /// The day for {{date}}, YYYY-MM-DD (default: today here)
        #[arg(long, value_name = "DAY")]
        date: Option<String>,
    },
    /// The daily note (titled YYYY-MM-DD, in the notebook "Daily"): made from the "Daily"
    /// template the first time, found after; prints its id
    Today {
        /// Another day, YYYY-MM-DD (default: today here)
        #[arg(long, value_name = "DAY")]
        date: Option<String>,
    },
    /// Change a note. Without --file and with stdin not a terminal, the body is read from
    /// stdin (empty input leaves the body as it is)
    Edit(EditArgs),
    /// Print a note as Markdown with a small header
    Show {
        /// Note id or unique prefix
        id: String,
        /// Show this revision (id or unique prefix, see `coffer history`)
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
    },
    /// List notes, most recently changed first
    List {
        /// Only notes with this tag
        #[arg(long, value_name = "X")]
        tag: Option<String>,
        /// Only notes in this notebook (and the notebooks inside it)
        #[arg(long, value_name = "N")]
        notebook: Option<String>,
        /// The trash instead of the live notes
        #[arg(long)]
        trash: bool,
        /// Only pinned notes
        #[arg(long)]
        pinned: bool,
    },
    /// Full-text search over live notes (and their text and PDF attachments), then messages, in every language (case and accents ignored)
    #[command(
        after_help = "A query may also hold \"exact phrases\", -excluded words, tag:NAME and notebook:NAME\n(that notebook and those inside it; messages then match none), e.g.\ncoffer search '\"tax return\" -draft tag:2026'. Messages are listed after the notes."
    )]
    Search {
        query: String,
        /// At most this many results
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Move a note to the trash
    Rm { id: String },
    /// Take a note out of the trash
    Restore { id: String },
    /// Destroy a note that is in the trash, with all its revisions and attachments
    Purge { id: String },
    /// List a note's revisions, newest first
    History { id: String },
    /// Make an older revision current again (as a new revision)
    Revert { id: String, rev: String },
    /// Show a note's two versions (changed on two devices at once) part by part, and settle
    /// them: --take for each differing part, or --keep-both. Both versions stay in the history
    Conflict(ConflictArgs),
    /// Pin a note
    Pin { id: String },
    /// Unpin a note
    Unpin { id: String },
    /// Attach a file to a note (encrypted like the note)
    Attach {
        id: String,
        file: PathBuf,
        /// Store it under this name instead of the file's name
        #[arg(long)]
        name: Option<String>,
    },
    /// Write a note's attachment to a new file
    Extract {
        id: String,
        name: String,
        /// The file to create (never overwritten)
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Write every note as a plain (NOT encrypted) Markdown file into DIR
    Export { dir: PathBuf },
    /// Import Markdown files (and their attachments) from DIR
    Import { dir: PathBuf },
    /// Change the passphrase (asks for the new one twice)
    Passwd(PasswdArgs),
    /// Make a new vault key for every device of the roster (they pick it up at their next
    /// sync) and close joining with the passphrase; --anew: new keys and everything
    /// re-encrypted, as a new vault (then a new remote, and the other devices set up again)
    RotateKeys(RotateKeysArgs),
    /// Check every log entry and object; exits with 3 and names each damaged path if any
    #[command(
        after_help = "Exit codes: 0 no problems, 1 could not verify, 3 problems found, 4 no problem in the vault\nbut alarms kept from syncs (what a remote did wrong; --dismiss-alarms forgets them once shown)."
    )]
    Verify {
        /// Forget the sync alarms after showing them (a later sync raises them again if the
        /// remote is still wrong)
        #[arg(long)]
        dismiss_alarms: bool,
        /// First put damaged or missing files back from the sync remotes (only bytes whose
        /// hash the signed log names), and save a note whose current version no remote holds
        /// again from its text on this device; then check as usual
        #[arg(long)]
        repair: bool,
    },
    /// Export the vault's secret age identity (for `age -d -i FILE`)
    Identity {
        /// Write the plaintext identity to FILE (mode 0600; never overwritten)
        #[arg(long, value_name = "FILE", required = true)]
        export_age: PathBuf,
    },
    /// Print a note rendered as sanitized HTML
    Render { id: String },
    /// List notebooks with their number of notes ("Work/Plans" is Plans inside Work)
    Notebooks,
    /// One notebook: rename, rm, mv (a note into it)
    #[command(subcommand)]
    Notebook(NotebookCommand),
    /// List tags with their number of notes
    Tags,
    /// Manage the remotes this vault syncs with (a folder, S3 or WebDAV)
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Sync with a remote (the only one, or NAME): pull, merge, push, check
    #[command(after_help = "\
Anything the remote does wrong (a forged or altered log entry, a rollback, a fork, a dropped or
swapped object) is reported as an ALARM and kept for `coffer verify`; it never changes or
deletes anything local. --audit also lists every object on the remote (slower; done on its own
once a day): objects no entry names are reported, dropped ones are uploaded again if this vault
holds them. Exit codes: 0 synced, 1 failed (run it again: it resumes), 4 synced with alarms.")]
    Sync {
        name: Option<String>,
        /// Also report objects on the remote that no signed log entry names
        #[arg(long)]
        audit: bool,
    },
    /// Make a new device's vault in DIR from a remote (asks for the vault's passphrase)
    #[command(after_help = "\
URL: a folder path, file:///path, s3://BUCKET/PREFIX?endpoint=URL&region=R (credentials from
$AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY), or webdav+http(s)://[USER@]HOST/PATH (with a
USER, the password is asked for, or read from $COFFER_WEBDAV_PASSWORD).
Progress is shown on a terminal. An interrupted clone (Ctrl-C, a cut connection) is resumed by
running the same command again, or by `coffer --vault DIR sync`.")]
    Clone { url: String, dir: PathBuf },
    /// Set up this device from an existing vault on a remote, with the passphrase, and join
    /// its roster of devices as NAME (the host name by default); the other devices announce it
    /// at their next sync. What `clone` does, with a name
    #[command(
        after_help = "URL: as for `coffer clone`. An interrupted join is resumed by running the same command again."
    )]
    Join {
        url: String,
        dir: PathBuf,
        /// This device's name in the roster
        #[arg(long)]
        name: Option<String>,
    },
    /// Set up this device from one you have, without the vault's passphrase: shows a code
    /// and a number, then takes the answer `coffer device add CODE` gives there (pasted, or
    /// on standard input) and makes the vault in DIR under a passphrase for this device
    #[command(after_help = "\
The code (printed on standard output, and as a QR code on a terminal) holds this device's id,
public keys and name: nothing secret. Check that both devices show the same number. The answer
is an age-encrypted block only this run of `coffer pair` can open; it ends with the line
-----END AGE ENCRYPTED FILE-----. Then both devices show a second number: check it too (anyone
can encrypt an answer to this device; only one from your vault shows the same number). The passphrase for this device is read as for `coffer init`
($COFFER_PASSPHRASE, --passphrase-file, or asked twice); it can differ from the other devices'.")]
    Pair {
        dir: PathBuf,
        /// This device's name in the roster (the host name by default)
        #[arg(long)]
        name: Option<String>,
        /// Do not ask whether the answer's number matches (it is printed all the same)
        #[arg(long)]
        yes: bool,
    },
    /// List the vault's devices: name, id, how each joined, when, removed, last change
    Devices,
    /// One device: add, rename, rm, continue-as-new
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Contacts and messages: contact, send, inbox, thread, open-armored, share, ...
    #[command(flatten)]
    Messages(crate::messages::MessageCommand),
}

#[derive(Debug, Subcommand)]
pub enum NotebookCommand {
    /// Rename a notebook, and the notebooks inside it ("Work/Plans" follows "Work"); NEW may
    /// nest it ("Archive/Work")
    Rename { old: String, new: String },
    /// Move every note of a notebook, and of the notebooks inside it, to the trash (from where
    /// `coffer restore` takes each back)
    Rm { name: String },
    /// Move a note into a notebook ("" takes it out of any)
    Mv { id: String, name: String },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Go on under a new device id, after this vault folder was restored from a backup (a
    /// `log_rolled_back` error, or fork alarms about this device). Everything this folder's log
    /// names is carried over; the old log is kept in local/restored/; the next sync takes the
    /// old id's changes from the remote
    ContinueAsNew,
    /// Add a new device from the code `coffer pair` shows on it: signs its joining, hands it
    /// the keys, syncs, and prints the answer to give it (on standard output)
    Add {
        code: String,
        /// The sync remote it reaches the vault through (the first sync remote by default)
        #[arg(long)]
        remote: Option<String>,
        /// Do not ask whether the numbers match (they are printed all the same)
        #[arg(long)]
        yes: bool,
    },
    /// Give a device (named by its name or a unique id prefix) a new name, on every device
    Rename { device: String, name: String },
    /// Remove a lost, sold or stolen device (by name or id prefix): every entry it writes
    /// after the last one this vault has is refused on every device, and joining with the
    /// passphrase closes. It keeps what it had until then
    Rm { device: String },
}

#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Add a remote. S3 credentials come from $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY
    /// and are stored encrypted in the vault
    #[command(after_help = "\
URL: a folder path, file:///path, s3://BUCKET/PREFIX?endpoint=URL&region=R, or
webdav+http(s)://[USER@]HOST/PATH. With a USER, the WebDAV password is asked for on a terminal,
or read from $COFFER_WEBDAV_PASSWORD: never put it in the URL, where the process list and the
shell's history would show it. It is stored encrypted in the vault.

A remote is for syncing this vault's devices (the default: use a place only you can write),
or, with --messages, a place shared with contacts that holds only their message inboxes.
This vault never syncs into a --messages remote, and messages never go through a sync remote.")]
    Add {
        name: String,
        url: String,
        /// Shared with contacts for messages (inboxes only; never this vault's notes)
        #[arg(long)]
        messages: bool,
    },
    /// List the remotes
    List,
    /// Forget a remote (nothing on the remote is touched)
    Rm { name: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long, value_name = "T")]
    pub title: String,
    /// A tag (repeatable)
    #[arg(long = "tag", value_name = "X")]
    pub tags: Vec<String>,
    #[arg(long, value_name = "N")]
    pub notebook: Option<String>,
    /// Read the body from FILE (`-` for stdin)
    #[arg(long, value_name = "F")]
    pub file: Option<PathBuf>,
    /// Pin the new note
    #[arg(long)]
    pub pin: bool,
}

#[derive(Debug, Args)]
pub struct ConflictArgs {
    /// The note (id or unique id prefix)
    pub id: String,
    /// What to keep in each part that differs, in order: `shown` (the version the note shows),
    /// `other` or `both` (shown, then other). Once for every part, or once for all of them
    #[arg(long, value_name = "SIDE", value_parser = ["shown", "other", "both"])]
    pub take: Vec<String>,
    /// The title to keep (default: the side that changed it, else the shown one's)
    #[arg(long, value_name = "TITLE", requires = "take")]
    pub title: Option<String>,
    /// Keep both versions: the other becomes a note of its own, "TITLE (other version)"
    #[arg(long, conflicts_with_all = ["take", "title"])]
    pub keep_both: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub id: String,
    #[arg(long, value_name = "T")]
    pub title: Option<String>,
    /// Read the new body from FILE (`-` for stdin)
    #[arg(long, value_name = "F")]
    pub file: Option<PathBuf>,
    /// Replace the tags with these (repeatable)
    #[arg(long = "tag", value_name = "X", conflicts_with = "clear_tags")]
    pub tags: Vec<String>,
    /// Remove every tag
    #[arg(long)]
    pub clear_tags: bool,
    /// Move the note to this notebook
    #[arg(long, value_name = "N", conflicts_with = "no_notebook")]
    pub notebook: Option<String>,
    /// Take the note out of its notebook
    #[arg(long)]
    pub no_notebook: bool,
    #[arg(long, conflicts_with = "unpin")]
    pub pin: bool,
    #[arg(long)]
    pub unpin: bool,
    /// The revision this edit was made on; if the note changed since, both versions are kept
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
}

#[derive(Debug, Args)]
pub struct RotateKeysArgs {
    /// New keys and every object re-encrypted to them, under a new log: the other devices
    /// and remotes hold the old keys, so sync with a new remote and set the others up again
    #[arg(long)]
    pub anew: bool,
}

#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Read the new passphrase from the first line of FILE instead of asking
    #[arg(long, value_name = "FILE")]
    pub new_passphrase_file: Option<PathBuf>,
    /// scrypt work factor for the new passphrase [default: the current one]
    #[arg(long, value_name = "N", hide = true)]
    pub work_factor: Option<u8>,
}
