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
