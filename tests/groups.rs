//! Group shares (issue 14, docs/language.md "Group shares"): one slice
//! divided among members to the minor unit, each member a share everywhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use common::{codes, compile, eval_error, value};
use splitdsl::batch::{settle, OutFormat};
use splitdsl::repl::{Session, SolveResult};

const EQUAL: &str = r#"price = 100.00 USD
share (bruno "Bruno", dora "Dora", eli "Eli") "Co-producers" = remaining
"#;

const MIXED: &str = r#"price = 110.00 USD
input lead = 2
fee platform "Platform" = 10% of price
share (bruno "Bruno": lead, dora "Dora": 1, eli "Eli": 1) "Co-producers" = 50% of remaining
after = remaining_after_group
remaining_after_group = price - platform - bruno - dora - eli
share producer "Carla" = remaining
require producer >= bruno + dora + eli "the producer keeps at least the co-producers' slice"
"#;

#[test]
fn one_hundred_among_three_equal_members() {
    assert_eq!(value(EQUAL, &[], "bruno"), "33.34 USD");
    assert_eq!(value(EQUAL, &[], "dora"), "33.33 USD");
    assert_eq!(value(EQUAL, &[], "eli"), "33.33 USD");
    // JPY (0 digits) and BHD (3 digits).
    let sets = ["price=100 JPY"];
    let jpy = EQUAL.replace("100.00 USD", "100 JPY");
    assert_eq!(value(&jpy, &sets, "bruno"), "34 JPY");
    assert_eq!(value(&jpy, &sets, "eli"), "33 JPY");
    let bhd = EQUAL.replace("100.00 USD", "100.000 BHD");
    assert_eq!(value(&bhd, &[], "bruno"), "33.334 BHD");
    assert_eq!(value(&bhd, &[], "dora"), "33.333 BHD");
}

#[test]
fn weighted_members_and_a_tie_in_written_order() {
    // 1:1:2 of 0.02: exact 0.005, 0.005, 0.01 → 0.00, 0.00, 0.01; the cent
    // left goes to the tied remainders' first written, bruno.
    let src = "price = 0.02 USD\nshare (bruno: 1, dora: 1, eli: 2) = remaining\n";
    assert_eq!(value(src, &[], "bruno"), "0.01 USD");
    assert_eq!(value(src, &[], "dora"), "0.00 USD");
    assert_eq!(value(src, &[], "eli"), "0.01 USD");
    // 2:1:1 of 0.03: remainders 0.5, 0.75, 0.75 → dora and eli get the two cents.
    let src = "price = 0.03 USD\nshare (bruno: 2, dora: 1, eli: 1) = remaining\n";
    assert_eq!(value(src, &[], "bruno"), "0.01 USD");
    assert_eq!(value(src, &[], "dora"), "0.01 USD");
    assert_eq!(value(src, &[], "eli"), "0.01 USD");
    // A zero weight gets nothing.
    let src = "price = 10.00 USD\nshare (bruno: 0, dora: 30%, eli: 10%) = remaining\n";
    assert_eq!(value(src, &[], "bruno"), "0.00 USD");
    assert_eq!(value(src, &[], "dora"), "7.50 USD");
    assert_eq!(value(src, &[], "eli"), "2.50 USD");
}

#[test]
fn members_are_shares_in_expressions_requirements_and_remaining() {
    // platform 11.00 → pool 99.00; the group is 49.50 (rounded once),
    // 2:1:1 → 24.75, 12.375 → 12.37 + 12.37 → the odd cent to dora.
    assert_eq!(value(MIXED, &[], "bruno"), "24.75 USD");
    assert_eq!(value(MIXED, &[], "dora"), "12.38 USD");
    assert_eq!(value(MIXED, &[], "eli"), "12.37 USD");
    assert_eq!(value(MIXED, &[], "after"), "49.50 USD");
    // `remaining` after the group is the pool less the whole group.
    assert_eq!(value(MIXED, &[], "producer"), "49.50 USD");
    // The weight is an input.
    assert_eq!(value(MIXED, &["lead=0"], "bruno"), "0.00 USD");
    assert_eq!(value(MIXED, &["lead=0"], "dora"), "24.75 USD");
    // A requirement on the members.
    let a = compile(&MIXED.replace("50% of remaining", "60% of remaining"));
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    assert!(!out.all_hold());
}

