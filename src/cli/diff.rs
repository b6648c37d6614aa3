//! `splitdsl diff OLD NEW [--set NAME=EXPR]… [--sales LEDGER] [--format
//! table|json]`: reads the arguments, calls `crate::diff` and renders what
//! it finds as aligned tables or the JSON of docs/language.md section 7.6.

use super::load::{print_diagnostics, print_failure};
use crate::agreement::{Agreement, Source};
use crate::batch::{render_reject, Reject};
use crate::diag::{render, Diagnostic, Style};
use crate::diff::{self, DiffObserver, Money, SaleDiff, SalesDiff, Side, Statements};
use crate::textwidth::{self as tw, Align};
use crate::value::format_amount;
use rust_decimal::Decimal;
use serde_json::{json, Value as Json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Output format of `diff`.
#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum DiffFormat {
    /// Aligned tables.
    Table,
    /// The JSON of docs/language.md section 7.6.
    Json,
}

/// The arguments of `diff`.
#[derive(clap::Args, Debug, Clone)]
pub struct DiffArgs {
    /// The agreement as it is.
    pub old: PathBuf,
    /// The proposed agreement.
    pub new: PathBuf,
    /// Override an input of both sides (or of the side that has it), e.g.
    /// `--set price=197.00USD` (repeatable).
    #[arg(long = "set", value_name = "NAME=EXPR", value_parser = super::set_arg)]
    pub set: Vec<String>,
    /// Also settle every row of a ledger (CSV or JSON Lines; `-` is stdin)
    /// with both agreements and compare each party's totals.
    #[arg(long, value_name = "SALES")]
    pub sales: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
}

/// Renders the rejected rows on stderr as they come.
struct Rejects<'a> {
    old: &'a Agreement,
    new: &'a Agreement,
    sales_name: &'a str,
    style: Style,
}

impl Rejects<'_> {
    fn eprint(text: &str) {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    fn side_name(&self, side: Side) -> String {
        format!("{} under {}", self.sales_name, side.word())
    }
}

impl DiffObserver for Rejects<'_> {
    fn reject(&mut self, old: Option<&Reject>, new: Option<&Reject>) {
        let same = |a: &Reject, b: &Reject| {
            a.diagnostic.code == b.diagnostic.code && a.diagnostic.message == b.diagnostic.message
        };
        match (old, new) {
            // A row both reject for the same reason in the ledger itself: once.
            (Some(a), Some(b)) if same(a, b) && a.against == crate::batch::Against::Row => {
                Self::eprint(&render_reject(a, self.old, self.sales_name, self.style));
            }
            _ => {
                if let Some(a) = old {
                    let name = self.side_name(Side::Old);
                    Self::eprint(&render_reject(a, self.old, &name, self.style));
                }
                if let Some(b) = new {
                    let name = self.side_name(Side::New);
                    Self::eprint(&render_reject(b, self.new, &name, self.style));
                }
            }
        }
    }

    fn warning(&mut self, side: Side, d: &Diagnostic, header: &str) {
        let name = self.side_name(side);
        Self::eprint(&render(d, &name, header, self.style));
    }
}

/// Whether `path` names something that exists (`-` is stdin).
fn missing(path: &Path, what: &str) -> Option<u8> {
    if crate::output::is_dash(path) && what == "the ledger" || path.exists() {
        return None;
    }
    eprintln!("error: {what} `{}` does not exist", path.display());
    Some(2)
}

