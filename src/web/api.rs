//! The JSON API of the workbook (docs/workbook.md). Each handler locks the
//! workbook, asks the library, and answers; none computes a figure itself.

use super::state::{version_of, Disk, Workbook};
use super::App;
use crate::agreement::Agreement;
use crate::api::Breakdown;
use crate::chart::{self, Waterfall};
use crate::diag::{Diagnostic, JsonDiagnostic, SourceView};
use crate::eval::{Inputs, Outcome};
use crate::explain::{About, Node};
use crate::program::SlotKind;
use crate::repl::{Session, SolveResult};
use crate::value::{format_amount, format_number, Ty, Value};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json_};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

type AppState = State<Arc<App>>;

/// Overrides of the inputs, by name, as text (`"150.00 USD"`, `"30%"`).
type Overrides = BTreeMap<String, String>;

/// An error answer: a message, and diagnostics when there are some.
fn fail(
    status: StatusCode,
    message: impl Into<String>,
    diagnostics: Vec<JsonDiagnostic>,
) -> Response {
    (
        status,
        Json(json!({"error": message.into(), "diagnostics": diagnostics})),
    )
        .into_response()
}

fn diag_json(d: &Diagnostic, name: &str, text: &str) -> JsonDiagnostic {
    JsonDiagnostic::new(d, name, text)
}

/// The agreement the page's figures come from: the current text's when it
/// checks, else the last one that did (`stale`).
fn agreement(wb: &Workbook) -> Option<(&Agreement, bool)> {
    match wb.doc.agreement() {
        Some(a) => Some((a, false)),
        None => wb.doc.last_good().map(|a| (a, true)),
    }
}

fn no_agreement() -> Response {
    fail(
        StatusCode::UNPROCESSABLE_ENTITY,
        "the agreement has errors and has never checked: fix them to see figures",
        Vec::new(),
    )
}

/// Whether `name` is an input of `a` (a page's override may name one the
/// text no longer has).
fn is_input(a: &Agreement, name: &str) -> bool {
    a.program.slot(name).is_some_and(|i| {
        a.program
            .slots
            .get(i)
            .is_some_and(|s| s.kind == SlotKind::Input)
    })
}

/// The evaluator's inputs with the page's overrides, set exactly as
/// `run --set NAME=VALUE` sets them; the overrides that fail, by name.
fn inputs_of(a: &Agreement, overrides: &Overrides) -> (Inputs, BTreeMap<String, String>) {
    let mut inputs = a.raw_inputs();
    let mut errors = BTreeMap::new();
    for (name, value) in overrides {
        if !is_input(a, name) {
            // An override of a name the text no longer has as an input.
            continue;
        }
        if let Err(d) = a.set_from_text(&mut inputs, &format!("{name}={value}")) {
            let msg = match &d.help {
                Some(h) => format!("{}; {h}", d.message),
                None => d.message.clone(),
            };
            errors.insert(name.clone(), msg);
        }
    }
    (inputs, errors)
}

/// The 1-based line of byte `at` of the agreement's text.
fn line_of(a: &Agreement, at: usize) -> usize {
    SourceView::new(&a.source.name, &a.source.text)
        .line_col(at)
        .0
}

/// An input as the page's form shows it.
#[derive(Serialize)]
struct InputField {
    name: String,
    /// `money`, `percent`, `number`, `date`, `bool` or `rate`.
    kind: &'static str,
    /// The unit after the field: the currency, `%`, or empty.
    suffix: String,
    /// The default, as written in the file.
    default: String,
    /// The default in the field's terms (no unit: `100.00`, `35`).
    field: String,
    /// The value this sale used.
    value: Option<String>,
    line: usize,
    error: Option<String>,
}

fn is_percent_text(t: &str) -> bool {
    t.trim_end().ends_with('%')
}

