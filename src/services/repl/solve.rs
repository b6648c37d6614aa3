//! `solve` (goal seek on an input) and `sweep` (a one-variable data table).
//!
//! Both sides of a goal are expressions, evaluated again at every candidate
//! (two hidden cells in a copy of the agreement): `solve price so that
//! producer = affiliate + 20.00 USD` lands where the equation holds.
//!
//! Deductions are rounded, tables have gaps, `when` switches amounts on and
//! off: the target is a step function of the input that may not evaluate
//! at all on some values. The search works on the input's grid (money: its
//! minor unit; a number whose default is a whole number: whole numbers;
//! other numbers: 0.0001) and never uses a derivative:
//!
//! 1. scan outward from the current value both ways, every grid point
//!    nearby, then doubling steps; a direction stops at a crossing of the
//!    goal, at the end of a run of hits, after many failures in a row, or
//!    a little beyond the distance of the first hit or crossing;
//! 2. refine: wherever two neighbouring probes differ (below, hit, above,
//!    does not evaluate), probe between them until they are neighbours on
//!    the grid, so every step and every gap is located exactly;
//! 3. small runs of hits are checked point by point; the answer is the
//!    simplest value of the hits (fewest decimals, then nearest the current
//!    value), checked by one more evaluation.
//!
//! Between two probes that agree the search assumes nothing changes: far
//! from the current value a hit narrower than the gap between two probes
//! can be missed. A candidate that does not evaluate is not an answer and
//! does not end the search.

use super::changes::deductions;
use super::input::{find_assign, find_word, is_ident, trim_span, word_at};
use super::{err_at, usage, uses_names, Diags, Session};
use crate::diag::{did_you_mean, Diagnostic};
use crate::eval::{coerce, compare, Inputs, Outcome};
use crate::program::{CKind, Program, SlotId};
use crate::span::Span;
use crate::syntax::parse_expr;
use crate::value::{Currency, Ty, Value};
use chrono::Days;
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Decimal places of a number input's steps in `solve` (0.0001 = 0.01%),
/// unless its default is a whole number.
const NUMBER_DP: u32 = 4;

/// The most rows a sweep prints.
const MAX_ROWS: usize = 1000;

/// Grid indices stay within ±2^95, so every one is a decimal (96-bit mantissa).
const LIMIT: i128 = 1 << 95;

/// The most evaluations one `solve` makes.
const MAX_EVALS: usize = 4000;

/// Grid points probed one by one on each side of the current value: for
/// whole numbers (a count, a table key), and for the rest.
const DENSE_WHOLE: i128 = 32;
const DENSE: i128 = 4;

/// Grid points probed on each side of every hit and every step across the goal.
const AROUND: i128 = 8;

/// A direction of the scan stops after this many failures in a row, once
/// it has seen a value that evaluates.
const FAIL_STOP: u32 = 12;

/// Points inside runs of hits that are checked one by one (beyond that
/// many, a run between two hits is taken to hit throughout).
const ENUMERATE: i128 = 64;

/// One value `solve` tried for the input, and what it gave.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Candidate {
    /// The input's value.
    pub value: Value,
    /// The target's value (None: the agreement does not evaluate).
    pub target: Option<Value>,
    /// The goal's value, in the target's kind.
    pub goal: Option<Value>,
    /// The target against the goal (None: not evaluated, or not comparable).
    pub comparison: Option<Ordering>,
    /// Whether every requirement holds.
    pub holds: bool,
}

/// Neighbouring candidates (on the input's grid) alike: all hit the goal,
/// or none evaluates.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Run {
    /// The lowest value of the run.
    pub from: Value,
    /// The highest value of the run.
    pub to: Value,
    /// Whether it starts at the lowest value tried (it may go on below).
    pub from_edge: bool,
    /// Whether it ends at the highest value tried (it may go on above).
    pub to_edge: bool,
}

/// Why no value lands exactly on the goal between two neighbours.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Jump {
    /// Between them the agreement does not evaluate, for the input from
    /// `from` to `to`.
    DoesNotEvaluate {
        /// The first value that fails.
        from: Value,
        /// The last value that fails.
        to: Value,
    },
    /// The target (of a whole-number input) steps over the goal.
    Step,
    /// Rounding steps over the goal.
    Rounding,
}

