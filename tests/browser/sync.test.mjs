// The fund-administrator sync pages (issue 21) in a real browser against the demo binary: a
// holdings file as a dry run (the diff, nothing applied) then for real (the applied count); NAV
// made ours, so the administrator's NAV opens a conflict, resolved "take theirs" (gone from the
// open queue, listed as resolved); a broken file's errors named by row and field; an
// administrator's SCHEDULES file creating a linked schedule, and one Clearway owns held as a
// conflict and resolved by an edited value; axe on each page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { ARTIFACTS, launch, newPage, signIn, check, api } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const today = new Date().toISOString().slice(0, 10);

/** Writes `csv` as an artifact and submits it through the upload form. */
async function uploadFile(page, kind, name, csv, dry) {
  const file = `${ARTIFACTS}/${name}`;
  writeFileSync(file, csv);
  await page.getByLabel("Kind of file").selectOption(kind);
  await page.getByLabel("File (CSV or XLSX)").setInputFiles(file);
  await page.locator("#u-dry").setChecked(dry);
  await page.getByRole("button", { name: "Import file" }).click();
  await page.locator("#file-status").waitFor();
}

/** The cells' text of a table's body rows. */
async function rows(table) {
  return Promise.all((await table.locator("tbody tr").all()).map(async (r) =>
    (await r.locator("th, td").allTextContents()).map((t) => t.trim())));
}

test("sync: holdings dry run then applied, a NAV conflict taken from theirs, a broken file", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sync" }).click();
  await page.getByRole("heading", { name: "Administrator sync" }).waitFor();
  await check(page, "sync-index");

  const funds = await api("operator", "/api/funds?limit=100");
  const open = funds.items.find((f) => f.code === "DEMO-OPEN");
  const investors = await api("operator", "/api/investors?limit=1");
  const investor = investors.items[0].id;
  const holdings = `fund_id,share_class,investor_id,as_of,units\n${open.id},,${investor},${today},4321.125\n`;

  // Dry run: the diff, and nothing applied.
  await uploadFile(page, "HOLDINGS", "holdings.csv", holdings, true);
  assert.match(await page.locator("#file-status").textContent(), /DRY_RUN/);
  const diff = await rows(page.locator("#sync-changes"));
  assert.equal(diff.length, 1);
  assert.equal(diff[0][0], "HOLDINGS");
  assert.equal(diff[0][4], "4321.125");
  assert.equal(diff[0][5], "APPLY");
  await check(page, "sync-dry-run");

  // For real: the file's page with its counts, listed on the index.
  await page.goto(page.url().replace(/\/sync.*$/, "/sync"));
  await uploadFile(page, "HOLDINGS", "holdings.csv", holdings, false);
  assert.match(page.url(), /\/sync\/files\/[^/]+$/);
  assert.match(await page.locator("#file-status").textContent(), /APPLIED/);
  assert.match(await page.locator("#file-counts").textContent(), /1 applied, 0 unchanged, 0 conflicts opened, 0 errors/);
  await check(page, "sync-applied");

  // NAV made ours: the administrator's different NAV opens a conflict.
  await page.getByRole("link", { name: "All files" }).click();
  await page.getByLabel("NAV per share").selectOption("CLEARWAY");
  await page.getByRole("button", { name: "Save ownership" }).click();
  await page.getByText("Ownership saved.").waitFor();
  const nav = `fund_id,share_class,nav_date,nav_per_share,currency\n${open.id},,${today},99.123456,USD\n`;
  await uploadFile(page, "NAVS", "navs.csv", nav, false);
  assert.match(await page.locator("#file-counts").textContent(), /1 conflicts opened/);
  await page.getByRole("link", { name: "Conflicts" }).click();
  const queue = page.locator("#sync-conflicts");
  const open1 = await rows(queue);
  const mine = open1.find((r) => r[3] === "99.123456");
  assert.ok(mine, `the conflict is queued: ${JSON.stringify(open1)}`);
  await check(page, "sync-conflicts");
  const row = queue.locator("tbody tr", { hasText: "99.123456" });
  await row.getByRole("button", { name: /^Take theirs/ }).click();
  await page.getByText("The conflict was resolved.").waitFor();
  assert.ok(!(await rows(queue)).some((r) => r[3] === "99.123456"), "gone from the open queue");
  await page.getByRole("link", { name: "Resolved" }).click();
  const done = (await rows(page.locator("#sync-conflicts"))).find((r) => r[3] === "99.123456");
  assert.ok(done, "listed as resolved");
  assert.equal(done[6], "TAKE_THEIRS");
  assert.equal(done[7], "99.123456");
  await check(page, "sync-resolved");

  // A broken file: refused, the errors table names the row and the field.
  await page.getByRole("link", { name: "Sync files and ownership" }).click();
  const broken = `fund_id,share_class,investor_id,as_of,units\n${open.id},,${investor},${today},12\n${open.id},,${investor},not-a-date,12\n`;
  await uploadFile(page, "HOLDINGS", "broken.csv", broken, false);
  assert.match(await page.locator("#file-status").textContent(), /REFUSED/);
  const errors = await rows(page.locator("#sync-errors"));
  assert.deepEqual(errors.map((e) => [e[0], e[1]]), [["3", "as_of"]]);
  await check(page, "sync-refused");
});