fn input_fields(
    a: &Agreement,
    out: Option<&Outcome>,
    errors: &BTreeMap<String, String>,
) -> Vec<InputField> {
    let p = &a.program;
    let mut fields = Vec::new();
    for (i, s) in p.slots.iter().enumerate() {
        if s.kind != SlotKind::Input {
            continue;
        }
        let default = a
            .source
            .text
            .get(s.expr.span.start..s.expr.span.end)
            .unwrap_or("")
            .to_string();
        let default_value = a.raw_inputs();
        let dv = a
            .program
            .evaluate(&default_value)
            .ok()
            .and_then(|o| o.value(i));
        let (kind, suffix) = match s.ty {
            Ty::Money(c) => ("money", c.code().to_string()),
            Ty::Number if is_percent_text(&default) => ("percent", "%".to_string()),
            Ty::Number => ("number", String::new()),
            Ty::Date => ("date", String::new()),
            Ty::Bool => ("bool", String::new()),
            Ty::Rate(..) => ("rate", String::new()),
        };
        fields.push(InputField {
            name: s.name.clone(),
            kind,
            suffix,
            field: dv.map_or_else(|| default.clone(), |v| field_text(v, kind)),
            default,
            value: out.and_then(|o| o.value(i)).map(|v| v.to_string()),
            line: line_of(a, s.stmt_span.start),
            error: errors.get(&s.name).cloned(),
        });
    }
    fields
}

/// A value in a form field's terms: money without its currency, a percent
/// as its number of percent.
fn field_text(v: Value, kind: &str) -> String {
    match v {
        Value::Money(d, c) => format_amount(d, c),
        Value::Number(d) if kind == "percent" => d
            .checked_mul(Decimal::ONE_HUNDRED)
            .map_or_else(|| format_number(d), format_number),
        other => other.to_string(),
    }
}

/// A value written as a literal of the language, as a percent when the
/// default it replaces was written as one.
fn literal_text(v: Value, percent: bool) -> String {
    match v {
        Value::Number(d) if percent => match d.checked_mul(Decimal::ONE_HUNDRED) {
            Some(x) => format!("{}%", format_number(x)),
            None => v.to_string(),
        },
        other => other.to_string(),
    }
}

/// `GET /api/file`: the file on disk now, its version.
pub async fn file(State(app): AppState) -> Response {
    let mut wb = app.shared.lock();
    let disk = Disk::read(&wb.path);
    let name = wb.doc.name().to_string();
    let body = json!({
        "name": name,
        "text": disk.text.clone().unwrap_or_default(),
        "version": disk.version,
        "exists": disk.text.is_some(),
        "scenarios_file": wb.scenarios.display().to_string(),
    });
    wb.disk = disk;
    Json(body).into_response()
}

#[derive(Deserialize)]
pub struct SourceReq {
    text: String,
}

/// `POST /api/source`: the page's text changed; its diagnostics (those of
/// `splitdsl check`).
pub async fn source(State(app): AppState, Json(req): Json<SourceReq>) -> Response {
    let mut wb = app.shared.lock();
    wb.set_text(&req.text);
    Json(diagnostics(&wb)).into_response()
}

fn diagnostics(wb: &Workbook) -> Json_ {
    let doc = &wb.doc;
    let view = SourceView::new(doc.name(), doc.text());
    let diags: Vec<JsonDiagnostic> = doc
        .diagnostics()
        .iter()
        .map(|d| JsonDiagnostic::with_view(d, &view))
        .collect();
    json!({"ok": doc.is_ok(), "diagnostics": diags})
}

#[derive(Deserialize, Default)]
pub struct SaleReq {
    #[serde(default)]
    inputs: Overrides,
}

