// Investor documents (issue 18) in a real browser against the demo binary: the investor
// generates and downloads a distribution notice PDF and generates a statement of a period;
// staff open an investor's documents; axe on each page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ARTIFACTS, launch, newPage, signIn, check, api } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("documents: the investor downloads a notice PDF and generates a statement", async () => {
  const page = await newPage(browser);
  await signIn(page, "investor");
  await page.getByRole("link", { name: "Documents", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "My documents" }).waitFor();
  await check(page, "documents-portal");

  // A notice of the newest distribution, as PDF.
  const choice = page.locator("#n-dist option").nth(1);
  await page.locator("#n-dist").selectOption(await choice.getAttribute("value"));
  await page.locator("#n-format").selectOption("pdf");
  await page.getByRole("button", { name: "Generate the notice" }).click();
  await page.getByText(/Distribution notice ready, version \d+\./).waitFor();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("status").getByRole("link", { name: /^Download notice-.*\.pdf$/ }).click(),
  ]);
  const file = `${ARTIFACTS}/${download.suggestedFilename()}`;
  await download.saveAs(file);
  assert.match(download.suggestedFilename(), /^notice-[0-9a-f-]+-v\d+\.pdf$/);
  assert.equal(readFileSync(file).subarray(0, 5).toString(), "%PDF-");

  // A statement of last year, as XLSX; a period ending before it starts is refused.
  const year = new Date().getUTCFullYear() - 1;
  await page.getByLabel("From", { exact: true }).fill(`${year}-12-31`);
  await page.getByLabel("To", { exact: true }).fill(`${year}-01-01`);
  await page.getByRole("button", { name: "Generate the statement" }).click();
  await page.getByText("To: must be on or after from").waitFor();
  await check(page, "documents-refused");
  await page.getByLabel("From", { exact: true }).fill(`${year}-01-01`);
  await page.getByLabel("To", { exact: true }).fill(`${year}-12-31`);
  await page.locator("#s-format").selectOption("xlsx");
  await page.getByRole("button", { name: "Generate the statement" }).click();
  await page.getByText(/Statement ready, version \d+\./).waitFor();
  assert.ok(await page.getByRole("cell", { name: `${year}-01-01 to ${year}-12-31` }).first().isVisible());
  await check(page, "documents-generated");
});

test("documents: staff see an investor's documents", async () => {
  const investors = await api("operator", "/api/investors?limit=1");
  const id = investors.items[0].id;
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.goto(new URL(`/investors/${id}/documents`, page.url()).href);
  await page.getByRole("heading", { level: 1, name: /^Documents of / }).waitFor();
  await check(page, "documents-staff");
});
