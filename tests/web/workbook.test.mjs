// End to end: `splitdsl serve` on a copy of examples/hotmart.split, driven
// in Debian's headless chromium. Run with `node --test` (see .ci/serve.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { copyExample, startServer, launch } from "./harness.mjs";

let ex, server, browser, page;

before(async () => {
  ex = copyExample("hotmart.split");
  server = await startServer(ex.file);
  browser = await launch();
  page = browser.page;
  page.on("pageerror", (e) => { throw e; });
  await page.goto(server.url);
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.stop();
  if (ex) ex.cleanup();
});

const amount = (name) => page.locator(`[data-row="${name}"] .amount`);
const disk = () => readFileSync(ex.file, "utf8");
const editor = () => page.locator("#source");

test("the page shows the split of the file: the producer gets 52.42", async () => {
  await amount("producer").waitFor();
  assert.equal(await amount("producer").textContent(), "52.42 USD");
  assert.equal(await amount("hotmart").textContent(), "10.40 USD");
  assert.match(await page.locator("#requirements").textContent(), /✓?.*at least 30%/);
  assert.equal(await page.locator("#requirements li.ok").count(), 1);
  // The chart is the server's SVG (the one `run --svg` writes).
  assert.equal(await page.locator("#chart svg").count(), 1);
});

test("changing the price input recalculates the table", async () => {
  await page.fill('[data-input="price"]', "200.00");
  await page.locator('[data-row="producer"] .amount', { hasText: "105.12 USD" }).waitFor();
  assert.equal(await amount("hotmart").textContent(), "20.30 USD");
  assert.equal(await amount("affiliate").textContent(), "62.90 USD");
  assert.equal(await amount("coproducer").textContent(), "11.68 USD");
  // Back to the file's default.
  await page.fill('[data-input="price"]', "100.00");
  await page.locator('[data-row="producer"] .amount', { hasText: "52.42 USD" }).waitFor();
});

test("a typo shows its diagnostic on its line, and goes away when fixed", async () => {
  const good = await editor().inputValue();
  const lines = good.split("\n");
  const n = lines.findIndex((l) => l.startsWith("share producer")) + 1;
  assert.ok(n > 0);
  await editor().fill(good.replace('"Carla"   = remaining', '"Carla"   = remainin'));
  const gutter = page.locator(`#gutter div[data-line="${n}"].error`);
  await gutter.waitFor();
  assert.match(await gutter.getAttribute("title"), /remainin/);
  const line = page.locator(`#backdrop .ln.error[data-line="${n}"]`);
  assert.match(await line.textContent(), /remainin/);
  // Only that line is marked.
  assert.equal(await page.locator("#gutter div.error").count(), 1);
  // The figures stay, from the last text that checked.
  assert.equal(await page.locator("#stale").isVisible(), true);
  await editor().fill(good);
  await page.locator("#gutter div.error").first().waitFor({ state: "detached" });
  assert.equal(await page.locator("#stale").isVisible(), false);
});

test("save writes the edited text to the file", async () => {
  const text = (await editor().inputValue()).replace("price = 100.00 USD", "price = 120.00 USD");
  await editor().fill(text);
  await page.locator("#status", { hasText: "unsaved" }).waitFor();
  assert.match(disk(), /price = 100\.00 USD/);
  await editor().focus();
  await page.keyboard.press("Control+s");
  await page.locator("#status", { hasText: /^saved/ }).waitFor();
  assert.equal(disk(), text);
  await amount("producer").filter({ hasText: "62.95 USD" }).waitFor();
});

test("a change on disk reloads the page's copy when it has no unsaved edits", async () => {
  const text = disk().replace("price = 120.00 USD", "price = 100.00 USD");
  writeFileSync(ex.file, text);
  await page.waitForFunction((t) => document.getElementById("source").value === t, text);
  await page.locator('[data-row="producer"] .amount', { hasText: "52.42 USD" }).waitFor();
});

