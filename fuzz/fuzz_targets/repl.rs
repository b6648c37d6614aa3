//! Arbitrary lines typed into a REPL session on the installments example:
//! expressions, statements, what-ifs, solve, sweep, explain, edits.
//! Nothing may panic, overflow the stack or hang; see docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use splitdsl::diag::Style;
use splitdsl::repl::Session;

const AGREEMENT: &str = include_str!("../../examples/installments.split");

fuzz_target!(|data: &[u8]| {
    if data.len() > 4096 {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let Ok(mut session) = Session::from_text("installments.split", AGREEMENT) else {
        panic!("the example does not load");
    };
    for line in text.lines().take(16) {
        // No file system: these read or write files named by the input.
        let t = line.trim_start();
        if t.starts_with(":save") || t.starts_with(":load") || t.starts_with(":reload") {
            continue;
        }
        let reply = session.handle(line);
        for (d, _) in &reply.diagnostics {
            assert_ne!(d.code, "splitdsl::internal", "{line}");
        }
        let _ = reply.render_diagnostics(Style::PLAIN);
        if reply.quit {
            break;
        }
    }
});
