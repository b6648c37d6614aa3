//! The module graph has arrows only downward (issue 13): a text scan of every
//! `crate::…` / `super::…` path in `src/`, two checks:
//!
//! * no two modules import each other (a module is a top-level module of the
//!   crate — the files of the stage folders `src/services/` and `src/render/`
//!   are modules re-exported at the root; the files of `batch/` and
//!   `analysis/` are modules of their own, and so is `repl::render`);
//! * no module below the front end imports it (`cli`, the REPL's terminal
//!   included), and no module imports one from a higher layer (see
//!   `LAYERS`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import from its own layer or one
/// below it, never from one above. Every module of `src/` must be listed.
/// (The order is the order of imports: the analysis lowers into the
/// program's types, so `program` sits below `analysis`.)
const LAYERS: &[(&str, &[&str])] = &[
    // `codes`: the registry of every stage's codes, the ledger's included
    // (a `Diagnostic` carries a typed `codes::Code`).
    (
        "foundation",
        &["span", "value", "allocate", "stack", "codes", "diag"],
    ),
    ("syntax", &["syntax"]),
    // Display widths and the characters a label may hold (checks AST labels).
    ("text", &["textwidth"]),
    ("program", &["program"]),
    (
        "semantic analysis",
        &[
            "analysis",
            "analysis::names",
            "analysis::kinds",
            "analysis::brackets",
            "analysis::graph",
            "analysis::groups",
            "analysis::lower",
            "analysis::lint",
            "analysis::running",
        ],
    ),
    ("evaluation", &["eval"]),
    // The fixed-point form of a program (issue 18): falls back to `eval`.
    ("fixed-point evaluation", &["fixed"]),
    (
        "services",
        &[
            "agreement",
            "document",
            // The lints that evaluate constant expressions.
            "value_lints",
            "api",
            "explain",
            "repl",
            "examples",
            // An editor's figures (hints, lenses, hovers) as data.
            "live",
            "output",
            // One sale's outcome as data (deductions, requirement failures,
            // the JSON contract's structs), below every renderer.
            "summary",
            "batch",
            "batch::chunk",
            "batch::columns",
            "batch::field",
            "batch::ids",
            "batch::json",
            "batch::observer",
            "batch::parallel",
            "batch::quote",
            "batch::parquet",
            "batch::reader",
            "batch::running",
            "batch::settle",
            "batch::sink",
            "batch::source",
            "batch::statement",
            "batch::writer",
        ],
    ),
    // `repl::render`: the REPL's line handler and its text; `diff` compares
    // agreements in fmt's canonical text.
    (
        "rendering",
        &["report", "chart", "fmt", "repl::render", "diff"],
    ),
    // `web`: the workbook server of `splitdsl serve` (issue 16).
    ("front ends", &["cli", "lsp", "web"]),
];

/// Upward imports that are known and left for other parts of issue 13 (take
/// an entry out when it is fixed; never add one that imports a front end).
const KNOWN_UPWARD: &[(&str, &str)] = &[];

const FRONT_ENDS: &[&str] = &["cli", "lsp", "web"];

/// Folders that group the modules of one stage (`src/services/explain.rs` is
/// the module `explain`, re-exported at the crate root).
const STAGE_FOLDERS: &[&str] = &["services", "render"];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a source file belongs to (`None` for `lib.rs` and `main.rs`).
fn module_of(rel: &Path) -> Option<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.len() > 1 && STAGE_FOLDERS.contains(&parts[0].as_str()) {
        if parts[1] == "mod" {
            return None; // a stage folder's `mod.rs` only declares its modules
        }
        parts.remove(0);
    }
    match parts.as_slice() {
        [f] if f == "lib" || f == "main" => None,
        [f] => Some(f.clone()),
        [d, f] if SPLIT_FOLDERS.contains(&d.as_str()) && f != "mod" => Some(format!("{d}::{f}")),
        [d, f] if d == "repl" && f == "render" => Some(format!("repl::{f}")),
        [d, ..] => Some(d.clone()),
        [] => None,
    }
}

/// The module a path names: `crate::batch::settle::X` → `batch::settle`.
fn target(segments: &[&str]) -> Option<String> {
    let segments = match segments {
        [stage, rest @ ..] if STAGE_FOLDERS.contains(stage) && !rest.is_empty() => rest,
        _ => segments,
    };
    let first = *segments.first()?;
    let second = segments.get(1).copied().unwrap_or("");
    match first {
        _ if SPLIT_FOLDERS.contains(&first) && folder_files(first).iter().any(|f| f == second) => {
            Some(format!("{first}::{second}"))
        }
        "repl" if second == "render" => Some(format!("repl::{second}")),
        _ => Some(first.to_string()),
    }
}

/// Folders of `src/` whose files are modules of their own (`batch::settle`).
const SPLIT_FOLDERS: &[&str] = &["batch", "analysis"];

