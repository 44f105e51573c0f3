//! The one error type of coffer-core. Each failure a user can act on has its own variant;
//! `code()` gives the stable machine name the CLI's `--json` and the desktop UI match on.

use std::path::PathBuf;

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The folder holds no vault (it has no `coffer.toml`). Holds the folder that was opened;
    /// create a vault there with `coffer init`, or open the right folder.
    #[error("no Coffer vault at {0} (no coffer.toml); create one with `coffer init`")]
    NoVault(PathBuf),
    /// A new vault was to be created in a folder that already holds one; open it instead.
    /// Holds that folder.
    #[error("{0} already holds a Coffer vault")]
    VaultExists(PathBuf),
    /// A new vault was to be created in a folder that already holds other files. Holds that
    /// folder; choose an empty or new one.
    #[error("{0} is not empty and is not a Coffer vault; choose an empty or new folder")]
    FolderNotEmpty(PathBuf),
    /// The folder has a `coffer.toml`, but it is unreadable or not one Coffer wrote.
    #[error("{path} is not a Coffer vault: {reason}")]
    ForeignFolder {
        /// The folder that was opened.
        path: PathBuf,
        /// What is wrong with its `coffer.toml`, as shown to the user.
        reason: String,
    },
    /// The vault was written by a newer Coffer in a format this one cannot read; update
    /// Coffer to open it. Nothing was changed.
    #[error(
        "this vault has format version {found}; this Coffer reads up to version {supported}: update Coffer"
    )]
    NewerFormat {
        /// The format version recorded in the vault's `coffer.toml`.
        found: i64,
        /// The newest format version this build of Coffer can read.
        supported: u32,
    },
    /// The passphrase does not unlock the vault's identity; the user can try again.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// An empty passphrase was given; a vault always needs a non-empty one.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// `identity.age` asks for so much scrypt work that unlocking it could stall the machine,
    /// so it is not tried: the file is damaged or was crafted to cause harm.
    #[error(
        "identity.age asks for a scrypt work factor of 2^{required}, above the limit of 2^{limit}: refusing (a hostile or damaged file)"
    )]
    ExcessiveWorkFactor {
        /// The work factor (a power of two) that the file asks for.
        required: u8,
        /// The highest work factor (a power of two) that Coffer accepts.
        limit: u8,
    },
    /// The vault's identity file (or a key rotation file) is damaged or not Coffer's. Holds
    /// what is wrong with it, as shown to the user.
    #[error("identity.age is damaged or not a Coffer identity: {0}")]
    BadIdentity(String),
    /// A stored object failed its checks (it does not decrypt, verify or parse): the vault
    /// folder is damaged there. Other notes can still be read.
    #[error("object {object} is damaged: {reason}")]
    CorruptObject {
        /// The id of the damaged object.
        object: String,
        /// What is wrong with it, as shown to the user.
        reason: String,
    },
    /// No note has this id or id prefix. Holds what the user typed.
    #[error("no note matches {0}")]
    NoSuchNote(String),
    /// An id prefix matches more than one note; give more characters of the id.
    #[error("{query} matches several notes: {candidates}; give more characters")]
    AmbiguousId {
        /// The id prefix the user typed.
        query: String,
        /// The first few ids it matches, in order, separated by commas.
        candidates: String,
    },
    /// The note exists but has no revision with this id.
    #[error("note {note} has no revision {revision}")]
    NoSuchRevision {
        /// The id of the note.
        note: String,
        /// The revision id that was asked for.
        revision: String,
    },
    /// The note (or message) has no attachment of this name.
    #[error("note {note} has no attachment named {name:?}")]
    NoSuchAttachment {
        /// The id of the note or message that was searched.
        note: String,
        /// The attachment name that was asked for.
        name: String,
    },
    /// Only a note in the trash can be removed for good; holds the note's id. Move it to the
    /// trash first with `coffer rm`.
    #[error("note {0} is not in the trash; move it to the trash first (`coffer rm`)")]
    NotInTrash(String),
    /// No live note is in the notebook named (nor in one inside it). Holds the name.
    #[error("no notebook named {0:?} holds a note")]
    NoSuchNotebook(String),
    /// The note has one current version: there is no conflict to settle. Holds the note's id.
    #[error("note {0} has only one current version: there is nothing to settle")]
    NoConflict(String),
    /// A version being settled is no longer current (another device, window or command
    /// settled or edited it meanwhile): nothing was written. Holds the note's id.
    #[error(
        "note {0} changed while its versions were being compared: nothing was saved; look at them again"
    )]
    ConflictChanged(String),
    /// What the caller gave is not acceptable (a name, a count, an argument, a folder to write
    /// into): the message says which and why. Failures that are not about the input have
    /// their own variants.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A file Coffer was to write already exists, and Coffer never overwrites it. Holds its
    /// path; move it away or choose another name.
    #[error("{} already exists; not overwriting it", .0.display())]
    FileExists(PathBuf),
    /// A file changed while Coffer was reading it in, so nothing from it was saved. Holds its
    /// path; try again once it is no longer being written.
    #[error("{} changed while it was being read: nothing was saved from it", .0.display())]
    ChangedWhileRead(PathBuf),
    /// A folder Coffer was writing into was replaced or removed while it worked. Holds its
    /// path; check what else is using that folder and try again.
    #[error(
        "{} is not a folder any more (something else was put there while Coffer was writing into it)",
        .0.display()
    )]
    FolderChanged(PathBuf),

    /// An entry of a device's change log is damaged, missing or does not verify: the changes
    /// from that entry on are not applied.
    #[error("the log of device {device} is damaged at entry {seq}: {reason}")]
    BadLog {
        /// The id of the device whose log is damaged.
        device: String,
        /// The sequence number of the bad entry in that device's log.
        seq: u64,
        /// What is wrong with the entry, as shown to the user.
        reason: String,
    },
    /// A remote's URL cannot be used: the scheme is unknown or the URL is malformed.
    #[error("bad remote URL {url}: {reason}")]
    BadRemoteUrl {
        /// The URL as the user gave it.
        url: String,
        /// What is wrong with it, as shown to the user.
        reason: String,
    },
    /// No remote has this name. Holds the name; see the remotes with `coffer remote list`, or
    /// add one with `coffer remote add NAME URL`.
    #[error("no remote named {0:?}; add one with `coffer remote add NAME URL`")]
    NoSuchRemote(String),
    /// A remote of this name already exists. Holds the name; remove the old one first
    /// (`coffer remote rm`) or choose another name.
    #[error("a remote named {0:?} already exists; remove it first (`coffer remote rm`)")]
    RemoteExists(String),
    /// A remote was used for the wrong job: a messages remote for syncing, or the sync remote
    /// for messages. The two are kept apart so contacts never see the vault.
    #[error("{}", wrong_purpose(name, purpose))]
    WrongRemotePurpose {
        /// The name of the remote.
        name: String,
        /// What the remote is for ("sync" or "messages").
        purpose: &'static str,
        /// What it was asked to do.
        wanted: &'static str,
    },
    /// An operation on a remote failed for a reason not covered by the more specific remote
    /// errors below.
    #[error("the remote {remote} failed: {reason}")]
    Remote {
        /// The remote, as shown to the user.
        remote: String,
        /// What failed and why, as reported by the remote or the system.
        reason: String,
    },
    /// The remote cannot be reached (no network, wrong host, or the server is down); try again
    /// later. Nothing was lost.
    #[error("the remote {remote} cannot be reached: {reason}")]
    RemoteUnreachable {
        /// The remote, as shown to the user.
        remote: String,
        /// Why it cannot be reached, as reported by the system.
        reason: String,
    },
    /// The remote refused access: the credentials are wrong or lack permission.
    #[error("the remote {remote} refused access (wrong credentials or no permission): {reason}")]
    RemoteDenied {
        /// The remote, as shown to the user.
        remote: String,
        /// The refusal, as reported by the remote.
        reason: String,
    },
    /// The remote is reachable but does not fit: it holds another vault, no vault, or data
    /// this Coffer cannot use.
    #[error("the remote {remote} cannot be used here: {reason}")]
    RemoteMismatch {
        /// The remote, as shown to the user.
        remote: String,
        /// Why it cannot be used, as shown to the user.
        reason: String,
    },
    /// A folder remote holds a symbolic link where Coffer expected a file or folder. Links are
    /// never followed, so nothing was read or changed there; remove the link.
    #[error(
        "the remote {remote} has a symbolic link at {key}: a folder remote never follows links, \
         so nothing was read or changed there"
    )]
    RemoteLink {
        /// The remote, as shown to the user.
        remote: String,
        /// Where in the remote the link is.
        key: String,
    },
    /// A symbolic link appeared inside a folder while Coffer was writing into it. Links are
    /// never followed, so nothing was written through it.
    #[error(
        "{} is a symbolic link that appeared in the folder while Coffer was writing into it: \
         links inside are never followed, so nothing was written through it",
        path.display()
    )]
    FolderLink {
        /// The path of the link.
        path: std::path::PathBuf,
    },
    /// A file on the remote is larger than any such file Coffer writes, so it was not
    /// downloaded: it is damaged or was put there by something else.
    #[error(
        "the remote {remote} holds {key} of {size} bytes or more, over the limit of {limit} bytes \
         for such a file: it was not downloaded"
    )]
    RemoteFileTooLarge {
        /// The remote, as shown to the user.
        remote: String,
        /// Where in the remote the file is.
        key: String,
        /// How many bytes the file has at least (reading stopped there).
        size: u64,
        /// The most bytes Coffer accepts for this kind of file.
        limit: u64,
    },
    /// A local file is larger than any such file Coffer writes, so it was not read: it is
    /// damaged or was not written by Coffer.
    #[error(
        "{path} is {size} bytes, over the limit of {limit} bytes for such a file: it was not read \
         (it is damaged or was not written by Coffer)"
    )]
    FileTooLarge {
        /// The path of the file, as shown to the user.
        path: String,
        /// The size of the file in bytes, as far as it was measured.
        size: u64,
        /// The most bytes Coffer accepts for this kind of file.
        limit: u64,
    },
    /// A device's log is shorter than the vault had already read: the vault folder was
    /// restored from an older copy, or log files were deleted. This device saves nothing new
    /// until it goes on under a new device id (`coffer device continue-as-new`) or the missing
    /// log files are put back.
    #[error(
        "the log of device {device} ends before entry {seq}, which this vault had already read: \
         the vault folder was restored from an older copy, or entries were deleted. Nothing new \
         is saved on this device (it would land after the gap and be lost); let it go on under a \
         new device id (`coffer device continue-as-new`: nothing is lost), or put the missing \
         log files back"
    )]
    LogRolledBack {
        /// The device whose log went back.
        device: crate::Id,
        /// The first entry of that device's log that was read before and is now missing.
        seq: u64,
    },
    /// The vault was opened to look only (as `verify` opens it): nothing can be saved through
    /// this handle.
    #[error("the vault is opened to look only (as verify opens it): nothing can be saved")]
    LookOnly,
    /// The disk (or the user's quota) is full, and nothing was changed; free some space and
    /// try again. Holds what Coffer was doing.
    #[error("the disk is full: nothing was changed ({0})")]
    DiskFull(String),
    /// This device was removed from the vault's roster by another device: nothing it writes
    /// would be accepted, so nothing is written.
    #[error(
        "this device was removed from the vault by {by} on {time}: nothing it writes is accepted any more (what it had until then stays readable here)"
    )]
    DeviceRemoved {
        /// The device that removed it, by name.
        by: String,
        /// When, RFC 3339.
        time: String,
    },
    /// Joining with the passphrase was closed by a device removal (the removed device knows
    /// the passphrase); a new device must be paired from one the user has.
    #[error(
        "joining with the passphrase was closed by {by} (a device removal or a key rotation): add this device from one you have instead (`coffer pair` here, `coffer device add CODE` there)"
    )]
    PassphraseJoinClosed {
        /// The device whose removal closed it, by name.
        by: String,
    },
    /// Text given as a pairing code or answer is not one (cut short, altered, or for another
    /// device).
    #[error("not a pairing {0}")]
    BadPairing(String),
    /// The remote does not list the device being paired yet: the device that added it has not
    /// synced since.
    #[error(
        "the vault on the remote does not list this device yet: on the device that added it, sync (`coffer sync`), then pair this one again"
    )]
    NotPairedYet,
    /// No device of the roster has this name or id prefix.
    #[error("no device is called {0} (see `coffer devices`)")]
    NoSuchDevice(String),
    /// A name or id prefix names several devices of the roster.
    #[error("{query} names several devices: {candidates}; give more characters of the id")]
    AmbiguousDevice {
        /// What the user typed.
        query: String,
        /// The ids it matches, separated by commas.
        candidates: String,
    },
    /// Another Coffer process holds the vault's lock; wait for it to finish and try again.
    #[error("the vault is busy: another Coffer process is writing it")]
    VaultBusy,
    /// A cache or local record of this device is damaged. The vault itself is fine: the file
    /// is rebuilt or ignored where possible.
    #[error("{} is damaged ({reason}); it is a cache or local record, rebuilt or ignored where it can be", path.display())]
    DamagedLocalFile {
        /// The path of the damaged file.
        path: std::path::PathBuf,
        /// What is wrong with it, as shown to the user.
        reason: String,
    },
    /// Something that should never fail did fail: a bug in Coffer, worth reporting.
    #[error("cannot {what}: {reason} (this is a bug in Coffer)")]
    Internal {
        /// What Coffer was trying to do, phrased to follow "cannot".
        what: &'static str,
        /// The underlying failure, as shown to the user.
        reason: String,
    },
    /// A contact card is malformed or damaged (often mistyped or cut short when copied).
    /// Holds what is wrong with it, as shown to the user.
    #[error("bad contact card: {0}")]
    BadCard(String),
    /// No contact has this name. Holds what the user typed; see `coffer contact list`.
    #[error("no contact matches {0:?}; see `coffer contact list`")]
    NoSuchContact(String),
    /// The card is already known: it is one of your contacts, or it is your own card. Holds
    /// the whole message shown to the user.
    #[error("{0}")]
    ContactExists(String),
    /// A card was added that has the name or a key of an existing contact but different keys.
    /// It may be an impostor: compare safety numbers before replacing the keys. Nothing was
    /// changed.
    #[error(
        "the keys of contact {name:?} changed (new key fingerprint {fingerprint}): this is not the {name} you know until you check the safety number; nothing was changed"
    )]
    ContactKeyChanged {
        /// The name of the existing contact.
        name: String,
        /// The fingerprint of the new keys.
        fingerprint: String,
    },
    /// A message is signed by a key that belongs to none of your contacts. Add the sender's
    /// card first if you trust it.
    #[error(
        "a message from an unknown sender (calls themselves {claimed:?}, key fingerprint {fingerprint}): it is not from any of your contacts; add their card first if you trust it"
    )]
    UnknownSender {
        /// The name the sender gives in the message; not checked, so not to be trusted.
        claimed: String,
        /// The fingerprint of the key that signed the message.
        fingerprint: String,
    },
    /// A message cannot be opened or read: it is damaged, cut short or not a Coffer message.
    /// Holds what is wrong with it, as shown to the user.
    #[error("the message is damaged or malformed: {0}")]
    BadMessage(String),
    /// Text given as a message is not a valid armored block (it was cut short or altered when
    /// copied). Holds what is wrong with it, as shown to the user.
    #[error("not an armored message: {0}")]
    BadArmor(String),
    /// A message's signature does not match its content: it was forged or altered on the way.
    /// It is rejected.
    #[error("the message's signature does not verify: it was forged or altered")]
    BadSignature,
    /// A message its sender signed for other people was re-encrypted to you by someone else,
    /// to make it look as if it was sent to you. It is rejected.
    #[error(
        "the message was not addressed to you (signed for other recipients, then re-encrypted to you): rejected"
    )]
    NotARecipient,
    /// A message is not encrypted to your messaging key: it is for someone else.
    #[error("the message is not encrypted to your messaging key")]
    NotForMe,
    /// A message that was already received came again (a duplicate or a replay); it is
    /// dropped. Holds the message's id.
    #[error("message {0} was already received (a duplicate or a replay): dropped")]
    DuplicateMessage(String),
    /// No message or conversation has this id or name. Holds what the user typed.
    #[error("no message or conversation matches {0}")]
    NoSuchMessage(String),
    /// A message is larger than Coffer sends or accepts.
    #[error("the message is too large: {size} bytes, the limit is {limit}")]
    MessageTooLarge {
        /// The size of the message in bytes.
        size: u64,
        /// The most bytes a message may have.
        limit: u64,
    },
    /// Reading or writing a file failed for a reason the system reports (permissions, a
    /// missing file, a failing disk, ...).
    #[error("{context}: {source}")]
    Io {
        /// What Coffer was doing, usually with the path, as shown to the user.
        context: String,
        /// The error reported by the system.
        #[source]
        source: std::io::Error,
    },
}

