// In-kind distributions in a real browser: add a security (a wrong check digit first), record
// the partnership's position, declare an in-kind distribution (preview, then create) and read
// its units and property value per line; axe on every page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, signIn, check } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("positions, a security, and a distribution of it in kind", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.goto(`${BASE}/positions`);
  const lp = await page.locator("#p-fund option", { hasText: "DEMO-LP" }).first().getAttribute("value");
  await page.locator("#p-fund").selectOption(lp);
  await page.getByRole("button", { name: "Show" }).click();
  await check(page, "inkind-positions");

  await page.getByLabel("Name").fill("Acme common");
  await page.getByLabel("Identifier type").selectOption("CUSIP");
  await page.getByLabel("Identifier", { exact: true }).fill("037833101");
  await page.getByRole("button", { name: "Add security" }).click();
  await page.getByText("Identifier: CUSIP check digit should be 0").waitFor();
  await check(page, "inkind-security-refused");
  // A ticker unique to this run (the demo database outlives one test file).
  const ticker = `T${Date.now() % 1000000}`;
  await page.getByLabel("Identifier type").selectOption("TICKER");
  await page.getByLabel("Identifier", { exact: true }).fill(ticker);
  await page.getByRole("button", { name: "Add security" }).click();
  await page.getByText("The security was added.").waitFor();

  await page.getByLabel("Security", { exact: true }).selectOption({ label: `Acme common (TICKER ${ticker})` });
  await page.getByLabel("Units held").fill("1000");
  await page.getByRole("button", { name: "Record position" }).click();
  await page.getByText("The position was recorded.").waitFor();
  await check(page, "inkind-position-recorded");

  await page.getByRole("link", { name: "Distribute a security in kind" }).click();
  await page.getByLabel("Security", { exact: true }).selectOption({ label: `Acme common (TICKER ${ticker})` });
  await page.getByLabel("Units to distribute").fill("1001");
  await page.getByLabel("Value per unit on the distribution date").fill("12.345");
  await page.getByLabel("Declaration date").fill("2026-03-02");
  await page.getByLabel("Record date").fill("2026-03-16");
  await page.getByLabel("Payable date (units delivered)").fill("2026-03-31");
  await page.getByRole("button", { name: "Preview" }).click();
  await page.locator("#err-quantity").waitFor();
  await check(page, "inkind-over-distribution");
  await page.getByLabel("Units to distribute").fill("1000");
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByRole("heading", { name: "Preview" }).waitFor();
  await check(page, "inkind-preview");
  await page.getByRole("button", { name: "Create distribution" }).click();
  await page.getByRole("heading", { name: "In kind" }).waitFor();
  assert.match(page.url(), /\/distributions\/[^/]+\/in-kind$/);
  const rows = await page.locator("tbody tr").count();
  assert.ok(rows > 0, "lines shown");
  await check(page, "inkind-detail");
});