/// `splitdsl diff …`; returns the exit status.
pub fn run(args: &DiffArgs) -> u8 {
    for (path, what) in [(&args.old, "OLD"), (&args.new, "NEW")] {
        if let Some(code) = missing(path, what) {
            return code;
        }
    }
    if let Some(code) = args.sales.as_deref().and_then(|s| missing(s, "the ledger")) {
        return code;
    }
    // Both files are checked, so the diagnostics of both are shown.
    let (old, new) = (
        Agreement::load_failure(&args.old),
        Agreement::load_failure(&args.new),
    );
    let (old, new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            for f in [o.err(), n.err()].into_iter().flatten() {
                print_failure(&f);
            }
            return 1;
        }
    };
    let inputs = match diff::overrides(&old, &new, &args.set) {
        Ok(i) => i,
        Err(f) => {
            print_failure(&f);
            return 1;
        }
    };
    let statements = diff::statements(&old, &new);
    let sale = match diff::sale(&old, &inputs.old, &new, &inputs.new) {
        Ok(s) => s,
        Err((side, d)) => {
            let a = if side == Side::Old { &old } else { &new };
            print_diagnostics(&a.source, &[d]);
            return 1;
        }
    };
    let sales = match &args.sales {
        None => None,
        Some(path) => match ledger(&old, &new, &inputs, path) {
            Ok(s) if crate::output::is_dash(path) => Some(("<stdin>".to_string(), s)),
            Ok(s) => Some((path.display().to_string(), s)),
            Err(code) => return code,
        },
    };
    let names = (
        old.source.name.as_str(),
        new.source.name.as_str(),
        args.set.as_slice(),
    );
    let text = match args.format {
        DiffFormat::Table => table(names, &inputs.notes, &statements, &sale, sales.as_ref()),
        DiffFormat::Json => {
            let j = to_json(names, &inputs.notes, &statements, &sale, sales.as_ref());
            serde_json::to_string_pretty(&j).unwrap_or_default() + "\n"
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    0
}

/// Settles the ledger at `path` with both sides; prints its problems.
fn ledger(
    old: &Agreement,
    new: &Agreement,
    inputs: &diff::Overrides,
    path: &Path,
) -> Result<SalesDiff, u8> {
    let is_stdin = crate::output::is_dash(path);
    let sales_name = if is_stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let cant = |what: String| {
        let src = Source {
            name: sales_name.clone(),
            text: String::new(),
        };
        print_diagnostics(
            &src,
            &[Diagnostic::error(crate::codes::BATCH_IO, what)
                .help("give a CSV, JSON Lines or Parquet file")],
        );
        1
    };
    let input: Box<dyn Read> = if is_stdin {
        Box::new(std::io::stdin())
    } else if path.is_dir() {
        return Err(cant(format!("`{sales_name}` is a directory, not a ledger")));
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => return Err(cant(format!("cannot read the ledger `{sales_name}`: {e}"))),
        }
    };
    let style = Style::for_stderr();
    let mut observer = Rejects {
        old,
        new,
        sales_name: &sales_name,
        style,
    };
    // A Parquet ledger (by its name or its first bytes): the same diff
    // through the Parquet record source.
    #[cfg(feature = "parquet")]
    let result = if !is_stdin && super::formats::sales_are_parquet(path, None) {
        drop(input);
        match std::fs::File::open(path) {
            Ok(f) => match crate::batch::parquet::ParquetSource::new(f, old) {
                Ok(source) => {
                    diff::sales_from(old, &inputs.old, new, &inputs.new, source, &mut observer)
                }
                Err(e) => Err(Box::new(diff::SalesError {
                    side: None,
                    fatal: crate::batch::Fatal::Read(e),
                })),
            },
            Err(e) => return Err(cant(format!("cannot read the ledger `{sales_name}`: {e}"))),
        }
    } else {
        diff::sales(old, &inputs.old, new, &inputs.new, input, &mut observer)
    };
    #[cfg(not(feature = "parquet"))]
    let result = diff::sales(old, &inputs.old, new, &inputs.new, input, &mut observer);
    result.map_err(|e| {
        let (d, text) = e.fatal.diagnostic();
        let name = match e.side {
            Some(s) => format!("{sales_name} under {}", s.word()),
            None => sales_name.clone(),
        };
        let _ = std::io::stderr().write_all(render(&d, &name, &text, style).as_bytes());
        1
    })
}

// ---------------------------------------------------------------- table

