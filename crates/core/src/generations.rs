//! Generations of the vault key. The first is the vault key of identity.age. Removing a device
//! makes a new one, sealed (age-encrypted) only to the devices that remain, inside a signed
//! roster event (crate::roster, `Change::Keys`); from then on everything synced is encrypted to
//! the newest generation this device holds, and everything is read with all of them.
//! docs/FORMAT.md, "Key generations", is the format.

use crate::{Error, Id, Result, crypto};
use age::armor::{ArmoredReader, ArmoredWriter, Format};
use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Read, Write};
use std::str::FromStr;

/// The most generations a sealed file may hold (one per removal, and a few more after
/// concurrent ones).
pub const MAX_GENERATIONS: usize = 10_000;

/// One generation of the vault key.
pub struct Generation {
    /// Names it: the first 32 hex digits of the SHA-256 of its recipient (`age1...`).
    pub id: String,
    identity: x25519::Identity,
}

impl Generation {
    /// A fresh random generation.
    pub fn generate() -> Generation {
        Generation::of(x25519::Identity::generate())
    }

    fn of(identity: x25519::Identity) -> Generation {
        Generation {
            id: generation_id(&identity.to_public()),
            identity,
        }
    }

    /// What is encrypted to this generation.
    pub fn recipient(&self) -> x25519::Recipient {
        self.identity.to_public()
    }
}

/// The id of the generation whose recipient is `recipient`.
pub fn generation_id(recipient: &x25519::Recipient) -> String {
    crypto::sha256_hex(recipient.to_string().as_bytes())[..32].to_string()
}

/// The generations this device holds, oldest first; the one new files are encrypted to; the
/// roster events whose sealed generations were opened already; and those sealed to this
/// device that did not open, with why (tried once: a sealed file may be 4 MiB).
pub struct Generations {
    held: Vec<Generation>,
    write: usize,
    opened: BTreeSet<String>,
    unopened: BTreeMap<String, String>,
}

impl fmt::Debug for Generations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Generations({} held, <redacted>)", self.held.len())
    }
}

impl Clone for Generations {
    fn clone(&self) -> Self {
        Generations {
            held: self
                .held
                .iter()
                .map(|g| Generation {
                    id: g.id.clone(),
                    identity: g.identity.clone(),
                })
                .collect(),
            write: self.write,
            opened: self.opened.clone(),
            unopened: self.unopened.clone(),
        }
    }
}

impl Generations {
    /// Only the first generation: the vault key of identity.age.
    pub fn first(vault_key: &x25519::Identity) -> Generations {
        Generations {
            held: vec![Generation::of(vault_key.clone())],
            write: 0,
            opened: BTreeSet::new(),
            unopened: BTreeMap::new(),
        }
    }

    /// The first generation's id.
    pub fn first_id(&self) -> &str {
        &self.held[0].id
    }

    /// The id of the generation new files are encrypted to.
    pub fn write_id(&self) -> &str {
        &self.held[self.write].id
    }

    /// The recipient new synced files are encrypted to.
    pub fn write_recipient(&self) -> x25519::Recipient {
        self.held[self.write].recipient()
    }

    /// Every generation held, newest first (most new files are of the newest).
    pub fn identities(&self) -> Vec<&x25519::Identity> {
        self.held.iter().rev().map(|g| &g.identity).collect()
    }

    /// How many generations this device holds.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Never: the first generation is always held.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The recipient of the held generation `id`.
    pub fn recipient_of(&self, id: &str) -> Option<x25519::Recipient> {
        self.held
            .iter()
            .find(|g| g.id == id)
            .map(Generation::recipient)
    }

    /// Whether the generation `id` is held.
    pub fn holds(&self, id: &str) -> bool {
        self.held.iter().any(|g| g.id == id)
    }

    /// Makes `id` (held) the generation new files are encrypted to.
    pub fn write_with(&mut self, id: &str) {
        if let Some(i) = self.held.iter().position(|g| g.id == id) {
            self.write = i;
        }
    }

