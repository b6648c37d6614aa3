//! Foundations for tools (issue 13): the line index, the `Document` an
//! editor holds (names, definitions, references, the last good program) and
//! its incremental edits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use splitdsl::span::LineIndex;

/// Text of ASCII, é, CJK, emoji (2 UTF-16 units), `\r` and `\n`.
fn mixed_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            6 => proptest::char::range('a', 'z'),
            2 => Just('\n'),
            1 => Just('\r'),
            1 => Just('é'),
            1 => proptest::char::range('\u{4E00}', '\u{4E20}'),
            1 => proptest::char::range('\u{1F600}', '\u{1F610}'),
        ],
        0..60,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// The position of `offset` counted the slow way: (line, UTF-8 column,
/// UTF-16 column), all 0-based.
fn naive(src: &str, offset: usize) -> (usize, usize, usize) {
    let before = &src[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let text = &src[line_start..offset];
    (line, text.len(), text.encode_utf16().count())
}

proptest! {
    #[test]
    fn line_index_agrees_with_counting(src in mixed_text()) {
        let lines = LineIndex::new(&src);
        for (offset, _) in src.char_indices().chain([(src.len(), ' ')]) {
            let (line, col8, col16) = naive(&src, offset);
            prop_assert_eq!(lines.utf8(&src, offset), (line, col8));
            prop_assert_eq!(lines.utf16(&src, offset), (line, col16));
            prop_assert_eq!(lines.offset_utf8(&src, line, col8), offset);
            prop_assert_eq!(lines.offset_utf16(&src, line, col16), offset);
        }
    }

    #[test]
    fn line_index_clamps_and_never_panics(src in mixed_text(), offset in 0usize..300, line in 0usize..40, col in 0usize..80) {
        let lines = LineIndex::new(&src);
        // An offset inside a character or past the end is the start of that
        // character, or the end of the text.
        let floor = (0..=offset.min(src.len())).rev().find(|&i| src.is_char_boundary(i)).unwrap();
        let (l, c8, c16) = naive(&src, floor);
        prop_assert_eq!(lines.utf8(&src, offset), (l, c8));
        prop_assert_eq!(lines.utf16(&src, offset), (l, c16));
        for back in [lines.offset_utf16(&src, line, col), lines.offset_utf8(&src, line, col)] {
            prop_assert!(back <= src.len());
            prop_assert!(src.is_char_boundary(back));
            if line >= lines.line_count() {
                prop_assert_eq!(back, src.len());
            } else {
                // Clamped to its line: never past the line's `\n`.
                prop_assert_eq!(naive(&src, back).0, line);
            }
        }
    }
}

#[test]
fn utf16_positions_inside_an_emoji_and_past_a_line_end() {
    let src = "a😀b\né\n";
    let lines = LineIndex::new(src);
    // Inside the emoji's bytes: the emoji's own column.
    assert_eq!(lines.utf16(src, 2), (0, 1));
    assert_eq!(lines.utf8(src, 3), (0, 1));
    // Between the emoji's two UTF-16 units: the emoji's start.
    assert_eq!(lines.offset_utf16(src, 0, 2), 1);
    assert_eq!(lines.offset_utf16(src, 0, 3), 5);
    // Past the end of a line: its end, not the next line.
    assert_eq!(lines.offset_utf16(src, 0, 99), 6);
    assert_eq!(lines.offset_utf8(src, 1, 1), 7);
    assert_eq!(lines.offset_utf8(src, 1, 99), 9);
    // Past the last line: the end of the text.
    assert_eq!(lines.offset_utf16(src, 9, 0), src.len());
    assert_eq!(lines.utf16(src, 999), (2, 0));
}
