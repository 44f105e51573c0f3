//! coffer.toml parsing on arbitrary text.
#![no_main]
use coffer_core::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Config::parse(text, "fuzz".as_ref());
    }
});
