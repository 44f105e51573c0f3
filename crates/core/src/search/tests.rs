//! Tests of the index, the tokenizer, snippets and prefixes.

use super::snippet::*;
use super::words::*;
use super::*;

mod index_tests {
    use super::*;

    fn rev(title: &str, body: &str, tags: &[&str]) -> Revision {
        Revision {
            note: Id::random(),
            revision: Id::random(),
            parents: vec![],
            title: title.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            notebook: None,
            pinned: false,
            deleted: false,
            created: 0,
            updated: 0,
            attachments: vec![],
            body: body.into(),
        }
    }

    #[test]
    fn ranks_titles_first_and_matches_prefixes() {
        let mut idx = SearchIndex::default();
        let a = rev("Passport renewal", "bring photos", &[]);
        let b = rev("Travel", "remember the passport and tickets", &["trip"]);
        let c = rev("Recipes", "soup", &["passport-ish"]);
        for r in [&a, &b, &c] {
            idx.upsert(r);
        }
        let hits = idx.search("pass", 10);
        assert_eq!(hits.len(), 3);
        assert_eq!(hits[0].0, a.note);
        assert_eq!(idx.search("passport tick", 10).len(), 1);
        assert!(idx.search("nothing", 10).is_empty());
        idx.remove(&a.note);
        assert_eq!(idx.search("renewal", 10).len(), 0);
        let mut a2 = a.clone();
        a2.deleted = true;
        idx.upsert(&a2);
        assert_eq!(idx.search("photos", 10).len(), 0);
    }

    #[test]
    fn snippets_mark_matches() {
        let s = snippet("Remember the Passport and tickets", "pass", 80);
        assert!(s.iter().any(|x| x.hit && x.text == "Pass"));
        let text: String = s.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(text, "Remember the Passport and tickets");
    }

    fn joined(s: &[Segment]) -> String {
        s.iter().map(|x| x.text.as_str()).collect()
    }

    #[test]
    fn body_snippets_read_only_the_lines_around_the_match() {
        let mut body = String::from("# Trip\n");
        for i in 0..500 {
            body.push_str(&format!("- filler **line** {i}\n"));
        }
        body.push_str("Remember the [[Passport]] and `tickets`\n");
        for i in 0..500 {
            body.push_str(&format!("more {i}\n"));
        }
        let s = body_snippet("Trip", &body, "pass", 80);
        let text = joined(&s);
        // The line before the match, the match made plain, what follows up to the length.
        assert!(text.starts_with("… "), "{text}");
        assert!(
            text.contains("499 Remember the Passport and tickets more 0"),
            "{text}"
        );
        assert!(text.ends_with(" …"), "{text}");
        assert!(s.iter().any(|x| x.hit && x.text == "Pass"));
        assert!(text.chars().count() < 200, "{text}");

        // A match on the first line: nothing before it is cut.
        let s = body_snippet("Trip", "# Trip\nPassport first\nthen this", "pass", 80);
        assert_eq!(joined(&s), "Passport first then this");
        // Nothing matches (the title did): the body's start.
        let s = body_snippet("Trip", &body, "trip", 40);
        let text = joined(&s);
        assert!(text.starts_with("filler line 0 filler line 1"), "{text}");
        assert!(text.ends_with(" …") && !s.iter().any(|x| x.hit), "{text}");
        // A query of filters alone has no words: the start too.
        assert!(joined(&body_snippet("", "one\ntwo", "", 40)) == "one two");
        assert!(body_snippet("", "", "pass", 40).is_empty());
    }
}

mod build_tests {
    use super::*;

