//! `contact ...`: your card, adding, listing, showing, verifying, renaming and removing contacts.

use super::args::ContactCommand;
use super::io::write_new;
use crate::context::{Ctx, changed};
use crate::error::{CliError, Result};
use crate::output::warn;
use coffer_core::Vault;
use coffer_core::messages::Contact;
use serde_json::json;
use std::io::IsTerminal;

fn contact_line(c: &Contact) -> String {
    let mut s = format!(
        "{}  {}  {}",
        c.name,
        c.fingerprint,
        if c.verified {
            "verified"
        } else {
            "not verified"
        }
    );
    if c.key_changed {
        s.push_str("  KEYS CHANGED: verify the new safety number");
    }
    if c.card_name != c.name {
        s.push_str(&format!("  (calls themselves {:?})", c.card_name));
    }
    s
}

/// Runs one `contact` command.
pub(super) fn run(ctx: &Ctx, command: ContactCommand) -> Result<()> {
    let mut vault = ctx.open()?;
    match command {
        ContactCommand::Card { name, qr } => {
            let card = match name {
                Some(n) => vault.set_display_name(&n)?,
                None => vault.my_card()?,
            };
            if let Some(path) = &qr {
                write_new(path, card.qr_svg().as_bytes())?;
            }
            changed(&mut vault);
            let text = card.encode();
            ctx.out.emit(
                &json!({ "card": text, "name": card.name(), "fingerprint": card.fingerprint() }),
                || text.clone(),
            )
        }
        ContactCommand::Add {
            card,
            name,
            replace,
        } => add(ctx, &mut vault, &card, &name, replace),
        ContactCommand::List => {
            let list = vault.contacts()?;
            ctx.out.emit(&list, || {
                list.iter().map(|c| contact_line(c) + "\n").collect()
            })
        }
        ContactCommand::Show { name } => {
            let c = vault.contact(&name)?;
            let number = vault.safety_number(&name)?;
            ctx.out
                .emit(&json!({ "contact": c, "safety_number": number }), || {
                    format!(
                        "{}\ncard: {}\nsafety number:\n{}\n",
                        contact_line(&c),
                        c.card,
                        number
                    )
                })
        }
        ContactCommand::Verify { name, yes } => verify(ctx, &mut vault, &name, yes),
        ContactCommand::Rename { name, new_name } => {
            let c = vault.rename_contact(&name, &new_name)?;
            changed(&mut vault);
            ctx.out.emit(&c, || contact_line(&c))
        }
        ContactCommand::Rm { name } => {
            let c = vault.remove_contact(&name)?;
            changed(&mut vault);
            ctx.out.emit(&c, || format!("removed {}", contact_line(&c)))
        }
    }
}

/// `contact add`: a new contact from their card, or (`replace`) new keys for one.
fn add(ctx: &Ctx, vault: &mut Vault, card: &str, name: &str, replace: bool) -> Result<()> {
    let c = if replace {
        vault.replace_contact_keys(name, card)?
    } else {
        match vault.add_contact(card, name) {
            Err(e @ coffer_core::Error::ContactKeyChanged { .. }) => {
                warn(&format!(
                    "to accept the new keys after checking with them: `coffer contact add CARD --name {name} --replace`; to keep both, choose another --name"
                ));
                return Err(e.into());
            }
            r => r?,
        }
    };
    changed(vault);
    ctx.out.emit(&c, || {
        format!(
            "added {}\ncompare the safety number with them: coffer contact verify {:?}",
            contact_line(&c),
            c.name
        )
    })
}

/// `contact verify`: shows the safety number and marks the contact verified once it matches.
fn verify(ctx: &Ctx, vault: &mut Vault, name: &str, yes: bool) -> Result<()> {
    let c = vault.contact(name)?;
    let number = vault.safety_number(name)?;
    let confirmed = yes || (!ctx.out.json() && ask_match(&c.name, &number.to_string())?);
    let c = if confirmed {
        let c = vault.verify_contact(name)?;
        changed(vault);
        c
    } else {
        c
    };
    ctx.out.emit(
        &json!({ "contact": c, "safety_number": number, "verified": c.verified }),
        || {
            if confirmed {
                format!("{} is now verified", c.name)
            } else {
                format!(
                    "safety number with {}:\n{}\nnot marked verified: compare it with them, then run `coffer contact verify {:?} --yes`",
                    c.name, number, c.name
                )
            }
        },
    )
}

/// On a terminal: shows the number and asks whether it matches. Elsewhere: no.
fn ask_match(name: &str, number: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(false);
    }
    let name = crate::output::inert(name, false);
    eprintln!(
        "Safety number with {name}:\n{number}\nDoes {name} see exactly the same digits? [y/N] "
    );
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(CliError::Stdin)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}
