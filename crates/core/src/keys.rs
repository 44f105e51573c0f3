//! The user's keys. They live only inside identity.age (passphrase-encrypted) and in memory
//! while the vault is unlocked; they have no `Clone`, no `Serialize`, a redacted `Debug`, and
//! are zeroed when dropped (age's and ed25519-dalek's key types zero themselves).

use crate::{Error, Id, Result};
use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// Domain-separation prefixes: a signature made for one purpose is never valid for another.
pub const LOG_SIGNATURE_CONTEXT: &[u8] = b"coffer log entry v1\0";
/// What a passphrase holder signs to vouch for a device joining with the passphrase
/// (crate::roster).
pub const JOIN_PROOF_CONTEXT: &[u8] = b"coffer device join v1\0";
/// What a device's own key signs to vouch for the new id it goes on under (crate::roster).
pub const CONTINUE_PROOF_CONTEXT: &[u8] = b"coffer device continues v1\0";

/// The keys held in identity.age.
pub struct Keys {
    /// Encrypts everything in the vault. Its public half is never published.
    pub(crate) vault: x25519::Identity,
    /// Receives messages; its public half goes into the contact card.
    pub(crate) messaging: x25519::Identity,
    /// Signs log entries and messages; its public half goes into the contact card.
    pub(crate) signing: SigningKey,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

impl Keys {
    /// Fresh random keys.
    pub fn generate() -> Keys {
        Keys {
            vault: x25519::Identity::generate(),
            messaging: x25519::Identity::generate(),
            signing: random_signing_key(),
        }
    }

    /// The recipient everything in the vault is encrypted to.
    pub fn vault_recipient(&self) -> x25519::Recipient {
        self.vault.to_public()
    }

    /// The vault key: decrypts every object, log entry and snapshot cache of the vault.
    pub fn vault_identity(&self) -> &x25519::Identity {
        &self.vault
    }

    /// The messaging key: decrypts the messages contacts send to the user.
    pub fn messaging_identity(&self) -> &x25519::Identity {
        &self.messaging
    }

    /// The public signing key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// Signs `message` under a domain-separation `context`.
    pub fn sign(&self, context: &[u8], message: &[u8]) -> [u8; 64] {
        sign_with(&self.signing, context, message)
    }

    /// The plaintext of identity.age: an age identity file (comments and AGE-SECRET-KEY
    /// lines) that `age -d -i` accepts directly. The signing key rides in a comment line.
    pub fn to_identity_file(&self, vault_id: &Id) -> SecretString {
        let mut s = String::new();
        s.push_str("# Coffer identity file, format 1.\n");
        s.push_str("# Decrypt any Coffer file with: age -d -i <this file> <file>.age\n");
        s.push_str(&format!("# vault: {vault_id}\n"));
        s.push_str("# coffer-key: vault\n");
        s.push_str(self.vault.to_string().expose_secret());
        s.push('\n');
        s.push_str("# coffer-key: messaging\n");
        s.push_str(self.messaging.to_string().expose_secret());
        s.push('\n');
        let seed = Zeroizing::new(self.signing.to_bytes());
        s.push_str(&format!(
            "# coffer-signing-key: {}\n",
            B64.encode(&seed[..])
        ));
        SecretString::from(s)
    }