/// What `solve` found.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SolveResult {
    /// A value of the input gives the goal exactly.
    Found {
        /// The simplest value that hits (fewest decimals, then nearest the
        /// current value).
        value: Value,
        /// What it gives.
        at: Candidate,
        /// How many values hit (when runs reach the edge of what was
        /// tried, more may).
        hits: u128,
        /// The values that hit, as runs.
        runs: Vec<Run>,
    },
    /// The target crosses the goal without landing on it: the nearest
    /// values on both sides.
    Between {
        /// The lower value of the input.
        lower: Candidate,
        /// The higher value of the input.
        upper: Candidate,
        /// Why nothing between them lands on the goal.
        jump: Jump,
    },
    /// Over the values tried the target stays on one side of the goal.
    OutOfReach {
        /// The candidate with the lowest target.
        lowest: Candidate,
        /// The candidate with the highest target.
        highest: Candidate,
        /// Whether the target stays below the goal (else above).
        below: bool,
        /// The values where the agreement does not evaluate, as runs.
        failing: Vec<Run>,
    },
}

/// The answer of `solve NAME so that TARGET = GOAL` as data.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Solution {
    /// The input changed.
    pub input: String,
    /// The target, as written.
    pub target: String,
    /// The goal, as written.
    pub goal: String,
    /// Whether the goal reads the agreement (then it is evaluated again at
    /// every candidate).
    pub goal_uses_names: bool,
    /// The goal's value at the lowest candidate that evaluates.
    pub goal_value: Option<Value>,
    /// What was found.
    pub result: SolveResult,
    /// Every candidate tried, in order of the input's value.
    pub tried: Vec<Candidate>,
}

/// The figures of one sale of a sweep, in the agreement's currency.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SweepFigures {
    /// Every fee and share, in the deduction order.
    pub amounts: Vec<Decimal>,
    /// What no share took.
    pub unallocated: Decimal,
    /// How many requirements do not hold.
    pub failed_requirements: usize,
}

/// One row of a sweep: the input's value and the sale it gives.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SweepRow {
    /// The input's value.
    pub value: Value,
    /// The figures, or why the sale does not evaluate.
    pub figures: Result<SweepFigures, Diagnostic>,
}

/// The answer of `sweep NAME from A to B step S` as data.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Sweep {
    /// The input swept.
    pub input: String,
    /// The currency of the amounts.
    pub currency: Currency,
    /// The fees and shares, in the deduction order (the columns).
    pub deductions: Vec<String>,
    /// How many requirements the agreement has.
    pub requirements: usize,
    /// One row per value.
    pub rows: Vec<SweepRow>,
}

/// Runs the agreement with one input changed, reusing `scratch`.
struct Prober<'a> {
    program: &'a Program,
    base: Option<&'a Outcome>,
    inputs: Inputs,
    scratch: Outcome,
    slot: SlotId,
}

impl<'a> Prober<'a> {
    /// `base` is the outcome with `inputs` (None: it does not evaluate).
    fn new(program: &'a Program, base: Option<&'a Outcome>, inputs: Inputs, slot: SlotId) -> Self {
        Prober {
            program,
            base,
            inputs,
            scratch: base.cloned().unwrap_or_default(),
            slot,
        }
    }

    fn run(&mut self, v: Value) -> Result<&Outcome, Diagnostic> {
        self.inputs.set(self.slot, v);
        match self.base {
            Some(b) => {
                self.scratch.clone_from(b);
                self.program
                    .reevaluate(&self.inputs, &[self.slot], &mut self.scratch)?;
            }
            None => self
                .program
                .evaluate_into(&self.inputs, &mut self.scratch)?,
        }
        Ok(&self.scratch)
    }
}

/// The values `solve` tries for an input: `n` × 10^-dp.
#[derive(Clone, Copy, Debug)]
struct Grid {
    ty: Ty,
    dp: u32,
}

