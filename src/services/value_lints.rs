//! Warnings that need the value of a constant expression (a `when` or a
//! `require` that is constant, a fee or share surely above the pool, table
//! rows that can never match): the evaluator computes those values, so these
//! lints sit above it. [`lint`] gives every warning of a compiled program, in
//! the order the checker reports them; the ones that evaluate nothing are in
//! `analysis::lint`.

use crate::analysis::lint::{
    always_zero, ast_deductions, is_constant, over_allocated, unused, whole_pool_taker,
};
use crate::diag::Diagnostic;
use crate::eval::Outcome;
use crate::program::{CExpr, CKey, CKind, Program, SlotKind};
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, StmtKind};
use crate::value::Value;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Every warning for a checked program.
pub fn lint(p: &Program, file: &ast::File) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // A statement that did not parse may be what uses a value.
    if !file.has_syntax_errors {
        unused(p, &mut out);
    }
    constant_conditions(p, &mut out);
    over_allocated(file, &mut out);
    let taker = whole_pool_taker(file);
    exceeds_pool(p, file, taker.map(|d| d.0), &mut out);
    always_zero(file, taker, &mut out);
    tables(p, file, &mut out);
    out
}

fn constant_conditions(p: &Program, out: &mut Vec<Diagnostic>) {
    let empty = Outcome::default();
    for d in &p.deductions {
        let (Some(w), Some(span)) = (&d.when, d.when_span) else {
            continue;
        };
        if is_constant(w) && matches!(p.eval(w, &empty), Ok(Value::Bool(false))) {
            let name = &p.slots[d.slot].name;
            out.push(
                Diagnostic::warning(
                    crate::codes::WARN_WHEN_NEVER,
                    format!("the `when` of `{name}` is never true, so `{name}` is always 0"),
                )
                .primary(span, "false whatever the sale")
                .help("compare it with an input, e.g. `when installments > 1`, or remove the deduction"),
            );
        }
    }
    for r in &p.requirements {
        if !is_constant(&r.cond) {
            continue;
        }
        let (holds, label, help) = match p.eval(&r.cond, &empty) {
            Ok(Value::Bool(true)) => (
                "always holds",
                "true whatever the sale",
                "a requirement should depend on the sale, e.g. `require producer >= 30% of net`",
            ),
            Ok(Value::Bool(false)) => (
                "can never hold",
                "false whatever the sale",
                "every run will fail this requirement; check the numbers",
            ),
            _ => continue,
        };
        out.push(
            Diagnostic::warning(
                crate::codes::WARN_REQUIRE_CONSTANT,
                format!("this requirement {holds}: it uses no value of the sale"),
            )
            .primary(r.span, label)
            .help(help),
        );
    }
}

/// From how far a deduction of `p × B + c` (B a multiple of the minor unit
/// `unit`, B ≥ the pool) is surely larger than the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exceeds {
    /// For every B, 0 included.
    Always,
    /// For every B above 0.
    AboveZero,
    /// For every B of at least this.
    From(Decimal),
}

/// When `round(p × B + c) > B` surely holds, whatever the rounding mode.
///
/// Rounding to the minor unit is monotone and keeps `B + unit` as it is, so
/// it is enough that `p × B + c ≥ B + unit`, i.e. `(p − 1) × B ≥ unit − c`.
fn exceeds(p: Decimal, c: Decimal, unit: Decimal) -> Option<Exceeds> {
    if p < Decimal::ONE || c.is_sign_negative() || unit <= Decimal::ZERO {
        return None;
    }
    if c >= unit {
        return Some(Exceeds::Always);
    }
    if p == Decimal::ONE {
        return None;
    }
    let t = unit
        .checked_sub(c)?
        .checked_div(p.checked_sub(Decimal::ONE)?)?;
    let t = t.checked_div(unit)?.ceil().checked_mul(unit)?;
    Some(if t <= unit {
        Exceeds::AboveZero
    } else {
        Exceeds::From(t)
    })
}

/// The value of a constant (or of a cell whose formula is a constant).
fn constant_value(p: &Program, e: &CExpr) -> Option<Value> {
    let e = match &e.kind {
        CKind::Slot(s) if p.slots.get(*s)?.kind == SlotKind::Cell => &p.slots[*s].expr,
        _ => e,
    };
    if !is_constant(e) {
        return None;
    }
    p.eval(e, &Outcome::default()).ok()
}

