//! Every file the command line writes goes through here, so that no run can
//! lose one.
//!
//! - [`refuse_clashes`]: before anything is read or written, an output that
//!   names an input (the agreement, the ledger) or another output is refused.
//!   Paths are compared as files, not as strings: two paths that exist are
//!   the same file when they have the same device and inode (this catches
//!   `./x`, `sub/../x`, absolute paths, symlinks and hard links); a path that
//!   does not exist yet is its parent folder's canonical path plus its name.
//!   `std::fs::metadata` gives the identity without opening the file, so a
//!   FIFO or a device named on the command line is not touched; elsewhere
//!   than on unix, where std gives no stable file identity, canonical paths
//!   are compared (hard links are then not seen).
//! - [`Output`]: a file is written to a temporary file in the same folder and
//!   renamed over the target only by [`Output::commit`], after the run has
//!   succeeded; a run that fails or is interrupted leaves the previous file
//!   as it was. A file that is replaced keeps its permissions; a symlink is
//!   followed (the file it points to is replaced, the link stays). A device
//!   or FIFO (`/dev/null`) is written straight through.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

/// What identifies a file on disk.
#[derive(Debug, PartialEq, Eq)]
struct Identity {
    /// Device and inode, when the file exists (unix).
    key: Option<(u64, u64)>,
    /// The canonical path, or for a file that does not exist yet its
    /// folder's canonical path joined with its name.
    path: Option<PathBuf>,
}

impl Identity {
    fn of(path: &Path) -> Identity {
        let meta = fs::metadata(path).ok();
        let canonical = fs::canonicalize(path).ok().or_else(|| {
            let name = path.file_name()?;
            let parent = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            match fs::canonicalize(parent) {
                Ok(p) => Some(p.join(name)),
                Err(_) => std::path::absolute(path).ok(),
            }
        });
        Identity {
            key: meta.as_ref().and_then(file_key),
            path: canonical,
        }
    }

    fn same(&self, other: &Identity) -> bool {
        match (self.key, other.key) {
            (Some(a), Some(b)) if a == b => true,
            _ => self.path.is_some() && self.path == other.path,
        }
    }
}

