//! The one error type of coffer-core. Each failure a user can act on has its own variant;
//! `code()` gives the stable machine name the CLI's `--json` and the desktop UI match on.

use std::path::PathBuf;

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no Coffer vault at {0} (no coffer.toml); create one with `coffer init`")]
    NoVault(PathBuf),
    #[error("{0} already holds a Coffer vault")]
    VaultExists(PathBuf),
    #[error("{0} is not empty and is not a Coffer vault; choose an empty or new folder")]
    FolderNotEmpty(PathBuf),
    #[error("{path} is not a Coffer vault: {reason}")]
    ForeignFolder { path: PathBuf, reason: String },
    #[error(
        "this vault has format version {found}; this Coffer reads up to version {supported}: update Coffer"
    )]
    NewerFormat { found: i64, supported: u32 },
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    #[error(
        "identity.age asks for a scrypt work factor of 2^{required}, above the limit of 2^{limit}: refusing (a hostile or damaged file)"
    )]
    ExcessiveWorkFactor { required: u8, limit: u8 },
    #[error("identity.age is damaged or not a Coffer identity: {0}")]
    BadIdentity(String),
    #[error("object {object} is damaged: {reason}")]
    CorruptObject { object: String, reason: String },
    #[error("no note matches {0}")]
    NoSuchNote(String),
    #[error("{query} matches several notes: {candidates}; give more characters")]
    AmbiguousId { query: String, candidates: String },
    #[error("note {note} has no revision {revision}")]
    NoSuchRevision { note: String, revision: String },
    #[error("note {note} has no attachment named {name:?}")]
    NoSuchAttachment { note: String, name: String },
    #[error("note {0} is not in the trash; move it to the trash first (`coffer rm`)")]
    NotInTrash(String),
    /// What the caller gave is not acceptable (a name, a count, an argument, a folder to write
    /// into): the message says which and why. Failures that are not about the input have
    /// their own variants.
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("{} already exists; not overwriting it", .0.display())]
    FileExists(PathBuf),
    #[error("{} changed while it was being read: nothing was saved from it", .0.display())]
    ChangedWhileRead(PathBuf),
    #[error(
        "{} is not a folder any more (something else was put there while Coffer was writing into it)",
        .0.display()
    )]
    FolderChanged(PathBuf),

    #[error("the log of device {device} is damaged at entry {seq}: {reason}")]
    BadLog {
        device: String,
        seq: u64,
        reason: String,
    },
    #[error("bad remote URL {url}: {reason}")]
    BadRemoteUrl { url: String, reason: String },
    #[error("no remote named {0:?}; add one with `coffer remote add NAME URL`")]
    NoSuchRemote(String),
    #[error("a remote named {0:?} already exists; remove it first (`coffer remote rm`)")]
    RemoteExists(String),
    #[error("{}", wrong_purpose(name, purpose))]
    WrongRemotePurpose {
        name: String,
        /// What the remote is for ("sync" or "messages").
        purpose: &'static str,
        /// What it was asked to do.
        wanted: &'static str,
    },
    #[error("the remote {remote} failed: {reason}")]
    Remote { remote: String, reason: String },
    #[error("the remote {remote} cannot be reached: {reason}")]
    RemoteUnreachable { remote: String, reason: String },
    #[error("the remote {remote} refused access (wrong credentials or no permission): {reason}")]
    RemoteDenied { remote: String, reason: String },
    #[error("the remote {remote} cannot be used here: {reason}")]
    RemoteMismatch { remote: String, reason: String },
    #[error(
        "the remote {remote} has a symbolic link at {key}: a folder remote never follows links, \
         so nothing was read or changed there"
    )]
    RemoteLink { remote: String, key: String },
    #[error(
        "{} is a symbolic link that appeared in the folder while Coffer was writing into it: \
         links inside are never followed, so nothing was written through it",
        path.display()
    )]
    FolderLink { path: std::path::PathBuf },
    #[error(
        "the remote {remote} holds {key} of {size} bytes or more, over the limit of {limit} bytes \
         for such a file: it was not downloaded"
    )]
    RemoteFileTooLarge {
        remote: String,
        key: String,
        size: u64,
        limit: u64,
    },
    #[error(
        "{path} is {size} bytes, over the limit of {limit} bytes for such a file: it was not read \
         (it is damaged or was not written by Coffer)"
    )]
    FileTooLarge { path: String, size: u64, limit: u64 },
    #[error(
        "the log of device {device} ends before entry {seq}, which this vault had already read: \
         the vault folder was restored from an older copy, or entries were deleted. Nothing new \
         is saved on this device (it would land after the gap and be lost); let it go on under a \
         new device id (`coffer device continue-as-new`: nothing is lost), or put the missing \
         log files back"
    )]
    LogRolledBack { device: crate::Id, seq: u64 },
    #[error("the disk is full: nothing was changed ({0})")]
    DiskFull(String),
    #[error("the vault is busy: another Coffer process is writing it")]
    VaultBusy,
    #[error("{} is damaged ({reason}); it is a cache or local record, rebuilt or ignored where it can be", path.display())]
    DamagedLocalFile {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("cannot {what}: {reason} (this is a bug in Coffer)")]
    Internal { what: &'static str, reason: String },
    #[error("bad contact card: {0}")]
    BadCard(String),
    #[error("no contact matches {0:?}; see `coffer contact list`")]
    NoSuchContact(String),
    #[error("{0}")]
    ContactExists(String),
    #[error(
        "the keys of contact {name:?} changed (new key fingerprint {fingerprint}): this is not the {name} you know until you check the safety number; nothing was changed"
    )]
    ContactKeyChanged { name: String, fingerprint: String },
    #[error(
        "a message from an unknown sender (calls themselves {claimed:?}, key fingerprint {fingerprint}): it is not from any of your contacts; add their card first if you trust it"
    )]
    UnknownSender {
        claimed: String,
        fingerprint: String,
    },
    #[error("the message is damaged or malformed: {0}")]
    BadMessage(String),
    #[error("not an armored message: {0}")]
    BadArmor(String),
    #[error("the message's signature does not verify: it was forged or altered")]
    BadSignature,
    #[error(
        "the message was not addressed to you (signed for other recipients, then re-encrypted to you): rejected"
    )]
    NotARecipient,
    #[error("the message is not encrypted to your messaging key")]
    NotForMe,
    #[error("message {0} was already received (a duplicate or a replay): dropped")]
    DuplicateMessage(String),
    #[error("no message or conversation matches {0}")]
    NoSuchMessage(String),
    #[error("the message is too large: {size} bytes, the limit is {limit}")]
    MessageTooLarge { size: u64, limit: u64 },
    #[error("{context}: {source}")]
    Io {
        context: String,
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
            Error::NoSuchRevision { .. } => "no_such_revision",
            Error::NoSuchAttachment { .. } => "no_such_attachment",
            Error::NotInTrash(_) => "not_in_trash",
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
