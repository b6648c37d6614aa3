//! `solve` (goal seek on an input, to its minor unit) and `sweep` (a
//! one-variable data table).
//!
//! Deductions are rounded, so a target is a step function of an input: goal
//! seek works on whole minor units, brackets the goal by doubling steps
//! from the current value, then bisects to two neighbouring values. It never
//! uses a derivative.

use super::input::{find_word, trim_span};
use super::table::align;
use super::{err_at, usage, Diags, Reply, Session, State};
use crate::diag::{did_you_mean, Diagnostic};
use crate::eval::{coerce, compare, Inputs, Outcome};
use crate::program::SlotId;
use crate::span::Span;
use crate::value::{format_amount, Ty, Value};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Decimal places of a number input's steps in `solve` (0.0001 = 0.01%).
const NUMBER_DP: u32 = 4;

/// The most rows a sweep prints.
const MAX_ROWS: usize = 1000;

/// Runs the agreement with one input changed, reusing `scratch`.
struct Prober<'a> {
    st: &'a State,
    base: &'a Outcome,
    inputs: Inputs,
    scratch: Outcome,
    slot: SlotId,
}

impl<'a> Prober<'a> {
    fn new(st: &'a State, base: &'a Outcome, slot: SlotId) -> Self {
        Prober {
            st,
            base,
            inputs: st.inputs.clone(),
            scratch: base.clone(),
            slot,
        }
    }

    fn run(&mut self, v: Value) -> Result<&Outcome, Diagnostic> {
        self.scratch.clone_from(self.base);
        self.inputs.set(self.slot, v);
        self.st
            .agreement
            .program
            .reevaluate(&self.inputs, &[self.slot], &mut self.scratch)?;
        Ok(&self.scratch)
    }
}

/// The value of an input on its grid: `n` minor units.
fn grid_value(ty: Ty, n: i128) -> Option<Value> {
    match ty {
        Ty::Money(c) => Decimal::try_from_i128_with_scale(n, c.minor_unit())
            .ok()
            .map(|d| Value::Money(d, c)),
        Ty::Number => Decimal::try_from_i128_with_scale(n, NUMBER_DP)
            .ok()
            .map(Value::Number),
        _ => None,
    }
}

fn grid_index(ty: Ty, v: Value) -> Option<i128> {
    let dp = match ty {
        Ty::Money(c) => c.minor_unit(),
        _ => NUMBER_DP,
    };
    let mut d = v.decimal()?.round_dp(dp);
    d.rescale(dp);
    Some(d.mantissa())
}