    /// Parses the plaintext of identity.age, checking it belongs to `vault_id`.
    pub fn from_identity_file(text: &str, vault_id: &Id) -> Result<Keys> {
        let bad = |m: &str| Error::BadIdentity(m.to_string());
        let mut vault = None;
        let mut messaging = None;
        let mut signing = None;
        let mut file_vault = None;
        let mut next: Option<&str> = None;
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(v) = line.strip_prefix("# vault: ") {
                file_vault = Some(v.trim().to_string());
            } else if let Some(k) = line.strip_prefix("# coffer-key: ") {
                next = Some(if k.trim() == "vault" {
                    "vault"
                } else {
                    "messaging"
                });
            } else if line.starts_with("# coffer-generation: ")
                || line.starts_with("# coffer-device-key: ")
            {
                // An exported identity's other keys (crate::generations, local/device.age).
                next = Some("other");
            } else if let Some(k) = line.strip_prefix("# coffer-signing-key: ") {
                signing = Some(parse_seed(k).ok_or_else(|| bad("bad signing key"))?);
            } else if line.starts_with("AGE-SECRET-KEY-") {
                let id = x25519::Identity::from_str(line).map_err(|_| bad("bad age secret key"))?;
                match next.take() {
                    Some("other") => {}
                    Some("vault") => vault = Some(id),
                    Some(_) => messaging = Some(id),
                    None => return Err(bad("unlabelled key")),
                }
            }
        }
        if file_vault.as_deref() != Some(&vault_id.to_string()) {
            return Err(bad("it belongs to another vault"));
        }
        Ok(Keys {
            vault: vault.ok_or_else(|| bad("no vault key"))?,
            messaging: messaging.ok_or_else(|| bad("no messaging key"))?,
            signing: signing.ok_or_else(|| bad("no signing key"))?,
        })
    }
}

/// One device's own keys, made on that device and never copied off it: the signing key its log
/// entries are signed with, and the age identity that key generations are encrypted to
/// (crate::roster). Kept in `local/device.age`, encrypted to the vault key.
pub struct DeviceKeys {
    /// Decrypts what is encrypted to this device alone.
    pub(crate) identity: x25519::Identity,
    /// Signs this device's log entries.
    pub(crate) signing: SigningKey,
    /// The keys of the ids this device had before it went on under a new one (`coffer device
    /// continue-as-new`), newest last: what was sealed to them is still read here.
    pub(crate) former: Vec<(Id, DeviceKeys)>,
}

/// The most former ids a device's key file keeps.
const MAX_FORMER: usize = 16;

impl fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceKeys(<redacted>)")
    }
}

impl DeviceKeys {
    /// Fresh random keys for a new device.
    pub fn generate() -> DeviceKeys {
        DeviceKeys {
            identity: x25519::Identity::generate(),
            signing: random_signing_key(),
            former: Vec::new(),
        }
    }

    /// Fresh keys for the new id a device goes on under, keeping `old` (the id it had, and
    /// its keys) among the former ones.
    pub fn succeeding(old_id: Id, old: DeviceKeys) -> DeviceKeys {
        let mut k = DeviceKeys::generate();
        let DeviceKeys {
            identity,
            signing,
            former,
        } = old;
        k.former = former;
        k.former.push((
            old_id,
            DeviceKeys {
                identity,
                signing,
                former: Vec::new(),
            },
        ));
        let extra = k.former.len().saturating_sub(MAX_FORMER);
        k.former.drain(..extra);
        k
    }

    /// Takes out the keys of a former id of this device, if it had that id.
    pub fn take_former(&mut self, id: &Id) -> Option<DeviceKeys> {
        let i = self.former.iter().position(|(d, _)| d == id)?;
        Some(self.former.remove(i).1)
    }

    /// The keys of a former id of this device, if it had that id.
    pub fn former(&self, id: &Id) -> Option<&DeviceKeys> {
        self.former.iter().find(|(d, _)| d == id).map(|(_, k)| k)
    }

    /// Every age identity this device reads with: its own, then its former ones.
    pub fn identities(&self) -> impl Iterator<Item = &x25519::Identity> {
        std::iter::once(&self.identity).chain(self.former.iter().map(|(_, k)| &k.identity))
    }

    /// The public signing key, as the roster holds it.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The device's age recipient, as the roster holds it.
    pub fn recipient(&self) -> x25519::Recipient {
        self.identity.to_public()
    }

    /// The device's age identity.
    pub fn identity(&self) -> &x25519::Identity {
        &self.identity
    }

    /// Signs `message` under a domain-separation `context`.
    pub fn sign(&self, context: &[u8], message: &[u8]) -> [u8; 64] {
        sign_with(&self.signing, context, message)
    }

