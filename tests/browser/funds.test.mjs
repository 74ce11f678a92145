// The funds pages (issue 17, share classes) in a real browser, against the real binary serving demo data:
// the funds list, a fund's overview, and adding a share class (a refusal shown next to its field, then success).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, signIn, check } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("funds list -> the open-end fund's page -> add a share class", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.getByRole("link", { name: "Funds" }).click();
  assert.match(page.url(), /\/funds$/);
  await check(page, "funds");
  await page.getByRole("link", { name: "DEMO-OPEN" }).click();
  assert.match(page.url(), /\/funds\/[^/?]+$/);
  await check(page, "fund-open");
  const classes = page.getByRole("table", { name: /Classes on/ });
  assert.equal(await classes.getByRole("rowheader", { name: "DEFAULT" }).count(), 1);

  // A code the fund cannot take: the error sits next to the field, the typed values stay.
  await page.getByLabel(/^Code/).fill("DEFAULT");
  await page.getByLabel(/^Name/).fill("Institutional");
  await page.getByRole("button", { name: "Add class" }).click();
  await page.locator("#err-code").waitFor();
  assert.match(await page.locator("#err-code").textContent(), /implicit class/);
  assert.equal(await page.getByLabel(/^Code/).getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel(/^Name/).inputValue(), "Institutional");
  await check(page, "fund-class-refused");

  // A fresh code each run (the demo database outlives one run).
  const code = `I${Date.now() % 100000}`;
  await page.getByLabel(/^Code/).fill(code);
  await page.getByRole("button", { name: "Add class" }).click();
  await page.getByText("The class was added.").waitFor();
  assert.equal(await classes.getByRole("rowheader", { name: code }).count(), 1);
  await check(page, "fund-class-added");
});

test("a partnership's page offers no class form", async () => {
  const page = await newPage(browser);
  await signIn(page, "auditor");
  await page.goto(`${BASE}/funds`);
  await page.getByRole("link", { name: "DEMO-LP" }).click();
  await page.getByText("Partnership").first().waitFor();
  assert.equal(await page.getByRole("button", { name: "Add class" }).count(), 0);
  await check(page, "fund-lp");
});
