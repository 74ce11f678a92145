// Schedule K-1 and re-characterization (issue 19) in a real browser against the demo binary:
// add a K-1 item to DEMO-LP's year and see the partners' K-1s; re-characterize a completed
// DEMO-OPEN distribution and see the lines re-split; axe on each page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, TOKENS, launch, newPage, signIn, check, api, eventually } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function patch(role, path) {
  const r = await fetch(`${BASE}${path}`, { method: "PATCH", headers: { Authorization: `Bearer ${TOKENS[role]}` } });
  assert.ok(r.ok, `${role} PATCH ${path}: ${r.status} ${await r.text()}`);
}

async function fundId(code) {
  const funds = await api("operator", "/api/funds?limit=100");
  return funds.items.find((f) => f.code === code).id;
}

test("tax: add a K-1 item, see the partners' K-1s", async () => {
  const year = new Date().getUTCFullYear();
  const lp = await fundId("DEMO-LP");
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.goto(`${BASE}/funds/${lp}/k1/${year}`);
  await check(page, "k1-year");
  await page.getByLabel(/^Line/).fill("11");
  await page.getByLabel(/^Amount/).fill("12.34");
  await page.getByRole("button", { name: "Add item" }).click();
  await page.getByText("Code: must be 1 or 2 capital letters for this line").waitFor();
  await check(page, "k1-item-refused");
  await page.getByLabel(/^Code/).fill("ZZ");
  await page.getByLabel(/^Description/).fill("Browser other income");
  await page.getByRole("button", { name: "Add item" }).click();
  await page.getByRole("cell", { name: "Browser other income" }).waitFor();
  const partners = await api("operator", `/api/funds/${lp}/k1/${year}?limit=1000`);
  assert.ok(partners.items.length > 0, "DEMO-LP has partners");
  const first = partners.items[0];
  assert.ok(await page.getByRole("row", { name: new RegExp(first.investorName) }).first().isVisible());
  await check(page, "k1-year-with-item");
});

test("tax: re-characterize a completed distribution", async () => {
  const open = await fundId("DEMO-OPEN");
  const day = (back) => new Date(Date.now() - back * 86400000).toISOString().slice(0, 10);
  const d = await api("operator", "/api/distributions", {
    fundId: open, declarationDate: day(2), recordDate: day(1), payableDate: day(0), currency: "USD",
    description: "Browser re-characterization",
    allocation: { method: "pro_rata", total: "1000.00", components: { ordinaryDividend: "1" } },
  });
  await patch("operator", `/api/distributions/${d.id}/ready`);
  await patch("approver", `/api/distributions/${d.id}/approve`);
  await patch("operator", `/api/distributions/${d.id}/process`);
  await eventually(async () => (await api("operator", `/api/distributions/${d.id}`)).status === "COMPLETED");
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.goto(`${BASE}/distributions/${d.id}/recharacterize`);
  await check(page, "recharacterize-form");
  await page.getByLabel(/^Ordinary dividends/).fill("700.00");
  await page.getByLabel(/^Return of capital/).fill("200.00");
  await page.getByLabel("Reason").fill("Form 8937");
  await page.getByRole("button", { name: "Re-characterize" }).click();
  await page.getByRole("alert").waitFor();
  await check(page, "recharacterize-refused");
  await page.getByLabel(/^Return of capital/).fill("300.00");
  await page.getByRole("button", { name: "Re-characterize" }).click();
  await page.getByRole("heading", { name: "Re-characterized" }).waitFor();
  const shown = await api("operator", `/api/distributions/${d.id}/recharacterization`);
  assert.equal(shown.totals.returnOfCapital, "300.00");
  await check(page, "recharacterize-done");
});
