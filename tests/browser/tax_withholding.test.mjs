// Tax profiles and withholding (issue 19) in a real browser against the demo binary: enter a
// profile through the form (a bad TIN refused next to its field, then a good one shown
// masked), the profile list, the liability page, the investor's own profile; axe on each.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, signIn, check, api } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("tax: edit a profile through the form, see the masked TIN", async () => {
  const investors = await api("operator", "/api/investors?limit=100");
  const id = investors.items[investors.items.length - 1].id;
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.goto(`${BASE}/investors/${id}/tax-profile`);
  await check(page, "tax-profile");
  await page.getByLabel("TIN type").selectOption("SSN");
  await page.getByLabel(/^TIN \(nine digits/).fill("12-34");
  await page.getByLabel("TIN status").selectOption("CERTIFIED");
  await page.getByLabel("Certificate").selectOption("W-9");
  await page.getByLabel(/^State of residence/).fill("CA");
  await page.getByRole("button", { name: "Save the profile" }).click();
  await page.locator("#err-tin").waitFor();
  await check(page, "tax-profile-refused");
  await page.getByLabel(/^TIN \(nine digits/).fill("123-45-6789");
  await page.getByRole("button", { name: "Save the profile" }).click();
  await page.getByText("•••••6789").first().waitFor();
  assert.ok(!(await page.content()).includes("123-45-6789"), "the TIN never shows in clear");
  const stored = await api("operator", `/api/investors/${id}/tax-profile`);
  assert.equal(stored.tinMasked, "•••••6789");
  assert.equal(stored.residenceState, "CA");
  await check(page, "tax-profile-saved");
  await page.goto(`${BASE}/tax/profiles`);
  await page.getByRole("link", { name: id }).first().waitFor();
  await check(page, "tax-profiles");
});

test("tax: the withholding liability page and the investor's profile", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.goto(`${BASE}/tax/withholding`);
  await page.getByRole("heading", { name: "Withholding liability" }).waitFor();
  await page.getByLabel("Period").selectOption("quarter");
  await page.getByRole("button", { name: "Show" }).click();
  await page.getByRole("link", { name: "Liability report as CSV" }).waitFor();
  await check(page, "tax-withholding");
  const me = await newPage(browser);
  await signIn(me, "investor");
  await me.goto(`${BASE}/account/tax-profile`);
  await me.getByRole("heading", { name: "Your tax profile" }).waitFor();
  await check(me, "tax-profile-portal");
});