/// `POST /api/evaluate`: one sale with the page's inputs: the §7 JSON
/// breakdown, the chart, the form's inputs.
pub async fn evaluate(State(app): AppState, Json(req): Json<SaleReq>) -> Response {
    let wb = app.shared.lock();
    let Some((a, stale)) = agreement(&wb) else {
        return no_agreement();
    };
    let (inputs, errors) = inputs_of(a, &req.inputs);
    let p = &a.program;
    let out = a.evaluate_outcome(&inputs);
    let fields = input_fields(a, out.as_ref().ok(), &errors);
    let out = match out {
        Ok(o) => o,
        Err(d) => {
            return Json(json!({
                "stale": stale,
                "title": p.title,
                "inputs": fields,
                "error": d.message,
                "diagnostics": [diag_json(&d, &a.source.name, &a.source.text)],
            }))
            .into_response()
        }
    };
    let breakdown = Breakdown::new(a, &out);
    let price = crate::summary::price(&out);
    let mut rows = Vec::new();
    for l in crate::summary::lines(p, &out) {
        let line = p
            .slot(l.name)
            .map(|s| line_of(a, p.slots[s].stmt_span.start));
        rows.push(json!({
            "name": l.name,
            "percent": crate::report::percent(l.amount, price),
            "line": line,
        }));
    }
    let (texts, _) = crate::summary::requirement_failures(p, &out, &a.source.text);
    let requirements: Vec<Json_> = p
        .requirements
        .iter()
        .zip(&out.requirements)
        .enumerate()
        .map(|(i, (r, holds))| {
            json!({
                "message": r.message,
                "holds": holds,
                "detail": texts.get(i).cloned().flatten(),
            })
        })
        .collect();
    let fallback = Path::new(&a.source.name).file_stem().map_or_else(
        || a.source.name.clone(),
        |s| s.to_string_lossy().into_owned(),
    );
    let svg = chart::svg(&Waterfall::new(p, &out, &fallback));
    Json(json!({
        "stale": stale,
        "title": p.title,
        "inputs": fields,
        "breakdown": breakdown,
        "rows": rows,
        "requirements": requirements,
        "unallocated_percent": crate::report::percent(out.unallocated(), price),
        "svg": svg,
    }))
    .into_response()
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: String,
}

/// `POST /api/export?format=json|csv`: the breakdown as a file, byte for
/// byte what `splitdsl run --format json|csv --set …` prints.
pub async fn export(
    State(app): AppState,
    Query(q): Query<ExportQuery>,
    Json(req): Json<SaleReq>,
) -> Response {
    let wb = app.shared.lock();
    let Some((a, _)) = agreement(&wb) else {
        return no_agreement();
    };
    let (inputs, errors) = inputs_of(a, &req.inputs);
    if let Some((name, e)) = errors.into_iter().next() {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name}: {e}"),
            Vec::new(),
        );
    }
    let out = match a.evaluate_outcome(&inputs) {
        Ok(o) => o,
        Err(d) => {
            return fail(
                StatusCode::UNPROCESSABLE_ENTITY,
                d.message.clone(),
                vec![diag_json(&d, &a.source.name, &a.source.text)],
            )
        }
    };
    let stem = Path::new(&a.source.name)
        .file_stem()
        .map_or_else(|| "breakdown".into(), |s| s.to_string_lossy().into_owned());
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let (body, kind, ext) = match q.format.as_str() {
        "json" => match serde_json::to_string_pretty(&Breakdown::new(a, &out)) {
            Ok(s) => (s + "\n", "application/json", "json"),
            Err(e) => return fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), Vec::new()),
        },
        "csv" => (
            crate::report::csv(&a.program, &out),
            "text/csv; charset=utf-8",
            "csv",
        ),
        other => {
            return fail(
                StatusCode::BAD_REQUEST,
                format!("no export format `{other}`: use json or csv"),
                Vec::new(),
            )
        }
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct ExplainReq {
    #[serde(default)]
    inputs: Overrides,
    name: String,
}

fn node_json(a: &Agreement, n: &Node) -> Json_ {
    let p = &a.program;
    let line = match n.about {
        About::Slot(s) | About::When(s) => p.slots.get(s).map(|s| line_of(a, s.stmt_span.start)),
        _ => None,
    };
    let children: Vec<Json_> = n.children.iter().map(|c| node_json(a, c)).collect();
    json!({"text": n.text, "line": line, "children": children})
}

/// `POST /api/explain`: how a value was derived, with the line of each
/// named value.
pub async fn explain(State(app): AppState, Json(req): Json<ExplainReq>) -> Response {
    let wb = app.shared.lock();
    let Some((a, _)) = agreement(&wb) else {
        return no_agreement();
    };
    let (inputs, _) = inputs_of(a, &req.inputs);
    let Some(slot) = a.program.slot(&req.name) else {
        return fail(
            StatusCode::NOT_FOUND,
            format!("the agreement has no value named `{}`", req.name),
            Vec::new(),
        );
    };
    match crate::explain::tree(a, &inputs, slot) {
        Ok(node) => {
            let line = line_of(a, a.program.slots[slot].stmt_span.start);
            Json(json!({
                "name": req.name,
                "line": line,
                "tree": crate::stack::guard(|| node_json(a, &node)),
                "text": node.render(),
            }))
            .into_response()
        }
        Err(d) => fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            d.message.clone(),
            vec![diag_json(&d, &a.source.name, &a.source.text)],
        ),
    }
}