test("a change on disk never drops unsaved edits: the page offers reload or overwrite", async () => {
  const mine = (await editor().inputValue()).replace('agreement "Online marketing course"', 'agreement "Mine"');
  await editor().fill(mine);
  const theirs = disk().replace('agreement "Online marketing course"', 'agreement "Theirs"');
  writeFileSync(ex.file, theirs);
  await page.locator("#banner").waitFor({ state: "visible" });
  assert.equal(await editor().inputValue(), mine);
  // Saving now is refused (409) and keeps both sides.
  await page.click("#save");
  await page.waitForTimeout(300);
  assert.equal(disk(), theirs);
  assert.equal(await editor().inputValue(), mine);
  await page.click("#banner-overwrite");
  await page.locator("#status", { hasText: /^saved/ }).waitFor();
  assert.equal(disk(), mine);
});

test("goal seek finds the price exactly, and Accept writes it after showing the diff", async () => {
  await page.click('#tabs button[data-tab="goal"]');
  await page.selectOption("#goal-input", "price");
  await page.fill("#goal-target", "producer");
  await page.fill("#goal-value", "60.00 USD");
  await page.click('#goal button[type="submit"]');
  const found = page.locator("[data-solution]");
  await found.waitFor();
  assert.equal(await found.getAttribute("data-solution"), "114.40 USD");
  assert.match(await found.textContent(), /producer = 60\.00 USD/);
  await page.click("#goal-accept");
  await page.locator("#diff-dialog[open]").waitFor();
  const diff = await page.locator("#diff").textContent();
  assert.match(diff, /^-price = 100\.00 USD/m);
  assert.match(diff, /^\+price = 114\.40 USD/m);
  assert.match(disk(), /price = 100\.00 USD/, "nothing is written before the confirmation");
  const before = disk();
  await page.click("#diff-confirm");
  await page.locator("#status", { hasText: /^saved/ }).waitFor();
  const after = disk();
  assert.equal(after, before.replace("price = 100.00 USD", "price = 114.40 USD"), "only the default changed");
  await amount("producer").filter({ hasText: "60.00 USD" }).waitFor();
});

test("clicking an amount shows its explain tree and highlights its line", async () => {
  await page.click('[data-amount="affiliate"]');
  const tree = page.locator("#explain .tree");
  await tree.waitFor();
  assert.match(await tree.textContent(), /affiliate = \d+\.\d\d USD/);
  const lineNo = (await editor().inputValue()).split("\n").findIndex((l) => l.startsWith("share affiliate")) + 1;
  await page.locator(`#backdrop .ln.hl[data-line="${lineNo}"]`).waitFor();
});

test("scenarios are stored beside the file and compared with the base case", async () => {
  await page.click('#tabs button[data-tab="scenarios"]');
  await page.fill('[data-input="price"]', "200.00");
  await page.locator('[data-row="producer"] .amount', { hasText: "105.12 USD" }).waitFor();
  await page.fill("#scenario-name", "launch price");
  await page.click('#scenario-add button[type="submit"]');
  const row = page.locator('#scenarios tr[data-figure="producer"]');
  await row.waitFor();
  const text = await row.textContent();
  assert.match(text, /60\.00/);     // the base case (the file's default, now 114.40 USD)
  assert.match(text, /105\.12/);    // the scenario
  assert.match(text, /\+45\.12/);   // the difference
  const side = JSON.parse(readFileSync(`${ex.file}.scenarios.json`, "utf8"));
  assert.deepEqual(side.scenarios, [{ name: "launch price", inputs: { price: "200.00 USD" } }]);
});

test("the data table sweeps an input", async () => {
  await page.click('#tabs button[data-tab="table"]');
  await page.selectOption("#dt-row", "price");
  await page.fill("#dt-row-from", "100 USD");
  await page.fill("#dt-row-to", "200 USD");
  await page.fill("#dt-row-step", "100");
  await page.click('#dtable button[type="submit"]');
  const cells = page.locator("#dt-out tbody tr");
  await cells.first().waitFor();
  assert.equal(await cells.count(), 2);
  assert.match(await cells.nth(0).textContent(), /52\.42/);
  assert.match(await cells.nth(1).textContent(), /105\.12/);
});

test("export gives the JSON of `run --format json`", async () => {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-json")]);
  const path = await download.path();
  const json = JSON.parse(readFileSync(path, "utf8"));
  assert.equal(json.price.amount, "200.00");
  assert.equal(json.deductions.at(-1).amount, "105.12");
});
