//! Save journals (local/journal): arbitrary bytes never panic the reader, and every record it
//! finds lies inside the file, starts on a block boundary and after the one before.
#![no_main]
use coffer_core::journal::{BLOCK, record_spans};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut after = 0;
    for (start, end) in record_spans(data) {
        assert!(start % BLOCK == 0 && start >= after && start < end && end <= data.len());
        after = end;
    }
});
