// The inputs form with a bool, a number and money inputs: a copy of
// examples/subscription.split in headless chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyExample, startServer, launch } from "./harness.mjs";

let ex, server, browser, page;

before(async () => {
  ex = copyExample("subscription.split");
  server = await startServer(ex.file);
  browser = await launch();
  page = browser.page;
  await page.goto(server.url);
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.stop();
  if (ex) ex.cleanup();
});

const amount = (name) => page.locator(`[data-row="${name}"] .amount`);

test("every input is in the form, of its kind", async () => {
  await amount("producer").waitFor();
  assert.equal(await amount("producer").textContent(), "15.87 USD");
  assert.equal(await page.locator('[data-input="renewal"]').getAttribute("type"), "checkbox");
  assert.equal(await page.locator('[data-input="months"]').inputValue(), "1");
  assert.equal(await page.locator('[data-input="list_price"]').inputValue(), "29.90");
  assert.equal(await page.locator('[data-field="list_price"] .unit').textContent(), "USD");
});

test("a bool and a number recalculate: the second year's renewal", async () => {
  await page.check('[data-input="renewal"]');
  await amount("last_click").filter({ hasText: "1.85 USD" }).waitFor();
  await page.fill('[data-input="months"]', "13");
  await amount("loyalty").filter({ hasText: "1.00 USD" }).waitFor();
  assert.equal(await amount("producer").textContent(), "22.80 USD");
});

test("a money input takes a bare amount in its currency; a wrong value is shown on the field", async () => {
  await page.fill('[data-input="coupon"]', "10.00");
  await amount("hotmart").filter({ hasText: "2.47 USD" }).waitFor();
  await page.fill('[data-input="coupon"]', "10 EUR");
  await page.locator('[data-field="coupon"].bad').waitFor();
  assert.match(await page.locator('[data-error="coupon"]').textContent(), /EUR|currency/);
});