/// Aligns `rows`: the first `left` columns to the left, the rest to the right.
fn align(rows: &[Vec<String>], left: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| tw::column(rows.iter().filter_map(|r| r.get(i)).map(String::as_str)))
        .collect();
    let mut s = String::new();
    for r in rows {
        let mut line = String::from("  ");
        for (i, (c, w)) in r.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            tw::pad(
                &mut line,
                c,
                *w,
                if i < left { Align::Left } else { Align::Right },
            );
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// An amount as the tables show it: without the currency when every
/// amount of the table is in `one` currency.
fn amount(m: Option<Money>, one: bool) -> String {
    match m {
        Some(m) if one => format_amount(m.amount, m.currency),
        Some(m) => m.to_string(),
        None => "—".into(),
    }
}

/// A difference: signed, `—` when there is none (another currency).
fn signed(m: Option<Money>, one: bool) -> String {
    match m {
        Some(m) if m.amount > Decimal::ZERO => format!("+{}", amount(Some(m), one)),
        m => amount(m, one),
    }
}

/// Where a party is: `only in OLD` / `only in NEW`.
fn presence(before: Option<Money>, after: Option<Money>) -> String {
    match (before, after) {
        (Some(_), None) => "only in OLD".into(),
        (None, Some(_)) => "only in NEW".into(),
        _ => String::new(),
    }
}

/// The single currency of all `amounts`, if they share one.
fn one_currency<'a>(amounts: impl IntoIterator<Item = &'a Option<Money>>) -> Option<String> {
    let mut cur = None;
    for m in amounts.into_iter().flatten() {
        match cur {
            None => cur = Some(m.currency),
            Some(c) if c != m.currency => return None,
            _ => {}
        }
    }
    cur.map(|c| c.to_string())
}

/// The widest formula shown beside the other in the statements' table.
const SIDE_BY_SIDE: usize = 48;

type Names<'a> = (&'a str, &'a str, &'a [String]);

