//! Settling on several threads, for an agreement without running totals
//! (those go through [`super::running`]'s speculation).
//!
//! Each worker does all of a batch's work on its own core. It takes the
//! next batch from the source and lists the batch's duplicate ids — under
//! the source's lock, so batches are numbered and their ids seen in input
//! order — settles the batch into an output chunk, and offers the chunk for
//! writing: the chunks are written in input order by whichever worker holds
//! the one that is next, together with those settled ahead of it that were
//! waiting for it. A batch's bytes and its chunk's thus stay in one core's
//! cache. (A reading thread and a writing thread beside the workers made
//! every block and every chunk cross cores: two threads took 4–5% more CPU
//! than one and 0.57× its wall time; doing it all in the worker, 0.54×.
//! See BENCHMARKS.md.)
//!
//! A worker also reads the batch after its own when no other worker is
//! reading, so that workers do not queue for the source (without it, one
//! core idled ~0.15 ms every 2.4 ms); at the end of the input, a worker
//! with nothing left settles what another read ahead.
//!
//! The observer hears rejects and progress on the calling thread, in input
//! order: the worker that writes a chunk sends its report there (every MiB
//! of input, or sooner when there are rejects).
//!
//! Memory is bounded: at most `threads * 4` chunks exist. A worker takes
//! one (the last it wrote, a free one, or a new one while fewer exist)
//! before it reads a batch, and a chunk is free again once written, so at
//! most that many batches are read ahead of the one being written.
//!
//! Stopping: a failed write, a failed read or a failing observer stops
//! every worker at its next step; a worker that panics (a bug) stops the
//! others on its way out, and its join turns into an internal error.

use super::chunk::{settle_batch, Chunk};
use super::ids::IdIndex;
use super::observer::{hear, Fatal, Observer};
use super::reader::Dup;
use super::settle::{Layout, Settler};
use super::sink::{RecordSink, Reject};
use super::source::{Cells, ReadError, RecordSource};
use super::statement::Statement;
use crate::eval::Inputs;
use std::collections::BTreeMap;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError, TryLockError};

/// The source's side: batches are taken in input order, under one lock.
struct Feed<'i, S> {
    source: S,
    index: &'i mut IdIndex,
    /// The number of the next batch.
    seq: usize,
    /// The read error that ended the input, if one did.
    failed: Option<ReadError>,
}

/// The chunks' side, under one lock.
struct Turns<P> {
    /// The number of the batch to write next.
    next: usize,
    /// Chunks settled ahead of their turn, by batch number.
    waiting: BTreeMap<usize, Chunk<P>>,
    /// Whether a worker is writing (it writes every chunk whose turn comes
    /// while it does).
    writing: bool,
    /// Written chunks, to settle another batch into.
    free: Vec<Chunk<P>>,
    /// Chunks made so far.
    made: usize,
    /// No batch is left to read, or a thread failed: nobody waits for a
    /// free chunk any more.
    ended: bool,
    /// A thread failed: every worker stops (`ended` is set too).
    stop: bool,
    /// The first write error.
    error: Option<Fatal>,
    /// What the observer has not heard yet of the chunks written.
    unheard: Report,
}

/// What the workers share besides the source and the sink.
struct Shared<P> {
    turns: Mutex<Turns<P>>,
    /// Signalled when a chunk is freed or the run ends.
    freed: Condvar,
    /// At most this many chunks.
    limit: usize,
}

/// Where a worker's next chunk comes from.
enum Take<P> {
    Chunk(Chunk<P>),
    /// Fewer than `limit` chunks exist: make one.
    Make,
    /// None is free and `limit` exist (when not waiting for one).
    Busy,
    Stop,
}

impl<P> Shared<P> {
    /// The turns, even if a worker panicked while holding them (it stops
    /// everyone on its way out, and nothing under this lock is left half
    /// done by a panic).
    fn lock(&self) -> MutexGuard<'_, Turns<P>> {
        self.turns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A chunk to settle the next batch into: a free one, else a new one
    /// while fewer than `limit` exist, else (`blocking`) the next to be
    /// freed or (not `blocking`) `Busy`.
    fn take(&self, blocking: bool) -> Take<P> {
        let mut t = self.lock();
        loop {
            if t.ended {
                return Take::Stop;
            }
            if let Some(c) = t.free.pop() {
                return Take::Chunk(c);
            }
            if t.made < self.limit {
                t.made += 1;
                return Take::Make;
            }
            if !blocking {
                return Take::Busy;
            }
            t = self.freed.wait(t).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Ends the run for everyone (the input is done, or a thread failed:
    /// `stop`), with the first write error if there is one.
    fn end(&self, stop: bool, error: Option<Fatal>) {
        let mut t = self.lock();
        t.ended = true;
        t.stop |= stop;
        if t.error.is_none() {
            t.error = error;
        }
        drop(t);
        self.freed.notify_all();
    }
}

/// Stops the other workers when a worker panics.
struct StopOnPanic<'s, P>(&'s Shared<P>);

impl<P> Drop for StopOnPanic<'_, P> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.end(true, None);
        }
    }
}

