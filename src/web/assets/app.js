// The workbook page. Every figure it shows comes from the server (the
// library's evaluator); this file only draws and sends what the user does.
"use strict";

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k);
  return e;
};

const state = {
  name: "",
  saved: "",          // the text as last loaded from or saved to disk
  base: "",           // that text's version on disk
  overrides: {},      // input name -> text sent to the server
  fields: [],         // the inputs as the server described them
  diagnostics: [],
  highlight: null,    // a line lit by explain
  selected: null,     // the deduction whose amount was clicked
  pendingDisk: null,  // a disk version the page has not taken
  names: [],
  seq: 0,
};

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const r = await fetch(path, opts);
  const type = r.headers.get("content-type") || "";
  const data = type.includes("json") && !path.startsWith("/api/export") ? await r.json() : await r.text();
  return { ok: r.ok, status: r.status, data, headers: r.headers };
}

const src = $("source");
const dirty = () => src.value !== state.saved;

function setStatus() {
  const s = $("status");
  const errors = state.diagnostics.filter((d) => d.severity === "error").length;
  if (dirty()) { s.dataset.state = "dirty"; s.textContent = "unsaved changes"; }
  else { s.dataset.state = "clean"; s.textContent = "saved"; }
  if (errors) { s.dataset.state = "error"; s.textContent += ` · ${errors} error${errors > 1 ? "s" : ""}`; }
}

// ---- the editor: gutter, backdrop with the diagnostics on their lines ----

function lineOfDiag(d) {
  const p = d.spans.find((s) => s.primary) || d.spans[0];
  return p ? p.line : 1;
}

function renderEditor() {
  const lines = src.value.split("\n");
  const byLine = new Map();
  for (const d of state.diagnostics) {
    const l = lineOfDiag(d);
    if (!byLine.has(l) || d.severity === "error") byLine.set(l, d);
  }
  const gutter = $("gutter");
  gutter.replaceChildren(...lines.map((_, i) => {
    const d = byLine.get(i + 1);
    return el("div", { class: d ? d.severity : "", title: d ? d.message : null, "data-line": i + 1 }, String(i + 1));
  }));
  const back = $("backdrop");
  back.replaceChildren(...lines.map((t, i) => {
    const d = byLine.get(i + 1);
    const cls = ["ln", d ? d.severity : "", state.highlight === i + 1 ? "hl" : ""].join(" ");
    return el("span", { class: cls, "data-line": i + 1 }, t || " ",
      d ? el("span", { class: `lens ${d.severity}` }, `${d.severity === "error" ? "■" : "▲"} ${d.message}`) : null);
  }));
  syncScroll();
  const list = $("diagnostics");
  list.replaceChildren(...state.diagnostics.map((d) => el("li", {
    class: d.severity, "data-line": lineOfDiag(d),
    onclick: () => goToLine(lineOfDiag(d)),
  }, `line ${lineOfDiag(d)}: ${d.message}`, d.help ? ` — ${d.help}` : "", " ", el("code", {}, d.code))));
  const n = state.diagnostics.filter((d) => d.severity === "error").length;
  $("diag-count").textContent = n ? `${n} error${n > 1 ? "s" : ""}` : "";
  setStatus();
}

function syncScroll() {
  $("backdrop").scrollTop = src.scrollTop;
  $("backdrop").scrollLeft = src.scrollLeft;
  $("gutter").scrollTop = src.scrollTop;
}
src.addEventListener("scroll", syncScroll);

function goToLine(line) {
  const lines = src.value.split("\n");
  let at = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
  src.scrollTop = Math.max(0, (line - 4) * 20);
  syncScroll();
  return at;
}

function highlight(line) {
  state.highlight = line;
  renderEditor();
  if (line) goToLine(line);
}

let sourceTimer = null;
src.addEventListener("input", () => {
  state.highlight = null;
  renderEditor();
  clearTimeout(sourceTimer);
  sourceTimer = setTimeout(sendSource, 120);
});
src.addEventListener("keydown", (e) => {
  if (e.key === "Tab") {
    e.preventDefault();
    document.execCommand("insertText", false, "  ");
  }
});

async function sendSource() {
  const text = src.value;
  const r = await api("/api/source", { text });
  if (text !== src.value) return; // a newer edit is on its way
  if (r.ok) {
    state.diagnostics = r.data.diagnostics;
    renderEditor();
    await evaluate();
  }
}

// ---- inputs, split table, chart ----