/// Whether `e`, in deduction `k`, is surely at least the pool before `k`
/// and a whole number of minor units: the price, `remaining`, or the price
/// less earlier deductions (each at most once), through cells. `subtracted`
/// collects those deductions; `None` for the pool itself.
fn pool_bound(p: &Program, e: &CExpr, k: usize, depth: usize) -> Option<Option<Vec<usize>>> {
    if depth > 32 {
        return None;
    }
    match &e.kind {
        CKind::Remaining(j) if *j == k => Some(None),
        CKind::Slot(s) if *s == p.price => Some(Some(Vec::new())),
        CKind::Slot(s) if p.slots.get(*s)?.kind == SlotKind::Cell => {
            pool_bound(p, &p.slots[*s].expr, k, depth + 1)
        }
        CKind::Binary(BinOp::Sub, a, b, _) => {
            let mut taken = pool_bound(p, a, k, depth + 1)??;
            let CKind::Slot(s) = b.kind else {
                return None;
            };
            let SlotKind::Deduction(j) = p.slots.get(s)?.kind else {
                return None;
            };
            // Earlier deductions are at least 0 by the time `k` runs.
            if j >= k || taken.contains(&j) {
                return None;
            }
            taken.push(j);
            Some(Some(taken))
        }
        _ => None,
    }
}

/// `e` as `p × B + c`: (p, B, c), with B a [`pool_bound`] of deduction `k`.
fn linear<'e>(
    p: &Program,
    e: &'e CExpr,
    k: usize,
    depth: usize,
) -> Option<(Decimal, &'e CExpr, Decimal)> {
    if depth > 32 {
        return None;
    }
    let number = |x: &CExpr| match constant_value(p, x) {
        Some(Value::Number(n)) => Some(n),
        _ => None,
    };
    let money = |x: &CExpr| match constant_value(p, x) {
        Some(Value::Money(m, c)) if c == p.currency => Some(m),
        _ => None,
    };
    match &e.kind {
        CKind::Binary(BinOp::Mul | BinOp::Of, a, b, _) => {
            [(a, b), (b, a)].into_iter().find_map(|(x, y)| {
                let n = number(x)?;
                pool_bound(p, y, k, 0)?;
                Some((n, &**y, Decimal::ZERO))
            })
        }
        CKind::Binary(BinOp::Add, a, b, _) => [(a, b), (b, a)].into_iter().find_map(|(x, y)| {
            let c = money(y)?;
            let (n, base, c0) = linear(p, x, k, depth + 1)?;
            Some((n, base, c0.checked_add(c)?))
        }),
        _ => {
            pool_bound(p, e, k, 0)?;
            Some((Decimal::ONE, e, Decimal::ZERO))
        }
    }
}

/// A pool bound as written: `price`, `remaining`, `net`, `price - fee`.
fn describe(p: &Program, e: &CExpr) -> String {
    match &e.kind {
        CKind::Remaining(_) => "remaining".into(),
        CKind::Slot(s) => p
            .slots
            .get(*s)
            .map_or_else(|| "?".into(), |s| s.name.clone()),
        CKind::Binary(BinOp::Sub, a, b, _) => format!("{} - {}", describe(p, a), describe(p, b)),
        _ => "?".into(),
    }
}

fn percent(d: Decimal) -> String {
    format!(
        "{}%",
        d.checked_mul(Decimal::ONE_HUNDRED).unwrap_or(d).normalize()
    )
}

