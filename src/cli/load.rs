//! Loading an agreement for a command and printing diagnostics to stderr:
//! what every subcommand of the command line shares.

use crate::agreement::{Agreement, Failure, Source};
use crate::diag::{Diagnostic, SourceView, Style};
use crate::eval::Inputs;
use std::io::Write;

/// At most this many diagnostics are rendered per file; the rest are counted.
pub const MAX_SHOWN: usize = 200;

/// Prints diagnostics against their source to stderr.
pub fn print_diagnostics(source: &Source, diags: &[Diagnostic]) {
    let style = Style::for_stderr();
    let view = SourceView::new(&source.name, &source.text);
    let mut err = std::io::stderr().lock();
    for d in diags.iter().take(MAX_SHOWN) {
        let _ = write!(err, "{}", view.render(d, style));
    }
    if diags.len() > MAX_SHOWN {
        let _ = writeln!(
            err,
            "… and {} more diagnostics in {} (`splitdsl check --format json` lists them all)",
            diags.len() - MAX_SHOWN,
            source.name
        );
    }
}

pub(super) fn print_failure(f: &Failure) {
    print_diagnostics(&f.source, &f.diagnostics);
}

/// Loads an agreement and applies `--set` overrides; prints problems.
pub fn load_with_overrides(
    file: &std::path::Path,
    set: &[String],
) -> Result<(Agreement, Inputs), u8> {
    let agreement = Agreement::load_failure(file).map_err(|f| {
        print_failure(&f);
        1
    })?;
    let mut inputs = agreement.raw_inputs();
    let mut ok = true;
    for s in set {
        if let Err(d) = agreement.set_from_text(&mut inputs, s) {
            let src = Source {
                name: "--set".into(),
                text: s.clone(),
            };
            print_diagnostics(&src, &[d]);
            ok = false;
        }
    }
    if ok {
        Ok((agreement, inputs))
    } else {
        Err(1)
    }
}
