//! The REPL's front ends: rustyline on a terminal (completion, hints,
//! highlighting, multi-line entries, history), and plain line reading when
//! stdin is not a terminal (no prompt, no colour: answers on stdout,
//! diagnostics on stderr).

use crate::analysis::KEYWORDS;
use crate::diag::Style;
use crate::program::Builtin;
use crate::repl::render::{help_text, show, COMMANDS};
use crate::repl::{is_incomplete, Session};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::borrow::Cow;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Words of the REPL's commands, completed like keywords.
const COMMAND_WORDS: [&str; 11] = [
    "what", "set", "reset", "explain", "solve", "sweep", "so", "that", "from", "to", "step",
];

/// The syntax shown as a hint after a command's first word.
const SYNTAX: [(&str, &str); 6] = [
    ("what if", " NAME = VALUE[, NAME = VALUE]…"),
    ("solve", " NAME so that TARGET = VALUE"),
    ("sweep", " NAME from A to B step S"),
    ("explain", " NAME"),
    ("set", " NAME = VALUE"),
    ("reset", " [NAME]"),
];

/// Runs `splitdsl repl [FILE]`; the process's exit status.
pub fn run(file: Option<&Path>) -> u8 {
    let session = match file {
        Some(f) => match Session::open(f) {
            Ok(s) => s,
            Err(e) => {
                eprint!("{}", e.render(Style::for_stderr()));
                return 1;
            }
        },
        None => Session::new(),
    };
    if std::io::stdin().is_terminal() {
        interactive(session)
    } else {
        let stdin = std::io::stdin();
        piped(
            session,
            stdin.lock(),
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        )
    }
}

/// Reads entries from `input` (an entry goes on while [`is_incomplete`]),
/// writes answers to `out` and plain diagnostics to `err`.
pub fn piped(
    mut session: Session,
    input: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
) -> u8 {
    let style = Style {
        color: false,
        width: 100,
    };
    let mut entry = String::new();
    let mut lines = input.lines();
    loop {
        let line = match lines.next() {
            Some(Ok(l)) => Some(l),
            Some(Err(e)) => {
                let _ = writeln!(err, "splitdsl: cannot read the input: {e}");
                return 1;
            }
            None => None,
        };
        let done = line.is_none();
        if let Some(l) = line {
            if !entry.is_empty() {
                entry.push('\n');
            }
            entry.push_str(&l);
            if is_incomplete(&entry) {
                continue;
            }
        }
        if !entry.trim().is_empty() {
            let reply = session.handle(&entry);
            let _ = out.write_all(reply.output.as_bytes());
            let _ = out.flush();
            let _ = err.write_all(reply.render_diagnostics(style).as_bytes());
            if reply.quit {
                return 0;
            }
        }
        entry.clear();
        if done {
            return 0;
        }
    }
}

/// Where the history is kept: the user's data directory, else the cache.
pub fn history_path() -> Option<PathBuf> {
    let dir = dirs::data_dir().or_else(dirs::cache_dir)?;
    Some(dir.join("splitdsl").join("repl_history.txt"))
}