/// A REPL session on the agreement with the page's inputs set.
fn session(a: &Agreement, overrides: &Overrides) -> Result<Session, Box<Response>> {
    let mut s = Session::from_text(&a.source.name, &a.source.text).map_err(|e| {
        Box::new(fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            e.to_string(),
            Vec::new(),
        ))
    })?;
    for (name, value) in overrides {
        if !is_input(a, name) {
            continue;
        }
        let reply = s.handle(&format!("set {name} = {value}"));
        if let Some((d, _)) = reply.diagnostics.first() {
            return Err(Box::new(fail(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{name}: {}", d.message),
                Vec::new(),
            )));
        }
    }
    Ok(s)
}

fn repl_error(e: &crate::repl::Error) -> Response {
    let diags = e
        .diagnostics()
        .iter()
        .map(|(d, src)| diag_json(d, &src.name, &src.text))
        .collect();
    let msg = e.diagnostics().first().map_or_else(
        || e.to_string(),
        |(d, _)| match &d.help {
            Some(h) => format!("{}; {h}", d.message),
            None => d.message.clone(),
        },
    );
    fail(StatusCode::UNPROCESSABLE_ENTITY, msg, diags)
}

#[derive(Deserialize)]
pub struct SolveReq {
    #[serde(default)]
    inputs: Overrides,
    input: String,
    target: String,
    goal: String,
}

fn opt_str(v: Option<Value>) -> Option<String> {
    v.map(|v| v.to_string())
}

/// `POST /api/solve`: goal seek, exact to the cent (the REPL's `solve`).
pub async fn solve(State(app): AppState, Json(req): Json<SolveReq>) -> Response {
    let wb = app.shared.lock();
    let Some((a, _)) = agreement(&wb) else {
        return no_agreement();
    };
    let s = match session(a, &req.inputs) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let sol = match s.solve(&req.input, &req.target, &req.goal) {
        Ok(sol) => sol,
        Err(e) => return repl_error(&e),
    };
    let result = match &sol.result {
        SolveResult::Found {
            value, at, hits, ..
        } => {
            let percent = a
                .program
                .slot(&req.input)
                .and_then(|i| {
                    a.source
                        .text
                        .get(a.program.slots[i].expr.span.start..a.program.slots[i].expr.span.end)
                })
                .is_some_and(is_percent_text);
            json!({
                "kind": "found",
                "value": value.to_string(),
                "literal": literal_text(*value, percent),
                "target": opt_str(at.target),
                "hits": hits.to_string(),
                "requirements_hold": at.holds,
            })
        }
        SolveResult::Between { lower, upper, .. } => json!({
            "kind": "between",
            "lower": lower.value.to_string(),
            "lower_target": opt_str(lower.target),
            "upper": upper.value.to_string(),
            "upper_target": opt_str(upper.target),
        }),
        SolveResult::OutOfReach {
            lowest,
            highest,
            below,
            ..
        } => json!({
            "kind": "out_of_reach",
            "below": below,
            "lowest_target": opt_str(lowest.target),
            "highest_target": opt_str(highest.target),
        }),
    };
    Json(json!({
        "input": sol.input,
        "target": sol.target,
        "goal": sol.goal,
        "goal_value": opt_str(sol.goal_value),
        "tried": sol.tried.len(),
        "result": result,
    }))
    .into_response()
}

#[derive(Deserialize)]
pub struct AcceptReq {
    input: String,
    value: String,
}

