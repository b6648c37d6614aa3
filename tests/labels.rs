//! Labels and names of any length and any script (issue 12, "Never panic"):
//! every table lines up in display columns (CJK and emoji take two, a
//! combining mark none), nothing panics on a label wider than a format
//! width allows (65,535), and a label that holds a line break or another
//! control character is an error at `check` time.
//!
//! Cases default to 24 per property; set `PROPTEST_CASES` for more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "cli")]
use assert_cmd::Command;
use proptest::prelude::*;
use splitdsl::batch::statement::Kind;
use splitdsl::batch::Statement;
use splitdsl::chart::{self, Waterfall};
use splitdsl::eval::Outcome;
use splitdsl::repl::Session;
use splitdsl::{report, Agreement};
use unicode_width::UnicodeWidthStr;

/// Display columns of the test's own labels, written out by hand (not by
/// the crate the code under test uses): ASCII 1, a combining acute 0, the
/// CJK ideographs and the emoji 2.
fn hand_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '\u{301}' => 0,
            '株' | '式' | '会' | '社' | '🎉' => 2,
            // The chart's block elements.
            '\u{2580}'..='\u{259F}' => 1,
            c if c.is_ascii() => 1,
            c => panic!("no hand width for {c:?}"),
        })
        .sum()
}

/// The display column where byte `at` of `line` starts.
fn col(line: &str, at: usize) -> usize {
    hand_width(&line[..at])
}

const WIDE: &str = "agreement \"Wide\"
price = 100.00 USD
fee ana \"Ana\" = 10.00 USD
share jose \"Jose\u{301}\" = 10.00 USD
share kk \"株式会社\" = 10.00 USD
share party \"🎉 party\" = remaining
";

const LABELS: [(&str, &str); 4] = [
    ("ana", "Ana"),
    ("jose", "Jose\u{301}"),
    ("kk", "株式会社"),
    ("party", "🎉 party"),
];

fn compile(src: &str) -> Agreement {
    Agreement::compile_failure("labels.split", src)
        .map_err(|f| f.diagnostics)
        .unwrap()
}

fn evaluate(a: &Agreement) -> Outcome {
    a.evaluate_outcome(&a.raw_inputs()).unwrap()
}

/// One sale's statement amounts in cents: the price, each deduction, the
/// unallocated rest.
fn cents(a: &Agreement, out: &Outcome) -> Vec<i128> {
    let cents = |v: rust_decimal::Decimal| {
        let mut c = v * rust_decimal::Decimal::ONE_HUNDRED;
        c.rescale(0);
        c.mantissa()
    };
    let mut amounts = vec![cents(splitdsl::summary::price(out))];
    for d in &a.program.deductions {
        amounts.push(cents(out.value(d.slot).unwrap().decimal().unwrap()));
    }
    amounts.push(cents(out.unallocated()));
    amounts
}

/// The line of `text` that holds `label` after `name`.
fn row_of<'t>(text: &'t str, name: &str, label: &str) -> &'t str {
    text.lines()
        .find(|l| {
            l.split_whitespace().any(|w| w == name) && l.contains(label) && !l.contains("→ ✓")
        })
        .unwrap_or_else(|| panic!("no row for {name} in\n{text}"))
}

/// For each labelled row: (display column where the label starts, display
/// column where `marker`, searched from the right, starts).
fn columns(text: &str, marker: &str) -> Vec<(usize, usize)> {
    LABELS
        .iter()
        .map(|(name, label)| {
            let row = row_of(text, name, label);
            let l = row.find(label).unwrap();
            let m = row.rfind(marker).unwrap();
            (col(row, l), col(row, m))
        })
        .collect()
}

#[track_caller]
fn all_equal(v: &[(usize, usize)], text: &str) {
    assert!(v.windows(2).all(|w| w[0] == w[1]), "{v:?} in\n{text}");
}

