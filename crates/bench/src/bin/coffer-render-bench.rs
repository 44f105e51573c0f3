//! `coffer-render-bench`: what rendering a note's preview costs (issues 16 and 17).
//!
//! Renders texts of several kinds and sizes as the preview does ([`render_markdown`]): plain
//! Markdown, Markdown with raw HTML that closes what it opens, raw HTML left open (which the
//! renderer closes or makes text so that it cannot hide the rest of the note), and the worst
//! case of that: many HTML blocks that each run to the end of the text, each needing another
//! parse. Prints p50 and p90 per text, in milliseconds.
//!
//! `cargo run --release -p coffer-bench --bin coffer-render-bench -- [--runs 30]`
#![forbid(unsafe_code)]

use clap::Parser;
use coffer_core::render::render_markdown;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "coffer-render-bench")]
struct Cli {
    /// Renders of each text.
    #[arg(long, default_value_t = 30)]
    runs: usize,
}

/// A section of an everyday note: a heading, a paragraph with emphasis and a link, a list
/// with tasks, a table and a code block.
fn markdown_section(n: usize) -> String {
    format!(
        "## Section {n}\n\nSome *emphasis*, **strong** text and a [link](https://example.org/{n}) \
         in a paragraph long enough to wrap once or twice in the preview pane.\n\n\
         - [ ] a task {n}\n- [x] a done task\n- a plain item with `code`\n\n\
         | a | b |\n|---|:-:|\n| {n} | two |\n\n```rust\nfn f{n}() -> u32 {{ {n} }}\n```\n\n"
    )
}

/// The same with raw HTML that closes what it opens.
fn html_section(n: usize) -> String {
    format!(
        "{}<details>\n<summary>More {n}</summary>\n\nInside **it**\n\n</details>\n\n\
         Press <kbd>Ctrl</kbd>+<kbd>K</kbd> <!-- a comment -->\n\n<div class=\"x\">a block {n}</div>\n\n",
        markdown_section(n)
    )
}

/// The same with raw HTML left open.
fn open_html_section(n: usize) -> String {
    format!(
        "{}<details>\n\nText <a href=\"https://example.org\"> and <b>bold {n}\n\n<div title=\"\n\n",
        markdown_section(n)
    )
}

fn texts() -> Vec<(&'static str, String)> {
    let repeat = |f: fn(usize) -> String, n: usize| (0..n).map(f).collect::<String>();
    vec![
        ("markdown, 3 KB", repeat(markdown_section, 8)),
        ("markdown, 100 KB", repeat(markdown_section, 270)),
        ("markdown, 1 MB", repeat(markdown_section, 2700)),
        ("closed raw HTML, 3 KB", repeat(html_section, 5)),
        ("closed raw HTML, 100 KB", repeat(html_section, 170)),
        ("open raw HTML, 3 KB", repeat(open_html_section, 6)),
        ("open raw HTML, 100 KB", repeat(open_html_section, 220)),
        (
            "100 HTML blocks that run to the end, 10 KB",
            repeat(|n| format!("<!-- {n}\n\ntext {n}\n\n"), 100) + &markdown_section(0),
        ),
        (
            "1000 HTML blocks that run to the end, 100 KB",
            repeat(
                |n| format!("<!-- {n}\n\ntext {n} and some more words\n\n"),
                1000,
            ),
        ),
    ]
}

fn pct(sorted: &[f64], p: usize) -> f64 {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn main() {
    let cli = Cli::parse();
    println!(
        "{:<46} {:>9} {:>9} {:>9}",
        "text", "bytes", "p50 ms", "p90 ms"
    );
    for (name, text) in texts() {
        let mut ms: Vec<f64> = (0..cli.runs.max(1))
            .map(|_| {
                let t = Instant::now();
                let html = render_markdown(&text, &|_| None);
                let elapsed = t.elapsed().as_secs_f64() * 1e3;
                assert!(!html.contains("too-complex"), "{name}: not rendered");
                elapsed
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "{:<46} {:>9} {:>9.2} {:>9.2}",
            name,
            text.len(),
            pct(&ms, 50),
            pct(&ms, 90)
        );
    }
}
