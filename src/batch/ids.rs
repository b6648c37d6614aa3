//! The ids seen so far: a second sale with an id already seen is a
//! duplicate, and a refund or chargeback refers to its sale by id.
//!
//! The index sees the rows in input order: it runs on the thread that cuts
//! the input into blocks, before the blocks are settled in parallel, and
//! marks each duplicate in its block ([`Block::dups`]). Its memory grows with
//! the number of distinct ids: the ids' bytes in one buffer, 24 bytes of
//! line numbers and 10–20 bytes of hash table per id, plus the slack of
//! growing them (a peak RSS of some 60 MiB for a million ids of 8
//! characters). A ledger without an id column needs none.

use super::field::trim;
use super::reader::{json_values, split_csv, Block, Dup, Fields, Records, SalesFormat};
use super::settle::Layout;
use super::statement::{Kind, Orphan};
use hashbrown::{DefaultHashBuilder, HashTable};
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
    fields: Fields,
}

impl IdIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `kind` of `id` is at `line`; the line of the row it
    /// repeats, if any.
    pub fn see(&mut self, id: &[u8], kind: Kind, line: u64) -> Option<u64> {
        let IdIndex {
            state,
            table,
            entries,
            arena,
            ..
        } = self;
        // A table slot holds a 32-bit fingerprint of the id and the id's
        // index; the table hashes the fingerprint alone, so that growing the
        // table never reads the ids again (that was most of its cost).
        let full = state.hash_one(id);
        let print = (full ^ (full >> 32)) as u32;
        let found = table
            .find(slot_hash(print), |&slot| {
                slot_print(slot) == print && {
                    let i = slot_index(slot);
                    let start = entries.get(i).map_or(0, |e| e.start as usize);
                    let end = entries.get(i + 1).map_or(arena.len(), |e| e.start as usize);
                    arena.get(start..end) == Some(id)
                }
            })
            .copied();
        let index = match found {
            Some(slot) => slot_index(slot),
            None => {
                // More than 4 billion ids: stop looking (memory would run out first).
                let Ok(i) = u32::try_from(entries.len()) else {
                    return None;
                };
                entries.push(Entry {
                    start: arena.len() as u64,
                    ..Entry::default()
                });
                arena.extend_from_slice(id);
                table.insert_unique(
                    slot_hash(print),
                    (u64::from(print) << 32) | u64::from(i),
                    |&slot| slot_hash(slot_print(slot)),
                );
                i as usize
            }
        };
        let e = entries.get_mut(index)?;
        match kind {
            Kind::Sale if e.sale != 0 => Some(e.sale),
            Kind::Sale => {
                e.sale = line;
                None
            }
            _ if e.reversal != 0 => Some(e.reversal >> 1),
            _ => {
                e.reversal = (line << 1) | u64::from(kind == Kind::Chargeback);
                None
            }
        }
    }

    /// Marks the rows of `block` whose id was seen before (in this block or
    /// an earlier one). Rows without an id, or with a bad `kind`, are not
    /// looked at.
    pub fn scan(&mut self, block: &mut Block, layout: &Layout) {
        let Some(id_col) = layout.id else { return };
        let mut dups = Vec::new();
        let delim = layout.delimiter.byte();
        let mut fields = std::mem::take(&mut self.fields);
        for rec in Records::new(block, layout.format) {
            if trim(rec.bytes).is_empty() {
                continue;
            }
            let mut kind = Kind::Sale;
            let line = rec.line;
            let repeats = match layout.format {
                SalesFormat::Csv => {
                    let quoted = block.quoted;
                    if quoted {
                        // On a syntax error, the fields before the bad one are kept.
                        let _ = split_csv(rec.bytes, delim, &mut fields);
                    }
                    if let Some(k) = layout.kind {
                        match Kind::parse(trim(
                            csv_field(quoted, &fields, rec.bytes, delim, k).unwrap_or_default(),
                        )) {
                            Some(k) => kind = k,
                            None => continue,
                        }
                    }
                    let Some(id) = csv_field(quoted, &fields, rec.bytes, delim, id_col).map(trim)
                    else {
                        continue;
                    };
                    if id.is_empty() {
                        continue;
                    }
                    self.see(id, kind, line).map(|first| (first, id.to_vec()))
                }
                SalesFormat::Jsonl => {
                    let name = |i: Option<usize>| i.and_then(|i| layout.names.get(i));
                    let keys =
                        [name(Some(id_col)), name(layout.kind)].map(|n| n.map(String::as_str));
                    let Some([id, kind_text]) = json_values(rec.bytes, keys) else {
                        continue;
                    };
                    if layout.kind.is_some() {
                        match Kind::parse(trim(kind_text.unwrap_or_default().as_bytes())) {
                            Some(k) => kind = k,
                            None => continue,
                        }
                    }
                    let Some(id) = id else {
                        continue;
                    };
                    let id = trim(id.as_bytes()).to_vec();
                    if id.is_empty() {
                        continue;
                    }
                    self.see(&id, kind, line).map(|first| (first, id))
                }
            };
            if let Some((first, id)) = repeats {
                dups.push(Dup {
                    line,
                    first,
                    id: String::from_utf8_lossy(&id).into_owned(),
                    reversal: kind != Kind::Sale,
                });
            }
        }
        self.fields = fields;
        block.dups = dups;
    }

    /// The refunds and chargebacks whose sale is not in the ledger, in line order.
    pub fn orphans(&self) -> Vec<Orphan> {
        let mut out = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if e.sale == 0 && e.reversal != 0 {
                let start = e.start as usize;
                let end = self
                    .entries
                    .get(i + 1)
                    .map_or(self.arena.len(), |n| n.start as usize);
                out.push(Orphan {
                    line: e.reversal >> 1,
                    id: String::from_utf8_lossy(self.arena.get(start..end).unwrap_or_default())
                        .into_owned(),
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

/// Field `i` of a record: from `fields` (split already) when the block has
/// quotes, else found in place.
fn csv_field<'a>(
    quoted: bool,
    fields: &'a Fields,
    rec: &'a [u8],
    delim: u8,
    i: usize,
) -> Option<&'a [u8]> {
    if quoted {
        fields.get(i)
    } else {
        nth_field(rec, delim, i)
    }
}

/// Field `n` of a record without quotes, without copying it.
fn nth_field(rec: &[u8], delim: u8, n: usize) -> Option<&[u8]> {
    let mut start = 0;
    for (k, end) in memchr::memchr_iter(delim, rec).enumerate() {
        if k == n {
            return rec.get(start..end);
        }
        start = end + 1;
    }
    let fields = memchr::memchr_iter(delim, rec).count() + 1;
    (n + 1 == fields).then(|| rec.get(start..)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_fields() {
        assert_eq!(nth_field(b"a,b,c", b',', 0), Some(&b"a"[..]));
        assert_eq!(nth_field(b"a,b,c", b',', 2), Some(&b"c"[..]));
        assert_eq!(nth_field(b"a,,c", b',', 1), Some(&b""[..]));
        assert_eq!(nth_field(b"a,b", b',', 2), None);
        assert_eq!(nth_field(b"", b',', 0), Some(&b""[..]));
    }

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
}
