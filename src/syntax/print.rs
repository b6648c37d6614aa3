//! Expressions printed in the canonical layout, on one line: what
//! `splitdsl fmt` writes, and what the checker shows of an expression (a
//! requirement without a message is reported as its condition).

use crate::span::Span;
use crate::syntax::ast::{Expr, ExprKind, UnOp};
use rust_decimal::Decimal;

/// An expression in the canonical layout, on one line (`src` is the text it
/// was parsed from, for literals' digits as written).
///
/// ```
/// let src = "producer>=30%of net";
/// let e = splitdsl::syntax::parse_expr(src).unwrap();
/// assert_eq!(splitdsl::syntax::print::expr_text(&e, src), "producer >= 30% of net");
/// ```
pub fn expr_text(e: &Expr, src: &str) -> String {
    Printer { src }.expr(e)
}

struct Printer<'s> {
    src: &'s str,
}

/// Binding power of an expression as an operand (higher binds tighter).
fn power(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => op.precedence(),
        ExprKind::Unary(UnOp::Not, _) => 3,
        ExprKind::If(..) => 0,
        _ => 10,
    }
}

impl Printer<'_> {
    fn expr(&self, e: &Expr) -> String {
        let mut out = String::new();
        self.write(e, &mut out);
        out
    }

    /// Writes `e`, in parentheses when `need` says so (only for trees not
    /// made by the parser: the parser keeps the user's parentheses).
    fn operand(&self, e: &Expr, need: bool, out: &mut String) {
        if need {
            out.push('(');
            self.write(e, out);
            out.push(')');
        } else {
            self.write(e, out);
        }
    }

    fn write(&self, e: &Expr, out: &mut String) {
        crate::stack::guard(|| self.write_unguarded(e, out))
    }

    fn write_unguarded(&self, e: &Expr, out: &mut String) {
        match &e.kind {
            ExprKind::Number(d) => out.push_str(&self.digits(e.span, *d)),
            ExprKind::Percent(d) => {
                out.push_str(&self.digits(e.span, *d));
                out.push('%');
            }
            ExprKind::Money(d, c) => {
                out.push_str(&self.digits(e.span, *d));
                out.push(' ');
                out.push_str(&c.name);
            }
            ExprKind::Rate(d, to, per) => {
                out.push_str(&self.digits(e.span, *d));
                out.push(' ');
                out.push_str(&to.name);
                out.push('/');
                out.push_str(&per.name);
            }
            ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            ExprKind::Date(d) => out.push_str(&d.format("%Y-%m-%d").to_string()),
            ExprKind::Name(n) => out.push_str(n),
            ExprKind::Remaining => out.push_str("remaining"),
            ExprKind::Unary(op, x) => {
                match op {
                    // `- -x`, not `--x`: easier to read.
                    UnOp::Neg if matches!(x.kind, ExprKind::Unary(UnOp::Neg, _)) => {
                        out.push_str("- ")
                    }
                    UnOp::Neg => out.push('-'),
                    UnOp::Not => out.push_str("not "),
                }
                let need = match op {
                    UnOp::Neg => power(x) < 10,
                    UnOp::Not => power(x) < 3,
                };
                self.operand(x, need, out);
            }
            ExprKind::Binary(op, _, a, b) => {
                let p = op.precedence();
                self.operand(a, power(a) < p, out);
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                let need_b = match &b.kind {
                    ExprKind::Unary(UnOp::Not, _) | ExprKind::If(..) => false,
                    _ => power(b) <= p,
                };
                self.operand(b, need_b, out);
            }
            ExprKind::If(c, a, b) => {
                out.push_str("if ");
                self.write(c, out);
                out.push_str(" then ");
                self.write(a, out);
                out.push_str(" else ");
                self.write(b, out);
            }
            ExprKind::Call(f, args) => {
                out.push_str(&f.name);
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write(a, out);
                }
                out.push(')');
            }
            ExprKind::Paren(x) => {
                out.push('(');
                self.write(x, out);
                out.push(')');
            }
        }
    }

    /// The digits of a literal as written (`1_000.50`), or `d` when the
    /// source does not hold them.
    fn digits(&self, span: Span, d: Decimal) -> String {
        let written: String = span
            .text(self.src)
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '_' || *c == '.')
            .collect();
        let clean: String = written.chars().filter(|c| *c != '_').collect();
        match Decimal::from_str_exact(&clean) {
            Ok(v) if v == d && v.scale() == d.scale() && !written.ends_with('.') => written,
            _ => d.to_string(),
        }
    }
}

/// The head of a group share in the canonical layout: `share (bruno "Bruno":
/// 2, dora "Dora": 1)` (the group's label, `=` and amount follow).
///
/// ```
/// let src = "price = 1.00 USD\nshare (a \"A\":2,b: 1) = remaining\n";
/// let (file, _) = splitdsl::syntax::parse(src);
/// let splitdsl::syntax::ast::StmtKind::Group { members, .. } = &file.stmts[1].kind else { panic!() };
/// assert_eq!(splitdsl::syntax::print::group_head(members, src), "share (a \"A\": 2, b: 1)");
/// ```
pub fn group_head(members: &[crate::syntax::ast::GroupMember], src: &str) -> String {
    let parts: Vec<String> = members
        .iter()
        .map(|m| {
            let mut s = m.name.name.clone();
            if let Some(l) = &m.label {
                s.push(' ');
                s.push_str(&quote(&l.value));
            }
            if let Some(w) = &m.weight {
                s.push_str(": ");
                s.push_str(&expr_text(w, src));
            }
            s
        })
        .collect();
    format!("share ({})", parts.join(", "))
}

/// A string literal with `"`, `\`, newline and tab escaped (the formatter's,
/// `diff`'s and this printer's).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