impl Grid {
    /// Money to its minor unit; a number whose default is written without
    /// decimals in whole numbers; other numbers to [`NUMBER_DP`] places.
    fn for_input(program: &Program, slot: SlotId) -> Option<Grid> {
        let s = &program.slots[slot];
        let dp = match s.ty {
            Ty::Money(c) => c.minor_unit(),
            Ty::Number => match s.expr.kind {
                CKind::Const(Value::Number(d)) if d.scale() == 0 => 0,
                _ => NUMBER_DP,
            },
            _ => return None,
        };
        Some(Grid { ty: s.ty, dp })
    }

    fn whole(self) -> bool {
        self.dp == 0 && self.ty == Ty::Number
    }

    fn value(self, n: i128) -> Option<Value> {
        if !(-LIMIT..=LIMIT).contains(&n) {
            return None;
        }
        let d = Decimal::try_from_i128_with_scale(n, self.dp).ok()?;
        match self.ty {
            Ty::Money(c) => Some(Value::Money(d, c)),
            Ty::Number => Some(Value::Number(d)),
            _ => None,
        }
    }

    /// The grid point nearest `v`.
    fn index(self, v: Value) -> Option<i128> {
        let mut d = v.decimal()?.round_dp(self.dp);
        d.rescale(self.dp);
        Some(d.mantissa().clamp(-LIMIT, LIMIT))
    }

    /// The decimals needed to write grid point `n`.
    fn decimals(self, n: i128) -> u32 {
        let (mut k, mut m) = (self.dp, n);
        while k > 0 && m % 10 == 0 {
            m /= 10;
            k -= 1;
        }
        k
    }
}

/// What one candidate gives.
#[derive(Clone, Copy, Debug)]
struct Probe {
    /// The target against the goal; None: the agreement does not evaluate.
    ord: Option<Ordering>,
    /// The target's value.
    lhs: Option<Value>,
    /// The goal's value.
    rhs: Option<Value>,
    /// Whether every requirement holds.
    holds: bool,
}

const HIT: Option<Ordering> = Some(Ordering::Equal);

/// The goal: a hidden cell evaluated with each candidate, or a constant.
#[derive(Clone, Copy, Debug)]
enum Goal {
    Slot(SlotId),
    Value(Value),
}

/// The probes made so far, by grid index.
struct Search<'a> {
    prober: Prober<'a>,
    grid: Grid,
    lhs: SlotId,
    goal: Goal,
    known: BTreeMap<i128, Probe>,
    evals: usize,
    fill_budget: i128,
    /// The points [`Search::look_around`] looked around.
    looked: std::collections::HashSet<i128>,
    /// The first evaluation error, shown when nothing evaluates.
    error: Option<Diagnostic>,
}

