// The event streams page (issue 21) in a real browser: reached from the main navigation by a role that may
// read the audit log, one row per sink whose configuration, pending count and lag are the status API's,
// and the page passes the accessibility check. Investors are sent to their own pages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, signIn, check, api } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("event streams: one row per sink with the API's pending count and lag", async () => {
  const page = await newPage(browser);
  await signIn(page, "auditor");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Event streams" }).click();
  assert.match(page.url(), /\/events\/streams$/);
  const table = page.getByRole("table", { name: "Event stream sinks" });
  const status = await api("auditor", "/api/events/streams");
  assert.deepEqual(status.map((s) => s.sink), ["nats", "kafka"]);
  for (const s of status) {
    const row = table.locator(`tr[data-sink="${s.sink}"]`);
    assert.equal((await row.locator("[data-pending]").textContent()).trim(), String(s.pending));
    const lag = (await row.locator("[data-lag]").textContent()).trim();
    assert.equal(lag, s.oldestPendingSecs == null ? "—" : lag.match(/^\d+\.\d s$/)?.[0]);
    assert.equal((await row.locator("td").first().textContent()).trim(), s.configured ? "Yes" : "No");
  }
  await check(page, "event-streams");
});

test("event streams: an investor is not shown the page", async () => {
  const page = await newPage(browser);
  await signIn(page, "investor");
  await page.goto(`${BASE}/events/streams`);
  assert.doesNotMatch(page.url(), /\/events\/streams$/, "sent to their own pages");
  assert.equal(await page.getByRole("table", { name: "Event stream sinks" }).count(), 0);
});
