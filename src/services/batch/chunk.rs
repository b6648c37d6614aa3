//! One batch settled into a chunk: the sink's encoded rows, the rejects and
//! the counts ([`settle_batch`]), the same on one thread or many.

use super::reader::Dup;
use super::settle::Settler;
use super::sink::{RecordSink, Reject};
use super::source::{Cells, RecordSource};

/// What a worker hands back for one batch.
pub(crate) struct Chunk<P> {
    pub(crate) part: P,
    pub(crate) rejects: Vec<Reject>,
    pub(crate) bytes: u64,
    pub(crate) records: u64,
}

impl<P> Chunk<P> {
    /// An empty chunk around the sink's `part`.
    pub(crate) fn new(part: P) -> Chunk<P> {
        Chunk {
            part,
            rejects: Vec::new(),
            bytes: 0,
            records: 0,
        }
    }
}

/// Settles one batch into `chunk` (its rejects and counts start afresh; its
/// part is empty, as the sink leaves it once written).
pub(crate) fn settle_batch<S: RecordSource, K: RecordSink>(
    settler: &mut Settler<'_>,
    batch: &S::Batch,
    dups: &[Dup],
    cells: &mut Cells,
    format: &K::Format,
    chunk: &mut Chunk<K::Part>,
) {
    chunk.bytes = S::size(batch);
    chunk.records = 0;
    chunk.rejects.clear();
    let mut dups = dups.iter().peekable();
    let (part, rejects, records) = (&mut chunk.part, &mut chunk.rejects, &mut chunk.records);
    S::read(batch, cells, |rec| {
        *records += 1;
        let dup = dups.next_if(|d| d.line == rec.line);
        match settler.settle(&rec, dup) {
            Ok(row) => K::row(format, &row, part),
            Err(reject) => {
                K::reject(format, &reject, part);
                rejects.push(*reject);
            }
        }
    });
}
