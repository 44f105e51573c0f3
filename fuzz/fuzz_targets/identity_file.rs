//! The plaintext of identity.age on arbitrary text, and the scrypt header probe on arbitrary
//! bytes (which must never ask for work: only parse).
#![no_main]
use coffer_core::Id;
use coffer_core::keys::Keys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = coffer_core::crypto::scrypt_work_factor(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Keys::from_identity_file(text, &Id::random());
    }
});