    /// The plaintext of `local/device.age`: an age identity file (`age -d -i` accepts it),
    /// the signing key in a comment line.
    /// Former ids come first, each as a `# coffer-former-device: ID` line, its signing key
    /// and its age key, so that the device's own age key is the last one.
    pub fn to_file(&self, vault: &Id, device: &Id) -> SecretString {
        let mut former = Zeroizing::new(String::with_capacity(256 * self.former.len()));
        for (id, k) in &self.former {
            let seed = Zeroizing::new(k.signing.to_bytes());
            former.push_str(&format!("# coffer-former-device: {id}\n"));
            former.push_str("# coffer-former-signing-key: ");
            former.push_str(&B64.encode(&seed[..]));
            former.push('\n');
            former.push_str(k.identity.to_string().expose_secret());
            former.push('\n');
        }
        let seed = Zeroizing::new(self.signing.to_bytes());
        SecretString::from(format!(
            "# Coffer device key, format 1. It never leaves this device.\n\
             # vault: {vault}\n# device: {device}\n{}{}\n# coffer-signing-key: {}\n",
            former.as_str(),
            self.identity.to_string().expose_secret(),
            B64.encode(&seed[..])
        ))
    }

    /// Parses the plaintext of `local/device.age`, checking it belongs to `vault` and `device`.
    pub fn from_file(text: &str, vault: &Id, device: &Id) -> Result<DeviceKeys> {
        let bad = |m: &str| Error::BadIdentity(format!("local/device.age: {m}"));
        let (mut identity, mut signing) = (None, None);
        let (mut file_vault, mut file_device) = (None, None);
        let mut former = Vec::new();
        // A former id read, waiting for its signing key and then its age key.
        let mut pending: Option<(Id, Option<SigningKey>)> = None;
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("# vault: ") {
                file_vault = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("# device: ") {
                file_device = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("# coffer-former-device: ") {
                pending = Some((v.trim().parse().map_err(|_| bad("bad former id"))?, None));
            } else if let Some(k) = line.strip_prefix("# coffer-former-signing-key: ") {
                let key = parse_seed(k).ok_or_else(|| bad("bad former signing key"))?;
                match &mut pending {
                    Some((_, s)) => *s = Some(key),
                    None => return Err(bad("a former signing key without its id")),
                }
            } else if let Some(k) = line.strip_prefix("# coffer-signing-key: ") {
                signing = Some(parse_seed(k).ok_or_else(|| bad("bad signing key"))?);
            } else if line.starts_with("AGE-SECRET-KEY-") {
                let key =
                    x25519::Identity::from_str(line.trim()).map_err(|_| bad("bad age key"))?;
                match pending.take() {
                    Some((id, Some(signing))) => {
                        if former.len() == MAX_FORMER {
                            return Err(bad("too many former ids"));
                        }
                        former.push((
                            id,
                            DeviceKeys {
                                identity: key,
                                signing,
                                former: Vec::new(),
                            },
                        ));
                    }
                    Some((_, None)) => return Err(bad("a former id without its signing key")),
                    None => identity = Some(key),
                }
            }
        }
        if file_vault != Some(&vault.to_string()) || file_device != Some(&device.to_string()) {
            return Err(bad("it belongs to another vault or device"));
        }
        Ok(DeviceKeys {
            identity: identity.ok_or_else(|| bad("no age key"))?,
            signing: signing.ok_or_else(|| bad("no signing key"))?,
            former,
        })
    }
}

fn random_signing_key() -> SigningKey {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut seed[..]).expect("the operating system's random source failed");
    SigningKey::from_bytes(&seed)
}

fn parse_seed(b64: &str) -> Option<SigningKey> {
    let raw = Zeroizing::new(B64.decode(b64.trim()).ok()?);
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(raw.as_slice().try_into().ok()?);
    Some(SigningKey::from_bytes(&seed))
}

