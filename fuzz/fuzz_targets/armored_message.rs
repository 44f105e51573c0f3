//! Pasted armored blocks and message plaintexts on arbitrary input: the armor reader and the
//! strict envelope parser (with its signature check) must never panic or over-allocate.
#![no_main]
use coffer_core::messages::{armor, envelope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = armor::dearmor(text);
    }
    let _ = envelope::verify(data);
});
