// The forecast pages (issue 20) in a real browser, against the real binary serving demo data (three years of
// monthly dividends on DEMO-OPEN, quarterly distributions on DEMO-LP): the organization's forecast, a fund's
// forecast whose chart and table carry the API's figures, the model form (a refused horizon next to its field,
// then another model), cash on hand (a refused amount, then set: the plan shows the shortfall), saving a
// forecast, and the partnership's Yale projection.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, signIn, check, api } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The text of each cell of a table's first body row: row header first. */
async function firstRow(table) {
  const row = table.locator("tbody tr").first();
  return (await row.locator("th, td").allTextContents()).map((t) => t.trim());
}

test("organization forecast -> a fund's forecast: chart, figures, model form, cash on hand, save", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Forecast" }).click();
  assert.match(page.url(), /\/distributions\/forecast$/);
  assert.ok(await page.locator("svg.band-chart").count() > 0, "the aggregate chart");
  const aggregate = page.getByRole("table", { name: /Distributions per month in USD/ });
  assert.ok(await aggregate.locator("tbody tr").count() > 12, "paid months then forecast months");
  const funds = page.getByRole("table", { name: /Next forecast distribution per fund/ });
  assert.equal(await funds.getByRole("rowheader", { name: "DEMO-OPEN" }).count(), 1);
  await check(page, "forecast-org");

  await funds.getByRole("link", { name: "DEMO-OPEN" }).click();
  assert.match(page.url(), /\/funds\/[^/?]+\/forecast$/);
  const fundId = new URL(page.url()).pathname.split("/")[2];
  const fc = await api("operator", `/api/funds/${fundId}/distribution-forecast`);
  assert.equal(fc.points.length, 12);
  const points = page.getByRole("table", { name: /Forecast per unit/ });
  const [date, perUnit] = await firstRow(points);
  assert.equal(date, fc.points[0].date);
  assert.equal(perUnit, fc.points[0].perUnit);
  const chart = page.locator("svg#forecast-chart");
  assert.equal(await chart.count(), 1);
  assert.ok(await chart.locator("polygon.band").count() >= 2, "the 80 % and 95 % bands");
  assert.ok(await chart.locator(".history circle").count() >= 24, "the paid history");
  assert.equal(await page.getByRole("table", { name: /by scenario/ }).locator("tbody tr").count(), 12);
  await check(page, "forecast-fund");

  // A horizon out of range: the error sits next to the field, the typed value stays.
  await page.getByLabel(/^Horizon/).fill("0");
  await page.getByRole("button", { name: "Forecast", exact: true }).click();
  await page.locator("#err-horizon").waitFor();
  assert.equal(await page.getByLabel(/^Horizon/).getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel(/^Horizon/).inputValue(), "0");
  await check(page, "forecast-bad-horizon");
  await page.getByLabel("Model", { exact: true }).selectOption("naive");
  await page.getByLabel(/^Horizon/).fill("6");
  await page.getByRole("button", { name: "Forecast", exact: true }).click();
  await page.waitForURL(/model=naive&horizon=6/);
  assert.equal(await points.locator("tbody tr").count(), 6);
  assert.match(await page.locator("#model").textContent(), /Naive/);

  // Cash on hand: a refused amount, then 100.00, which the forecast needs more than.
  await page.getByLabel(/^Cash on hand/).fill("abc");
  await page.getByRole("button", { name: "Set cash on hand" }).click();
  await page.locator("#err-amount").waitFor();
  assert.equal(await page.getByLabel(/^Cash on hand/).getAttribute("aria-invalid"), "true");
  await check(page, "forecast-bad-cash");
  await page.getByLabel(/^Cash on hand/).fill("100.00");
  await page.getByRole("button", { name: "Set cash on hand" }).click();
  await page.getByText("Cash on hand was set.").waitFor();
  const plan = page.getByRole("table", { name: /Cash needed per payable date/ });
  assert.ok(await plan.locator("td.shortfall").count() > 0, "a shortfall is flagged");
  assert.match(await page.getByText(/100\.00 USD as of/).first().textContent(), /100\.00 USD/);

  // Save the forecast: it is listed.
  const saved = page.getByRole("table", { name: /Saved forecasts/ });
  const before = await saved.locator("tbody tr td.num").count();
  await page.getByRole("button", { name: "Save forecast" }).click();
  await page.getByText("The forecast was saved.").waitFor();
  assert.ok(await saved.locator("tbody tr td.num").count() > before, "one more saved forecast");
  await check(page, "forecast-saved");
});

test("the partnership's forecast page carries the Yale projection", async () => {
  const page = await newPage(browser);
  await signIn(page, "auditor");
  await page.goto(`${BASE}/funds`);
  await page.getByRole("link", { name: "DEMO-LP" }).click();
  await page.locator("ul.sections").getByRole("link", { name: "Forecast" }).click();
  assert.match(page.url(), /\/funds\/[^/?]+\/forecast$/);
  await page.getByRole("heading", { name: /Takahashi/ }).waitFor();
  assert.equal(await page.locator("svg#yale-chart").count(), 1);
  const years = page.getByRole("table", { name: /by year of the fund's life/ });
  assert.ok(await years.locator("tbody tr").count() > 1);
  assert.equal(await page.getByRole("button", { name: "Save forecast" }).count(), 0, "read-only");
  await check(page, "forecast-lp");
});
