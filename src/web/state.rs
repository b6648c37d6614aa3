//! What the workbook server holds: the one file it serves, the page's
//! working copy of its text (a [`Document`]), and the version of the file
//! on disk the page last loaded or saved.

use crate::document::Document;
use crate::span::Span;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

/// A version of a file's bytes: FNV-1a 64 as hex (a change detector, not a
/// security measure). The file's absence is `"missing"`.
pub fn version_of(bytes: Option<&[u8]>) -> String {
    let Some(bytes) = bytes else {
        return "missing".into();
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}-{}", bytes.len())
}

/// The file on disk as last seen: its text and version, and the metadata
/// the watcher compares cheaply before reading it again.
#[derive(Clone, Debug)]
pub struct Disk {
    /// The text (None: missing or not UTF-8).
    pub text: Option<String>,
    /// Its version ([`version_of`]).
    pub version: String,
    /// Modification time and length when read.
    pub stamp: Option<(SystemTime, u64)>,
}

impl Disk {
    /// Reads `path` now.
    pub fn read(path: &Path) -> Disk {
        let stamp = stamp(path);
        match std::fs::read(path) {
            Ok(bytes) => Disk {
                version: version_of(Some(&bytes)),
                text: String::from_utf8(bytes).ok(),
                stamp,
            },
            Err(_) => Disk {
                text: None,
                version: version_of(None),
                stamp: None,
            },
        }
    }
}

/// Modification time and length of `path`.
pub fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// The served file and the page's working copy.
#[derive(Debug)]
pub struct Workbook {
    /// The agreement's path (given on the command line; nothing else is read
    /// or written but its scenarios sidecar).
    pub path: PathBuf,
    /// The sidecar holding the scenarios: `FILE.scenarios.json`.
    pub scenarios: PathBuf,
    /// The page's text, checked.
    pub doc: Document,
    /// The file on disk as last seen.
    pub disk: Disk,
}

impl Workbook {
    /// Opens `path` (a missing file starts empty; saving creates it).
    pub fn open(path: &Path) -> Workbook {
        let disk = Disk::read(path);
        let name = path.display().to_string();
        let doc = Document::new(&name, disk.text.as_deref().unwrap_or(""));
        let mut scenarios = path.as_os_str().to_owned();
        scenarios.push(".scenarios.json");
        Workbook {
            path: path.to_path_buf(),
            scenarios: PathBuf::from(scenarios),
            doc,
            disk,
        }
    }

    /// Replaces the working copy's text with `text`, as one edit of the
    /// part that changed (the document parses again only the statements
    /// it touches).
    pub fn set_text(&mut self, text: &str) {
        let old = self.doc.text();
        if old == text {
            return;
        }
        let prefix = common_prefix(old, text);
        let suffix = common_suffix(&old[prefix..], &text[prefix..]);
        let range = Span::new(prefix, old.len() - suffix);
        let new = text[prefix..text.len() - suffix].to_string();
        self.doc.edit(range, &new);
        if self.doc.text() != text {
            // Never keep a copy that differs from the page's.
            self.doc.set_text(text);
        }
    }
}

/// Bytes in common at the start, on a character boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    let mut n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !(a.is_char_boundary(n) && b.is_char_boundary(n)) {
        n -= 1;
    }
    n
}

/// Bytes in common at the end, on a character boundary.
fn common_suffix(a: &str, b: &str) -> usize {
    let mut n = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    while !(a.is_char_boundary(a.len() - n) && b.is_char_boundary(b.len() - n)) {
        n -= 1;
    }
    n
}

/// The shared state of the server.
#[derive(Debug)]
pub struct Shared {
    workbook: Mutex<Workbook>,
}

impl Shared {
    /// Wraps a workbook.
    pub fn new(workbook: Workbook) -> Shared {
        Shared {
            workbook: Mutex::new(workbook),
        }
    }

    /// The workbook, locked (a panic in another request does not lock the
    /// page out: the data is still consistent, every change is one step).
    pub fn lock(&self) -> MutexGuard<'_, Workbook> {
        self.workbook
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn set_text_is_an_edit_of_the_changed_part() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.split");
        std::fs::write(&p, "price = 10.00 USD\nshare p = remaining\n").unwrap();
        let mut w = Workbook::open(&p);
        assert!(w.doc.is_ok());
        for text in [
            "price = 12.00 USD\nshare p = remaining\n",
            "price = 12.00 USD\nshare p = remainin\n",
            "prïce = 12.00 USD\nshare p = remaining\n",
            "",
            "price = 1.00 EUR\nshare é = remaining\n",
        ] {
            w.set_text(text);
            assert_eq!(w.doc.text(), text);
            let fresh = Document::new("x", text);
            assert_eq!(w.doc.diagnostics().len(), fresh.diagnostics().len());
        }
        assert!(w
            .scenarios
            .to_string_lossy()
            .ends_with("a.split.scenarios.json"));
    }

    #[test]
    fn versions_differ() {
        assert_ne!(version_of(Some(b"a")), version_of(Some(b"b")));
        assert_ne!(version_of(Some(b"")), version_of(None));
    }
}
