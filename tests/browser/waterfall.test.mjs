// The distribution waterfall (issue 17) in a real browser against the demo binary: DEMO-LP's
// terms, a hypothetical run with its chart, the run declared as a distribution and paid
// through the normal approve → process path, and the clawback; axe on each page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, signIn, signOut, check, eventually, api } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("waterfall: what-if, declare, approve, pay, clawback", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.getByRole("link", { name: "Capital", exact: true }).click();
  await page.getByRole("link", { name: "DEMO-LP" }).click();
  await page.getByRole("link", { name: /^Waterfall/ }).click();
  await page.getByText("Terms in force (version 1)").waitFor();
  await check(page, "waterfall");

  // A refused what-if names its fields and keeps what was typed.
  await page.getByLabel("Proceeds").first().fill("-5");
  await page.getByRole("button", { name: "Run the waterfall" }).click();
  await page.getByText(/^Proceeds: /).first().waitFor();
  await check(page, "waterfall-refused");

  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel("Proceeds").first().fill("10000000.00");
  await page.locator("#h-date").fill(today);
  await page.getByRole("button", { name: "Run the waterfall" }).click();
  await page.getByRole("table", { name: /^Tiers/ }).waitFor();
  assert.ok(await page.locator("svg.chart").isVisible(), "the tiers' chart is drawn");
  const tiers = await page.getByRole("table", { name: /^Tiers/ }).locator("tbody tr").count();
  assert.equal(tiers, 4);
  // The partners' rows add up to the proceeds (the table's footer).
  const total = await page.getByRole("table", { name: /^Per partner/ }).locator("tfoot td").last().textContent();
  assert.equal(total.trim(), "10,000,000.00");
  await check(page, "waterfall-hypothetical");

  // Declared: a DRAFT distribution whose allocation names the waterfall.
  const record = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  const payable = new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10);
  await page.getByLabel("Declaration date").fill(today);
  await page.getByLabel("Record date").fill(record);
  await page.getByLabel(/^Payable date/).fill(payable);
  await page.getByRole("button", { name: "Declare the distribution" }).click();
  await page.waitForURL(/\/distributions\/[0-9a-f-]+$/);
  await page.getByText("Waterfall of the fund's terms").waitFor();
  const id = page.url().split("/").pop();
  await check(page, "waterfall-distribution");
  await page.getByRole("button", { name: "Mark ready" }).click();
  await page.getByText("READY", { exact: true }).first().waitFor();
  await signOut(page);

  await signIn(page, "approver");
  await page.goto(`${new URL(page.url()).origin}/distributions/${id}`);
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByText("APPROVED", { exact: true }).first().waitFor();
  await signOut(page);

  await signIn(page, "operator");
  await page.goto(`${new URL(page.url()).origin}/distributions/${id}`);
  await page.getByRole("button", { name: "Process" }).click();
  const done = await eventually(async () => {
    const d = await api("operator", `/api/distributions/${id}`);
    return d.status === "COMPLETED" && d;
  }, 60000);
  assert.equal(done.totalAmount, "10000000.00");
  const run = await api("operator", `/api/distributions/${id}/waterfall`);
  assert.equal(run.proceeds, "10000000.00");

  // The clawback after it: the GP got what the cumulative figures entitle it to.
  await page.goto(`${new URL(page.url()).origin}/funds/DEMO-LP/waterfall`);
  await page.getByLabel("As of").fill(payable);
  await page.getByRole("button", { name: "Compute the clawback" }).click();
  await page.getByRole("table", { name: /^Clawback as of/ }).waitFor();
  await check(page, "waterfall-clawback");
});