function overrideText(f, raw) {
  const t = raw.trim();
  if (f.kind === "money" && /^[-+]?[\d_.]+$/.test(t)) return `${t} ${f.suffix}`;
  if (f.kind === "percent" && /^[-+]?[\d_.]+$/.test(t)) return `${t}%`;
  return t;
}

function renderInputs(fields) {
  const form = $("inputs");
  const same = fields.length === state.fields.length &&
    fields.every((f, i) => f.name === state.fields[i].name && f.kind === state.fields[i].kind && f.default === state.fields[i].default);
  state.fields = fields;
  if (!same) {
    form.replaceChildren(...fields.map((f) => {
      let input;
      const own = state.overrides[f.name];
      if (f.kind === "bool") {
        input = el("input", { type: "checkbox", name: f.name, "data-input": f.name });
        input.checked = (own ?? f.field) === "true";
      } else {
        input = el("input", { type: f.kind === "date" ? "date" : "text", name: f.name, "data-input": f.name });
        input.value = own !== undefined ? own.replace(/\s*[A-Z]{3}$|%$/, "") : f.field;
      }
      const onChange = () => {
        const raw = f.kind === "bool" ? String(input.checked) : input.value;
        if (raw.trim() === "" || raw === f.field) delete state.overrides[f.name];
        else state.overrides[f.name] = overrideText(f, raw);
        scheduleEvaluate();
      };
      input.addEventListener("input", onChange);
      input.addEventListener("change", onChange);
      return el("label", { title: `line ${f.line}: ${f.name} = ${f.default}` },
        f.name,
        el("span", { class: "field", "data-field": f.name }, input, f.suffix ? el("span", { class: "unit" }, f.suffix) : null),
        el("span", { class: "err", "data-error": f.name }));
    }));
  }
  for (const f of fields) {
    const box = form.querySelector(`[data-field="${CSS.escape(f.name)}"]`);
    const err = form.querySelector(`[data-error="${CSS.escape(f.name)}"]`);
    if (box) {
      box.classList.toggle("changed", f.name in state.overrides);
      box.classList.toggle("bad", !!f.error);
    }
    if (err) err.textContent = f.error || "";
  }
  for (const sel of [$("goal-input"), $("dt-row"), $("dt-col")]) {
    const keep = sel.value;
    const first = sel === $("dt-col") ? [el("option", { value: "" }, "(every fee and share)")] : [];
    sel.replaceChildren(...first, ...fields.filter((f) => f.kind !== "bool").map((f) => el("option", { value: f.name }, f.name)));
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  }
}

let evalTimer = null;
function scheduleEvaluate() {
  clearTimeout(evalTimer);
  evalTimer = setTimeout(evaluate, 120);
}

async function evaluate() {
  const seq = ++state.seq;
  const r = await api("/api/evaluate", { inputs: state.overrides });
  if (seq !== state.seq) return;
  const d = r.data;
  if (!r.ok) {
    $("eval-error").hidden = false;
    $("eval-error").textContent = d.error || "the agreement does not evaluate";
    return;
  }
  renderInputs(d.inputs || []);
  $("stale").hidden = !d.stale;
  $("title").textContent = d.title || state.name;
  if (d.error) {
    $("eval-error").hidden = false;
    $("eval-error").textContent = d.error;
    return;
  }
  $("eval-error").hidden = true;
  const b = d.breakdown;
  state.names = b.deductions.map((x) => x.name);
  $("names").replaceChildren(...Object.keys(b.values).map((n) => el("option", { value: n })));
  const results = $("dt-result");
  const keep = results.value;
  results.replaceChildren(...[...state.names, "unallocated"].map((n) => el("option", { value: n }, n)));
  if ([...results.options].some((o) => o.value === keep)) results.value = keep;
  else if (state.names.length) results.value = state.names[state.names.length - 1];
  const cur = b.price.currency;
  const amount = (name, text) => el("span", { class: "amount", "data-amount": name, onclick: () => explain(name) }, text);
  const rows = [
    el("tr", { "data-row": "price", class: state.selected === "price" ? "selected" : "" },
      el("td", { class: "kind" }, "price"), el("td", {}, "price"), el("td", {}, ""),
      el("td", { class: "num" }, amount("price", `${b.price.amount} ${cur}`)), el("td", { class: "num" }, "100.00%"),
      el("td", { class: "num" }, b.price.amount)),
    ...b.deductions.map((x, i) => el("tr", { "data-row": x.name, class: state.selected === x.name ? "selected" : "" },
      el("td", { class: `kind ${x.kind}` }, x.kind), el("td", {}, x.name), el("td", {}, x.label || ""),
      el("td", { class: "num" }, amount(x.name, `${x.amount} ${x.currency}`)),
      el("td", { class: "num" }, d.rows[i] ? d.rows[i].percent : ""),
      el("td", { class: "num" }, x.remaining))),
    el("tr", { class: "total", "data-row": "unallocated" }, el("td", { class: "kind" }, ""), el("td", {}, "unallocated"), el("td", {}, ""),
      el("td", { class: "num" }, `${b.unallocated.amount} ${cur}`), el("td", { class: "num" }, d.unallocated_percent), el("td", {}, "")),
  ];
  $("split").tBodies[0].replaceChildren(...rows);
  $("requirements").replaceChildren(...d.requirements.map((q) =>
    el("li", { class: q.holds ? "ok" : "fail", title: q.detail || "" }, q.message, !q.holds && q.detail ? ` (${q.detail})` : "")));
  $("chart").innerHTML = d.svg; // the server's SVG: every text in it is escaped there
  if (state.selected) explain(state.selected, false);
}

