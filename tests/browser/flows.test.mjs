// The flows of issue 16 (distributions, portal, operations) in a real browser, against the real binary serving demo data.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { BASE, TOKENS, ARTIFACTS, launch, newPage, signIn, signOut, check, api, upload, eventually } from "./lib.mjs";

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

// A description that would run script if any page failed to escape it.
const HOSTILE = `Browser Q4 <img src=x onerror="window.__xss=1"> & "quotes"`;

test("operator declares with the wizard, cannot approve it; the approver approves; it is paid", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.getByRole("link", { name: "New distribution" }).click();
  await check(page, "distribution-create");
  const fund = await page.locator("#f-fund option", { hasText: "DEMO-OPEN" }).first().getAttribute("value");
  await page.locator("#f-fund").selectOption(fund);
  await page.getByLabel("Declaration date").fill("2026-11-10");
  await page.getByLabel("Record date").fill("2026-11-16");
  await page.getByLabel("Payable date").fill("2026-11-22");
  // A Sunday payable date is flagged next to the field, then corrected.
  await page.getByRole("button", { name: "Preview" }).click();
  await assertText(page, "a Sunday");
  await page.getByLabel("Payable date").fill("2026-12-01");
  await page.getByLabel(/Pro rata/).check();
  await page.getByLabel("Total amount (pro rata)").fill("250000.01");
  await page.getByLabel("Description").fill(HOSTILE);
  // The live preview (script) shows the tie-out before anything is saved.
  await page.locator("#preview-tie").filter({ hasText: "Ties out" }).waitFor({ timeout: 10000 });
  assert.equal((await page.locator("#preview-sum").textContent()).replaceAll(",", "").trim().split(" ")[0], "250000.01");
  await check(page, "distribution-create-preview");
  const before = (await api("operator", "/api/distributions?limit=1")).items[0]?.id;
  await page.getByRole("button", { name: "Create distribution" }).click();
  await page.waitForURL(/\/distributions\/[0-9a-f-]+\?notice=created$/);
  const id = new URL(page.url()).pathname.split("/").pop();
  assert.notEqual(id, before);
  const created = await api("operator", `/api/distributions/${id}`);
  assert.equal(created.status, "DRAFT");
  assert.equal(created.totalAmount, "250000.01");
  assert.equal(created.description, HOSTILE);
  await check(page, "distribution-draft");
  assert.equal(await page.evaluate(() => window.__xss), undefined, "the description is text, not markup");
  await page.getByRole("button", { name: "Mark ready" }).click();
  await page.waitForURL(/notice=ready/);
  // The maker sees Approve disabled, with the reason next to it.
  const approve = page.getByRole("button", { name: "Approve" });
  assert.ok(await approve.isDisabled(), "the maker cannot approve");
  const why = await page.locator(`#${await approve.getAttribute("aria-describedby")}`).textContent();
  assert.match(why, /may not approve|another|created/i, why);
  await check(page, "distribution-ready-maker");
  await page.goto(`${BASE}/distributions`);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.ok(await page.getByText(HOSTILE).first().isVisible(), "the list shows the description as text");
  await signOut(page);

  await signIn(page, "approver");
  await page.goto(`${BASE}/distributions/${id}`);
  await page.getByRole("button", { name: "Approve" }).click();
  await page.waitForURL(/notice=approved/);
  assert.equal((await api("approver", `/api/distributions/${id}`)).status, "APPROVED");
  await check(page, "distribution-approved");
  await signOut(page);

  await signIn(page, "operator");
  await page.goto(`${BASE}/distributions/${id}`);
  await page.getByRole("button", { name: "Process" }).click();
  await page.waitForURL(/notice=processing/);
  await eventually(async () => (await api("operator", `/api/distributions/${id}`)).status === "COMPLETED");
  await page.goto(`${BASE}/distributions/${id}`);
  await assertText(page, "COMPLETED");
  await check(page, "distribution-completed");
  await page.getByRole("link", { name: /Payments/ }).first().click();
  await page.waitForURL(/\/payments$/);
  const payments = await api("operator", `/api/distributions/${id}/payments?limit=1000`);
  assert.ok(payments.items.length > 0, "processing created payments");
  const rails = await page.locator("#rails-h + * table, section[aria-labelledby=rails-h] table").first().textContent();
  for (const method of new Set(payments.items.map((p) => p.method))) {
    assert.ok(rails.toUpperCase().includes(method.toUpperCase()), `rail ${method} shown: ${rails}`);
  }
  await check(page, "distribution-payments");
  distributionId = id;
});

let distributionId;

