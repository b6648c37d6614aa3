//! Drives `splitdsl repl` in a real pseudo-terminal: completion, a
//! multi-line entry, history recall within and across sessions, Ctrl-C and
//! Ctrl-D. HOME and the XDG directories point at a temporary directory, so
//! the history file goes there.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]
#![cfg(feature = "cli")] // runs the binary

use expectrl::{session::OsSession as Session, Eof, Expect};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const ENTER: &str = "\r";
const UP: &str = "\x1b[A";

fn spawn(home: &Path) -> Session {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_splitdsl"));
    cmd.arg("repl")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/hotmart.split"
        ))
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    let mut s = Session::spawn(cmd).expect("the REPL starts in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s.expect("split> ").expect("a prompt");
    s
}

fn temp_home() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splitdsl-pty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn completion_multiline_and_history_in_a_terminal() {
    let home = temp_home();
    let mut s = spawn(&home);

    // Tab completes a name.
    s.send("copro\t").expect("send");
    s.expect("coproducer").expect("completed to coproducer");
    s.send(ENTER).expect("send");
    s.expect("5.82 USD").expect("the coproducer's share");
    s.expect("split> ").expect("prompt");

    // An unfinished entry continues on the next line.
    s.send(format!("affiliate +{ENTER}")).expect("send");
    s.send(format!("coproducer{ENTER}")).expect("send");
    s.expect("37.18 USD").expect("the multi-line sum");
    s.expect("split> ").expect("prompt");

    // A command alone prints its usage; `what if` waits for no `else`.
    s.send(format!("what if{ENTER}")).expect("send");
    s.expect("usage: what if NAME = VALUE")
        .expect("the usage, not a continuation line");
    s.expect("split> ").expect("prompt");

    // A block too.
    s.send(format!("table bonus {{{ENTER}")).expect("send");
    s.send(format!("  ..100 => 1.00 USD{ENTER}")).expect("send");
    s.send(format!("}}{ENTER}")).expect("send");
    s.expect("added table `bonus`")
        .expect("the table was added");
    s.expect("split> ").expect("prompt");

    // Ctrl-C clears the line and the session goes on.
    s.send("garbage\x03").expect("send");
    s.expect("split> ").expect("prompt after Ctrl-C");

    // History recall: the up arrow brings the last entry back.
    s.send(format!("hotmart{ENTER}")).expect("send");
    s.expect("10.40 USD").expect("the fee");
    s.expect("split> ").expect("prompt");
    s.send(UP).expect("send");
    s.send(ENTER).expect("send");
    s.expect("10.40 USD").expect("the recalled entry ran again");
    s.expect("split> ").expect("prompt");

    // Ctrl-D quits.
    s.send("\x04").expect("send");
    s.expect(Eof).expect("the REPL ends on Ctrl-D");

    let history = home.join("data/splitdsl/repl_history.txt");
    let saved = std::fs::read_to_string(&history).expect("the history was saved");
    assert!(saved.contains("hotmart"), "{saved}");

    // A new session recalls the previous one's entries.
    let mut s = spawn(&home);
    s.send(UP).expect("send");
    s.send(ENTER).expect("send");
    s.expect("10.40 USD").expect("history kept across sessions");
    s.send(format!(":quit{ENTER}")).expect("send");
    s.expect(Eof).expect("the REPL ends on :quit");
    let _ = std::fs::remove_dir_all(&home);
}
