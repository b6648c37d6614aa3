//! The waterfall chart: terminal text (Unicode and ASCII) and SVG.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "cli")]
use assert_cmd::Command;
use splitdsl::chart::{self, Waterfall};
use splitdsl::Agreement;
use std::path::Path;

fn hotmart_src() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hotmart.split"))
        .unwrap()
}

fn waterfall(src: &str) -> Waterfall {
    let a = Agreement::compile_failure("test.split", src)
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    Waterfall::new(&a.program, &out, "test")
}

const LEFTOVER: &str = r#"agreement "Tom & Jerry's <course>"
price = 80.00 EUR
fee platform "Platform \"fee\"" = 0.40 EUR
share a "Ana & Bia" = 50% of remaining
share b = 10% of remaining
"#;

#[test]
fn terminal_unicode() {
    let w = waterfall(&hotmart_src());
    insta::assert_snapshot!(chart::terminal(&w, true, 40));
}

#[test]
fn terminal_ascii() {
    let w = waterfall(&hotmart_src());
    let text = chart::terminal(&w, false, 40);
    assert!(text.is_ascii(), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn terminal_unallocated_and_small_amounts() {
    let w = waterfall(LEFTOVER);
    let text = chart::terminal(&w, true, 40);
    insta::assert_snapshot!(text);
    assert!(text.contains("unallocated"));
    // 0.40 of 80.00 is less than one cell: still visible.
    let fee_line = text.lines().find(|l| l.contains("platform")).unwrap();
    assert!(fee_line.contains(['▏', '▕', '▐', '█']), "{fee_line}");
    let ascii = chart::terminal(&w, false, 40);
    let fee_line = ascii.lines().find(|l| l.contains("platform")).unwrap();
    assert!(fee_line.contains(['#', '|']), "{fee_line}");
}

#[test]
fn terminal_bars_match_the_amounts() {
    // Each deduction's solid cells are its share of the 40-cell bar.
    let w = waterfall(&hotmart_src());
    let text = chart::terminal(&w, false, 40);
    let count = |name: &str| {
        let line = text.lines().find(|l| l.contains(name)).unwrap();
        line.chars().filter(|c| *c == '#').count()
    };
    assert_eq!(count("price"), 40);
    assert_eq!(count("hotmart"), 4); // 10.40% of 40 = 4.16
    assert_eq!(count("affiliate"), 13); // 31.36% = 12.54
    assert_eq!(count("coproducer"), 2); // 5.82% = 2.33
    assert_eq!(count("Carla"), 21); // 52.42% = 20.97
}

#[test]
fn zero_price_does_not_break() {
    let w = waterfall("price = 0.00 USD\nshare p = remaining\n");
    let text = chart::terminal(&w, true, 40);
    assert!(text.contains("—"), "{text}");
    let svg = chart::svg(&w);
    roxmltree::Document::parse(&svg).unwrap();
}

fn deductions<'a>(doc: &'a roxmltree::Document) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| {
            n.has_tag_name("g")
                && n.attribute("class")
                    .is_some_and(|c| c.split(' ').any(|w| w == "deduction"))
        })
        .collect()
}

fn all_text(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn svg_is_valid_and_complete() {
    let svg = chart::svg(&waterfall(&hotmart_src()));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let ds = deductions(&doc);
    let names: Vec<&str> = ds
        .iter()
        .map(|g| g.attribute("data-name").unwrap())
        .collect();
    assert_eq!(names, ["hotmart", "affiliate", "coproducer", "producer"]);
    let expected = [
        ("Hotmart fee", "10.40 USD", "10.40%", "89.60 USD left"),
        ("Ana", "31.36 USD", "31.36%", "58.24 USD left"),
        ("Bruno", "5.82 USD", "5.82%", "52.42 USD left"),
        ("Carla", "52.42 USD", "52.42%", "0.00 USD left"),
    ];
    for (g, (label, amount, pct, left)) in ds.iter().zip(expected) {
        let text = all_text(*g);
        for want in [label, amount, pct, left] {
            assert!(text.contains(want), "{want} missing from {text}");
        }
        // One bar per deduction.
        let bars = g
            .children()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("bar"))
            .count();
        assert_eq!(bars, 1);
    }
    let everything = all_text(root);
    assert!(everything.contains("Online marketing course"));
    assert!(everything.contains("100.00 USD"));
    assert!(everything.contains("✓ the main producer keeps at least 30% of the net revenue"));
}