/// A fee or share that is more than the pool for every sale (from some size on).
fn exceeds_pool(p: &Program, file: &ast::File, before: Option<usize>, out: &mut Vec<Diagnostic>) {
    let Some(unit) = Decimal::try_new(1, p.currency.minor_unit()).ok() else {
        return;
    };
    let spans: HashMap<&str, Span> = ast_deductions(file)
        .map(|d| (d.3.name.as_str(), d.4.span))
        .collect();
    for (k, d) in p.deductions.iter().enumerate() {
        // A `when` may make it 0; after the whole pool is taken, `always_zero` says more.
        if d.when.is_some() || before.is_some_and(|t| k > t) {
            continue;
        }
        // A group share's other members read the first, whose formula is
        // the group's amount.
        if d.group
            .is_some_and(|g| p.groups.get(g).and_then(|g| g.members.first()) != Some(&k))
        {
            continue;
        }
        let Some(slot) = p.slots.get(d.slot) else {
            continue;
        };
        let Some((rate, base, c)) = linear(p, &slot.expr, k, 0) else {
            continue;
        };
        let Some(from) = exceeds(rate, c, unit) else {
            continue;
        };
        let b = describe(p, base);
        let cur = p.currency;
        let mut what = if rate == Decimal::ONE {
            format!("`{b}`")
        } else {
            format!("{} of `{b}`", percent(rate))
        };
        if !c.is_zero() {
            what = format!("{what} + {}", Value::Money(c, cur));
        }
        let when = match from {
            Exceeds::Always => "for every sale".to_string(),
            Exceeds::AboveZero => format!("whenever `{b}` is above 0"),
            Exceeds::From(t) => format!("whenever `{b}` is {} or more", Value::Money(t, cur)),
        };
        let (kw, n) = (d.kind.keyword(), &slot.name);
        let span = spans.get(n.as_str()).copied().unwrap_or(slot.stmt_span);
        out.push(
            Diagnostic::warning(
                crate::codes::WARN_EXCEEDS_POOL,
                format!("the {kw} `{n}` takes more than the whole pool"),
            )
            .primary(span, format!("{what}: more than the pool {when}"))
            .help(format!(
                "a fee or share takes at most what is left in the pool, so such a sale fails; lower it, or cap it with `min(…, remaining)` (either changes what `{n}` takes)"
            )),
        );
    }
}

/// A table key's value, ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Decimal(Decimal),
    Date(chrono::NaiveDate),
    Bool(bool),
}

fn key_of(v: Value) -> Key {
    match v {
        Value::Money(d, _) | Value::Number(d) | Value::Rate(d, _, _) => Key::Decimal(d),
        Value::Date(d) => Key::Date(d),
        Value::Bool(b) => Key::Bool(b),
    }
}

/// Rows that can never match: an empty range (`5..1`), a key that an earlier
/// row always matches first.
fn tables(p: &Program, file: &ast::File, out: &mut Vec<Diagnostic>) {
    let ast_rows: HashMap<&str, &[ast::TableRow]> = file
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Table { name, rows } => Some((name.name.as_str(), rows.as_slice())),
            _ => None,
        })
        .collect();
    for t in &p.tables {
        let Some(rows) = ast_rows.get(t.name.as_str()) else {
            continue;
        };
        if rows.len() != t.rows.len() {
            continue;
        }
        let konst = |e: &CExpr| match is_constant(e).then(|| p.eval(e, &Outcome::default())) {
            // Of the table's key kind (so one currency): `Key` orders them.
            Some(Ok(v)) if v.ty() == t.key_ty => Some(key_of(v)),
            _ => None,
        };
        let end = |x: &Option<CExpr>| match x {
            None => Some(None),
            Some(e) => konst(e).map(Some),
        };
        let key_span = |r: &ast::TableRow| match &r.key {
            ast::TableKey::Value(e) => e.span,
            ast::TableKey::Range { span, .. } => *span,
        };
        // Each row's keys as `lo ..= hi` (`None` = open), when both ends are constants.
        let mut bounds: Vec<Option<(Option<Key>, Option<Key>)>> = Vec::new();
        for (row, arow) in t.rows.iter().zip(rows.iter()) {
            let b = match &row.key {
                CKey::Value(e) => konst(e).map(|v| (Some(v), Some(v))),
                CKey::Range(lo, hi) => end(lo).zip(end(hi)),
            };
            if let (Some((Some(lo), Some(hi))), CKey::Range(Some(elo), Some(ehi))) = (b, &row.key) {
                if lo > hi {
                    let shown = |e: &CExpr| {
                        constant_value(p, e).map_or_else(|| "?".into(), |v| v.to_string())
                    };
                    let (l, h) = (shown(elo), shown(ehi));
                    out.push(
                        Diagnostic::warning(
                            crate::codes::WARN_EMPTY_RANGE,
                            format!(
                                "the range `{}` of table `{}` is empty: it starts above its end",
                                row.key_text, t.name
                            ),
                        )
                        .primary(key_span(arow), format!("matches no key: {l} is above {h}"))
                        .help(format!(
                            "a range is `low..high`, both ends included; `{h}..{l}` would match the keys from {h} to {l} (a change: those keys would then get this row's value, unless an earlier row matches them), or remove the row"
                        )),
                    );
                    bounds.push(None);
                    continue;
                }
            }
            bounds.push(b);
        }
        shadowed(t, rows, &bounds, &key_span, out);
    }
}

