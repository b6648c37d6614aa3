//! The language of docs/language.md: every example and figure, the value kinds,
//! the operators, the rounding modes and every class of error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use splitdsl::report;

const HOTMART: &str = include_str!("../examples/hotmart.split");

#[test]
fn hotmart_worked_example() {
    for (name, want) in [
        ("hotmart", "10.40 USD"),
        ("net", "89.60 USD"),
        ("affiliate", "31.36 USD"),
        ("coproducer", "5.82 USD"),
        ("producer", "52.42 USD"),
    ] {
        assert_eq!(value(HOTMART, &[], name), want, "{name}");
    }
}

#[test]
fn hotmart_pools_and_conservation() {
    let a = compile(HOTMART);
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    let pools: Vec<String> = out.pools.iter().map(|d| d.to_string()).collect();
    assert_eq!(pools, ["100.00", "89.60", "58.24", "52.42", "0.00"]);
    assert!(out.all_hold());
}

#[test]
fn json_contract_matches_language_md() {
    let a = compile(HOTMART);
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    let got: serde_json::Value = serde_json::from_str(&report::json(&a.program, &out)).unwrap();
    let want: serde_json::Value = serde_json::from_str(
        r#"{
      "agreement": "Online marketing course",
      "price": {"amount": "100.00", "currency": "USD"},
      "deductions": [
        {"kind": "fee",   "name": "hotmart",    "label": "Hotmart fee", "amount": "10.40", "currency": "USD", "remaining": "89.60"},
        {"kind": "share", "name": "affiliate",  "label": "Ana",         "amount": "31.36", "currency": "USD", "remaining": "58.24"},
        {"kind": "share", "name": "coproducer", "label": "Bruno",       "amount": "5.82",  "currency": "USD", "remaining": "52.42"},
        {"kind": "share", "name": "producer",   "label": "Carla",       "amount": "52.42", "currency": "USD", "remaining": "0.00"}
      ],
      "unallocated": {"amount": "0.00", "currency": "USD"},
      "requirements": [{"message": "the main producer keeps at least 30% of the net revenue", "holds": true}]
    }"#,
    )
    .unwrap();
    for key in [
        "agreement",
        "price",
        "deductions",
        "unallocated",
        "requirements",
    ] {
        assert_eq!(got[key], want[key], "{key}");
    }
    assert_eq!(
        got["values"]["price"],
        serde_json::json!({"kind": "money", "amount": "100.00", "currency": "USD"})
    );
    assert_eq!(
        got["values"]["net"],
        serde_json::json!({"kind": "money", "amount": "89.60", "currency": "USD"})
    );
    // Every input, cell, fee and share, in file order.
    let names: Vec<&String> = got["values"].as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "price",
            "hotmart",
            "net",
            "affiliate",
            "coproducer",
            "producer"
        ]
    );
}

#[test]
fn json_value_kinds() {
    let src = "price = 10.00 USD\ninput r = 0.35\ninput b = true\ninput d = 2025-03-10\ninput fx = 5.20 BRL/USD\nshare p = remaining\n";
    let a = compile(src);
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    let j: serde_json::Value = serde_json::from_str(&report::json(&a.program, &out)).unwrap();
    assert_eq!(
        j["values"]["r"],
        serde_json::json!({"kind": "number", "value": "0.35"})
    );
    assert_eq!(
        j["values"]["b"],
        serde_json::json!({"kind": "bool", "value": true})
    );
    assert_eq!(
        j["values"]["d"],
        serde_json::json!({"kind": "date", "value": "2025-03-10"})
    );
    assert_eq!(
        j["values"]["fx"],
        serde_json::json!({"kind": "rate", "value": "5.20", "currency": "BRL", "per": "USD"})
    );
}

#[test]
fn label_is_null_when_absent() {
    let a = compile("price = 10.00 USD\nshare p = remaining\n");
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    let j: serde_json::Value = serde_json::from_str(&report::json(&a.program, &out)).unwrap();
    assert_eq!(j["deductions"][0]["label"], serde_json::Value::Null);
    assert_eq!(j["agreement"], serde_json::Value::Null);
}

// ---------------------------------------------------------------- values

