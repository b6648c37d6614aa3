//! The command-line side of `splitdsl fmt` and of `run --chart` / `run --svg`
//! (kept apart from the other subcommands so that they grow independently).

use super::load::print_diagnostics;
use crate::agreement::{read_source, Agreement, Source};
use crate::chart::{self, Waterfall};
use crate::diag::Diagnostic;
use crate::eval::Outcome;
use crate::fmt;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The chart options of `run`.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// `--chart`: print the waterfall instead of the table.
    pub chart: bool,
    /// `--svg FILE`: write the waterfall as SVG.
    pub svg: Option<PathBuf>,
}

/// Width of the terminal bars.
const BAR_WIDTH: usize = 40;

impl Chart {
    fn waterfall(a: &Agreement, out: &Outcome) -> Waterfall {
        let fallback = Path::new(&a.source.name).file_stem().map_or_else(
            || a.source.name.clone(),
            |s| s.to_string_lossy().into_owned(),
        );
        Waterfall::new(&a.program, out, &fallback)
    }

    /// The terminal waterfall: Unicode blocks on a terminal, ASCII otherwise.
    pub fn terminal(&self, a: &Agreement, out: &Outcome) -> String {
        let unicode = std::io::stdout().is_terminal();
        chart::terminal(&Self::waterfall(a, out), unicode, BAR_WIDTH)
    }

    /// Writes the SVG when asked; `Err(1)` (after a diagnostic) when it cannot.
    pub fn write_svg(&self, a: &Agreement, out: &Outcome) -> Result<(), u8> {
        let Some(path) = &self.svg else {
            return Ok(());
        };
        let svg = chart::svg(&Self::waterfall(a, out));
        crate::output::write_file(path, svg.as_bytes()).map_err(|e| {
            eprintln!("error: cannot write {}: {e}", path.display());
            1
        })
    }
}

/// `splitdsl fmt FILE… [--check]`: 0 when every file is (or now is)
/// formatted; 1 when a file does not parse, cannot be written, or (with
/// `--check`) is not formatted.
pub fn fmt(files: &[PathBuf], check: bool) -> u8 {
    let mut code = 0;
    let mut stdout = std::io::stdout().lock();
    for file in files {
        let name = file.display().to_string();
        let text = match read_source(file) {
            Ok(t) => t,
            Err(f) => {
                print_diagnostics(&f.source, &f.diagnostics);
                code = 1;
                continue;
            }
        };
        let formatted = match fmt::format_source(&text) {
            Ok(f) => f,
            Err(diags) => {
                let errors: Vec<Diagnostic> =
                    diags.into_iter().filter(Diagnostic::is_error).collect();
                print_diagnostics(
                    &Source {
                        name: name.clone(),
                        text,
                    },
                    &errors,
                );
                eprintln!("{name}: not formatted (fix the errors first)");
                code = 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if check {
            let _ = write!(stdout, "{}", fmt::diff(&name, &text, &formatted));
            code = 1;
        } else if let Err(e) = crate::output::write_file(file, formatted.as_bytes()) {
            eprintln!("error: cannot write {name}: {e}");
            code = 1;
        } else {
            let _ = writeln!(stdout, "formatted {name}");
        }
    }
    let _ = stdout.flush();
    code
}
