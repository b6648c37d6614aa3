//! The command-line side of ledger settlement, `splitdsl run FILE --sales
//! SALES …`: the options, the files, rejects on stderr, the progress bar and
//! the statement. The settling itself is the library's [`crate::batch`].

use super::formats::{Rows, Sales};
use super::load::{load_with_overrides, print_diagnostics};
use crate::agreement::{Agreement, Source};
use crate::batch::quote;
use crate::batch::{render_reject, Delimiter, Observer, Options, OutFormat, Reject};
use crate::diag::{render, Diagnostic, Style};
use crate::output::Output;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The `run` options of batch mode.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct BatchArgs {
    /// Settle every row of a sales ledger: CSV with a header, or JSON Lines
    /// (`-` reads stdin). Columns named like inputs set them, `kind` may say
    /// `refund` or `chargeback`, other columns pass through.
    #[arg(long, value_name = "SALES")]
    pub sales: Option<PathBuf>,
    /// With --sales: write the per-sale rows to FILE instead of stdout (`-` is stdout).
    #[arg(long, value_name = "FILE", requires = "sales")]
    pub out: Option<PathBuf>,
    /// With --sales: the number of worker threads [default: the available cores].
    #[arg(long, value_name = "N", requires = "sales",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// With --sales: write rejected rows to FILE (CSV; JSON Lines when FILE ends in .jsonl or .json).
    #[arg(long, value_name = "FILE", requires = "sales")]
    pub rejects: Option<PathBuf>,
    /// With --sales: write the statement to FILE (CSV; JSON when FILE ends in .json)
    /// instead of a table on stderr.
    #[arg(long, value_name = "FILE", requires = "sales")]
    pub statement: Option<PathBuf>,
    /// With --sales: the CSV delimiter, `,` `;` or `tab` [default: detected from the
    /// header]. With `;`, decimal commas (`100,00`) are read.
    #[arg(long, value_name = "DELIM", requires = "sales", value_parser = Delimiter::parse)]
    pub delimiter: Option<Delimiter>,
    /// With --sales: read the ledger as this format [default: Parquet when SALES ends in
    /// .parquet or starts with `PAR1`, else CSV or JSON Lines by its content].
    #[cfg(feature = "parquet")]
    #[arg(long, value_enum, value_name = "FORMAT", requires = "sales")]
    pub sales_format: Option<super::formats::SalesFormat>,
}

fn wants_json(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "jsonl" | "ndjson")
    )
}

/// The command line's observer: rejects to stderr or a file, a progress bar.
struct CliObserver<'a> {
    agreement: &'a Agreement,
    sales_name: String,
    rejects: Option<Output>,
    rejects_json: bool,
    rejected: u64,
    bar: Option<indicatif::ProgressBar>,
    style: Style,
}

impl CliObserver<'_> {
    fn eprint(&self, text: &str) {
        let go = || {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
        };
        match &self.bar {
            Some(b) => b.suspend(go),
            None => go(),
        }
    }

    fn write_reject(&mut self, r: &Reject) -> std::io::Result<()> {
        let json = self.rejects_json;
        let Some(f) = self.rejects.as_mut() else {
            return Ok(());
        };
        let d = &r.diagnostic;
        if json {
            let v = serde_json::json!({
                "line": r.line,
                "id": r.id,
                "code": d.code,
                "reason": d.message,
                "help": d.help,
                "record": r.record,
            });
            writeln!(f, "{v}")
        } else {
            let mut out = Vec::new();
            out.extend_from_slice(r.line.to_string().as_bytes());
            for s in [
                r.id.as_deref().unwrap_or(""),
                d.code.as_str(),
                &d.message,
                d.help.as_deref().unwrap_or(""),
                &r.record,
            ] {
                out.push(b',');
                quote::write_csv_field(&mut out, s.as_bytes());
            }
            out.push(b'\n');
            f.write_all(&out)
        }
    }
}

impl Observer for CliObserver<'_> {
    fn reject(&mut self, r: &Reject) -> std::io::Result<()> {
        self.rejected += 1;
        if self.rejects.is_some() {
            return self.write_reject(r);
        }
        let text = render_reject(r, self.agreement, &self.sales_name, self.style);
        self.eprint(&text);
        Ok(())
    }

    fn progress(&mut self, bytes: u64, records: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
            let _ = records;
        }
    }

    fn warning(&mut self, d: &Diagnostic, header: &str) {
        let text = render(d, &self.sales_name, header, self.style);
        self.eprint(&text);
    }
}