    #[test]
    fn the_fast_tokenizer_splits_and_lowercases_as_the_plain_definition() {
        let fixed = [
            "Hello, World! it's 2026-11-30",
            "naïve Café CAFÉ crème brûlée",
            "ΣΟΦΟΣ σοφός Σ ΑΣ.",
            "straße STRASSE İstanbul ǅemal",
            "ab日本語cd 東京 ٣٤ x²",
            "a\u{300}b e\u{301} 🙂smile🙂 \u{feff}bom",
            "",
            "-- __ ..",
            &"x".repeat(64),
            &"X".repeat(65),
            &"é".repeat(64),
            &format!("{} tail", "É".repeat(65)),
            &format!("{}é", "a".repeat(63)),
            &format!("{}é", "a".repeat(64)),
        ];
        for t in fixed {
            assert_eq!(tokenize(t), tokenize_plainly(t), "{t:?}");
        }
        let pool: Vec<char> = "aZ9 .-_éÉßΣσ日ٽ٣\u{300}🙂İ\n\t"
            .chars()
            .chain(('a'..='e').chain('A'..='E'))
            .collect();
        let mut seed = 1u64;
        for _ in 0..3000 {
            let mut t = String::new();
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            for _ in 0..(seed >> 58) * 3 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                let c = pool[(seed >> 33) as usize % pool.len()];
                let run = if (seed >> 20).is_multiple_of(9) {
                    70
                } else {
                    1
                };
                t.extend(std::iter::repeat_n(c, run));
            }
            assert_eq!(tokenize(&t), tokenize_plainly(&t), "{t:?}");
        }
    }

    /// Notes of made-up words (some capitalized, some only in titles or tags, some trashed).
    fn notes(n: usize) -> Vec<Revision> {
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let mut words = |count: u64| {
            let mut out = Vec::new();
            for _ in 0..next(count) {
                let w = format!("w{}x{}", next(40), next(300));
                out.push(if next(10) == 0 { w.to_uppercase() } else { w });
            }
            out
        };
        (0..n)
            .map(|i| {
                let (body, title, tags) = (words(80), words(4), words(3));
                let mut r = Revision {
                    note: Id::random(),
                    revision: Id::random(),
                    parents: vec![],
                    title: title.join(" "),
                    tags,
                    notebook: None,
                    pinned: false,
                    deleted: i % 20 == 7,
                    created: 0,
                    updated: 0,
                    attachments: vec![],
                    body: body.join(" "),
                };
                if i % 30 == 3 {
                    r.body.push_str(" ΣΟΦΟΣ Straße");
                }
                r
            })
            .collect()
    }

    #[test]
    fn a_build_on_many_threads_ranks_exactly_as_note_by_note() {
        let revs = notes(3000);
        let docs: Vec<DocInput<'_>> = revs.iter().map(DocInput::of).collect();
        let mut one_by_one = SearchIndex::default();
        for r in &revs {
            one_by_one.upsert(r);
        }
        let no = AtomicBool::new(false);
        let queries = [
            "w1",
            "w12x3",
            "W3X1",
            "w7 w2",
            "w",
            "σοφος",
            "straße",
            "w39x",
            "nothing",
        ];
        for threads in [1, 2, 3, 7] {
            let built = SearchIndex::build_on(&docs, threads, &no).unwrap();
            assert_eq!(built.len(), one_by_one.len());
            assert_eq!(built.sorted_terms.len(), one_by_one.sorted_terms.len());
            for q in queries {
                assert_eq!(
                    built.search(q, 40),
                    one_by_one.search(q, 40),
                    "{threads} threads, {q:?}"
                );
            }
        }
        assert!(!one_by_one.search("w1", 40).is_empty());
        assert!(!one_by_one.search("σοφος", 40).is_empty());
        // A cancelled build gives nothing.
        assert!(SearchIndex::build_on(&docs, 2, &AtomicBool::new(true)).is_none());
        // Changes after a build are indexed as in any index.
        let mut built = SearchIndex::build(&docs, &no).unwrap();
        let mut changed = revs[5].clone();
        changed.body = "brandnewword".into();
        changed.deleted = false;
        built.upsert(&changed);
        assert_eq!(built.search("brandnew", 5)[0].0, changed.note);
    }
}

mod line_tests {
    use super::*;