#[test]
fn literals() {
    assert_eq!(eval("100.00 USD"), "100.00 USD");
    assert_eq!(eval("0.5 BRL"), "0.50 BRL");
    assert_eq!(eval("1500 JPY"), "1500 JPY");
    assert_eq!(eval("1.5 BHD"), "1.500 BHD");
    assert_eq!(eval("35%"), "0.35");
    assert_eq!(eval("9.9%"), "0.099");
    assert_eq!(eval("3"), "3");
    assert_eq!(eval("1_000_000"), "1000000");
    assert_eq!(eval("true"), "true");
    assert_eq!(eval("2025-03-10"), "2025-03-10");
    assert_eq!(eval("5.20 BRL/USD"), "5.20 BRL/USD");
}

#[test]
fn one_third_keeps_28_significant_digits() {
    assert_eq!(eval("1/3"), "0.3333333333333333333333333333");
    assert_eq!(eval("1/3 * 3"), "0.9999999999999999999999999999");
}

#[test]
fn rate_converts() {
    assert_eq!(eval("10.00 USD * 5.20 BRL/USD"), "52.00 BRL");
    assert_eq!(eval("5.20 BRL/USD * 10.00 USD"), "52.00 BRL");
    assert_eq!(
        eval("52.00 BRL / 5.20 BRL/USD"),
        "10 USD".replace("10", "10.00")
    );
}

#[test]
fn unit_arithmetic() {
    assert_eq!(eval("price / 4"), "25.00 USD");
    assert_eq!(eval("price / 50.00 USD"), "2");
    assert_eq!(eval("2 * price"), "200.00 USD");
    assert_eq!(eval("-price"), "-100.00 USD");
    assert_eq!(eval("2025-03-10 - 2025-03-01"), "9");
    assert_eq!(eval("2025-03-10 + 30"), "2025-04-09");
}

#[test]
fn precedence_of_of() {
    // `9.9% of price + 0.50 USD` is `(9.9% * price) + 0.50 USD`.
    assert_eq!(eval("9.9% of price + 0.50 USD"), "10.40 USD");
    assert_eq!(eval("9.9% * price + 0.50 USD"), "10.40 USD");
    assert_eq!(eval("1 + 2 * 3"), "7");
    assert_eq!(eval("(1 + 2) * 3"), "9");
    assert_eq!(eval("10 - 2 - 3"), "5");
    assert_eq!(eval("-2 * 3"), "-6");
}

#[test]
fn logic_and_comparisons() {
    assert_eq!(eval("1 < 2 and 2 < 3"), "true");
    assert_eq!(eval("not 1 < 2 or false"), "false");
    assert_eq!(eval("not (1 == 1)"), "false");
    assert_eq!(eval("price >= 100.00 USD"), "true");
    assert_eq!(eval("price != 100 USD"), "false");
    assert_eq!(eval("2025-03-10 > 2025-01-01"), "true");
    assert_eq!(eval("if price > 50.00 USD then 1 else 2"), "1");
}

#[test]
fn functions() {
    assert_eq!(eval("min(3, 1, 2)"), "1");
    assert_eq!(eval("max(1.00 USD, price, 3.00 USD)"), "100.00 USD");
    assert_eq!(eval("abs(-2.5)"), "2.5");
    assert_eq!(eval("round(10.125 USD)"), "10.13 USD");
    assert_eq!(eval("round(2.5)"), "3");
    assert_eq!(eval("round(10.12 USD, 0.05 USD)"), "10.10 USD");
    assert_eq!(eval("round(10.13 USD, 0.05 USD)"), "10.15 USD");
    assert_eq!(eval("floor(10.19 USD, 0.10 USD)"), "10.10 USD");
    assert_eq!(eval("ceil(10.11 USD, 0.10 USD)"), "10.20 USD");
    assert_eq!(eval("floor(-1.5)"), "-2");
    assert_eq!(eval("ceil(1.01 USD)"), "1.01 USD");
    assert_eq!(
        eval("clamp(150.00 USD, 0.00 USD, 120.00 USD)"),
        "120.00 USD"
    );
    assert_eq!(eval("clamp(5, 1, 10)"), "5");
}

