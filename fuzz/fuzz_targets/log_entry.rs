//! Log entries: arbitrary plaintext never panics the parser and never verifies.
#![no_main]
use coffer_core::Id;
use coffer_core::keys::Keys;
use coffer_core::log::LogEntry;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KEYS: LazyLock<Keys> = LazyLock::new(Keys::generate);

fuzz_target!(|data: &[u8]| {
    let id = Id::random();
    assert!(LogEntry::open(data, &KEYS.verifying_key(), &id, &id, 1).is_err());
});