/// The files of `src/FOLDER/` (but `mod.rs`), by module name.
fn folder_files(folder: &str) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let dir = STAGE_FOLDERS
        .iter()
        .map(|stage| src.join(stage).join(folder))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| src.join(folder));
    let mut files = Vec::new();
    rs_files(&dir, &mut files);
    files
        .iter()
        .filter_map(|f| f.file_stem()?.to_str().map(str::to_string))
        .filter(|f| f != "mod")
        .collect()
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every module `text` (the code of `module`) names through `crate::` or
/// `super::`, with the line it is named on. Comments and the `mod tests` at the
/// end of a file are skipped.
fn imports(module: &str, text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("mod tests") {
            break;
        }
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        // A folder's `mod.rs` names its files by relative paths
        // (`lower::Lowered`, `self::lower::…`).
        if SPLIT_FOLDERS.contains(&module) {
            for f in folder_files(module) {
                let pat = format!("{f}::");
                let hit = code.match_indices(&pat).any(|(i, _)| {
                    let before = code[..i].chars().next_back();
                    let self_path = code[..i].ends_with("self::");
                    self_path
                        || !before
                            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                });
                if hit {
                    found.push((format!("{module}::{f}"), no + 1));
                }
            }
        }
        for (prefix, is_super) in [("crate::", false), ("super::", true)] {
            let mut rest = code;
            while let Some(i) = rest.find(prefix) {
                let before = rest[..i].chars().last();
                rest = &rest[i + prefix.len()..];
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue; // `$crate::`, `my_crate::`
                }
                let mut segs = vec![ident(rest)];
                let mut tail = &rest[segs[0].len()..];
                while let Some(t) = tail.strip_prefix("::") {
                    let s = ident(t);
                    if s.is_empty() {
                        break;
                    }
                    segs.push(s);
                    tail = &t[s.len()..];
                }
                let name = if is_super {
                    // `super::` in a file of `batch/`, `analysis/` or
                    // `repl/`: a sibling file, or the folder's `mod.rs`.
                    let parent = module.split("::").next().unwrap_or(module);
                    let mut full = vec![parent];
                    full.extend(segs.iter().copied());
                    target(&full)
                } else if segs[0].is_empty() {
                    None // `crate::{…}`: not used in this crate
                } else {
                    target(&segs)
                };
                if let Some(name) = name {
                    if name != module {
                        found.push((name, no + 1));
                    }
                }
            }
        }
    }
    found
}

/// module → (imported module → first place it is imported).
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files.sort();
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap().to_path_buf();
        let Some(module) = module_of(&rel) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let edges = graph.entry(module.clone()).or_default();
        for (to, line) in imports(&module, &text) {
            edges
                .entry(to)
                .or_insert_with(|| format!("src/{}:{line}", rel.display()));
        }
    }
    graph
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

#[test]
fn scan_sees_imports() {
    // The scan itself: a test that cannot see an import proves nothing.
    let found = imports(
        "batch::settle",
        "use super::statement::Kind;\nuse crate::eval::{Inputs, Outcome};\n// crate::cli\nlet x = crate::cli::repl::run();\nmod tests {\nuse crate::cli;\n",
    );
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["batch::statement", "eval", "cli"]);
    let g = graph();
    assert!(g["batch::settle"].contains_key("eval"), "{g:#?}");
    // The phases of the analysis are modules of their own.
    let found = imports(
        "analysis::lower",
        "use super::kinds::Compiler;\nuse crate::analysis::names::Node;\nuse super::check;\n",
    );
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["analysis::kinds", "analysis::names", "analysis"]);
    let found = imports(
        "analysis",
        "use lower::Lowered;\nlet x = self::graph::Graph;\nmy_lower::x;\n",
    );
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["analysis::lower", "analysis::graph"]);
    assert!(g["analysis"].contains_key("analysis::lower"), "{g:#?}");
    assert!(
        g["analysis::lower"].contains_key("analysis::kinds"),
        "{g:#?}"
    );
}

#[test]
fn every_module_has_a_layer() {
    let missing: Vec<String> = graph()
        .into_keys()
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "modules not in LAYERS (tests/layering.rs): {missing:?}"
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let g = graph();
    let mut cycles = BTreeSet::new();
    for (a, edges) in &g {
        for (b, at) in edges {
            if let Some(back) = g.get(b).and_then(|e| e.get(a)) {
                let (x, y) = if a < b { (a, b) } else { (b, a) };
                let (ax, ay) = if a < b { (at, back) } else { (back, at) };
                cycles.insert(format!("{x} ↔ {y} ({ax} / {ay})"));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n{cycles:#?}"
    );
}

#[test]
fn arrows_only_downward() {
    let g = graph();
    let mut wrong = Vec::new();
    for (from, edges) in &g {
        let Some(lf) = layer_of(from) else { continue };
        for (to, at) in edges {
            let Some(lt) = layer_of(to) else { continue };
            let front = FRONT_ENDS.contains(&to.as_str()) && !FRONT_ENDS.contains(&from.as_str());
            let known = KNOWN_UPWARD.contains(&(from.as_str(), to.as_str()));
            if front || (lt > lf && !known) {
                wrong.push(format!(
                    "{from} ({}) imports {to} ({}) at {at}",
                    LAYERS[lf].0, LAYERS[lt].0
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point upward:\n{wrong:#?}");
}