impl Search<'_> {
    fn at(&mut self, n: i128) -> Probe {
        if let Some(p) = self.known.get(&n) {
            return *p;
        }
        self.evals += 1;
        let mut p = Probe {
            ord: None,
            lhs: None,
            rhs: None,
            holds: false,
        };
        if let Some(v) = self.grid.value(n) {
            match self.prober.run(v) {
                Ok(out) => {
                    let l = out.value(self.lhs);
                    let r = match self.goal {
                        Goal::Slot(s) => out.value(s),
                        Goal::Value(v) => Some(v),
                    };
                    let r = r.zip(l).and_then(|(r, l)| coerce(r, l.ty()));
                    p = Probe {
                        ord: l.zip(r).and_then(|(l, r)| compare(l, r)),
                        lhs: l,
                        rhs: r,
                        holds: out.all_hold(),
                    };
                }
                Err(d) => {
                    if self.error.is_none() {
                        self.error = Some(d);
                    }
                }
            }
        }
        self.known.insert(n, p);
        p
    }

    /// Step 1: probes outward from `n0`.
    fn scan(&mut self, n0: i128, dense: i128) {
        struct Dir {
            sign: i128,
            alive: bool,
            /// The last probe that evaluated.
            last: Option<Ordering>,
            fails: u32,
            /// Whether a probe evaluated in this direction (or at the start).
            seen_ok: bool,
        }
        let start = self.at(n0).ord;
        // The distance of the nearest hit or crossing.
        let mut found = (start == HIT).then_some(0i128);
        let mut dirs = [1i128, -1].map(|sign| Dir {
            sign,
            alive: true,
            last: start,
            fails: 0,
            seen_ok: start.is_some(),
        });
        let mut off = 0i128;
        while dirs.iter().any(|d| d.alive) && self.evals < MAX_EVALS {
            off = if off < dense {
                off + 1
            } else {
                off.saturating_mul(2)
            };
            for dir in &mut dirs {
                if !dir.alive {
                    continue;
                }
                // Far beyond the first hit or crossing: enough, unless
                // inside a run of hits (its end is wanted).
                if found.is_some_and(|f| off > f.saturating_mul(4).max(dense)) && dir.last != HIT {
                    dir.alive = false;
                    continue;
                }
                let n = n0.saturating_add(dir.sign.saturating_mul(off));
                if !(-LIMIT..=LIMIT).contains(&n) {
                    dir.alive = false;
                    continue;
                }
                let Some(o) = self.at(n).ord else {
                    // Leaving the values that evaluate (from a place that
                    // does not, go on: they may lie far away).
                    dir.fails += 1;
                    if dir.last == HIT || (dir.seen_ok && dir.fails >= FAIL_STOP) {
                        dir.alive = false;
                    }
                    continue;
                };
                dir.fails = 0;
                dir.seen_ok = true;
                match dir.last {
                    // The end of a run of hits.
                    Some(Ordering::Equal) if o != Ordering::Equal => dir.alive = false,
                    // Below, then above (or the reverse): a crossing.
                    Some(prev) if prev != Ordering::Equal && o != Ordering::Equal && prev != o => {
                        found = Some(found.map_or(off, |f| f.min(off)));
                        dir.alive = false;
                    }
                    _ => {}
                }
                if o == Ordering::Equal {
                    found = Some(found.map_or(off, |f| f.min(off)));
                }
                dir.last = Some(o);
            }
        }
    }

    /// Step 2: probes between neighbouring probes that differ until they
    /// are neighbours on the grid.
    fn refine(&mut self) {
        while self.evals < MAX_EVALS {
            let mids: Vec<i128> = self
                .known
                .iter()
                .zip(self.known.iter().skip(1))
                .filter(|((a, pa), (b, pb))| *b - *a > 1 && pa.ord != pb.ord)
                .map(|((a, _), (b, _))| a + (b - a) / 2)
                .collect();
            if mids.is_empty() {
                return;
            }
            for m in mids {
                self.at(m);
            }
        }
    }

    /// Runs of neighbouring probes that hit: (first, last).
    fn runs(&self) -> Vec<(i128, i128)> {
        self.stretches(HIT)
    }

    /// Runs of neighbouring probes whose comparison is `ord`: (first, last).
    fn stretches(&self, ord: Option<Ordering>) -> Vec<(i128, i128)> {
        let mut runs: Vec<(i128, i128)> = Vec::new();
        let mut open = false;
        for (&n, p) in &self.known {
            if p.ord == ord {
                match runs.last_mut() {
                    Some(r) if open => r.1 = n,
                    _ => runs.push((n, n)),
                }
                open = true;
            } else {
                open = false;
            }
        }
        runs
    }

    /// Probes the points inside small runs of hits not probed yet; whether
    /// it probed any.
    fn fill_runs(&mut self) -> bool {
        let mut probed = false;
        for (lo, hi) in self.runs() {
            let known = i128::try_from(self.known.range(lo..=hi).count()).unwrap_or(i128::MAX);
            let gaps = (hi - lo + 1).saturating_sub(known);
            if gaps == 0 || gaps > self.fill_budget {
                continue;
            }
            self.fill_budget -= gaps;
            for n in lo..=hi {
                if !self.known.contains_key(&n) {
                    self.at(n);
                    probed = true;
                }
            }
        }
        probed
    }

    /// Probes every grid point within [`AROUND`] of each end of a run of
    /// hits and of each step across the goal not looked around yet (rounding makes a target
    /// oscillate near the goal); whether it probed any.
    fn look_around(&mut self) -> bool {
        let ok: Vec<(i128, Option<Ordering>)> = self
            .known
            .iter()
            .filter(|(_, p)| p.ord.is_some())
            .map(|(n, p)| (*n, p.ord))
            .collect();
        // The ends of runs of hits and the steps across the goal: where the
        // comparison changes between neighbouring probes that evaluate.
        let mut centres: Vec<i128> = Vec::new();
        for w in ok.windows(2) {
            if w[0].1 != w[1].1 {
                centres.extend([w[0].0, w[1].0]);
            }
        }
        centres.extend(self.runs().into_iter().flat_map(|(lo, hi)| [lo, hi]));
        let mut probed = false;
        for c in centres {
            if !self.looked.insert(c) {
                continue;
            }
            for n in (c - AROUND).max(-LIMIT)..=(c + AROUND).min(LIMIT) {
                if self.evals >= MAX_EVALS {
                    return probed;
                }
                if !self.known.contains_key(&n) {
                    self.at(n);
                    probed = true;
                }
            }
        }
        probed
    }

    /// The probes that evaluated, in order of the value tried.
    fn evaluating(&self) -> Vec<(i128, Probe)> {
        self.known
            .iter()
            .filter(|(_, p)| p.ord.is_some())
            .map(|(n, p)| (*n, *p))
            .collect()
    }

    /// The neighbouring probes that evaluate on both sides of the goal
    /// nearest `n0`.
    fn crossing(&self, n0: i128) -> Option<[(i128, Probe); 2]> {
        let ok = self.evaluating();
        ok.windows(2)
            .filter(|w| w[0].1.ord != w[1].1.ord)
            .map(|w| [w[0], w[1]])
            .min_by_key(|[a, b]| a.0.abs_diff(n0).min(b.0.abs_diff(n0)))
    }
}

