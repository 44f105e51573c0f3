use super::*;
use crate::InitOptions;
use age::secrecy::SecretString;

fn vault(dir: &std::path::Path) -> Vault {
    Vault::init(
        dir,
        &SecretString::from("pw".to_string()),
        &InitOptions { work_factor: 2 },
    )
    .unwrap()
}

#[test]
fn contacts_messages_and_reload() {
    let d = tempfile::tempdir().unwrap();
    let mut a = vault(&d.path().join("a"));
    let mut b = vault(&d.path().join("b"));
    a.set_display_name("Alice").unwrap();
    b.set_display_name("Bob").unwrap();
    let bob_card = b.my_card().unwrap().encode();
    let alice_card = a.my_card().unwrap().encode();
    a.add_contact(&bob_card, "Bob").unwrap();
    b.add_contact(&alice_card, "Alice").unwrap();
    assert_eq!(
        a.safety_number("bob").unwrap(),
        b.safety_number("alice").unwrap()
    );
    let (sent, armored) = a
        .send_armored(&["Bob"], Draft::text("hello *bob* <script>x</script>"))
        .unwrap();
    let got = b.open_armored(&armored).unwrap();
    assert_eq!(got.id, sent.id);
    assert!(
        matches!(got.from, Party::Contact { ref name, verified: false, .. } if name == "Alice")
    );
    assert_eq!(
        b.open_armored(&armored).unwrap_err().code(),
        "duplicate_message"
    );
    let html = b.render_message(&got.id).unwrap();
    assert!(!html.contains("<script"), "{html}");
    // The reply continues the conversation and names the previous message.
    let (reply, armored) = b.send_armored(&["alice"], Draft::text("hi")).unwrap();
    assert_eq!(reply.conversation, sent.conversation);
    assert!(!reply.missing_previous);
    a.open_armored(&armored).unwrap();
    assert_eq!(a.conversations().unwrap()[0].unread, 1);
    a.mark_read(&sent.conversation).unwrap();
    assert_eq!(a.conversations().unwrap()[0].unread, 0);
    assert_eq!(a.search_messages("HEL", 10).unwrap().len(), 1);
    // A fresh unlock (with and without the cache) sees the same.
    let dir = a.root().to_path_buf();
    drop(a);
    for cache in [false, true] {
        let mut a = crate::LockedVault::open(&dir)
            .unwrap()
            .unlock(&SecretString::from("pw".to_string()))
            .unwrap();
        assert_eq!(a.thread(&sent.conversation).unwrap().len(), 2);
        assert_eq!(a.conversations().unwrap()[0].unread, 0);
        assert_eq!(a.contacts().unwrap()[0].name, "Bob");
        assert_eq!(a.my_card().unwrap().name(), "Alice");
        if !cache {
            a.save_messages_cache().unwrap();
        }
    }
}

#[test]
fn messages_are_searched_in_every_script_with_the_query_operators() {
    let d = tempfile::tempdir().unwrap();
    let mut a = vault(&d.path().join("a"));
    let mut b = vault(&d.path().join("b"));
    a.set_display_name("Alice").unwrap();
    b.set_display_name("Bob").unwrap();
    let bob_card = b.my_card().unwrap().encode();
    a.add_contact(&bob_card, "Bob").unwrap();
    b.add_contact(&a.my_card().unwrap().encode(), "Alice")
        .unwrap();
    for text in [
        "明天下午在会议室讨论预算",
        "Le café de la réunion",
        "the tax return draft",
        "the tax return, final",
    ] {
        let (_, armored) = b.send_armored(&["Alice"], Draft::text(text)).unwrap();
        a.open_armored(&armored).unwrap();
    }
    let bodies = |a: &mut Vault, q: &str| -> Vec<String> {
        a.search_messages(q, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.message.body)
            .collect()
    };
    // A run of characters inside a Chinese sentence; a word without its accents.
    assert_eq!(bodies(&mut a, "会议"), ["明天下午在会议室讨论预算"]);
    assert_eq!(bodies(&mut a, "reunion cafe"), ["Le café de la réunion"]);
    // Both (newest first, but two sent in one millisecond may come either way); a phrase;
    // an excluded word; a tag or notebook finds no message.
    let mut both = bodies(&mut a, "tax");
    both.sort();
    assert_eq!(both, ["the tax return draft", "the tax return, final"]);
    assert_eq!(
        bodies(&mut a, r#""return draft""#),
        ["the tax return draft"]
    );
    assert_eq!(bodies(&mut a, "tax -draft"), ["the tax return, final"]);
    assert!(bodies(&mut a, "tax tag:work").is_empty());
    assert!(bodies(&mut a, "会谈").is_empty());
    // The snippet marks what matched, as it is written.
    let hit = a.search_messages("cafe", 10).unwrap().remove(0);
    let marked: Vec<&str> = hit
        .snippet
        .iter()
        .filter(|s| s.hit)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(marked, ["café"]);
}