/// `POST /api/accept`: the page's text with the input's default replaced
/// by `value` (only the default's bytes change), and the diff. Nothing is
/// written: the page shows the diff, then saves.
pub async fn accept(State(app): AppState, Json(req): Json<AcceptReq>) -> Response {
    let wb = app.shared.lock();
    let Some(a) = wb.doc.agreement() else {
        return fail(
            StatusCode::CONFLICT,
            "the text has errors: fix them before accepting a new default",
            Vec::new(),
        );
    };
    let p = &a.program;
    let Some(slot) = p
        .slot(&req.input)
        .filter(|&s| p.slots[s].kind == SlotKind::Input)
    else {
        return fail(
            StatusCode::NOT_FOUND,
            format!("the agreement has no input named `{}`", req.input),
            Vec::new(),
        );
    };
    // The value must be one the input takes (checked as `--set` checks it).
    let mut probe = a.raw_inputs();
    if let Err(d) = a.set_from_text(&mut probe, &format!("{}={}", req.input, req.value)) {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            d.message.clone(),
            Vec::new(),
        );
    }
    let span = p.slots[slot].expr.span;
    let text = wb.doc.text();
    let (Some(before), Some(after)) = (text.get(..span.start), text.get(span.end..)) else {
        return fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the default's span is out of the text",
            Vec::new(),
        );
    };
    let new_text = format!("{before}{}{after}", req.value.trim());
    let diff = crate::fmt::diff(wb.doc.name(), text, &new_text);
    Json(json!({"text": new_text, "diff": diff, "line": line_of(a, span.start)})).into_response()
}

#[derive(Deserialize, Clone)]
pub struct Range {
    input: String,
    from: String,
    to: String,
    step: String,
}

#[derive(Deserialize)]
pub struct TableReq {
    #[serde(default)]
    inputs: Overrides,
    rows: Range,
    cols: Option<Range>,
    result: String,
}

/// The most values a data table's second input takes.
const MAX_COLS: usize = 50;
/// The most rows of a data table.
const MAX_ROWS: usize = 500;

/// `POST /api/table`: a data table. One input: a row per value, a column
/// per fee and share (and the unallocated rest). Two inputs: the chosen
/// result for each pair. Every figure is a row of the REPL's `sweep`.
pub async fn table(State(app): AppState, Json(req): Json<TableReq>) -> Response {
    let wb = app.shared.lock();
    let Some((a, _)) = agreement(&wb) else {
        return no_agreement();
    };
    let s = match session(a, &req.inputs) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let r = &req.rows;
    let sweep_rows = |s: &Session| s.sweep(&r.input, &r.from, &r.to, &r.step);
    let currency = a.program.currency;
    let cell = |f: &Result<crate::repl::SweepFigures, Diagnostic>, col: usize, n: usize| -> Json_ {
        match f {
            Ok(f) if col < n => f
                .amounts
                .get(col)
                .map_or(Json_::Null, |d| json!(format_amount(*d, currency))),
            Ok(f) => json!(format_amount(f.unallocated, currency)),
            Err(_) => Json_::Null,
        }
    };
    match &req.cols {
        None => {
            let sw = match sweep_rows(&s) {
                Ok(sw) => sw,
                Err(e) => return repl_error(&e),
            };
            if sw.rows.len() > MAX_ROWS {
                return too_many(sw.rows.len(), MAX_ROWS);
            }
            let n = sw.deductions.len();
            let mut headers = sw.deductions.clone();
            headers.push("unallocated".into());
            let rows: Vec<Json_> = sw
                .rows
                .iter()
                .map(|row| {
                    let cells: Vec<Json_> = (0..=n).map(|c| cell(&row.figures, c, n)).collect();
                    json!({"value": row.value.to_string(), "cells": cells,
                           "failed_requirements": row.figures.as_ref().map(|f| f.failed_requirements).ok(),
                           "error": row.figures.as_ref().err().map(|d| d.message.clone())})
                })
                .collect();
            Json(json!({"currency": currency.code(), "row_input": r.input, "columns": headers, "rows": rows}))
                .into_response()
        }
        Some(c) => {
            let cols = match s.sweep(&c.input, &c.from, &c.to, &c.step) {
                Ok(sw) => sw,
                Err(e) => return repl_error(&e),
            };
            if cols.rows.len() > MAX_COLS {
                return too_many(cols.rows.len(), MAX_COLS);
            }
            let col_values: Vec<String> =
                cols.rows.iter().map(|row| row.value.to_string()).collect();
            let mut grid: Vec<Vec<Json_>> = Vec::new();
            let mut row_values: Vec<String> = Vec::new();
            let mut index = None;
            for (j, cv) in col_values.iter().enumerate() {
                let mut sj = s.clone();
                let reply = sj.handle(&format!("set {} = {cv}", c.input));
                if let Some((d, _)) = reply.diagnostics.first() {
                    return fail(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        d.message.clone(),
                        Vec::new(),
                    );
                }
                let sw = match sweep_rows(&sj) {
                    Ok(sw) => sw,
                    Err(e) => return repl_error(&e),
                };
                if sw.rows.len() > MAX_ROWS {
                    return too_many(sw.rows.len(), MAX_ROWS);
                }
                let n = sw.deductions.len();
                let k = match index {
                    Some(k) => k,
                    None => {
                        let k = if req.result == "unallocated" {
                            n
                        } else {
                            match sw.deductions.iter().position(|d| *d == req.result) {
                                Some(k) => k,
                                None => {
                                    return fail(
                                        StatusCode::UNPROCESSABLE_ENTITY,
                                        format!(
                                        "`{}` is not a fee or share; choose one, or `unallocated`",
                                        req.result
                                    ),
                                        Vec::new(),
                                    )
                                }
                            }
                        };
                        index = Some(k);
                        k
                    }
                };
                if j == 0 {
                    row_values = sw.rows.iter().map(|row| row.value.to_string()).collect();
                    grid = vec![Vec::with_capacity(col_values.len()); sw.rows.len()];
                }
                for (i, row) in sw.rows.iter().enumerate() {
                    if let Some(g) = grid.get_mut(i) {
                        g.push(cell(&row.figures, k, n));
                    }
                }
            }
            Json(json!({
                "currency": currency.code(),
                "row_input": r.input,
                "col_input": c.input,
                "result": req.result,
                "rows": row_values,
                "columns": col_values,
                "grid": grid,
            }))
            .into_response()
        }
    }
}

