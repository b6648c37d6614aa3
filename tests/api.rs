//! The library API (src/api.rs): checked inputs, typed breakdowns whose JSON
//! is the `run --format json` contract, errors that miette renders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use splitdsl::value::Currency;
use splitdsl::{api, Agreement, Value};
use std::path::Path;

const SHOP: &str = "\
agreement \"Shop\"
price = 100.00 USD
input installments = 1
input launch = 2025-01-01
fee platform \"Platform\" = 10% of price
share affiliate = 20% of remaining when installments < 6
share producer \"Carla\" = remaining
require producer >= 50.00 USD \"the producer keeps at least 50\"
";

fn usd(cents: i64) -> Value {
    Value::Money(Decimal::new(cents, 2), Currency::from_code("USD").unwrap())
}

fn code_of(r: Result<(), api::Error>) -> &'static str {
    r.unwrap_err().code().unwrap()
}

#[test]
fn inputs_set_by_name_and_checked() {
    let a = Agreement::compile("shop.split", SHOP).unwrap();
    let mut inputs = a.inputs();
    inputs.set("price", "197.00 USD").unwrap();
    inputs
        .set_value("installments", Value::Number(12.into()))
        .unwrap();
    let b = a.evaluate(&inputs).unwrap();
    assert_eq!(b.price(), usd(19700));
    assert_eq!(b.get("platform"), Some(usd(1970)));
    // 12 installments: no affiliate.
    assert_eq!(b.get("affiliate"), Some(usd(0)));
    assert_eq!(b.get("producer"), Some(usd(17730)));
    assert_eq!(b.unallocated(), usd(0));
    // Typed money in the right currency is accepted too.
    inputs.set_value("price", usd(1000)).unwrap();
    assert_eq!(inputs.get("price"), Some(usd(1000)));
}

#[test]
fn wrong_name_kind_currency_or_percent_is_an_error() {
    let a = Agreement::compile("shop.split", SHOP).unwrap();
    let mut inputs = a.inputs();
    // Wrong name: unknown, or not an input.
    assert_eq!(
        code_of(inputs.set("prise", "1.00 USD")),
        "splitdsl::input::unknown"
    );
    assert_eq!(
        code_of(inputs.set_value("prise", usd(100))),
        "splitdsl::input::unknown"
    );
    assert_eq!(
        code_of(inputs.set("producer", "1.00 USD")),
        "splitdsl::input::not_input"
    );
    assert_eq!(
        code_of(inputs.set("price=1.00 USD", "2.00 USD")),
        "splitdsl::input::unknown"
    );
    // Wrong kind.
    assert_eq!(
        code_of(inputs.set("installments", "2025-01-01")),
        "splitdsl::input::kind_mismatch"
    );
    assert_eq!(
        code_of(inputs.set("launch", "3")),
        "splitdsl::input::kind_mismatch"
    );
    assert_eq!(
        code_of(inputs.set_value("installments", usd(100))),
        "splitdsl::input::kind_mismatch"
    );
    // A plain number is not silently made money by the typed setter.
    assert_eq!(
        code_of(inputs.set_value("price", Value::Number(197.into()))),
        "splitdsl::input::kind_mismatch"
    );
    // Wrong currency.
    assert_eq!(
        code_of(inputs.set("price", "197.00 EUR")),
        "splitdsl::input::kind_mismatch"
    );
    let eur = Value::Money(Decimal::new(19700, 2), Currency::from_code("EUR").unwrap());
    assert_eq!(
        code_of(inputs.set_value("price", eur)),
        "splitdsl::input::kind_mismatch"
    );
    // A percent where money is expected.
    let err = inputs.set("price", "50%").unwrap_err();
    assert_eq!(err.code(), Some("splitdsl::input::kind_mismatch"));
    assert!(err.to_string().contains("percent"), "{err}");
    // Not an expression.
    assert!(code_of(inputs.set("price", "")).starts_with("splitdsl::syntax::"));
    // Nothing was set by the failures.
    assert_eq!(inputs.get("price"), None);
    assert_eq!(inputs.get("installments"), None);
    assert_eq!(a.evaluate(&inputs).unwrap().price(), usd(10000));
}

#[test]
fn inputs_of_another_agreement_are_refused() {
    let a = Agreement::compile("shop.split", SHOP).unwrap();
    // Same text, another agreement.
    let b = Agreement::compile("shop.split", SHOP).unwrap();
    let mut inputs = a.inputs();
    inputs.set("price", "50.00 USD").unwrap();
    let err = b.evaluate(&inputs).unwrap_err();
    assert_eq!(err.code(), Some("splitdsl::input::other_agreement"));
    // A clone is the same agreement.
    let c = a.clone();
    assert_eq!(c.evaluate(&inputs).unwrap().price(), usd(5000));
    // An edited agreement is another one.
    let edited = a.edited(&[], "input extra = 1\n").unwrap();
    assert_eq!(
        edited.evaluate(&inputs).unwrap_err().code(),
        Some("splitdsl::input::other_agreement")
    );
}

