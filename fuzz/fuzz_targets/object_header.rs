//! The object framing parser on arbitrary decrypted bytes.
#![no_main]
use coffer_core::Id;
use coffer_core::object::{Header, Kind, unframe};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Header::decode(data);
    let id = Id::random();
    let _ = unframe(data, Kind::Note, &id, &id);
});
