// Notifications (issue 18) in a real browser against the demo binary: the investor's inbox
// (mark one read; a notice written while the page is open appears through the live feed),
// the preference matrix and contact form, and the admins' defaults; axe on each page.
// The engine writes inbox rows in production; here the test writes them with the database's
// own client (sqlite3 or psql), as the API tests do through a store helper.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { launch, newPage, signIn, check, api, eventually } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function sql(statement) {
  if (process.env.DATABASE_URL) {
    execFileSync("psql", [process.env.DATABASE_URL, "-qc", statement]);
  } else {
    execFileSync("sqlite3", [`${process.env.CLEARWAY_WORKDIR}/clearway-data/clearway.db`, ".timeout 5000", statement]);
  }
}

/** Writes an inbox notice for the demo investor; its id is a time-ordered (v7-like) id. */
function notice(investorId, title) {
  const ms = Date.now().toString(16).padStart(12, "0");
  const id = `${ms.slice(0, 8)}-${ms.slice(8)}-7${randomUUID().slice(15)}`;
  const now = new Date().toISOString().replace("Z", "000Z");
  sql(`INSERT INTO notifications (id, org_id, investor_id, event_id, event_kind, title, body, created_at)
       SELECT '${id}', org_id, id, '${randomUUID()}', 'payment.sent', '${title}', '${title}: USD 10.00 left today.', '${now}'
       FROM investors WHERE id = '${investorId}'`);
  return id;
}

test("notifications: inbox with a live feed, preferences, contact, defaults", async () => {
  const me = (await api("investor", "/api/investors")).items[0];
  // The demo leaves its latest distribution's notices in this inbox: count from there.
  const unread = (await api("investor", "/api/notifications?limit=1")).unreadCount;
  assert.ok(unread >= 0);
  const page = await newPage(browser);
  await signIn(page, "investor");
  const first = notice(me.id, "Payment sent one");
  notice(me.id, "Payment sent two");

  await page.getByRole("link", { name: "Notifications", exact: true }).click();
  await page.getByRole("heading", { name: /Payment sent two/ }).waitFor();
  await check(page, "notifications-inbox");
  assert.equal(await page.locator("#unread-count").textContent(), String(unread + 2));
  await page.getByRole("button", { name: /Mark as read.*Payment sent one/ }).click();
  await page.getByText("Marked as read.").waitFor();
  assert.equal(await page.locator("#unread-count").textContent(), String(unread + 1));
  assert.equal(await page.locator(`li[data-id="${first}"]`).getAttribute("class"), "read");

  // Written while the page is open: shown by the live feed without a reload.
  notice(me.id, "Payment sent live");
  await page.getByRole("heading", { name: /Payment sent live/ }).waitFor({ timeout: 10000 });
  assert.equal(await page.locator("#unread-count").textContent(), String(unread + 2));
  await check(page, "notifications-inbox-live");

  await page.getByRole("link", { name: "Choose which notices you get" }).click();
  await check(page, "notifications-preferences");
  const payment = page.getByRole("group", { name: "Payment sent" });
  await payment.getByLabel("Text message (SMS)").check();
  await payment.getByLabel("Email").uncheck();
  await page.getByRole("button", { name: "Save preferences" }).click();
  await page.getByText("Your preferences were saved.").waitFor();
  const prefs = await api("investor", "/api/notifications/preferences");
  const cell = (kind, channel) => prefs.effective.find((e) => e.fundId === null && e.eventKind === kind && e.channel === channel).enabled;
  assert.equal(cell("payment.sent", "sms"), true);
  assert.equal(cell("payment.sent", "email"), false);
  assert.equal(cell("payment.settled", "email"), true);

  await page.getByLabel(/Mobile number/).fill("555");
  await page.getByRole("button", { name: "Save contact details" }).click();
  await page.locator("#err-phone").waitFor();
  await check(page, "notifications-contact-error");
  await page.getByLabel(/Mobile number/).fill("+14155550123");
  await page.getByRole("button", { name: "Save contact details" }).click();
  await page.getByText("Your contact details were saved.").waitFor();

  const admin = await newPage(browser);
  await signIn(admin, "admin");
  await admin.getByRole("link", { name: "Notice defaults", exact: true }).click();
  await check(admin, "notifications-defaults");
  await admin.getByRole("group", { name: "Tax document ready" }).getByLabel("Text message (SMS)").check();
  await admin.getByRole("button", { name: "Save preferences" }).click();
  await admin.getByText("The defaults were saved.").waitFor();
  await eventually(async () => {
    const d = await api("admin", "/api/notifications/preferences/defaults");
    return d.preferences.some((p) => p.eventKind === "taxDocument.ready" && p.channel === "sms" && p.enabled);
  }, 5000);
});
