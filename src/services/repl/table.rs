//! A table's cells written into one buffer, then aligned in columns (the
//! REPL's before / after tables and sweeps): no string a cell, the widths
//! measured once, the text written into one string of the right capacity.

use crate::textwidth as tw;
use crate::value::{write_amount, Currency};
use rust_decimal::Decimal;

/// Cells in rows; rows may have different lengths.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Every cell's text, one after the other.
    text: String,
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
            text: String::with_capacity(rows * cols * 12),
            ends: Vec::with_capacity(rows * cols),
            widths: Vec::with_capacity(rows * cols),
            rows: Vec::with_capacity(rows),
        }
    }

    /// Adds a cell.
    pub(crate) fn cell(&mut self, s: &str) {
        self.text.push_str(s);
        self.end_cell();
    }

    /// Adds a cell holding `d` as [`crate::value::format_amount`] writes it.
    /// What was written through [`Table::text`] before it is part of the cell.
    pub(crate) fn amount(&mut self, d: Decimal, c: Currency) {
        let start = self.ends.last().copied().unwrap_or(0);
        let prefix = tw::width(self.text.get(start..).unwrap_or_default());
        let at = self.text.len();
        write_amount(&mut self.text, d, c);
        // Digits, a point and a sign: a column a byte.
        self.widths.push(prefix + self.text.len() - at);
        self.ends.push(self.text.len());
    }

    /// The text of the cell being written (end it with [`Table::end_cell`]).
    pub(crate) fn text(&mut self) -> &mut String {
        &mut self.text
    }

    /// Ends the cell written through [`Table::text`].
    pub(crate) fn end_cell(&mut self) {
        let start = self.ends.last().copied().unwrap_or(0);
        self.widths
            .push(tw::width(self.text.get(start..).unwrap_or_default()));
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
        let mut out = String::with_capacity(self.rows.len() * line + self.text.len());
        let (mut start, mut first) = (0, 0);
        for &row_end in &self.rows {
            let line_start = out.len();
            out.push(' ');
            for (j, &end) in self
                .ends
                .get(first..row_end)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let cell = self.text.get(start..end).unwrap_or("");
                let w = self.widths.get(first + j).copied().unwrap_or(0);
                let fill = columns.get(j).copied().unwrap_or(0).saturating_sub(w);
                out.push(' ');
                if j < left {
                    out.push_str(cell);
                    tw::spaces(&mut out, fill);
                } else {
                    tw::spaces(&mut out, fill);
                    out.push_str(cell);
                }
                start = end;
            }
            first = row_end;
            let kept = out[line_start..].trim_end().len();
            out.truncate(line_start + kept);
            out.push('\n');
        }
        out
    }
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
        t.text().push('+');
        t.amount(Decimal::new(150, 2), usd);
        t.end_row();
        t.cell("yy");
        t.text().push_str("é ");
        t.amount(Decimal::new(-5, 0), usd);
        t.end_row();
        assert_eq!(t.align(1), "  x    +1.50\n  yy é -5.00\n");
    }

    #[test]
    fn cuts_trailing_spaces_and_keeps_empty_rows() {
        let t = rows(&[&["a", ""], &[], &["bb", "c"]]);
        assert_eq!(align(&t, 1), "  a\n\n  bb c\n");
        assert_eq!(Table::default().align(0), "");
    }
}
