//! `brackets NAME { RANGE => RATE … }` (LANGUAGE.md §9, issue 14): marginal
//! rates checked against a hand computation at every band boundary, with and
//! without `before`; the check-time errors; `explain`, `run --format json`,
//! fmt, the REPL and ledger settlement.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use rust_decimal::Decimal;
use std::str::FromStr;

const EXAMPLE: &str = include_str!("../examples/brackets.split");

/// The marketplace's sliding fee, with cells holding the exact result.
fn sliding(cells: &str) -> String {
    format!(
        "price = 100.00 USD\ninput before = 0.00 USD\ninput x = 0.00 USD\n\
         brackets sliding_fee {{\n  ..500.00 USD => 20%\n  500.00 USD..10000.00 USD => 10%\n  10000.00 USD.. => 5%\n}}\n\
         {cells}\nshare p = remaining\n"
    )
}

/// The exact value of `expr` with `x` and `before` set.
fn exact(expr: &str, x: &str, before: &str) -> Decimal {
    let src = sliding(&format!("r = {expr}"));
    let a = compile(&src);
    let mut inputs = a.raw_inputs();
    a.set_from_text(&mut inputs, &format!("x={x} USD")).unwrap();
    a.set_from_text(&mut inputs, &format!("before={before} USD"))
        .unwrap();
    let out = a
        .evaluate_outcome(&inputs)
        .unwrap_or_else(|d| panic!("{}", rendered(&src, &[d])));
    let v = out.value(a.program.slot("r").unwrap()).unwrap();
    v.decimal().unwrap()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// F(t) by hand: 20% up to 500, 10% up to 10,000, 5% above.
#[test]
fn every_band_boundary_matches_a_hand_computation() {
    for (x, want) in [
        ("0.00", "0"),
        ("0.01", "0.002"),
        ("499.99", "99.998"),
        ("500.00", "100"),
        ("500.01", "100.001"),
        ("9999.99", "1049.999"),   // 100 + 10% × 9,499.99
        ("10000.00", "1050"),      // 100 + 950
        ("10000.01", "1050.0005"), // 1050 + 5% × 0.01
        ("25000.00", "1800"),      // 1050 + 5% × 15,000
    ] {
        assert_eq!(exact("sliding_fee(x)", x, "0"), d(want), "sliding_fee({x})");
        // `before` = 0 is the same as no `before`.
        assert_eq!(exact("sliding_fee(x, before)", x, "0"), d(want), "({x}, 0)");
    }
}

#[test]
fn before_starts_where_earlier_billing_left_off() {
    for (x, before, want) in [
        ("0.01", "499.98", "0.002"), // ends one cent below the bound
        ("0.01", "499.99", "0.002"), // ends exactly on the bound
        ("0.01", "500.00", "0.001"), // starts exactly on the bound
        ("0.02", "499.99", "0.003"), // one cent each side of the bound
        ("0.01", "9999.98", "0.001"),
        ("0.01", "9999.99", "0.001"), // ends exactly on 10,000
        ("0.01", "10000.00", "0.0005"),
        ("0.02", "9999.99", "0.0015"),     // 10% × 0.01 + 5% × 0.01
        ("9600.01", "400.00", "970.0005"), // F(10,000.01) − F(400)
        ("400.00", "9800.00", "30"),       // 10% × 200 + 5% × 200
        ("0.00", "600.00", "0"),
    ] {
        assert_eq!(
            exact("sliding_fee(x, before)", x, before),
            d(want),
            "sliding_fee({x}, {before})"
        );
    }
}

/// A negative amount mirrors a positive one: NAME(-x) = -NAME(x), and
/// NAME(x, before) = F(before + x) − F(before) in every case.
#[test]
fn negative_amounts_mirror() {
    assert_eq!(exact("sliding_fee(x)", "-600.00", "0"), d("-110"));
    assert_eq!(exact("sliding_fee(x)", "-0.01", "0"), d("-0.002"));
    assert_eq!(exact("sliding_fee(x)", "-25000.00", "0"), d("-1800"));
    // A refund of 200.00 after 600.00 billed: F(400) − F(600).
    assert_eq!(
        exact("sliding_fee(x, before)", "-200.00", "600.00"),
        d("-30")
    );
    // Crossing zero: F(100) − F(-100) = 20 + 20.
    assert_eq!(
        exact("sliding_fee(x, before)", "200.00", "-100.00"),
        d("40")
    );
}

#[test]
fn the_example_file_gives_the_hand_computed_fees() {
    for (price, fee) in [
        ("400.00", "80.00 USD"),
        ("500.00", "100.00 USD"),
        ("9999.99", "1050.00 USD"), // 1,049.999 rounded by the fee
        ("10000.00", "1050.00 USD"),
        ("25000.00", "1800.00 USD"),
    ] {
        let set = format!("price={price} USD");
        assert_eq!(value(EXAMPLE, &[&set], "marketplace"), fee, "{price}");
    }
}

#[test]
fn numbers_work_as_well_as_money() {
    let src = "price = 100.00 USD\nbrackets tiers {\n  0..10 => 1\n  10.. => 0.5\n}\n\
               n = tiers(15)\nm = tiers(4, 8)\nshare p = remaining\n";
    assert_eq!(value(src, &[], "n"), "12.5");
    assert_eq!(value(src, &[], "m"), "3");
}

#[test]
fn the_word_brackets_is_still_a_name() {
    let src = "price = 100.00 USD\nbrackets = 2\ninput running = 3\n\
               share p \"P\" = 10% of price * brackets\nshare q = remaining\n";
    assert_eq!(value(src, &[], "p"), "20.00 USD");
    let src = "price = 100.00 USD\ninput brackets = 1\nshare p = remaining\n";
    assert_eq!(value(src, &[], "brackets"), "1");
}

#[test]
fn check_time_errors_have_their_codes() {
    let case = |rows: &str, call: &str| {
        let mut c = codes(&format!(
            "price = 100.00 USD\nbrackets b {{\n{rows}}}\nx = {call}\nshare p = remaining\n"
        ));
        c.retain(|c| !c.starts_with("splitdsl::warn::"));
        c
    };
    let ok = "  ..500.00 USD => 20%\n  500.00 USD.. => 10%\n";
    assert_eq!(case(ok, "b(price)"), Vec::<&str>::new());
    assert_eq!(case("", "1"), ["splitdsl::brackets::empty"]);
    assert_eq!(
        case("  ..500.00 USD => 20%\n  400.00 USD.. => 10%\n", "1"),
        ["splitdsl::brackets::overlap"]
    );
    assert_eq!(
        case("  .. => 20%\n  400.00 USD.. => 10%\n", "1"),
        ["splitdsl::brackets::overlap"]
    );
    assert_eq!(
        case("  ..500.00 USD => 20%\n  ..900.00 USD => 10%\n", "1"),
        ["splitdsl::brackets::overlap"]
    );
    assert_eq!(
        case("  ..500.00 USD => 20%\n  600.00 USD.. => 10%\n", "1"),
        ["splitdsl::brackets::gap"]
    );
    assert_eq!(
        case(
            "  100.00 USD..500.00 USD => 20%\n  500.00 USD.. => 10%\n",
            "1"
        ),
        ["splitdsl::brackets::start"]
    );
    assert_eq!(
        case(
            "  0.00 USD..500.00 USD => 20%\n  500.00 USD.. => 10%\n",
            "b(price)"
        ),
        Vec::<&str>::new()
    );
    assert_eq!(
        case("  ..500.00 USD => 20%\n  500.00 EUR.. => 10%\n", "1"),
        ["splitdsl::brackets::bound_kind"]
    );
    assert_eq!(
        case("  ..500.00 USD => 20%\n  500.. => 10%\n", "1"),
        ["splitdsl::brackets::bound_kind"]
    );
    assert_eq!(
        case("  ..true => 20%\n", "1"),
        ["splitdsl::brackets::bound_kind"]
    );
    assert_eq!(
        case("  ..500.00 USD => 1.00 USD\n", "1"),
        ["splitdsl::brackets::rate_kind"]
    );
    assert_eq!(
        case("  ..500.00 USD => true\n", "1"),
        ["splitdsl::brackets::rate_kind"]
    );
    assert_eq!(
        case("  ..500.00 USD => price\n", "1"),
        ["splitdsl::brackets::not_constant"]
    );
    assert_eq!(
        case("  ..250.00 USD * 2 => 20%\n", "1"),
        ["splitdsl::brackets::not_constant"]
    );
    assert_eq!(
        case(
            "  0.00 USD..500.00 USD => 20%\n  500.00 USD..100.00 USD => 10%\n",
            "1"
        ),
        ["splitdsl::brackets::empty_band"]
    );
    // `..HIGH` starts at zero: a HIGH at or below zero holds nothing.
    assert_eq!(
        case("  ..-5.00 USD => 20%\n", "1"),
        ["splitdsl::brackets::empty_band"]
    );
    assert_eq!(
        case("  ..0.00 USD => 20%\n  0.00 USD.. => 10%\n", "1"),
        ["splitdsl::brackets::empty_band"]
    );
    assert_eq!(case(ok, "b"), ["splitdsl::brackets::not_called"]);
    assert_eq!(case(ok, "b()"), ["splitdsl::call::arity"]);
    assert_eq!(
        case(ok, "b(price, price, price)"),
        ["splitdsl::call::arity"]
    );
    assert_eq!(case(ok, "b(5)"), ["splitdsl::brackets::arg_kind"]);
    assert_eq!(case(ok, "b(5.00 EUR)"), ["splitdsl::brackets::arg_kind"]);
    assert_eq!(case(ok, "b(price, 5)"), ["splitdsl::brackets::arg_kind"]);
    // Negative literals are literals; a name that is not the brackets' is unknown.
    assert_eq!(case(ok, "b(-price)"), Vec::<&str>::new());
    assert_eq!(case(ok, "bb(price)"), ["splitdsl::call::unknown_function"]);
}

#[test]
fn overlap_and_gap_point_at_both_rows() {
    let src = "price = 100.00 USD\nbrackets b {\n  ..500.00 USD => 20%\n  600.00 USD.. => 10%\n}\nshare p = remaining\n";
    let f = splitdsl::Agreement::compile_failure("t.split", src).unwrap_err();
    let d = &f.diagnostics[0];
    let text = rendered(src, &f.diagnostics);
    assert_eq!(d.labels.len(), 2, "{text}");
    let spans: Vec<&str> = d.labels.iter().map(|l| l.span.text(src)).collect();
    assert!(spans.contains(&"..500.00 USD => 20%"), "{spans:?}");
    assert!(spans.contains(&"600.00 USD.. => 10%"), "{spans:?}");
}

#[test]
fn an_amount_above_a_closed_last_band_is_an_error() {
    let src = "price = 100.00 USD\nbrackets b {\n  ..500.00 USD => 20%\n  500.00 USD..1000.00 USD => 10%\n}\n\
               fee f = b(price)\nshare p = remaining\n";
    assert_eq!(value(src, &["price=1000.00 USD"], "f"), "150.00 USD");
    let (code, msg) = eval_error(src, &["price=1000.01 USD"]);
    assert_eq!(code, "splitdsl::eval::above_brackets", "{msg}");
    // A refund mirrors: below the negated bound too.
    let cell = "price = 100.00 USD\ninput r = 0.00 USD\nbrackets b {\n  ..500.00 USD => 20%\n}\nx = b(r)\nfee f = 1% of price\nshare p = remaining\nrequire x <= 0.00 USD\n";
    let (code, _) = eval_error(cell, &["r=-500.01 USD"]);
    assert_eq!(code, "splitdsl::eval::above_brackets");
}

#[test]
fn overflow_is_a_diagnostic() {
    let src = "price = 100.00 USD\ninput n = 1\nbrackets b {\n  .. => 10000000000000000000000000\n}\nx = b(n)\nshare p = remaining\nrequire x > 0\n";
    assert_eq!(value(src, &[], "x"), "10000000000000000000000000");
    let (code, _) = eval_error(src, &["n=100000"]);
    assert_eq!(code, "splitdsl::eval::overflow");
    let src = "price = 100.00 USD\ninput m = 1.00 USD\nbrackets b {\n  .. => 1000000000000000\n}\nx = b(m)\nshare p = remaining\nrequire x > 0.00 USD\n";
    let (code, _) = eval_error(src, &["m=100000000000.00 USD"]);
    assert_eq!(code, "splitdsl::eval::overflow");
}

#[test]
fn explain_shows_each_band_touched() {
    let a = compile(EXAMPLE);
    for (price, before, lines) in [
        (
            "25000.00 USD",
            "0.00 USD",
            &[
                "sliding_fee(price, billed_before) = 1800.00 USD  [brackets sliding_fee, line 10]",
                "20% × 500.00 USD = 100.00 USD  [band ..500.00 USD]",
                "10% × 9500.00 USD = 950.00 USD  [band 500.00 USD..10000.00 USD]",
                "5% × 15000.00 USD = 750.00 USD  [band 10000.00 USD..]",
            ][..],
        ),
        (
            "9999.99 USD",
            "0.00 USD",
            &[
                "= 1049.999 USD  [brackets sliding_fee, line 10], rounded half_up: 1049.999 → 1050.00 USD",
                "20% × 500.00 USD = 100.00 USD  [band ..500.00 USD]",
                "10% × 9499.99 USD = 949.999 USD  [band 500.00 USD..10000.00 USD]",
            ][..],
        ),
        (
            "0.02 USD",
            "9999.99 USD",
            &[
                "10% × 0.01 USD = 0.001 USD  [band 500.00 USD..10000.00 USD]",
                "5% × 0.01 USD = 0.0005 USD  [band 10000.00 USD..]",
            ][..],
        ),
        (
            "500.00 USD",
            "0.00 USD",
            &["20% × 500.00 USD = 100.00 USD  [band ..500.00 USD]"][..],
        ),
    ] {
        let mut inputs = a.inputs();
        inputs.set("price", price).unwrap();
        inputs.set("billed_before", before).unwrap();
        let text = a.explain(&inputs, "marketplace").unwrap().render();
        for l in lines {
            assert!(text.contains(l), "{price}: missing {l:?} in\n{text}");
        }
        if price == "500.00 USD" {
            assert!(!text.contains("[band 500.00 USD..10000.00 USD]"), "{text}");
        }
    }
}

#[cfg(feature = "cli")]
#[test]
fn run_json_gives_the_rounded_fee() {
    for (price, before, fee) in [
        ("499.99 USD", "0.00 USD", "100.00"), // 99.998
        ("500.01 USD", "0.00 USD", "100.00"), // 100.001
        ("9999.99 USD", "0.00 USD", "1050.00"),
        ("10000.01 USD", "0.00 USD", "1050.00"), // 1050.0005
        ("400.00 USD", "9800.00 USD", "30.00"),
    ] {
        let out = assert_cmd::Command::cargo_bin("splitdsl")
            .unwrap()
            .args([
                "run",
                "examples/brackets.split",
                "--format",
                "json",
                "--set",
            ])
            .arg(format!("price={price}"))
            .arg("--set")
            .arg(format!("billed_before={before}"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["deductions"][0]["name"], "marketplace");
        assert_eq!(json["deductions"][0]["amount"], fee, "{price} {before}");
    }
}

#[test]
fn fmt_aligns_the_arrows_and_is_idempotent() {
    let src = "price = 100.00 USD\nbrackets b {\n..500.00USD=>20%\n  500.00 USD..10000.00 USD   =>10% # middle\n10000.00 USD.. => 5%\n}\nshare p = remaining\n";
    let out = splitdsl::fmt::format_source(src).unwrap();
    assert_eq!(
        out,
        "price = 100.00 USD\nbrackets b {\n  ..500.00 USD             => 20%\n  500.00 USD..10000.00 USD => 10%  # middle\n  10000.00 USD..           => 5%\n}\nshare p = remaining\n"
    );
    assert_eq!(splitdsl::fmt::format_source(&out).unwrap(), out);
}

#[test]
fn repl_completes_the_name_and_what_if_recomputes() {
    let mut s = splitdsl::repl::Session::from_text("b.split", EXAMPLE).unwrap();
    assert!(s.names().contains(&"sliding_fee".to_string()));
    assert_eq!(
        s.value("sliding_fee(price)").unwrap().to_string(),
        "80.00 USD"
    );
    let w = s.what_if(&[("price", "25000.00 USD")]).unwrap();
    let f = w.figure("marketplace").expect("marketplace");
    assert_eq!(
        w.difference(f).map(|d| d.to_string()).as_deref(),
        Some("1720.00")
    );
    s.handle("set price = 9999.99 USD");
    let b = s.breakdown().unwrap();
    assert_eq!(
        b.get("marketplace").map(|v| v.to_string()).as_deref(),
        Some("1050.00 USD")
    );
    // A brackets block typed into the session.
    let r = s.handle("brackets flat {\n  .. => 1%\n}");
    assert!(r.diagnostics.is_empty(), "{}", r.output);
    assert_eq!(s.value("flat(price)").unwrap().to_string(), "99.9999 USD");
}

#[cfg(feature = "cli")]
#[test]
fn a_ledger_settles_through_brackets() {
    let dir = tempfile::tempdir().unwrap();
    let sales = dir.path().join("sales.csv");
    std::fs::write(
        &sales,
        "sale_id,price,billed_before\nS1,400.00,0.00\nS2,9999.99,0.00\nS3,400.00,9800.00\n",
    )
    .unwrap();
    let outp = dir.path().join("out.csv");
    let out = assert_cmd::Command::cargo_bin("splitdsl")
        .unwrap()
        .args(["run", "examples/brackets.split", "--sales"])
        .arg(&sales)
        .arg("--out")
        .arg(&outp)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&outp).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert!(rows[1].contains("80.00"), "{text}");
    assert!(rows[2].contains("1050.00"), "{text}");
    assert!(rows[3].contains("30.00"), "{text}");
}

/// A broken statement does not swallow the `brackets` block after it: the
/// parser resumes at `brackets NAME {` as at any statement.
#[test]
fn a_syntax_error_before_brackets_leaves_them_defined() {
    let src = "price = 100.00 USD\nx = = 1\nbrackets b {\n  .. => 10%\n}\nfee f = b(price)\nshare p = remaining\n";
    assert_eq!(codes(src), ["splitdsl::syntax::unexpected"]);
}

/// Typing a `brackets` block with an existing name in the REPL replaces it.
#[test]
fn the_repl_replaces_brackets_redefined() {
    let mut s = splitdsl::repl::Session::from_text("b.split", EXAMPLE).unwrap();
    let r = s.handle("brackets sliding_fee {\n  .. => 1%\n}");
    assert!(
        r.diagnostics.is_empty(),
        "{}",
        r.render_diagnostics(splitdsl::diag::Style::PLAIN)
    );
    assert_eq!(s.value("marketplace").unwrap().to_string(), "4.00 USD");
}

/// `sweep` and `solve` go through the brackets like any formula.
#[test]
fn the_repl_sweeps_and_solves_through_brackets() {
    let s = splitdsl::repl::Session::from_text("b.split", EXAMPLE).unwrap();
    let sw = s
        .sweep("price", "400.00 USD", "600.00 USD", "100.00 USD")
        .unwrap();
    let fees: Vec<String> = sw
        .rows
        .iter()
        .map(|r| r.figures.as_ref().unwrap().amounts[0].to_string())
        .collect();
    assert_eq!(fees, ["80.00", "100.00", "110.00"]);
    let sol = s
        .solve("price", "sliding_fee(price)", "1800.00 USD")
        .unwrap();
    let splitdsl::repl::SolveResult::Found { value, .. } = &sol.result else {
        panic!("{sol:?}")
    };
    assert_eq!(value.to_string(), "25000.00 USD");
}

/// `splitdsl diff` lists a changed brackets block as `brackets`, with the
/// money it moves.
#[cfg(feature = "cli")]
#[test]
fn diff_shows_a_changed_band() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.split");
    std::fs::write(
        &new,
        EXAMPLE.replace(
            "10000.00 USD..           => 5%",
            "10000.00 USD..           => 4%",
        ),
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("splitdsl")
        .unwrap()
        .args(["diff", "examples/brackets.split"])
        .arg(&new)
        .args(["--set", "price=25000.00 USD"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("changed  brackets  sliding_fee"), "{text}");
    assert!(text.contains("10000.00 USD.. => 4% }"), "{text}");
    assert!(text.contains("-150.00"), "{text}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Bands from random widths (cents) and rates (tenths of a percent),
    /// the last one open.
    fn agreement(widths: &[u32], rates: &[u32]) -> String {
        let mut rows = String::new();
        let mut lo = 0u64;
        for (i, r) in rates.iter().enumerate() {
            let lo_text = if i == 0 {
                String::new()
            } else {
                format!("{}.{:02} USD", lo / 100, lo % 100)
            };
            match widths.get(i) {
                Some(w) => {
                    let hi = lo + u64::from(*w);
                    rows.push_str(&format!(
                        "  {lo_text}..{}.{:02} USD => {}.{}%\n",
                        hi / 100,
                        hi % 100,
                        r / 10,
                        r % 10
                    ));
                    lo = hi;
                }
                None => rows.push_str(&format!("  {lo_text}.. => {}.{}%\n", r / 10, r % 10)),
            }
        }
        format!(
            "price = 100.00 USD\ninput x = 0.00 USD\ninput y = 0.00 USD\ninput b = 0.00 USD\n\
             brackets f {{\n{rows}}}\n\
             whole = f(x + y, b)\nparts = f(x, b) + f(y, b + x)\nneg = f(-x, -b)\nplain = f(x)\n\
             share p = remaining\nrequire whole == parts and neg == -f(x, b) and plain == f(x, 0.00 USD)\n"
        )
    }

    fn money(cents: i64) -> String {
        let sign = if cents < 0 { "-" } else { "" };
        let a = cents.unsigned_abs();
        format!("{sign}{}.{:02} USD", a / 100, a % 100)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Splitting an amount in two parts, the second starting where the
        /// first ends, gives the same total to the last digit; a negative
        /// amount mirrors; `before` = 0 is no `before`.
        #[test]
        fn additive_and_mirrored(
            widths in proptest::collection::vec(1u32..200_000, 4),
            rates in proptest::collection::vec(0u32..1000, 1..5),
            x in -3_000_000i64..3_000_000,
            y in -3_000_000i64..3_000_000,
            b in -3_000_000i64..3_000_000,
        ) {
            let n = rates.len();
            let src = agreement(&widths[..n - 1], &rates);
            let a = compile(&src);
            let mut inputs = a.raw_inputs();
            for (name, v) in [("x", x), ("y", y), ("b", b)] {
                a.set_from_text(&mut inputs, &format!("{name}={}", money(v))).unwrap();
            }
            let out = a.evaluate_outcome(&inputs).unwrap();
            prop_assert!(out.all_hold(), "{src}\nx={x} y={y} b={b}");
        }
    }
}
