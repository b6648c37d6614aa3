//! The `splitdsl` command line: the subcommands, their options and what they
//! print. The fmt and chart subcommands live in `fmt_chart`, ledger
//! settlement (`run --sales`) in `ledger`; both sit on `load`, which loads
//! agreements and prints diagnostics, so no file of the front end imports one
//! that imports it back.

pub mod diff;
pub mod fmt_chart;
pub mod formats;
pub mod ledger;
mod load;
pub mod repl;

use load::print_failure;
pub use load::{load_with_overrides, print_diagnostics, MAX_SHOWN};

use crate::agreement::{Agreement, Source};
use crate::batch::OutFormat;
use crate::diag::{Diagnostic, JsonDiagnostic};
use crate::examples::{run_examples, ExampleResult};
use crate::report;
use crate::summary;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// splitdsl: revenue-split agreements with exact cents.
#[derive(Parser, Debug)]
#[command(name = "splitdsl", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output format of `run`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// An aligned table.
    Table,
    /// The JSON contract of docs/language.md section 7.
    Json,
    /// One CSV row per deduction (with --sales: one CSV row per sale, the default).
    Csv,
    /// With --sales: one JSON object per sale.
    Jsonl,
    /// With --sales: Parquet, amounts as DECIMAL(38, minor unit) (the default when
    /// --out ends in .parquet).
    #[cfg(feature = "parquet")]
    Parquet,
}

/// Output format of `check`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    /// Rendered diagnostics on stderr.
    Text,
    /// A JSON array of diagnostics on stdout.
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Evaluate one sale and print the breakdown.
    Run {
        /// The agreement.
        file: PathBuf,
        /// Override an input, e.g. `--set price=197.00USD` (repeatable).
        #[arg(long = "set", value_name = "NAME=EXPR", value_parser = set_arg)]
        set: Vec<String>,
        /// Output format [default: table; with --sales: csv].
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Print the split as a waterfall chart instead of the table.
        #[arg(long, conflicts_with_all = ["format", "sales"])]
        chart: bool,
        /// Also write the waterfall as an SVG image to this file.
        #[arg(long, value_name = "FILE", conflicts_with = "sales")]
        svg: Option<PathBuf>,
        /// Batch mode: settle a sales ledger.
        #[command(flatten)]
        batch: ledger::BatchArgs,
    },
    /// Parse and check without running; print every error and warning.
    Check {
        /// The agreements.
        #[arg(required_unless_present = "explain")]
        files: Vec<PathBuf>,
        /// Print the explanation of a diagnostic code (e.g. `splitdsl::unit::currency_mismatch`) and exit.
        #[arg(long, value_name = "CODE")]
        explain: Option<String>,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Run the `example` blocks.
    Test {
        /// The agreements.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Rewrite files in the canonical layout.
    Fmt {
        /// The agreements.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change nothing; show a diff and exit 1 when a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Show how a value was derived, as a tree down to inputs and literals.
    Explain {
        /// The agreement.
        file: PathBuf,
        /// The input, cell, fee or share to explain.
        name: String,
        /// Override an input, e.g. `--set price=197.00USD` (repeatable).
        #[arg(long = "set", value_name = "NAME=EXPR", value_parser = set_arg)]
        set: Vec<String>,
    },
    /// What a change to an agreement does: statements, one sale, a ledger.
    Diff(diff::DiffArgs),
    /// The interactive what-if session (reads stdin as a script when it is not a terminal).
    Repl {
        /// The agreement to load.
        file: Option<PathBuf>,
    },
    /// The editor server: the Language Server Protocol on stdin/stdout.
    #[cfg(feature = "lsp")]
    Lsp,
    /// The workbook: a local page where the agreement behaves like a live spreadsheet.
    #[cfg(feature = "serve")]
    Serve {
        /// The agreement.
        file: PathBuf,
        /// The port [default: a free one].
        #[arg(long)]
        port: Option<u16>,
        /// Open the page in the browser.
        #[arg(long)]
        open: bool,
        /// The address to listen on [default: 127.0.0.1]; another one is reachable from other machines.
        #[arg(long)]
        host: Option<String>,
    },
}

/// Runs the command line with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if let Err(message) = refuse_clashes(&cli.command) {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let code = match cli.command {
        Command::Run {
            file,
            set,
            format,
            chart,
            svg,
            batch,
        } => match batch.sales {
            Some(_) => match ledger_format(format, batch.out.as_deref()) {
                Ok(rows) => ledger::run(&file, &set, rows, &batch),
                Err(code) => code,
            },
            None => run(
                &file,
                &set,
                format.unwrap_or(Format::Table),
                fmt_chart::Chart { chart, svg },
            ),
        },
        Command::Check {
            files,
            format,
            explain,
        } => match explain {
            Some(code) => explain_code(&code),
            None => check(&files, format),
        },
        Command::Test { files } => test(&files),
        Command::Fmt { files, check } => fmt_chart::fmt(&files, check),
        Command::Explain { file, name, set } => explain(&file, &name, &set),
        Command::Repl { file } => repl::run(file.as_deref()),
        Command::Diff(args) => diff::run(&args),
        #[cfg(feature = "lsp")]
        Command::Lsp => return crate::lsp::run(),
        #[cfg(feature = "serve")]
        Command::Serve {
            file,
            port,
            open,
            host,
        } => crate::web::run(&crate::web::Options {
            file,
            port,
            open,
            host,
        }),
    };
    ExitCode::from(code)
}