/// Rows whose every key an earlier row matches first. For each row, the
/// earlier row with the highest upper end among those starting at or below
/// its lower end (a prefix maximum over the sorted lower ends): it covers
/// the row if any earlier row does. O(n log n), for tables of any size.
fn shadowed(
    t: &crate::program::Table,
    rows: &[ast::TableRow],
    bounds: &[Option<(Option<Key>, Option<Key>)>],
    key_span: &dyn Fn(&ast::TableRow) -> Span,
    out: &mut Vec<Diagnostic>,
) {
    let mut keys: Vec<Key> = bounds
        .iter()
        .flatten()
        .flat_map(|(a, b)| [*a, *b])
        .flatten()
        .collect();
    keys.sort_unstable();
    keys.dedup();
    // Ranks: 0 is open below, `keys.len() + 1` open above.
    let top = keys.len() + 1;
    let rank = |k: Key| keys.binary_search(&k).map_or(0, |i| i + 1);
    let size = top + 1;
    // Fenwick tree of (upper end, Reverse(row)), maximum over a prefix of lower ends.
    type Best = Option<(usize, std::cmp::Reverse<usize>)>;
    let mut tree: Vec<Best> = vec![None; size + 1];
    for (j, b) in bounds.iter().enumerate() {
        let Some((lo, hi)) = b else {
            continue;
        };
        let l = lo.map_or(0, rank);
        let h = hi.map_or(top, rank);
        let mut best: Best = None;
        let mut i = l + 1;
        while i > 0 {
            best = best.max(tree[i]);
            i &= i - 1;
        }
        match best {
            Some((bh, std::cmp::Reverse(first))) if bh >= h => {
                let (Some(row), Some(by), Some(arow), Some(aby)) = (
                    t.rows.get(j),
                    t.rows.get(first),
                    rows.get(j),
                    rows.get(first),
                ) else {
                    continue;
                };
                let same = matches!((&row.key, &by.key), (CKey::Value(_), CKey::Value(_)));
                let (message, label) = if same {
                    (
                        format!(
                            "the table `{}` has the key `{}` twice: the second row is never used",
                            t.name, row.key_text
                        ),
                        "never used: an earlier row has the same key".to_string(),
                    )
                } else {
                    (
                        format!(
                            "the row `{}` of table `{}` is never used",
                            row.key_text, t.name
                        ),
                        format!(
                            "never used: `{}` before it matches every key it does",
                            by.key_text
                        ),
                    )
                };
                out.push(
                    Diagnostic::warning(crate::codes::WARN_SHADOWED_ROW, message)
                        .primary(key_span(arow), label)
                        .secondary(key_span(aby), format!("`{}` matches first", by.key_text))
                        .help("the first matching row wins: remove the unused row (nothing changes), or change a key (that changes what those lookups give)"),
                );
            }
            _ => {
                let mut i = l + 1;
                while i <= size {
                    tree[i] = tree[i].max(Some((h, std::cmp::Reverse(j))));
                    i += i & i.wrapping_neg();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{exceeds, Exceeds};
    use crate::value::Rounding;
    use rust_decimal::Decimal;

    /// The rows `shadowed_row` reports are exactly those an earlier row
    /// contains (brute force), and none of them is ever the first match.
    #[test]
    fn shadowed_rows_match_brute_force() {
        let mut seed: u64 = 0x5eed;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..400 {
            let n = 1 + next(9) as usize;
            // (lo, hi), None = open; a value key is (Some(v), Some(v)) written `v`.
            let mut rows: Vec<(Option<i64>, Option<i64>, bool)> = Vec::new();
            let mut text = String::from("price = 100.00 USD\ninput k = 1\ntable t {\n");
            let mut starts = Vec::new();
            for _ in 0..n {
                let a = next(8) as i64;
                let b = a + next(4) as i64;
                let (lo, hi, value) = match next(6) {
                    0 | 1 => (Some(a), Some(a), true),
                    2 => (None, Some(b), false),
                    3 => (Some(a), None, false),
                    4 => (None, None, false),
                    _ => (Some(a), Some(b), false),
                };
                starts.push(text.len());
                let end = |x: Option<i64>| x.map_or(String::new(), |v| v.to_string());
                if value {
                    text += &format!("  {} => 1%\n", end(lo));
                } else {
                    text += &format!("  {}..{} => 1%\n", end(lo), end(hi));
                }
                rows.push((lo, hi, value));
            }
            text += "}\nfee f = t(k) of price\nshare p = remaining\n";
            if rows.iter().all(|r| r.0.is_none() && r.1.is_none()) {
                continue; // no key gives the table a key kind: not this test's subject
            }
            let a = match crate::Agreement::compile_failure("t.split", &text) {
                Ok(a) => a,
                Err(f) => panic!("{text}: {:?}", f.diagnostics),
            };
            let mut flagged: Vec<usize> = a
                .warnings
                .iter()
                .filter(|d| d.code == crate::codes::WARN_SHADOWED_ROW)
                .filter_map(|d| d.main_span())
                .filter_map(|s| starts.iter().rposition(|&st| st <= s.start))
                .collect();
            flagged.sort_unstable();
            let covers = |i: usize, j: usize| {
                let (li, hi_i, _) = rows[i];
                let (lj, hj, _) = rows[j];
                let lo_ok = match (li, lj) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(x), Some(y)) => x <= y,
                };
                let hi_ok = match (hi_i, hj) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(x), Some(y)) => x >= y,
                };
                lo_ok && hi_ok
            };
            let expected: Vec<usize> = (0..n).filter(|&j| (0..j).any(|i| covers(i, j))).collect();
            assert_eq!(flagged, expected, "{text}");
            // No key (halves included) reaches a flagged row first.
            for twice in -4..24i64 {
                let k = Decimal::new(twice * 5, 1);
                let hit = rows.iter().position(|(lo, hi, _)| {
                    lo.is_none_or(|l| Decimal::from(l) <= k)
                        && hi.is_none_or(|h| k <= Decimal::from(h))
                });
                assert!(hit.is_none_or(|h| !flagged.contains(&h)), "{text}: key {k}");
            }
        }
    }

    /// What `exceeds` claims holds for every pool of 0.00 to 30.00 USD, in
    /// every rounding mode, by brute force.
    #[test]
    fn exceeds_is_sound() {
        let unit = Decimal::new(1, 2);
        let third = Decimal::ONE / Decimal::from(3);
        let rates = [
            Decimal::ONE,
            Decimal::new(1001, 3),
            Decimal::new(1005, 3),
            Decimal::new(101, 2),
            Decimal::new(15, 1),
            Decimal::new(1999, 3),
            Decimal::TWO,
            Decimal::ONE + third,
            Decimal::new(99, 2),
        ];
        let extras = [0, 1, 5, 9, 10, 50].map(|m| Decimal::new(m, 3));
        let mut claims = 0;
        for rate in rates {
            for c in extras {
                let Some(from) = exceeds(rate, c, unit) else {
                    continue;
                };
                claims += 1;
                for cents in 0..=3000i64 {
                    let b = Decimal::new(cents, 2);
                    let applies = match from {
                        Exceeds::Always => true,
                        Exceeds::AboveZero => cents > 0,
                        Exceeds::From(t) => b >= t,
                    };
                    for (_, mode) in Rounding::ALL {
                        let amount = mode.round(rate * b + c, 2);
                        assert!(
                            !applies || amount > b,
                            "{rate} × {b} + {c} rounds to {amount} ({mode:?}), not above {b}, though {from:?}"
                        );
                    }
                }
            }
        }
        assert!(claims > 10, "the cases should make claims");
        assert_eq!(
            exceeds(Decimal::new(15, 1), Decimal::ZERO, unit),
            Some(Exceeds::From(Decimal::new(2, 2)))
        );
        assert_eq!(
            exceeds(Decimal::TWO, Decimal::ZERO, unit),
            Some(Exceeds::AboveZero)
        );
        assert_eq!(exceeds(Decimal::ONE, unit, unit), Some(Exceeds::Always));
        assert_eq!(exceeds(Decimal::ONE, Decimal::ZERO, unit), None);
    }
}
