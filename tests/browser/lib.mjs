// Shared helpers of the browser tests: Debian's Chromium driven by playwright-core, axe-core
// injected into every page checked, screenshots of every page saved as artifacts.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const BASE = process.env.CLEARWAY_URL ?? "http://127.0.0.1:18080";
export const TOKENS = JSON.parse(readFileSync(process.env.CLEARWAY_TOKENS, "utf8"));
export const ARTIFACTS = process.env.CLEARWAY_ARTIFACTS ?? "/tmp/clearway-browser-artifacts";
mkdirSync(ARTIFACTS, { recursive: true });

/** Chromium from Debian, headless, with the flags a closed network needs. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A new page (phone width when asked) that fails the test on any CSP violation or JS error. */
export async function newPage(browser, { phone = false } = {}) {
  const context = await browser.newContext(phone
    ? { viewport: { width: 375, height: 740 }, deviceScaleFactor: 1, acceptDownloads: true }
    : { viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) page.problems.push(m.text());
  });
  page.on("pageerror", (e) => page.problems.push(String(e)));
  // Buttons that move money ask once more (data-confirm): a person says yes.
  page.on("dialog", (d) => d.accept());
  return page;
}

/** Signs in through the form as a demo role; lands on that role's home page. */
export async function signIn(page, role) {
  const who = TOKENS.signIn[role];
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("load");
  assert.ok(!page.url().includes("/login"), `signed in as ${role}: at ${page.url()}`);
}

export async function signOut(page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
}

let shots = 0;
/**
 * Checks the page as people and tools see it: axe-core finds no serious or critical
 * violation, no CSP violation or script error happened, and a screenshot is saved.
 */
export async function check(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  shots += 1;
  const file = `${ARTIFACTS}/${String(shots).padStart(2, "0")}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`), [],
    `axe on ${name} (${page.url()})`);
  assert.deepEqual(page.problems, [], `console errors on ${name}`);
}

/** The JSON API as a demo role (bearer token): GET, or POST of `body`. */
export async function api(role, path, body) {
  const init = { headers: { Authorization: `Bearer ${TOKENS[role]}` } };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.headers["Idempotency-Key"] = crypto.randomUUID();
    init.body = JSON.stringify(body);
  }
  const r = await fetch(`${BASE}${path}`, init);
  const text = await r.text();
  assert.ok(r.ok, `${role} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

/** The API as a demo role with a raw body (statement uploads): status and JSON. */
export async function upload(role, path, body) {
  const r = await fetch(`${BASE}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKENS[role]}`, "Content-Type": "application/octet-stream" },
    body,
  });
  const text = await r.text();
  assert.ok(r.ok, `${role} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

/** Polls `probe` every 250 ms until it returns a truthy value (at most `ms`). */
export async function eventually(probe, ms = 30000) {
  // A probe that throws (a failed assertion) is retried like one that returns false; the
  // last error is what a timeout reports.
  const until = Date.now() + ms;
  for (;;) {
    let last;
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw last ?? new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 250));
  }
}
