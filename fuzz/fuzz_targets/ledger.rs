//! Arbitrary bytes settled as a sales ledger (CSV or JSON Lines) with the
//! installments example. Every row is settled or rejected with a diagnostic;
//! nothing may panic or hang; see docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use splitdsl::batch::{render_reject, settle, OutFormat, Reject};
use splitdsl::diag::Style;
use splitdsl::Agreement;
use std::sync::OnceLock;

const AGREEMENT: &str = include_str!("../../examples/installments.split");

fn agreement() -> &'static Agreement {
    static A: OnceLock<Agreement> = OnceLock::new();
    A.get_or_init(|| match Agreement::compile("installments.split", AGREEMENT) {
        Ok(a) => a,
        Err(_) => panic!("the example does not compile"),
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 16 * 1024 {
        return;
    }
    let a = agreement();
    for format in [OutFormat::Csv, OutFormat::Jsonl] {
        let mut out = Vec::new();
        let mut rejects: Vec<Reject> = Vec::new();
        match settle(a, &a.inputs(), data, &mut out, format, 1, &mut rejects) {
            Ok(s) => {
                // No cent is lost over the whole ledger either.
                assert!(s.reconciliation.holds, "the totals do not reconcile");
                let _ = s.statement.table(&a.program, &s.reconciliation);
                let _ = s.statement.json(&a.program, &s.reconciliation);
            }
            Err(f) => {
                let (d, _) = f.diagnostic();
                assert_ne!(d.code, "splitdsl::internal");
            }
        }
        for r in &rejects {
            assert_ne!(r.diagnostic.code, "splitdsl::internal", "{}", r.record);
            let _ = render_reject(r, a, "sales.csv", Style::PLAIN);
        }
    }
});
