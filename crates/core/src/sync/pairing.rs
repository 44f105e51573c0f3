//! Pairing: a new device joins from a device the user already has, with neither the vault's
//! passphrase nor the remote's credentials typed on it (docs/FORMAT.md, "Pairing").
//!
//! 1. The new device makes its own keys and shows a **code**: its id, its public keys and its
//!    name ([`PairingRequest`]). Its private keys never leave it.
//! 2. The device the user has takes the code ([`PairingCode`]), both show the same
//!    **comparison number** (a slow hash of the code: a code altered on its way gives
//!    another), and it signs the roster's `add` of the new device, hands it the key
//!    generations it needs (crate::roster, `keys`), syncs, and gives back an **answer**: the
//!    vault's keys and the remote's address and credentials, age-encrypted to the new device
//!    alone, with a second number, the **answer check** ([`DeviceAnswer`]).
//! 3. The new device opens the answer ([`OpenedAnswer`]) and shows the answer check: it
//!    matches only for an answer from the vault the user's device holds (anyone can encrypt
//!    an answer to the code's public key). Then it writes its vault folder (identity.age under
//!    a passphrase chosen on it) and pulls everything from the remote.

use super::local::{self, StoredRemote};
use super::{Credentials, ORIGIN, RemotePurpose, SyncOptions, SyncReport};
use crate::config::{Config, VAULT_FORMAT};
use crate::keys::{DeviceKeys, Keys};
use crate::roster::{Change, clean_device_name, signing_text};
use crate::store::Layout;
use crate::{Error, Id, LockedVault, ProgressFn, Result, Vault, crypto, fsutil};
use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::{Deserialize, Serialize};
use std::path::Path;
use zeroize::Zeroizing;

/// How every pairing code starts.
pub const CODE_PREFIX: &str = "coffer-pair-1:";
/// Domain separation of the comparison number.
const COMPARISON_CONTEXT: &[u8] = b"coffer pairing v2\0";
/// Domain separation of the answer check.
const ANSWER_CONTEXT: &[u8] = b"coffer pairing answer v1\0";
/// The longest answer read (the keys, every key generation, a remote's address and
/// credentials, in armor: about 250 characters a generation).
const MAX_ANSWER_CHARS: usize = 64 * 1024 + 256 * crate::generations::MAX_GENERATIONS;

/// The new device's side of a pairing: its own keys, made here, until the answer comes.
pub struct PairingRequest {
    device: Id,
    keys: DeviceKeys,
    name: String,
}

impl std::fmt::Debug for PairingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingRequest")
            .field("device", &self.device)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A pairing code as the device the user has reads it.
#[derive(Clone, Debug)]
pub struct PairingCode {
    /// The new device's id.
    pub device: Id,
    /// The name it asks for.
    pub name: String,
    signing: String,
    recipient: String,
    payload: Vec<u8>,
}

/// What the answer holds (its plaintext, JSON).
#[derive(Serialize, Deserialize)]
struct Answer {
    pairing: u32,
    vault: Id,
    /// The device it is for.
    device: Id,
    /// The device that added it.
    by: Id,
    /// The plaintext of identity.age.
    identity: String,
    /// Every generation of the vault key the adder holds (crate::generations), so that the
    /// new device can read the entries written to them before the `keys` event that hands
    /// them to it.
    generations: String,
    remote: AnswerRemote,
}

#[derive(Serialize, Deserialize)]
struct AnswerRemote {
    url: String,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    secret_access_key: Option<String>,
}

impl Drop for Answer {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.identity.zeroize();
        self.generations.zeroize();
        self.remote.url.zeroize();
        if let Some(s) = &mut self.remote.secret_access_key {
            s.zeroize();
        }
    }
}

/// The code's bytes: version, device id, signing key, recipient, name.
fn payload(device: &Id, signing: &[u8; 32], recipient: &str, name: &str) -> Vec<u8> {
    let mut p = vec![1u8];
    p.extend_from_slice(device.as_bytes());
    p.extend_from_slice(signing);
    p.push(recipient.len() as u8);
    p.extend_from_slice(recipient.as_bytes());
    p.extend_from_slice(name.as_bytes());
    p
}

