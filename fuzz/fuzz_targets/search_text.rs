//! Search over hostile text: the tokenizer (a fast path for ASCII words) splits and lowercases
//! exactly as the plain definition of a word does, and indexing, searching and snippets never
//! panic; find in the text gives ranges on character boundaries, in order, not overlapping.
//! The input is one note's text; its first line (up to 40 characters) is also the query.
#![no_main]
use coffer_core::Id;
use coffer_core::search::{
    DocInput, SearchIndex, find, find_words, snippet, tokenize, tokenize_plainly,
};
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::AtomicBool;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    assert_eq!(tokenize(&text), tokenize_plainly(&text));
    let query: String = text.lines().next().unwrap_or("").chars().take(40).collect();
    let tags = vec![query.clone()];
    let half: String = text.chars().skip(text.chars().count() / 2).collect();
    let docs = [
        DocInput {
            note: Id::from_bytes([1; 16]),
            title: &query,
            tags: &tags,
            deleted: false,
            body: &text,
        },
        DocInput {
            note: Id::from_bytes([2; 16]),
            title: "",
            tags: &[],
            deleted: false,
            body: &half,
        },
    ];
    let index = SearchIndex::build(&docs, &AtomicBool::new(false)).expect("not cancelled");
    let hits = index.search(&query, 10);
    assert!(hits.len() <= 2);
    if !tokenize_plainly(&query).is_empty() {
        assert!(
            hits.iter().any(|(id, _)| *id == docs[0].note),
            "a note is found by its own title"
        );
    }
    let pieces = snippet(&text, &query, 120);
    assert!(pieces.iter().all(|p| !p.text.is_empty()));
    for ranges in [find(&text, &query), find_words(&text, &query)] {
        let mut end = 0;
        for r in ranges {
            assert!(r.start >= end && r.start < r.end, "{r:?} after {end}");
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            end = r.end;
        }
    }
});