/// The input bytes settled between two reports to the calling thread
/// (each one wakes it), unless there are rejects to report.
const REPORT_EVERY: u64 = 1 << 20;

/// A batch taken from the source, ready to settle.
struct Taken<B, P> {
    seq: usize,
    batch: B,
    dups: Vec<Dup>,
    /// The chunk to settle it into (`None`: make one).
    chunk: Option<Chunk<P>>,
}

/// A worker's slot for the batch it read ahead.
type Ahead<B, P> = Mutex<Option<Taken<B, P>>>;

/// What taking a batch gave.
enum Next<T> {
    Batch(T),
    /// Another worker is reading, or no chunk is free: try later.
    Busy,
    End,
}

/// What the calling thread hears of the chunks written since the last report.
#[derive(Default)]
struct Report {
    rejects: Vec<Reject>,
    bytes: u64,
    records: u64,
}

/// The context every worker reads.
struct Work<'w, 'a, S: RecordSource, K: RecordSink> {
    agreement: &'a crate::agreement::Agreement,
    base: &'w Inputs,
    layout: &'a Layout,
    format: &'w K::Format,
    feed: &'w Mutex<Feed<'w, S>>,
    sink: &'w Mutex<&'w mut K>,
    shared: &'w Shared<K::Part>,
    /// Each worker's batch read ahead: taken by another at the end of the
    /// input, so that no worker idles while another holds two batches.
    aheads: &'w [Ahead<S::Batch, K::Part>],
}

/// Settles the batches of `source` on `threads` workers into `sink`, in
/// input order; returns each worker's statement. `index` sees every id in
/// input order.
#[allow(clippy::too_many_arguments)]
pub(super) fn settle<S, K>(
    agreement: &crate::agreement::Agreement,
    base: &Inputs,
    layout: &Layout,
    source: S,
    index: &mut IdIndex,
    sink: &mut K,
    format: &K::Format,
    threads: usize,
    observer: &mut dyn Observer,
) -> Result<Vec<Statement>, Fatal>
where
    S: RecordSource + Send,
    K: RecordSink + Send,
{
    let feed = Mutex::new(Feed {
        source,
        index,
        seq: 0,
        failed: None,
    });
    let sink = Mutex::new(sink);
    let limit = threads * 4;
    let shared = Shared {
        turns: Mutex::new(Turns {
            next: 0,
            waiting: BTreeMap::new(),
            writing: false,
            free: Vec::new(),
            made: 0,
            ended: false,
            stop: false,
            error: None,
            unheard: Report::default(),
        }),
        freed: Condvar::new(),
        limit,
    };
    let aheads: Vec<_> = (0..threads).map(|_| Mutex::new(None)).collect();
    let work = Work::<S, K> {
        agreement,
        base,
        layout,
        format,
        feed: &feed,
        sink: &sink,
        shared: &shared,
        aheads: &aheads,
    };
    let (parts, heard) = std::thread::scope(|s| {
        let (reports, heard_rx) = sync_channel::<Report>(limit);
        let work = &work;
        let workers: Vec<_> = (0..threads)
            .map(|me| {
                let reports = reports.clone();
                s.spawn(move || work.run(me, &reports))
            })
            .collect();
        drop(reports);
        let mut tell = |r: Report| hear(observer, &r.rejects, r.bytes, r.records);
        // Until every worker is done (their senders dropped).
        let mut heard = Ok(());
        while let Ok(report) = heard_rx.recv() {
            heard = tell(report);
            if heard.is_err() {
                shared.end(true, None);
                break;
            }
        }
        drop(heard_rx);
        if heard.is_ok() {
            // The last chunks' rejects and progress.
            heard = tell(std::mem::take(&mut shared.lock().unheard));
        }
        let parts: Result<Vec<Statement>, Fatal> = workers
            .into_iter()
            .map(|w| w.join().map_err(|_| Fatal::internal()))
            .collect();
        (parts, heard)
    });
    let parts = parts?;
    heard?;
    if let Some(e) = shared.lock().error.take() {
        return Err(e);
    }
    let (failed, read) = match feed.lock() {
        Ok(mut feed) => (feed.failed.take(), feed.seq),
        Err(_) => return Err(Fatal::internal()),
    };
    if let Some(e) = failed {
        return Err(Fatal::Read(e));
    }
    // Every batch read was written: a batch lost between the workers would
    // otherwise leave its rows out of a statement that still reconciles.
    let t = shared.lock();
    if t.next != read || !t.waiting.is_empty() {
        return Err(Fatal::internal());
    }
    Ok(parts)
}