#[test]
fn breakdown_lists_deductions_and_requirements() {
    let a = Agreement::compile("shop.split", SHOP).unwrap();
    let b = a.evaluate(&a.inputs()).unwrap();
    let d = b.deductions();
    let rows: Vec<_> = d
        .iter()
        .map(|d| {
            (
                d.kind().keyword(),
                d.name(),
                d.label(),
                d.amount().to_string(),
                d.pool_after().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "fee",
                "platform",
                Some("Platform"),
                "10.00 USD".into(),
                "90.00 USD".into()
            ),
            (
                "share",
                "affiliate",
                None,
                "18.00 USD".into(),
                "72.00 USD".into()
            ),
            (
                "share",
                "producer",
                Some("Carla"),
                "72.00 USD".into(),
                "0.00 USD".into()
            ),
        ]
    );
    assert_eq!(b.title(), Some("Shop"));
    let r = b.requirements();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].message(), "the producer keeps at least 50");
    assert!(r[0].holds());
}

#[test]
fn a_failing_sale_is_an_error_pointing_into_the_agreement() {
    let a = Agreement::compile("shop.split", "price = 10.00 USD\nshare p = 20.00 USD\n").unwrap();
    let err = a.evaluate(&a.inputs()).unwrap_err();
    assert_eq!(err.code(), Some("splitdsl::eval::exceeds_pool"));
    assert_eq!(err.source_name(), "shop.split");
}

/// The breakdown's JSON, and `report::json` for the same sale.
fn both_jsons(a: &Agreement, sets: &[(&str, &str)]) -> (String, String) {
    let mut inputs = a.inputs();
    let mut raw = a.raw_inputs();
    for (name, value) in sets {
        inputs.set(name, value).unwrap();
        a.set_from_text(&mut raw, &format!("{name}={value}"))
            .unwrap();
    }
    let breakdown = a.evaluate(&inputs).unwrap();
    let expected = splitdsl::report::json(&a.program, &a.evaluate_outcome(&raw).unwrap());
    (serde_json::to_string_pretty(&breakdown).unwrap(), expected)
}

#[test]
fn breakdown_json_is_the_run_json_of_every_example() {
    let mut seen = 0;
    for entry in std::fs::read_dir("examples").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "split") {
            continue;
        }
        let a = Agreement::load(&path).unwrap();
        let (got, want) = both_jsons(&a, &[]);
        assert_eq!(got, want, "{}", path.display());
        let price = a.evaluate(&a.inputs()).unwrap().price();
        let (got, want) = both_jsons(&a, &[("price", &format!("3 * {price}"))]);
        assert_eq!(got, want, "{} at three times the price", path.display());
        seen += 1;
    }
    assert!(seen >= 6, "only {seen} examples");
}

#[test]
fn breakdown_json_is_the_binary_output() {
    let out = assert_cmd::Command::cargo_bin("splitdsl")
        .unwrap()
        .args([
            "run",
            "examples/hotmart.split",
            "--format",
            "json",
            "--set",
            "price=197.00 USD",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let a = Agreement::load(Path::new("examples/hotmart.split")).unwrap();
    let mut inputs = a.inputs();
    inputs.set("price", "197.00 USD").unwrap();
    let json = serde_json::to_string_pretty(&a.evaluate(&inputs).unwrap()).unwrap();
    assert_eq!(stdout.strip_suffix('\n'), Some(json.as_str()));
}

#[test]
fn breakdown_json_keeps_failed_cells() {
    // A cell nothing needs that fails for this sale: `{"kind": "error", …}`.
    let text = "price = 10.00 USD\ntable t { 1 => 2 }\nunused = t(5)\nshare p = remaining\n";
    let a = Agreement::compile("x.split", text).unwrap();
    let (got, want) = both_jsons(&a, &[]);
    assert_eq!(got, want);
    assert!(got.contains("\"kind\": \"error\""), "{got}");
}

fn render(err: &api::Error) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, err)
        .unwrap();
    out
}

#[test]
fn miette_renders_an_error_with_every_diagnostic() {
    let text = "price = 10.00 USD\nfee f = 1.00 EUR\nshare p = remaning\n";
    let err = Agreement::compile("broken.split", text).unwrap_err();
    let errors = err.diagnostics().iter().filter(|d| d.is_error()).count();
    assert!(errors >= 2, "{:?}", err.diagnostics());
    let out = render(&err);
    assert!(out.contains("broken.split"), "{out}");
    for d in err.diagnostics() {
        assert!(
            out.contains(d.code.as_str()),
            "{} missing from\n{out}",
            d.code
        );
        assert!(
            out.contains(&d.message),
            "{} missing from\n{out}",
            d.message
        );
    }
    // The source is drawn.
    assert!(out.contains("share p = remaning"), "{out}");
    // Display: the first error, and a count.
    let first = err.diagnostics().iter().find(|d| d.is_error()).unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "{} (and {} more error{})",
            first.message,
            errors - 1,
            if errors == 2 { "" } else { "s" }
        )
    );
    // It is a std error, Send and Sync, and miette's Report takes it.
    fn std_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    std_error(&err);
    let report = miette::Report::new(err.clone());
    assert_eq!(report.to_string(), err.to_string());
}