/// `runs` as values, each with whether it reaches the end of what the
/// search probed.
fn describe(grid: Grid, search: &Search, runs: &[(i128, i128)]) -> Vec<Run> {
    let first = search.known.keys().next().copied();
    let last = search.known.keys().next_back().copied();
    runs.iter()
        .filter_map(|&(lo, hi)| {
            Some(Run {
                from: grid.value(lo)?,
                to: grid.value(hi)?,
                from_edge: Some(lo) == first,
                to_edge: Some(hi) == last,
            })
        })
        .collect()
}

/// The candidate at grid point `n`.
fn candidate(grid: Grid, n: i128, p: &Probe) -> Option<Candidate> {
    Some(Candidate {
        value: grid.value(n)?,
        target: p.lhs,
        goal: p.rhs,
        comparison: p.ord,
        holds: p.holds,
    })
}

/// The simplest grid point inside `runs`: fewest decimals, then nearest
/// `n0`, then the lower.
fn simplest(grid: Grid, runs: &[(i128, i128)], n0: i128) -> Option<i128> {
    let mut best: Option<(u32, u128, i128)> = None;
    for &(lo, hi) in runs {
        for k in 0..=grid.dp {
            let unit = 10i128.pow(grid.dp - k);
            let near = n0.clamp(lo, hi).div_euclid(unit) * unit;
            for c in [near, near + unit] {
                if (lo..=hi).contains(&c) {
                    let key = (grid.decimals(c), c.abs_diff(n0), c);
                    if best.is_none_or(|b| key < b) {
                        best = Some(key);
                    }
                }
            }
        }
    }
    best.map(|(_, _, c)| c)
}

