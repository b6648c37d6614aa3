//! Every shipped example checks clean and passes its `example` blocks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use splitdsl::examples::{run_examples, ExampleResult};
use splitdsl::Agreement;

#[test]
fn shipped_examples_check_and_pass() {
    let mut n = 0;
    for entry in std::fs::read_dir("examples").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "split") {
            continue;
        }
        let a = Agreement::load_failure(&path)
            .unwrap_or_else(|f| panic!("{}: {:?}", path.display(), f.diagnostics));
        assert!(
            a.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            a.warnings
        );
        let results = run_examples(&a);
        assert!(!results.is_empty(), "{} has no example", path.display());
        for (name, r) in results {
            assert!(
                matches!(r, ExampleResult::Pass),
                "{}: {name}: {r:?}",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n >= 10, "only {n} examples");
}

/// The breakdown of every shipped example at its default inputs, as `run` prints it.
#[test]
fn shipped_examples_breakdowns() {
    insta::glob!("../examples", "*.split", |path| {
        let a = Agreement::load_failure(path).unwrap();
        let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
        let (texts, _) = splitdsl::summary::requirement_failures(&a.program, &out, &a.source.text);
        insta::assert_snapshot!(splitdsl::report::table(&a.program, &out, &texts));
    });
}