// ---- explain ----

function treeNode(n) {
  const text = el("span", n.line ? { "data-line": n.line, title: `line ${n.line}`, onclick: (e) => { e.stopPropagation(); highlight(n.line); } } : {}, n.text);
  return el("li", {}, text, n.children.length ? el("ul", {}, n.children.map(treeNode)) : null);
}

async function explain(name, show = true) {
  state.selected = name;
  for (const tr of $("split").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.row === name);
  const r = await api("/api/explain", { inputs: state.overrides, name });
  if (!r.ok) { $("explain").textContent = r.data.error; return; }
  $("explain-hint").hidden = true;
  $("explain").replaceChildren(el("ul", { class: "tree" }, treeNode(r.data.tree)));
  if (show) {
    showTab("explain");
    highlight(r.data.line);
  }
}

// ---- tabs ----

function showTab(name) {
  for (const b of $("tabs").querySelectorAll("button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== `tab-${name}`;
}
$("tabs").addEventListener("click", (e) => { if (e.target.dataset.tab) showTab(e.target.dataset.tab); });

// ---- goal seek ----

$("goal").addEventListener("submit", async (e) => {
  e.preventDefault();
  const out = $("goal-result");
  out.textContent = "seeking…";
  const input = $("goal-input").value;
  const r = await api("/api/solve", { inputs: state.overrides, input, target: $("goal-target").value, goal: $("goal-value").value });
  if (!r.ok) { out.replaceChildren(el("div", { class: "error" }, r.data.error)); return; }
  const s = r.data, res = s.result;
  if (res.kind === "found") {
    out.replaceChildren(el("div", { class: "result-found", "data-solution": res.value },
      el("b", {}, `${s.input} = ${res.value}`), ` gives ${s.target} = ${res.target} exactly`,
      res.requirements_hold ? "" : " (a requirement fails there)", " ",
      el("button", { id: "goal-try", class: "quiet", onclick: () => tryValue(input, res.literal) }, "Try it"), " ",
      el("button", { id: "goal-accept", onclick: () => acceptDefault(input, res.literal) }, "Accept as the new default…")));
  } else if (res.kind === "between") {
    out.replaceChildren(el("div", { class: "result-miss" },
      `No value hits ${s.goal} exactly: ${s.input} = ${res.lower} gives ${res.lower_target}, ${res.upper} gives ${res.upper_target}.`));
  } else {
    out.replaceChildren(el("div", { class: "result-miss" },
      `Out of reach: over ${s.tried} values tried, ${s.target} stays ${res.below ? "below" : "above"} ${s.goal} (from ${res.lowest_target} to ${res.highest_target}).`));
  }
});

function tryValue(input, literal) {
  state.overrides[input] = literal;
  state.fields = []; // rebuild the form with the new value
  evaluate();
}

async function acceptDefault(input, literal) {
  const r = await api("/api/accept", { input, value: literal });
  if (!r.ok) { $("goal-result").append(el("div", { class: "error" }, r.data.error)); return; }
  const diff = $("diff");
  diff.replaceChildren(...r.data.diff.split("\n").map((l) =>
    el("span", { class: l.startsWith("+") && !l.startsWith("+++") ? "add" : l.startsWith("-") && !l.startsWith("---") ? "del" : "" }, l + "\n")));
  const dlg = $("diff-dialog");
  $("diff-note").textContent = dirty() ? "Your other unsaved edits are saved with it." : "";
  dlg.showModal();
  $("diff-confirm").onclick = async () => {
    dlg.close();
    src.value = r.data.text;
    delete state.overrides[input];
    state.fields = [];
    renderEditor();
    await save(false);
  };
  $("diff-cancel").onclick = () => dlg.close();
}

// ---- scenarios ----

let scenarios = [];

async function loadScenarios() {
  const r = await api("/api/scenarios");
  scenarios = r.ok ? r.data.scenarios : [];
  if (!r.ok) $("scenarios").replaceChildren(el("div", { class: "error" }, r.data.error));
  await compare();
}

async function storeScenarios() {
  const r = await api("/api/scenarios", { scenarios });
  if (!r.ok) $("scenarios").prepend(el("div", { class: "error" }, r.data.error));
  await compare();
}

$("scenario-add").addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = $("scenario-name").value.trim();
  if (!name) return;
  scenarios = scenarios.filter((s) => s.name !== name);
  scenarios.push({ name, inputs: { ...state.overrides } });
  $("scenario-name").value = "";
  await storeScenarios();
});

