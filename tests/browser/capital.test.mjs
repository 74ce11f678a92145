// Private-fund capital (issue 17) in a real browser against the demo binary: import a CSV of
// capital activity, make a capital call, see the capital account tie out, and the investor's
// own capital account; axe on each page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { BASE, ARTIFACTS, launch, newPage, signIn, check, api } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("capital: import a CSV, make a call, the capital account ties out", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.getByRole("link", { name: "Capital", exact: true }).click();
  await check(page, "capital-index");
  await page.getByRole("link", { name: "DEMO-LP" }).click();
  await check(page, "capital-fund");

  // Direct contributions for two committed investors, imported from a CSV file.
  const positions = await api("operator", "/api/funds/DEMO-LP/commitments?limit=2");
  const [a, b] = positions.items.map((p) => p.investorId);
  const today = new Date().toISOString().slice(0, 10);
  const csv = `type,investor_id,amount,date,deal\nCONTRIBUTION,${a},125.00,${today},DEAL-2\nCONTRIBUTION,${b},75.50,${today},DEAL-2\n`;
  const file = `${ARTIFACTS}/capital-import.csv`;
  writeFileSync(file, csv);
  await page.getByLabel("File").setInputFiles(file);
  await page.getByRole("button", { name: "Import" }).click();
  await page.getByText("The file was imported.").waitFor();

  // A call pro rata to uncalled capital; first with a due date before the call date.
  await page.getByLabel(/^Amount/).fill("10000.00");
  await page.getByLabel("Call date").fill(today);
  await page.getByLabel("Due date").fill("2000-01-01");
  await page.getByLabel("Description").fill("Browser call");
  await page.getByRole("button", { name: "Record call" }).click();
  await page.getByText("Due date: must not be before the call date").waitFor();
  await check(page, "capital-call-refused");
  await page.getByLabel("Due date").fill(today);
  await page.getByRole("button", { name: "Record call" }).click();
  await page.getByText("The capital call was recorded.").waitFor();
  assert.ok(await page.getByRole("cell", { name: "Browser call" }).isVisible());

  // The capital account for this year ties out to the fund total.
  await page.getByLabel("From", { exact: true }).fill(`${today.slice(0, 4)}-01-01`);
  await page.getByLabel("To", { exact: true }).fill(today);
  await page.getByRole("button", { name: "Show" }).click();
  const tie = await page.locator("#tie-out").textContent();
  assert.match(tie, /^Ties out/);
  await check(page, "capital-report");
});

test("capital: the investor sees their own capital account", async () => {
  const page = await newPage(browser);
  await signIn(page, "investor");
  await page.getByRole("link", { name: "Capital account" }).click();
  await page.getByLabel("From", { exact: true }).fill("2025-01-01");
  await page.getByLabel("To", { exact: true }).fill("2025-12-31");
  await page.getByRole("button", { name: "Show" }).click();
  await page.getByRole("heading", { name: /DEMO-LP/ }).waitFor();
  await check(page, "capital-portal");
  assert.equal(new URL(page.url()).pathname, "/account/capital");
  assert.ok(BASE);
});
