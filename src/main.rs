#![forbid(unsafe_code)]
//! The `splitdsl` binary.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Deeply nested input recurses; give the work a generous stack.
    let worker = std::thread::Builder::new()
        .name("splitdsl".into())
        .stack_size(256 * 1024 * 1024)
        .spawn(splitdsl::cli::main);
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("splitdsl: internal error (the worker thread failed); please report this");
            ExitCode::from(101)
        }
    }
}