    #[test]
    fn snippets_keep_a_space_where_lines_meet() {
        let body = "# Title\n\nPlant **tomatoes** in May.\nSee [[Seeds]] and `code`.\r\nDone.";
        for q in [
            "see",
            "may",
            "plant",
            "seeds",
            "tomatoes see",
            "title",
            "code",
            "zzz",
        ] {
            let s = snippet(body, q, 160);
            let text: String = s.iter().map(|x| x.text.as_str()).collect();
            assert!(text.contains("May. See"), "{q}: {text:?}");
            assert!(text.contains("`code`. Done."), "{q}: {text:?}");
        }
        let mut bad = Vec::new();
        for body in [
            body,
            "in May.\nSee",
            "May.\n\nSee x",
            "a May.\r\n  See b",
            "- May.\n- See",
        ] {
            for q in ["see", "may", "s", "m", "may see", "x", "b", "in", "a"] {
                for n in 1..60 {
                    let s = snippet(body, q, n);
                    let text: String = s.iter().map(|x| x.text.as_str()).collect();
                    if text.contains(".See") || text.contains("May.S") {
                        bad.push(format!("{body:?} {q} {n}: {text:?}"));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }
}

mod prefix_tests {
    use super::*;

    #[test]
    fn case_insensitive_prefixes() {
        assert_eq!(original_prefix_len("Passport", 4), 4);
        assert_eq!(original_prefix_len("ÉTÉ", 2), 3);
        // Folded: "e" + a combining accent is one letter of the prefix, marks included.
        assert_eq!(original_prefix_len("e\u{301}te\u{301}", 1), 3);
        assert_eq!(original_prefix_len("Straße", 6), "Straß".len());
        assert_eq!(original_prefix_len("会议室", 1), 3);
        let s = snippet("Über die ÜBERSICHT", "über", 80);
        assert_eq!(s.iter().filter(|x| x.hit).count(), 2);
        let s = snippet("Über die ÜBERSICHT", "uber", 80);
        assert_eq!(s.iter().filter(|x| x.hit).count(), 2);
    }
}

mod unicode_props {
    use super::*;
    use proptest::prelude::*;

    /// Every term's span lies inside the text on character boundaries and is not empty; the
    /// fast path agrees with the plain definition; snippets and searches never panic.
    fn check(text: &str) {
        let mut buf = String::new();
        for_each_term(text, &mut buf, |term, span, _| {
            assert!(!term.is_empty(), "{text:?}");
            assert!(
                span.start < span.end && span.end <= text.len(),
                "{text:?} {span:?}"
            );
            assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "{text:?} {span:?}"
            );
        });
        assert_eq!(tokenize(text), tokenize_plainly(text), "{text:?}");
        // The text's start as a query, not cut inside a character (a letter and its marks).
        let mut query: String = text.chars().take(12).collect();
        query.extend(
            text[query.len()..]
                .chars()
                .take_while(|c| joins_previous(*c)),
        );
        for s in snippet(text, &query, 40) {
            assert!(!s.text.is_empty());
        }
        let idx = SearchIndex::build(
            &[DocInput {
                note: Id::from_bytes([1; 16]),
                title: "",
                tags: &[],
                deleted: false,
                body: text,
            }],
            &AtomicBool::new(false),
        )
        .unwrap();
        // (A word longer than the index keeps is not found by its start.)
        let short_words = text
            .split(|c: char| !c.is_alphanumeric())
            .all(|w| w.chars().count() <= 20);
        if short_words && !query_words(&query).is_empty() {
            assert_eq!(idx.search(&query, 5).len(), 1, "{text:?} by {query:?}");
        }
    }

    /// Found by the property below: a titlecase letter (ᾙ is neither upper- nor lowercase)
    /// in a query with no capital was not lowercased, while the same word in a note with a
    /// capital elsewhere was.
    #[test]
    fn titlecase_letters_are_lowercased_in_queries_too() {
        check(" 0\u{fffc}a\u{105b3}\u{ffe0}\u{1104d}x\u{51d2}?\u{1f99}2H");
        check("\u{1c5}ungla and \u{1f99}2H");
        assert_eq!(tokenize("\u{1f99}"), tokenize("\u{1f91}"));
        assert_eq!(tokenize("\u{1c5}x"), tokenize("\u{1c6}x"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1500))]

        #[test]
        fn any_text(text in "\\PC{0,60}") {
            check(&text);
        }

        #[test]
        fn mixed_scripts_and_marks(
            text in "[a-zA-Zé\u{300}\u{301}ßΣς日本語会议カタﾌﾟﾞกขค\u{e31}\u{e48}한국어абвёÆøĐđ٣\u{64e}א\u{5b8}1 .,\u{ff21}\u{fb01}]{0,60}"
        ) {
            check(&text);
        }
    }
}

mod query_tests {
    use super::query::Query;

    #[test]
    fn a_query_is_taken_apart() {
        let q = Query::parse(r#"  budget "Meeting notes" -draft tag:#Work notebook:Home/ -"#);
        assert_eq!(q.words, "budget Meeting notes -");
        assert_eq!(
            q.phrases,
            vec![vec!["meeting".to_string(), "notes".to_string()]]
        );
        assert_eq!(q.excluded, ["draft"]);
        assert_eq!(q.tags, ["work"]);
        assert_eq!(q.notebooks, ["home"]);
        assert!(q.has_filters());
        let plain = Query::parse("tag: notebook: plain");
        assert_eq!(plain.words, "tag: notebook: plain");
        assert!(!plain.has_filters());
        assert!(Query::parse(r#""""#).phrases.is_empty());
        assert_eq!(
            Query::parse(r#""会议室"#).phrases,
            vec![vec!["会议".to_string(), "议室".to_string()]]
        );
    }
}

mod hostile_terms {
    use super::*;

    #[test]
    fn a_character_with_a_thousand_marks_makes_no_huge_term() {
        let text = format!("我们会{}会议室", "\u{301}".repeat(1000));
        let terms = tokenize(&text);
        assert!(
            terms.iter().all(|t| t.len() <= 8 * MAX_TOKEN_CHARS),
            "{terms:?}"
        );
        assert!(terms.contains(&"我们".to_string()) && terms.contains(&"议室".to_string()));
    }
}
