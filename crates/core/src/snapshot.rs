//! The encrypted snapshot cache (`local/snapshot.age`): the decrypted state, serialized and
//! encrypted to the vault key, so unlocking does not decrypt every object one by one. It is a
//! cache only: if it is missing, stale or unreadable, the state is rebuilt from the log.

use crate::state::State;
use crate::vault::Vault;
use crate::{Error, Id, Result, crypto};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::ErrorKind;

const SNAPSHOT_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Snapshot {
    format: u32,
    vault: Id,
    state: State,
}

pub(crate) fn read(vault: &Vault) -> Result<Option<State>> {
    let path = vault.layout.snapshot();
    let ct = match fs::read(&path) {
        Ok(ct) => ct,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("reading the snapshot")(e)),
    };
    let plain = crypto::decrypt(&[vault.keys.vault_identity()], &ct)
        .map_err(|e| Error::corrupt("local/snapshot.age", e.to_string()))?;
    let snap: Snapshot = postcard::from_bytes(&plain)
        .map_err(|e| Error::corrupt("local/snapshot.age", e.to_string()))?;
    if snap.format != SNAPSHOT_FORMAT || snap.vault != vault.config.vault {
        return Ok(None);
    }
    Ok(Some(snap.state))
}

pub(crate) fn write(vault: &mut Vault) -> Result<()> {
    let snap = Snapshot {
        format: SNAPSHOT_FORMAT,
        vault: vault.config.vault,
        state: std::mem::take(&mut vault.state),
    };
    let plain = postcard::to_stdvec(&snap).map(zeroize::Zeroizing::new);
    vault.state = snap.state;
    let plain = plain.map_err(|e| Error::Invalid(format!("snapshot: {e}")))?;
    let ct = crypto::encrypt(&[&vault.keys.vault_recipient()], &plain)?;
    crate::fsutil::write_atomic(&vault.layout.snapshot(), &ct)
}