#[test]
fn miette_renders_an_input_error_on_its_text() {
    let a = Agreement::compile("shop.split", SHOP).unwrap();
    let err = a.inputs().set("price", "197.00 EUR").unwrap_err();
    let out = render(&err);
    assert!(out.contains("splitdsl::input::kind_mismatch"), "{out}");
    assert!(out.contains("price=197.00 EUR"), "{out}");
    assert_eq!(err.diagnostics().len(), 1);
}

#[test]
fn miette_does_not_draw_labels_on_very_long_lines() {
    let text = format!(
        "price = 10.00 USD\nshare p = remaining + {}\n",
        "1".repeat(5000)
    );
    let err = Agreement::compile("long.split", &text).unwrap_err();
    let out = render(&err);
    assert!(out.contains("at line 2, column"), "{out}");
}

#[test]
fn the_readme_snippet_says_what_the_api_gives() {
    // The README's "Use it as a library" code, run here.
    let text = std::fs::read_to_string("examples/hotmart.split").unwrap();
    let agreement = Agreement::compile("hotmart.split", &text).unwrap();
    let mut inputs = agreement.inputs();
    inputs.set("price", "197.00 USD").unwrap();
    let breakdown = agreement.evaluate(&inputs).unwrap();
    let producer = breakdown.get("producer").unwrap().to_string();
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme.split("## Use it as a library").nth(1).unwrap();
    let code = section
        .split("```")
        .find(|block| block.starts_with("rust"))
        .unwrap();
    for line in [
        "let text = std::fs::read_to_string(\"examples/hotmart.split\")?;",
        "let agreement = Agreement::compile(\"hotmart.split\", &text)?;",
        "let mut inputs = agreement.inputs();",
        "inputs.set(\"price\", \"197.00 USD\")?;",
        "let breakdown = agreement.evaluate(&inputs)?;",
        "breakdown.get(\"producer\")",
    ] {
        assert!(code.contains(line), "README lacks `{line}`");
    }
    assert!(
        code.contains(&format!("// {producer}")),
        "README: producer is {producer}"
    );
}

#[test]
fn explain_is_a_library_function_on_checked_inputs() {
    let a = Agreement::load(Path::new("examples/hotmart.split")).unwrap();
    let mut inputs = a.inputs();
    inputs.set("price", "197.00 USD").unwrap();
    let tree = a.explain(&inputs, "coproducer").unwrap();
    assert!(tree.text.starts_with("coproducer = "), "{}", tree.text);
    // The same tree `splitdsl explain` prints.
    let out = assert_cmd::Command::cargo_bin("splitdsl")
        .unwrap()
        .args([
            "explain",
            "examples/hotmart.split",
            "coproducer",
            "--set",
            "price=197.00 USD",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with(&tree.render()), "{stdout}");
    assert_eq!(
        a.explain(&inputs, "coproduce").unwrap_err().code(),
        Some("splitdsl::name::unknown")
    );
    let b = Agreement::load(Path::new("examples/hotmart.split")).unwrap();
    assert_eq!(
        b.explain(&inputs, "coproducer").unwrap_err().code(),
        Some("splitdsl::input::other_agreement")
    );
}

#[test]
fn only_the_api_modules_are_public() {
    // Everything else is `pub(crate)` (or public, hidden, with the unstable
    // `internals` feature): src/lib.rs declares no other `pub mod`.
    let lib = std::fs::read_to_string("src/lib.rs").unwrap();
    let mut public: Vec<String> = Vec::new();
    for l in lib.lines() {
        if let Some(m) = l.strip_prefix("pub mod ") {
            public.push(m.trim_end_matches(';').to_string());
        }
        // The stage folders' public modules, re-exported at the root.
        for folder in ["services::", "render::"] {
            if let Some(rest) = l
                .strip_prefix("pub use ")
                .and_then(|r| r.strip_prefix(folder))
            {
                let names = rest
                    .trim_end_matches(';')
                    .trim_matches(|c| c == '{' || c == '}');
                public.extend(names.split(',').map(|n| n.trim().to_string()));
            }
        }
    }
    public.sort();
    assert_eq!(
        public,
        [
            "api", "batch", "cli", "diag", "document", "examples", "explain", "fmt", "live",
            // `splitdsl lsp`, hidden like `cli` (not an API).
            "lsp", "repl", "span", "value"
        ]
    );
    for hidden in ["analysis", "eval", "program", "syntax"] {
        assert!(
            lib.contains(&format!("internal! {{ mod {hidden}; }}")),
            "{hidden} is not internal"
        );
    }
    for hidden in ["render::report", "services::agreement", "services::summary"] {
        assert!(
            lib.contains(&format!("internal! {{ use {hidden}; }}")),
            "{hidden} is not internal"
        );
    }
}