/// The format of the per-sale rows of `run --sales`: `--format table` and
/// `json` show one sale, so they are a usage error (exit 2) there.
fn ledger_format(
    format: Option<Format>,
    out: Option<&std::path::Path>,
) -> Result<formats::Rows, u8> {
    let _ = out;
    match format {
        #[cfg(feature = "parquet")]
        None if out.is_some_and(formats::is_parquet) => Ok(formats::Rows::Parquet),
        #[cfg(feature = "parquet")]
        Some(Format::Parquet) => Ok(formats::Rows::Parquet),
        None if out.is_some_and(formats::is_jsonl) => Ok(formats::Rows::Text(OutFormat::Jsonl)),
        None | Some(Format::Csv) => Ok(formats::Rows::Text(OutFormat::Csv)),
        Some(Format::Jsonl) => Ok(formats::Rows::Text(OutFormat::Jsonl)),
        Some(f) => {
            eprintln!(
                "error: `--format {}` shows one sale; with --sales, use `--format csv` (the default) or `--format jsonl`",
                if f == Format::Json { "json" } else { "table" }
            );
            Err(2)
        }
    }
}

/// `--set` takes `NAME=EXPR`: without `=` it is a usage error (exit 2).
fn set_arg(s: &str) -> Result<String, String> {
    if s.contains('=') {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not of the form NAME=VALUE; write e.g. `--set {}=197.00USD`",
            if s.trim().is_empty() {
                "price"
            } else {
                s.trim()
            }
        ))
    }
}

/// Before anything is read or written: an output that is an input or
/// another output is a usage error (see [`crate::output::refuse_clashes`]).
fn refuse_clashes(command: &Command) -> Result<(), String> {
    let Command::Run {
        file, svg, batch, ..
    } = command
    else {
        return Ok(());
    };
    let mut inputs = vec![("the agreement", file.as_path())];
    if let Some(sales) = &batch.sales {
        inputs.push(("the ledger", sales.as_path()));
    }
    let outputs: Vec<(&str, &std::path::Path)> = [
        ("--svg", svg),
        ("--out", &batch.out),
        ("--rejects", &batch.rejects),
        ("--statement", &batch.statement),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
    .collect();
    let stdout = batch.sales.is_some().then_some("--out");
    crate::output::refuse_clashes(&inputs, &outputs, stdout)
}

fn run(file: &std::path::Path, set: &[String], format: Format, chart: fmt_chart::Chart) -> u8 {
    let (agreement, inputs) = match load_with_overrides(file, set) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let out = match agreement.evaluate_outcome(&inputs) {
        Ok(o) => o,
        Err(d) => {
            print_diagnostics(&agreement.source, &[d]);
            return 1;
        }
    };
    let p = &agreement.program;
    let (texts, failures) = summary::requirement_failures(p, &out, &agreement.source.text);
    let unavailable = summary::unavailable(p, &out);
    if !unavailable.is_empty() {
        print_diagnostics(&agreement.source, &unavailable);
    }
    if let Err(code) = chart.write_svg(&agreement, &out) {
        return code;
    }
    let text = match format {
        Format::Table if chart.chart => chart.terminal(&agreement, &out),
        Format::Table => report::table(p, &out, &texts),
        Format::Json => report::json(p, &out) + "\n",
        Format::Csv => report::csv(p, &out),
        Format::Jsonl => {
            eprintln!("error: `--format jsonl` is for a sales ledger (`--sales FILE`); for one sale use `--format json`");
            return 2;
        }
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            eprintln!("error: `--format parquet` is for a sales ledger (`--sales FILE`); for one sale use `--format json`");
            return 2;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    if failures.is_empty() {
        0
    } else {
        print_diagnostics(&agreement.source, &failures);
        1
    }
}

fn check(files: &[PathBuf], format: CheckFormat) -> u8 {
    let mut any_error = false;
    let mut json = Vec::new();
    for file in files {
        let (source, diags) = match Agreement::load_failure(file) {
            Ok(a) => (a.source, a.warnings),
            Err(f) => (f.source, f.diagnostics),
        };
        any_error |= diags.iter().any(Diagnostic::is_error);
        match format {
            CheckFormat::Text => {
                print_diagnostics(&source, &diags);
                let errors = diags.iter().filter(|d| d.is_error()).count();
                let warnings = diags.len() - errors;
                let status = match (errors, warnings) {
                    (0, 0) => "ok".to_string(),
                    (0, w) => format!("ok, {w} warning{}", plural(w)),
                    (e, w) => format!("{e} error{}, {w} warning{}", plural(e), plural(w)),
                };
                println!("{}: {status}", source.name);
            }
            CheckFormat::Json => {
                json.extend(
                    diags
                        .iter()
                        .map(|d| JsonDiagnostic::new(d, &source.name, &source.text)),
                );
            }
        }
    }
    if format == CheckFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into())
        );
    }
    u8::from(any_error)
}

