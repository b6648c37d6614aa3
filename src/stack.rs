//! Enough stack for the recursive passes, whatever thread they run on.
//!
//! The parser, checker, evaluator and formatter recurse over expressions,
//! which may be nested up to [`crate::syntax::MAX_DEPTH`] levels. In a debug
//! build one level can take several kilobytes of stack, more than a 2 MB test
//! thread or an 8 MB main thread holds for 1000 levels. Each recursive step
//! therefore goes through [`guard`], which continues on a fresh heap-allocated
//! stack segment when the current one runs low (the technique rustc uses).
//! When there is room, the cost is one comparison of the stack pointer.

/// Room that must be left on the stack before one more level of recursion.
const RED_ZONE: usize = 256 * 1024;
/// Size of each new stack segment.
const SEGMENT: usize = 4 * 1024 * 1024;
/// Stack a pest parse may need per level of nesting (generous: debug builds).
const PARSE_PER_LEVEL: usize = 8 * 1024;

/// Runs `f`, on a new stack segment if less than a red zone is left.
#[inline]
pub fn guard<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

/// Runs `f` (a pest parse of input nested at most `levels` deep) with room
/// for that many levels.
pub fn for_parse<R>(levels: usize, f: impl FnOnce() -> R) -> R {
    let need = RED_ZONE.saturating_add(levels.saturating_mul(PARSE_PER_LEVEL));
    stacker::maybe_grow(need, need.saturating_add(SEGMENT), f)
}
