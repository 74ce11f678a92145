// The flows of issue 16 in a real browser, against the real binary serving demo data.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BASE, TOKENS, launch, newPage, signIn, signOut, check, api } from "./lib.mjs";

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

test("investor: own line only, DRIP election changed, statement downloaded, another's page is 404", async () => {
  const page = await newPage(browser);
  await signIn(page, "investor");
  assert.match(page.url(), /\/account\/distributions$/);
  await check(page, "account-distributions");
  await page.locator("tbody a").first().click();
  await page.waitForURL(/\/account\/distributions\/[0-9a-f-]+$/);
  const id = page.url().split("/").pop();
  await check(page, "account-distribution");
  // The amount shown is the investor's own line, as the API gives it to them.
  const lines = await api("investor", `/api/distributions/${id}/lines`);
  assert.equal(lines.items.length, 1, "the API gives the investor one line");
  const own = lines.items[0].totalAmount;
  const shown = (await page.locator("#my-amount").textContent()).replaceAll(",", "");
  assert.ok(shown.startsWith(own), `page shows ${shown}, API says ${own}`);
  // Staff totals are never on the page: the organization's total differs from the line.
  const staff = await api("operator", `/api/distributions/${id}`);
  if (staff.lineCount > 1) assert.ok(!(await page.content()).includes(staff.totalAmount));

  await page.getByRole("link", { name: "Tax documents and statement" }).click();
  await check(page, "account-tax-documents");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: /as CSV/ }).click(),
  ]);
  const csv = readFileSync(await download.path(), "utf8");
  assert.ok(csv.includes(own), `statement carries the amount ${own}`);

  await page.goto(`${BASE}/account/reinvestment-preferences`);
  await check(page, "account-reinvestment");
  const fund = await page.locator("#e-fund-in option", { hasText: "DEMO-OPEN" }).first().getAttribute("value");
  await page.locator("#e-fund-in").selectOption(fund);
  await page.locator("#e-election").selectOption("PARTIAL");
  await page.getByLabel(/Percentage reinvested/).fill("150");
  await page.getByRole("button", { name: "Save election" }).click();
  await assertText(page, "The election was not saved");
  assert.equal(await page.getByLabel(/Percentage reinvested/).getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel(/Percentage reinvested/).inputValue(), "150");
  await check(page, "account-reinvestment-error");
  await page.getByLabel(/Percentage reinvested/).fill("40");
  await page.getByRole("button", { name: "Save election" }).click();
  await assertText(page, "Your election was saved.");
  const me = (await api("investor", "/api/investors")).items[0].id;
  const elections = await api("investor", `/api/investors/${me}/reinvestment-preferences/history`);
  assert.ok(JSON.stringify(elections).includes("40"), JSON.stringify(elections));

  await page.goto(`${BASE}/account/payment-methods`);
  await check(page, "account-payment-methods");
  await page.goto(`${BASE}/account/notifications`);
  await check(page, "account-notifications");

  // A distribution the investor has no line in: the 404 page, as from the API.
  const notMine = await foreignDistribution();
  const resp = await page.goto(`${BASE}/account/distributions/${notMine}`);
  assert.equal(resp.status(), 404);
  await check(page, "account-distribution-404");
  const staffPage = await page.goto(`${BASE}/distributions/${notMine}`);
  assert.ok(page.url().includes("/account/distributions") || staffPage.status() === 404, page.url());
});

/** A completed distribution (staff see it) in which the demo investor has no line. */
async function foreignDistribution() {
  const list = await api("operator", "/api/distributions?limit=200&status=COMPLETED");
  for (const d of list.items) {
    const r = await fetch(`${BASE}/api/distributions/${d.id}`, { headers: { Authorization: `Bearer ${TOKENS.investor}` } });
    if (r.status === 404) return d.id;
  }
  // Every completed one pays them: a draft is as invisible to an investor.
  const fund = (await api("operator", "/api/funds")).items.find((f) => f.code === "DEMO-OPEN").id;
  const created = await api("operator", "/api/distributions", {
    fundId: fund, declarationDate: "2026-03-02", recordDate: "2026-03-16", payableDate: "2026-03-31",
    currency: "USD", description: "not yours", allocation: { method: "pro_rata", total: "100.00" },
  });
  return created.id;
}

async function assertText(page, text) {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 5000 });
}
