//! Settling a whole sales ledger: `splitdsl run FILE --sales SALES.csv`.
//!
//! The ledger is read in blocks of whole records ([`reader`]); each block is
//! parsed, evaluated and written to a buffer by a worker ([`settle`](mod@settle)), and the
//! buffers are written out in input order, so the output does not depend on
//! the number of threads. Memory stays bounded: a few blocks are in flight at
//! a time, whatever the size of the ledger. Each worker keeps its own exact
//! totals ([`statement`]), added up at the end and reconciled.
//!
//! Threads: std scoped threads and bounded `std::sync::mpsc` channels. Block
//! `k` goes to worker `k mod n` and the writer takes results round-robin from
//! the workers in the same order, so no reordering buffer is needed; the
//! bounded channels give back-pressure in both directions.

pub mod codes;
pub mod field;
pub mod ids;
pub mod reader;
pub mod settle;
pub mod statement;

use crate::agreement::Agreement;
#[cfg(feature = "cli")]
use crate::agreement::Source;
#[cfg(feature = "cli")]
use crate::cli::{load_with_overrides, print_diagnostics, Format};
use crate::diag::{render, render_at, Diagnostic, Style};
use crate::eval::Inputs;
#[cfg(feature = "cli")]
use crate::output::Output;
pub use reader::Delimiter;
use reader::{json_keys, split_csv, BlockReader, Fields, ReadError, SalesFormat};
pub use settle::{Against, Chunk, Layout, OutFormat, Reject, Settler};
pub use statement::{Reconciliation, Statement};
#[cfg(feature = "cli")]
use std::fs::File;
#[cfg(feature = "cli")]
use std::io::IsTerminal;
use std::io::{Read, Write};
#[cfg(feature = "cli")]
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

/// The `run` options of batch mode.
#[cfg(feature = "cli")]
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
}

/// How to settle a ledger.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The format of the per-sale output.
    pub format: OutFormat,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// The CSV delimiter; `None` detects it from the header.
    pub delimiter: Option<Delimiter>,
}

