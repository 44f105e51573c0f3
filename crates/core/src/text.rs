//! Characters that do not show as themselves: control characters (Unicode Cc) and invisible
//! format characters (Cf: bidirectional overrides and isolates, zero-width spaces and joiners,
//! word joiners, byte order marks, tag characters) and the line and paragraph separators. In a
//! name they let one name pass for another, or reverse how a file name reads (`U+202E`); on a
//! terminal a control character can rewrite what the screen shows. Names refuse them
//! ([`unsafe_in_name`]); the CLI escapes them on output (notes' text keeps them as written).

/// An invisible format character or separator (see the module docs).
pub fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x061C | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x2064
        | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE0001 | 0xE0020..=0xE007F)
}

/// The first character of `name` that a name may not hold: a control or invisible one.
pub fn unsafe_in_name(name: &str) -> Option<char> {
    name.chars().find(|c| c.is_control() || is_invisible(*c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_control_characters_are_found() {
        for bad in [
            "a\u{202E}b",
            "a\u{200B}b",
            "a\u{200D}b",
            "\u{FEFF}x",
            "x\u{7}",
            "x\u{1b}[2J",
            "a\u{9b}b",
            "a\u{2066}b",
            "a\u{E0041}",
        ] {
            assert!(unsafe_in_name(bad).is_some(), "{bad:?}");
        }
        for good in ["Alice", "Zoë", "東京", "Ali ce", "مرحبا", "a-b_c.d"] {
            assert_eq!(unsafe_in_name(good), None, "{good:?}");
        }
    }
}