/// Eight digits both devices show, from `bytes` through scrypt (N = 2^15, r = 8: 32 MiB of
/// memory a try): someone who can change a code or an answer on its way must try about
/// 10^8 of their own, each as slow, to find one that shows the same number while the user
/// waits.
fn number(context: &[u8], bytes: &[u8]) -> String {
    let params = scrypt::Params::new(15, 8, 1, 16).expect("valid scrypt parameters");
    let mut out = [0u8; 16];
    scrypt::scrypt(bytes, context, &params, &mut out).expect("a valid output length");
    let n = u64::from_be_bytes(out[..8].try_into().expect("8 bytes")) % 100_000_000;
    format!("{:04} {:04}", n / 10_000, n % 10_000)
}

/// The number both devices show before the new one is added: from the code.
fn comparison(payload: &[u8]) -> String {
    number(COMPARISON_CONTEXT, payload)
}

/// The number both devices show before the new one takes the answer: from the code and the
/// public facts of the vault the answer is from (its id, the adding device, the vault key's
/// recipient).
fn answer_check(payload: &[u8], vault: &Id, by: &Id, vault_recipient: &str) -> String {
    let mut m = payload.to_vec();
    m.extend_from_slice(vault.as_bytes());
    m.extend_from_slice(by.as_bytes());
    m.extend_from_slice(vault_recipient.as_bytes());
    number(ANSWER_CONTEXT, &m)
}

/// An answer the new device opened: finished with [`PairingRequest::finish`] once the user saw
/// that both devices show its check.
pub struct OpenedAnswer {
    answer: Answer,
    keys: Keys,
    check: String,
}

impl std::fmt::Debug for OpenedAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedAnswer")
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

impl OpenedAnswer {
    /// The number the adding device shows with the answer.
    pub fn check(&self) -> &str {
        &self.check
    }
}

/// What the adding device gives back: the answer, and the number the new device shows too.
#[derive(Debug)]
pub struct DeviceAnswer {
    /// The answer, armored.
    pub answer: String,
    /// The answer check.
    pub check: String,
}

impl PairingRequest {
    /// New keys for a device to be paired, named `name` (the host name when `None`).
    pub fn new(name: Option<&str>) -> Result<PairingRequest> {
        let name = match name {
            Some(n) => clean_device_name(n)?,
            None => crate::roster::default_device_name(),
        };
        Ok(PairingRequest {
            device: Id::random(),
            keys: DeviceKeys::generate(),
            name,
        })
    }

    /// The new device's id.
    pub fn device(&self) -> Id {
        self.device
    }