/// `splitdsl run FILE --sales SALES …`: settles the ledger and prints the
/// statement (`out_format` is the format of the per-sale rows). Returns the
/// exit status.
pub fn run(file: &Path, set: &[String], rows: Rows, args: &BatchArgs) -> u8 {
    let Some(sales) = &args.sales else {
        return 2;
    };
    let (agreement, inputs) = match load_with_overrides(file, set) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let is_stdin = sales.as_os_str() == "-";
    let sales_name = if is_stdin {
        "<stdin>".to_string()
    } else {
        sales.display().to_string()
    };
    let cant = |what: String, help: &str| {
        let src = Source {
            name: sales_name.clone(),
            text: String::new(),
        };
        print_diagnostics(
            &src,
            &[Diagnostic::error(crate::codes::BATCH_IO, what).help(help)],
        );
        1
    };
    #[cfg(feature = "parquet")]
    let parquet = super::formats::sales_are_parquet(sales, args.sales_format);
    #[cfg(not(feature = "parquet"))]
    let parquet = false;
    if parquet && is_stdin {
        eprintln!("error: a Parquet ledger is read from its end: give a file, not `--sales -`");
        return 2;
    }
    let (input, len): (Sales, Option<u64>) = if is_stdin {
        (Sales::Text(Box::new(std::io::stdin())), None)
    } else {
        if sales.is_dir() {
            return cant(
                format!("`{sales_name}` is a directory, not a ledger"),
                "give a CSV, JSON Lines or Parquet file",
            );
        }
        match File::open(sales) {
            Ok(f) => {
                let len = f.metadata().ok().map(|m| m.len());
                (super::formats::opened(f, parquet), len)
            }
            Err(e) => {
                return cant(
                    format!("cannot read the ledger `{sales_name}`: {e}"),
                    "check the path and its permissions",
                )
            }
        }
    };
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = match len {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::new_spinner(),
        };
        let template = if len.is_some() {
            "{spinner} settling [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
        } else {
            "{spinner} settling {bytes} {bytes_per_sec}"
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    // Every output is a temporary file until the ledger is settled (see
    // `crate::output`): a run that fails leaves earlier outputs as they were.
    let create = |path: &Path, what: &str| {
        Output::create(path).map_err(|e| {
            cant(
                format!("cannot write {what} `{}`: {e}", path.display()),
                "check the path",
            )
        })
    };
    let mut out = match args.out.as_deref() {
        Some(path) if !crate::output::is_dash(path) => match create(path, "the output") {
            Ok(o) => o,
            Err(code) => return code,
        },
        _ => Output::stdout(),
    };
    let rejects_json = args.rejects.as_deref().is_some_and(wants_json);
    let rejects = match args.rejects.as_deref() {
        Some(path) => match create(path, "the rejected rows") {
            Ok(mut o) => {
                // A rejects file is always written when asked for, even with no reject.
                if !rejects_json {
                    if let Err(e) = o.write_all(b"line,id,code,reason,help,record\n") {
                        return cant(
                            format!("cannot write the rejected rows: {e}"),
                            "check the path",
                        );
                    }
                }
                Some(o)
            }
            Err(code) => return code,
        },
        None => None,
    };
    let statement_out = match args.statement.as_deref() {
        Some(path) => match create(path, "the statement") {
            Ok(o) => Some(o),
            Err(code) => return code,
        },
        None => None,
    };
    let mut observer = CliObserver {
        agreement: &agreement,
        sales_name: sales_name.clone(),
        rejects,
        rejects_json,
        rejected: 0,
        bar,
        style: Style::for_stderr(),
    };
    let options = Options {
        format: OutFormat::Csv,
        threads,
        delimiter: args.delimiter,
    };
    let result = super::formats::settle(
        &agreement,
        &inputs,
        input,
        rows,
        &mut out,
        &options,
        &mut observer,
    );
    if let Some(b) = &observer.bar {
        b.finish_and_clear();
    }
    let style = observer.style;
    let settlement = match result {
        Ok(s) => s,
        Err(f) => {
            let (d, text) = f.diagnostic();
            let _ = std::io::stderr().write_all(render(&d, &sales_name, &text, style).as_bytes());
            return 1;
        }
    };
    if let Err(e) = out.commit() {
        return cant(format!("cannot write the output: {e}"), "check the path");
    }
    if let Some(rejects) = observer.rejects.take() {
        if let Err(e) = rejects.commit() {
            return cant(
                format!("cannot write the rejected rows: {e}"),
                "check the path",
            );
        }
    }
    let st = &settlement.statement;
    let r = &settlement.reconciliation;
    let p = &agreement.program;
    let mut err = String::new();
    match (&args.statement, statement_out) {
        (Some(path), Some(mut file)) => {
            let bytes = if wants_json(path) {
                st.json(p, r).into_bytes()
            } else {
                st.csv(p)
            };
            if let Err(e) = file.write_all(&bytes).and_then(|()| file.commit()) {
                return cant(
                    format!("cannot write the statement `{}`: {e}", path.display()),
                    "check the path",
                );
            }
            err.push_str(&format!(
                "{}\n{}{}\n",
                st.summary(),
                st.warnings_text(),
                st.reconciliation_line(r)
            ));
        }
        _ => err.push_str(&st.table(p, r)),
    }
    if st.rejected > 0 {
        match &args.rejects {
            Some(path) => err.push_str(&format!(
                "✗ {} row{} rejected: see {}\n",
                st.rejected,
                if st.rejected == 1 { "" } else { "s" },
                path.display()
            )),
            None => err.push_str(&format!(
                "✗ {} row{} rejected (shown above)\n",
                st.rejected,
                if st.rejected == 1 { "" } else { "s" }
            )),
        }
    }
    let _ = std::io::stderr().write_all(err.as_bytes());
    u8::from(st.rejected > 0 || !r.holds)
}