#[cfg(unix)]
fn file_key(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_key(_meta: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Whether `path` is `-` (stdin or stdout).
pub fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Whether `path` names something that can be lost by writing over it: a
/// regular file, or nothing yet. (A device such as `/dev/null` or a FIFO
/// may well be named twice.)
fn can_be_lost(path: &Path) -> bool {
    fs::metadata(path).map_or(true, |m| m.is_file())
}

/// Refuses, with a message for a usage error, an output that is the same
/// file as an input or as another output. `inputs` are (what, path), e.g.
/// `("the ledger", "sales.csv")`; `outputs` are (flag, path), e.g.
/// `("--out", "out.csv")`. `-` is stdin or stdout and clashes with nothing;
/// only the output `stdout_flag` may be `-`.
pub fn refuse_clashes(
    inputs: &[(&str, &Path)],
    outputs: &[(&str, &Path)],
    stdout_flag: Option<&str>,
) -> Result<(), String> {
    for (flag, path) in outputs {
        if is_dash(path) && Some(*flag) != stdout_flag {
            return Err(match stdout_flag {
                Some(s) => {
                    format!("`{flag} -`: only `{s}` may be `-` (stdout); give {flag} a file")
                }
                None => format!("`{flag} -`: give {flag} a file (`-` is not stdout here)"),
            });
        }
    }
    let known = |list: &[(&str, &Path)]| -> Vec<(String, PathBuf, Identity)> {
        list.iter()
            .filter(|(_, p)| !is_dash(p) && can_be_lost(p))
            .map(|(w, p)| (w.to_string(), p.to_path_buf(), Identity::of(p)))
            .collect()
    };
    let ins = known(inputs);
    let outs = known(outputs);
    for (i, (flag, path, id)) in outs.iter().enumerate() {
        for (what, ipath, iid) in &ins {
            if id.same(iid) {
                let same = if ipath == path {
                    String::new()
                } else {
                    format!(" (`{}`)", ipath.display())
                };
                return Err(format!(
                    "`{flag} {}` is {what}{same}: writing it would destroy {what}; give {flag} another file",
                    path.display()
                ));
            }
        }
        for (flag2, path2, id2) in outs.iter().take(i) {
            if id.same(id2) {
                return Err(format!(
                    "`{flag} {}` and `{flag2} {}` are the same file; give each output its own file",
                    path.display(),
                    path2.display()
                ));
            }
        }
    }
    Ok(())
}

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    /// A device or FIFO: written straight through.
    Direct(BufWriter<File>),
    /// A temporary file in the target's folder, renamed over `target` on commit.
    Atomic {
        temp: BufWriter<tempfile::NamedTempFile>,
        target: PathBuf,
        syncer: Syncer,
    },
}

/// How many bytes are written between two background syncs.
const SYNC_EVERY: u64 = 2 << 20;

/// Syncs a large temporary file to disk while it is being written: from
/// [`SYNC_EVERY`] bytes on, a thread of its own (started then, so small
/// files never have one) syncs what has been written each time that much
/// more is, and the sync that [`Output::commit`] needs before the rename
/// finds only the tail left. Its wait for the disk overlaps the work that
/// produces the rest (a million settled sales: ~27 ms of an fsync that
/// was paid after everything else).
#[derive(Default)]
struct Syncer {
    unsynced: u64,
    worker: Option<(SyncSender<()>, JoinHandle<io::Result<()>>)>,
}

impl Syncer {
    /// `n` more bytes were written to `file`.
    fn wrote(&mut self, file: &File, n: usize) {
        self.unsynced += n as u64;
        if self.unsynced < SYNC_EVERY {
            return;
        }
        self.unsynced = 0;
        if self.worker.is_none() {
            // Without a second handle or a thread, commit syncs it all.
            let Ok(file) = file.try_clone() else { return };
            let (tx, rx) = sync_channel::<()>(1);
            let spawned = std::thread::Builder::new()
                .name("splitdsl-sync".into())
                .spawn(move || -> io::Result<()> {
                    for () in rx {
                        file.sync_data()?;
                    }
                    Ok(())
                });
            let Ok(handle) = spawned else { return };
            self.worker = Some((tx, handle));
        }
        if let Some((tx, _)) = &self.worker {
            // A request still waiting covers this one too.
            let _ = tx.try_send(());
        }
    }

    /// Waits for the syncs asked for; the first error of one, if any.
    fn finish(self) -> io::Result<()> {
        let Some((tx, handle)) = self.worker else {
            return Ok(());
        };
        drop(tx);
        handle
            .join()
            .map_err(|_| io::Error::other("the thread syncing the output failed"))?
    }
}

/// An output being written: nothing is replaced until [`Output::commit`];
/// dropped without a commit, it leaves no trace.
pub struct Output {
    sink: Sink,
}

const BUFFER: usize = 1 << 16;

impl Output {
    /// Standard output.
    pub fn stdout() -> Output {
        Output {
            sink: Sink::Stdout(BufWriter::with_capacity(BUFFER, io::stdout())),
        }
    }

    /// Starts writing `path` (a file: `-` is not stdout here). Fails when
    /// the temporary file cannot be created (no such folder, no permission,
    /// `path` is a folder).
    pub fn create(path: &Path) -> io::Result<Output> {
        let meta = fs::metadata(path).ok();
        if let Some(m) = &meta {
            if m.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a folder",
                ));
            }
            if !m.is_file() {
                let f = fs::OpenOptions::new().write(true).open(path)?;
                return Ok(Output {
                    sink: Sink::Direct(BufWriter::with_capacity(BUFFER, f)),
                });
            }
        }
        // Through a symlink, replace the file it points to; only a file
        // that could be written in place may be replaced (a read-only file
        // stays read-only, as it would with `File::create`).
        let target = match &meta {
            Some(_) => {
                drop(fs::OpenOptions::new().write(true).open(path)?);
                fs::canonicalize(path)?
            }
            None => path.to_path_buf(),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            // As `File::create` would: 0o666 less the umask.
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(dir)?;
        if let Some(m) = &meta {
            temp.as_file().set_permissions(m.permissions())?;
        }
        Ok(Output {
            sink: Sink::Atomic {
                temp: BufWriter::with_capacity(BUFFER, temp),
                target,
                syncer: Syncer::default(),
            },
        })
    }

    /// Finishes the output: flushes it and, for a file, moves it into place
    /// (after syncing it to disk, so that the rename never exposes a file
    /// whose content is not there yet).
    pub fn commit(self) -> io::Result<()> {
        match self.sink {
            Sink::Stdout(mut w) => w.flush(),
            Sink::Direct(mut w) => w.flush(),
            Sink::Atomic {
                temp,
                target,
                syncer,
            } => {
                let temp = temp.into_inner().map_err(|e| e.into_error())?;
                syncer.finish()?;
                temp.as_file().sync_all()?;
                temp.persist(&target).map_err(|e| e.error)?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Stdout(w) => w.write(buf),
            Sink::Direct(w) => w.write(buf),
            Sink::Atomic { temp, syncer, .. } => {
                let n = temp.write(buf)?;
                syncer.wrote(temp.get_ref().as_file(), n);
                Ok(n)
            }
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(w) => w.write_all(buf),
            Sink::Direct(w) => w.write_all(buf),
            Sink::Atomic { temp, syncer, .. } => {
                temp.write_all(buf)?;
                syncer.wrote(temp.get_ref().as_file(), buf.len());
                Ok(())
            }
        }
    }

    /// Flushes the buffer (to the temporary file: nothing is replaced
    /// before [`Output::commit`]).
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(w) => w.flush(),
            Sink::Direct(w) => w.flush(),
            Sink::Atomic { temp, .. } => temp.flush(),
        }
    }
}