#[test]
fn tables_match_values_and_ranges() {
    let src = "price = 100.00 USD\ninput n = 1\ntable t {\n  1 => 0%\n  2..6 => 2.5%, 7.. => 5%\n}\nx = t(n)\nfee f = x of price\nshare p = remaining\n";
    assert_eq!(value(src, &[], "x"), "0");
    assert_eq!(value(src, &["n=2"], "x"), "0.025");
    assert_eq!(value(src, &["n=6"], "x"), "0.025");
    assert_eq!(value(src, &["n=7"], "x"), "0.05");
    assert_eq!(value(src, &["n=700"], "x"), "0.05");
    let (code, msg) = eval_error(src, &["n=0"]);
    assert_eq!(code, "splitdsl::eval::no_table_row");
    assert!(msg.contains("no row for 0"), "{msg}");
}

#[test]
fn date_tables_and_open_ranges() {
    let src = "price = 100.00 USD\ninput d = 2025-01-01\ntable fee_rate {\n  ..2025-03-09 => 9%\n  2025-03-10.. => 9.9%\n}\nfee f = fee_rate(d) of price\nshare p = remaining\n";
    assert_eq!(value(src, &[], "f"), "9.00 USD");
    assert_eq!(value(src, &["d=2025-03-10"], "f"), "9.90 USD");
}

#[test]
fn cells_in_any_order() {
    let src = "fee f = rate of base\nshare p = remaining\nbase = price - 1.00 USD\nrate = 10%\nprice = 11.00 USD\n";
    assert_eq!(value(src, &[], "f"), "1.00 USD");
    assert_eq!(value(src, &[], "p"), "10.00 USD");
}

#[test]
fn a_cell_may_use_a_later_deduction() {
    // `net` uses `hotmart` (defined later); `affiliate` uses `net`.
    let src = "price = 100.00 USD\nnet = price - hotmart\nfee hotmart = 10.00 USD\nshare affiliate = 10% of net\nshare producer = remaining\n";
    assert_eq!(value(src, &[], "affiliate"), "9.00 USD");
}

#[test]
fn when_false_is_zero_and_skips_the_expression() {
    let src =
        "price = 100.00 USD\ninput n = 0\nshare a = price / n when n > 0\nshare p = remaining\n";
    assert_eq!(value(src, &[], "a"), "0.00 USD");
    assert_eq!(value(src, &["n=4"], "a"), "25.00 USD");
}

#[test]
fn unallocated_is_reported_and_conserved() {
    let src = "price = 10.01 USD\nshare a = 50% of price\n";
    let a = splitdsl::Agreement::compile_failure("t.split", src).unwrap();
    assert_eq!(a.warnings[0].code, "splitdsl::warn::unallocated");
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    assert_eq!(out.unallocated().to_string(), "5.00");
}

// ---------------------------------------------------------------- rounding

fn split_with(mode: &str, price: &str) -> String {
    let src = format!(
        "rounding {mode}\nprice = {price}\nshare half = 50% of price\nshare rest = remaining\n"
    );
    value(&src, &[], "half")
}

#[test]
fn rounding_modes_on_midpoints() {
    // 50% of 23.01 = 11.505; of 23.03 = 11.515; of 23.02 = 11.51 exactly.
    let cases = [
        ("half_up", "11.51", "11.52"),
        ("half_even", "11.50", "11.52"),
        ("half_down", "11.50", "11.51"),
        ("up", "11.51", "11.52"),
        ("down", "11.50", "11.51"),
        ("floor", "11.50", "11.51"),
        ("ceiling", "11.51", "11.52"),
    ];
    for (mode, a, b) in cases {
        assert_eq!(
            split_with(mode, "23.01 USD"),
            format!("{a} USD"),
            "{mode} 11.505"
        );
        assert_eq!(
            split_with(mode, "23.03 USD"),
            format!("{b} USD"),
            "{mode} 11.515"
        );
        assert_eq!(split_with(mode, "23.02 USD"), "11.51 USD", "{mode} exact");
    }
}

#[test]
fn rounding_modes_on_negative_midpoints() {
    // `round` uses the agreement's mode too; negatives show floor vs down.
    let cases = [
        ("half_up", "-11.51"),
        ("half_even", "-11.50"),
        ("half_down", "-11.50"),
        ("up", "-11.51"),
        ("down", "-11.50"),
        ("floor", "-11.51"),
        ("ceiling", "-11.50"),
    ];
    for (mode, want) in cases {
        let src = format!(
            "rounding {mode}\nprice = 1.00 USD\nx = round(-11.505 USD)\nshare p = remaining\n"
        );
        assert_eq!(value(&src, &[], "x"), format!("{want} USD"), "{mode}");
    }
}