#[test]
fn wide_labels_line_up_in_run_tables() {
    let a = compile(WIDE);
    let out = evaluate(&a);
    let text = report::table(&a.program, &out, &[]);
    // Every amount is `10.00 USD` except the last, `70.00 USD`: the same
    // width, so label and amount columns start at one display column each.
    let v = columns(&text, "0.00 USD");
    all_equal(&v, &text);
    // The label column is 8 display columns (株式会社, 🎉 party), then a gap
    // of 3, then the amount's first digit before `0.00 USD`.
    let (label_col, amount_col) = v[0];
    assert_eq!(amount_col - label_col, 8 + 3 + 1, "{text}");
    assert_eq!(hand_width("Jose\u{301}"), 4);
}

#[test]
fn wide_labels_line_up_in_the_ledger_statement() {
    let a = compile(WIDE);
    let out = evaluate(&a);
    let mut st = Statement::new(&a.program);
    st.add(Kind::Sale, &cents(&a, &out)).unwrap();
    let r = st.reconcile(&a.program).unwrap();
    assert!(r.holds);
    let text = st.table(&a.program, &r);
    // The label column, and the right edge of the last (right-aligned) column.
    let v: Vec<(usize, usize)> = LABELS
        .iter()
        .map(|(name, label)| {
            let row = row_of(&text, name, label);
            (col(row, row.find(label).unwrap()), col(row, row.len()))
        })
        .collect();
    all_equal(&v, &text);
}

#[test]
fn wide_labels_line_up_in_the_repl_what_if_table() {
    let mut s = Session::from_text("labels.split", WIDE).unwrap();
    let reply = s.handle("what if price = 200.00 USD");
    assert!(reply.diagnostics.is_empty(), "{}", reply.output);
    let text = reply.output;
    // Right-aligned numbers: every row ends at the same display column.
    let v: Vec<(usize, usize)> = LABELS
        .iter()
        .map(|(name, label)| {
            let row = row_of(&text, name, label);
            (col(row, row.find(label).unwrap()), col(row, row.len()))
        })
        .collect();
    all_equal(&v, &text);
}

#[test]
fn wide_labels_line_up_in_the_terminal_chart() {
    let a = compile(WIDE);
    let out = evaluate(&a);
    let w = Waterfall::new(&a.program, &out, "t");
    for unicode in [true, false] {
        let text = chart::terminal(&w, unicode, 20);
        // The bars start after the label column, the currency after the
        // amount column: both at one display column on every row.
        let v: Vec<(usize, usize)> = LABELS
            .iter()
            .map(|(name, label)| {
                let row = row_of(&text, name, label);
                let l = row.find(label).unwrap() + label.len();
                let bar = l + row[l..].find(|c: char| c != ' ').unwrap();
                (col(row, bar), col(row, row.rfind(" USD").unwrap()))
            })
            .collect();
        all_equal(&v, &text);
    }
}

/// The label of a 65,526-character label panicked in `run` and in the ledger
/// statement: "Formatting argument out of range".
#[cfg(feature = "cli")]
#[test]
fn a_label_wider_than_a_format_width_runs() {
    let dir = tempfile::tempdir().unwrap();
    let label = "x".repeat(65_526);
    let file = dir.path().join("long.split");
    std::fs::write(
        &file,
        format!("agreement \"T\"\nprice = 100.00 USD\nshare a \"{label}\" = remaining\n"),
    )
    .unwrap();
    let sales = dir.path().join("sales.csv");
    std::fs::write(&sales, "price\n100.00\n50.00\n").unwrap();
    let run = Command::cargo_bin("splitdsl")
        .unwrap()
        .arg("run")
        .arg(&file)
        .assert()
        .success();
    let text = String::from_utf8(run.get_output().stdout.clone()).unwrap();
    assert!(text.contains(&label), "{}", &text[..200.min(text.len())]);
    let run = Command::cargo_bin("splitdsl")
        .unwrap()
        .arg("run")
        .arg(&file)
        .arg("--sales")
        .arg(&sales)
        .assert()
        .success();
    let out = String::from_utf8_lossy(&run.get_output().stdout).into_owned()
        + &String::from_utf8_lossy(&run.get_output().stderr);
    assert!(out.contains(&label), "{}", &out[..300.min(out.len())]);
}

// ------------------------------------------------------------ control chars

