//! Coffer's whole-object decrypt path on arbitrary ciphertext: never panics, never returns
//! plaintext for bytes that were not encrypted to the key.
#![no_main]
use coffer_core::keys::Keys;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KEYS: LazyLock<Keys> = LazyLock::new(Keys::generate);

fuzz_target!(|data: &[u8]| {
    assert!(coffer_core::crypto::decrypt(&[KEYS.vault_identity()], data).is_err());
});
