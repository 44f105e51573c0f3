//! The TypeScript the UI is built on, generated from Rust and checked in under
//! ui/src/generated/ (a test compares them; `scripts/build-app --update-types` rewrites them):
//! the definitions of every type that crosses to the web view (api.ts), and the client of every
//! command, made from the commands' own signatures (commands.ts).

use coffer_views::*;
use ts_rs::TS;

/// The TypeScript definitions of every type that crosses between Rust and the UI, as one
/// module. A test compares it with the checked-in ui/src/generated/api.ts.
pub fn definitions() -> String {
    use coffer_core as c;
    let cfg = ts_rs::Config::new().with_large_int("number");
    let decls = [
        c::NewNote::decl(&cfg),
        c::NoteChange::decl(&cfg),
        c::NoteFilter::decl(&cfg),
        c::NoteSummary::decl(&cfg),
        c::NoteRef::decl(&cfg),
        c::Note::decl(&cfg),
        c::RevisionInfo::decl(&cfg),
        c::Conflict::decl(&cfg),
        c::ConflictVersion::decl(&cfg),
        c::ConflictPart::decl(&cfg),
        c::PartChange::decl(&cfg),
        c::Settlement::decl(&cfg),
        c::passphrase::Strength::decl(&cfg),
        c::SearchHit::decl(&cfg),
        c::NameCount::decl(&cfg),
        c::search::Segment::decl(&cfg),
        c::note::Attachment::decl(&cfg),
        c::Progress::decl(&cfg),
        c::Problem::decl(&cfg),
        c::VerifyReport::decl(&cfg),
        c::Damage::decl(&cfg),
        c::Healed::decl(&cfg),
        c::RepairReport::decl(&cfg),
        c::transfer::ImportReport::decl(&cfg),
        c::transfer::ExportReport::decl(&cfg),
        crate::error::ApiError::decl(&cfg),
        crate::picker::Purpose::decl(&cfg),
        VaultStatus::decl(&cfg),
        Theme::decl(&cfg),
        Settings::decl(&cfg),
        LockedEvent::decl(&cfg),
        NotesChanged::decl(&cfg),
        c::sync::RemoteKind::decl(&cfg),
        c::sync::RemotePurpose::decl(&cfg),
        c::sync::RemoteInfo::decl(&cfg),
        c::sync::NewRemote::decl(&cfg),
        c::sync::RemoteCheck::decl(&cfg),
        c::sync::DeviceInfo::decl(&cfg),
        c::DeviceRemoval::decl(&cfg),
        crate::pairing::PairingStart::decl(&cfg),
        crate::pairing::PairingCheck::decl(&cfg),
        crate::pairing::DeviceAdded::decl(&cfg),
        c::Rotation::decl(&cfg),
        c::sync::AlarmKind::decl(&cfg),
        c::sync::Alarm::decl(&cfg),
        SyncState::decl(&cfg),
        SyncStatus::decl(&cfg),
        SyncSettings::decl(&cfg),
        AlarmView::decl(&cfg),
        c::messages::Contact::decl(&cfg),
        c::messages::Party::decl(&cfg),
        c::messages::SharedNote::decl(&cfg),
        c::messages::AttachmentInfo::decl(&cfg),
        c::messages::MessageView::decl(&cfg),
        c::messages::MessageHit::decl(&cfg),
        c::messages::ConversationSummary::decl(&cfg),
        c::messages::Rejected::decl(&cfg),
        c::messages::Held::decl(&cfg),
        c::messages::ReceiveReport::decl(&cfg),
        c::messages::SafetyNumber::decl(&cfg),
        QrImage::decl(&cfg),
        MyCard::decl(&cfg),
        ContactDetail::decl(&cfg),
        c::messages::ThreadMessage::decl(&cfg),
        Outgoing::decl(&cfg),
        SentMessage::decl(&cfg),
        c::messages::InboxFailure::decl(&cfg),
        c::messages::InboxCheck::decl(&cfg),
        c::messages::DiscardReport::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri (typescript::definitions).\n\
         // Do not edit: run `scripts/build-app --update-types`.\n",
    );
    for d in decls {
        out.push_str("\nexport ");
        out.push_str(d.trim());
        out.push('\n');
    }
    out
}

/// The TypeScript client of every command, in the order of the command list: one typed
/// function per command, made from the command's own signature (build.rs), so the web view
/// cannot call a command by a wrong name or with wrong arguments without the type check
/// failing. A test compares it with the checked-in ui/src/generated/commands.ts.
pub fn client() -> String {
    let cfg = ts_rs::Config::new().with_large_int("number");
    let mut entries: std::collections::HashMap<&str, String> =
        crate::commands::client_entries(&cfg)
            .into_iter()
            .chain(crate::sync::client_entries(&cfg))
            .chain(crate::messages::client_entries(&cfg))
            .chain(crate::picker::client_entries(&cfg))
            .chain(crate::pairing::client_entries(&cfg))
            .chain(crate::windows::client_entries(&cfg))
            .collect();
    let body: Vec<String> = crate::COMMAND_NAMES
        .iter()
        .map(|name| {
            entries
                .remove(name)
                .unwrap_or_else(|| panic!("no client entry for {name}"))
        })
        .collect();
    // The types the signatures name, imported from the generated definitions.
    let defined = definitions();
    let mut used = std::collections::BTreeSet::new();
    for line in body
        .iter()
        .flat_map(|e| e.lines())
        .filter(|l| !l.trim_start().starts_with("/**"))
    {
        for word in line.split(|c: char| !c.is_ascii_alphanumeric()) {
            if word.starts_with(|c: char| c.is_ascii_uppercase())
                && defined.contains(&format!("export type {word} "))
            {
                used.insert(word);
            }
        }
    }
    let mut out = String::from(
        "// Generated from src-tauri's command list and the commands' signatures (build.rs,\n\
         // typescript::client). Do not edit: run `scripts/build-app --update-types`.\n\
         import { call } from \"../lib/call\";\n",
    );
    out.push_str("import type {\n");
    for t in &used {
        out.push_str(&format!("  {t},\n"));
    }
    out.push_str("} from \"./api\";\n\n/** Every command the web view may call. */\nexport const commands = {\n");
    for e in body {
        out.push_str(&e);
        out.push('\n');
    }
    out.push_str("};\n");
    out
}
