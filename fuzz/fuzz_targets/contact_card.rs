//! Contact cards on arbitrary text: the parser must never panic, and whatever it accepts must
//! encode back to a card that parses to the same keys and name.
#![no_main]
use coffer_core::messages::ContactCard;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(card) = ContactCard::parse(text)
    {
        let again = ContactCard::parse(&card.encode()).expect("an encoded card parses");
        assert_eq!(again, card);
        let _ = card.fingerprint();
    }
});