fn table(
    (old, new, set): Names<'_>,
    notes: &[String],
    st: &Statements,
    sale: &SaleDiff,
    sales: Option<&(String, SalesDiff)>,
) -> String {
    let mut s = format!("OLD {old}\nNEW {new}\n\n");
    // Statements.
    let n = |v: usize, what: &str| format!("{v} {what}");
    s.push_str(&format!(
        "Statements: {}, {}, {}\n",
        n(st.added.len(), "added"),
        n(st.removed.len(), "removed"),
        n(st.changed.len(), "changed")
    ));
    if !st.is_empty() {
        let mut rows = vec![vec![
            String::new(),
            "kind".into(),
            "name".into(),
            "OLD".into(),
            "NEW".into(),
        ]];
        let name = |n: &Option<String>| n.clone().unwrap_or_default();
        // A formula too long to sit beside the other goes under its row.
        let mut long = String::new();
        for c in &st.changed {
            if tw::width(&c.old).max(tw::width(&c.new)) <= SIDE_BY_SIDE {
                rows.push(vec![
                    "changed".into(),
                    c.kind.into(),
                    name(&c.name),
                    c.old.clone(),
                    c.new.clone(),
                ]);
            } else {
                long.push_str(&format!(
                    "  changed  {}  {}\n    OLD  {}\n    NEW  {}\n",
                    c.kind,
                    name(&c.name),
                    c.old,
                    c.new
                ));
            }
        }
        for (what, side, list) in [("added", "NEW", &st.added), ("removed", "OLD", &st.removed)] {
            for e in list {
                if tw::width(&e.formula) > SIDE_BY_SIDE {
                    long.push_str(&format!(
                        "  {what}  {}  {}\n    {side}  {}\n",
                        e.kind,
                        name(&e.name),
                        e.formula
                    ));
                    continue;
                }
                let (old, new) = if side == "NEW" {
                    ("—".into(), e.formula.clone())
                } else {
                    (e.formula.clone(), "—".into())
                };
                rows.push(vec![what.into(), e.kind.into(), name(&e.name), old, new]);
            }
        }
        if rows.len() > 1 {
            s.push_str(&align(&rows, 5));
        }
        s.push_str(&long);
    }
    // One sale.
    let given = if set.is_empty() {
        "the defaults".to_string()
    } else {
        set.iter()
            .map(|a| format!("--set {a}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (pb, pa) = sale.price;
    s.push_str(&format!("\nOne sale ({given}): price {pb} → {pa}\n"));
    for note in notes {
        s.push_str(&format!("  note: {note}\n"));
    }
    let all = sale
        .parties
        .iter()
        .flat_map(|p| [p.before, p.after])
        .collect::<Vec<_>>();
    let cur = one_currency(&all);
    let one = cur.is_some();
    let mut rows = vec![vec![
        cur.map(|c| format!("({c})")).unwrap_or_default(),
        String::new(),
        String::new(),
        "before".into(),
        "after".into(),
        "difference".into(),
        String::new(),
    ]];
    for p in &sale.parties {
        rows.push(vec![
            p.kind.into(),
            if p.kind == "unallocated" {
                String::new()
            } else {
                p.name.clone()
            },
            p.label.clone().unwrap_or_default(),
            amount(p.before, one),
            amount(p.after, one),
            signed(p.difference(), one),
            presence(p.before, p.after),
        ]);
    }
    s.push_str(&align(&rows, 3));
    let mark = |h: Option<bool>| match h {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "—",
    };
    for r in &sale.requirements {
        let only = match (r.before, r.after) {
            (Some(_), None) => "  (only in OLD)",
            (None, Some(_)) => "  (only in NEW)",
            _ => "",
        };
        s.push_str(&format!(
            "  {} → {}  {}{only}\n",
            mark(r.before),
            mark(r.after),
            r.message
        ));
    }
    // A ledger.
    if let Some((name, d)) = sales {
        s.push_str(&format!(
            "\nLedger {name}: {} row{}; rejected: {} by OLD, {} by NEW\n",
            d.rows,
            if d.rows == 1 { "" } else { "s" },
            d.rejected_old,
            d.rejected_new
        ));
        let all = d
            .parties
            .iter()
            .flat_map(|p| [p.before, p.after])
            .collect::<Vec<_>>();
        let cur = one_currency(&all);
        let one = cur.is_some();
        let mut rows = vec![vec![
            cur.map(|c| format!("({c})")).unwrap_or_default(),
            String::new(),
            "before".into(),
            "after".into(),
            "difference".into(),
            "rows changed".into(),
            String::new(),
        ]];
        for p in &d.parties {
            rows.push(vec![
                p.kind.into(),
                if p.kind == "unallocated" || p.kind == "price" {
                    String::new()
                } else {
                    p.name.clone()
                },
                amount(p.before, one),
                amount(p.after, one),
                signed(p.difference(), one),
                p.changed.to_string(),
                presence(p.before, p.after),
            ]);
        }
        s.push_str(&align(&rows, 2));
    }
    s
}

// ---------------------------------------------------------------- JSON

/// Money as the JSON contract writes it, or null.
fn money_json(m: Option<Money>) -> Json {
    match m {
        Some(m) => {
            json!({"amount": format_amount(m.amount, m.currency), "currency": m.currency.code()})
        }
        None => Json::Null,
    }
}

fn to_json(
    (old, new, _): Names<'_>,
    notes: &[String],
    st: &Statements,
    sale: &SaleDiff,
    sales: Option<&(String, SalesDiff)>,
) -> Json {
    let entry = |e: &diff::Entry| json!({"kind": e.kind, "name": e.name, "formula": e.formula});
    let statements = json!({
        "added": st.added.iter().map(entry).collect::<Vec<_>>(),
        "removed": st.removed.iter().map(entry).collect::<Vec<_>>(),
        "changed": st.changed.iter().map(|c| json!({"kind": c.kind, "name": c.name, "old": c.old, "new": c.new})).collect::<Vec<_>>(),
    });
    let (pb, pa) = sale.price;
    let sale_json = json!({
        "price": {"before": money_json(Some(pb)), "after": money_json(Some(pa))},
        "parties": sale.parties.iter().map(|p| json!({
            "name": p.name,
            "kind": p.kind,
            "label": p.label,
            "before": money_json(p.before),
            "after": money_json(p.after),
            "difference": money_json(p.difference()),
        })).collect::<Vec<_>>(),
        "requirements": sale.requirements.iter().map(|r| json!({
            "message": r.message,
            "before": r.before,
            "after": r.after,
        })).collect::<Vec<_>>(),
    });
    let sales_json = match sales {
        None => Json::Null,
        Some((_, d)) => json!({
            "parties": d.parties.iter().map(|p| json!({
                "name": p.name,
                "kind": p.kind,
                "before": money_json(p.before),
                "after": money_json(p.after),
                "difference": money_json(p.difference()),
                "changed": p.changed,
            })).collect::<Vec<_>>(),
            "rows": d.rows,
            "rejected": {"old": d.rejected_old, "new": d.rejected_new},
        }),
    };
    json!({
        "old": old,
        "new": new,
        "notes": notes,
        "statements": statements,
        "sale": sale_json,
        "sales": sales_json,
    })
}
