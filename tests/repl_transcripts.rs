//! Transcript tests of the REPL: each `tests/repl/*.txt` is a session.
//!
//! A line `# file: PATH` (first) names the agreement to load (relative to the
//! crate root; none: an empty session). A line `> …` starts an entry, `| …`
//! continues it (a multi-line block); every other line is expected output:
//! the answer, then the diagnostics rendered without colour. The test replays
//! the entries and compares the whole transcript; run with
//! `UPDATE_TRANSCRIPTS=1` to rewrite the files (then read the diff).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use splitdsl::diag::Style;
use splitdsl::repl::{is_incomplete, Session};
use std::path::Path;

fn replay(text: &str) -> String {
    let mut lines = text.lines().peekable();
    let mut out = String::new();
    let mut session = Session::new();
    if let Some(first) = lines.peek() {
        if let Some(path) = first.strip_prefix("# file: ") {
            out.push_str(first);
            out.push('\n');
            session =
                Session::open(Path::new(path.trim())).expect("the transcript's agreement loads");
            lines.next();
        }
    }
    let entries: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for l in lines {
            if let Some(e) = l.strip_prefix("> ").or_else(|| (l == ">").then_some("")) {
                v.push(e.to_string());
            } else if let Some(c) = l.strip_prefix("| ").or_else(|| (l == "|").then_some("")) {
                let last = v.last_mut().expect("a `|` line continues an entry");
                assert!(
                    is_incomplete(last),
                    "`{last}` is complete, yet a `|` line follows"
                );
                last.push('\n');
                last.push_str(c);
            }
        }
        v
    };
    for e in entries {
        for (i, l) in e.split('\n').enumerate() {
            out.push_str(if i == 0 { "> " } else { "| " });
            out.push_str(l);
            out.push('\n');
        }
        assert!(!is_incomplete(&e), "entry `{e}` is unfinished");
        let r = session.handle(&e);
        out.push_str(&r.output);
        out.push_str(&r.render_diagnostics(Style::PLAIN));
        if r.quit {
            out.push_str("(session ended)\n");
            break;
        }
    }
    // Trailing spaces are not kept in the files.
    out.lines()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect()
}

#[test]
fn transcripts() {
    let mut failures = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir("tests/repl")
        .expect("tests/repl exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "expected the transcripts, found {files:?}"
    );
    for f in files {
        let expected = std::fs::read_to_string(&f).expect("readable");
        let actual = replay(&expected);
        if actual != expected {
            if std::env::var_os("UPDATE_TRANSCRIPTS").is_some() {
                std::fs::write(&f, &actual).expect("writable");
            } else {
                failures.push(format!(
                    "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                    f.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