/// The delimiter that splits `header` into the most names the agreement
/// knows (an input, a value, `kind`, an id), then into the most fields;
/// on a tie `,`, then `;`, then tab.
pub fn detect_delimiter(agreement: &Agreement, header: &[u8]) -> Delimiter {
    let p = &agreement.program;
    let mut f = Fields::default();
    let mut best = (Delimiter::Comma, (0usize, 0usize));
    for d in Delimiter::ALL {
        if split_csv(header, d.byte(), &mut f).is_err() {
            continue;
        }
        let known = (0..f.len())
            .filter_map(|i| f.get(i))
            .map(|n| String::from_utf8_lossy(field::trim(n)).into_owned())
            .filter(|n| {
                p.slot(n).is_some()
                    || n == "kind"
                    || n.eq_ignore_ascii_case("id")
                    || n.to_ascii_lowercase().ends_with("_id")
            })
            .count();
        let score = (known, f.len());
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

/// What the caller hears while a ledger is settled (on the calling thread).
pub trait Observer {
    /// A rejected row, in input order.
    fn reject(&mut self, reject: &Reject) -> std::io::Result<()>;
    /// Progress: `bytes` and `records` more were settled.
    fn progress(&mut self, _bytes: u64, _records: u64) {}
    /// A warning about the header; spans point into `header`.
    fn warning(&mut self, _diagnostic: &Diagnostic, _header: &str) {}
}

/// Collects rejects in memory (for tests and small ledgers).
impl Observer for Vec<Reject> {
    fn reject(&mut self, reject: &Reject) -> std::io::Result<()> {
        self.push(reject.clone());
        Ok(())
    }
}

/// Why a ledger could not be settled at all.
#[derive(Debug)]
pub enum Fatal {
    /// The ledger is empty: no header.
    Empty,
    /// The header is wrong; the diagnostic's spans point into `header`.
    Header {
        /// What is wrong.
        diagnostic: Diagnostic,
        /// The header line.
        header: String,
    },
    /// Reading failed.
    Read(ReadError),
    /// Writing failed.
    Write(String),
    /// Something else (totals overflow, an internal error).
    Other(Diagnostic),
}

impl Fatal {
    /// The problem as a diagnostic, with the text its spans point into.
    pub fn diagnostic(&self) -> (Diagnostic, String) {
        match self {
            Fatal::Empty => (
                Diagnostic::error(
                    "splitdsl::batch::empty",
                    "the ledger is empty: no header line",
                )
                .help("the first line names the columns, e.g. `sale_id,date,price`"),
                String::new(),
            ),
            Fatal::Header { diagnostic, header } => (diagnostic.clone(), header.clone()),
            Fatal::Read(e) => (
                Diagnostic::error("splitdsl::batch::read", e.message.clone()),
                String::new(),
            ),
            Fatal::Write(m) => (
                Diagnostic::error("splitdsl::batch::write", m.clone()),
                String::new(),
            ),
            Fatal::Other(d) => (d.clone(), String::new()),
        }
    }
}

/// A settled ledger's totals.
#[derive(Debug)]
pub struct Settlement {
    /// The statement.
    pub statement: Statement,
    /// Its reconciliation.
    pub reconciliation: Reconciliation,
}

/// Settles the ledger `input` with `agreement` (`base` holds `--set`
/// overrides, which a row's own cells win over), writing per-sale rows to
/// `output` in input order with `threads` workers.
pub fn settle<R: Read + Send, W: Write>(
    agreement: &Agreement,
    base: &Inputs,
    input: R,
    output: W,
    format: OutFormat,
    threads: usize,
    observer: &mut dyn Observer,
) -> Result<Settlement, Fatal> {
    let options = Options {
        format,
        threads,
        delimiter: None,
    };
    settle_with(agreement, base, input, output, &options, observer)
}

/// [`settle()`], with every option.
pub fn settle_with<R: Read + Send, W: Write>(
    agreement: &Agreement,
    base: &Inputs,
    input: R,
    mut output: W,
    options: &Options,
    observer: &mut dyn Observer,
) -> Result<Settlement, Fatal> {
    let (format, threads) = (options.format, options.threads);
    let p = &agreement.program;
    let mut reader = BlockReader::new(input);
    let sales_format = reader.sniff().map_err(Fatal::Read)?;
    reader.set_format(sales_format);
    let header = reader
        .first_record(sales_format == SalesFormat::Csv)
        .map_err(Fatal::Read)?
        .ok_or(Fatal::Empty)?;
    let header_text = String::from_utf8_lossy(&header).into_owned();
    let header_error = |diagnostic: Diagnostic| Fatal::Header {
        diagnostic,
        header: header_text.clone(),
    };
    let delimiter = match sales_format {
        SalesFormat::Csv => options
            .delimiter
            .unwrap_or_else(|| detect_delimiter(agreement, &header)),
        SalesFormat::Jsonl => Delimiter::Comma,
    };
    let (names, spans) = match sales_format {
        SalesFormat::Csv => {
            let mut f = Fields::default();
            split_csv(&header, delimiter.byte(), &mut f).map_err(|e| {
                header_error(
                    Diagnostic::error(e.code, e.message)
                        .primary(crate::span::Span::new(e.span.0, e.span.1), "")
                        .maybe_help(e.help),
                )
            })?;
            let names = (0..f.len())
                .map(|i| {
                    String::from_utf8_lossy(field::trim(f.get(i).unwrap_or_default())).into_owned()
                })
                .collect::<Vec<_>>();
            (names, f.spans.clone())
        }
        SalesFormat::Jsonl => {
            let keys = json_keys(&header).map_err(|e| {
                header_error(Diagnostic::error(e.code, e.message).help(
                    "the first line of a JSON Lines ledger is an object; its keys name the columns",
                ))
            })?;
            let spans = vec![(0, header.len()); keys.len()];
            (keys, spans)
        }
    };
    let layout = Layout::new(agreement, sales_format, delimiter, names, &spans, base)
        .map_err(|e| header_error(e.diagnostic))?;
    for w in &layout.warnings {
        observer.warning(w, &header_text);
    }
    let werr = |e: std::io::Error| Fatal::Write(format!("cannot write the output: {e}"));
    if format == OutFormat::Csv {
        output
            .write_all(&layout.csv_header(agreement))
            .map_err(werr)?;
    }

    let mut emit = |chunk: &mut Chunk| -> Result<(), Fatal> {
        output.write_all(&chunk.rows).map_err(werr)?;
        for r in &chunk.rejects {
            observer
                .reject(r)
                .map_err(|e| Fatal::Write(format!("cannot write the rejected rows: {e}")))?;
        }
        observer.progress(chunk.bytes, chunk.records);
        Ok(())
    };

    let threads = threads.max(1);
    let mut statement = Statement::new(p);
    // Ids are checked in input order, as blocks are cut, before they are settled.
    let mut index = ids::IdIndex::new();
    if threads == 1 {
        let mut settler = Settler::new(agreement, &layout, base, format);
        let mut chunk = Chunk::default();
        while let Some(mut block) = reader.next_block().map_err(Fatal::Read)? {
            index.scan(&mut block, &layout);
            chunk.rows.clear();
            chunk.rejects.clear();
            chunk.records = 0;
            settler.settle_block(&block, &mut chunk);
            emit(&mut chunk)?;
        }
        statement = settler.statement;
    } else {
        let layout = &layout;
        let parts = std::thread::scope(|s| -> Result<Vec<Statement>, Fatal> {
            let mut block_txs = Vec::with_capacity(threads);
            let mut result_rxs = Vec::with_capacity(threads);
            let mut workers = Vec::with_capacity(threads);
            for _ in 0..threads {
                let (btx, brx) = sync_channel::<reader::Block>(2);
                let (rtx, rrx) = sync_channel::<Chunk>(2);
                block_txs.push(btx);
                result_rxs.push(rrx);
                workers.push(s.spawn(move || {
                    let mut settler = Settler::new(agreement, layout, base, format);
                    for block in brx {
                        let mut chunk = Chunk {
                            rows: Vec::with_capacity(block.data.len() * 2),
                            ..Chunk::default()
                        };
                        settler.settle_block(&block, &mut chunk);
                        drop(block);
                        if rtx.send(chunk).is_err() {
                            break;
                        }
                    }
                    settler.statement
                }));
            }
            let index = &mut index;
            let feeder = s.spawn(move || -> Result<(), ReadError> {
                let mut k = 0usize;
                while let Some(mut block) = reader.next_block()? {
                    index.scan(&mut block, layout);
                    let Some(tx) = block_txs.get(k % block_txs.len()) else {
                        return Ok(());
                    };
                    if tx.send(block).is_err() {
                        return Ok(()); // the writer stopped
                    }
                    k += 1;
                }
                Ok(())
            });
            let mut outcome = Ok(());
            let mut seq = 0usize;
            while let Some(rx) = result_rxs.get(seq % threads) {
                let Ok(mut chunk) = rx.recv() else { break };
                if let Err(e) = emit(&mut chunk) {
                    outcome = Err(e);
                    break;
                }
                seq += 1;
            }
            drop(result_rxs);
            let internal = || {
                Fatal::Other(Diagnostic::error(
                    "splitdsl::internal",
                    "internal error: a settlement thread failed; please report this",
                ))
            };
            let read = feeder.join().map_err(|_| internal())?;
            let mut parts = Vec::with_capacity(threads);
            for w in workers {
                parts.push(w.join().map_err(|_| internal())?);
            }
            outcome?;
            read.map_err(Fatal::Read)?;
            Ok(parts)
        })?;
        for part in &parts {
            statement.merge(part).map_err(Fatal::Other)?;
        }
    }
    statement.orphans = index.orphans();
    output
        .flush()
        .map_err(|e| Fatal::Write(format!("cannot write the output: {e}")))?;
    let reconciliation = statement.reconcile(p).map_err(Fatal::Other)?;
    Ok(Settlement {
        statement,
        reconciliation,
    })
}

#[cfg(feature = "cli")]
fn wants_json(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "jsonl" | "ndjson")
    )
}

