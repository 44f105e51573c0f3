//! What every phase shares: where a size's vault is, its passphrase and work factor.

use anyhow::{Context, Result, bail};
use coffer_core::age::secrecy::SecretString;
use coffer_core::age::x25519;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// scrypt work factor of the generated vaults (the KDF is excluded from every timing).
pub const WORK_FACTOR: u8 = 10;
/// Notes per `Vault::create_many` call.
pub const BATCH: usize = 1000;

pub fn passphrase() -> SecretString {
    SecretString::from("coffer bench passphrase, not a secret".to_string())
}

/// Where one size's vault and exported identity live.
#[derive(Clone, Debug)]
pub struct Paths {
    pub root: PathBuf,
}

impl Paths {
    pub fn vault(&self) -> PathBuf {
        self.root.join("vault")
    }
    pub fn identity(&self) -> PathBuf {
        self.root.join("identity.txt")
    }
    pub(super) fn snapshot(&self) -> PathBuf {
        self.vault().join("local").join("snapshot.age")
    }
    pub(super) fn bodies(&self) -> PathBuf {
        self.vault().join("local").join("bodies.age")
    }
}

/// Total bytes and number of files under `dir`.
pub(super) fn du(dir: &Path) -> Result<(u64, u64)> {
    let (mut bytes, mut files) = (0, 0);
    for p in files_under(dir)? {
        bytes += fs::metadata(&p)?.len();
        files += 1;
    }
    Ok((bytes, files))
}

pub(super) fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let e = e?;
            if e.file_type()?.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every file of the vault once, so each timing starts from a warm page cache.
pub(super) fn warm_cache(paths: &Paths) -> Result<()> {
    let mut buf = Vec::new();
    for p in files_under(&paths.vault())? {
        buf.clear();
        fs::File::open(&p)?.read_to_end(&mut buf)?;
    }
    Ok(())
}

/// The vault key from the exported identity file (the key labelled `coffer-key: vault`).
pub(super) fn vault_identity(paths: &Paths) -> Result<x25519::Identity> {
    let text = fs::read_to_string(paths.identity())?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "# coffer-key: vault" {
            let key = lines.next().context("no key after its label")?;
            return x25519::Identity::from_str(key.trim())
                .map_err(|e| anyhow::anyhow!("bad vault key in the identity file: {e}"));
        }
    }
    bail!("no vault key in {}", paths.identity().display())
}

/// Decrypts a whole age file with the age crate.
pub(super) fn age_decrypt(id: &x25519::Identity, ct: &[u8]) -> Result<Vec<u8>> {
    let dec = age::Decryptor::new_buffered(ct)?;
    let mut r = dec.decrypt(std::iter::once(id as &dyn age::Identity))?;
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}