/// `solve NAME so that TARGET = GOAL` (both sides expressions).
pub(super) fn solve(s: &Session, input: &str, span: Span) -> Result<Solution, Diags> {
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
    let eq = find_assign(input, rest).ok_or_else(bad)?;
    let lhs_span = trim_span(input, Span::new(rest.start, eq));
    let rhs_span = trim_span(input, Span::new(eq + 1, rest.end));
    if lhs_span.is_empty() || rhs_span.is_empty() {
        return Err(bad());
    }
    let p = &st.agreement.program;
    let name = p.slots[slot].name.clone();
    let Some(grid) = Grid::for_input(p, slot) else {
        let ty = p.slots[slot].ty;
        return Err(err_at(
            input,
            Diagnostic::error(
                crate::codes::REPL_SOLVE_KIND,
                format!("`{name}` is {ty}: solve changes a money or number input"),
            )
            .primary(
                trim_span(input, Span::new(span.start, so)),
                "not money or a number",
            ),
        ));
    };
    let lhs_text = lhs_span.text(input);
    if is_ident(lhs_text) && p.slot(lhs_text).is_none() {
        let help = match did_you_mean(lhs_text, p.slots.iter().map(|s| s.name.as_str())) {
            Some(n) => format!("did you mean `{n}`?"),
            None => "the target is the name of a cell, fee or share, or an expression".into(),
        };
        return Err(err_at(
            input,
            Diagnostic::error(
                crate::codes::NAME_UNKNOWN,
                format!("the agreement has no value named `{lhs_text}`"),
            )
            .primary(lhs_span, "unknown name")
            .help(help),
        ));
    }
    let rhs_text = rhs_span.text(input);
    let goal_has_names = parse_expr(rhs_text).map_or(true, |e| uses_names(&e));
    // A value's name and a constant goal need no hidden cells (and no
    // compile of a copy of the agreement); anything else does.
    let probed;
    let base_owned;
    let (program, inputs, base, islot, lhs, goal, lty, rty) = match p.slot(lhs_text) {
        Some(target) if !goal_has_names => {
            let g = s.eval_in(input, rhs_span)?;
            let base = st.outcome.as_ref().ok();
            let lty = p.slots[target].ty;
            (
                p,
                st.inputs.clone(),
                base,
                slot,
                target,
                Goal::Value(g),
                lty,
                g.ty(),
            )
        }
        _ => {
            probed = s.with_probes(input, &[lhs_span, rhs_span])?;
            let (a, probes, _) = &probed;
            let (&[lhs, rhs], Some(islot)) = (probes.as_slice(), a.program.slot(&name)) else {
                return Err(bad());
            };
            let (inputs, _) = st.carry_inputs(a);
            base_owned = a.evaluate_outcome(&inputs).ok();
            let (lty, rty) = (a.program.slots[lhs].ty, a.program.slots[rhs].ty);
            let base = base_owned.as_ref();
            (
                &a.program,
                inputs,
                base,
                islot,
                lhs,
                Goal::Slot(rhs),
                lty,
                rty,
            )
        }
    };
    if !matches!(lty, Ty::Money(_) | Ty::Number) {
        return Err(err_at(
            input,
            Diagnostic::error(
                crate::codes::REPL_SOLVE_KIND,
                format!("`{lhs_text}` is {lty}: solve reaches a money or number value"),
            )
            .primary(lhs_span, format!("{lty}"))
            .help("the target is an amount or a number: a fee, a share, a cell"),
        ));
    }
    if rty != lty && !(rty == Ty::Number && matches!(lty, Ty::Money(_))) {
        return Err(err_at(
            input,
            Diagnostic::error(
                crate::codes::REPL_SOLVE_KIND,
                format!("`{lhs_text}` is {lty}, but the goal is {rty}"),
            )
            .primary(rhs_span, format!("{rty}"))
            .help("solve finds a money or number value; give the goal in the target's kind"),
        ));
    }
    let current = inputs
        .get(islot)
        .or_else(|| base.and_then(|o| o.value(islot)))
        .or_else(|| st.outcome.as_ref().ok().and_then(|o| o.value(slot)))
        .or(match program.slots[islot].expr.kind {
            CKind::Const(v) => Some(v),
            _ => None,
        });
    let n0 = current.and_then(|v| grid.index(v)).unwrap_or(0);
    let mut search = Search {
        prober: Prober::new(program, base, inputs, islot),
        grid,
        lhs,
        goal,
        known: BTreeMap::new(),
        evals: 0,
        fill_budget: ENUMERATE,
        looked: std::collections::HashSet::new(),
        error: None,
    };
    search.scan(n0, if grid.whole() { DENSE_WHOLE } else { DENSE });
    let mut answer = None;
    for _ in 0..64 {
        search.refine();
        if search.fill_runs() || search.look_around() {
            continue;
        }
        let Some(c) = simplest(grid, &search.runs(), n0) else {
            break;
        };
        if search.at(c).ord == HIT {
            answer = Some(c);
            break;
        }
    }
    if answer.is_none() {
        // Checks kept failing: the simplest of the probes that hit.
        answer = search
            .known
            .iter()
            .filter(|(_, p)| p.ord == HIT)
            .map(|(n, _)| *n)
            .min_by_key(|&n| (grid.decimals(n), n.abs_diff(n0), n));
    }
    let cand = |n: i128, p: &Probe| candidate(grid, n, p);
    let tried: Vec<Candidate> = search
        .known
        .iter()
        .filter_map(|(n, p)| cand(*n, p))
        .collect();
    let goal_value = search.known.values().find_map(|p| p.rhs);
    let solution = |result| Solution {
        input: name.clone(),
        target: lhs_text.to_string(),
        goal: rhs_text.to_string(),
        goal_uses_names: goal_has_names,
        goal_value,
        result,
        tried: tried.clone(),
    };
    if let Some(c) = answer {
        let pc = search.at(c);
        let runs = search.runs();
        let hits = runs
            .iter()
            .fold(0u128, |t, (lo, hi)| t.saturating_add(hi.abs_diff(*lo) + 1));
        if let Some(at) = cand(c, &pc) {
            return Ok(solution(SolveResult::Found {
                value: at.value,
                at,
                hits,
                runs: describe(grid, &search, &runs),
            }));
        }
    }
    if let Some([(na, pa), (nb, pb)]) = search.crossing(n0) {
        let jump = if nb - na > 1 {
            match (grid.value(na + 1), grid.value(nb - 1)) {
                (Some(from), Some(to)) => Some(Jump::DoesNotEvaluate { from, to }),
                _ => None,
            }
        } else if grid.whole() {
            Some(Jump::Step)
        } else {
            Some(Jump::Rounding)
        };
        if let (Some(lower), Some(upper), Some(jump)) = (cand(na, &pa), cand(nb, &pb), jump) {
            return Ok(solution(SolveResult::Between { lower, upper, jump }));
        }
    }
    let ok = search.evaluating();
    let by_lhs = |x: &(i128, Probe), y: &(i128, Probe)| {
        x.1.lhs
            .zip(y.1.lhs)
            .and_then(|(a, b)| compare(a, b))
            .unwrap_or(Ordering::Equal)
    };
    // Of equal values, the one nearest the current value.
    let near = |x: &(i128, Probe), y: &(i128, Probe)| x.0.abs_diff(n0).cmp(&y.0.abs_diff(n0));
    let lo = ok
        .iter()
        .min_by(|x, y| by_lhs(x, y).then_with(|| near(x, y)))
        .and_then(|(n, p)| cand(*n, p));
    let hi = ok
        .iter()
        .min_by(|x, y| by_lhs(y, x).then_with(|| near(x, y)))
        .and_then(|(n, p)| cand(*n, p));
    let (Some(lowest), Some(highest)) = (lo, hi) else {
        let mut d = Diagnostic::error(
            crate::codes::REPL_SOLVE_FAILED,
            format!("the agreement does not evaluate for any value of `{name}` tried"),
        )
        .primary(
            trim_span(input, Span::new(span.start, so)),
            "no value of it evaluates",
        );
        if let Some(e) = &search.error {
            let at = grid.value(n0).map_or_else(|| "?".into(), |v| v.to_string());
            d = d.help(format!("at {name} = {at}: {}", e.message));
        }
        return Err(err_at(input, d));
    };
    let below = matches!(ok.first().and_then(|(_, p)| p.ord), Some(Ordering::Less));
    let failing = describe(grid, &search, &search.stretches(None));
    Ok(solution(SolveResult::OutOfReach {
        lowest,
        highest,
        below,
        failing,
    }))
}