async function compare() {
  const box = $("scenarios");
  if (!scenarios.length) { box.replaceChildren(el("p", { class: "hint" }, "No scenarios yet: set some inputs, then save them under a name.")); return; }
  const r = await api("/api/compare", { scenarios });
  if (!r.ok) { box.replaceChildren(el("div", { class: "error" }, r.data.error)); return; }
  const d = r.data;
  const ok = d.scenarios.filter((s) => !s.error);
  const names = ok.length ? ok[0].figures.map((f) => f.name) : [];
  const head = el("tr", {}, el("th", {}, ""), el("th", { class: "num" }, "base case"),
    ...d.scenarios.map((s) => el("th", { class: "num", colspan: 2 }, s.name, " ",
      el("button", { class: "quiet", title: "delete", onclick: () => { scenarios = scenarios.filter((x) => x.name !== s.name); storeScenarios(); } }, "×"))));
  const sets = el("tr", {}, el("td", { class: "hint" }, "inputs"), el("td", { class: "hint num" }, "defaults"),
    ...d.scenarios.map((s) => el("td", { class: "hint num", colspan: 2 },
      Object.entries((scenarios.find((x) => x.name === s.name) || {}).inputs || {}).map(([k, v]) => `${k} = ${v}`).join(", ") || "defaults")));
  const body = names.map((n) => el("tr", { "data-figure": n }, el("td", {}, n),
    el("td", { class: "num" }, (ok[0].figures.find((f) => f.name === n) || {}).base ?? "—"),
    ...d.scenarios.flatMap((s) => {
      if (s.error) return [el("td", { class: "error", colspan: 2 }, s.error)];
      const f = s.figures.find((x) => x.name === n) || {};
      const diff = f.difference;
      const cls = !diff || /^-?0(\.0+)?$/.test(diff) ? "num hint" : diff.startsWith("-") ? "num neg" : "num pos";
      return [el("td", { class: "num" }, f.scenario ?? "—"),
        el("td", { class: cls }, diff === null || diff === undefined ? "" : (diff.startsWith("-") ? diff : `+${diff}`))];
    })));
  box.replaceChildren(el("table", { class: "compare" }, el("thead", {}, head), el("tbody", {}, sets, ...body)),
    el("p", { class: "hint" }, `amounts in ${d.currency}; each scenario beside the base case (the file's defaults), with the difference per party`));
}

// ---- data table ----

function rangeOf(prefix) {
  return { input: $(prefix).value, from: $(`${prefix}-from`).value, to: $(`${prefix}-to`).value, step: $(`${prefix}-step`).value };
}

function prefill(prefix) {
  const f = state.fields.find((x) => x.name === $(prefix).value);
  if (!f) return;
  const v = parseFloat(f.field);
  if (!isFinite(v)) return;
  const unit = f.suffix === "%" ? "%" : f.suffix ? ` ${f.suffix}` : "";
  const lo = v / 2, hi = v * 1.5, step = (hi - lo) / 10;
  const r = (x) => (Math.abs(x) >= 10 ? x.toFixed(0) : String(+x.toFixed(2)));
  $(`${prefix}-from`).value = r(lo) + unit;
  $(`${prefix}-to`).value = r(hi) + unit;
  $(`${prefix}-step`).value = r(step) + (f.suffix === "%" ? "%" : "");
}
$("dt-row").addEventListener("change", () => prefill("dt-row"));
$("dt-col").addEventListener("change", () => prefill("dt-col"));