#[test]
fn svg_bars_are_where_the_money_is() {
    let svg = chart::svg(&waterfall(&hotmart_src()));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let bar = |g: &roxmltree::Node| {
        let r = g
            .children()
            .find(|n| n.attribute("class") == Some("bar"))
            .unwrap();
        let f = |a: &str| r.attribute(a).unwrap().to_string();
        (f("x"), f("width"))
    };
    let ds = deductions(&doc);
    // The bar area is 430 px wide from x = 290: the fee takes 10.40%.
    assert_eq!(bar(&ds[0]), ("675.28".into(), "44.72".into()));
    // The producer takes the rest, from 0.
    assert_eq!(bar(&ds[3]).0, "290");
}

#[test]
fn svg_escapes_text() {
    let svg = chart::svg(&waterfall(LEFTOVER));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let text = all_text(doc.root_element());
    assert!(text.contains("Tom & Jerry's <course>"), "{text}");
    assert!(text.contains("Ana & Bia"));
    assert!(text.contains("Platform \"fee\""));
    assert!(doc
        .descendants()
        .any(|n| n.attribute("class") == Some("unallocated")));
    assert_eq!(deductions(&doc).len(), 3);
}

#[test]
fn svg_snapshot() {
    insta::assert_snapshot!(chart::svg(&waterfall(&hotmart_src())));
}

// ---------------------------------------------------------------- command line

#[cfg(feature = "cli")]
fn bin() -> Command {
    Command::cargo_bin("splitdsl").unwrap()
}

#[cfg(feature = "cli")]
fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hotmart.split")
}

#[cfg(feature = "cli")]
#[test]
fn cli_chart_is_ascii_when_piped() {
    let out = bin()
        .arg("run")
        .arg(example())
        .arg("--chart")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.is_ascii(), "{stdout}");
    assert!(stdout.contains("####"), "{stdout}");
    assert!(stdout.contains("31.36 USD"), "{stdout}");
}

#[cfg(feature = "cli")]
#[test]
fn cli_chart_follows_set() {
    let out = bin()
        .args(["run", "--chart", "--set", "price=200.00 USD"])
        .arg(example())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("sale of 200.00 USD"), "{stdout}");
}

#[cfg(feature = "cli")]
#[test]
fn cli_svg_writes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("split.svg");
    let out = bin()
        .arg("run")
        .arg(example())
        .arg("--svg")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    // The table is still printed.
    assert!(String::from_utf8(out.stdout).unwrap().contains("remaining"));
    let svg = std::fs::read_to_string(&file).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(deductions(&doc).len(), 4);
}

#[cfg(feature = "cli")]
#[test]
fn cli_svg_unwritable_fails() {
    let out = bin()
        .arg("run")
        .arg(example())
        .args(["--svg", "/nonexistent-dir/x.svg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().is_empty());
}

#[cfg(feature = "cli")]
#[test]
fn cli_chart_conflicts_with_format() {
    bin()
        .arg("run")
        .arg(example())
        .args(["--chart", "--format", "json"])
        .assert()
        .code(2);
}

#[test]
fn docs_picture_is_current() {
    // docs/fmt-and-chart.md shows this file: regenerate it with
    // `splitdsl run examples/hotmart.split --svg docs/hotmart-waterfall.svg`.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/hotmart-waterfall.svg");
    let on_disk = std::fs::read_to_string(path).unwrap();
    assert_eq!(on_disk, chart::svg(&waterfall(&hotmart_src())));
}

/// A long label is cut to 24 display columns in the terminal chart, with an
/// ellipsis: 24 columns are 12 CJK characters, not 24.
#[test]
fn terminal_clips_labels_by_display_width() {
    let src = format!(
        "price = 100.00 USD\nshare a \"{}\" = 50% of price\nshare b \"{}\" = remaining\n",
        "株".repeat(30),
        "x".repeat(30)
    );
    let w = waterfall(&src);
    let text = chart::terminal(&w, true, 20);
    let wide = text.lines().find(|l| l.contains('株')).unwrap();
    let narrow = text.lines().find(|l| l.contains("xxx")).unwrap();
    // 11 ideographs (22 columns) and the ellipsis: 23 columns, as 23 x and "…".
    assert!(wide.contains(&format!("{}…", "株".repeat(11))), "{text}");
    assert!(!wide.contains(&"株".repeat(12)), "{text}");
    assert!(narrow.contains(&format!("{}…", "x".repeat(23))), "{text}");
    // The bars start at one display column: each ideograph is one char
    // for two columns.
    let bar = |l: &str| l.find(['█', '░']).map(|i| l[..i].chars().count()).unwrap();
    assert_eq!(bar(wide) + 11, bar(narrow), "{text}");
}
