//! Settling typed columns (src/services/batch/columns.rs): the same amounts
//! as the CSV ledger, typed cells, per-row errors, running totals given as
//! columns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use splitdsl::batch::columns::{Column, Columnar};
use splitdsl::batch::{settle, OutFormat, Reject};
use splitdsl::Agreement;

fn load(path: &str) -> Agreement {
    let text = std::fs::read_to_string(path).unwrap();
    Agreement::compile(path, &text).unwrap()
}

/// The CSV ledger's output rows (header first), split on commas.
fn csv_rows(a: &Agreement, ledger: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    settle(
        a,
        &a.inputs(),
        ledger.as_bytes(),
        &mut out,
        OutFormat::Csv,
        1,
        &mut rejects,
    )
    .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn text(units: Option<i128>, dp: u32) -> String {
    let u = units.unwrap();
    rust_decimal::Decimal::from_i128_with_scale(u, dp).to_string()
}

#[test]
fn typed_columns_settle_as_the_csv_ledger_does() {
    let a = load("examples/installments.split");
    let ids = [Some("A"), Some("B"), Some("C"), Some("B")];
    let prices = [Some(120000), Some(99999), Some(5000), Some(99999)];
    let n = [Some(1), Some(12), Some(3), Some(12)];
    let days = [Some(20147), Some(20157), None, Some(20157)]; // 2025-02-28, 2025-03-10
    let kinds = [None, Some("sale"), Some(""), Some("chargeback")];
    let c = Columnar::new(
        &a,
        &["sale_id", "price", "installments", "sale_date", "kind"],
    )
    .unwrap();
    let out = c
        .settle(&[
            Column::Text(&ids),
            Column::Decimal(&prices, 2),
            Column::Int(&n),
            Column::Date(&days),
            Column::Text(&kinds),
        ])
        .unwrap();
    assert!(out.errors.iter().all(Option::is_none), "{:?}", out.errors);
    let ledger = "sale_id,price,installments,sale_date,kind\n\
                  A,1200.00,1,2025-02-28,\n\
                  B,999.99,12,2025-03-10,sale\n\
                  C,50.00,3,,\n\
                  B2,999.99,12,2025-03-10,chargeback\n";
    let rows = csv_rows(&a, ledger);
    let header = &rows[0];
    for (k, name) in c.amounts().iter().enumerate() {
        let col = header.iter().position(|h| h == name).unwrap();
        for (r, row) in rows[1..].iter().enumerate() {
            assert_eq!(
                text(out.amounts[k][r], c.minor_unit()),
                row[col],
                "{name}, row {r}"
            );
        }
    }
    // The chargeback is the sale negated.
    assert_eq!(out.amounts[0][3], out.amounts[0][1].map(|u| -u));
    assert_eq!(out.statement.sales, 3);
}

#[test]
fn a_bad_row_has_its_error_and_the_others_settle() {
    let a = load("examples/hotmart.split");
    let c = Columnar::new(&a, &["price", "kind", "note"]).unwrap();
    assert!(c.reads(0) && c.reads(1) && !c.reads(2));
    let prices = [
        Some("100.00 USD"),
        Some("100.00 EUR"),
        Some("12.3x"),
        None,
        Some("100.00"),
    ];
    let kinds = [None, None, None, None, Some("gift")];
    let out = c
        .settle(&[Column::Text(&prices), Column::Text(&kinds), Column::Null(5)])
        .unwrap();
    let codes: Vec<Option<&str>> = out
        .errors
        .iter()
        .map(|e| e.as_ref().map(|e| e.code))
        .collect();
    assert_eq!(
        codes,
        [
            None,
            Some("splitdsl::batch::currency_mismatch"),
            Some("splitdsl::batch::bad_value"),
            Some("splitdsl::batch::empty_value"),
            Some("splitdsl::batch::bad_kind"),
        ]
    );
    assert_eq!(out.amounts[3][0], Some(5242)); // the producer of the good row
    assert!(out
        .amounts
        .iter()
        .all(|col| col[1..].iter().all(Option::is_none)));
    // A decimal beyond rust_decimal's 28 digits is that row's error.
    let big = [Some(i128::MAX), Some(10000)];
    let out = c
        .settle(&[Column::Decimal(&big, 2), Column::Null(2), Column::Null(2)])
        .unwrap();
    assert_eq!(
        out.errors[0].as_ref().unwrap().code,
        "splitdsl::batch::bad_value"
    );
    assert_eq!(out.amounts[0][1], Some(1040));
}

#[test]
fn running_totals_come_from_their_column() {
    let a = load("examples/lifetime.split");
    let err = Columnar::new(&a, &["sale_id", "seller", "price"]).unwrap_err();
    assert_eq!(err.code(), Some("splitdsl::batch::running_not_given"));
    // The running total computed as an engine's window would (the signed
    // prices of the seller's earlier rows), passed as a column, gives the
    // CLI's amounts row by row.
    let ledger = std::fs::read_to_string("examples/lifetime-sales.csv").unwrap();
    let rows = csv_rows(&a, &ledger);
    let h = &rows[0];
    let at = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (seller, price, kind, platform) = (at("seller"), at("price"), at("kind"), at("platform"));
    let body = &rows[1..];
    let dec = |s: &str| {
        let d: rust_decimal::Decimal = s.parse().unwrap();
        d.mantissa() * 10i128.pow(2 - d.scale())
    };
    // The CLI writes a refund's price negative; the column holds it positive.
    let prices: Vec<Option<i128>> = body.iter().map(|r| Some(dec(&r[price]).abs())).collect();
    let mut sums = std::collections::HashMap::new();
    let mut lifetimes = Vec::new();
    for r in body {
        let sum = sums.entry(r[seller].clone()).or_insert(0i128);
        lifetimes.push(Some(*sum));
        *sum += dec(&r[price]);
    }
    let kinds: Vec<Option<&str>> = body.iter().map(|r| Some(r[kind].as_str())).collect();
    let c = Columnar::new(&a, &["price", "kind", "lifetime"]).unwrap();
    let out = c
        .settle(&[
            Column::Decimal(&prices, 2),
            Column::Text(&kinds),
            Column::Decimal(&lifetimes, 2),
        ])
        .unwrap();
    assert!(out.errors.iter().all(Option::is_none), "{:?}", out.errors);
    let platforms: Vec<String> = out.amounts[0].iter().map(|u| text(*u, 2)).collect();
    let expected: Vec<String> = body.iter().map(|r| r[platform].clone()).collect();
    assert_eq!(platforms, expected);
    assert!(platforms.iter().any(|p| p.starts_with('-')), "a refund");
}

#[test]
fn a_batch_without_the_prepared_columns_is_refused() {
    let a = load("examples/hotmart.split");
    assert_eq!(
        Columnar::new(&a, &["amount"]).unwrap_err().code(),
        Some("splitdsl::batch::no_price")
    );
    let c = Columnar::new(&a, &["price", "kind"]).unwrap();
    let p = [Some(1)];
    assert!(c.settle(&[Column::Int(&p)]).is_err());
    assert!(c.settle(&[Column::Int(&p), Column::Int(&p)]).is_err());
    assert!(c.settle(&[Column::Int(&p), Column::Null(2)]).is_err());
}