#[test]
fn rounding_to_zero_decimal_currencies() {
    let src = "price = 1001 JPY\nshare a = 50% of price\nshare p = remaining\n";
    assert_eq!(value(src, &[], "a"), "501 JPY");
    assert_eq!(value(src, &[], "p"), "500 JPY");
}

// ---------------------------------------------------------------- errors

#[test]
fn check_errors_by_class() {
    let cases: &[(&str, &str)] = &[
        (
            "price = 1.00 USD\nx = 1.00 USD + 1.00 BRL\n",
            "splitdsl::unit::currency_mismatch",
        ),
        (
            "price = 1.00 USD\nx = price * price\n",
            "splitdsl::unit::money_times_money",
        ),
        (
            "price = 1.00 USD\nx = true + 1\n",
            "splitdsl::unit::bool_arithmetic",
        ),
        (
            "price = 1.00 USD\nx = price > 1\n",
            "splitdsl::unit::money_vs_number",
        ),
        (
            "price = 1.00 USD\nx = price + 1\n",
            "splitdsl::unit::money_plus_number",
        ),
        (
            "price = 1.00 USD\nx = 1.00 USD * 5 BRL/EUR\n",
            "splitdsl::unit::rate_mismatch",
        ),
        ("price = 1.00 USX\n", "splitdsl::unit::unknown_currency"),
        ("price = 1.00 USD\nx = nett\n", "splitdsl::name::unknown"),
        (
            "price = 1.00 USD\nx = 1\nx = 2\n",
            "splitdsl::name::duplicate",
        ),
        (
            "price = 1.00 USD\nprice = 2.00 USD\n",
            "splitdsl::price::duplicate",
        ),
        ("x = 1\n", "splitdsl::price::missing"),
        ("price = 100\n", "splitdsl::price::not_money"),
        (
            "price = 1.00 USD\nx = remaining\n",
            "splitdsl::remaining::outside_deduction",
        ),
        ("price = 1.00 USD\na = b\nb = a\n", "splitdsl::deps::cycle"),
        (
            "price = 1.00 USD\nshare a = 10% of b\nb = remaining - a\n",
            "splitdsl::remaining::outside_deduction",
        ),
        (
            "price = 1.00 USD\nshare a = 10%\n",
            "splitdsl::kind::deduction_not_money",
        ),
        (
            "price = 1.00 USD\nshare a = 1.00 BRL\n",
            "splitdsl::unit::deduction_currency",
        ),
        (
            "price = 1.00 USD\nshare a = 1.00 USD when 1\n",
            "splitdsl::kind::when_not_bool",
        ),
        (
            "price = 1.00 USD\nrequire price\n",
            "splitdsl::kind::require_not_bool",
        ),
        (
            "price = 1.00 USD\nrounding half_upp\n",
            "splitdsl::rounding::unknown",
        ),
        (
            "price = 1.00 USD\nx = if true then 1 else 1.00 USD\n",
            "splitdsl::kind::if_branches",
        ),
        (
            "price = 1.00 USD\nx = sqrt(4)\n",
            "splitdsl::call::unknown_function",
        ),
        ("price = 1.00 USD\nx = min()\n", "splitdsl::call::arity"),
        (
            "price = 1.00 USD\nx = min(1, 1.00 USD)\n",
            "splitdsl::call::arg_kind",
        ),
        (
            "price = 1.00 USD\ntable t { 1 => 1, 2 => 1.00 USD }\n",
            "splitdsl::table::value_kind",
        ),
        (
            "price = 1.00 USD\ntable t { 1 => 1 }\nx = t(1.00 USD)\n",
            "splitdsl::table::key_mismatch",
        ),
        (
            "price = 1.00 USD\nNet = 1\n",
            "splitdsl::name::not_snake_case",
        ),
        ("price = 1.00 USD\nmin = 1\n", "splitdsl::name::reserved"),
        (
            "price = 1.00 USD\nx = 1 < 2 < 3\n",
            "splitdsl::syntax::chained_comparison",
        ),
        (
            "price = 1.00 USD\nx = 2025-02-30\n",
            "splitdsl::syntax::bad_date",
        ),
        (
            "price = 1.00 USD\nfee f 9.9%\n",
            "splitdsl::syntax::unexpected",
        ),
        (
            "price = 1.00 USD\nx = 1 2\n",
            "splitdsl::syntax::trailing_text",
        ),
        (
            "price = 1.00 USD\nexample \"e\" { given net = 1 }\nnet = 2\n",
            "splitdsl::example::given_not_input",
        ),
    ];
    for (src, code) in cases {
        let got = codes(src);
        assert!(got.contains(code), "{src:?}: expected {code}, got {got:?}");
    }
}