test("reconciliation: the bank's file is imported on the page, and an exception is matched by hand", async () => {
  assert.ok(distributionId, "runs after the payment flow");
  const page = await newPage(browser);
  await signIn(page, "operator");
  // A wire leaves under a name the bank does not echo: it cannot match by itself.
  const wire = await eventually(async () =>
    (await api("operator", `/api/distributions/${distributionId}/payments?limit=1000`)).items
      .find((p) => p.method === "WIRE" && p.status === "SENT"));
  const amount = wire.amount.replace(".", ",");
  const sent = new Date().toISOString().slice(0, 10); // sent today, by the rail job
  const csv = `date;amount;ref;name;text\n${sent};-${amount};;ZZZ UNKNOWN CORP;OUTGOING WIRE\n`;
  const query = `?format=csv&dateColumn=date&amountColumn=amount&referenceColumn=ref&counterpartyColumn=name&descriptionColumn=text&decimalSeparator=,&currency=${wire.currency}&account=OPS-9`;
  await upload("operator", `/api/bank-statements${query}`, csv);
  const exception = await eventually(async () =>
    (await api("operator", "/api/reconciliation/exceptions")).items.find((x) => x.counterpartyName === "ZZZ UNKNOWN CORP"));
  await page.goto(`${BASE}/reconciliation/exceptions`);
  await check(page, "reconciliation-exceptions");
  await page.goto(`${BASE}/reconciliation/exceptions/${exception.id}/match`);
  await check(page, "reconciliation-match");
  await page.locator("input[name=candidate]").first().check();
  await page.getByLabel(/Note/).fill("payee renamed at the bank");
  await page.getByRole("button", { name: "Match", exact: true }).click();
  await page.waitForLoadState("load");
  const line = await api("operator", `/api/reconciliation/lines/${exception.id}`);
  assert.equal(line.status, "MATCHED", JSON.stringify(line));
  const paid = (await api("operator", `/api/distributions/${distributionId}/payments?limit=1000`)).items.find((p) => p.id === wire.id);
  assert.equal(paid.status, "COMPLETED", "the manual match settled the wire");
  // The bank's statement of those payments (written by the CLI, as no bank is reachable).
  const file = `${ARTIFACTS}/bank.bai2`;
  execFileSync(process.env.CLEARWAY_BIN, ["statements", "bank-file", "--distribution", distributionId, "--out", file],
    { cwd: process.env.CLEARWAY_WORKDIR, env: process.env, stdio: "pipe" });
  await page.goto(`${BASE}/reconciliation`);
  await check(page, "reconciliation");
  await page.getByLabel(/Statement file/).setInputFiles(file);
  await page.getByRole("button", { name: "Import" }).click();
  await page.waitForURL(/notice=(imported|matched)/);
  await check(page, "reconciliation-imported");
  // The bank's file clears the ACH payments (one batch debit each file).
  await eventually(async () => (await api("operator", `/api/distributions/${distributionId}/payments?limit=1000`))
    .items.filter((p) => p.method === "ACH").every((p) => p.status === "COMPLETED"));
});

test("every page reads without JavaScript", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Email").fill(TOKENS.signIn.auditor.email);
  await page.getByLabel("Password").fill(TOKENS.signIn.auditor.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  for (const [path, heading] of [["/distributions", "Distributions"], ["/reconciliation", "Reconciliation"],
    ["/reports/distributions", null], ["/reports/tax-summary", null], ["/reports/cash-flow", null],
    ["/audit", "Audit"], ["/distributions/forecast", null]]) {
    const resp = await page.goto(`${BASE}${path}`);
    assert.equal(resp.status(), 200, path);
    const h1 = await page.locator("h1").textContent();
    if (heading) assert.ok(h1.includes(heading), `${path}: ${h1}`);
  }
  await context.close();
});

test("reports, audit trail and forecast pass axe, with charts and exports", async () => {
  const page = await newPage(browser);
  await signIn(page, "auditor");
  for (const [path, name] of [["/reports/distributions", "report-distributions"], ["/reports/tax-summary", "report-tax-summary"],
    ["/reports/cash-flow", "report-cash-flow"], ["/audit", "audit"], ["/distributions/forecast", "forecast"]]) {
    await page.goto(`${BASE}${path}`);
    await check(page, name);
  }
  await page.goto(`${BASE}/reports/distributions`);
  assert.ok(await page.locator("svg.chart").count() > 0, "the report draws its chart");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: /CSV/ }).first().click(),
  ]);
  const csv = readFileSync(await download.path(), "utf8");
  assert.ok(csv.split("\n").length > 1, csv);
});

async function assertText(page, text) {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 5000 });
}