fn too_many(n: usize, max: usize) -> Response {
    fail(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("{n} values: at most {max} here; take a larger step"),
        Vec::new(),
    )
}

/// One named set of input values.
#[derive(Deserialize, Serialize, Clone, Debug)]
pub struct Scenario {
    name: String,
    #[serde(default)]
    inputs: Overrides,
}

/// The sidecar file `FILE.scenarios.json`.
#[derive(Deserialize, Serialize, Clone, Debug, Default)]
pub struct Scenarios {
    scenarios: Vec<Scenario>,
}

/// The most scenarios a sidecar holds.
const MAX_SCENARIOS: usize = 100;

/// `GET /api/scenarios`: the sidecar's scenarios (none when it is missing).
pub async fn scenarios(State(app): AppState) -> Response {
    let path = app.shared.lock().scenarios.clone();
    match std::fs::read_to_string(&path) {
        Ok(text) => match serde_json::from_str::<Scenarios>(&text) {
            Ok(s) => Json(s).into_response(),
            Err(e) => fail(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{} is not a scenarios file: {e}", path.display()),
                Vec::new(),
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Json(Scenarios::default()).into_response()
        }
        Err(e) => fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read {}: {e}", path.display()),
            Vec::new(),
        ),
    }
}

/// `POST /api/scenarios`: writes the sidecar (atomically).
pub async fn save_scenarios(State(app): AppState, Json(req): Json<Scenarios>) -> Response {
    if req.scenarios.len() > MAX_SCENARIOS {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("at most {MAX_SCENARIOS} scenarios"),
            Vec::new(),
        );
    }
    if req.scenarios.iter().any(|s| s.name.trim().is_empty()) {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a scenario needs a name",
            Vec::new(),
        );
    }
    let path = app.shared.lock().scenarios.clone();
    let text = match serde_json::to_string_pretty(&req) {
        Ok(t) => t + "\n",
        Err(e) => return fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), Vec::new()),
    };
    match crate::output::write_file(&path, text.as_bytes()) {
        Ok(()) => Json(json!({"saved": req.scenarios.len()})).into_response(),
        Err(e) => fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write {}: {e}", path.display()),
            Vec::new(),
        ),
    }
}

#[derive(Deserialize)]
pub struct CompareReq {
    scenarios: Vec<Scenario>,
}

