//! Keeps docs/language.md honest.
//!
//! - Every ```` ```split ```` block is a whole agreement that `splitdsl check` accepts
//!   (warnings allowed); a ```` ```split,error ```` block must be refused. A block marked
//!   `file=NAME.split` (```` ```split,file=lazy.split ````) is also a file the console
//!   blocks may run.
//! - Every ```` ```console ```` block is a list of commands, each a line `$ splitdsl ARGS`
//!   or `$ printf 'TEXT' | splitdsl ARGS`, followed by what it prints: its stdout, then its
//!   stderr. Each command is run again with the built binary, from the repository's root
//!   (or, when it names a file of the document, from a folder holding those files), and its
//!   output must be exactly the text shown (spaces at the ends of lines aside).

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "cli")] // runs the binary

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const DOC: &str = "docs/language.md";

/// A fenced block of the document: its info string, its first line's number, its text.
struct Block {
    info: String,
    line: usize,
    text: String,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn blocks() -> Vec<Block> {
    let doc = std::fs::read_to_string(root().join(DOC)).expect("docs/language.md");
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in doc.lines().enumerate() {
        match open.take() {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some(Block {
                        info: info.trim().to_string(),
                        line: i + 2,
                        text: String::new(),
                    });
                }
            }
            Some(mut b) => {
                if line == "```" {
                    out.push(b);
                } else {
                    b.text.push_str(line);
                    b.text.push('\n');
                    open = Some(b);
                }
            }
        }
    }
    assert!(open.is_none(), "{DOC}: a code block is not closed");
    out
}

fn splitdsl() -> Command {
    let mut cmd = Command::cargo_bin("splitdsl").unwrap();
    cmd.current_dir(root()).env("NO_COLOR", "1");
    cmd
}

/// A scratch folder of this test's own (each test has its own, as they run in parallel).
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("docs")
        .join(test);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a ```` ```split ```` block's info string says: whether it must fail, and the file
/// name it is given, if any.
struct SplitInfo {
    error: bool,
    file: Option<String>,
}

fn split_info(b: &Block) -> Option<SplitInfo> {
    let mut parts = b.info.split(',');
    if parts.next() != Some("split") {
        return None;
    }
    let mut info = SplitInfo {
        error: false,
        file: None,
    };
    for part in parts {
        match part.trim() {
            "error" => info.error = true,
            p if p.starts_with("file=") && p.ends_with(".split") => {
                info.file = Some(p["file=".len()..].to_string());
            }
            other => panic!("{DOC}:{}: unknown mark `{other}` on a split block", b.line),
        }
    }
    Some(info)
}

#[test]
fn every_split_block_compiles_or_fails_as_marked() {
    let dir = scratch_dir("check");
    let mut seen = 0;
    for b in blocks() {
        let Some(info) = split_info(&b) else {
            continue;
        };
        let expect_error = info.error;
        seen += 1;
        let path = dir.join(format!("block_{}.split", b.line));
        std::fs::write(&path, &b.text).unwrap();
        let out = splitdsl().arg("check").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if expect_error {
            assert_eq!(
                out.status.code(),
                Some(1),
                "{DOC}:{}: this `split,error` block should not compile:\n{}",
                b.line,
                b.text
            );
        } else {
            assert!(
                out.status.success(),
                "{DOC}:{}: this `split` block does not compile:\n{}\n{stderr}",
                b.line,
                b.text
            );
        }
    }
    assert!(seen >= 5, "{DOC}: only {seen} split blocks found");
}

/// Splits a command line into words; single quotes group words, as in a shell.
fn words(line: &str, at: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    assert!(!quoted, "{DOC}:{at}: an unclosed quote in `{line}`");
    if any {
        out.push(word);
    }
    out
}

/// What `printf` prints for `format` (only `\n`, `\t`, `\\` and `%%` are used here).
fn printf(format: &str, at: usize) -> String {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('\\') => out.push('\\'),
                other => panic!("{DOC}:{at}: printf escape `\\{other:?}` is not supported"),
            },
            '%' => match chars.next() {
                Some('%') => out.push('%'),
                other => panic!("{DOC}:{at}: printf directive `%{other:?}` is not supported"),
            },
            c => out.push(c),
        }
    }
    out
}

/// Runs one `$ …` line of a console block and returns stdout followed by stderr. `files`
/// is the folder holding the document's named files.
fn run(command: &str, at: usize, files: &Path) -> String {
    let mut words = words(command, at);
    let mut stdin = None;
    if words.first().map(String::as_str) == Some("printf") {
        assert!(
            words.len() > 3 && words[2] == "|",
            "{DOC}:{at}: write `printf 'TEXT' | splitdsl …`"
        );
        stdin = Some(printf(&words[1], at));
        words.drain(..3);
    }
    assert_eq!(
        words.first().map(String::as_str),
        Some("splitdsl"),
        "{DOC}:{at}: a console command runs `splitdsl`"
    );
    let mut cmd = splitdsl();
    cmd.args(&words[1..]);
    let names_a_doc_file = words[1..]
        .iter()
        .any(|w| w.ends_with(".split") && !root().join(w).exists() && files.join(w).exists());
    if names_a_doc_file {
        cmd.current_dir(files);
    }
    if let Some(text) = stdin {
        cmd.write_stdin(text);
    }
    let out = cmd.output().unwrap();
    let mut text = String::from_utf8(out.stdout).unwrap();
    text.push_str(&String::from_utf8(out.stderr).unwrap());
    text
}

/// `text` without the spaces at the ends of its lines (which editors strip from a document).
fn trim_lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim_end).collect()
}

#[test]
fn every_console_block_prints_what_it_shows() {
    let files = scratch_dir("files");
    let all = blocks();
    for b in &all {
        if let Some(SplitInfo {
            file: Some(name), ..
        }) = split_info(b)
        {
            std::fs::write(files.join(name), &b.text).unwrap();
        }
    }
    let mut seen = 0;
    for b in all.iter().filter(|b| b.info == "console") {
        // (line number, command, expected output)
        let mut commands: Vec<(usize, String, String)> = Vec::new();
        for (i, line) in b.text.lines().enumerate() {
            if let Some(command) = line.strip_prefix("$ ") {
                commands.push((b.line + i, command.to_string(), String::new()));
            } else {
                let (_, _, expected) = commands
                    .last_mut()
                    .unwrap_or_else(|| panic!("{DOC}:{}: output before a `$` line", b.line + i));
                expected.push_str(line);
                expected.push('\n');
            }
        }
        assert!(
            !commands.is_empty(),
            "{DOC}:{}: an empty console block",
            b.line
        );
        for (at, command, expected) in commands {
            seen += 1;
            let actual = run(&command, at, &files);
            assert!(
                trim_lines(&actual) == trim_lines(&expected),
                "{DOC}:{at}: `{command}` prints something else.\n--- the doc shows:\n{expected}--- the binary prints:\n{actual}"
            );
        }
    }
    assert!(seen >= 5, "{DOC}: only {seen} console commands found");
}
