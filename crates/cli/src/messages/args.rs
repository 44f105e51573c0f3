//! The messaging commands as the command line declares them (clap's derive API). Names and
//! flags are a contract, like those of crate::cli.

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// The messaging commands (flattened into the top level of `coffer`).
#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Contacts: your card, adding, listing, verifying
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Send a signed, encrypted message to contacts. The body comes from --file, else stdin
    #[command(after_help = "\
Delivery: into the recipients' inboxes on a remote shared with them (added with
`coffer remote add NAME URL --messages`; --remote NAME picks one when there are several), or --armor to print a text block to paste into any channel.")]
    Send(SendArgs),
    /// Fetch new messages from a shared remote's inbox, then list conversations
    #[command(after_help = "\
Messages from keys that are not a contact's are HELD: shown, not stored, left in the inbox
until you add the sender's card (or --discard-held deletes them). Forged, altered or
misaddressed messages are rejected.")]
    Inbox {
        /// The shared remote to check [default: the only one added with --messages]
        #[arg(long, value_name = "R")]
        remote: Option<String>,
        /// Only list the conversations; do not contact any remote
        #[arg(long, conflicts_with = "discard_held")]
        local: bool,
        /// Delete the messages this check holds (from keys that are not a contact's) from your
        /// inbox on the remote; prints how many
        #[arg(long)]
        discard_held: bool,
    },
    /// Show the conversation with a contact (or a conversation id prefix) and mark it read
    Thread {
        /// Contact name, or conversation id prefix
        name: String,
        /// Do not mark the messages read
        #[arg(long)]
        keep_unread: bool,
    },
    /// Open an armored message pasted into stdin (or read from --file), and store it
    OpenArmored {
        #[arg(long, value_name = "F")]
        file: Option<PathBuf>,
    },
    /// Share a note with contacts: it arrives as a message they can save as a note
    Share {
        /// Note id or unique prefix
        id: String,
        /// Contact names
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(long, value_name = "R", conflicts_with = "armor")]
        remote: Option<String>,
        /// Print an armored block instead of using a remote
        #[arg(long)]
        armor: bool,
    },
    /// Save a received message (for example a shared note) as a new note
    SaveNote {
        /// Message id or unique prefix (see `thread`)
        message: String,
    },
    /// Write a message's attachment to a new file
    SaveAttachment {
        message: String,
        name: String,
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Full-text search over messages
    SearchMessages {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Print your contact card (give it to people who should write to you)
    Card {
        /// Set the display name your card carries first
        #[arg(long, value_name = "N")]
        name: Option<String>,
        /// Also write the card as a QR code (SVG) to FILE
        #[arg(long, value_name = "FILE")]
        qr: Option<PathBuf>,
    },
    /// Add a contact from their card
    Add {
        card: String,
        /// The name you will use for them
        #[arg(long, value_name = "N", required = true)]
        name: String,
        /// Accept NEW KEYS for the existing contact N (after checking with them); the old keys
        /// are kept on record and the contact must be verified again
        #[arg(long)]
        replace: bool,
    },
    /// List contacts
    List,
    /// Show a contact: card, key fingerprint, safety number, verified mark
    Show { name: String },
    /// Show the safety number to compare with the contact; with --yes (or a "y" at the
    /// prompt), mark the contact verified
    Verify {
        name: String,
        /// The numbers were compared and match
        #[arg(long)]
        yes: bool,
    },
    /// Rename a contact (in this vault only)
    Rename { name: String, new_name: String },
    /// Remove a contact (on all your devices, through sync). Their messages are then held like
    /// a stranger's; the conversations you had stay readable. Adding their card again brings
    /// the contact back, to be verified again
    #[command(visible_alias = "remove")]
    Rm { name: String },
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Contact names (several make a group conversation)
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Read the body from FILE (`-` for stdin)
    #[arg(long, value_name = "F")]
    pub file: Option<PathBuf>,
    /// Print the message as an armored text block instead of using a remote
    #[arg(long, conflicts_with = "remote")]
    pub armor: bool,
    /// The shared remote holding the inboxes (see `coffer remote add --messages`)
    #[arg(long, value_name = "R")]
    pub remote: Option<String>,
    /// Attach a small file (repeatable; 1 MiB in all)
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Continue this conversation (id prefix) instead of the latest one with these people
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,
}
