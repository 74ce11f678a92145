// Recurring schedules and business-day calendars (issue 17) in a real browser against the
// demo binary: a monthly schedule previewed and created through the form, its drafts
// materialized (twice: still one per period), pause, and the holiday calendar; axe on each page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, signIn, check, api } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("schedules: preview, create, materialize once per period, pause", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.getByRole("link", { name: "Schedules", exact: true }).click();
  await check(page, "schedules");
  await page.goto(page.url().replace(/\/schedules.*$/, "/schedules/new"));
  const funds = await api("operator", "/api/funds?limit=100");
  const open = funds.items.find((f) => f.code === "DEMO-OPEN");
  await page.getByLabel("Fund", { exact: true }).selectOption(open.id);
  await page.getByLabel("Frequency").selectOption("MONTHLY");
  await page.getByLabel("Amount is").selectOption("per_share");
  await page.getByLabel(/^Rate per share or total/).fill("-1");
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel("First record date on or after").fill(today);
  await page.getByLabel(/^Create drafts this many days ahead/).fill("60");
  await page.getByLabel("Description").fill("Browser monthly dividend");
  // A negative rate is refused next to its field.
  await page.getByRole("button", { name: "Create schedule" }).click();
  await page.locator("#err-amount").waitFor();
  await check(page, "schedule-refused");
  await page.getByLabel(/^Rate per share or total/).fill("0.0425");
  await page.getByRole("button", { name: "Preview dates" }).click();
  const rows = await page.getByRole("table", { name: "The next occurrences of this schedule" }).locator("tbody tr").count();
  assert.ok(rows >= 3, `preview rows: ${rows}`);
  await check(page, "schedule-preview");
  await page.getByRole("button", { name: "Create schedule" }).click();
  await page.waitForURL(/\/schedules\/[0-9a-f-]+$/);
  const id = page.url().split("/").pop();

  // Materialized twice: the drafts of the coming periods, once each.
  const first = await api("operator", "/api/schedules/materialize", {});
  const second = await api("operator", "/api/schedules/materialize", {});
  assert.ok(JSON.stringify(first).length > 0 && JSON.stringify(second).length > 0);
  const view = await api("operator", `/api/schedules/${id}`);
  const periods = view.occurrences.map((o) => o.period);
  assert.ok(periods.length >= 1, "at least one draft within 60 days");
  assert.equal(new Set(periods).size, periods.length, "one draft per period");
  await page.reload();
  const drafts = page.getByRole("table", { name: /^Occurrences/ }).locator("tbody tr");
  assert.equal(await drafts.count(), periods.length);
  await check(page, "schedule-detail");

  await page.getByRole("button", { name: "Pause schedule" }).click();
  await page.getByRole("button", { name: "Resume schedule" }).waitFor();
  assert.equal((await api("operator", `/api/schedules/${id}`)).schedule.status, "PAUSED");

  await page.goto(page.url().replace(/\/schedules.*$/, "/calendars?name=NYSE&year=2026"));
  await page.getByText("2026-11-26").first().waitFor();
  await check(page, "calendar");
});