#[test]
fn when_false_gives_every_member_zero() {
    let src = "price = 10.00 USD\ninput on = false\nshare (a, b: 1) = remaining when on\nshare p = remaining\n";
    assert_eq!(codes(src), vec!["splitdsl::group::partial_weights"]);
    let src = "price = 10.00 USD\ninput on = false\nshare (a, b) = remaining when on\nshare p = remaining\n";
    assert_eq!(value(src, &[], "a"), "0.00 USD");
    assert_eq!(value(src, &[], "b"), "0.00 USD");
    assert_eq!(value(src, &[], "p"), "10.00 USD");
    assert_eq!(value(src, &["on=true"], "a"), "5.00 USD");
    assert_eq!(value(src, &["on=true"], "p"), "0.00 USD");
}

#[test]
fn errors() {
    let src = "price = 10.00 USD\ninput w = 1\nshare (a: w, b: 1) = remaining\n";
    assert_eq!(
        eval_error(src, &["w=-1"]).0,
        "splitdsl::group::negative_weight"
    );
    let src = "price = 10.00 USD\ninput w = 1\nshare (a: w, b: 0) = remaining\n";
    assert_eq!(eval_error(src, &["w=0"]).0, "splitdsl::group::zero_weights");
    let src = "price = 10.00 USD\nshare (a, b) = remaining - 20.00 USD\n";
    assert_eq!(eval_error(src, &[]).0, "splitdsl::eval::negative_deduction");
    let src = "price = 10.00 USD\nshare (a, b) = 11.00 USD\nshare p = remaining\n";
    let (code, msg) = eval_error(src, &[]);
    assert_eq!(code, "splitdsl::eval::exceeds_pool");
    assert!(msg.contains("`(a, b)` is 11.00 USD"), "{msg}");
    // A member named like another value, twice in a group, `price`.
    let src = "price = 10.00 USD\nx = 1\nshare (a, x) = remaining\n";
    assert!(codes(src).contains(&"splitdsl::name::duplicate"));
    let src = "price = 10.00 USD\nshare (a, a) = remaining\n";
    assert!(codes(src).contains(&"splitdsl::name::duplicate"));
    let src = "price = 10.00 USD\nshare (a, price) = remaining\n";
    assert!(codes(src).contains(&"splitdsl::name::reserved"));
    let src = "price = 10.00 USD\nshare (a: true, b: 1) = remaining\n";
    assert!(codes(src).contains(&"splitdsl::group::weight_not_number"));
    let src = "price = 10.00 USD\nshare (a: nope, b: 1) = remaining\n";
    assert!(codes(src).contains(&"splitdsl::name::unknown"));
    // A weight may not loop through its own group.
    let src = "price = 10.00 USD\nshare (a: 1, b: b / 1.00 USD) = remaining\n";
    assert!(codes(src).contains(&"splitdsl::deps::cycle"));
}

#[test]
fn the_new_words_are_not_reserved() {
    // Names that the other constructs of issue 14 use stay names.
    let src = "price = 10.00 USD\nsum = 1\nper = 1\nrunning = 1\nbrackets = 1\n\
               share (running_a: sum, per_b: per) = remaining\n";
    assert_eq!(value(src, &[], "running_a"), "5.00 USD");
}

#[test]
fn reevaluation_equals_a_full_evaluation() {
    let a = compile(MIXED);
    let p = &a.program;
    let mut inputs = a.raw_inputs();
    let mut out = p.evaluate(&inputs).unwrap();
    for (set, name) in [
        ("lead=7", "lead"),
        ("price=333.33 USD", "price"),
        ("lead=0", "lead"),
    ] {
        a.set_from_text(&mut inputs, set).unwrap();
        let slot = p.slot(name).unwrap();
        p.reevaluate(&inputs, &[slot], &mut out).unwrap();
        assert_eq!(out, p.evaluate(&inputs).unwrap(), "after {set}");
    }
    // The first member's part stays 0 while the others' change: they run
    // again all the same.
    let src = "price = 10.00 USD\ninput w = 1\nshare (z: 0, y: w, x: 1) = remaining\n";
    let a = compile(src);
    let p = &a.program;
    let mut inputs = a.raw_inputs();
    let mut out = p.evaluate(&inputs).unwrap();
    a.set_from_text(&mut inputs, "w=3").unwrap();
    p.reevaluate(&inputs, &[p.slot("w").unwrap()], &mut out)
        .unwrap();
    assert_eq!(out, p.evaluate(&inputs).unwrap());
    assert_eq!(
        out.value(p.slot("y").unwrap()).unwrap().to_string(),
        "7.50 USD"
    );
}

