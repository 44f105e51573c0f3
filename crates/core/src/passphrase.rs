//! How hard a passphrase is to guess, by zxcvbn (dictionaries of common passwords, names and
//! words; repeats, sequences, keyboard walks, dates and l33t are all counted as the patterns
//! they are). A vault's identity.age can be attacked offline, so the labels ask more than a
//! web login would. Feedback only: any non-empty passphrase is accepted.

use age::secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// A passphrase's estimated strength, for a meter beside the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Strength {
    /// 0 (empty), 1 weak, 2 fair, 3 good, 4 strong.
    pub score: u8,
    /// "Weak", "Fair", "Good" or "Strong" ("" when empty).
    pub label: String,
    /// What makes it weak, or what would make it stronger ("" when nothing to say).
    pub hint: String,
}

/// The estimate for `passphrase`. Names and words the person gave elsewhere (`known`: the
/// device's name, the vault folder) count as guessable.
pub fn strength(passphrase: &SecretString, known: &[&str]) -> Strength {
    let p = passphrase.expose_secret();
    if p.is_empty() {
        return Strength {
            score: 0,
            label: String::new(),
            hint: String::new(),
        };
    }
    // zxcvbn's work grows with length; what lies past 100 characters changes nothing here.
    let head: String = p.chars().take(100).collect();
    let e = zxcvbn::zxcvbn(&head, known);
    drop(zeroize::Zeroizing::new(head));
    let log10 = e.guesses_log10();
    let (score, label) = match log10 {
        g if g < 10.0 => (1, "Weak"),
        g if g < 12.0 => (2, "Fair"),
        g if g < 14.0 => (3, "Good"),
        _ => (4, "Strong"),
    };
    let said = e.feedback().map(|f| {
        let warning = f.warning().map(|w| w.to_string()).unwrap_or_default();
        let suggestion = f
            .suggestions()
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default();
        (warning, suggestion)
    });
    let hint = match (score, said) {
        (1 | 2, Some((w, _))) if !w.is_empty() => format!("{w} Use several unrelated words."),
        (1, _) => "Easy to guess. Use several unrelated words.".to_string(),
        (2, _) => "Better. Another word or two makes it much stronger.".to_string(),
        (3, _) => "Hard to guess.".to_string(),
        _ => "Very hard to guess.".to_string(),
    };
    Strength {
        score,
        label: label.to_string(),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(p: &str) -> u8 {
        strength(&SecretString::from(p.to_string()), &[]).score
    }

    #[test]
    fn words_and_repeats_are_weak_and_unrelated_words_are_strong() {
        assert_eq!(score(""), 0);
        for weak in [
            "passwordpassword",
            "password1",
            "qwertyuiop",
            "aaaaaaaaaaaa",
            "1234567890",
        ] {
            assert_eq!(score(weak), 1, "{weak}");
        }
        assert!(score("correct horse battery staple") >= 3);
        assert_eq!(score("violet tundra pickle harbour 19 kettle"), 4);
    }

    #[test]
    fn known_names_count_as_guessable() {
        let p = SecretString::from("qZ7#wP2!rT9$mK4".to_string());
        assert!(strength(&p, &["qZ7#wP2!rT9$mK4"]).score < strength(&p, &[]).score);
    }
}
