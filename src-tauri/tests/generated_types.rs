//! The UI's TypeScript types (ui/src/generated/api.ts) must match the Rust types. Fails when
//! they are stale; `COFFER_UPDATE_TYPES=1` (or `scripts/build-app --update-types`) rewrites them.

#[test]
fn typescript_types_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated/api.ts");
    let want = coffer_app::api::typescript_definitions();
    if std::env::var_os("COFFER_UPDATE_TYPES").is_some() {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, &want).expect("writing api.ts");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `scripts/build-app --update-types` and commit it",
        path.display()
    );
}
