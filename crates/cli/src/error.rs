//! The CLI's errors: the core's, plus the few that only a command line can meet.
//! Each has a stable `code()` for `--json` output.

use std::path::PathBuf;

/// Exit code of `coffer verify` when it finds problems (the vault could be read, but something
/// in it is damaged, missing or forged). Other errors exit with 1, usage errors with 2.
pub const EXIT_VERIFY_PROBLEMS: u8 = 3;

/// Exit code of `coffer sync` when the remote did something wrong (an ALARM), and of
/// `coffer verify` when alarms are kept from earlier syncs (and no problem was found).
pub const EXIT_SYNC_ALARMS: u8 = 4;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Core(#[from] coffer_core::Error),
    #[error(
        "no vault folder at {0}; create a vault with `coffer init` or name one with --vault DIR"
    )]
    NoVaultFolder(PathBuf),
    #[error(
        "no passphrase: not on a terminal, so set $COFFER_PASSPHRASE or use --passphrase-file FILE"
    )]
    NoPassphrase,
    #[error(
        "no new passphrase: not on a terminal, so set $COFFER_NEW_PASSPHRASE or use --new-passphrase-file FILE"
    )]
    NoNewPassphrase,
    #[error("the passphrases do not match; nothing was changed")]
    PassphraseMismatch,
    #[error("cannot read the passphrase from the terminal: {0}")]
    Prompt(#[source] std::io::Error),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read standard input: {0}")]
    Stdin(#[source] std::io::Error),
    #[error("{0} is not UTF-8 text")]
    NotText(String),
    #[error("{0} already exists; not overwriting it")]
    Exists(PathBuf),
    #[error(
        "nothing to change: give --title, --file, --tag, --clear-tags, --notebook, --no-notebook, --pin or --unpin, or pipe a new body into stdin"
    )]
    NothingToChange,
    #[error("verify found {0} problem(s) in the vault")]
    VerifyFailed(usize),
    #[error("{0} sync alarm(s): a remote did something wrong (see the ALARM lines)")]
    SyncAlarms(usize),
    #[error("{0}")]
    Usage(String),
    #[error("writing the output: {0}")]
    Output(#[source] std::io::Error),
}

/// Result with the CLI's error.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl CliError {
    /// Stable machine-readable name (the core's code for core errors).
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Core(e) => e.code(),
            CliError::NoVaultFolder(_) => "no_vault",
            CliError::NoPassphrase => "no_passphrase",
            CliError::NoNewPassphrase => "no_new_passphrase",
            CliError::PassphraseMismatch => "passphrase_mismatch",
            CliError::Prompt(_) => "prompt_failed",
            CliError::Read { .. } => "read_failed",
            CliError::Stdin(_) => "read_failed",
            CliError::NotText(_) => "not_text",
            CliError::Exists(_) => "file_exists",
            CliError::NothingToChange => "nothing_to_change",
            CliError::VerifyFailed(_) => "verify_failed",
            CliError::SyncAlarms(_) => "sync_alarms",
            CliError::Usage(_) => "usage",
            CliError::Output(_) => "output_failed",
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::VerifyFailed(_) => EXIT_VERIFY_PROBLEMS,
            CliError::SyncAlarms(_) => EXIT_SYNC_ALARMS,
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }
}