fn interactive(mut session: Session) -> u8 {
    let color = std::env::var_os("NO_COLOR").is_none();
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .history_ignore_dups(true)
        .map(|b| b.history_ignore_space(true).auto_add_history(false).build());
    let Ok(config) = config else {
        return 1;
    };
    let mut rl: Editor<ReplHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("splitdsl: cannot start the line editor: {e}");
            return 1;
        }
    };
    rl.set_helper(Some(ReplHelper::new(session.names(), color)));
    let history = history_path();
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.load_history(h);
    }
    let r = show(&session);
    print!("{}", r.output);
    eprint!("{}", r.render_diagnostics(Style::for_stderr()));
    println!("Type an expression, a statement, `what if …`, or `:help`. Ctrl-D quits.");
    let prompt = "split> ";
    loop {
        match rl.readline(prompt) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                if let Some(h) = &history {
                    let _ = rl.save_history(h);
                }
                let reply = session.handle(&line);
                print!("{}", reply.output);
                let _ = std::io::stdout().flush();
                eprint!("{}", reply.render_diagnostics(Style::for_stderr()));
                if let Some(h) = rl.helper_mut() {
                    h.names = session.names();
                }
                if reply.quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("splitdsl: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    0
}

/// rustyline's helper: completion, hints, highlighting, validation.
pub struct ReplHelper {
    /// The agreement's names.
    pub names: Vec<String>,
    color: bool,
    files: FilenameCompleter,
    history: HistoryHinter,
}

impl ReplHelper {
    /// A helper completing `names`; `color` turns highlighting on.
    pub fn new(names: Vec<String>, color: bool) -> Self {
        ReplHelper {
            names,
            color,
            files: FilenameCompleter::new(),
            history: HistoryHinter::new(),
        }
    }

    /// Completions of the word ending at `pos`: its start and the candidates.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == ':'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        let mut out: Vec<String> = Vec::new();
        if word.starts_with(':') {
            out.extend(
                COMMANDS
                    .iter()
                    .map(|(c, _)| *c)
                    .filter(|c| c.starts_with(word) && c.starts_with(':'))
                    .map(String::from),
            );
        } else if !word.is_empty() {
            let fns = Builtin::ALL.iter().map(|(n, _)| format!("{n}("));
            let words = self
                .names
                .iter()
                .cloned()
                .chain(KEYWORDS.iter().map(|k| k.to_string()))
                .chain(COMMAND_WORDS.iter().map(|k| k.to_string()))
                .chain(fns);
            for w in words {
                if w.starts_with(word) && !out.contains(&w) {
                    out.push(w);
                }
            }
        }
        out.sort();
        (start, out)
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let t = line.trim_start();
        if t.starts_with(":load ") || t.starts_with(":save ") {
            return self.files.complete(line, pos, ctx);
        }
        let (start, words) = self.candidates(line, pos);
        Ok((
            start,
            words
                .into_iter()
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: w,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() {
            return None;
        }
        let t = line.trim_start();
        for (cmd, syntax) in SYNTAX {
            if t == cmd {
                return Some(syntax.to_string());
            }
        }
        if ctx.history().is_empty() {
            // Nothing to recall: complete a name when only one fits.
        } else if let Some(h) = self.history.hint(line, pos, ctx) {
            return Some(h);
        }
        let (start, words) = self.candidates(line, pos);
        let word = &line[start..pos];
        match words.as_slice() {
            [only] if !word.is_empty() && only.len() > word.len() => {
                Some(only[word.len()..].to_string())
            }
            _ => None,
        }
    }
}

/// ANSI colours of the highlighter.
const KEYWORD: &str = "\x1b[35m";
const NAME: &str = "\x1b[36m";
const LITERAL: &str = "\x1b[33m";
const STRING: &str = "\x1b[32m";
const COMMENT: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// `line` with ANSI colours: keywords and commands, known names, literals,
/// strings and comments. The visible text is unchanged.
pub fn highlight_line(line: &str, names: &[String]) -> String {
    let mut s = String::with_capacity(line.len() * 2);
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '#' {
            s.push_str(COMMENT);
            s.push_str(&line[i..]);
            s.push_str(RESET);
            break;
        }
        if c == '"' {
            let mut end = line.len();
            let mut escaped = false;
            for (j, d) in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == '"' {
                    end = j + 1;
                    break;
                }
            }
            s.push_str(STRING);
            s.push_str(&line[i..end]);
            s.push_str(RESET);
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                let _ = j;
                if d.is_ascii_alphanumeric()
                    || d == '_'
                    || (c.is_ascii_digit() && matches!(d, '.' | '%' | '-'))
                {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let word = &line[i..end];
            let color = if c.is_ascii_digit()
                || word.chars().all(|x| x.is_ascii_uppercase()) && word.len() == 3
            {
                Some(LITERAL)
            } else if KEYWORDS.contains(&word) || COMMAND_WORDS.contains(&word) || c == ':' {
                Some(KEYWORD)
            } else if names.iter().any(|n| n == word) {
                Some(NAME)
            } else {
                None
            };
            match color {
                Some(col) => {
                    s.push_str(col);
                    s.push_str(word);
                    s.push_str(RESET);
                }
                None => s.push_str(word),
            }
            continue;
        }
        s.push(c);
    }
    s
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color {
            Cow::Owned(highlight_line(line, &self.names))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        default: bool,
    ) -> Cow<'b, str> {
        if self.color && default {
            Cow::Owned(format!("\x1b[1;34m{prompt}{RESET}"))
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("{COMMENT}{hint}{RESET}"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.color && kind != CmdKind::MoveCursor
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_incomplete(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Helper for ReplHelper {}

/// The help text (re-exported for the front end's banner).
pub fn help() -> String {
    help_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_names_keywords_functions_and_commands() {
        let h = ReplHelper::new(vec!["coproducer".into(), "cost".into()], false);
        assert_eq!(
            h.candidates("copro", 5),
            (0, vec!["coproducer".to_string()])
        );
        assert_eq!(h.candidates("x + co", 6).1, vec!["coproducer", "cost"]);
        assert_eq!(h.candidates("rou", 3).1, vec!["round(", "rounding"]);
        assert_eq!(h.candidates(":re", 3).1, vec![":reload"]);
        assert_eq!(h.candidates("sw", 2).1, vec!["sweep"]);
    }

    #[test]
    fn highlighting_keeps_the_text() {
        let names = vec!["net".to_string()];
        let line = "share x \"X\" = 35% of net + 0.50 USD # note";
        let h = highlight_line(line, &names);
        let plain: String = strip_ansi(&h);
        assert_eq!(plain, line);
        assert!(h.contains(&format!("{NAME}net{RESET}")));
        assert!(h.contains(&format!("{KEYWORD}share{RESET}")));
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut esc = false;
        for c in s.chars() {
            if c == '\x1b' {
                esc = true;
            } else if esc {
                if c == 'm' {
                    esc = false;
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
