// The flows of issue 16 in a real browser, against the real binary serving demo data.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, signIn, signOut, check } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("sign-in page, a wrong password, then the operator's distributions list", async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/distributions`);
  assert.match(page.url(), /\/login\?next=%2Fdistributions$/);
  await check(page, "login");
  await page.getByLabel("Email").fill("operator@demo.clearway.dev");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await assertText(page, "Email or password is wrong.");
  assert.equal(await page.getByLabel("Email").inputValue(), "operator@demo.clearway.dev");
  await check(page, "login-refused");
  await signIn(page, "operator");
  assert.match(page.url(), /\/distributions$/);
  await check(page, "distributions");
  // Filters keep their values and the totals line follows them.
  await page.getByLabel("Status").selectOption("COMPLETED");
  await page.getByRole("button", { name: "Filter" }).click();
  assert.match(page.url(), /status=COMPLETED/);
  const rows = await page.locator("tbody tr").count();
  assert.ok(rows > 0 && rows <= 50, `one page of rows: ${rows}`);
  assert.equal(await page.locator("tbody .status").filter({ hasNotText: "COMPLETED" }).count(), 0);
  await signOut(page);
  await assertText(page, "You have signed out.");
});

test("keyboard: skip link, then the navigation, with a visible focus", async () => {
  const page = await newPage(browser);
  await signIn(page, "auditor");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, "none", "focus is visible");
});

test("phone width: the list page fits without a horizontal page scroll", async () => {
  const page = await newPage(browser, { phone: true });
  await signIn(page, "approver");
  await check(page, "distributions-phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page wider than the screen by ${overflow}px`);
});

test("the security page offers TOTP to an approver", async () => {
  const page = await newPage(browser);
  await signIn(page, "approver");
  await page.goto(`${BASE}/account/security`);
  await page.getByRole("button", { name: "Set up two-step sign-in" }).click();
  await assertText(page, "Key:");
  await check(page, "security-totp-enrolment");
});

async function assertText(page, text) {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 5000 });
}
