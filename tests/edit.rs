//! `Agreement::edited` (the REPL's what-if) gives exactly what compiling
//! the edited text from scratch gives: the same tree, spans included.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use splitdsl::span::Span;
use splitdsl::syntax::ast::StmtKind;
use splitdsl::Agreement;

fn formulas(a: &Agreement) -> Vec<Span> {
    a.ast
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Input { value, .. }
            | StmtKind::Cell { value, .. }
            | StmtKind::Deduction { value, .. } => Some(value.span),
            _ => None,
        })
        .collect()
}

fn splice(text: &str, edits: &[(Span, String)], append: &str) -> String {
    let mut edits = edits.to_vec();
    edits.sort_by_key(|(s, _)| std::cmp::Reverse(s.start));
    let mut t = text.to_string();
    for (s, new) in edits {
        t.replace_range(s.start..s.end, &new);
    }
    if !append.is_empty() && !t.ends_with('\n') {
        t.push('\n');
    }
    t + append
}

fn same(a: &Agreement, edits: &[(Span, String)], append: &str) {
    let borrowed: Vec<(Span, &str)> = edits.iter().map(|(s, t)| (*s, t.as_str())).collect();
    let fast = a
        .edited(&borrowed, append)
        .map_err(|f| f.diagnostics)
        .unwrap();
    let text = splice(&a.source.text, edits, append);
    let slow = Agreement::compile_failure(&a.source.name, &text)
        .map_err(|f| f.diagnostics)
        .unwrap();
    assert_eq!(fast.source.text, slow.source.text);
    assert_eq!(fast.ast, slow.ast, "trees differ for {text}");
    let fo = fast.evaluate_outcome(&fast.raw_inputs()).unwrap();
    let so = slow.evaluate_outcome(&slow.raw_inputs()).unwrap();
    assert_eq!(fo, so);
}

#[test]
fn edits_match_a_fresh_compile() {
    for entry in std::fs::read_dir("examples").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "split") {
            continue; // examples/embed.rs
        }
        let a = Agreement::load_failure(&path).unwrap();
        let spans = formulas(&a);
        // Each formula alone, rewritten longer and shorter.
        for s in &spans {
            let old = s.text(&a.source.text);
            same(&a, &[(*s, format!("( {old} )"))], "");
            same(&a, &[(*s, format!("({old})"))], "");
        }
        // Every formula at once, and a statement appended.
        let all: Vec<(Span, String)> = spans
            .iter()
            .map(|s| (*s, format!("(({}))", s.text(&a.source.text))))
            .collect();
        same(&a, &all, "");
        same(&a, &all, "probe_value = price * 2 # a comment\n");
        same(&a, &[], "probe_value = price\n");
    }
}

#[test]
fn errors_point_into_the_edited_text() {
    let a = Agreement::load_failure(std::path::Path::new("examples/hotmart.split")).unwrap();
    let spans = formulas(&a);
    let f = a.edited(&[(spans[1], "35% of nett")], "").unwrap_err();
    let d = &f.diagnostics[0];
    assert_eq!(d.code, "splitdsl::name::unknown");
    assert_eq!(d.labels[0].span.text(&f.source.text), "nett");
    let f = a.edited(&[(spans[1], "35% of")], "").unwrap_err();
    assert_eq!(f.diagnostics[0].code, "splitdsl::syntax::unexpected");
    let f = a.edited(&[], "x = nope\n").unwrap_err();
    assert_eq!(f.diagnostics[0].labels[0].span.text(&f.source.text), "nope");
}