/// A quoted text with `c` in it, written raw or as an escape.
fn with_char(c: char) -> String {
    match c {
        '\n' => "line\\nbreak".into(),
        '\t' => "tab\\there".into(),
        c => format!("a{c}b"),
    }
}

const REFUSED: [char; 9] = [
    '\n', '\t', '\r', '\u{1}', '\u{7F}', '\u{85}', '\u{202E}', '\u{2067}', '\u{2028}',
];

#[test]
fn a_control_character_in_any_quoted_text_is_an_error_at_its_place() {
    for c in REFUSED {
        let t = with_char(c);
        for src in [
            format!("agreement \"{t}\"\nprice = 1.00 USD\nshare p = remaining\n"),
            format!("price = 1.00 USD\nshare p \"{t}\" = remaining\n"),
            format!("price = 1.00 USD\nshare p = remaining\nrequire p >= 0.00 USD \"{t}\"\n"),
            format!(
                "price = 1.00 USD\nshare p = remaining\nexample \"{t}\" {{\n  expect p = 1.00 USD\n}}\n"
            ),
        ] {
            let f = Agreement::compile_failure("c.split", &src).map(|_| ()).unwrap_err();
            let d = f
                .diagnostics
                .iter()
                .find(|d| d.code == "splitdsl::label::control_char")
                .unwrap_or_else(|| panic!("{c:?} in {src:?}: {:?}", f.diagnostics));
            // The label points at the character (or its escape), nothing else.
            let span = d.main_span().unwrap();
            let at = src.find(&t).unwrap() + t.find(['\\', c]).unwrap();
            assert_eq!(span.start, at, "{c:?} in {src:?}");
            let shown = &src[span.start..span.end];
            assert!(shown == c.to_string() || shown == "\\n" || shown == "\\t", "{shown:?}");
            assert!(d.help.is_some(), "{d:?}");
        }
    }
}

#[test]
fn labels_in_any_script_are_not_control_characters() {
    for t in [
        "株式会社",
        "🎉 party",
        "Jose\u{301}",
        "Bruno \\\"B\\\"",
        "עברית",
        "a\u{200D}b",
    ] {
        let src = format!("agreement \"{t}\"\nprice = 1.00 USD\nshare p \"{t}\" = remaining\n");
        compile(&src);
    }
}

// --------------------------------------------------------------- properties

fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var("PROPTEST_CASES").is_err() {
        c.cases = 24;
    }
    c.failure_persistence = None;
    c
}

/// Cases of ~70,000-character texts take about a second each in a debug
/// build (parsing dominates): a sixteenth as many, at least 6.
fn config_long() -> ProptestConfig {
    let mut c = config();
    c.cases = if std::env::var("PROPTEST_CASES").is_err() {
        6
    } else {
        (c.cases / 16).max(6)
    };
    c
}

/// Refused in a label (kept apart from the library's own list).
fn is_refused(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A label: a chunk of any script repeated to a length — short, a few
/// hundred chars, or (with weight `long` against 4) 60,000 to 70,000 chars.
fn label(long: u32) -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => proptest::char::range(' ', '~'),
        2 => proptest::char::range('\u{4E00}', '\u{9FFF}'),
        2 => proptest::char::range('\u{1F300}', '\u{1FAFF}'),
        1 => proptest::char::range('\u{0300}', '\u{036F}'),
        2 => any::<char>().prop_filter("not refused", |c| !is_refused(*c)),
    ];
    let longest = if long == 0 {
        0..12
    } else {
        60_000usize..70_000
    };
    (
        proptest::collection::vec(ch, 1..12),
        prop_oneof![3 => 0usize..12, 1 => 20usize..400, long.max(1) => longest],
    )
        .prop_map(|(chunk, n)| chunk.iter().cycle().take(n).collect::<String>())
}

/// A name: short, or (with weight `long` against 3) up to ~70,000 characters.
fn name(prefix: &'static str, long: u32) -> impl Strategy<Value = String> {
    let longest = if long == 0 { 0..8 } else { 60_000usize..70_000 };
    prop_oneof![3 => 0usize..8, long.max(1) => longest]
        .prop_map(move |n| format!("{prefix}_{}", "x".repeat(n)))
}

