//! Parquet ledgers (`splitdsl run FILE --sales X.parquet [--out Y.parquet]`):
//! the same ledger as CSV and as Parquet gives the same amounts (byte for
//! byte), statements and rejects; every string type; refunds; a float money
//! column refused; a file of many row groups streamed batch by batch.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(all(feature = "cli", feature = "parquet"))]

use arrow_array::builder::{LargeStringBuilder, StringBuilder, StringViewBuilder};
use arrow_array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Float64Array, Int64Array, ListArray, RecordBatch,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use splitdsl::batch::parquet::{ParquetSink, ParquetSource};
use splitdsl::batch::{settle_records, Observer, Reject};
use std::path::Path;
use std::sync::Arc;

/// Uses an input column (`installments`), a `when`, a table and a `require`.
const TIERED: &str = r#"
agreement "Tiered"
price = 100.00 USD
input installments = 1
table platform_rate { 0.00 USD .. 49.99 USD => 12%  50.00 USD .. => 9.9% }
fee platform "Platform" = platform_rate(price) of price + 0.50 USD
fee installment_fee = if installments > 1 then 2.99% of price else 0.00 USD
share affiliate "Ana" = 35% of remaining
share producer "Carla" = remaining
require producer >= 1.00 USD "the producer gets at least 1.00"
"#;

/// (sale_id, kind, price in cents or None, installments or None, day of 2025-03).
type Row = (&'static str, &'static str, Option<i128>, Option<i64>, i32);

const ROWS: &[Row] = &[
    ("S1", "sale", Some(10000), Some(1), 1),
    ("S2", "", Some(19700), Some(3), 2),
    ("S3", "sale", Some(4999), None, 3),
    ("S1", "refund", Some(10000), Some(1), 4),
    ("S4", "sale", None, Some(1), 5), // no price: rejected (empty_value)
    ("S5", "gift", Some(5000), Some(1), 6), // a bad kind: rejected
    ("S6", "chargeback", Some(123456), Some(12), 7), // no sale: settled, with a warning
    ("S7", "sale", Some(100), Some(1), 8), // the producer gets less than 1.00: require fails
    ("S8", "sale", Some(300000), Some(2), 9),
];

/// The same rows as a CSV ledger.
fn csv(rows: &[Row]) -> String {
    let mut s = String::from("sale_id,kind,price,installments,date\n");
    for (id, kind, price, inst, day) in rows {
        let price = price.map_or(String::new(), |c| format!("{}.{:02}", c / 100, c % 100));
        let inst = inst.map_or(String::new(), |i| i.to_string());
        s.push_str(&format!("{id},{kind},{price},{inst},2025-03-{day:02}\n"));
    }
    s
}

#[derive(Clone, Copy, Debug)]
enum Strings {
    Utf8,
    Large,
    View,
}

fn strings(kind: Strings, values: &[&str]) -> ArrayRef {
    match kind {
        Strings::Utf8 => {
            let mut b = StringBuilder::new();
            values.iter().for_each(|v| b.append_value(v));
            Arc::new(b.finish())
        }
        Strings::Large => {
            let mut b = LargeStringBuilder::new();
            values.iter().for_each(|v| b.append_value(v));
            Arc::new(b.finish())
        }
        Strings::View => {
            let mut b = StringViewBuilder::new();
            values.iter().for_each(|v| b.append_value(v));
            Arc::new(b.finish())
        }
    }
}

/// The same rows as a record batch: ids and kinds of the string type `s`,
/// prices DECIMAL(18, 2), installments INT64, dates DATE32.
fn batch(rows: &[Row], s: Strings) -> RecordBatch {
    let ids: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.1).collect();
    let prices = Decimal128Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())
        .with_precision_and_scale(18, 2)
        .unwrap();
    let inst = Int64Array::from(rows.iter().map(|r| r.3).collect::<Vec<_>>());
    // 2025-03-01 is day 20148 since 1970-01-01.
    let dates = Date32Array::from(rows.iter().map(|r| 20147 + r.4).collect::<Vec<_>>());
    let ids = strings(s, &ids);
    let kinds = strings(s, &kinds);
    let schema = Schema::new(vec![
        Field::new("sale_id", ids.data_type().clone(), false),
        Field::new("kind", kinds.data_type().clone(), false),
        Field::new("price", DataType::Decimal128(18, 2), true),
        Field::new("installments", DataType::Int64, true),
        Field::new("date", DataType::Date32, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            ids,
            kinds,
            Arc::new(prices),
            Arc::new(inst),
            Arc::new(dates),
        ],
    )
    .unwrap()
}