fn sign_with(key: &SigningKey, context: &[u8], message: &[u8]) -> [u8; 64] {
    let mut m = Vec::with_capacity(context.len() + message.len());
    m.extend_from_slice(context);
    m.extend_from_slice(message);
    key.sign(&m).to_bytes()
}

/// Checks a signature made by [`Keys::sign`].
pub fn verify_signature(key: &VerifyingKey, context: &[u8], message: &[u8], sig: &[u8]) -> bool {
    let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
        return false;
    };
    let mut m = Vec::with_capacity(context.len() + message.len());
    m.extend_from_slice(context);
    m.extend_from_slice(message);
    key.verify(&m, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_file_round_trips() {
        let k = Keys::generate();
        let vid = Id::random();
        let text = k.to_identity_file(&vid);
        let k2 = Keys::from_identity_file(text.expose_secret(), &vid).unwrap();
        assert_eq!(
            k.vault_recipient().to_string(),
            k2.vault_recipient().to_string()
        );
        assert_eq!(k.verifying_key(), k2.verifying_key());
        assert!(Keys::from_identity_file(text.expose_secret(), &Id::random()).is_err());
        let sig = k.sign(LOG_SIGNATURE_CONTEXT, b"m");
        assert!(verify_signature(
            &k2.verifying_key(),
            LOG_SIGNATURE_CONTEXT,
            b"m",
            &sig
        ));
        assert!(!verify_signature(
            &k2.verifying_key(),
            b"other\0",
            b"m",
            &sig
        ));
        assert_eq!(format!("{k:?}"), "Keys(<redacted>)");
    }

    #[test]
    fn former_device_keys_round_trip_and_the_own_key_stays_last() {
        let (vault, old_id, new_id) = (Id::random(), Id::random(), Id::random());
        let old = DeviceKeys::generate();
        let (old_signing, old_recipient) = (old.verifying_key(), old.recipient().to_string());
        let k = DeviceKeys::succeeding(old_id, old);
        let text = k.to_file(&vault, &new_id);
        let k2 = DeviceKeys::from_file(text.expose_secret(), &vault, &new_id).unwrap();
        assert_eq!(k2.recipient().to_string(), k.recipient().to_string());
        assert_eq!(k2.verifying_key(), k.verifying_key());
        let former = k2.former(&old_id).unwrap();
        assert_eq!(former.verifying_key(), old_signing);
        assert_eq!(former.recipient().to_string(), old_recipient);
        assert_eq!(k2.identities().count(), 2);
        // A reader that knows nothing of former keys takes the last age key: the own one.
        let last = text
            .expose_secret()
            .lines()
            .rfind(|l| l.starts_with("AGE-SECRET-KEY-"))
            .unwrap();
        assert_eq!(
            last.parse::<x25519::Identity>()
                .unwrap()
                .to_public()
                .to_string(),
            k.recipient().to_string()
        );
        // A former id's age key without its signing key is refused.
        let broken = text
            .expose_secret()
            .lines()
            .filter(|l| !l.starts_with("# coffer-former-signing-key: "))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(DeviceKeys::from_file(&broken, &vault, &new_id).is_err());
    }

    #[test]
    fn device_key_file_round_trips_and_is_bound_to_its_device() {
        let k = DeviceKeys::generate();
        let (vault, device) = (Id::random(), Id::random());
        let text = k.to_file(&vault, &device);
        let k2 = DeviceKeys::from_file(text.expose_secret(), &vault, &device).unwrap();
        assert_eq!(k.verifying_key(), k2.verifying_key());
        assert_eq!(k.recipient().to_string(), k2.recipient().to_string());
        assert!(DeviceKeys::from_file(text.expose_secret(), &vault, &Id::random()).is_err());
        assert!(DeviceKeys::from_file(text.expose_secret(), &Id::random(), &device).is_err());
        assert_eq!(format!("{k:?}"), "DeviceKeys(<redacted>)");
    }
}
