//! Search in every script (issue 15): a generated multilingual corpus where each note must be
//! found by words and runs of characters inside its sentences, by prefixes and by folded forms
//! (no diacritics, no case), and must not be found by near misses; exact forms rank above
//! folded ones; snippets highlight what matched as it is written. Through a real vault too.
#![allow(clippy::unwrap_used)]

use coffer_core::search::{DocInput, SearchIndex, snippet, tokenize};
use coffer_core::{Id, InitOptions, NewNote, Vault};
use std::sync::atomic::AtomicBool;

/// (language, note text, queries that must find it, queries that must not).
const CORPUS: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "Chinese (simplified)",
        "我们明天下午三点在会议室开会讨论预算",
        &[
            "会议室",
            "会议",
            "预算",
            "讨论预算",
            "明天下午",
            "三点",
            "会",
            "算",
        ],
        &["会议厅", "预备", "後天"],
    ),
    (
        "Chinese (traditional)",
        "我們明天在會議室討論預算，請準時出席。",
        &["會議室", "討論", "預算", "準時出席", "出席"],
        &["会议室", "會場"],
    ),
    (
        "Japanese (kanji and kana)",
        "東京で新しいプロジェクトの打ち合わせがあります",
        &[
            "東京",
            "プロジェクト",
            "打ち合わせ",
            "新しい",
            "ﾌﾟﾛｼﾞｪｸﾄ",
            "あります",
        ],
        &["大阪", "ぷろじぇくと", "打ち上げ"],
    ),
    (
        "Korean",
        "내일 회의실에서 예산을 논의합니다",
        &["회의실", "예산", "논의", "내일", "회의"],
        &["회의록", "예약"],
    ),
    (
        "Russian",
        "Встреча в понедельник о бюджете и ёлке",
        &[
            "встреча",
            "Понедельник",
            "бюдж",
            "бюджете",
            "елке",
            "ёлке",
            "ВСТРЕЧА",
        ],
        &["вторник", "бюро"],
    ),
    (
        "Greek",
        "Συνάντηση τη Δευτέρα για τον προϋπολογισμό",
        &[
            "συναντηση",
            "ΣΥΝΆΝΤΗΣΗ",
            "Δευτέρα",
            "δευτερα",
            "προυπολογισμο",
            "προϋπολ",
        ],
        &["τριτη", "συνεδριο"],
    ),
    (
        "Arabic",
        "اجتماع يوم الاثنين حول الميزانية",
        &["اجتماع", "الميزانية", "الاثنين", "اِجْتِمَاع", "الميز"],
        &["الثلاثاء", "ميزان"],
    ),
    (
        "Hebrew",
        "פגישה ביום שני על התקציב",
        &["פגישה", "התקציב", "שני", "פְּגִישָׁה"],
        &["שלישי", "תקציב"],
    ),
    (
        "Thai",
        "พรุ่งนี้มีประชุมเรื่องงบประมาณ",
        &["ประชุม", "งบประมาณ", "พรุ่งนี้", "เรื่อง"],
        &["ประชาชน", "สัมมนา"],
    ),
    (
        "German",
        "Die Straße ist schön; Ärger über die Übersicht",
        &[
            "strasse", "Straße", "STRASSE", "schon", "schön", "arger", "uber", "Übers",
        ],
        &["strasser", "schiff"],
    ),
    (
        "French",
        "Réunion au café à côté de l'hôtel, crème brûlée",
        &[
            "reunion",
            "Réunion",
            "cafe",
            "café",
            "cote",
            "hotel",
            "creme brulee",
            "brû",
        ],
        &["reunions", "cafard"],
    ),
    (
        "Spanish",
        "La reunión del año en España, mañana",
        &["reunion", "reunión", "espana", "España", "manana", "año"],
        &["reuniones", "portugal"],
    ),
    (
        "Vietnamese",
        "Cuộc họp ngân sách vào thứ Hai ở Đà Nẵng",
        &[
            "cuoc hop",
            "ngan sach",
            "thứ",
            "thu hai",
            "da nang",
            "Đà Nẵng",
        ],
        &["ha noi", "cuocs"],
    ),
    (
        "Emoji",
        "Party 🎉 tonight at 8 🍕, ❤\u{fe0f} and 👍🏽",
        &[
            "party",
            "tonight",
            "8",
            "🎉",
            "🍕",
            "party 🎉",
            "❤",
            "❤\u{fe0f}",
            "👍",
        ],
        &["pizza", "tonite", "🎂", "☕"],
    ),
    (
        "Mixed scripts",
        "iPhone发布会在Apple Park举行，Überraschung!",
        &[
            "发布会",
            "iphone",
            "apple park",
            "举行",
            "uberraschung",
            "发布",
        ],
        &["android", "发表"],
    ),
    (
        "Latin ligatures and full width",
        "Ｆｕｌｌｗｉｄｔｈ ﬁle ½ Ærø",
        &["fullwidth", "file", "aero", "ærø", "ÆRØ"],
        &["fil e", "aerox"],
    ),
];