fn explain_code(code: &str) -> u8 {
    let full = if code.starts_with("splitdsl::") {
        code.to_string()
    } else {
        format!("splitdsl::{code}")
    };
    match crate::codes::explain(&full) {
        Some(text) => {
            println!("{full}\n\n{text}");
            0
        }
        None => {
            let codes = crate::codes::all().map(|c| c.as_str());
            let near = crate::diag::did_you_mean(&full, codes);
            eprintln!(
                "splitdsl: no diagnostic code `{code}`{}",
                near.map_or(String::new(), |n| format!("; did you mean `{n}`?"))
            );
            2
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn test(files: &[PathBuf]) -> u8 {
    let (mut passed, mut failed) = (0, 0);
    let mut broken = false;
    for file in files {
        let a = match Agreement::load_failure(file) {
            Ok(a) => a,
            Err(f) => {
                print_failure(&f);
                broken = true;
                continue;
            }
        };
        println!("{}", a.source.name);
        let results = run_examples(&a);
        if results.is_empty() {
            println!("  (no examples)");
        }
        for (name, r) in results {
            match r {
                ExampleResult::Pass => {
                    passed += 1;
                    println!("  ✓ {name}");
                }
                ExampleResult::Fail(fails) => {
                    failed += 1;
                    println!("  ✗ {name}");
                    for (line, expected, actual) in fails {
                        println!("      {line}");
                        println!("        expected {expected}");
                        println!("        actual   {actual}");
                    }
                }
                ExampleResult::Error(d) => {
                    failed += 1;
                    println!("  ✗ {name}: evaluation failed");
                    print_diagnostics(&a.source, &[d]);
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    u8::from(failed > 0 || broken)
}

fn explain(file: &std::path::Path, name: &str, set: &[String]) -> u8 {
    let (agreement, inputs) = match load_with_overrides(file, set) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let p = &agreement.program;
    let Some(slot) = p.slot(name) else {
        let names = p.slots.iter().map(|s| s.name.as_str());
        let help = match crate::diag::did_you_mean(name, names) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "give the name of an input, cell, fee or share".into(),
        };
        let src = Source {
            name: "NAME".into(),
            text: name.to_string(),
        };
        let d = Diagnostic::error(
            crate::codes::NAME_UNKNOWN,
            format!("the agreement has no value named `{name}`"),
        )
        .primary(crate::span::Span::new(0, name.len()), "unknown name")
        .help(help);
        print_diagnostics(&src, &[d]);
        return 1;
    };
    let (out, trace) = match agreement.program.evaluate_traced(&inputs) {
        Ok(o) => o,
        Err(d) => {
            print_diagnostics(&agreement.source, &[d]);
            return 1;
        }
    };
    let text = crate::explain::tree_of(&agreement, &inputs, &out, &trace, slot).render();
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    let (_, failures) = summary::requirement_failures(p, &out, &agreement.source.text);
    if failures.is_empty() {
        0
    } else {
        print_diagnostics(&agreement.source, &failures);
        1
    }
}
