//! The ids seen so far: a second sale with an id already seen is a
//! duplicate, and a refund or chargeback refers to its sale by id.
//!
//! The index sees the rows in input order: each batch is scanned as it is
//! taken from the source (by one thread at a time, in order), before it is
//! settled, and the scan lists the batch's duplicates ([`IdIndex::scan`]). Its memory grows with
//! the number of distinct ids: the ids' bytes in one buffer, 24 bytes of
//! line numbers per id, and 4 bytes of sorted run or 10–20 bytes of hash
//! table per id (see below), plus the slack of growing them (a peak RSS of
//! some 40 MiB for a million growing ids of 8 characters, 60 MiB shuffled).
//! A ledger without an id column needs none.
//!
//! Most ledgers list their sales in the order they happened, and their ids
//! grow with time (`HP1771…`, `S0000001`, `10`, `11`): an id greater than
//! every id before it (shorter first, then byte by byte) cannot have been
//! seen, so it is appended to a sorted run without touching the hash table
//! — no random access into a table of a million ids a row. An id that is
//! not (a refund, a sale out of order) is looked up by binary search in the
//! run, then in the table, where it is inserted if new. When many new ids
//! arrive out of order (a shuffled ledger, ids that do not grow), the run's
//! ids move to the table once and every id goes there, as without a run.

use super::field::trim;
use super::reader::Dup;
use super::settle::Layout;
use super::source::{Cells, RecordSource};
use super::statement::{Kind, Orphan};
use hashbrown::hash_table::Entry as Slot;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::cmp::Ordering;
use std::hash::BuildHasher;

/// One id: where its bytes start, the line of its sale and of its reversal
/// (0 when none yet; the reversal's line is shifted left by one, its low
/// bit set for a chargeback).
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    start: u64,
    sale: u64,
    reversal: u64,
}

/// A table slot: the id's fingerprint above its entry's index.
fn slot_of(print: u32, index: u32) -> u64 {
    (u64::from(print) << 32) | u64::from(index)
}

fn slot_print(slot: u64) -> u32 {
    (slot >> 32) as u32
}

fn slot_index(slot: u64) -> usize {
    (slot & 0xFFFF_FFFF) as usize
}

/// The table's hash of a fingerprint: spread over 64 bits (the table takes
/// the bucket from the low bits and a tag from the top ones).
fn slot_hash(print: u32) -> u64 {
    u64::from(print).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The ids of a ledger, in the order first seen.
#[derive(Debug, Default)]
pub struct IdIndex {
    /// foldhash, seeded per index: fast on short ids.
    state: DefaultHashBuilder,
    table: HashTable<u64>,
    entries: Vec<Entry>,
    arena: Vec<u8>,
    /// The entries that were each greater than every id before them, in
    /// order (so sorted): found by binary search, not in `table`.
    run: Vec<u32>,
    /// The entry of the greatest id so far.
    max: Option<u32>,
    /// New ids that arrived out of order while the run was in use.
    late: u64,
    /// Whether the run was given up (too many ids out of order): every id
    /// is then in the table.
    unordered: bool,
    /// How many ids have a reversal and no sale (so far): when none, there
    /// are no orphans to look for among every entry.
    unmatched: usize,
    cells: Cells,
}

/// The order of the sorted run: shorter ids first, then byte by byte (so
/// `9 < 10`, and `S0000009 < S0000010`).
fn order(a: &[u8], b: &[u8]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The 32-bit fingerprint of an id that the table keeps (see [`IdIndex::index_of`]).
fn fingerprint(state: &DefaultHashBuilder, id: &[u8]) -> u32 {
    let full = state.hash_one(id);
    (full ^ (full >> 32)) as u32
}

/// The bytes of entry `i`.
fn id_of<'a>(entries: &[Entry], arena: &'a [u8], i: usize) -> &'a [u8] {
    let start = entries.get(i).map_or(0, |e| e.start as usize);
    let end = entries.get(i + 1).map_or(arena.len(), |e| e.start as usize);
    arena.get(start..end).unwrap_or_default()
}