#[test]
fn explain_shows_the_division() {
    let s = Session::from_text("f.split", MIXED).unwrap();
    let text = s.explain("dora").unwrap().render();
    assert!(
        text.contains("member 2 of 3 of the group (bruno, dora, eli) \"Co-producers\""),
        "{text}"
    );
    assert!(
        text.contains("the group's amount: 50% of remaining = "),
        "{text}"
    );
    assert!(text.contains("its part: 1 / 4 (the weights 2 + 1 + 1) × 49.50 USD = 12.37 USD rounded toward zero, remainder 1/2 of 0.01 USD"), "{text}");
    assert!(
        text.contains("+ 0.01 USD: one of the 0.01 USD left over"),
        "{text}"
    );
    let text = s.explain("eli").unwrap().render();
    assert!(text.contains("no leftover unit"), "{text}");
    let text = s.explain("bruno").unwrap().render();
    assert!(text.contains("weight: lead = 2"), "{text}");
}

#[test]
fn repl_completion_what_if_solve_and_edits() {
    let mut s = Session::from_text("f.split", MIXED).unwrap();
    let names = s.names();
    for n in ["bruno", "dora", "eli"] {
        assert!(names.iter().any(|x| x == n), "{names:?}");
    }
    let w = s.what_if(&[("lead", "1")]).unwrap();
    let text = format!("{w:?}");
    assert!(text.contains("bruno"), "{text}");
    let r = s.handle("what if lead = 1");
    assert!(r.output.contains("bruno"), "{}", r.output);
    assert!(r.output.contains("16.50"), "{}", r.output);
    // A member's part is not a formula of its own.
    let r = s.handle("what if bruno = 1.00 USD");
    let msg = format!("{:?}", r.diagnostics);
    assert!(
        msg.contains("member of the share group (bruno, dora, eli)"),
        "{msg}"
    );
    // Solve for a member.
    let sol = s.solve("price", "bruno", "45.00 USD").unwrap();
    let SolveResult::Found { value, .. } = &sol.result else {
        panic!("{sol:?}")
    };
    assert_eq!(value.to_string(), "200.00 USD");
    // A member in an expression, and a group typed as a statement.
    assert_eq!(s.handle("bruno + dora + eli").output.trim(), "49.50 USD");
    // (added last, after the producer took the rest: 0)
    s.handle("share (x1, x2) = 10% of remaining");
    assert!(s.names().iter().any(|n| n == "x2"));
    assert_eq!(s.handle("x1").output.trim(), "0.00 USD");
}

#[test]
fn ledger_columns_for_every_member() {
    let a = compile(MIXED);
    let mut out = Vec::new();
    let mut rejects = Vec::new();
    let ledger = "sale_id,price\nS1,110.00\nS2,110.11\n";
    let s = settle(
        &a,
        &a.inputs(),
        ledger.as_bytes(),
        &mut out,
        OutFormat::Csv,
        2,
        &mut rejects,
    )
    .unwrap_or_else(|f| panic!("{:?}", f.diagnostic()));
    assert!(rejects.is_empty());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "sale_id,price,platform,bruno,dora,eli,producer,unallocated\n\
         S1,110.00,11.00,24.75,12.38,12.37,49.50,0.00\n\
         S2,110.11,11.01,24.77,12.39,12.39,49.55,0.00\n"
    );
    assert!(s.reconciliation.holds);
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("splitdsl").unwrap();
    c.env("NO_COLOR", "1");
    c
}

#[test]
fn json_lists_members_as_shares_with_pools_decreasing() {
    let dir = std::env::temp_dir().join(format!("splitdsl-groups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("equal.split");
    std::fs::write(&f, EQUAL).unwrap();
    let out = bin()
        .args(["run", f.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ds = v["deductions"].as_array().unwrap();
    let got: Vec<(String, String, String, String)> = ds
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_string(),
                d["label"].as_str().unwrap().to_string(),
                d["amount"].as_str().unwrap().to_string(),
                d["remaining"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("bruno", "Bruno", "33.34", "66.66"),
        ("dora", "Dora", "33.33", "33.33"),
        ("eli", "Eli", "33.33", "0.00"),
    ];
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want);
    assert!(ds.iter().all(|d| d["kind"] == "share"));
    // The table.
    let out = bin().args(["run", f.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // Members' rows show the group's label before their own.
    assert!(text.contains("Co-producers › Bruno"), "{text}");
    assert!(text.contains("Co-producers › Eli"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn editor_names_know_the_members() {
    use splitdsl::document::{Document, SymbolKind};
    let doc = Document::new("f.split", MIXED);
    assert!(doc.agreement().is_some());
    let dora = doc.names().get("dora").unwrap();
    assert_eq!(dora.kind, SymbolKind::Share);
    assert_eq!(&MIXED[dora.definition.start..dora.definition.end], "dora");
    // Uses in a cell and a requirement, and a weight's input.
    assert_eq!(dora.references.len(), 2);
    assert_eq!(doc.names().get("lead").unwrap().references.len(), 1);
}