/// `solve NAME so that TARGET = VALUE`.
pub(super) fn solve(s: &Session, input: &str, span: Span) -> Result<Reply, Diags> {
    let st = s.state(input)?;
    let bad = || {
        usage(
            input,
            span,
            "expected `solve NAME so that TARGET = VALUE`",
            "e.g. `solve price so that producer = 100.00 USD`",
        )
    };
    let so = find_word(input, span, "so").ok_or_else(bad)?;
    let that = find_word(input, Span::new(so + 2, span.end), "that").ok_or_else(bad)?;
    if !input[so + 2..that].trim().is_empty() {
        return Err(bad());
    }
    let slot = s.input_slot(input, Span::new(span.start, so))?;
    let rest = Span::new(that + 4, span.end);
    let eq = super::input::find_assign(input, rest).ok_or_else(bad)?;
    let target_span = trim_span(input, Span::new(rest.start, eq));
    let p = &st.agreement.program;
    let target_name = target_span.text(input);
    let Some(target) = p.slot(target_name) else {
        let help = match did_you_mean(target_name, p.slots.iter().map(|s| s.name.as_str())) {
            Some(n) => format!("did you mean `{n}`?"),
            None => "the target is the name of a cell, fee or share".into(),
        };
        return Err(err_at(
            input,
            Diagnostic::error(
                "splitdsl::name::unknown",
                format!("the agreement has no value named `{target_name}`"),
            )
            .primary(target_span, "unknown name")
            .help(help),
        ));
    };
    let goal_span = trim_span(input, Span::new(eq + 1, rest.end));
    let goal = s.eval_in(input, goal_span)?;
    let t_ty = p.slots[target].ty;
    let goal = coerce(goal, t_ty)
        .filter(|g| matches!(g, Value::Money(..) | Value::Number(_)))
        .ok_or_else(|| {
            err_at(
                input,
                Diagnostic::error(
                    "splitdsl::repl::solve_kind",
                    format!("`{target_name}` is {t_ty}, but the goal is {}", goal.ty()),
                )
                .primary(goal_span, format!("{}", goal.ty()))
                .help("solve finds a money or number value; give the goal in the target's kind"),
            )
        })?;
    let name = &p.slots[slot].name;
    let ty = p.slots[slot].ty;
    if !matches!(ty, Ty::Money(_) | Ty::Number) {
        return Err(err_at(
            input,
            Diagnostic::error(
                "splitdsl::repl::solve_kind",
                format!("`{name}` is {ty}: solve changes a money or number input"),
            )
            .primary(
                trim_span(input, Span::new(span.start, so)),
                "not money or a number",
            ),
        ));
    }
    let base = match &st.outcome {
        Ok(o) => o,
        Err(d) => return Err(vec![(d.clone(), st.agreement.source.clone())]),
    };
    let n0 = base
        .value(slot)
        .and_then(|v| grid_index(ty, v))
        .unwrap_or(0);
    let mut prober = Prober::new(st, base, slot);
    let mut evals = 0usize;
    let mut seen: Vec<(i128, Value)> = Vec::new();
    let mut g = |n: i128| -> Option<(Ordering, Value)> {
        evals += 1;
        let v = grid_value(ty, n)?;
        let out = prober.run(v).ok()?;
        let tv = out.value(target)?;
        let ord = compare(tv, goal)?;
        seen.push((n, tv));
        Some((ord, tv))
    };
    let show = |n: i128| grid_value(ty, n).map_or_else(|| "?".into(), |v| v.to_string());
    let Some((o0, _)) = g(n0) else {
        return Err(err_at(
            input,
            Diagnostic::error(
                "splitdsl::repl::solve_failed",
                format!("the agreement does not evaluate with `{name}` at its current value"),
            ),
        ));
    };
    // 1. Bracket: a has the sign o0 (not Equal), b does not.
    let mut bracket: Option<(i128, i128)> = None;
    if o0 == Ordering::Equal {
        bracket = Some((n0, n0));
    } else {
        let mut alive = [true, true];
        let mut last_ok = [n0, n0];
        'search: for k in 0..100u32 {
            let d = 1i128.checked_shl(k).unwrap_or(i128::MAX);
            for (i, dir) in [1i128, -1].into_iter().enumerate() {
                if !alive[i] {
                    continue;
                }
                let p = n0.saturating_add(dir.saturating_mul(d));
                match g(p) {
                    Some((o, _)) if o != o0 => {
                        bracket = Some((last_ok[i], p));
                        break 'search;
                    }
                    Some(_) => last_ok[i] = p,
                    None => {
                        // The edge of the values that evaluate: find it.
                        alive[i] = false;
                        let (mut ok, mut badp) = (last_ok[i], p);
                        while badp.abs_diff(ok) > 1 {
                            let m = ok.midpoint(badp);
                            match g(m) {
                                Some((o, _)) if o != o0 => {
                                    bracket = Some((ok, m));
                                    break 'search;
                                }
                                Some(_) => ok = m,
                                None => badp = m,
                            }
                        }
                    }
                }
            }
            if !alive[0] && !alive[1] {
                break;
            }
        }
    }
    let Some((mut a, mut b)) = bracket else {
        let lo = seen
            .iter()
            .min_by(|x, y| compare(x.1, y.1).unwrap_or(Ordering::Equal));
        let hi = seen
            .iter()
            .max_by(|x, y| compare(x.1, y.1).unwrap_or(Ordering::Equal));
        let mut text =
            format!("no value of `{name}` gives {target_name} = {goal}: it is out of reach\n");
        if let (Some(lo), Some(hi)) = (lo, hi) {
            text.push_str(&format!(
                "  over the values tried, {target_name} goes from {} ({name} = {}) to {} ({name} = {})\n",
                lo.1,
                show(lo.0),
                hi.1,
                show(hi.0)
            ));
        }
        return Ok(Reply::text(text));
    };
    // 2. Bisect down to neighbours.
    while b.abs_diff(a) > 1 {
        let m = a.midpoint(b);
        match g(m) {
            Some((o, _)) if o == o0 => a = m,
            Some(_) => b = m,
            None => {
                return Err(err_at(
                    input,
                    Diagnostic::error(
                        "splitdsl::repl::solve_failed",
                        format!(
                            "the agreement does not evaluate with `{name}` = {}, between two values that do",
                            show(m)
                        ),
                    ),
                ))
            }
        }
    }
    let (ob, vb) = g(b).unwrap_or((o0, goal));
    if ob == Ordering::Equal {
        // 3. The run of exact values, going away from `a`.
        let dir: i128 = if b >= a { 1 } else { -1 };
        let mut last = b;
        let mut step = 1i128;
        loop {
            let p = last.saturating_add(dir.saturating_mul(step));
            match g(p) {
                Some((Ordering::Equal, _)) => {
                    last = p;
                    step = step.saturating_mul(2);
                }
                _ if step == 1 => break,
                _ => step = 1,
            }
        }
        if o0 == Ordering::Equal {
            // The current value is exact: extend the other way too.
            let mut first = b;
            let mut step = 1i128;
            loop {
                let p = first.saturating_sub(dir.saturating_mul(step));
                match g(p) {
                    Some((Ordering::Equal, _)) => {
                        first = p;
                        step = step.saturating_mul(2);
                    }
                    _ if step == 1 => break,
                    _ => step = 1,
                }
            }
            b = first;
        }
        let (lo, hi) = (b.min(last), b.max(last));
        let mut text = format!("{name} = {} gives {target_name} = {vb}\n", show(lo));
        if hi > lo {
            text.push_str(&format!(
                "  (so does every {name} from {} to {})\n",
                show(lo),
                show(hi)
            ));
        }
        text.push_str(&format!("  keep it with `set {name} = {}`\n", show(lo)));
        return Ok(Reply::text(text));
    }
    let (lo, hi) = (a.min(b), a.max(b));
    let (_, vlo) = g(lo).unwrap_or((o0, goal));
    let (_, vhi) = g(hi).unwrap_or((o0, goal));
    Ok(Reply::text(format!(
        "no {name} gives {target_name} = {goal} exactly (rounding steps over it); the nearest:\n  {name} = {} gives {target_name} = {vlo}\n  {name} = {} gives {target_name} = {vhi}\n",
        show(lo),
        show(hi)
    )))
}