/// Result with coffer-core's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stable, machine-readable name for this error (used in `--json` output and by the UI).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NoVault(_) => "no_vault",
            Error::VaultExists(_) => "vault_exists",
            Error::FolderNotEmpty(_) => "folder_not_empty",
            Error::ForeignFolder { .. } => "foreign_folder",
            Error::NewerFormat { .. } => "newer_format",
            Error::WrongPassphrase => "wrong_passphrase",
            Error::EmptyPassphrase => "empty_passphrase",
            Error::ExcessiveWorkFactor { .. } => "excessive_work_factor",
            Error::BadIdentity(_) => "bad_identity",
            Error::CorruptObject { .. } => "corrupt_object",
            Error::NoSuchNote(_) => "no_such_note",
            Error::AmbiguousId { .. } => "ambiguous_id",
            Error::DeviceRemoved { .. } => "device_removed",
            Error::NoSuchDevice(_) => "no_such_device",
            Error::BadPairing(_) => "bad_pairing",
            Error::NotPairedYet => "not_paired_yet",
            Error::PassphraseJoinClosed { .. } => "passphrase_join_closed",
            Error::AmbiguousDevice { .. } => "ambiguous_device",
            Error::NoSuchRevision { .. } => "no_such_revision",
            Error::NoSuchAttachment { .. } => "no_such_attachment",
            Error::NotInTrash(_) => "not_in_trash",
            Error::NoSuchNotebook(_) => "no_such_notebook",
            Error::NoConflict(_) => "no_conflict",
            Error::ConflictChanged(_) => "conflict_changed",
            Error::Invalid(_) => "invalid_input",
            Error::FileExists(_) => "file_exists",
            Error::ChangedWhileRead(_) => "changed_while_read",
            Error::FolderChanged(_) => "folder_changed",

            Error::BadLog { .. } => "bad_log",
            Error::BadRemoteUrl { .. } => "bad_remote_url",
            Error::NoSuchRemote(_) => "no_such_remote",
            Error::RemoteExists(_) => "remote_exists",
            Error::WrongRemotePurpose { .. } => "wrong_remote_purpose",
            Error::Remote { .. } => "remote_failed",
            Error::RemoteUnreachable { .. } => "remote_unreachable",
            Error::RemoteDenied { .. } => "remote_denied",
            Error::RemoteMismatch { .. } => "remote_mismatch",
            Error::RemoteLink { .. } => "remote_link",
            Error::FolderLink { .. } => "folder_link",
            Error::VaultBusy => "vault_busy",
            Error::DamagedLocalFile { .. } => "damaged_local_file",
            Error::Internal { .. } => "internal",
            Error::RemoteFileTooLarge { .. } => "remote_file_too_large",
            Error::FileTooLarge { .. } => "file_too_large",
            Error::LogRolledBack { .. } => "log_rolled_back",
            Error::LookOnly => "look_only",
            Error::DiskFull(_) => "disk_full",
            Error::BadCard(_) => "bad_card",
            Error::NoSuchContact(_) => "no_such_contact",
            Error::ContactExists(_) => "contact_exists",
            Error::ContactKeyChanged { .. } => "contact_key_changed",
            Error::UnknownSender { .. } => "unknown_sender",
            Error::BadMessage(_) => "bad_message",
            Error::BadArmor(_) => "bad_armor",
            Error::BadSignature => "bad_signature",
            Error::NotARecipient => "not_a_recipient",
            Error::NotForMe => "not_for_me",
            Error::DuplicateMessage(_) => "duplicate_message",
            Error::NoSuchMessage(_) => "no_such_message",
            Error::MessageTooLarge { .. } => "message_too_large",
            Error::Io { .. } => "io",
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| {
            if source
                .get_ref()
                .is_some_and(|e| e.is::<crate::limits::TooLarge>())
            {
                let inner = source.into_inner().expect("checked above");
                return inner
                    .downcast::<crate::limits::TooLarge>()
                    .expect("checked above")
                    .0;
            }
            if source.kind() == std::io::ErrorKind::StorageFull
                || source.kind() == std::io::ErrorKind::QuotaExceeded
            {
                Error::DiskFull(context)
            } else {
                Error::Io { context, source }
            }
        }
    }

    /// An id prefix that matches several ids: names the first five, in order.
    pub(crate) fn ambiguous(query: &str, ids: impl IntoIterator<Item = crate::Id>) -> Error {
        let mut ids: Vec<crate::Id> = ids.into_iter().collect();
        ids.sort();
        Error::AmbiguousId {
            query: query.to_string(),
            candidates: ids
                .iter()
                .take(5)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// No attachment named `name` on the note (or message) `of`.
    pub(crate) fn no_such_attachment(of: &crate::Id, name: &str) -> Error {
        Error::NoSuchAttachment {
            note: of.to_string(),
            name: name.to_string(),
        }
    }

    pub(crate) fn corrupt(object: impl std::fmt::Display, reason: impl Into<String>) -> Error {
        Error::CorruptObject {
            object: object.to_string(),
            reason: reason.into(),
        }
    }
}

fn wrong_purpose(name: &str, purpose: &str) -> String {
    if purpose == "messages" {
        format!(
            "the remote {name:?} is shared with contacts for messages: this vault never syncs \
             there (sync through a remote only you can write)"
        )
    } else {
        format!(
            "the remote {name:?} is where this vault syncs: messages go through a remote shared \
             with contacts (`coffer remote add NAME URL --messages`)"
        )
    }
}
