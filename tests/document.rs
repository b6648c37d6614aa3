//! Foundations for tools (issue 13): the line index, the `Document` an
//! editor holds (names, definitions, references, the last good program) and
//! its incremental edits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use splitdsl::span::LineIndex;

/// Text of ASCII, é, CJK, emoji (2 UTF-16 units), `\r` and `\n`.
fn mixed_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            6 => proptest::char::range('a', 'z'),
            2 => Just('\n'),
            1 => Just('\r'),
            1 => Just('é'),
            1 => proptest::char::range('\u{4E00}', '\u{4E20}'),
            1 => proptest::char::range('\u{1F600}', '\u{1F610}'),
        ],
        0..60,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// The position of `offset` counted the slow way: (line, UTF-8 column,
/// UTF-16 column), all 0-based.
fn naive(src: &str, offset: usize) -> (usize, usize, usize) {
    let before = &src[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let text = &src[line_start..offset];
    (line, text.len(), text.encode_utf16().count())
}

proptest! {
    #[test]
    fn line_index_agrees_with_counting(src in mixed_text()) {
        let lines = LineIndex::new(&src);
        for (offset, _) in src.char_indices().chain([(src.len(), ' ')]) {
            let (line, col8, col16) = naive(&src, offset);
            prop_assert_eq!(lines.utf8(&src, offset), (line, col8));
            prop_assert_eq!(lines.utf16(&src, offset), (line, col16));
            prop_assert_eq!(lines.offset_utf8(&src, line, col8), offset);
            prop_assert_eq!(lines.offset_utf16(&src, line, col16), offset);
        }
    }

    #[test]
    fn line_index_clamps_and_never_panics(src in mixed_text(), offset in 0usize..300, line in 0usize..40, col in 0usize..80) {
        let lines = LineIndex::new(&src);
        // An offset inside a character or past the end is the start of that
        // character, or the end of the text.
        let floor = (0..=offset.min(src.len())).rev().find(|&i| src.is_char_boundary(i)).unwrap();
        let (l, c8, c16) = naive(&src, floor);
        prop_assert_eq!(lines.utf8(&src, offset), (l, c8));
        prop_assert_eq!(lines.utf16(&src, offset), (l, c16));
        for back in [lines.offset_utf16(&src, line, col), lines.offset_utf8(&src, line, col)] {
            prop_assert!(back <= src.len());
            prop_assert!(src.is_char_boundary(back));
            if line >= lines.line_count() {
                prop_assert_eq!(back, src.len());
            } else {
                // Clamped to its line: never past the line's `\n`.
                prop_assert_eq!(naive(&src, back).0, line);
            }
        }
    }
}

#[test]
fn utf16_positions_inside_an_emoji_and_past_a_line_end() {
    let src = "a😀b\né\n";
    let lines = LineIndex::new(src);
    // Inside the emoji's bytes: the emoji's own column.
    assert_eq!(lines.utf16(src, 2), (0, 1));
    assert_eq!(lines.utf8(src, 3), (0, 1));
    // Between the emoji's two UTF-16 units: the emoji's start.
    assert_eq!(lines.offset_utf16(src, 0, 2), 1);
    assert_eq!(lines.offset_utf16(src, 0, 3), 5);
    // Past the end of a line: its end, not the next line.
    assert_eq!(lines.offset_utf16(src, 0, 99), 6);
    assert_eq!(lines.offset_utf8(src, 1, 1), 7);
    assert_eq!(lines.offset_utf8(src, 1, 99), 9);
    // Past the last line: the end of the text.
    assert_eq!(lines.offset_utf16(src, 9, 0), src.len());
    assert_eq!(lines.utf16(src, 999), (2, 0));
}

mod document {
    use proptest::prelude::*;
    use splitdsl::document::{Document, Names, SymbolKind};
    use splitdsl::span::Span;
    use splitdsl::Agreement;

    const HOTMART: &str = include_str!("../examples/hotmart.split");

    fn at(doc: &Document, needle: &str) -> usize {
        doc.text().find(needle).unwrap()
    }

    #[test]
    fn names_with_kinds_definitions_and_references() {
        let doc = Document::new("hotmart.split", HOTMART);
        assert!(doc.is_ok());
        let names: Vec<(&str, SymbolKind)> = doc
            .names()
            .symbols()
            .iter()
            .map(|s| (s.name.as_str(), s.kind))
            .collect();
        assert_eq!(
            names,
            [
                ("price", SymbolKind::Price),
                ("hotmart", SymbolKind::Fee),
                ("net", SymbolKind::Cell),
                ("affiliate", SymbolKind::Share),
                ("coproducer", SymbolKind::Share),
                ("producer", SymbolKind::Share),
            ]
        );
        let net = doc.names().get("net").unwrap();
        assert_eq!(net.definition.text(doc.text()), "net");
        assert_eq!(
            net.ty.map(|t| t.to_string()).as_deref(),
            Some("money in USD")
        );
        // `35% of net` and the requirement's `30% of net`.
        assert_eq!(net.references.len(), 2);
        assert!(net.references.iter().all(|r| r.text(doc.text()) == "net"));
        // Example lines refer to names too.
        assert_eq!(doc.names().get("price").unwrap().references.len(), 3);
        // Queries at a use: the name, its definition, its uses.
        let use_at = at(&doc, "35% of net") + 8;
        assert_eq!(doc.name_at(use_at).unwrap().name, "net");
        assert_eq!(doc.definition_at(use_at), Some(net.definition));
        assert_eq!(doc.references_at(use_at), &net.references[..]);
        // At the definition itself, and nowhere near a name.
        assert_eq!(doc.name_at(net.definition.start).unwrap().name, "net");
        assert!(doc.name_at(at(&doc, "9.9%")).is_none());
    }

    #[test]
    fn names_survive_a_statement_that_does_not_parse() {
        let text = HOTMART.replace(
            "share coproducer \"Bruno\" = 10% of remaining",
            "share coproducer \"Bruno\" = 10% of of remaining",
        );
        let doc = Document::new("hotmart.split", &text);
        assert!(!doc.is_ok());
        assert!(doc
            .diagnostics()
            .iter()
            .any(|d| d.code.as_str().starts_with("splitdsl::syntax")));
        assert!(doc.last_good().is_none());
        // The statements around the broken one still have their names.
        let producer = doc.names().get("producer").unwrap();
        assert_eq!(producer.kind, SymbolKind::Share);
        assert_eq!(producer.ty, None); // unknown while the text has an error
        assert_eq!(producer.references.len(), 2);
        assert!(doc.names().get("net").is_some());
    }

    #[test]
    fn the_last_good_agreement_outlives_a_typo() {
        let mut doc = Document::new("hotmart.split", HOTMART);
        let good = doc.agreement().unwrap().program.slots.len();
        let typo = at(&doc, "10% of remaining") + 4;
        doc.edit(Span::new(typo, typo + 2), "fo");
        assert!(doc.agreement().is_none());
        assert_eq!(doc.last_good().unwrap().program.slots.len(), good);
        assert_eq!(doc.last_good().unwrap().source.text, HOTMART);
        // Names still answer, from the broken text.
        let n = at(&doc, "= 35% of net") + 11;
        assert_eq!(doc.name_at(n).unwrap().name, "net");
        // Fixed again: the new agreement is the last good one.
        doc.edit(Span::new(typo, typo + 2), "of");
        assert!(doc.is_ok());
        assert_eq!(doc.last_good().unwrap().source.text, HOTMART);
    }

    #[test]
    fn completions_of_names_in_scope() {
        let mut doc = Document::new("hotmart.split", HOTMART);
        let end = doc.text().len();
        doc.edit(Span::new(end, end), "share extra = 1% of pro");
        let names = |doc: &Document, at: usize| -> Vec<String> {
            doc.completions(at).iter().map(|s| s.name.clone()).collect()
        };
        assert_eq!(
            names(&doc, doc.text().len()),
            ["producer"],
            "{:?}",
            doc.text()
        );
        // A name does not complete inside its own statement.
        let net_at = at(&doc, "net = price") + 1;
        assert!(!names(&doc, net_at).contains(&"net".to_string()));
        assert_eq!(names(&doc, net_at), Vec::<String>::new());
        // After `= ` in producer's formula: every other name.
        let all = names(&doc, at(&doc, "  = remaining") + 4);
        assert_eq!(all.len(), doc.names().symbols().len() - 1);
        assert!(all.contains(&"price".to_string()) && all.contains(&"extra".to_string()));
        assert!(!all.contains(&"producer".to_string()));
    }

    /// What a fresh compile of `text` gives: the diagnostics, the names
    /// table and the program (as text: a program has no `==`).
    fn fresh(text: &str) -> (Vec<splitdsl::diag::Diagnostic>, Names, Option<String>) {
        let (file, _) = splitdsl::syntax::parse(text);
        match Agreement::compile_failure("x.split", text) {
            Ok(a) => {
                let names = Names::build(&file, Some(&a.program));
                (a.warnings, names, Some(format!("{:?}", a.program)))
            }
            Err(f) => (f.diagnostics, Names::build(&file, None), None),
        }
    }

    fn base() -> String {
        let mut s = String::from(HOTMART);
        s.push_str("table tier {\n  ..100.00 USD => 1%\n  100.01 USD.. => 2%\n}\ninput bonus = 0.00 USD\nshare last \"L\" = tier(price) of remaining when bonus >= 0.00 USD\n");
        s
    }

    /// Snippets that make and break statements, names and blocks.
    fn snippet() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "",
            "x",
            " ",
            "\n",
            "=",
            "\n=",
            "share ",
            "fee ",
            "input ",
            "table ",
            "require ",
            "net",
            "pro",
            "remaining",
            "(",
            ")",
            "{",
            "}",
            "\"",
            "#",
            "é",
            "😀",
            "+ 2",
            "of",
            "1.00 USD",
            " when price > 1.00 USD",
            "\nshare z = 1% of net\n",
            "\nzz = net +\n",
            "\nexample \"e\" {\n  given price = 1.00 USD\n}\n",
            "\ntable t {\n 1 => 2\n",
            "10% of remaining\n",
            "\n  + 1.00 USD",
            "x = 1\ny = 2\n",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn edits_give_what_a_fresh_compile_gives(
            edits in proptest::collection::vec((0.0f64..1.0, 0usize..12, snippet()), 1..8)
        ) {
            let mut doc = Document::new("x.split", &base());
            for (where_, len, new) in edits {
                let text = doc.text().to_string();
                let mut start = (where_ * text.len() as f64) as usize;
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + len).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                doc.edit(Span::new(start, end), new);
                let expected = format!("{}{}{}", &text[..start], new, &text[end..]);
                prop_assert_eq!(doc.text(), expected.as_str());
                let (diags, names, program) = fresh(&expected);
                prop_assert_eq!(doc.diagnostics(), &diags[..]);
                prop_assert_eq!(doc.names(), &names);
                prop_assert_eq!(doc.agreement().map(|a| format!("{:?}", a.program)), program);
                prop_assert_eq!(doc.ast(), &splitdsl::syntax::parse(&expected).0);
            }
        }
    }
}