/// `sweep NAME from A to B step S`.
pub(super) fn sweep(s: &Session, input: &str, span: Span) -> Result<Reply, Diags> {
    let st = s.state(input)?;
    let bad = || {
        usage(
            input,
            span,
            "expected `sweep NAME from A to B step S`",
            "e.g. `sweep price from 50 to 500 step 50`",
        )
    };
    let from = find_word(input, span, "from").ok_or_else(bad)?;
    let to = find_word(input, Span::new(from + 4, span.end), "to").ok_or_else(bad)?;
    let step = find_word(input, Span::new(to + 2, span.end), "step").ok_or_else(bad)?;
    let slot = s.input_slot(input, Span::new(span.start, from))?;
    let a = s.input_value(input, Span::new(from + 4, to), slot)?;
    let b = s.input_value(input, Span::new(to + 2, step), slot)?;
    let step_span = trim_span(input, Span::new(step + 4, span.end));
    let sv = s.input_value(input, step_span, slot)?;
    let p = &st.agreement.program;
    let (Some(da), Some(db), Some(ds)) = (a.decimal(), b.decimal(), sv.decimal()) else {
        return Err(usage(
            input,
            span,
            "sweep steps through money or numbers",
            "choose a money or number input",
        ));
    };
    if ds <= Decimal::ZERO {
        return Err(usage(
            input,
            step_span,
            "the step must be above zero",
            "sweep goes from A toward B by S, whichever way B lies",
        ));
    }
    // Too wide to count (even to subtract) is too many rows.
    let count = db
        .checked_sub(da)
        .map(|d| d.abs())
        .and_then(|len| len.checked_div(ds))
        .map(|q| q.floor())
        .and_then(|q| usize::try_from(q).ok())
        .unwrap_or(usize::MAX);
    if count >= MAX_ROWS {
        return Err(usage(
            input,
            step_span,
            &format!("that is more than {MAX_ROWS} rows"),
            "take a larger step or a shorter range",
        ));
    }
    let down = db < da;
    let base = match &st.outcome {
        Ok(o) => o.clone(),
        Err(_) => Outcome::default(),
    };
    let mut prober = Prober::new(st, &base, slot);
    let name = &p.slots[slot].name;
    let mut header = vec![name.clone()];
    header.extend(p.deductions.iter().map(|d| p.slots[d.slot].name.clone()));
    header.push("unallocated".into());
    if !p.requirements.is_empty() {
        header.push("requirements".into());
    }
    let mut rows = vec![header];
    let c = p.currency;
    let mut errors = Vec::new();
    for i in 0..=count {
        let off = Decimal::from(i as u64).checked_mul(ds);
        let x = off.and_then(|o| {
            if down {
                da.checked_sub(o)
            } else {
                da.checked_add(o)
            }
        });
        let Some(x) = x else { break };
        let v = match a {
            Value::Money(_, cur) => Value::Money(x, cur),
            Value::Rate(_, p1, p2) => Value::Rate(x, p1, p2),
            _ => Value::Number(x),
        };
        let label = match v {
            Value::Money(d, cur) => format_amount(d, cur),
            other => other.to_string(),
        };
        let outcome = if st.outcome.is_ok() {
            prober.run(v).cloned()
        } else {
            let mut inputs = st.inputs.clone();
            inputs.set(slot, v);
            st.agreement.evaluate(&inputs)
        };
        match outcome {
            Ok(out) => {
                let mut row = vec![label];
                for l in crate::report::lines(p, &out) {
                    row.push(format_amount(l.amount, c));
                }
                row.push(format_amount(out.unallocated(), c));
                if !p.requirements.is_empty() {
                    let fails = out.requirements.iter().filter(|h| !**h).count();
                    row.push(if fails == 0 {
                        "✓".into()
                    } else {
                        format!("✗ {fails}")
                    });
                }
                rows.push(row);
            }
            Err(d) => {
                errors.push((v, d.message));
                rows.push(vec![label, format!("error [{}]", errors.len())]);
            }
        }
    }
    let mut text = format!("  amounts in {c}\n");
    text.push_str(&align(&rows, 0));
    for (i, (v, msg)) in errors.iter().enumerate() {
        text.push_str(&format!("  [{}] {name} = {v}: {msg}\n", i + 1));
    }
    Ok(Reply::text(text))
}