$("dtable").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { inputs: state.overrides, rows: rangeOf("dt-row"), result: $("dt-result").value };
  if ($("dt-col").value) body.cols = rangeOf("dt-col");
  const out = $("dt-out");
  const r = await api("/api/table", body);
  if (!r.ok) { out.replaceChildren(el("div", { class: "error" }, r.data.error)); return; }
  const d = r.data;
  let table;
  if (d.grid) {
    table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, `${d.row_input} \\ ${d.col_input}`), ...d.columns.map((c) => el("th", { class: "num" }, c)))),
      el("tbody", {}, d.rows.map((v, i) => el("tr", {}, el("th", {}, v), ...d.grid[i].map((c) => el("td", { class: "num" }, c ?? "—"))))));
    out.replaceChildren(el("p", { class: "hint" }, `${d.result} in ${d.currency}`), el("div", { class: "grid-wrap" }, table));
  } else {
    table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, d.row_input), ...d.columns.map((c) => el("th", { class: "num" }, c)))),
      el("tbody", {}, d.rows.map((row) => el("tr", {}, el("th", {}, row.value),
        ...(row.error ? [el("td", { class: "error", colspan: d.columns.length }, row.error)] : row.cells.map((c) => el("td", { class: "num" }, c ?? "—")))))));
    out.replaceChildren(el("p", { class: "hint" }, `amounts in ${d.currency}`), el("div", { class: "grid-wrap" }, table));
  }
});

// ---- export ----

async function exportAs(format) {
  const r = await fetch(`/api/export?format=${format}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ inputs: state.overrides }),
  });
  if (!r.ok) { alert((await r.json()).error); return; }
  const blob = await r.blob();
  const disp = r.headers.get("content-disposition") || "";
  const m = disp.match(/filename="([^"]+)"/);
  const a = el("a", { href: URL.createObjectURL(blob), download: m ? m[1] : `breakdown.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
}
$("export-json").addEventListener("click", () => exportAs("json"));
$("export-csv").addEventListener("click", () => exportAs("csv"));

// ---- load, save, changes on disk ----

async function load() {
  const r = await api("/api/file");
  state.name = r.data.name;
  $("file").textContent = r.data.name.split(/[\\/]/).pop();
  $("file").title = r.data.name;
  $("scenario-file").textContent = `stored in ${r.data.scenarios_file}`;
  src.value = r.data.text;
  state.saved = r.data.text;
  state.base = r.data.version;
  state.pendingDisk = null;
  state.fields = [];
  $("banner").hidden = true;
  await sendSource();
}

async function save(overwrite) {
  const text = src.value;
  const r = await api("/api/save", { text, base: state.base, overwrite });
  if (r.status === 409) {
    conflict("The file changed on disk since you loaded it; your edits are not saved.", r.data.disk_version);
    return false;
  }
  if (!r.ok) { $("status").dataset.state = "error"; $("status").textContent = r.data.error; return false; }
  state.saved = text;
  state.base = r.data.version;
  state.pendingDisk = null;
  $("banner").hidden = true;
  state.diagnostics = r.data.diagnostics;
  renderEditor();
  await evaluate();
  return true;
}

function conflict(message, version) {
  state.pendingDisk = version;
  $("banner-text").textContent = message;
  $("banner").hidden = false;
}

$("save").addEventListener("click", () => save(false));
document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(false); }
});
$("banner-reload").addEventListener("click", () => {
  if (!dirty() || confirm("Drop your unsaved edits and load the file from disk?")) load();
});
$("banner-overwrite").addEventListener("click", () => save(true));
$("banner-dismiss").addEventListener("click", () => { $("banner").hidden = true; });

function listen() {
  const es = new EventSource("/api/events");
  es.addEventListener("disk", (e) => {
    if (e.data === state.base) return;
    if (!dirty()) load();
    else conflict("The file changed on disk, and you have unsaved edits here.", e.data);
  });
}

window.addEventListener("beforeunload", (e) => { if (dirty()) e.preventDefault(); });

load().then(() => { listen(); loadScenarios(); });