    /// The name it asks for.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn payload(&self) -> Vec<u8> {
        payload(
            &self.device,
            self.keys.verifying_key().as_bytes(),
            &self.keys.recipient().to_string(),
            &self.name,
        )
    }

    /// The code to give the device the user has: public keys only, nothing secret.
    pub fn code(&self) -> String {
        let p = self.payload();
        let mut with_check = p.clone();
        with_check.extend_from_slice(&crypto_sum(&p));
        format!("{CODE_PREFIX}{}", B64URL.encode(with_check))
    }

    /// The number the other device must show too.
    pub fn comparison(&self) -> String {
        comparison(&self.payload())
    }

    /// Opens an answer (refused unless it was made for this request), to show its check.
    pub fn open_answer(&self, text: &str) -> Result<OpenedAnswer> {
        let answer = self.read_answer(text)?;
        let keys = Keys::from_identity_file(&answer.identity, &answer.vault)?;
        let check = answer_check(
            &self.payload(),
            &answer.vault,
            &answer.by,
            &keys.vault_recipient().to_string(),
        );
        Ok(OpenedAnswer {
            answer,
            keys,
            check,
        })
    }

    /// With an answer opened (and its check seen on both devices), writes the vault folder
    /// `dir` (absent or empty; identity.age under `passphrase`, this device's keys in
    /// local/device.age) and pulls everything from the remote. If the remote does not list
    /// this device yet, nothing is left in `dir` and the same request can take the answer
    /// again once the adder has synced.
    pub fn finish(
        &self,
        opened: &OpenedAnswer,
        dir: &Path,
        passphrase: &SecretString,
        work_factor: u8,
        progress: ProgressFn<'_>,
    ) -> Result<(Vault, SyncReport)> {
        if passphrase.expose_secret().is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        let (answer, keys) = (&opened.answer, &opened.keys);
        let layout = Layout {
            root: dir.to_path_buf(),
        };
        if layout.config().exists() {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        if let Ok(mut entries) = std::fs::read_dir(dir)
            && entries.next().is_some()
        {
            return Err(Error::FolderNotEmpty(dir.to_path_buf()));
        }
        let config = Config {
            format: VAULT_FORMAT,
            vault: answer.vault,
        };
        let made = (|| -> Result<(Vault, SyncReport)> {
            for d in [
                layout.root.clone(),
                layout.objects(),
                layout.logs(),
                layout.local(),
            ] {
                fsutil::create_dirs(&d).map_err(Error::io(format!("creating {}", d.display())))?;
            }
            let ct = crypto::encrypt_with_passphrase(
                passphrase,
                work_factor,
                answer.identity.as_bytes(),
            )?;
            fsutil::write_atomic(&layout.identity(), &ct)?;
            fsutil::write_atomic(&layout.device(), format!("{}\n", self.device).as_bytes())?;
            crate::store::write_device_keys(&layout, &config, keys, &self.device, &self.keys)?;
            // coffer.toml last: a folder without it is not (yet) a vault.
            fsutil::write_atomic(&layout.config(), config.to_toml().as_bytes())?;
            let mut vault = LockedVault::open(dir)?.unlock(passphrase)?;
            vault
                .store
                .generations
                .add_file(&answer.generations, &answer.vault)?;
            let credentials = match (
                &answer.remote.access_key_id,
                &answer.remote.secret_access_key,
            ) {
                (Some(id), Some(secret)) => Some(Credentials {
                    access_key_id: id.clone(),
                    secret_access_key: SecretString::from(secret.clone()),
                }),
                _ => None,
            };
            vault.add_remote(ORIGIN, &answer.remote.url, credentials)?;
            let report = vault.sync(Some(ORIGIN), &SyncOptions::default(), progress)?;
            if vault
                .store
                .roster
                .member(&self.device)
                .is_none_or(|m| m.added_by != Some(answer.by))
            {
                return Err(Error::NotPairedYet);
            }
            vault.save_snapshot()?;
            Ok((vault, report))
        })();
        if made.is_err() {
            // Nothing half-made stays behind: pairing again starts from an empty folder.
            let _ = std::fs::remove_dir_all(dir);
        }
        made
    }

    fn read_answer(&self, text: &str) -> Result<Answer> {
        let bad = |m: &str| Error::BadPairing(format!("answer: {m}"));
        if text.len() > MAX_ANSWER_CHARS {
            return Err(bad("it is far too long"));
        }
        let ct = crate::messages::armor::dearmor(text).map_err(|e| bad(&e.to_string()))?;
        let plain = crypto::decrypt(&[self.keys.identity()], &ct).map_err(|_| {
            bad("it is not for this device (it answers another code, or an earlier run of pairing)")
        })?;
        let answer: Answer =
            serde_json::from_slice(&plain).map_err(|e| bad(&format!("damaged: {e}")))?;
        if answer.pairing != 1 || answer.device != self.device {
            return Err(bad("it is for another device"));
        }
        Ok(answer)
    }
}

fn crypto_sum(p: &[u8]) -> [u8; 4] {
    let h = crypto::sha256_hex(p);
    let mut out = [0u8; 4];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex");
    }
    out
}

