//! A table's cells written into one buffer, then aligned in columns (the
//! REPL's before / after tables and sweeps): no string a cell, each cell's
//! width measured once, the text written into one buffer of the right
//! capacity (bytes: no character boundary checked a cell).

use crate::textwidth as tw;
use crate::value::{write_amount_bytes, Currency};
use rust_decimal::Decimal;

/// Cells in rows; rows may have different lengths.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Every cell's text (UTF-8), one after the other.
    text: Vec<u8>,
    /// Where each cell ends in `text` (it starts where the one before ends).
    ends: Vec<usize>,
    /// Each cell's display width, measured once.
    widths: Vec<usize>,
    /// How many cells there are up to the end of each row.
    rows: Vec<usize>,
}

impl Table {
    /// An empty table with room for `rows` rows of `cols` cells.
    pub(crate) fn with_capacity(rows: usize, cols: usize) -> Table {
        Table {
            text: Vec::with_capacity(rows * cols * 12),
            ends: Vec::with_capacity(rows * cols),
            widths: Vec::with_capacity(rows * cols),
            rows: Vec::with_capacity(rows),
        }
    }

    /// Adds a cell.
    pub(crate) fn cell(&mut self, s: &str) {
        self.push(s);
        self.end_cell();
    }

    /// Appends `s` to the cell being written (end it with [`Table::end_cell`]).
    pub(crate) fn push(&mut self, s: &str) {
        self.text.extend_from_slice(s.as_bytes());
    }

    /// Ends the cell being written.
    pub(crate) fn end_cell(&mut self) {
        let start = self.ends.last().copied().unwrap_or(0);
        let cell = self.text.get(start..).unwrap_or_default();
        self.widths.push(tw::width_of_bytes(cell));
        self.ends.push(self.text.len());
    }

    /// Adds a cell ending with `d` as [`crate::value::format_amount`] writes
    /// it (after what [`Table::push`] wrote).
    pub(crate) fn amount(&mut self, d: Decimal, c: Currency) {
        let start = self.ends.last().copied().unwrap_or(0);
        let prefix = tw::width_of_bytes(self.text.get(start..).unwrap_or_default());
        let at = self.text.len();
        write_amount_bytes(&mut self.text, d, c);
        // Digits, a point and a sign: a column a byte.
        self.widths.push(prefix + self.text.len() - at);
        self.ends.push(self.text.len());
    }

    /// Ends the row.
    pub(crate) fn end_row(&mut self) {
        self.rows.push(self.ends.len());
    }

    /// How many rows there are.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The table as text: a row a line, indented by one space, each cell
    /// after a space and padded to its column's display width (the first
    /// `left` columns to the left, the rest to the right), trailing spaces cut.
    pub(crate) fn align(&self, left: usize) -> String {
        // Each column's display width.
        let mut columns: Vec<usize> = Vec::new();
        let mut first = 0;
        for &row_end in &self.rows {
            let cells = self.widths.get(first..row_end).unwrap_or_default();
            for (j, &w) in cells.iter().enumerate() {
                match columns.get_mut(j) {
                    Some(c) => *c = (*c).max(w),
                    None => columns.push(w),
                }
            }
            first = row_end;
        }
        let line = 2 + columns.len() + columns.iter().sum::<usize>();
        let mut out: Vec<u8> = Vec::with_capacity(self.rows.len() * line + self.text.len());
        let (mut start, mut first) = (0, 0);
        for &row_end in &self.rows {
            let line_start = out.len();
            out.push(b' ');
            let ends = self.ends.get(first..row_end).unwrap_or_default();
            let widths = self.widths.get(first..row_end).unwrap_or_default();
            for (j, (&end, &w)) in ends.iter().zip(widths).enumerate() {
                let cell = self.text.get(start..end).unwrap_or_default();
                let fill = columns.get(j).copied().unwrap_or(0).saturating_sub(w);
                out.push(b' ');
                if j < left {
                    out.extend_from_slice(cell);
                    spaces(&mut out, fill);
                } else {
                    spaces(&mut out, fill);
                    out.extend_from_slice(cell);
                }
                start = end;
            }
            first = row_end;
            // Trailing white space cut (a row whose last cells are empty):
            // padding, or what a cell ends with (`str::trim_end`'s).
            while out.len() > line_start && out.last() == Some(&b' ') {
                out.pop();
            }
            if out
                .last()
                .is_some_and(|b| !b.is_ascii() || b.is_ascii_whitespace())
            {
                let kept = std::str::from_utf8(out.get(line_start..).unwrap_or_default())
                    .map_or(out.len() - line_start, |l| l.trim_end().len());
                out.truncate(line_start + kept);
            }
            out.push(b'\n');
        }
        // Whole cells of UTF-8, spaces and line breaks: UTF-8.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// Appends `n` spaces to `out`.
fn spaces(out: &mut Vec<u8>, n: usize) {
    out.resize(out.len() + n, b' ');
}

/// Aligns `rows` in columns, as [`Table::align`] does.
#[cfg(test)]
fn align(rows: &[Vec<String>], left: usize) -> String {
    let mut t = Table::default();
    for r in rows {
        for c in r {
            t.cell(c);
        }
        t.end_row();
    }
    t.align(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
        r.iter()
            .map(|r| r.iter().map(|c| (*c).to_string()).collect())
            .collect()
    }

    #[test]
    fn aligns_left_and_right_columns_by_display_width() {
        let t = rows(&[
            &["(USD)", "", "", "before", "after"],
            &["share", "ana", "Ana", "1.00", "-12.50"],
            &["", "株式会社", "", "100.00", "—"],
            &["short"],
        ]);
        assert_eq!(
            align(&t, 3),
            "  (USD)              before  after\n  \
             share ana      Ana   1.00 -12.50\n        \
             株式会社     100.00      —\n  short\n"
        );
    }

    #[test]
    fn an_amount_cell_counts_what_was_written_before_it() {
        let usd = Currency::from_code("USD").expect("USD");
        let mut t = Table::default();
        t.cell("x");
        t.push("+");
        t.amount(Decimal::new(150, 2), usd);
        t.end_row();
        t.cell("yy");
        t.push("é ");
        t.amount(Decimal::new(-5, 0), usd);
        t.end_row();
        assert_eq!(t.align(1), "  x    +1.50\n  yy é -5.00\n");
    }

    #[test]
    fn cuts_trailing_spaces_and_keeps_empty_rows() {
        let t = rows(&[&["a", ""], &[], &["bb", "c"]]);
        assert_eq!(align(&t, 1), "  a\n\n  bb c\n");
        // Unicode white space at the end of a line goes too, as `trim_end` cuts it.
        let t = rows(&[&["a\u{3000}", ""], &["é", "\u{a0}"]]);
        assert_eq!(align(&t, 2), "  a\n  é\n");
        assert_eq!(Table::default().align(0), "");
    }
}
