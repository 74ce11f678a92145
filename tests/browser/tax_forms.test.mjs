// Year-end tax forms (issue 19) in a real browser against the demo binary: an admin closes
// last year on /tax, issues the open-end fund's forms with a run and follows its progress,
// opens the fund-year's 1099-DIV list and its copy B PDF link; the investor's portal lists
// their forms. axe on each page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, signIn, check, eventually } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("tax forms: close the year, run generation, open a 1099-DIV PDF", async () => {
  const year = new Date().getUTCFullYear() - 1;
  const page = await newPage(browser);
  await signIn(page, "admin");
  await page.getByRole("link", { name: "Tax", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Tax forms" }).waitFor();
  await check(page, "tax-hub");

  // The current year has not ended: refused, naming the year.
  await page.getByLabel("Year to close").fill(String(year + 1));
  await page.getByRole("button", { name: "Close the year" }).click();
  await page.locator("#err-taxYear").getByText(/^Year: has not ended/).waitFor();
  await check(page, "tax-hub-refused");

  await page.getByLabel("Year to close").fill(String(year));
  await page.getByRole("button", { name: "Close the year" }).click();
  await page.getByRole("link", { name: String(year), exact: true }).waitFor();

  await page.getByRole("button", { name: `Issue forms of DEMO-OPEN for ${year}` }).click();
  // The probe returns false until the job is done: `eventually` retries on a false value,
  // not on a thrown assertion (it threw at once on a busy box while the job still ran).
  const done = await eventually(async () => {
    await page.goto(new URL(`/tax?year=${year}`, page.url()).href);
    const row = page.getByRole("row").filter({ hasText: "DEMO-OPEN" });
    const text = await row.innerText();
    return /DONE/.test(text) && text;
  });
  assert.match(done, /DONE/);
  await check(page, "tax-hub-done");

  await page.getByRole("link", { name: "DEMO-OPEN", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: /^1099-DIV of / }).waitFor();
  await check(page, "tax-fund-year");
  const link = page.getByRole("link", { name: /^1099-DIV PDF of / }).first();
  const href = await link.getAttribute("href");
  const resp = await page.request.get(new URL(href, page.url()).href);
  assert.equal(resp.status(), 200);
  assert.equal(resp.headers()["content-type"], "application/pdf");
  assert.equal((await resp.body()).subarray(0, 5).toString(), "%PDF-");
});

test("tax forms: the investor's portal lists their forms", async () => {
  const page = await newPage(browser);
  await signIn(page, "investor");
  await page.getByRole("link", { name: "Tax forms", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "My tax forms" }).waitFor();
  await check(page, "tax-portal");
});