/// The text inside quotes that reads as `s`.
fn quoted(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c => q.push(c),
        }
    }
    q
}

/// Display width per the crate the code measures with: the property checks
/// the tables agree with themselves, row against row.
fn w(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Every row of `rows` puts `find(row)` at the same display column.
#[track_caller]
fn aligned<'a>(rows: &[&'a str], find: impl Fn(&'a str) -> usize, what: &str) {
    let cols: Vec<usize> = rows.iter().map(|r| w(&r[..find(r)])).collect();
    assert!(
        cols.windows(2).all(|p| p[0] == p[1]),
        "{what}: columns {cols:?}"
    );
}

#[derive(Debug, Clone)]
struct Case {
    title: String,
    labels: [String; 3],
    names: [String; 3],
    message: String,
    example: String,
    /// A refused character put in one of the texts, and which.
    refused: Option<(char, usize)>,
}

/// A case; `long` weighs the texts and names of ~70,000 characters.
fn case(long: u32) -> impl Strategy<Value = Case> {
    let refused = prop_oneof![
        3 => Just(None),
        1 => (
            prop_oneof![
                Just('\n'), Just('\t'), Just('\r'), Just('\u{0}'), Just('\u{1b}'),
                Just('\u{85}'), Just('\u{202D}'), Just('\u{2069}'), Just('\u{2029}')
            ],
            0usize..6
        )
            .prop_map(Some),
    ];
    (
        label(long),
        [label(long), label(long), label(long)],
        [name("fee", long), name("ana", long), name("rest", long)],
        label(long),
        label(long),
        refused,
    )
        .prop_map(|(title, labels, names, message, example, refused)| Case {
            title,
            labels,
            names,
            message,
            example,
            refused,
        })
}

impl Case {
    fn texts(&self) -> [String; 6] {
        let mut t = [
            self.title.clone(),
            self.labels[0].clone(),
            self.labels[1].clone(),
            self.labels[2].clone(),
            self.message.clone(),
            self.example.clone(),
        ];
        if let Some((c, i)) = self.refused {
            let half = t[i].chars().count() / 2;
            let at = t[i].char_indices().nth(half).map_or(t[i].len(), |(k, _)| k);
            t[i].insert(at, c);
        }
        t
    }

    fn source(&self) -> String {
        let [title, l0, l1, l2, message, example] = self.texts().map(|t| quoted(&t));
        let [n0, n1, n2] = &self.names;
        format!(
            "agreement \"{title}\"\n\
             price = 100.00 USD\n\
             fee {n0} \"{l0}\" = 10% of price\n\
             fee plain = 1.00 USD\n\
             share {n1} \"{l1}\" = 25% of remaining\n\
             share {n2} \"{l2}\" = remaining\n\
             require {n2} >= 0.00 USD \"{message}\"\n\
             example \"{example}\" {{\n  given price = 100.00 USD\n  expect {n0} = 10.00 USD\n}}\n"
        )
    }
}