/** The last weekday of the next June or September at least two weeks away (no NYSE holiday
 * falls at the end of either month), as YYYY-MM-DD. */
function quarterEnd() {
  const soon = new Date(Date.now() + 14 * 86400e3);
  for (let y = soon.getUTCFullYear(); ; y++) {
    for (const m of [5, 8]) {
      const d = new Date(Date.UTC(y, m + 1, 0));
      while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() - 1);
      if (d >= soon) return d.toISOString().slice(0, 10);
    }
  }
}

test("sync: an administrator's schedule file creates a linked schedule; an unknown one, ours, is a conflict resolved by an edit", async () => {
  const page = await newPage(browser);
  await signIn(page, "operator");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sync" }).click();
  const funds = await api("operator", "/api/funds?limit=100");
  const open = funds.items.find((f) => f.code === "DEMO-OPEN");
  const next = quarterEnd();
  const linked = async () => (await api("operator", "/api/schedules?limit=1000")).items
    .filter((s) => s.administratorScheduleId).map((s) => [s.administratorScheduleId, s.frequency, s.allocation.rate, s.startDate, s.id]);

  // The administrator owns schedules: its file creates the schedule, linked to its id.
  await page.getByLabel("Distribution schedules").selectOption("ADMINISTRATOR");
  await page.getByRole("button", { name: "Save ownership" }).click();
  await page.getByText("Ownership saved.").waitFor();
  const header = "fund_id,schedule_id,frequency,next_record_date,amount_per_unit,currency\n";
  await uploadFile(page, "SCHEDULES", "schedules.csv", `${header}${open.id},ADM-BROWSER,QUARTERLY,${next},0.125,USD\n`, false);
  assert.match(await page.locator("#file-status").textContent(), /APPLIED/);
  assert.match(await page.locator("#file-counts").textContent(), /1 applied/);
  const made = (await linked()).find((s) => s[0] === "ADM-BROWSER");
  assert.deepEqual(made?.slice(0, 4), ["ADM-BROWSER", "QUARTERLY", "0.125", next]);
  await page.goto(page.url().replace(/\/sync.*$/, `/schedules/${made[4]}`));
  assert.match(await page.locator("dl.facts").textContent(), /Administrator's id\s*ADM-BROWSER/);
  await check(page, "schedule-linked");

  // Clearway owns schedules: an id no schedule mirrors is one conflict with the whole terms.
  await page.goto(page.url().replace(/\/schedules.*$/, "/sync"));
  await page.getByLabel("Distribution schedules").selectOption("CLEARWAY");
  await page.getByRole("button", { name: "Save ownership" }).click();
  await page.getByText("Ownership saved.").waitFor();
  await uploadFile(page, "SCHEDULES", "schedules2.csv", `${header}${open.id},ADM-NEW,MONTHLY,${next},0.05,USD\n`, false);
  assert.match(await page.locator("#file-counts").textContent(), /1 conflicts opened/);
  assert.ok(!(await linked()).some((s) => s[0] === "ADM-NEW"), "nothing created before it is resolved");
  await page.getByRole("link", { name: "Conflicts" }).click();
  const row = page.locator("#sync-conflicts tbody tr", { hasText: "ADM-NEW" });
  assert.equal((await row.locator("th, td").allTextContents())[3].trim(), `MONTHLY ${next} 0.05`);
  await row.getByLabel(/^Other value \(frequency, next record date, amount per unit/).fill(`MONTHLY ${next} 0.06`);
  await row.getByRole("button", { name: /^Save value/ }).click();
  await page.getByText("The conflict was resolved.").waitFor();
  const created = (await linked()).find((s) => s[0] === "ADM-NEW");
  assert.deepEqual(created?.slice(0, 4), ["ADM-NEW", "MONTHLY", "0.06", next]);
  await check(page, "sync-schedule-resolved");
});

test("sync: investors have no sync link and no sync page", async () => {
  const page = await newPage(browser);
  await signIn(page, "investor");
  assert.equal(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sync" }).count(), 0);
  const r = await page.goto(page.url().replace(/\/account.*$/, "/sync"));
  assert.equal(r.status(), 404);
});
