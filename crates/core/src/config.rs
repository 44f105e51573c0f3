//! coffer.toml: the only plaintext file of a vault. It holds the format version and the random
//! vault id; no titles, no names, no secrets.

use crate::{Error, Id, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The vault format this Coffer writes, and the newest it reads. Format 2: devices sign with
/// their own keys and the log carries the roster of devices (format 1 vaults are upgraded
/// when a device first unlocks them).
pub const VAULT_FORMAT: u32 = 2;

/// The contents of coffer.toml: the vault's format version and id. Any other key is
/// refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Vault format version.
    pub format: u32,
    /// Random vault id, bound into every object.
    pub vault: Id,
}

impl Config {
    /// The text of coffer.toml for this config, with a comment saying it holds no secrets.
    pub fn to_toml(&self) -> String {
        format!(
            "# A Coffer vault (https://example.invalid/coffer). This file holds no secrets.\n\
             # Every other file is age-encrypted; see docs/FORMAT.md.\n\
             format = {}\nvault = \"{}\"\n",
            self.format, self.vault
        )
    }

    /// Parses coffer.toml, refusing newer formats with a clear message.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        #[derive(Deserialize)]
        struct Probe {
            format: Option<i64>,
        }
        let foreign = |reason: String| Error::ForeignFolder {
            path: path.to_path_buf(),
            reason,
        };
        let probe: Probe = toml::from_str(text)
            .map_err(|e| foreign(format!("coffer.toml is unreadable: {}", e.message())))?;
        match probe.format {
            Some(f) if f > VAULT_FORMAT as i64 => {
                return Err(Error::NewerFormat {
                    found: f,
                    supported: VAULT_FORMAT,
                });
            }
            Some(f) if f >= 1 => {}
            _ => return Err(foreign("coffer.toml has no valid format version".into())),
        }
        toml::from_str(text)
            .map_err(|e| foreign(format!("coffer.toml is invalid: {}", e.message())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_format_number_is_reported_as_written() {
        let e = Config::parse(
            "format = 4294967297\nvault = \"00000000000000000000000000000000\"\n",
            Path::new("x"),
        )
        .unwrap_err();
        assert_eq!(e.code(), "newer_format");
        assert!(e.to_string().contains("4294967297"), "{e}");
    }
}