/// Writes `batch` as Parquet in row groups of at most `group` rows.
fn write_parquet(path: &Path, batch: &RecordBatch, group: usize) {
    let file = std::fs::File::create(path).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group))
        .build();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// Reads a whole Parquet file into one batch.
fn read_parquet(path: &Path) -> RecordBatch {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let schema = batches.first().unwrap().schema();
    arrow_select::concat::concat_batches(&schema, &batches).unwrap()
}

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn splitdsl(args: &[&str]) -> Run {
    let out = assert_cmd::Command::cargo_bin("splitdsl")
        .unwrap()
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The text of a decimal array's cell `i` with its scale's decimals.
fn decimal_text(a: &Decimal128Array, i: usize) -> String {
    if a.is_null(i) {
        return String::new();
    }
    a.value_as_string(i)
}

#[test]
fn parquet_and_csv_give_the_same_amounts_statement_and_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let agreement = d.join("tiered.split");
    std::fs::write(&agreement, TIERED).unwrap();
    let ledger_csv = d.join("sales.csv");
    std::fs::write(&ledger_csv, csv(ROWS)).unwrap();
    let run = |sales: &Path, out: &Path, tag: &str| {
        let st = d.join(format!("statement-{tag}.json"));
        let rj = d.join(format!("rejects-{tag}.csv"));
        let r = splitdsl(&[
            "run",
            p(&agreement),
            "--sales",
            p(sales),
            "--out",
            p(out),
            "--statement",
            p(&st),
            "--rejects",
            p(&rj),
            "--threads",
            "2",
        ]);
        assert_eq!(r.code, 1, "rows are rejected: exit 1\n{}", r.stderr);
        (
            std::fs::read_to_string(st).unwrap(),
            std::fs::read_to_string(rj).unwrap(),
        )
    };
    let csv_out = d.join("out.csv");
    let (csv_statement, csv_rejects) = run(&ledger_csv, &csv_out, "csv");
    let csv_text = std::fs::read_to_string(&csv_out).unwrap();
    // The reference: what the CSV path says (checked by hand once).
    assert!(csv_text.starts_with(
        "sale_id,kind,installments,date,price,platform,installment_fee,affiliate,producer,unallocated\n\
         S1,sale,1,2025-03-01,100.00,10.40,0.00,31.36,58.24,0.00\n"
    ));
    assert!(
        csv_text.contains("\nS1,refund,1,2025-03-04,-100.00,-10.40,-0.00,-31.36,-58.24,-0.00\n")
            || csv_text
                .contains("\nS1,refund,1,2025-03-04,-100.00,-10.40,0.00,-31.36,-58.24,0.00\n")
    );
    // Rejects: line numbers of the CSV (header = line 1).
    let csv_reject_lines: Vec<(String, String)> = reject_lines(&csv_rejects);
    assert_eq!(
        csv_reject_lines,
        vec![
            ("6".into(), "splitdsl::batch::empty_value".into()),
            ("7".into(), "splitdsl::batch::bad_kind".into()),
            ("9".into(), "splitdsl::require::failed".into()),
        ],
        "{csv_rejects}"
    );

    // The statement of a Parquet ledger names rows by their number among the
    // data rows: the orphan chargeback S6 is line 8 of the CSV, row 7.
    assert!(csv_statement.contains("chargeback S6 (line 8)"));
    let pq_statement = csv_statement
        .replace("chargeback S6 (line 8)", "chargeback S6 (line 7)")
        .replace("\"line\": 8", "\"line\": 7");
    for s in [Strings::Utf8, Strings::Large, Strings::View] {
        let tag = format!("{s:?}");
        let ledger = d.join(format!("sales-{tag}.parquet"));
        write_parquet(&ledger, &batch(ROWS, s), 4);
        // Parquet in, CSV out: byte for byte the CSV path's output.
        let out = d.join(format!("out-{tag}.csv"));
        let (statement, rejects) = run(&ledger, &out, &format!("{tag}-csv"));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), csv_text, "{tag}");
        assert_eq!(statement, pq_statement, "{tag}");
        // Rejects: the same, each at its data row (the CSV line less the header).
        let lines = reject_lines(&rejects);
        let expected: Vec<(String, String)> = csv_reject_lines
            .iter()
            .map(|(l, c)| ((l.parse::<u64>().unwrap() - 1).to_string(), c.clone()))
            .collect();
        assert_eq!(lines, expected, "{tag}: {rejects}");

        // Parquet in, Parquet out: the amounts are DECIMAL(38, 2), and their
        // text is the CSV output's, byte for byte.
        let out = d.join(format!("out-{tag}.parquet"));
        let (statement, _) = run(&ledger, &out, &format!("{tag}-pq"));
        assert_eq!(statement, pq_statement, "{tag}");
        let back = read_parquet(&out);
        let schema = back.schema();
        let csv_lines: Vec<&str> = csv_text.lines().collect();
        let header: Vec<&str> = csv_lines[0].split(',').collect();
        assert_eq!(
            schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>(),
            header
        );
        // Passed columns keep their types.
        let ty = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
        assert_eq!(ty("sale_id"), *batch(ROWS, s).column(0).data_type());
        assert_eq!(ty("kind"), *batch(ROWS, s).column(1).data_type());
        assert_eq!(ty("installments"), DataType::Int64);
        assert_eq!(ty("date"), DataType::Date32);
        for name in &header[4..] {
            assert_eq!(ty(name), DataType::Decimal128(38, 2), "{name}");
        }
        assert_eq!(back.num_rows(), csv_lines.len() - 1);
        for (r, line) in csv_lines[1..].iter().enumerate() {
            let cells: Vec<&str> = line.split(',').collect();
            for (k, name) in header.iter().enumerate().skip(4) {
                let a = back
                    .column_by_name(name)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<Decimal128Array>()
                    .unwrap();
                assert_eq!(decimal_text(a, r), cells[k], "{tag} row {r} {name}");
            }
        }
        // Refunds and chargebacks are negative whatever the string type.
        let kinds = arrow_cast_strings(back.column_by_name("kind").unwrap());
        let price = back
            .column_by_name("price")
            .unwrap()
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap();
        for (r, k) in kinds.iter().enumerate() {
            let v = price.value(r);
            match k.as_str() {
                "refund" | "chargeback" => assert!(v < 0, "{tag}: row {r} {k} {v}"),
                _ => assert!(v > 0, "{tag}: row {r} {k} {v}"),
            }
        }
    }

    // A CSV ledger written as Parquet: the same amounts, passed columns as strings.
    let out = d.join("out-from-csv.parquet");
    let (statement, _) = run(&ledger_csv, &out, "csv-pq");
    assert_eq!(statement, csv_statement);
    let back = read_parquet(&out);
    assert_eq!(
        back.schema()
            .field_with_name("sale_id")
            .unwrap()
            .data_type(),
        &DataType::Utf8
    );
    let producer = back
        .column_by_name("producer")
        .unwrap()
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .unwrap();
    assert_eq!(decimal_text(producer, 0), "58.24");
}

