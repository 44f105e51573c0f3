//! age, used one way everywhere: whole objects are decrypted and authenticated before any of
//! their bytes are used; only native X25519 and scrypt identities; never plugins.

use crate::{Error, Result};
use age::secrecy::SecretString;
use age::x25519;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use zeroize::Zeroizing;

/// scrypt work factor (log2 N) for new identity files.
pub const DEFAULT_WORK_FACTOR: u8 = 18;
/// Highest scrypt work factor Coffer accepts when unlocking (2^22: a few seconds, 4 GiB).
pub const MAX_WORK_FACTOR: u8 = 22;

/// Encrypts `plaintext` to the given X25519 recipients.
pub fn encrypt(recipients: &[&x25519::Recipient], plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    let mut w = encrypt_stream(recipients, &mut out)?;
    w.write_all(plaintext)
        .and_then(|_| w.finish().map(|_| ()))
        .map_err(Error::io("encrypting"))?;
    Ok(out)
}

/// A writer that encrypts everything written to it into `out`. Call `finish()`.
pub fn encrypt_stream<W: Write>(
    recipients: &[&x25519::Recipient],
    out: W,
) -> Result<age::stream::StreamWriter<W>> {
    let enc = age::Encryptor::with_recipients(recipients.iter().map(|r| *r as &dyn age::Recipient))
        .map_err(|e| Error::Internal {
            what: "encrypt",
            reason: e.to_string(),
        })?;
    enc.wrap_output(out).map_err(Error::io("encrypting"))
}

/// Decrypts a whole age file held in memory with X25519 identities. The plaintext is returned
/// only after the final chunk authenticated: a truncated or altered file releases nothing.
pub fn decrypt(
    identities: &[&x25519::Identity],
    ciphertext: &[u8],
) -> std::result::Result<Zeroizing<Vec<u8>>, age::DecryptError> {
    let dec = age::Decryptor::new_buffered(ciphertext)?;
    let mut r = dec.decrypt(identities.iter().map(|i| *i as &dyn age::Identity))?;
    read_all(&mut r, ciphertext.len())
}

/// Decrypts a whole age file with any set of (non-plugin) identities. Used by the interop
/// test vectors; Coffer's own objects go through [`decrypt`].
pub fn decrypt_with(
    identities: &[&dyn age::Identity],
    ciphertext: &[u8],
) -> std::result::Result<Zeroizing<Vec<u8>>, age::DecryptError> {
    let dec = age::Decryptor::new_buffered(ciphertext)?;
    let mut r = dec.decrypt(identities.iter().copied())?;
    read_all(&mut r, ciphertext.len())
}

/// Reads the whole plaintext into a buffer sized from the ciphertext (the plaintext is never
/// longer), so it never reallocates: a reallocation would free a copy without zeroing it.
fn read_all(
    r: &mut impl Read,
    ciphertext_len: usize,
) -> std::result::Result<Zeroizing<Vec<u8>>, age::DecryptError> {
    let mut out = Zeroizing::new(Vec::with_capacity(ciphertext_len));
    r.read_to_end(&mut out).map_err(age::DecryptError::Io)?;
    Ok(out)
}

/// Encrypts with a passphrase (age scrypt recipient) at the given work factor.
pub fn encrypt_with_passphrase(
    passphrase: &SecretString,
    work_factor: u8,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let mut r = age::scrypt::Recipient::new(passphrase.clone());
    r.set_work_factor(work_factor);
    let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).map_err(
        |e| Error::Internal {
            what: "encrypt",
            reason: e.to_string(),
        },
    )?;
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).map_err(Error::io("encrypting"))?;
    w.write_all(plaintext)
        .and_then(|_| w.finish().map(|_| ()))
        .map_err(Error::io("encrypting"))?;
    Ok(out)
}

/// Decrypts a passphrase-encrypted file, refusing work factors above [`MAX_WORK_FACTOR`]
/// before doing any scrypt work.
pub fn decrypt_with_passphrase(
    passphrase: &SecretString,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if let Some(required) = scrypt_work_factor(ciphertext)
        && required > MAX_WORK_FACTOR
    {
        return Err(Error::ExcessiveWorkFactor {
            required,
            limit: MAX_WORK_FACTOR,
        });
    }
    let mut id = age::scrypt::Identity::new(passphrase.clone());
    id.set_max_work_factor(MAX_WORK_FACTOR);
    decrypt_with(&[&id], ciphertext).map_err(|e| match e {
        age::DecryptError::DecryptionFailed
        | age::DecryptError::KeyDecryptionFailed
        | age::DecryptError::NoMatchingKeys => Error::WrongPassphrase,
        age::DecryptError::ExcessiveWork { required, .. } => Error::ExcessiveWorkFactor {
            required,
            limit: MAX_WORK_FACTOR,
        },
        other => Error::BadIdentity(other.to_string()),
    })
}

/// The scrypt work factor named in an age header, if its first stanza is scrypt.
pub fn scrypt_work_factor(ciphertext: &[u8]) -> Option<u8> {
    let head = &ciphertext[..ciphertext.len().min(1024)];
    let text = std::str::from_utf8(head.split(|b| *b == b'\n').nth(1)?).ok()?;
    let mut parts = text.split(' ');
    if parts.next()? != "->" || parts.next()? != "scrypt" {
        return None;
    }
    parts.nth(1)?.parse().ok()
}

/// SHA-256, hex-encoded.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// SHA-256 of a file, hex-encoded, read in pieces (never held whole).
pub fn sha256_file_hex(path: &std::path::Path) -> std::io::Result<String> {
    sha256_file(path).map(|(sha, _)| hex::encode(sha))
}

/// SHA-256 of a file and its size, read in pieces (never held whole).
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<([u8; 32], u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let size = std::io::copy(&mut f, &mut h)?;
    Ok((h.finalize().into(), size))
}

/// Padmé padding (Nikitin et al., 2019): the padded length leaks at most O(log log n) bits
/// of the real length, at a cost of at most 12% extra bytes.
pub fn padme(len: u64) -> u64 {
    if len < 2 {
        return len.max(1);
    }
    let e = 63 - len.leading_zeros() as u64; // floor(log2 len)
    let s = 64 - e.leading_zeros() as u64; // floor(log2 e) + 1
    let z = e - s;
    let mask = (1u64 << z) - 1;
    (len + mask) & !mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_bounds() {
        for len in 1..100_000u64 {
            let p = padme(len);
            assert!(p >= len);
            assert!(p - len <= len / 8 + 1, "len {len} padded to {p}");
        }
        assert_eq!(padme(1000), 1024);
        // Nearby lengths share a padded length.
        assert_eq!(padme(9_000), padme(9_100));
    }

    #[test]
    fn work_factor_is_read_from_header() {
        let pass = SecretString::from("x".to_string());
        let ct = encrypt_with_passphrase(&pass, 10, b"hello").unwrap();
        assert_eq!(scrypt_work_factor(&ct), Some(10));
        assert_eq!(&decrypt_with_passphrase(&pass, &ct).unwrap()[..], b"hello");
        let wrong = SecretString::from("y".to_string());
        assert!(matches!(
            decrypt_with_passphrase(&wrong, &ct),
            Err(Error::WrongPassphrase)
        ));
    }
}