impl<S, K> Work<'_, '_, S, K>
where
    S: RecordSource + Send,
    K: RecordSink + Send,
{
    /// One worker: batches until the input ends or the run stops.
    fn run(&self, me: usize, reports: &SyncSender<Report>) -> Statement {
        let shared = self.shared;
        let _stop = StopOnPanic(shared);
        let mut settler = Settler::new(self.agreement, self.layout, self.base);
        let mut cells = Cells::default();
        // The chunk this worker wrote last: still in its core's cache.
        let mut own: Option<Chunk<K::Part>> = None;
        let mut input_done = false;
        loop {
            let taken = match self.ahead(me) {
                Some(t) => t,
                None => match self.take(&mut own, true) {
                    Next::Batch(t) => t,
                    Next::Busy => break,
                    Next::End => {
                        input_done = true;
                        // What another worker read ahead, if any.
                        match (0..self.aheads.len()).find_map(|w| self.ahead(w)) {
                            Some(t) => t,
                            None => break,
                        }
                    }
                },
            };
            // Read the next batch now if nobody else is reading: the other
            // workers then never wait for the source while this one settles.
            if !input_done {
                match self.take(&mut own, false) {
                    Next::Batch(t) => {
                        if let Some(slot) = self.aheads.get(me) {
                            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(t);
                        }
                    }
                    Next::Busy => {}
                    Next::End => input_done = true,
                }
            }
            let Taken {
                seq,
                batch,
                dups,
                chunk,
            } = taken;
            let mut chunk =
                chunk.unwrap_or_else(|| Chunk::new(K::part(self.format, S::size(&batch))));
            settle_batch::<S, K>(
                &mut settler,
                &batch,
                &dups,
                &mut cells,
                self.format,
                &mut chunk,
            );
            drop(batch);
            // Its turn: write it now if it is next and nobody is writing,
            // else leave it to the worker that is or will be.
            let mut t = shared.lock();
            if t.stop {
                break;
            }
            t.waiting.insert(seq, chunk);
            if t.writing {
                continue;
            }
            t.writing = true;
            loop {
                let next = t.next;
                let Some(mut c) = t.waiting.remove(&next) else {
                    break;
                };
                drop(t);
                let written = match self.sink.lock() {
                    Ok(mut sink) => sink.write(&mut c.part),
                    Err(_) => Err(std::io::Error::other("a settlement thread failed")),
                };
                if let Err(e) = written {
                    shared.end(true, Some(Fatal::output(e)));
                    return settler.statement;
                }
                t = shared.lock();
                t.next += 1;
                let u = &mut t.unheard;
                u.rejects.append(&mut c.rejects);
                u.bytes += c.bytes;
                u.records += c.records;
                if !u.rejects.is_empty() || u.bytes >= REPORT_EVERY {
                    let report = std::mem::take(u);
                    drop(t);
                    if reports.send(report).is_err() {
                        // The calling thread stopped listening (its observer failed).
                        shared.end(true, None);
                        return settler.statement;
                    }
                    t = shared.lock();
                }
                if own.is_none() {
                    own = Some(c);
                } else {
                    t.free.push(c);
                    shared.freed.notify_one();
                }
            }
            t.writing = false;
        }
        settler.statement
    }

    /// The batch worker `w` read ahead, taken out of its slot.
    fn ahead(&self, w: usize) -> Option<Taken<S::Batch, K::Part>> {
        self.aheads
            .get(w)?
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The next batch in input order, with its number, its duplicate ids
    /// and a chunk to settle it into (`None`: make one). With `wait`, waits
    /// for the source and for a chunk; without, gives up (`Busy`) if another
    /// worker is reading or no chunk is at hand. `End` at the end of the
    /// input, after a read error (kept for the caller) or when the run
    /// stops; the first to see the end tells the others.
    fn take(&self, own: &mut Option<Chunk<K::Part>>, wait: bool) -> Next<Taken<S::Batch, K::Part>> {
        let shared = self.shared;
        let mut chunk = |blocking: bool| -> Result<Option<Chunk<K::Part>>, Next<_>> {
            if let Some(c) = own.take() {
                return Ok(Some(c));
            }
            match shared.take(blocking) {
                Take::Chunk(c) => Ok(Some(c)),
                Take::Make => Ok(None),
                Take::Busy => Err(Next::Busy),
                Take::Stop => Err(Next::End),
            }
        };
        let (mut feed, chunk) = if wait {
            let chunk = match chunk(true) {
                Ok(c) => c,
                Err(next) => return next,
            };
            match self.feed.lock() {
                Ok(feed) => (feed, chunk),
                Err(_) => return Next::End,
            }
        } else {
            let feed = match self.feed.try_lock() {
                Ok(feed) => feed,
                Err(TryLockError::WouldBlock) => return Next::Busy,
                Err(TryLockError::Poisoned(_)) => return Next::End,
            };
            match chunk(false) {
                Ok(c) => (feed, c),
                Err(next) => return next,
            }
        };
        if feed.failed.is_some() {
            return Next::End;
        }
        match feed.source.next_batch() {
            Ok(Some(batch)) => {
                let dups = feed.index.scan::<S>(&batch, self.layout);
                let seq = feed.seq;
                feed.seq += 1;
                Next::Batch(Taken {
                    seq,
                    batch,
                    dups,
                    chunk,
                })
            }
            Ok(None) => {
                drop(feed);
                shared.end(false, None);
                Next::End
            }
            Err(e) => {
                feed.failed = Some(e);
                drop(feed);
                shared.end(false, None);
                Next::End
            }
        }
    }
}
