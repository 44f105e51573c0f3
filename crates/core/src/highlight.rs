//! Syntax highlighting of fenced code in the preview, in Rust at render time (no script runs
//! in the preview). Lexical only, one pass: comments, strings, numbers, keywords and literals
//! of the common languages, each in a `<span class="hl-…">`; everything else is escaped text.
//! A language it does not know is shown plain.

use crate::render::escape_html;

/// How one language is cut into tokens.
struct Lang {
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    quotes: &'static [char],
    keywords: &'static [&'static str],
    literals: &'static [&'static str],
    /// Keywords in any case (SQL).
    case_blind: bool,
}

const C_LIKE_LITERALS: &[&str] = &["true", "false", "null", "nil", "NULL", "nullptr"];

const RUST: Lang = Lang {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"'],
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
        "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "type",
        "unsafe", "use", "where", "while",
    ],
    literals: &["true", "false", "None", "Some", "Ok", "Err"],
    case_blind: false,
};

const JS: Lang = Lang {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\'', '`'],
    keywords: &[
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "default",
        "delete",
        "do",
        "else",
        "export",
        "extends",
        "finally",
        "for",
        "from",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "of",
        "return",
        "static",
        "switch",
        "this",
        "throw",
        "try",
        "type",
        "typeof",
        "var",
        "void",
        "while",
        "yield",
    ],
    literals: &["true", "false", "null", "undefined", "NaN"],
    case_blind: false,
};

const PYTHON: Lang = Lang {
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    keywords: &[
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
        "yield",
    ],
    literals: &["True", "False", "None"],
    case_blind: false,
};

const SHELL: Lang = Lang {
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    keywords: &[
        "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
        "in", "function", "return", "local", "export", "set", "unset", "exit", "echo", "cd",
    ],
    literals: &["true", "false"],
    case_blind: false,
};

const C_LIKE: Lang = Lang {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\''],
    keywords: &[
        "auto",
        "break",
        "case",
        "catch",
        "char",
        "class",
        "const",
        "continue",
        "default",
        "defer",
        "delete",
        "do",
        "double",
        "else",
        "enum",
        "extends",
        "extern",
        "final",
        "float",
        "for",
        "func",
        "go",
        "goto",
        "if",
        "implements",
        "import",
        "int",
        "interface",
        "long",
        "map",
        "namespace",
        "new",
        "package",
        "private",
        "protected",
        "public",
        "range",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "template",
        "this",
        "throw",
        "try",
        "typedef",
        "union",
        "unsigned",
        "using",
        "var",
        "void",
        "volatile",
        "while",
    ],
    literals: C_LIKE_LITERALS,
    case_blind: false,
};

const SQL: Lang = Lang {
    line_comments: &["--"],
    block_comment: Some(("/*", "*/")),
    quotes: &['\''],
    keywords: &[
        "select", "from", "where", "insert", "into", "values", "update", "set", "delete", "create",
        "table", "drop", "alter", "join", "left", "right", "inner", "outer", "on", "group", "by",
        "order", "having", "limit", "and", "or", "not", "as", "index", "primary", "key",
        "distinct", "union",
    ],
    literals: &["null", "true", "false"],
    case_blind: true,
};

const CONFIG: Lang = Lang {
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    keywords: &[],
    literals: &["true", "false", "null", "yes", "no"],
    case_blind: false,
};

const JSON: Lang = Lang {
    line_comments: &[],
    block_comment: None,
    quotes: &['"'],
    keywords: &[],
    literals: &["true", "false", "null"],
    case_blind: false,
};

fn lang(name: &str) -> Option<&'static Lang> {
    Some(match name.to_ascii_lowercase().as_str() {
        "rust" | "rs" => &RUST,
        "js" | "javascript" | "jsx" | "ts" | "typescript" | "tsx" | "mjs" => &JS,
        "py" | "python" => &PYTHON,
        "sh" | "bash" | "shell" | "zsh" | "console" => &SHELL,
        "c" | "h" | "cpp" | "c++" | "cc" | "java" | "go" | "kotlin" | "kt" | "swift" | "cs"
        | "csharp" => &C_LIKE,
        "sql" => &SQL,
        "toml" | "ini" | "yaml" | "yml" | "conf" => &CONFIG,
        "json" => &JSON,
        _ => return None,
    })
}