impl PairingCode {
    /// Reads a pairing code as typed or pasted (spaces and line breaks are ignored).
    pub fn parse(text: &str) -> Result<PairingCode> {
        let bad = |m: &str| Error::BadPairing(format!("code: {m}"));
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let Some(body) = t.strip_prefix(CODE_PREFIX) else {
            return Err(bad(&format!("it does not start with {CODE_PREFIX}")));
        };
        if body.len() > 1024 {
            return Err(bad("it is far too long"));
        }
        let raw = B64URL
            .decode(body)
            .map_err(|_| bad("it holds characters a code does not have"))?;
        if raw.len() < 4 {
            return Err(bad("it is cut short"));
        }
        let (p, sum) = raw.split_at(raw.len() - 4);
        if crypto_sum(p) != sum {
            return Err(bad(
                "it was cut short or mistyped (its check digits differ)",
            ));
        }
        if p.first() != Some(&1) || p.len() < 1 + 16 + 32 + 1 {
            return Err(bad("it is of another version of Coffer"));
        }
        let device = Id::from_bytes(p[1..17].try_into().expect("16 bytes"));
        let signing: [u8; 32] = p[17..49].try_into().expect("32 bytes");
        let rlen = p[49] as usize;
        let recipient = p
            .get(50..50 + rlen)
            .and_then(|r| std::str::from_utf8(r).ok())
            .ok_or_else(|| bad("it is cut short"))?;
        recipient
            .parse::<x25519::Recipient>()
            .map_err(|_| bad("its age key is not valid"))?;
        let name = std::str::from_utf8(&p[50 + rlen..]).map_err(|_| bad("its name is not text"))?;
        let name = clean_device_name(name).map_err(|e| bad(&e.to_string()))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&signing)
            .map_err(|_| bad("its signing key is not valid"))?;
        if key.is_weak() {
            return Err(bad("its signing key is not valid"));
        }
        Ok(PairingCode {
            device,
            name,
            signing: signing_text(&key),
            recipient: recipient.to_string(),
            payload: p.to_vec(),
        })
    }

    /// The number the new device shows too.
    pub fn comparison(&self) -> String {
        comparison(&self.payload)
    }
}

impl Vault {
    /// Adds the device of `code` to the roster (signed by this device), hands it the key
    /// generations, syncs with the sync remote `remote` (the first one when `None`), and
    /// returns the answer for the new device: the vault's keys and that remote's address and
    /// credentials, age-encrypted to it alone, in ASCII armor, with its check. Run again with the same code,
    /// it adds nothing and gives a new answer.
    pub fn add_device(&mut self, code: &PairingCode, remote: Option<&str>) -> Result<DeviceAnswer> {
        let remotes = local::read_remotes(self)?;
        let stored: &StoredRemote = match remote {
            Some(name) => remotes
                .remotes
                .iter()
                .find(|r| r.name == name)
                .ok_or_else(|| Error::NoSuchRemote(name.to_string()))?,
            None => remotes
                .remotes
                .iter()
                .find(|r| r.purpose == RemotePurpose::Sync)
                .ok_or_else(|| {
                    Error::Invalid(
                        "this vault has no sync remote: add one first (the new device reaches the vault through it)".into(),
                    )
                })?,
        };
        let name = stored.name.clone();
        match self.store.roster.member(&code.device) {
            None => self.roster_change(Change::Add {
                device: code.device,
                name: code.name.clone(),
                signing: code.signing.clone(),
                recipient: code.recipient.clone(),
                proof: None,
            })?,
            Some(m)
                if m.added_by == Some(self.store.device)
                    && m.removed.is_none()
                    && m.recipient == code.recipient => {}
            Some(_) => {
                return Err(Error::Invalid(format!(
                    "device {} is in the roster already",
                    code.device
                )));
            }
        }
        self.sync(Some(&name), &SyncOptions::default(), &mut |_| {})?;
        let answer = Answer {
            pairing: 1,
            vault: self.store.config.vault,
            device: code.device,
            by: self.store.device,
            identity: self
                .store
                .keys
                .to_identity_file(&self.store.config.vault)
                .expose_secret()
                .to_string(),
            generations: self
                .store
                .generations
                .to_file(&self.store.config.vault)
                .expose_secret()
                .to_string(),
            remote: AnswerRemote {
                url: stored.url.clone(),
                access_key_id: stored.access_key_id.clone(),
                secret_access_key: stored.secret_access_key.clone(),
            },
        };
        let plain = Zeroizing::new(serde_json::to_vec(&answer).expect("answers serialize"));
        let recipient: x25519::Recipient = code
            .recipient
            .parse()
            .map_err(|_| Error::BadPairing("code: its age key is not valid".into()))?;
        let ct = crypto::encrypt(&[&recipient], &plain)?;
        Ok(DeviceAnswer {
            answer: crate::messages::armor::armor(&ct)?,
            check: answer_check(
                &code.payload,
                &self.store.config.vault,
                &self.store.device,
                &self.store.keys.vault_recipient().to_string(),
            ),
        })
    }
}
