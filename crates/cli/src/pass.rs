//! Where passphrases come from: a file named on the command line, else an environment
//! variable, else a prompt on the terminal. They stay in `SecretString`s from the moment they
//! are read.

use crate::error::{CliError, Result};
use coffer_core::secrecy::{ExposeSecret, SecretString};
use std::io::IsTerminal;
use std::path::Path;
use zeroize::Zeroizing;

/// The passphrase in effect for unlocking or creating the vault.
pub const PASSPHRASE_ENV: &str = "COFFER_PASSPHRASE";
/// The new passphrase for `passwd`.
pub const NEW_PASSPHRASE_ENV: &str = "COFFER_NEW_PASSPHRASE";

/// The password of a WebDAV remote whose URL names the user but not the password.
pub const WEBDAV_PASSWORD_ENV: &str = "COFFER_WEBDAV_PASSWORD";

/// A remote's URL ready to use. A WebDAV URL that names a user without a password gets the
/// password from $COFFER_WEBDAV_PASSWORD or a prompt, so it is never typed on a command line
/// (where other users can see it in the process list, and shells keep it in their history).
pub fn complete_remote_url(url: &str) -> Result<SecretString> {
    if coffer_core::sync::url_has_password(url) {
        return Err(CliError::Usage(format!(
            "the URL {} carries a password: give only the user name (webdav+https://USER@HOST/PATH); Coffer asks for the password, or reads ${WEBDAV_PASSWORD_ENV}",
            coffer_core::sync::remote::redact(url)
        )));
    }
    let Some(who) = coffer_core::sync::webdav_password_wanted(url) else {
        return Ok(SecretString::from(url.to_string()));
    };
    let password = match from_env(WEBDAV_PASSWORD_ENV)? {
        Some(p) => p,
        None if on_terminal() => prompt(&format!("WebDAV password for {who}: "))?,
        None => {
            return Err(CliError::Usage(format!(
                "the URL names WebDAV user {who} without a password: set ${WEBDAV_PASSWORD_ENV} (or run on a terminal to be asked)"
            )));
        }
    };
    Ok(coffer_core::sync::with_webdav_password(url, &password)?)
}

/// Whether a person can be asked: a terminal is attached.
pub fn on_terminal() -> bool {
    std::io::stdin().is_terminal() || std::io::stderr().is_terminal()
}

/// Reads the first line of `path` (trailing newline stripped).
pub fn from_file(path: &Path) -> Result<SecretString> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::NotText(format!("the passphrase file {}", path.display())))?;
    let line = text.split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    Ok(SecretString::from(line.to_string()))
}

fn from_env(var: &str) -> Result<Option<SecretString>> {
    match std::env::var_os(var) {
        None => Ok(None),
        Some(v) => v
            .into_string()
            .map(|s| Some(SecretString::from(s)))
            .map_err(|_| CliError::NotText(format!("${var}"))),
    }
}

fn prompt(label: &str) -> Result<SecretString> {
    rpassword::prompt_password(label)
        .map(SecretString::from)
        .map_err(CliError::Prompt)
}

/// Asks twice and refuses a mismatch.
fn prompt_twice(label: &str) -> Result<SecretString> {
    let first = prompt(label)?;
    let s = coffer_core::passphrase::strength(&first, &["coffer"]);
    if s.score <= 2 {
        crate::output::warn(&format!(
            "this passphrase is {}: {} (it will be accepted)",
            s.label.to_lowercase(),
            s.hint
        ));
    }
    let second = prompt("Repeat it: ")?;
    if first.expose_secret() != second.expose_secret() {
        return Err(CliError::PassphraseMismatch);
    }
    Ok(first)
}

/// Sources of the passphrase named on the command line.
pub struct Passphrases<'a> {
    pub file: Option<&'a Path>,
}

impl Passphrases<'_> {
    /// The passphrase that unlocks the vault at `dir`.
    pub fn current(&self, dir: &Path) -> Result<SecretString> {
        if let Some(f) = self.file {
            return from_file(f);
        }
        if let Some(p) = from_env(PASSPHRASE_ENV)? {
            return Ok(p);
        }
        if on_terminal() {
            return prompt(&format!("Passphrase for {}: ", dir.display()));
        }
        Err(CliError::NoPassphrase)
    }

    /// The passphrase for a new vault: asked twice on a terminal.
    pub fn for_new_vault(&self) -> Result<SecretString> {
        if let Some(f) = self.file {
            return from_file(f);
        }
        if let Some(p) = from_env(PASSPHRASE_ENV)? {
            return Ok(p);
        }
        if on_terminal() {
            return prompt_twice("New passphrase: ");
        }
        Err(CliError::NoPassphrase)
    }
}

/// The new passphrase for `passwd`: from `file`, else `$COFFER_NEW_PASSPHRASE`, else asked
/// twice on a terminal.
pub fn new_passphrase(file: Option<&Path>) -> Result<SecretString> {
    if let Some(f) = file {
        return from_file(f);
    }
    if let Some(p) = from_env(NEW_PASSPHRASE_ENV)? {
        return Ok(p);
    }
    if on_terminal() {
        return prompt_twice("New passphrase: ");
    }
    Err(CliError::NoNewPassphrase)
}