/// Whether a language has highlighting here.
pub(crate) fn knows(name: &str) -> bool {
    lang(name).is_some()
}

/// `code` as HTML, highlighted as `language` (escaped only, for a language not known).
pub(crate) fn highlight(language: &str, code: &str) -> String {
    let Some(l) = lang(language) else {
        return escape_html(code);
    };
    let case_blind = l.case_blind;
    let mut out = String::with_capacity(code.len() + code.len() / 2);
    let span = |out: &mut String, class: &str, text: &str| {
        out.push_str("<span class=\"hl-");
        out.push_str(class);
        out.push_str("\">");
        out.push_str(&escape_html(text));
        out.push_str("</span>");
    };
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        if let Some(_marker) = l.line_comments.iter().find(|m| rest.starts_with(**m)) {
            let end = rest.find('\n').unwrap_or(rest.len());
            span(&mut out, "comment", &rest[..end]);
            rest = &rest[end..];
        } else if let Some((open, close)) = l.block_comment.filter(|(o, _)| rest.starts_with(o)) {
            let end = rest[open.len()..]
                .find(close)
                .map_or(rest.len(), |i| open.len() + i + close.len());
            span(&mut out, "comment", &rest[..end]);
            rest = &rest[end..];
        } else if l.quotes.contains(&c) {
            let mut end = rest.len();
            let mut escaped = false;
            for (i, ch) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == c {
                    end = i + ch.len_utf8();
                    break;
                } else if ch == '\n' && c != '`' {
                    // An unclosed quote ends with its line.
                    end = i;
                    break;
                }
            }
            span(&mut out, "string", &rest[..end]);
            rest = &rest[end..];
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '_'))
                .unwrap_or(rest.len());
            span(&mut out, "number", &rest[..end]);
            rest = &rest[end..];
        } else if c.is_alphabetic() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            let is = |list: &[&str]| {
                list.iter().any(|k| {
                    if case_blind {
                        k.eq_ignore_ascii_case(word)
                    } else {
                        *k == word
                    }
                })
            };
            if is(l.keywords) {
                span(&mut out, "keyword", word);
            } else if is(l.literals) {
                span(&mut out, "literal", word);
            } else {
                out.push_str(&escape_html(word));
            }
            rest = &rest[end..];
        } else {
            let n = c.len_utf8();
            out.push_str(&escape_html(&rest[..n]));
            rest = &rest[n..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_is_cut_into_its_tokens() {
        let html = highlight("rust", "fn main() { let s = \"a<b\"; // done\n 42 }");
        assert_eq!(
            html,
            "<span class=\"hl-keyword\">fn</span> main() { <span class=\"hl-keyword\">let</span> s = \
             <span class=\"hl-string\">&quot;a&lt;b&quot;</span>; <span class=\"hl-comment\">// done</span>\n \
             <span class=\"hl-number\">42</span> }"
        );
    }

    #[test]
    fn unknown_languages_and_hostile_code_are_only_escaped() {
        assert_eq!(
            highlight("klingon", "<script>x</script>"),
            "&lt;script&gt;x&lt;/script&gt;"
        );
        let html = highlight("js", "'</span><script>alert(1)</script>");
        assert!(!html.contains("<script>"), "{html}");
        // Unclosed strings and comments end with the text, nothing is lost.
        let html = highlight("c", "/* open\n\"also open");
        assert!(html.contains("open\n&quot;also open"), "{html}");
    }

    #[test]
    fn sql_keywords_in_any_case() {
        assert!(highlight("sql", "SELECT 1").starts_with("<span class=\"hl-keyword\">SELECT"));
    }
}