    /// Whether the sealed generations of the roster event with this hash were opened.
    pub fn was_opened(&self, event: &str) -> bool {
        self.opened.contains(event)
    }

    /// Whether the sealed generations of the roster event with this hash were tried, opened
    /// or not.
    pub fn was_tried(&self, event: &str) -> bool {
        self.opened.contains(event) || self.unopened.contains_key(event)
    }

    /// The roster events whose generations, sealed to this device, did not open: hash, why.
    pub fn unopened(&self) -> impl Iterator<Item = (&str, &str)> {
        self.unopened.iter().map(|(h, w)| (h.as_str(), w.as_str()))
    }

    /// Takes the generations of a sealed file (the roster event `event`'s, opened with
    /// `device`), adding those not held. A file that does not open or parse adds nothing, and
    /// is kept among the [`Self::unopened`].
    pub fn open_sealed(
        &mut self,
        event: &str,
        sealed: &str,
        device: &x25519::Identity,
        vault: &Id,
    ) -> Result<()> {
        let opened = (|| {
            let plain = decrypt_armored(device, sealed)
                .map_err(|e| Error::BadIdentity(format!("key generations: cannot decrypt: {e}")))?;
            let text = std::str::from_utf8(&plain)
                .map_err(|_| Error::BadIdentity("key generations: not text".into()))?;
            parse_file(text, vault)
        })();
        match opened {
            Ok(gens) => {
                for g in gens {
                    self.add(g);
                }
                self.opened.insert(event.to_string());
                Ok(())
            }
            Err(e) => {
                self.unopened.insert(event.to_string(), e.to_string());
                Err(e)
            }
        }
    }

    /// Adds the generations of an identity file made by [`Self::to_file`] (a pairing answer
    /// carries one) that are not held.
    pub fn add_file(&mut self, text: &str, vault: &Id) -> Result<()> {
        for g in parse_file(text, vault)? {
            self.add(g);
        }
        Ok(())
    }

    /// Adds a generation (made here) if it is not held.
    pub fn add(&mut self, g: Generation) {
        if !self.holds(&g.id) {
            self.held.push(g);
        }
    }

    /// An age identity file of every generation held (`age -d -i` accepts it), oldest first.
    pub fn to_file(&self, vault: &Id) -> SecretString {
        // Sized once (a labelled key takes about 130 bytes), so that no reallocation leaves a
        // copy of a key behind unzeroed.
        let mut s = String::with_capacity(256 + 160 * self.held.len());
        s.push_str(
            "# Coffer key generations, format 1.\n\
             # Decrypt any Coffer file with: age -d -i <this file> <file>.age\n",
        );
        s.push_str(&format!("# vault: {vault}\n"));
        self.append_to(&mut s);
        SecretString::from(s)
    }

    /// Appends the generations as labelled lines of an identity file.
    pub fn append_to(&self, s: &mut String) {
        for g in &self.held {
            s.push_str("# coffer-generation: ");
            s.push_str(&g.id);
            s.push('\n');
            s.push_str(g.identity.to_string().expose_secret());
            s.push('\n');
        }
    }

    /// Appends the generations after the first (which identity.age holds) as labelled lines.
    pub fn append_later_to(&self, s: &mut String) {
        for g in &self.held[1..] {
            s.push_str("# coffer-generation: ");
            s.push_str(&g.id);
            s.push('\n');
            s.push_str(g.identity.to_string().expose_secret());
            s.push('\n');
        }
    }

    /// Seals every generation held, and `fresh` (made now, if any), to `recipients`: the
    /// armored age file a roster event carries.
    pub fn seal(
        &self,
        fresh: Option<&Generation>,
        recipients: &[x25519::Recipient],
        vault: &Id,
    ) -> Result<String> {
        let mut all = self.clone();
        if let Some(g) = fresh {
            all.add(Generation::of(g.identity.clone()));
        }
        let text = all.to_file(vault);
        let refs: Vec<&x25519::Recipient> = recipients.iter().collect();
        encrypt_armored(&refs, text.expose_secret().as_bytes())
    }
}

