//! Inboxes on a shared remote (any remote `coffer remote add` accepts: a folder, S3, WebDAV).
//!
//! ```text
//! inbox/<hex of SHA-256("coffer inbox v1\0" || recipient's X25519 messaging key)>/<random id>.age
//! ```
//! The folder name reveals no name and no key (only someone who already has the card can find
//! the folder); the file name is random; the file is the message's age file, the same bytes for
//! every recipient. Anyone who can write to the remote can drop files into an inbox, so the
//! receiver checks each one fully and removes what it rejects. A receiver only ever deletes
//! message files directly inside its own inbox ([`delete_from_inbox`] refuses any other key).

use super::card::ContactCard;
use crate::sync::Remote;
use crate::{Error, Id, Result};
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

/// Whether `key` names a message file directly inside `me`'s inbox: `inbox/<me's folder>/`
/// then a file name ending in `.age`, with no `/`, `\` or control character.
pub fn in_inbox(me: &ContactCard, key: &str) -> bool {
    let prefix = format!("{}/", inbox_folder(me));
    key.strip_prefix(&prefix).is_some_and(|name| {
        name.len() > ".age".len()
            && name.ends_with(".age")
            && !name.contains(['/', '\\'])
            && !name.chars().any(char::is_control)
    })
}

/// The message files waiting in `me`'s inbox, in name order.
pub fn waiting(remote: &dyn Remote, me: &ContactCard) -> Result<Vec<String>> {
    let prefix = format!("{}/", inbox_folder(me));
    let mut keys: Vec<String> = remote
        .list(&prefix)?
        .into_iter()
        .filter(|k| in_inbox(me, k))
        .collect();
    keys.sort();
    Ok(keys)
}

/// Refuses a key that is not a message file of `me`'s own inbox (see [`in_inbox`]).
pub fn check_in_inbox(me: &ContactCard, key: &str) -> Result<()> {
    if in_inbox(me, key) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "{key:?} is not a message in your inbox: nothing was deleted"
        )))
    }
}

/// Refuses the whole list if any key is not a message file of `me`'s own inbox.
pub fn check_all_in_inbox(me: &ContactCard, keys: &[String]) -> Result<()> {
    keys.iter().try_for_each(|k| check_in_inbox(me, k))
}

/// Deletes a message file from `me`'s own inbox; any other key is refused, untouched.
pub fn delete_from_inbox(remote: &dyn Remote, me: &ContactCard, key: &str) -> Result<()> {
    check_in_inbox(me, key)?;
    remote.delete(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keys;

    fn card() -> ContactCard {
        let k = Keys::generate();
        ContactCard::new("p", &k.messaging_identity().to_public(), &k.verifying_key())
            .expect("a card")
    }

    #[test]
    fn only_files_directly_in_ones_own_inbox_count() {
        let (me, other) = (card(), card());
        let mine = inbox_folder(&me);
        let theirs = inbox_folder(&other);
        let id = Id::random();
        assert!(in_inbox(&me, &format!("{mine}/{id}.age")));
        for bad in [
            format!("{theirs}/{id}.age"),
            format!("{mine}/../{}/{id}.age", &theirs["inbox/".len()..]),
            format!("{mine}/sub/{id}.age"),
            format!("{mine}/{id}"),
            format!("{mine}/.age"),
            format!("{mine}/"),
            format!("{mine}{id}.age"),
            format!("{mine}/a\\..\\b.age"),
            format!("{mine}/a\nb.age"),
            format!("x/{mine}/{id}.age"),
            "coffer.toml".to_string(),
            format!("log/{id}/1.age"),
            String::new(),
        ] {
            assert!(!in_inbox(&me, &bad), "{bad:?}");
            let e = check_in_inbox(&me, &bad).expect_err("refused");
            assert_eq!(
                e.to_string(),
                format!(
                    "invalid input: {bad:?} is not a message in your inbox: nothing was deleted"
                )
            );
        }
    }
}