/// The command line's observer: rejects to stderr or a file, a progress bar.
#[cfg(feature = "cli")]
struct CliObserver<'a> {
    agreement: &'a Agreement,
    sales_name: String,
    rejects: Option<Output>,
    rejects_json: bool,
    rejected: u64,
    bar: Option<indicatif::ProgressBar>,
    style: Style,
}

#[cfg(feature = "cli")]
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
                d.code,
                &d.message,
                d.help.as_deref().unwrap_or(""),
                &r.record,
            ] {
                out.push(b',');
                settle::write_csv_field(&mut out, s.as_bytes());
            }
            out.push(b'\n');
            f.write_all(&out)
        }
    }
}

#[cfg(feature = "cli")]
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

/// A rejected row as a rendered diagnostic, its message led by the row's
/// place: `sales.csv, line 5 (sale_id S0004): …`.
pub fn render_reject(r: &Reject, agreement: &Agreement, sales_name: &str, style: Style) -> String {
    let mut d = r.diagnostic.clone();
    let id =
        r.id.as_deref()
            .map_or(String::new(), |id| format!(" ({id})"));
    d.message = format!("{sales_name}, line {}{id}: {}", r.line, d.message);
    match r.against {
        Against::Row => render_at(
            &d,
            sales_name,
            &r.record,
            usize::try_from(r.line).unwrap_or(usize::MAX),
            style,
        ),
        Against::Agreement => render(&d, &agreement.source.name, &agreement.source.text, style),
    }
}

/// `splitdsl run FILE --sales SALES …`: settles the ledger and prints the
/// statement. Returns the exit status.
#[cfg(feature = "cli")]
pub fn run_cli(file: &Path, set: &[String], format: Option<Format>, args: &BatchArgs) -> u8 {
    let Some(sales) = &args.sales else {
        return 2;
    };
    let out_format = match format {
        None | Some(Format::Csv) => OutFormat::Csv,
        Some(Format::Jsonl) => OutFormat::Jsonl,
        Some(f) => {
            eprintln!(
                "error: `--format {}` shows one sale; with --sales, use `--format csv` (the default) or `--format jsonl`",
                if f == Format::Json { "json" } else { "table" }
            );
            return 2;
        }
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
            &[Diagnostic::error("splitdsl::batch::io", what).help(help)],
        );
        1
    };
    let (input, len): (Box<dyn Read + Send>, Option<u64>) = if is_stdin {
        (Box::new(std::io::stdin()), None)
    } else {
        if sales.is_dir() {
            return cant(
                format!("`{sales_name}` is a directory, not a ledger"),
                "give a CSV or JSON Lines file",
            );
        }
        match File::open(sales) {
            Ok(f) => {
                let len = f.metadata().ok().map(|m| m.len());
                (Box::new(f), len)
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
        format: out_format,
        threads,
        delimiter: args.delimiter,
    };
    let result = settle_with(
        &agreement,
        &inputs,
        input,
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
