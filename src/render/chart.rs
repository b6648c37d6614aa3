//! A picture of one sale's split: a waterfall from the price down to what
//! is left, one bar per deduction, in the terminal ([`terminal`]) or as an
//! SVG image ([`svg`]).
//!
//! Positions are computed with exact decimals, like every other figure:
//! no floating point anywhere, so a chart never disagrees with the table.

use crate::eval::Outcome;
use crate::program::Program;
use crate::report;
use crate::summary;
use crate::textwidth::{self as tw, Align::Left, Align::Right};
use crate::value::{format_amount, Currency};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// One step of the waterfall: a fee or share and the pool around it.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// `fee` or `share`.
    pub kind: &'static str,
    /// The deduction's name.
    pub name: String,
    /// Its label, if any.
    pub label: Option<String>,
    /// Its amount.
    pub amount: Decimal,
    /// The pool before it.
    pub before: Decimal,
    /// The pool after it.
    pub after: Decimal,
}

impl Step {
    /// What people call it: the label, else the name.
    pub fn title(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// The figures of one sale, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Waterfall {
    /// The agreement's title (or a stand-in).
    pub title: String,
    /// The currency of every amount.
    pub currency: Currency,
    /// The price of the sale.
    pub price: Decimal,
    /// The deductions, in order.
    pub steps: Vec<Step>,
    /// What the last deduction left.
    pub unallocated: Decimal,
    /// Each requirement's message and whether it holds.
    pub requirements: Vec<(String, bool)>,
}

impl Waterfall {
    /// The waterfall of an evaluated sale. `fallback_title` is used when the
    /// agreement has no `agreement "TITLE"` line (e.g. the file name).
    pub fn new(p: &Program, out: &Outcome, fallback_title: &str) -> Self {
        let price = summary::price(out);
        let steps = summary::lines(p, out)
            .into_iter()
            .map(|l| Step {
                kind: l.kind,
                name: l.name.to_string(),
                label: l.label.map(str::to_string),
                amount: l.amount,
                before: l.remaining.checked_add(l.amount).unwrap_or(l.remaining),
                after: l.remaining,
            })
            .collect();
        Waterfall {
            title: p
                .title
                .clone()
                .unwrap_or_else(|| fallback_title.to_string()),
            currency: p.currency,
            price,
            steps,
            unallocated: out.unallocated(),
            requirements: p
                .requirements
                .iter()
                .zip(&out.requirements)
                .map(|(r, h)| (r.message.clone(), *h))
                .collect(),
        }
    }

    fn money(&self, d: Decimal) -> String {
        format!("{} {}", format_amount(d, self.currency), self.currency)
    }
}

/// `v` as a share of `price` on a scale of `0..=units`, rounded to a whole
/// unit and kept inside the scale (0 when the price is not positive).
fn scale(v: Decimal, price: Decimal, units: usize) -> usize {
    if price <= Decimal::ZERO || v <= Decimal::ZERO {
        return 0;
    }
    let u = Decimal::from(units);
    v.checked_mul(u)
        .and_then(|x| x.checked_div(price))
        .map(|x| x.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero))
        .and_then(|x| x.to_usize())
        .map_or(units, |x| x.min(units))
}

// ---------------------------------------------------------------- terminal

const LEFT_EIGHTHS: [char; 7] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// A bar `width` cells wide: solid from `lo` to `hi`, shaded from 0 to `lo`
/// when `shade` (the pool that is left), blank elsewhere.
fn bar(
    lo: Decimal,
    hi: Decimal,
    price: Decimal,
    width: usize,
    unicode: bool,
    shade: bool,
) -> String {
    let eighths = width * 8;
    let s = scale(lo, price, eighths);
    let mut e = scale(hi, price, eighths);
    if hi > lo && e <= s && price > Decimal::ZERO {
        e = (s + 1).min(eighths);
    }
    let s = s.min(e);
    let mut cells: Vec<char> = Vec::with_capacity(width);
    for i in 0..width {
        let (cs, ce) = (i * 8, i * 8 + 8);
        let covered = e.min(ce).saturating_sub(s.max(cs));
        let ch = if covered >= 8 {
            if unicode {
                '█'
            } else {
                '#'
            }
        } else if covered == 0 {
            if shade && ce <= s {
                if unicode {
                    '░'
                } else {
                    '.'
                }
            } else {
                ' '
            }
        } else if !unicode {
            if covered >= 4 {
                '#'
            } else if shade && cs < s {
                '.'
            } else {
                ' '
            }
        } else if s > cs && e >= ce {
            // Solid on the right part of the cell only.
            if covered >= 4 {
                '▐'
            } else {
                '▕'
            }
        } else {
            LEFT_EIGHTHS
                .get(covered.saturating_sub(1))
                .copied()
                .unwrap_or('▏')
        };
        cells.push(ch);
    }
    if !unicode && hi > lo && price > Decimal::ZERO && !cells.contains(&'#') {
        if let Some(c) = cells.get_mut((s / 8).min(width.saturating_sub(1))) {
            *c = '|';
        }
    }
    cells.into_iter().collect()
}