#[test]
fn a_loop_through_remaining_shows_the_whole_chain() {
    let src = "price = 100.00 USD\nshare a = 10% of net\nshare b = 10% of remaining\nnet = price - b\nshare p = remaining\n";
    let f = splitdsl::Agreement::compile_failure("t.split", src).unwrap_err();
    let d = f
        .diagnostics
        .iter()
        .find(|d| d.code == "splitdsl::deps::cycle")
        .unwrap();
    assert!(d.message.contains("`remaining` in `b`"), "{}", d.message);
    assert!(d.labels.len() >= 3, "{:?}", d.labels);
}

#[test]
fn check_reports_every_error_not_only_the_first() {
    let src = "price = 1.00 USD\nfee f 9.9%\nx = 1.00 USD + 1.00 BRL\ny = nope\n";
    let got = codes(src);
    assert!(got.contains(&"splitdsl::syntax::unexpected"), "{got:?}");
    assert!(
        got.contains(&"splitdsl::unit::currency_mismatch"),
        "{got:?}"
    );
    assert!(got.contains(&"splitdsl::name::unknown"), "{got:?}");
}

#[test]
fn runtime_errors() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "price = 1.00 USD\ninput n = 0\nx = price / n\nfee f = x\nshare p = remaining\n",
            &[],
            "splitdsl::eval::division_by_zero",
        ),
        (
            "price = 1.00 USD\nx = 79228162514264337593543950335 * 2\nfee f = x of price\nshare p = remaining\n",
            &[],
            "splitdsl::eval::overflow",
        ),
        (
            "price = 1.00 USD\nshare a = 2.00 USD\nshare p = remaining\n",
            &[],
            "splitdsl::eval::exceeds_pool",
        ),
        (
            "price = 1.00 USD\nshare a = -0.50 USD\nshare p = remaining\n",
            &[],
            "splitdsl::eval::negative_deduction",
        ),
        (
            "price = 1.00 USD\nshare p = remaining\n",
            &["price=-1"],
            "splitdsl::eval::negative_price",
        ),
        (
            "price = 1.00 USD\nshare p = remaining\n",
            &["price=1.001"],
            "splitdsl::eval::fractional_price",
        ),
        (
            "price = 1.00 USD\nx = round(price, 0.00 USD)\nfee f = x\nshare p = remaining\n",
            &[],
            "splitdsl::eval::division_by_zero",
        ),
        (
            "price = 1.00 USD\nx = clamp(1, 2, 0)\nfee f = x of price\nshare p = remaining\n",
            &[],
            "splitdsl::eval::clamp_bounds",
        ),
    ];
    for (src, sets, code) in cases {
        assert_eq!(eval_error(src, sets).0, *code, "{src}");
    }
}

#[test]
fn exceeding_the_pool_names_both_amounts() {
    let (_, msg) = eval_error(
        "price = 1.00 USD\nshare a = 0.60 USD\nshare b = 0.60 USD\nshare p = remaining\n",
        &[],
    );
    assert_eq!(
        msg,
        "the share `b` is 0.60 USD, more than the 0.40 USD left in the pool"
    );
}

#[test]
fn set_errors() {
    let a = compile(HOTMART);
    let mut inputs = a.raw_inputs();
    let code =
        |s: &str, inputs: &mut splitdsl::eval::Inputs| a.set_from_text(inputs, s).unwrap_err().code;
    assert_eq!(code("pric=1", &mut inputs), "splitdsl::input::unknown");
    assert_eq!(code("net=1", &mut inputs), "splitdsl::input::not_input");
    assert_eq!(
        code("price=1.00 BRL", &mut inputs),
        "splitdsl::input::kind_mismatch"
    );
    assert_eq!(code("price", &mut inputs), "splitdsl::cli::bad_set");
    assert_eq!(
        code("price=1 +", &mut inputs),
        "splitdsl::syntax::unexpected"
    );
}

#[test]
fn comments_and_multiline_expressions() {
    let src = "# header\nprice = 100.00 USD # trailing\nx = 1 +\n    2 # continued\n\n# own line\nshare p = remaining\n";
    assert_eq!(value(src, &[], "x"), "3");
}