#[test]
fn diff_reads_a_parquet_ledger_as_its_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = d.join("old.split");
    let new = d.join("new.split");
    std::fs::write(&old, TIERED).unwrap();
    std::fs::write(&new, TIERED.replace("35% of remaining", "40% of remaining")).unwrap();
    let ledger_csv = d.join("sales.csv");
    std::fs::write(&ledger_csv, csv(ROWS)).unwrap();
    let ledger = d.join("sales.parquet");
    write_parquet(&ledger, &batch(ROWS, Strings::View), 3);
    let diff = |sales: &Path| {
        let r = splitdsl(&[
            "diff",
            p(&old),
            p(&new),
            "--sales",
            p(sales),
            "--format",
            "json",
        ]);
        String::from_utf8(r.stdout).unwrap()
    };
    let from_csv = diff(&ledger_csv);
    assert!(from_csv.contains("\"affiliate\""), "{from_csv}");
    assert_eq!(diff(&ledger), from_csv);
}

#[test]
fn passed_columns_keep_their_types_and_values() {
    use arrow_array::types::Int32Type;
    use arrow_array::{
        BooleanArray, DictionaryArray, Float32Array, Int8Array, TimestampMicrosecondArray,
        TimestampNanosecondArray, UInt8Array,
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 4;
    let prices = Decimal128Array::from(vec![10000i128, 2500, 99999, 100])
        .with_precision_and_scale(10, 2)
        .unwrap();
    let tiny = Decimal128Array::from(vec![
        Some(1i128),
        None,
        Some(-123_456_789),
        Some(10i128.pow(37)),
    ])
    .with_precision_and_scale(38, 30)
    .unwrap();
    let cat: DictionaryArray<Int32Type> = vec!["a", "b", "a", "c"].into_iter().collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("price", Arc::new(prices)),
        (
            "sold_at",
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    1_741_600_000_123_456i64,
                    0,
                    -1,
                    86_400_000_000,
                ])
                .with_timezone("UTC"),
            ),
        ),
        (
            "seen",
            Arc::new(TimestampNanosecondArray::from(vec![
                Some(1i64),
                None,
                Some(-5),
                Some(7),
            ])),
        ),
        (
            "score",
            Arc::new(Float32Array::from(vec![0.1f32, 3.4028235e38, -0.0, 1e-45])),
        ),
        ("tiny", Arc::new(tiny)),
        ("cat", Arc::new(cat)),
        (
            "flag",
            Arc::new(BooleanArray::from(vec![
                Some(true),
                None,
                Some(false),
                Some(true),
            ])),
        ),
        ("u", Arc::new(UInt8Array::from(vec![0u8, 255, 7, 1]))),
        ("i", Arc::new(Int8Array::from(vec![-128i8, 127, 0, -1]))),
    ];
    let schema = Schema::new(
        columns
            .iter()
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    let input = RecordBatch::try_new(
        Arc::new(schema),
        columns.iter().map(|(_, a)| a.clone()).collect(),
    )
    .unwrap();
    let ledger = d.join("types.parquet");
    write_parquet(&ledger, &input, 3);
    let out = d.join("out.parquet");
    let r = splitdsl(&[
        "run",
        "examples/hotmart.split",
        "--sales",
        p(&ledger),
        "--out",
        p(&out),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let back = read_parquet(&out);
    assert_eq!(back.num_rows(), n);
    for (name, a) in &columns[1..] {
        let got = back.column_by_name(name).unwrap();
        if *name == "cat" {
            // A dictionary column is written as its values.
            assert_eq!(arrow_cast_strings(got), vec!["a", "b", "a", "c"]);
            continue;
        }
        assert_eq!(got.data_type(), a.data_type(), "{name}");
        assert_eq!(&got.to_data(), &a.to_data(), "{name}");
    }
    // And as CSV, the same cells as text.
    let r = splitdsl(&["run", "examples/hotmart.split", "--sales", p(&ledger)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(
        text.starts_with(
            "sold_at,seen,score,tiny,cat,flag,u,i,price,hotmart,affiliate,coproducer,producer,unallocated\n\
             2025-03-10T09:46:40.123456Z,1970-01-01T00:00:00.000000001,0.1,0.000000000000000000000000000001,a,true,0,-128,100.00,10.40,31.36,5.82,52.42,0.00\n"
        ),
        "{text}"
    );
}

/// The strings of a column of any of the three string types.
fn arrow_cast_strings(a: &ArrayRef) -> Vec<String> {
    use arrow_array::cast::AsArray;
    (0..a.len())
        .map(|i| match a.data_type() {
            DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
            DataType::LargeUtf8 => a.as_string::<i64>().value(i).to_string(),
            DataType::Utf8View => a.as_string_view().value(i).to_string(),
            t => panic!("not a string column: {t}"),
        })
        .collect()
}

/// (line, code) of each row of a rejects CSV.
fn reject_lines(rejects: &str) -> Vec<(String, String)> {
    rejects
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, ',').collect();
            (f[0].to_string(), f[2].to_string())
        })
        .collect()
}

#[test]
fn a_float_money_column_is_refused_and_a_float_passed_column_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let agreement = d.join("tiered.split");
    std::fs::write(&agreement, TIERED).unwrap();
    let f64s = |v: Vec<f64>| -> ArrayRef { Arc::new(Float64Array::from(v)) };
    // Money as DOUBLE: refused before anything is written.
    let schema = Schema::new(vec![
        Field::new("sale_id", DataType::Utf8, false),
        Field::new("price", DataType::Float64, false),
    ]);
    let b = RecordBatch::try_new(
        Arc::new(schema),
        vec![strings(Strings::Utf8, &["S1"]), f64s(vec![100.0])],
    )
    .unwrap();
    let ledger = d.join("float.parquet");
    write_parquet(&ledger, &b, 10);
    let out = d.join("out.parquet");
    let r = splitdsl(&[
        "run",
        p(&agreement),
        "--sales",
        p(&ledger),
        "--out",
        p(&out),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("splitdsl::batch::float_money"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("DECIMAL"), "{}", r.stderr);
    assert!(!out.exists(), "nothing is written");

    // A float column that is not money passes through, bit for bit.
    let rating = vec![0.1, 4.35, 1e-7, f64::MAX];
    let schema = Schema::new(vec![
        Field::new("sale_id", DataType::Utf8, false),
        Field::new("price", DataType::Decimal128(10, 2), false),
        Field::new("rating", DataType::Float64, false),
    ]);
    let prices = Decimal128Array::from(vec![10000i128, 20000, 30000, 40000])
        .with_precision_and_scale(10, 2)
        .unwrap();
    let b = RecordBatch::try_new(
        Arc::new(schema),
        vec![
            strings(Strings::Utf8, &["S1", "S2", "S3", "S4"]),
            Arc::new(prices),
            f64s(rating.clone()),
        ],
    )
    .unwrap();
    write_parquet(&ledger, &b, 10);
    let r = splitdsl(&[
        "run",
        p(&agreement),
        "--sales",
        p(&ledger),
        "--out",
        p(&out),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let back = read_parquet(&out);
    let got = back
        .column_by_name("rating")
        .unwrap()
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    assert_eq!(got.values().to_vec(), rating);
}

#[test]
fn a_column_of_another_type_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let item = Arc::new(Field::new_list_field(DataType::Int64, true));
    let tags =
        ListArray::from_iter_primitive::<arrow_array::types::Int64Type, _, _>(vec![Some(vec![
            Some(1),
        ])]);
    let schema = Schema::new(vec![
        Field::new("price", DataType::Decimal128(10, 2), false),
        Field::new("tags", DataType::List(item), true),
    ]);
    let prices = Decimal128Array::from(vec![10000i128])
        .with_precision_and_scale(10, 2)
        .unwrap();
    let b = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(prices), Arc::new(tags)]).unwrap();
    let ledger = d.join("list.parquet");
    write_parquet(&ledger, &b, 10);
    let r = splitdsl(&["run", "examples/hotmart.split", "--sales", p(&ledger)]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("splitdsl::batch::parquet_type"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("`tags`"), "{}", r.stderr);
}

/// The Parquet files `tests/diagnostics.rs` settles to see the two Parquet
/// codes: `float_price.parquet` (a DOUBLE price) and `list_column.parquet`
/// (a LIST column). `UPDATE_FIXTURES=1` writes them again.
#[test]
fn diagnostic_fixtures_are_current() {
    let price = Schema::new(vec![
        Field::new("sale_id", DataType::Utf8, false),
        Field::new("price", DataType::Float64, false),
    ]);
    let float = RecordBatch::try_new(
        Arc::new(price),
        vec![
            strings(Strings::Utf8, &["S1"]),
            Arc::new(Float64Array::from(vec![100.0])),
        ],
    )
    .unwrap();
    let item = Arc::new(Field::new_list_field(DataType::Int64, true));
    let tags =
        ListArray::from_iter_primitive::<arrow_array::types::Int64Type, _, _>(vec![Some(vec![
            Some(1),
        ])]);
    let list = Schema::new(vec![
        Field::new("price", DataType::Decimal128(10, 2), false),
        Field::new("tags", DataType::List(item), true),
    ]);
    let prices = Decimal128Array::from(vec![10000i128])
        .with_precision_and_scale(10, 2)
        .unwrap();
    let list =
        RecordBatch::try_new(Arc::new(list), vec![Arc::new(prices), Arc::new(tags)]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, b) in [("float_price", float), ("list_column", list)] {
        let fresh = dir.path().join(name);
        write_parquet(&fresh, &b, 10);
        let fixture = Path::new("tests/parquet").join(format!("{name}.parquet"));
        if std::env::var_os("UPDATE_FIXTURES").is_some() {
            std::fs::create_dir_all("tests/parquet").unwrap();
            std::fs::copy(&fresh, &fixture).unwrap();
        }
        // The fixture holds the same rows and schema (the bytes may differ
        // with the writer's version).
        let got = read_parquet(&fixture);
        assert_eq!(
            got,
            read_parquet(&fresh),
            "{name}: UPDATE_FIXTURES=1 rewrites it"
        );
    }
}

#[test]
fn parquet_from_stdin_is_a_usage_error() {
    let r = splitdsl(&[
        "run",
        "examples/hotmart.split",
        "--sales",
        "-",
        "--sales-format",
        "parquet",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

/// Counts the records of each batch settled.
#[derive(Default)]
struct Batches(Vec<u64>);

impl Observer for Batches {
    fn reject(&mut self, _: &Reject) -> std::io::Result<()> {
        Ok(())
    }
    fn progress(&mut self, _bytes: u64, records: u64) {
        self.0.push(records);
    }
}

#[test]
fn many_row_groups_are_streamed_a_batch_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 20,000 sales in 20 row groups of 1,000.
    let n = 20_000usize;
    let ids: Vec<String> = (0..n).map(|i| format!("S{i:05}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let prices: Vec<i128> = (0..n).map(|i| 100 + (i as i128 * 7919) % 200_000).collect();
    let schema = Schema::new(vec![
        Field::new("sale_id", DataType::Utf8, false),
        Field::new("price", DataType::Decimal128(18, 2), false),
    ]);
    let b = RecordBatch::try_new(
        Arc::new(schema),
        vec![
            strings(Strings::Utf8, &ids),
            Arc::new(
                Decimal128Array::from(prices.clone())
                    .with_precision_and_scale(18, 2)
                    .unwrap(),
            ),
        ],
    )
    .unwrap();
    let ledger = d.join("big.parquet");
    write_parquet(&ledger, &b, 1000);

    let text = std::fs::read_to_string("examples/hotmart.split").unwrap();
    let a = splitdsl::Agreement::compile("hotmart.split", &text).unwrap();
    let settle = |threads: usize| {
        let source = ParquetSource::new(std::fs::File::open(&ledger).unwrap(), &a)
            .unwrap()
            .with_batch_rows(300);
        assert_eq!(source.row_groups(), 20);
        let mut out = Vec::new();
        let mut sink = ParquetSink::new(&mut out, Some(source.schema()));
        let mut batches = Batches::default();
        let s = settle_records(&a, &a.inputs(), source, &mut sink, threads, &mut batches).unwrap();
        drop(sink);
        (s, batches.0, out)
    };
    let (s, batches, out1) = settle(1);
    assert_eq!(s.statement.sales, n as u64);
    assert!(s.reconciliation.holds);
    // Each row group is read in batches of at most 300 rows that never span
    // two groups: 4 batches (300, 300, 300, 100) per group of 1,000.
    assert_eq!(batches.len(), 20 * 4);
    assert!(batches.iter().all(|&r| r <= 300));
    assert_eq!(
        batches.chunks(4).next().unwrap(),
        &[300, 300, 300, 100],
        "{batches:?}"
    );
    // Two threads write the same file.
    let (s2, _, out2) = settle(2);
    assert_eq!(s2.statement.sales, n as u64);
    assert_eq!(out1, out2);
    // The output's price column is the input's, exactly.
    let out_path = d.join("out.parquet");
    std::fs::write(&out_path, &out1).unwrap();
    let back = read_parquet(&out_path);
    let price = back
        .column_by_name("price")
        .unwrap()
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .unwrap();
    assert_eq!(price.values().to_vec(), prices);
    // The output is written in row groups too.
    let meta = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out_path).unwrap())
        .unwrap()
        .metadata()
        .clone();
    assert!(meta.num_row_groups() >= 1);
}