/// A control character is refused at check time; anything else runs
/// through every renderer without a panic, and the tables line up.
fn renders_or_is_refused(case: &Case) -> Result<(), TestCaseError> {
    {
        let src = case.source();
        let texts = case.texts();
        let compiled = Agreement::compile_failure("p.split", &src);
        if case.refused.is_some() {
            let f = compiled.map(|_| ()).unwrap_err();
            prop_assert!(
                f.diagnostics
                    .iter()
                    .any(|d| d.code == "splitdsl::label::control_char"),
                "{:?}",
                f.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>()
            );
            return Ok(());
        }
        let a = compiled.map_err(|f| f.diagnostics).unwrap();
        let out = evaluate(&a);
        let p = &a.program;
        let labels = [Some(&texts[1]), None, Some(&texts[2]), Some(&texts[3])];

        // run: table, JSON, CSV.
        let table = report::table(p, &out, &[]);
        let rows: Vec<&str> = table.lines().skip(1).take(4).collect();
        prop_assert_eq!(rows.len(), 4);
        let name_w = case
            .names
            .iter()
            .map(String::len)
            .max()
            .unwrap()
            .max("plain".len());
        let label_col = 2 + "share".len() + 2 + name_w + 2;
        for (r, l) in rows.iter().zip(labels) {
            prop_assert_eq!(w(&r[..label_col]), label_col);
            prop_assert!(r[label_col..].starts_with(l.map_or("", |s| s.as_str())));
        }
        aligned(&rows, |r| r.rfind(" USD ").unwrap(), "run table: amounts");
        aligned(&rows, str::len, "run table: remaining");

        let json: serde_json::Value = serde_json::from_str(&report::json(p, &out)).unwrap();
        prop_assert_eq!(json["agreement"].as_str(), Some(texts[0].as_str()));
        for (d, l) in json["deductions"].as_array().unwrap().iter().zip(labels) {
            prop_assert_eq!(d["label"].as_str(), l.map(String::as_str));
        }
        let csv_text = report::csv(p, &out);
        let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
        for (rec, l) in rd.records().zip(labels) {
            let rec = rec.unwrap();
            prop_assert_eq!(rec.get(2), Some(l.map_or("", |s| s.as_str())));
        }

        // The ledger statement.
        let mut st = Statement::new(p);
        st.add(Kind::Sale, &cents(&a, &out)).unwrap();
        let r = st.reconcile(p).unwrap();
        prop_assert!(r.holds);
        let statement = st.table(p, &r);
        let rows: Vec<&str> = statement.lines().skip(1).take(7).collect();
        aligned(&rows, str::len, "statement: net");
        let _ = st.json(p, &r);
        let _ = st.csv(p);

        // The REPL's what-if table.
        let mut s = Session::from_text("p.split", &src).unwrap();
        let reply = s.handle("what if price = 200.00 USD");
        prop_assert!(reply.diagnostics.is_empty());
        // The table, up to the requirements and the "(N other figures unchanged)".
        let rows: Vec<&str> = reply
            .output
            .lines()
            .enumerate()
            .take_while(|(i, l)| *i == 0 || !l.trim_start().starts_with(['✓', '✗', '—', '(']))
            .map(|(_, l)| l)
            .collect();
        prop_assert!(rows.len() >= 4, "{}", reply.output);
        aligned(&rows, str::len, "what-if: difference");

        // The chart.
        let wf = Waterfall::new(p, &out, "p");
        for unicode in [true, false] {
            let text = chart::terminal(&wf, unicode, 30);
            let rows: Vec<&str> = text.lines().skip(1).take(5).collect();
            aligned(&rows, |r| r.rfind(" USD").unwrap(), "chart: amounts");
        }
        roxmltree::Document::parse(&chart::svg(&wf)).unwrap();
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Any label, title, message or example name in any script.
    #[test]
    fn any_label_renders_or_is_refused(case in case(0)) {
        renders_or_is_refused(&case)?;
    }
}

proptest! {
    #![proptest_config(config_long())]

    /// Labels and names of up to ~70,000 characters, wider than a format
    /// width allows (65,535).
    #[test]
    fn long_labels_and_names_render_or_are_refused(case in case(12)) {
        renders_or_is_refused(&case)?;
    }
}

/// A quote written `\"` in a label does not end it: the braces after it
/// are text, not 1,001 levels of nesting.
#[test]
fn braces_after_an_escaped_quote_are_text() {
    let label = format!("\\\"{}", "{".repeat(1_001));
    let src = format!("price = 1.00 USD\nshare p \"{label}\" = remaining\n");
    let a = compile(&src);
    let out = evaluate(&a);
    assert!(report::table(&a.program, &out, &[]).contains(&format!("\"{}", "{".repeat(1_001))));
}

/// `fmt` lines up the `=` of consecutive deductions in display columns.
#[test]
fn fmt_aligns_wide_labels_by_display_width() {
    let out = splitdsl::fmt::format_source(WIDE).unwrap();
    let cols: Vec<usize> = LABELS
        .iter()
        .map(|(name, label)| {
            let row = row_of(&out, name, label);
            col(row, row.find(" = ").unwrap())
        })
        .collect();
    assert!(cols.windows(2).all(|w| w[0] == w[1]), "{cols:?} in\n{out}");
}
