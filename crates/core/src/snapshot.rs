//! The encrypted snapshot cache (`local/snapshot.age`): the decrypted state, serialized and
//! encrypted to the vault key, so unlocking does not decrypt every object one by one. It is a
//! cache only: if it is missing, stale or unreadable, the state is rebuilt from the log.

use crate::state::State;
use crate::vault::Vault;
use crate::{Error, Id, Result, crypto};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::ErrorKind;

/// Format 2: the postcard encoding is LZ4-compressed before encryption (format 1 was not),
/// which halves what must be read and decrypted at unlock. A local cache sees no attacker-
/// chosen text next to secrets, so compression leaks nothing here.
const SNAPSHOT_FORMAT: u32 = 2;

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
    let packed = crypto::decrypt(&[vault.keys.vault_identity()], &ct)
        .map_err(|e| Error::corrupt("local/snapshot.age", e.to_string()))?;
    let Some(plain) = unpack(&packed) else {
        // An older (format 1) or damaged snapshot: rebuild from the log.
        return Ok(None);
    };
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
    let packed = pack(&plain);
    let ct = crypto::encrypt(&[&vault.keys.vault_recipient()], &packed)?;
    crate::fsutil::write_atomic(&vault.layout.snapshot(), &ct)
}

const MAGIC: &[u8; 8] = b"cofsnap2";

/// `MAGIC || u64 LE plaintext length || LZ4 block`, in a buffer that is zeroed when dropped.
fn pack(plain: &[u8]) -> zeroize::Zeroizing<Vec<u8>> {
    let bound = lz4_flex::block::get_maximum_output_size(plain.len());
    let mut out = zeroize::Zeroizing::new(vec![0u8; 16 + bound]);
    out[..8].copy_from_slice(MAGIC);
    out[8..16].copy_from_slice(&(plain.len() as u64).to_le_bytes());
    let n = lz4_flex::block::compress_into(plain, &mut out[16..]).expect("the bound fits");
    out.truncate(16 + n);
    out
}

fn unpack(packed: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let rest = packed.strip_prefix(MAGIC)?;
    let len = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?) as usize;
    // A damaged length must not make us allocate absurdly: LZ4 expands at most 255x.
    if len > rest.len().saturating_mul(255) {
        return None;
    }
    let mut out = zeroize::Zeroizing::new(vec![0u8; len]);
    let n = lz4_flex::block::decompress_into(&rest[8..], &mut out).ok()?;
    (n == len).then_some(out)
}
