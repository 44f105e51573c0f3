//! Note revisions: decoding arbitrary bytes never panics, and whatever decodes re-encodes to
//! something that decodes to the same revision.
#![no_main]
use coffer_core::Id;
use coffer_core::note::Revision;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Take the binding ids from the data itself so the fuzzer can reach past the binding check.
    let Ok((h, _, _)) = coffer_core::object::Header::decode(data) else {
        return;
    };
    let (Ok(vault), Ok(object)) = (h.id("vault"), h.id("object")) else {
        return;
    };
    if let Ok(rev) = Revision::decode(data, &vault, &object) {
        let again = rev.encode(&vault);
        let back = Revision::decode(&again, &vault, &object).expect("re-encoded revision decodes");
        assert_eq!(back.body, rev.body);
        assert_eq!(back.title, rev.title);
    }
    let _ = Id::random();
});