impl IdIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `kind` of `id` is at `line`; the line of the row it
    /// repeats, if any.
    pub fn see(&mut self, id: &[u8], kind: Kind, line: u64) -> Option<u64> {
        let index = self.index_of(id)?;
        let e = self.entries.get_mut(index)?;
        match kind {
            Kind::Sale if e.sale != 0 => Some(e.sale),
            Kind::Sale => {
                e.sale = line;
                if e.reversal != 0 {
                    self.unmatched = self.unmatched.saturating_sub(1);
                }
                None
            }
            _ if e.reversal != 0 => Some(e.reversal >> 1),
            _ => {
                e.reversal = (line << 1) | u64::from(kind == Kind::Chargeback);
                if e.sale == 0 {
                    self.unmatched += 1;
                }
                None
            }
        }
    }

    /// The entry of `id`, added if new; `None` past 4 billion ids (memory
    /// would run out first).
    fn index_of(&mut self, id: &[u8]) -> Option<usize> {
        let IdIndex {
            state,
            table,
            entries,
            arena,
            run,
            max,
            unordered,
            late,
            ..
        } = self;
        let next = u32::try_from(entries.len()).ok()?;
        let greatest = !*unordered
            && match *max {
                None => true,
                Some(m) => order(id, id_of(entries, arena, m as usize)) == Ordering::Greater,
            };
        if greatest {
            run.push(next);
            *max = Some(next);
        } else {
            // Seen in the sorted run?
            if let Ok(k) = run.binary_search_by(|&i| order(id_of(entries, arena, i as usize), id)) {
                return run.get(k).map(|&i| i as usize);
            }
            // A table slot holds a 32-bit fingerprint of the id and the id's
            // index; the table hashes the fingerprint alone, so that growing
            // the table never reads the ids again (that was most of its cost).
            let print = fingerprint(state, id);
            let slot = table.entry(
                slot_hash(print),
                |&slot| slot_print(slot) == print && id_of(entries, arena, slot_index(slot)) == id,
                |&slot| slot_hash(slot_print(slot)),
            );
            match slot {
                Slot::Occupied(o) => return Some(slot_index(*o.get())),
                Slot::Vacant(v) => {
                    v.insert(slot_of(print, next));
                }
            }
            // A new id out of order. When they are many, the ids do not grow
            // (shuffled, or not in time order): the run would only add a
            // binary search to every lookup, so its ids move to the table.
            if !*unordered {
                *late += 1;
                if *late > 64 && *late * 8 > run.len() as u64 {
                    for i in run.drain(..) {
                        let print = fingerprint(state, id_of(entries, arena, i as usize));
                        table.insert_unique(slot_hash(print), slot_of(print, i), |&slot| {
                            slot_hash(slot_print(slot))
                        });
                    }
                    run.shrink_to_fit();
                    *unordered = true;
                }
            }
        }
        entries.push(Entry {
            start: arena.len() as u64,
            ..Entry::default()
        });
        arena.extend_from_slice(id);
        Some(next as usize)
    }

    /// The rows of `batch` whose id was seen before (in this batch or an
    /// earlier one), in order. Rows without an id, or with a bad `kind`, are
    /// not looked at.
    pub fn scan<S: RecordSource>(&mut self, batch: &S::Batch, layout: &Layout) -> Vec<Dup> {
        let mut dups = Vec::new();
        let Some(id_col) = layout.id else {
            return dups;
        };
        let mut cells = std::mem::take(&mut self.cells);
        let has_kind = layout.kind.is_some();
        S::keys(batch, &mut cells, id_col, layout.kind, |line, id, kind| {
            let kind = if has_kind {
                match Kind::parse(trim(kind)) {
                    Some(k) => k,
                    None => return,
                }
            } else {
                Kind::Sale
            };
            let id = trim(id);
            if id.is_empty() {
                return;
            }
            if let Some(first) = self.see(id, kind, line) {
                dups.push(Dup {
                    line,
                    first,
                    id: String::from_utf8_lossy(id).into_owned(),
                    reversal: kind != Kind::Sale,
                });
            }
        });
        self.cells = cells;
        dups
    }

    /// The refunds and chargebacks whose sale is not in the ledger, in line order.
    pub fn orphans(&self) -> Vec<Orphan> {
        let mut out = Vec::new();
        if self.unmatched == 0 {
            return out;
        }
        for (i, e) in self.entries.iter().enumerate() {
            if e.sale == 0 && e.reversal != 0 {
                out.push(Orphan {
                    line: e.reversal >> 1,
                    id: String::from_utf8_lossy(id_of(&self.entries, &self.arena, i)).into_owned(),
                    kind: if e.reversal & 1 == 1 {
                        Kind::Chargeback
                    } else {
                        Kind::Refund
                    },
                });
            }
        }
        out.sort_by_key(|o| o.line);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_once_reversals_once() {
        let mut ix = IdIndex::new();
        assert_eq!(ix.see(b"S1", Kind::Sale, 2), None);
        assert_eq!(ix.see(b"S2", Kind::Refund, 3), None);
        assert_eq!(ix.see(b"S1", Kind::Refund, 4), None);
        assert_eq!(ix.see(b"S1", Kind::Sale, 5), Some(2));
        assert_eq!(ix.see(b"S1", Kind::Chargeback, 6), Some(4));
        assert_eq!(ix.see(b"S3", Kind::Chargeback, 7), None);
        for i in 0..10_000u64 {
            assert_eq!(ix.see(format!("X{i}").as_bytes(), Kind::Sale, 10 + i), None);
        }
        assert_eq!(ix.see(b"X77", Kind::Sale, 99_999), Some(87));
        let o: Vec<(u64, String, Kind)> = ix
            .orphans()
            .into_iter()
            .map(|o| (o.line, o.id, o.kind))
            .collect();
        assert_eq!(
            o,
            [
                (3, "S2".into(), Kind::Refund),
                (7, "S3".into(), Kind::Chargeback)
            ]
        );
    }

    /// Ids in every order (sorted runs, reversed, shuffled, of varying
    /// length, refunds before and after their sale) give what a plain map
    /// of id → (sale line, reversal line) gives.
    #[test]
    fn same_answers_as_a_map_in_any_order() {
        use std::collections::HashMap;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rand = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..7 {
            let mut ix = IdIndex::new();
            let mut model: HashMap<Vec<u8>, (u64, u64)> = HashMap::new();
            for line in 1..3_000u64 {
                let n = match round {
                    0 => line,                      // sorted
                    1 => 5_000 - line,              // reversed
                    2 => rand() % 700,              // shuffled, many repeats
                    3 => line / 3,                  // sorted with repeats
                    4 => line + (rand() % 5) * 100, // mostly sorted
                    6 if line < 2_000 => line,      // sorted, then shuffled:
                    6 => rand() % 4_000,            // the run moves to the table
                    _ => rand() % 5_000,            // shuffled
                };
                let id = if round == 5 && n % 2 == 0 {
                    format!("{n}") // numbers of varying length beside `S…`
                } else {
                    format!("S{n}")
                };
                let kind = match rand() % 5 {
                    0 => Kind::Refund,
                    1 => Kind::Chargeback,
                    _ => Kind::Sale,
                };
                let m = model.entry(id.clone().into_bytes()).or_default();
                let want = match kind {
                    Kind::Sale if m.0 != 0 => Some(m.0),
                    Kind::Sale => {
                        m.0 = line;
                        None
                    }
                    _ if m.1 != 0 => Some(m.1),
                    _ => {
                        m.1 = line;
                        None
                    }
                };
                assert_eq!(
                    ix.see(id.as_bytes(), kind, line),
                    want,
                    "round {round}, line {line}, {id}"
                );
                if line % 97 == 0 {
                    let unmatched = model.values().filter(|m| m.0 == 0 && m.1 != 0).count();
                    assert_eq!(ix.unmatched, unmatched, "round {round}, line {line}");
                }
            }
            let orphans = ix.orphans().len();
            let want = model.values().filter(|m| m.0 == 0 && m.1 != 0).count();
            assert_eq!(orphans, want, "round {round}");
        }
    }
}
