//! The UI's generated TypeScript (ui/src/generated/: api.ts, the types; commands.ts, the client
//! of every command) must match the Rust types and the commands' signatures. Fails when they
//! are stale; `COFFER_UPDATE_TYPES=1` (or `scripts/build-app --update-types`) rewrites them.

fn check(file: &str, want: String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ui/src/generated")
        .join(file);
    if std::env::var_os("COFFER_UPDATE_TYPES").is_some() {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, &want).expect("writing the generated file");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `scripts/build-app --update-types` and commit it",
        path.display()
    );
}

#[test]
fn typescript_types_are_current() {
    check("api.ts", coffer_app::typescript::definitions());
}

#[test]
fn typescript_client_is_current() {
    check("commands.ts", coffer_app::typescript::client());
}