#[test]
fn nesting_limits_are_diagnostics() {
    let deep = format!(
        "price = 1.00 USD\nx = {}1{}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert_eq!(codes(&deep), ["splitdsl::limit::nesting"]);
    let ok = format!(
        "price = 1.00 USD\nx = {}1{}\nshare p = remaining\n",
        "(".repeat(100),
        ")".repeat(100)
    );
    assert_eq!(value(&ok, &[], "x"), "1");
}

#[test]
fn spans_end_at_the_last_token_of_an_else_if_chain() {
    use splitdsl::syntax::{ast::ExprKind, ast::StmtKind, parse};
    let src = "x = if a then 1 else if b then (2) else 3   # a comment\n";
    let (file, diags) = parse(src);
    assert!(diags.is_empty(), "{diags:?}");
    let StmtKind::Cell { value, .. } = &file.stmts[0].kind else {
        panic!("a cell");
    };
    let text = |s: splitdsl::span::Span| &src[s.start..s.end];
    assert_eq!(text(value.span), "if a then 1 else if b then (2) else 3");
    let ExprKind::If(_, _, inner) = &value.kind else {
        panic!("an if");
    };
    assert_eq!(text(inner.span), "if b then (2) else 3");
}

/// The help of the first diagnostic `check` reports for `src`.
fn first_help(src: &str) -> String {
    let f = splitdsl::Agreement::compile_failure("test.split", src).unwrap_err();
    f.diagnostics[0].help.clone().unwrap_or_default()
}

#[test]
fn number_separator_hints_keep_the_value() {
    for (written, want) in [
        ("1,000.00", "`1000.00` (or `1_000.00`)"),
        ("12,345,678.90", "`12345678.90` (or `12_345_678.90`)"),
        ("1.000,00", "`1000.00` (or `1_000.00`)"),
        ("1.234.567,89", "`1234567.89` (or `1_234_567.89`)"),
        ("1.000.000", "`1000000` (or `1_000_000`)"),
        ("9,9", "`9.9`"),
    ] {
        let help = first_help(&format!("price = {written} USD\nshare p = remaining\n"));
        assert!(help.contains(want), "{written}: {help}");
        // The hint's number means what was written: it is read as the same value.
        let plain = want.split('`').nth(1).unwrap();
        let grouped = want.split('`').nth(3).unwrap_or(plain);
        assert_eq!(eval(plain), eval(grouped), "{written}");
    }
    // `1,000` may be one thousand or one: the hint names both, never one alone.
    let help = first_help("price = 1,000 USD\nshare p = remaining\n");
    assert!(help.contains("one thousand is written `1000`"), "{help}");
    assert_eq!(eval("1_000.00 USD"), "1000.00 USD");
}

#[test]
fn rate_in_the_wrong_direction_gets_the_rate_that_fits() {
    let help = first_help("price = 10.00 EUR\nx = price * 5.20 EUR/BRL\nshare p = remaining\n");
    assert!(help.contains("`price / 5.20 EUR/BRL`"), "{help}");
    assert!(help.contains("`… BRL/EUR`"), "{help}");
    assert!(!help.contains("EUR/EUR"), "{help}");
    // The suggested division checks, and converts EUR into BRL at the rate.
    assert_eq!(eval("10.40 EUR / 5.20 EUR/BRL"), "2.00 BRL");
}

#[test]
fn currency_codes_in_the_wrong_case_are_unknown_currencies() {
    for (written, code) in [
        ("usd", "USD"),
        ("Usd", "USD"),
        ("EURO", "EUR"),
        ("brl", "BRL"),
    ] {
        let f = splitdsl::Agreement::compile_failure(
            "test.split",
            &format!("price = 10.00 {written}\nshare p = remaining\n"),
        )
        .unwrap_err();
        let d = &f.diagnostics[0];
        assert_eq!(d.code, "splitdsl::unit::unknown_currency", "{written}");
        assert!(
            d.message.contains(&format!("did you mean `{code}`?")),
            "{}",
            d.message
        );
    }
    // A lowercase word that is no currency still asks for `of`.
    let help = first_help("price = 10.00 USD\nshare a = 35% price\nshare p = remaining\n");
    assert!(help.contains("is `of` missing?"), "{help}");
}

#[test]
fn codes_that_are_not_currencies_of_payment_are_refused() {
    for code in [
        "XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA",
        "BOV", "CLF", "USN",
    ] {
        assert_eq!(
            codes(&format!("price = 10.00 {code}\nshare p = remaining\n")),
            ["splitdsl::unit::not_payment_currency"],
            "{code}"
        );
    }
    // Currencies that start with X are still money.
    for code in ["XOF", "XAF", "XCD", "XPF"] {
        assert!(codes(&format!("price = 10 {code}\nshare p = remaining\n")).is_empty());
    }
}

#[test]
fn unallocated_is_reserved() {
    for src in [
        "price = 1.00 USD\nunallocated = 1\nshare p = remaining\n",
        "price = 1.00 USD\ninput unallocated = 1\nshare p = remaining\n",
        "price = 1.00 USD\nshare unallocated = remaining\n",
    ] {
        assert!(codes(src).contains(&"splitdsl::name::reserved"), "{src}");
    }
}

#[test]
fn dates_out_of_range_say_so() {
    // The date is needed (cells are evaluated when something needs them).
    let needed = |e: &str| {
        format!(
            "price = 100.00 USD\nx = {e}\nshare a = 1.00 USD when x > 2025-01-01\nshare p = remaining\n"
        )
    };
    for e in [
        "9999-12-31 + 1",
        "0000-01-01 - 1",
        "2025-01-01 + 100000000000",
        "2025-01-01 - 79228162514264337593543950335",
    ] {
        let (got, msg) = eval_error(&needed(e), &[]);
        assert_eq!(got, "splitdsl::eval::date_out_of_range", "{e}");
        assert!(msg.starts_with("date out of range"), "{msg}");
        assert!(!msg.contains("significant digits"), "{msg}");
    }
    assert_eq!(eval("9999-12-30 + 1"), "9999-12-31");
    for lit in ["99999-01-01", "2025-02-30", "2025-13-01"] {
        assert_eq!(
            codes(&with_cell(lit)),
            ["splitdsl::syntax::bad_date"],
            "{lit}"
        );
    }
}

#[test]
fn name_typos_suggest_names_and_value_keywords_only() {
    let help = first_help("price = 1.00 USD\nshare b = 10% of nett\nshare p = remaining\n");
    assert!(!help.contains("`not`"), "{help}");
    let help =
        first_help("price = 1.00 USD\nnet = price\nshare b = 10% of nett\nshare p = remaining\n");
    assert!(help.contains("did you mean `net`?"), "{help}");
    let help = first_help("price = 1.00 USD\nshare b = 10% of remainig\nshare p = remaining\n");
    assert!(help.contains("`remaining`"), "{help}");
}

#[test]
fn check_lists_diagnostics_by_line() {
    let src = "price = 1.00 USD\nfee f 9.9%\nx = 1.00 USD + 1.00 BRL\ny = nope\nz = 2.00 EUR + 1\nfee g 1%\n";
    let f = splitdsl::Agreement::compile_failure("test.split", src).unwrap_err();
    let starts: Vec<usize> = f
        .diagnostics
        .iter()
        .map(|d| d.labels.iter().find(|l| l.primary).unwrap().span.start)
        .collect();
    assert!(starts.len() >= 4, "{starts:?}");
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
}

#[test]
fn a_syntax_error_after_an_operator_points_at_the_operand() {
    let src = "price = 1.00 USD\nshare a = 1.00 USD * ç\nshare p = remaining\n";
    let f = splitdsl::Agreement::compile_failure("test.split", src).unwrap_err();
    let d = &f.diagnostics[0];
    let span = d.labels.iter().find(|l| l.primary).unwrap().span;
    assert_eq!(&src[span.start..span.end], "ç");
}

#[test]
fn currency_hints_keep_the_rest_of_a_rate_and_leave_keywords_alone() {
    let help = first_help("price = 10.00 USD\nx = price * 5.20 brl/usd\nshare p = remaining\n");
    assert!(help.contains("`5.20 BRL/USD`"), "{help}");
    let f = splitdsl::Agreement::compile_failure(
        "test.split",
        "price = 10.00 USD\nx = 5 AND true\nshare p = remaining\n",
    )
    .unwrap_err();
    assert_ne!(f.diagnostics[0].code, "splitdsl::unit::unknown_currency");
}
