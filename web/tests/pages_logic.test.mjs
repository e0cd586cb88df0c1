// The scoring and mediation page modules' pure parts under node (no browser): quarters, and which lifecycle
// actions a case's state offers, in which order.
import assert from "node:assert/strict";
import { test } from "node:test";

import { actionsFor } from "../pages/mediation.js";
import { periodOf, recentPeriods } from "../pages/scoring.js";

test("a day's quarter, and the last quarters newest first across a year's end", () => {
  assert.equal(periodOf("2026-03-31"), "2026-Q1");
  assert.equal(periodOf("2026-04-01"), "2026-Q2");
  assert.equal(periodOf("2026-12-31"), "2026-Q4");
  assert.deepEqual(recentPeriods(3, "2026-02-10"), ["2026-Q1", "2025-Q4", "2025-Q3"]);
});

test("the current quarter is Beijing's: at 01:00 on 1 April in Beijing (31 March in UTC) it is Q2", (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-04-01T01:00:00+08:00") });
  assert.deepEqual(recentPeriods(2), ["2026-Q2", "2026-Q1"]);
});

const base = { level: "village", rights_notified_on: null, sessions: [], agreements: [], judicial_confirmation: null };
const keys = (c) => actionsFor({ ...base, ...c }).map(([k]) => k);

test("a case offers the steps its state allows, the natural next one first", () => {
  assert.deepEqual(keys({ status: "registered", allowed_next: ["rights_notified", "escalated", "withdrawn"] }),
    ["rights_notified", "escalate", "extend", "withdraw"]);
  assert.deepEqual(keys({ status: "rights_notified", rights_notified_on: "2026-11-01", allowed_next: ["investigating", "escalated", "withdrawn"] })[0], "investigating");
  const mediating = { status: "mediating", allowed_next: ["agreement_reached", "failed", "escalated", "withdrawn"] };
  assert.equal(keys({ ...mediating, sessions: [{ outcome: "adjourned" }] })[0], "session");
  assert.equal(keys({ ...mediating, sessions: [{ outcome: "agreed" }] })[0], "agreement");
  assert.equal(keys({ ...mediating, sessions: [{ outcome: "not_agreed" }] })[0], "fail");
  assert.deepEqual(keys({ status: "follow_up", allowed_next: ["closed"], agreements: [{}] }), ["close", "follow_up", "judicial", "extend"]);
  assert.deepEqual(keys({ status: "closed", allowed_next: [], agreements: [{}] }), ["judicial"]);
  assert.deepEqual(keys({ status: "withdrawn", allowed_next: [] }), []);
  // a town case cannot go higher
  assert.ok(!keys({ status: "investigating", level: "town", rights_notified_on: "2026-11-01", allowed_next: ["mediating", "escalated", "withdrawn"] }).includes("escalate"));
});
