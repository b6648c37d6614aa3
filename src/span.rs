//! Byte spans into a source text.

use serde::Serialize;

/// A half-open byte range `start..end` into one source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The number of bytes covered.
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The text the span covers, or `""` when it does not fit `src`.
    pub fn text(self, src: &str) -> &str {
        src.get(self.start..self.end).unwrap_or("")
    }

    /// The text the span covers on one line: runs of white space (a
    /// formula written over several lines) become one space.
    pub fn one_line(self, src: &str) -> String {
        self.text(src)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let mut line = 1;
    let mut line_start = 0;
    for (i, b) in src.bytes().enumerate() {
        if i >= offset {
            break;
        }
        if b == b'\n' {
            line += 1;
            line_start = i + 1;
        }
    }
    let col = src
        .get(line_start..offset)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Line starts of one source, built once: line and column of any offset in
/// O(log lines) (columns in UTF-8 bytes and in UTF-16 code units).
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `src`.
    pub fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line of byte `offset` (the last line past the end).
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// The 1-based line and 1-based column (in bytes) of `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        (line, offset.saturating_sub(start) + 1)
    }

    /// The number of lines (a text without a newline is one line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The byte offset where 0-based `line` starts, `None` past the last line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// The text of 0-based `line` in `src`, without its `\n` (empty past
    /// the end).
    fn line_text<'s>(&self, src: &'s str, line: usize) -> &'s str {
        let Some(start) = self.line_start(line) else {
            return "";
        };
        let end = self
            .line_start(line + 1)
            .map_or(src.len(), |next| next.saturating_sub(1));
        src.get(start.min(src.len())..end.min(src.len()))
            .unwrap_or("")
    }

    /// `offset` clamped to `src` and moved back to the start of the
    /// character it falls inside.
    fn floor(src: &str, offset: usize) -> usize {
        let mut at = offset.min(src.len());
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    /// The 0-based line and 0-based column in bytes of `offset` in `src`
    /// (clamped to the text, and to the start of a character it falls
    /// inside).
    pub fn utf8(&self, src: &str, offset: usize) -> (usize, usize) {
        let offset = Self::floor(src, offset);
        let line = self.line(offset);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        (line - 1, offset.saturating_sub(start))
    }

    /// The 0-based line and 0-based column in UTF-16 code units of
    /// `offset` in `src` (the positions editors speak); clamped as
    /// [`LineIndex::utf8`] is.
    ///
    /// ```
    /// use splitdsl::span::LineIndex;
    /// let src = "a = 1\n\u{e9}\u{1F600} = 2\n";
    /// let lines = LineIndex::new(src);
    /// let eq = src.find(" = 2").unwrap();
    /// assert_eq!(lines.utf16(src, eq), (1, 3)); // é is 1 unit, 😀 is 2
    /// assert_eq!(lines.offset_utf16(src, 1, 3), eq);
    /// ```
    pub fn utf16(&self, src: &str, offset: usize) -> (usize, usize) {
        let offset = Self::floor(src, offset);
        let line = self.line(offset);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = src
            .get(start..offset)
            .map_or(0, |t| t.chars().map(char::len_utf16).sum());
        (line - 1, col)
    }

    /// The byte offset of 0-based `line` and 0-based byte column `col`:
    /// a line past the last is the end of the text, a column past the end
    /// of its line is the end of the line, and a column inside a character
    /// is the start of that character. Never panics.
    pub fn offset_utf8(&self, src: &str, line: usize, col: usize) -> usize {
        let Some(start) = self.line_start(line) else {
            return src.len();
        };
        let text = self.line_text(src, line);
        Self::floor(src, start.saturating_add(col.min(text.len())))
    }

    /// The byte offset of 0-based `line` and 0-based column `col` in UTF-16
    /// code units (an editor's position), clamped as
    /// [`LineIndex::offset_utf8`] is: a column inside a character (between
    /// the two units of an emoji) is the start of that character.
    pub fn offset_utf16(&self, src: &str, line: usize, col: usize) -> usize {
        let Some(start) = self.line_start(line) else {
            return src.len();
        };
        let text = self.line_text(src, line);
        let mut units = 0;
        for (i, c) in text.char_indices() {
            units += c.len_utf16();
            if units > col {
                return start + i;
            }
        }
        start + text.len()
    }
}
