//! Inboxes on a shared remote (any remote `coffer remote add` accepts: a folder, S3, WebDAV).
//!
//! ```text
//! inbox/<hex of SHA-256("coffer inbox v1\0" || recipient's X25519 messaging key)>/<random id>.age
//! ```
//! The folder name reveals no name and no key (only someone who already has the card can find
//! the folder); the file name is random; the file is the message's age file, the same bytes for
//! every recipient. Anyone who can write to the remote can drop files into an inbox, so the
//! receiver checks each one fully and removes what it rejects.

use super::card::ContactCard;
use crate::sync::Remote;
use crate::{Id, Result};
use sha2::{Digest, Sha256};

const INBOX_CONTEXT: &[u8] = b"coffer inbox v1\0";

/// The inbox folder of a recipient: `inbox/<64 hex digits>`.
pub fn inbox_folder(recipient: &ContactCard) -> String {
    let mut h = Sha256::new();
    h.update(INBOX_CONTEXT);
    h.update(recipient.messaging_key());
    format!("inbox/{}", hex::encode(h.finalize()))
}

/// Puts one copy of the message file into each recipient's inbox; returns the keys written.
pub fn deliver(
    remote: &dyn Remote,
    recipients: &[ContactCard],
    ciphertext: &[u8],
) -> Result<Vec<String>> {
    let mut keys = Vec::with_capacity(recipients.len());
    for r in recipients {
        let key = format!("{}/{}.age", inbox_folder(r), Id::random());
        remote.put(&key, ciphertext)?;
        keys.push(key);
    }
    Ok(keys)
}

/// The message files waiting in `me`'s inbox, in name order.
pub fn waiting(remote: &dyn Remote, me: &ContactCard) -> Result<Vec<String>> {
    let prefix = format!("{}/", inbox_folder(me));
    let mut keys: Vec<String> = remote
        .list(&prefix)?
        .into_iter()
        .filter(|k| k.ends_with(".age") && !k[prefix.len().min(k.len())..].contains('/'))
        .collect();
    keys.sort();
    Ok(keys)
}