/// `sweep NAME from A to B step S` (a date steps in days: `step 7`,
/// `step 7 days`).
pub(super) fn sweep(s: &Session, input: &str, span: Span) -> Result<Sweep, Diags> {
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
    let p = &st.agreement.program;
    let values = match (a, b) {
        (Value::Date(_), Value::Date(_)) => date_steps(s, input, a, b, step_span)?,
        _ => {
            let sv = s.input_value(input, step_span, slot)?;
            number_steps(input, span, a, b, sv, step_span)?
        }
    };
    let base = match &st.outcome {
        Ok(o) => o.clone(),
        Err(_) => Outcome::default(),
    };
    let mut prober = Prober::new(
        p,
        st.outcome.as_ref().ok().map(|_| &base),
        st.inputs.clone(),
        slot,
    );
    let mut rows = Vec::with_capacity(values.len());
    for v in values {
        let figures = prober.run(v).map(|out| SweepFigures {
            amounts: deductions(p, out).into_iter().map(|d| d.3).collect(),
            unallocated: out.unallocated(),
            failed_requirements: out.requirements.iter().filter(|h| !**h).count(),
        });
        rows.push(SweepRow { value: v, figures });
    }
    Ok(Sweep {
        input: p.slots[slot].name.clone(),
        currency: p.currency,
        deductions: p
            .deductions
            .iter()
            .map(|d| p.slots[d.slot].name.clone())
            .collect(),
        requirements: p.requirements.len(),
        rows,
    })
}