fn index(notes: &[(Id, &str)]) -> SearchIndex {
    let docs: Vec<DocInput<'_>> = notes
        .iter()
        .map(|(id, body)| DocInput {
            note: *id,
            title: "",
            tags: &[],
            deleted: false,
            body,
        })
        .collect();
    SearchIndex::build(&docs, &AtomicBool::new(false)).unwrap()
}

#[test]
fn every_language_is_found_by_words_inside_sentences_and_not_by_near_misses() {
    let notes: Vec<(Id, &str)> = CORPUS
        .iter()
        .map(|(_, t, _, _)| (Id::random(), *t))
        .collect();
    let idx = index(&notes);
    let mut bad = Vec::new();
    for ((lang, text, found, missed), (id, _)) in CORPUS.iter().zip(&notes) {
        for q in *found {
            if !idx.search(q, 50).iter().any(|(n, _)| n == id) {
                bad.push(format!(
                    "{lang}: {q:?} does not find {text:?} (terms {:?})",
                    tokenize(q)
                ));
            }
        }
        for q in *missed {
            if idx.search(q, 50).iter().any(|(n, _)| n == id) {
                bad.push(format!("{lang}: {q:?} finds {text:?}, and must not"));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn an_exact_form_ranks_above_a_folded_one() {
    let (plain, accented) = (Id::random(), Id::random());
    let idx = index(&[(plain, "meet at the cafe"), (accented, "meet at the café")]);
    let first = |q: &str| idx.search(q, 10).first().map(|h| h.0);
    assert_eq!(idx.search("cafe", 10).len(), 2);
    assert_eq!(first("cafe"), Some(plain));
    assert_eq!(first("café"), Some(accented));
    assert_eq!(first("CAFÉ"), Some(accented));
    assert_eq!(
        first("caf"),
        Some(plain),
        "a plain prefix prefers the plain word"
    );
    assert_eq!(first("café meet"), Some(accented));
    let (ss, eszett) = (Id::random(), Id::random());
    let idx = index(&[(ss, "die strasse"), (eszett, "die straße")]);
    assert_eq!(idx.search("straße", 10).first().map(|h| h.0), Some(eszett));
    assert_eq!(idx.search("strasse", 10).first().map(|h| h.0), Some(ss));
}

fn hits(text: &str, query: &str) -> Vec<String> {
    snippet(text, query, 80)
        .into_iter()
        .filter(|s| s.hit)
        .map(|s| s.text)
        .collect()
}

#[test]
fn snippets_highlight_what_matched_as_it_is_written() {
    assert_eq!(hits("我们明天在会议室开会", "会议室"), ["会议室"]);
    assert_eq!(hits("我们明天在会议室开会", "会议"), ["会议"]);
    assert_eq!(hits("我们明天在会议室开会", "会"), ["会", "会"]);
    assert_eq!(hits("Réunion au café", "cafe"), ["café"]);
    assert_eq!(hits("Réunion au café", "reu"), ["Réu"]);
    assert_eq!(hits("Die Straße", "strasse"), ["Straße"]);
    assert_eq!(hits("Cuộc họp ở Đà Nẵng", "da nang"), ["Đà", "Nẵng"]);
    assert_eq!(hits("e\u{301}te\u{301} ici", "ete"), ["e\u{301}te\u{301}"]);
    assert_eq!(hits("e\u{301}tude", "et"), ["e\u{301}t"]);
    assert_eq!(hits("พรุ่งนี้มีประชุมเรื่อง", "ประชุม"), ["ประชุม"]);
    assert_eq!(hits("東京で新しいプロジェクト", "ﾌﾟﾛｼﾞｪｸﾄ"), ["プロジェクト"]);
    // The text around a hit is kept as written.
    let all: String = snippet("Réunion au café", "cafe", 80)
        .into_iter()
        .map(|s| s.text)
        .collect();
    assert_eq!(all, "Réunion au café");
}

#[test]
fn a_chinese_note_is_found_in_a_real_vault_and_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    let pass = coffer_core::age::secrecy::SecretString::from("multilingual".to_string());
    let mut v = Vault::init(&root, &pass, &InitOptions { work_factor: 10 }).unwrap();
    let zh = v
        .create(NewNote {
            title: "会议记录".into(),
            body: "我们明天下午三点在会议室开会讨论预算".into(),
            ..Default::default()
        })
        .unwrap();
    let fr = v
        .create(NewNote {
            title: "Réunion".into(),
            body: "au café à côté".into(),
            ..Default::default()
        })
        .unwrap();
    let found = |v: &mut Vault, q: &str| v.search(q, 10).iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(found(&mut v, "讨论预算"), [zh]);
    assert_eq!(found(&mut v, "记录"), [zh]);
    assert_eq!(found(&mut v, "reunion cafe"), [fr]);
    drop(v);
    let mut v = coffer_core::LockedVault::open(&root)
        .unwrap()
        .unlock(&pass)
        .unwrap();
    assert_eq!(found(&mut v, "会议室"), [zh]);
    assert_eq!(found(&mut v, "cote"), [fr]);
    // `[[` completion holds titles to the same rules: folded, a title that starts with what
    // was typed first.
    v.create(NewNote {
        title: "Notes from the réunion".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        v.titles_matching("reun", 30),
        ["Réunion", "Notes from the réunion"]
    );
    assert_eq!(v.titles_matching("记录", 30), ["会议记录"]);
    assert_eq!(v.titles_matching("ＲＥＵＮＩＯＮ", 30).len(), 2);
    assert!(v.titles_matching("zzz", 30).is_empty());
    assert_eq!(
        coffer_core::search::fold_text("Réunion ÆRØ Straße"),
        "reunion aero strasse"
    );
}

#[test]
fn phrases_excluded_words_tags_and_notebooks_narrow_a_search() {
    let dir = tempfile::tempdir().unwrap();
    let pass = coffer_core::age::secrecy::SecretString::from("operators".to_string());
    let mut v = Vault::init(
        &dir.path().join("v"),
        &pass,
        &InitOptions { work_factor: 10 },
    )
    .unwrap();
    let mut add = |title: &str, body: &str, tags: &[&str], notebook: Option<&str>| {
        v.create(NewNote {
            title: title.into(),
            body: body.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            notebook: notebook.map(String::from),
            ..Default::default()
        })
        .unwrap()
    };
    let a = add(
        "Minutes",
        "the meeting notes of Monday",
        &["work"],
        Some("Work/Team"),
    );
    let b = add(
        "Draft",
        "notes about the meeting, a draft",
        &["work", "draft"],
        Some("Work"),
    );
    let c = add(
        "Réunion",
        "notes de la réunion au café",
        &["Travail"],
        Some("Perso"),
    );
    let d = add("会议记录", "我们明天在会议室讨论预算", &[], None);
    let mut found = |q: &str| {
        let mut ids: Vec<_> = v.search(q, 50).iter().map(|h| h.id).collect();
        ids.sort();
        ids
    };
    let sorted = |mut ids: Vec<coffer_core::Id>| {
        ids.sort();
        ids
    };
    assert_eq!(found("meeting notes"), sorted(vec![a, b]));
    assert_eq!(found("\"meeting notes\""), [a]);
    assert_eq!(found("\"notes meeting\""), Vec::<coffer_core::Id>::new());
    assert_eq!(found("meeting -draft"), [a]);
    assert_eq!(found("notes -drafts"), sorted(vec![a, b, c]));
    assert_eq!(found("notes tag:draft"), [b]);
    assert_eq!(found("tag:work"), sorted(vec![a, b]));
    assert_eq!(found("tag:#travail"), [c]);
    assert_eq!(found("notebook:work"), sorted(vec![a, b]));
    assert_eq!(found("notebook:Work/Team"), [a]);
    assert_eq!(found("notebook:wor"), Vec::<coffer_core::Id>::new());
    assert_eq!(found("\"reunion au cafe\""), [c]);
    assert_eq!(found("\"讨论预算\""), [d]);
    assert_eq!(found("\"预算讨论\""), Vec::<coffer_core::Id>::new());
    assert_eq!(found("会议 -预算"), Vec::<coffer_core::Id>::new());
    // A phrase of one Chinese character is found inside a pair.
    assert_eq!(found("\"预\""), [d]);
    // An excluded word rules out every note holding it, however many words start with it.
    assert_eq!(found("notes -me"), [c]);
    // Filters alone list what they admit; an unclosed quote runs to the end.
    assert_eq!(found("-draft tag:work"), [a]);
    assert_eq!(found("\"meeting notes"), [a]);
    // The snippet highlights the words, not the operators.
    let hit = &v.search("\"meeting notes\" tag:work", 5)[0];
    let marked: Vec<&str> = hit
        .snippet
        .iter()
        .filter(|s| s.hit)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(marked, ["meeting", "notes"]);
}
