// Takes docs/workbook.png: `node tests/web/screenshot.mjs` (after a debug build).
import { copyExample, startServer, launch, repo } from "./harness.mjs";
import { join } from "node:path";

const ex = copyExample("hotmart.split");
const server = await startServer(ex.file);
const b = await launch({ width: 1500, height: 1000 });
try {
  const page = b.page;
  await page.goto(server.url);
  await page.locator('[data-row="producer"] .amount').waitFor();
  await page.fill('[data-input="price"]', "197.00");
  await page.locator('[data-row="producer"] .amount', { hasText: "103.54" }).waitFor();
  await page.click('[data-amount="affiliate"]');
  await page.locator(".tree").waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(repo, "docs", "workbook.png") });
} finally {
  await b.close();
  server.stop();
  ex.cleanup();
}