/// The waterfall as text: one line for the price, one per deduction (its
/// bar floating where it leaves the pool, the pool left shaded), one for an
/// unallocated rest, then the requirements. `unicode` chooses block
/// characters (for a terminal) or plain ASCII; `width` is the bars' width.
pub fn terminal(w: &Waterfall, unicode: bool, width: usize) -> String {
    let width = width.max(10);
    let mut rows: Vec<[String; 6]> = Vec::new();
    let pct = |d: Decimal| report::percent(d, w.price);
    let amount = |d: Decimal| format_amount(d, w.currency);
    rows.push([
        "price".into(),
        String::new(),
        String::new(),
        amount(w.price),
        pct(w.price),
        bar(Decimal::ZERO, w.price, w.price, width, unicode, false),
    ]);
    for s in &w.steps {
        rows.push([
            s.kind.into(),
            s.name.clone(),
            tw::clip(
                s.label.as_deref().unwrap_or_default(),
                24,
                if unicode { "…" } else { "..." },
            ),
            amount(s.amount),
            pct(s.amount),
            bar(s.after, s.before, w.price, width, unicode, true),
        ]);
    }
    if !w.unallocated.is_zero() {
        rows.push([
            "unallocated".into(),
            String::new(),
            String::new(),
            amount(w.unallocated),
            pct(w.unallocated),
            bar(Decimal::ZERO, w.unallocated, w.price, width, unicode, false),
        ]);
    }
    // Display widths, padded with spaces (see crate::textwidth).
    let col = |i: usize| {
        tw::column(
            rows.iter()
                .filter(|r| !r[1].is_empty() || i > 2)
                .map(|r| r[i].as_str()),
        )
    };
    let (wk, wn, wl, wa, wp) = (col(0), col(1), col(2), col(3), col(4));
    let head = (wk + wn + wl + 4).max(tw::column(rows.iter().map(|r| r[0].as_str())));
    let dash = if unicode { "—" } else { "-" };
    let mut out = format!("{} {dash} sale of {}\n", w.title, w.money(w.price));
    let arrow = if unicode { "→" } else { "->" };
    for (i, r) in rows.iter().enumerate() {
        let mut label = String::new();
        if r[1].is_empty() {
            label.push_str(&r[0]);
        } else {
            tw::pad(&mut label, &r[0], wk, Left);
            label.push_str("  ");
            tw::pad(&mut label, &r[1], wn, Left);
            label.push_str("  ");
            label.push_str(&r[2]);
        }
        let mut line = String::from("  ");
        tw::pad(&mut line, &label, head, Left);
        line.push_str("  ");
        line.push_str(&r[5]);
        line.push_str("  ");
        tw::pad(&mut line, &r[3], wa, Right);
        line.push(' ');
        line.push_str(w.currency.code());
        line.push_str("  ");
        tw::pad(&mut line, &r[4], wp, Right);
        if let Some(s) = i.checked_sub(1).and_then(|k| w.steps.get(k)) {
            line.push_str(&format!("  {arrow} {} left", amount(s.after)));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for (m, holds) in &w.requirements {
        let mark = match (holds, unicode) {
            (true, true) => "✓",
            (false, true) => "✗",
            (true, false) => "ok:",
            (false, false) => "FAILED:",
        };
        out.push_str(&format!("  {mark} {m}\n"));
    }
    out
}

// ---------------------------------------------------------------- SVG

/// Text escaped for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `s`, cut to `max` display columns (CJK and emoji take two) with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    tw::clip(s, max, "…")
}

const FEE_COLOURS: [&str; 3] = ["#d1495b", "#e07a5f", "#b5485d"];
const SHARE_COLOURS: [&str; 6] = [
    "#2e86ab", "#3a9d6a", "#8e6cc0", "#e0a100", "#1b998b", "#5c7aea",
];

const SVG_WIDTH: usize = 960;
const LABEL_X: usize = 24;
const BAR_X: usize = 290;
const BAR_W: usize = 430;
const AMOUNT_X: usize = BAR_X + BAR_W + 16;
const ROW_H: usize = 40;
const BAR_H: usize = 24;
const TOP: usize = 96;

/// A pixel position `v` of the price along the bar area, to the hundredth.
fn x_of(v: Decimal, price: Decimal) -> Decimal {
    let px = scale(v, price, BAR_W * 100);
    (Decimal::new(i64::try_from(px).unwrap_or(0), 2) + Decimal::from(BAR_X)).normalize()
}

/// The waterfall as a standalone SVG document: the title, a bar for the
/// price, one floating bar per deduction (class `deduction`) with its
/// label, amount, share of the price and the pool left, an unallocated
/// rest when there is one, and the requirements.
pub fn svg(w: &Waterfall) -> String {
    let n_rows = 1 + w.steps.len() + usize::from(!w.unallocated.is_zero());
    let axis_y = TOP + n_rows * ROW_H + 6;
    let req_y = axis_y + 40;
    let height = req_y + w.requirements.len() * 22 + 16;
    let money = |d: Decimal| xml_escape(&w.money(d));
    let pct = |d: Decimal| xml_escape(&report::percent(d, w.price));
    let mut s = String::new();
    s.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{SVG_WIDTH}\" height=\"{height}\" viewBox=\"0 0 {SVG_WIDTH} {height}\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\" role=\"img\" aria-label=\"{}\">\n",
        xml_escape(&format!("{}: where one sale of {} goes", w.title, w.money(w.price)))
    ));
    s.push_str(&format!("  <title>{}</title>\n", xml_escape(&w.title)));
    s.push_str(&format!(
        "  <rect x=\"0\" y=\"0\" width=\"{SVG_WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>\n"
    ));
    s.push_str(&format!(
        "  <text class=\"title\" x=\"{LABEL_X}\" y=\"40\" font-size=\"22\" font-weight=\"700\" fill=\"#1f2933\">{}</text>\n",
        xml_escape(&clip(&w.title, 60))
    ));
    s.push_str(&format!(
        "  <text class=\"subtitle\" x=\"{LABEL_X}\" y=\"66\" font-size=\"14\" fill=\"#616e7c\">Where one sale of {} goes, deduction by deduction</text>\n",
        money(w.price)
    ));
    // Price row.
    let bar_top = |row: usize| TOP + row * ROW_H + (ROW_H - BAR_H) / 2;
    let text_y = |row: usize| TOP + row * ROW_H + ROW_H / 2 + 5;
    let x0 = x_of(Decimal::ZERO, w.price);
    let xp = x_of(w.price, w.price);
    s.push_str(&format!(
        "  <g class=\"price\">\n    <text x=\"{LABEL_X}\" y=\"{}\" font-size=\"15\" font-weight=\"700\" fill=\"#1f2933\">Price</text>\n    <rect x=\"{x0}\" y=\"{}\" width=\"{}\" height=\"{BAR_H}\" rx=\"3\" fill=\"#3e4c59\"/>\n    <text x=\"{AMOUNT_X}\" y=\"{}\" font-size=\"15\" font-weight=\"700\" fill=\"#1f2933\">{}</text>\n  </g>\n",
        text_y(0),
        bar_top(0),
        (xp - x0).normalize(),
        text_y(0),
        money(w.price)
    ));
    let (mut fees, mut shares) = (0usize, 0usize);
    for (k, st) in w.steps.iter().enumerate() {
        let row = k + 1;
        let colour = if st.kind == "fee" {
            fees += 1;
            FEE_COLOURS
                .get((fees - 1) % FEE_COLOURS.len())
                .copied()
                .unwrap_or("#d1495b")
        } else {
            shares += 1;
            SHARE_COLOURS
                .get((shares - 1) % SHARE_COLOURS.len())
                .copied()
                .unwrap_or("#2e86ab")
        };
        let xa = x_of(st.after, w.price);
        let xb = x_of(st.before, w.price);
        let mut bw = (xb - xa).normalize();
        if st.amount > Decimal::ZERO && bw < Decimal::ONE {
            bw = Decimal::ONE; // a hairline, so that a small fee is still seen
        }
        let y = bar_top(row);
        let ty = text_y(row);
        s.push_str(&format!(
            "  <g class=\"deduction {kind}\" id=\"deduction-{name}\" data-name=\"{name}\" data-amount=\"{amt}\">\n    <title>{kind} {name}: {money} ({pct}), {left} left</title>\n",
            kind = st.kind,
            name = xml_escape(&st.name),
            amt = xml_escape(&format_amount(st.amount, w.currency)),
            money = money(st.amount),
            pct = pct(st.amount),
            left = money(st.after),
        ));
        s.push_str(&format!(
            "    <text x=\"{LABEL_X}\" y=\"{}\" font-size=\"15\" font-weight=\"600\" fill=\"#1f2933\">{}</text>\n    <text x=\"{LABEL_X}\" y=\"{}\" font-size=\"11\" fill=\"#7b8794\">{} · {}</text>\n",
            ty - 6,
            xml_escape(&clip(st.title(), 26)),
            ty + 9,
            st.kind,
            xml_escape(&clip(&st.name, 34)),
        ));
        if st.after > Decimal::ZERO {
            s.push_str(&format!(
                "    <rect class=\"pool\" x=\"{x0}\" y=\"{y}\" width=\"{}\" height=\"{BAR_H}\" rx=\"3\" fill=\"#e4e7eb\"/>\n",
                (xa - x0).normalize()
            ));
        }
        s.push_str(&format!(
            "    <rect class=\"bar\" x=\"{xa}\" y=\"{y}\" width=\"{bw}\" height=\"{BAR_H}\" rx=\"3\" fill=\"{colour}\"/>\n"
        ));
        // The connector from the bar above: where this deduction starts.
        s.push_str(&format!(
            "    <line x1=\"{xb}\" y1=\"{}\" x2=\"{xb}\" y2=\"{y}\" stroke=\"#9aa5b1\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>\n",
            bar_top(row - 1) + BAR_H
        ));
        s.push_str(&format!(
            "    <text class=\"amount\" x=\"{AMOUNT_X}\" y=\"{}\" font-size=\"15\" font-weight=\"600\" fill=\"#1f2933\">{} <tspan font-weight=\"400\" fill=\"#616e7c\">{}</tspan></text>\n    <text x=\"{AMOUNT_X}\" y=\"{}\" font-size=\"11\" fill=\"#7b8794\">{} left</text>\n  </g>\n",
            ty - 6,
            money(st.amount),
            pct(st.amount),
            ty + 9,
            money(st.after),
        ));
    }
    if !w.unallocated.is_zero() {
        let row = w.steps.len() + 1;
        let xu = x_of(w.unallocated, w.price);
        s.push_str(&format!(
            "  <g class=\"unallocated\">\n    <text x=\"{LABEL_X}\" y=\"{}\" font-size=\"15\" font-weight=\"600\" fill=\"#b44d12\">Unallocated</text>\n    <rect x=\"{x0}\" y=\"{}\" width=\"{}\" height=\"{BAR_H}\" rx=\"3\" fill=\"none\" stroke=\"#b44d12\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n    <text x=\"{AMOUNT_X}\" y=\"{}\" font-size=\"15\" font-weight=\"600\" fill=\"#b44d12\">{} <tspan font-weight=\"400\">{}</tspan></text>\n  </g>\n",
            text_y(row),
            bar_top(row),
            (xu - x0).normalize(),
            text_y(row),
            money(w.unallocated),
            pct(w.unallocated),
        ));
    }
    // Axis: 0 and the price.
    s.push_str(&format!(
        "  <g class=\"axis\" font-size=\"11\" fill=\"#7b8794\">\n    <line x1=\"{x0}\" y1=\"{axis_y}\" x2=\"{xp}\" y2=\"{axis_y}\" stroke=\"#cbd2d9\"/>\n    <text x=\"{x0}\" y=\"{}\" text-anchor=\"start\">0</text>\n    <text x=\"{xp}\" y=\"{}\" text-anchor=\"end\">{}</text>\n  </g>\n",
        axis_y + 16,
        axis_y + 16,
        money(w.price)
    ));
    for (i, (m, holds)) in w.requirements.iter().enumerate() {
        let (mark, colour) = if *holds {
            ("✓", "#2f8132")
        } else {
            ("✗", "#c62828")
        };
        s.push_str(&format!(
            "  <text class=\"requirement\" x=\"{LABEL_X}\" y=\"{}\" font-size=\"13\" fill=\"{colour}\">{mark} {}</text>\n",
            req_y + i * 22,
            xml_escape(&clip(m, 110))
        ));
    }
    s.push_str("</svg>\n");
    s
}