/// The values of a sweep over money or numbers: from `a` toward `b` by `sv`.
fn number_steps(
    input: &str,
    span: Span,
    a: Value,
    b: Value,
    sv: Value,
    step_span: Span,
) -> Result<Vec<Value>, Diags> {
    let (Some(da), Some(db), Some(ds)) = (a.decimal(), b.decimal(), sv.decimal()) else {
        return Err(usage(
            input,
            span,
            "sweep steps through money, numbers or dates",
            "choose a money, number or date input",
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
    too_many(input, step_span, count)?;
    let down = db < da;
    let mut values = Vec::with_capacity(count + 1);
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
        values.push(match a {
            Value::Money(_, cur) => Value::Money(x, cur),
            Value::Rate(_, p1, p2) => Value::Rate(x, p1, p2),
            _ => Value::Number(x),
        });
    }
    Ok(values)
}

fn too_many(input: &str, step_span: Span, count: usize) -> Result<(), Diags> {
    if count >= MAX_ROWS {
        return Err(usage(
            input,
            step_span,
            &format!("that is more than {MAX_ROWS} rows"),
            "take a larger step or a shorter range",
        ));
    }
    Ok(())
}

/// The days of a sweep over a date: from `a` toward `b`, `step N [day|days]`.
fn date_steps(
    s: &Session,
    input: &str,
    a: Value,
    b: Value,
    step_span: Span,
) -> Result<Vec<Value>, Diags> {
    let (Value::Date(da), Value::Date(db)) = (a, b) else {
        return Ok(Vec::new());
    };
    let bad_step = |at: Span| {
        usage(
            input,
            at,
            "a date steps by a whole number of days",
            "write e.g. `step 1`, `step 7 days`",
        )
    };
    // A last word `day` or `days` is the unit; another word is not one.
    let mut number_span = step_span;
    let mut pos = step_span.start;
    let mut last_word = None;
    while let Some(w) = word_at(input, pos) {
        if w.start >= step_span.end {
            break;
        }
        last_word = Some(w);
        pos = w.end;
    }
    if let Some(w) = last_word.filter(|w| w.end == step_span.end) {
        match w.text(input) {
            "day" | "days" => number_span = trim_span(input, Span::new(step_span.start, w.start)),
            t if is_ident(t) && w.start > step_span.start => return Err(bad_step(w)),
            _ => {}
        }
    }
    let days = match s.eval_in(input, number_span)? {
        Value::Number(d) if d > Decimal::ZERO && d.fract().is_zero() => {
            u64::try_from(d).map_err(|_| bad_step(number_span))?
        }
        Value::Number(d) if d <= Decimal::ZERO => {
            return Err(usage(
                input,
                number_span,
                "the step must be above zero",
                "sweep goes from A toward B by S, whichever way B lies",
            ))
        }
        _ => return Err(bad_step(number_span)),
    };
    let span_days = (db - da).num_days().unsigned_abs();
    let count = usize::try_from(span_days / days).unwrap_or(usize::MAX);
    too_many(input, step_span, count)?;
    let mut values = Vec::with_capacity(count + 1);
    for i in 0..=count as u64 {
        let shift = Days::new(i.saturating_mul(days));
        let d = if db < da {
            da.checked_sub_days(shift)
        } else {
            da.checked_add_days(shift)
        };
        let Some(d) = d else { break };
        values.push(Value::Date(d));
    }
    Ok(values)
}