/// `POST /api/compare`: each scenario beside the base case (the file's
/// defaults): every figure before and after and the difference, and the
/// requirements (the REPL's `what if`).
pub async fn compare(State(app): AppState, Json(req): Json<CompareReq>) -> Response {
    let wb = app.shared.lock();
    let Some((a, stale)) = agreement(&wb) else {
        return no_agreement();
    };
    if req.scenarios.len() > MAX_SCENARIOS {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("at most {MAX_SCENARIOS} scenarios"),
            Vec::new(),
        );
    }
    let base = match session(a, &Overrides::new()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let base_breakdown = match base.breakdown() {
        Ok(b) => b,
        Err(e) => return repl_error(&e),
    };
    let c = a.program.currency;
    let mut out = Vec::new();
    for sc in &req.scenarios {
        let changes: Vec<(&str, &str)> = sc
            .inputs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        // No change at all: the base case again (the price set to itself).
        let price = base_breakdown.price().to_string();
        let w = if changes.is_empty() {
            base.what_if(&[("price", price.as_str())])
        } else {
            base.what_if(&changes)
        };
        match w {
            Ok(w) => {
                let amount = |d: Option<Decimal>, cur| d.map(|d| format_amount(d, cur));
                let figures: Vec<Json_> = w
                    .figures
                    .iter()
                    .map(|f| {
                        json!({
                            "name": f.name,
                            "label": f.label,
                            "base": amount(f.before, w.before_currency),
                            "scenario": amount(f.after, w.after_currency),
                            "difference": w.difference(f).map(|d| format_amount(d, w.after_currency)),
                        })
                    })
                    .collect();
                let reqs: Vec<Json_> = w
                    .requirements
                    .iter()
                    .map(|r| json!({"message": r.message, "base": r.before, "scenario": r.after}))
                    .collect();
                out.push(json!({"name": sc.name, "figures": figures, "requirements": reqs}));
            }
            Err(e) => {
                let msg = e
                    .diagnostics()
                    .first()
                    .map_or_else(|| e.to_string(), |(d, _)| d.message.clone());
                out.push(json!({"name": sc.name, "error": msg}));
            }
        }
    }
    Json(json!({
        "stale": stale,
        "currency": c.code(),
        "base": base_breakdown,
        "scenarios": out,
    }))
    .into_response()
}

#[derive(Deserialize)]
pub struct SaveReq {
    text: String,
    /// The version of the file the page's text was loaded from or last saved as.
    base: String,
    /// Write even when the file changed on disk since `base`.
    #[serde(default)]
    overwrite: bool,
}

/// `POST /api/save`: writes the page's text to the file, atomically —
/// unless the file changed on disk since the page loaded it (409 with the
/// disk's text, so the page can offer to reload or overwrite).
pub async fn save(State(app): AppState, Json(req): Json<SaveReq>) -> Response {
    let mut wb = app.shared.lock();
    let disk = Disk::read(&wb.path);
    if disk.version != req.base && !req.overwrite {
        let body = json!({
            "error": "the file changed on disk since the page loaded it",
            "conflict": true,
            "disk_text": disk.text,
            "disk_version": disk.version,
        });
        wb.disk = disk;
        return (StatusCode::CONFLICT, Json(body)).into_response();
    }
    if let Err(e) = crate::output::write_file(&wb.path, req.text.as_bytes()) {
        return fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write {}: {e}", wb.path.display()),
            Vec::new(),
        );
    }
    wb.set_text(&req.text);
    let disk = Disk::read(&wb.path);
    let version = disk.version.clone();
    let written = version == version_of(Some(req.text.as_bytes()));
    wb.disk = disk;
    let mut body = diagnostics(&wb);
    body["version"] = json!(version);
    body["written"] = json!(written);
    Json(body).into_response()
}

/// `GET /api/events`: server-sent events; `disk` with the file's new
/// version when it changes on disk.
pub async fn events(State(app): AppState) -> Response {
    let rx = app.events.subscribe();
    let version = app.shared.lock().disk.version.clone();
    let first = futures_util::stream::once(async move {
        Ok::<Event, std::convert::Infallible>(Event::default().event("hello").data(version))
    });
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(v) => return Some((Ok(Event::default().event("disk").data(v)), rx)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    use futures_util::StreamExt;
    Sse::new(first.chain(rest))
        .keep_alive(KeepAlive::default())
        .into_response()
}
