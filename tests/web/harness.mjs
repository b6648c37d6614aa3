// Shared by the end-to-end tests and the screenshot script: a `splitdsl
// serve` process on a copy of a shipped example, and Debian's chromium
// driven by playwright-core (never a downloaded browser).
import { spawn } from "node:child_process";
import { mkdtempSync, copyFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "..", "..");

/** The binary: $SPLITDSL_BIN, or the debug build in $CARGO_TARGET_DIR / target. */
export function binary() {
  if (process.env.SPLITDSL_BIN) return process.env.SPLITDSL_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(repo, "target");
  return join(target, "debug", "splitdsl");
}

/** Copies examples/NAME into a fresh temporary folder (the shipped file is never edited). */
export function copyExample(name) {
  const dir = mkdtempSync(join(tmpdir(), "splitdsl-workbook-"));
  const file = join(dir, name);
  copyFileSync(join(repo, "examples", name), file);
  return { dir, file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts `splitdsl serve FILE` on a free port; resolves with its URL. */
export function startServer(file) {
  return new Promise((ok, fail) => {
    const proc = spawn(binary(), ["serve", file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => fail(new Error(`no URL from splitdsl serve: ${out} ${err}`)), 20000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[0], proc, stop: () => proc.kill("SIGTERM") });
      }
    });
    proc.stderr.on("data", (d) => { err += d; });
    proc.on("error", (e) => { clearTimeout(timer); fail(e); });
    proc.on("exit", (code) => { clearTimeout(timer); fail(new Error(`splitdsl serve exited ${code}: ${err}`)); });
  });
}

/** Debian's chromium, headless, with a fresh profile. */
export async function launch(viewport = { width: 1400, height: 900 }) {
  const profile = mkdtempSync(join(tmpdir(), "splitdsl-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport,
    acceptDownloads: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const page = context.pages()[0] || (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