/// Writes `bytes` to the file `path` atomically.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut out = Output::create(path)?;
    out.write_all(bytes)?;
    out.commit()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_dropped_output_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        fs::write(&p, "old").unwrap();
        let mut o = Output::create(&p).unwrap();
        o.write_all(b"new, but never committed").unwrap();
        o.flush().unwrap();
        drop(o);
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        write_file(&p, b"new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
    }

    #[test]
    fn a_large_output_is_synced_while_written_and_a_small_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let syncing =
            |o: &Output| matches!(&o.sink, Sink::Atomic { syncer, .. } if syncer.worker.is_some());
        let p = dir.path().join("small.txt");
        let mut o = Output::create(&p).unwrap();
        o.write_all(&[b'x'; 1000]).unwrap();
        assert!(!syncing(&o), "a thread for 1,000 bytes");
        o.commit().unwrap();
        // Written in odd pieces, through both `write` and `write_all`.
        let p = dir.path().join("large.txt");
        let line: Vec<u8> = (0..999u32).map(|i| b'a' + (i % 26) as u8).collect();
        let mut o = Output::create(&p).unwrap();
        let mut expected = Vec::new();
        while (expected.len() as u64) < 3 * SYNC_EVERY {
            let mut rest = &line[..];
            while !rest.is_empty() {
                let n = o.write(rest).unwrap();
                rest = &rest[n..];
            }
            o.write_all(&line).unwrap();
            expected.extend_from_slice(&line);
            expected.extend_from_slice(&line);
        }
        assert!(
            syncing(&o),
            "no background sync after {} bytes",
            expected.len()
        );
        o.commit().unwrap();
        assert!(fs::read(&p).unwrap() == expected);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_file_is_not_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ro.txt");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o444)).unwrap();
        // (root may write anything: then there is nothing to check.)
        if fs::OpenOptions::new().write(true).open(&p).is_err() {
            assert!(write_file(&p, b"new").is_err());
            assert_eq!(fs::read_to_string(&p).unwrap(), "old");
            assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }

    #[test]
    fn paths_are_compared_as_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::write(&a, "x").unwrap();
        let dotted = dir.path().join(".").join("a");
        let fresh = dir.path().join("b");
        let fresh2 = dir.path().join("sub").join("..").join("b");
        fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(Identity::of(&a).same(&Identity::of(&dotted)));
        assert!(Identity::of(&fresh).same(&Identity::of(&fresh2)));
        assert!(!Identity::of(&a).same(&Identity::of(&fresh)));
        let dash = Path::new("-");
        assert!(refuse_clashes(&[("the ledger", dash)], &[("--out", dash)], Some("--out")).is_ok());
        assert!(refuse_clashes(&[], &[("--rejects", dash)], Some("--out")).is_err());
        assert!(refuse_clashes(&[("the ledger", &a)], &[("--out", &dotted)], None).is_err());
        assert!(refuse_clashes(&[], &[("--out", &fresh), ("--rejects", &fresh2)], None).is_err());
    }
}