/// The longest sealed file read (base64 of [`MAX_GENERATIONS`] keys and many recipients).
pub const MAX_SEALED_CHARS: usize = 4 << 20;

fn encrypt_armored(recipients: &[&x25519::Recipient], plain: &[u8]) -> Result<String> {
    let ct = crypto::encrypt(recipients, plain)?;
    let mut out = Vec::with_capacity(ct.len() * 4 / 3 + 128);
    let mut w =
        ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(Error::io("armoring"))?;
    w.write_all(&ct)
        .and_then(|_| w.finish().map(|_| ()))
        .map_err(Error::io("armoring"))?;
    String::from_utf8(out).map_err(|e| Error::Internal {
        what: "armor key generations",
        reason: e.to_string(),
    })
}

fn decrypt_armored(
    device: &x25519::Identity,
    sealed: &str,
) -> std::result::Result<zeroize::Zeroizing<Vec<u8>>, String> {
    if sealed.len() > MAX_SEALED_CHARS {
        return Err("the sealed file is too long".into());
    }
    let mut input = sealed.trim().as_bytes().to_vec();
    input.push(b'\n');
    let mut ct = Vec::new();
    ArmoredReader::new(&input[..])
        .take(MAX_SEALED_CHARS as u64)
        .read_to_end(&mut ct)
        .map_err(|e| format!("the armor is damaged: {e}"))?;
    crypto::decrypt(&[device], &ct).map_err(|e| e.to_string())
}

/// The generations of a sealed file's plaintext, checking it belongs to `vault`.
fn parse_file(text: &str, vault: &Id) -> Result<Vec<Generation>> {
    let bad = |m: &str| Error::BadIdentity(format!("key generations: {m}"));
    let mut file_vault = None;
    let mut out = Vec::new();
    let mut label: Option<&str> = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("# vault: ") {
            file_vault = Some(v.trim());
        } else if let Some(id) = line.strip_prefix("# coffer-generation: ") {
            label = Some(id.trim());
        } else if line.starts_with("AGE-SECRET-KEY-") {
            let identity = x25519::Identity::from_str(line.trim()).map_err(|_| bad("bad key"))?;
            let g = Generation::of(identity);
            if label.take() != Some(g.id.as_str()) {
                return Err(bad("a key's label is not its id"));
            }
            out.push(g);
            if out.len() > MAX_GENERATIONS {
                return Err(bad("too many generations"));
            }
        }
    }
    if file_vault != Some(&vault.to_string()) {
        return Err(bad("they belong to another vault"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_generations_open_only_for_their_recipients() {
        let vault = Id::random();
        let first = x25519::Identity::generate();
        let gens = Generations::first(&first);
        let fresh = Generation::generate();
        let device = x25519::Identity::generate();
        let other = x25519::Identity::generate();
        let sealed = gens
            .seal(Some(&fresh), &[device.to_public()], &vault)
            .unwrap();

        let mut mine = Generations::first(&first);
        mine.open_sealed("e1", &sealed, &device, &vault).unwrap();
        assert_eq!(mine.len(), 2);
        assert!(mine.holds(&fresh.id));
        mine.write_with(&fresh.id);
        assert_eq!(mine.write_id(), fresh.id);

        let mut theirs = Generations::first(&first);
        assert!(theirs.open_sealed("e1", &sealed, &other, &vault).is_err());
        assert_eq!(theirs.len(), 1);
        assert!(!theirs.was_opened("e1"));
        assert!(theirs.was_tried("e1"));
        assert_eq!(theirs.unopened().count(), 1);
        // Another vault's sealed file adds nothing.
        assert!(
            Generations::first(&first)
                .open_sealed("e1", &sealed, &device, &Id::random())
                .is_err()
        );
    }

    #[test]
    fn a_mislabelled_key_is_refused() {
        let vault = Id::random();
        let g = Generation::generate();
        let text = format!(
            "# vault: {vault}\n# coffer-generation: {}\n{}\n",
            "0".repeat(32),
            g.identity.to_string().expose_secret()
        );
        assert!(parse_file(&text, &vault).is_err());
    }
}
