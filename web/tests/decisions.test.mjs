// 四议两公开 (village decisions) in a real browser: Debian's Chromium driven by playwright-core against a running
// local stack (BASE_URL; tests/e2e/test_web_decisions.py starts one with a short public notice,
// WORKFLOW_SECONDS_OBJECTION_WINDOW). The village cadre proposes, records both meetings' votes with the quorum shown
// live, the resolution is published, an objection is recorded and answered through the page (If-Match: a stale
// page's reply is refused in place), and after the notice the page shows the step the workflow is at.
// Screenshots go to ARTIFACT_DIR; axe-core checks the page at 360 px.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { BASE, call, idNumber, openBrowser } from "./harness.mjs";

const ARTIFACTS = process.env.ARTIFACT_DIR || new URL("../../test-artifacts/web-decisions/", import.meta.url).pathname;
const LEAF = "430182-DCQ-QS-P01-Z01-L01";
const LABELS = { objection_window: "决议公示", implementation: "组织实施", result_publication: "实施结果公开", done: "已办结" };

describe("四议两公开 in Chromium", { skip: !BASE && "BASE_URL not set (run through tests/e2e/test_web_decisions.py)" }, () => {
  let browser, context, page, shot, go, axe, fits, signIn, lastShot;
  const problems = [];
  const RUN = Math.random().toString(36).slice(2, 6); // a rerun against the same stack finds its own records
  const BRANCH = `鹊山村党支部${RUN}`; // its own branch: the roll (the party meeting's entitled count) is 3
  const TITLE = `第一组村道硬化 ${RUN}`;
  let decision = null; // followed from test to test

  before(async () => {
    // three full members of the branch, registered through the API (the member pages have their own test)
    const households = await call("qs-group", "GET", `/v1/units/${LEAF}/households?limit=50`);
    const birth = 19600101 + Math.floor(Math.random() * 28) + 100 * Math.floor(Math.random() * 12);
    for (let n = 0; n < 3; n++) {
      await call("qs-group", "POST", "/v1/members", {
        name: ["周建国", "刘春梅", "李桂香"][n], gender: n ? "female" : "male", id_number: idNumber(String(birth + 10000 * n), ["003", "004", "006"][n]),
        phone: `1390731000${n}`, branch: BRANCH, status: "full", join_date: "2001-07-01", household: households.items[n % households.items.length].id,
      }, { "Idempotency-Key": crypto.randomUUID() });
    }
    ({ browser, context, page, shot, go, axe, fits, signIn, lastShot } = await openBrowser({ artifacts: ARTIFACTS, problems, expected: null }));
  });

  after(async () => { await browser?.close(); });
  afterEach(async (t) => { await lastShot?.("after-decisions", t); });

  const stagePill = () => page.textContent("main .card .pill >> nth=0");
  async function submitOp(op, ready) {
    await page.click(`form[data-op=${op}] button[type=submit]`);
    await page.waitForSelector(ready);
  }
  async function live(values) {
    for (const [id, v] of Object.entries(values)) await page.fill(`#${id}`, String(v));
    return (await page.textContent("#dlb-quorum")).trim();
  }

  test("the village cadre proposes a decision from the deliberation page and the 两委 consult", async () => {
    await signIn("qs-village");
    await page.click("nav a:has-text('民情三会')");
    await page.click("main a:has-text('提议村级决策事项')");
    await page.waitForSelector("form[data-op=propose_decision]");
    assert.equal(await page.inputValue("#f-body-village"), "430182-DCQ-QS"); // the cadre's village, prefilled
    await page.fill("#f-body-title", TITLE);
    await page.fill("#f-body-proposal", "第一组村道硬化 1.2 公里，一事一议筹资");
    await page.fill("#f-body-branch", BRANCH);
    await submitOp("propose_decision", `h2.page-title:has-text('${TITLE}')`); // straight to the decision's page
    decision = page.url().split("/").pop();
    assert.match(decision, /^[\w-]+$/);
    assert.equal(await stagePill(), "村两委商议");
    await page.fill("form[data-op=consult_decision] #f-body-note", "两委一致同意提交党员大会审议");
    await submitOp("consult_decision", "main .pill:has-text('党员大会审议')");
    assert.match(await page.textContent("main"), /村两委商议：两委一致同意提交党员大会审议/);
    assert.match(await page.textContent("ol.timeline"), /村两委商议/);
  });

  test("the party members' meeting: no quorum, held again, adopted; the villagers' meeting with the quorum live", async () => {
    assert.ok(decision, "the previous test proposed the decision");
    await page.waitForSelector("#dlb-vote");
    assert.equal(await page.locator("#dlb-entitled").count(), 0); // the roll gives the party meeting's count
    assert.match(await live({ "dlb-present": 1, "dlb-yes": 1 }), /赞成 1 \/ 1: 通过/);
    await page.click("#dlb-vote button[type=submit]");
    await page.waitForSelector("main table td:has-text('未达法定人数')");
    assert.equal(await stagePill(), "党员大会审议"); // held again
    assert.match(await page.textContent("main table"), /党员大会\s*1\/3/);
    await live({ "dlb-present": 2, "dlb-yes": 2 }); // exactly 2/3 of the three members
    await page.click("#dlb-vote button[type=submit]");
    await page.waitForSelector("main .pill:has-text('村民（代表）会议决议')");

    // the villagers' representatives: entitled 30, 2/3 is 20 present, more than half of those in favour
    assert.match(await live({ "dlb-entitled": 30, "dlb-present": 19, "dlb-yes": 19 }), /到会 19\/30（须≥20）：未达法定人数.*不通过/);
    assert.equal(await page.getAttribute("#dlb-quorum", "class"), "dlb-quorum bad");
    assert.match(await live({ "dlb-present": 20, "dlb-yes": 10, "dlb-no": 10 }), /到会 20\/30（须≥20）：达到法定人数；赞成 10（须>10）：不通过/);
    assert.match(await live({ "dlb-yes": 11, "dlb-no": 9 }), /达到法定人数；赞成 11（须>10）：通过/);
    assert.equal(await page.getAttribute("#dlb-quorum", "class"), "dlb-quorum good");
    assert.equal(await page.getAttribute("#dlb-quorum", "aria-live"), "polite");
    await shot("d01-villagers-vote");
    await axe("villagers' vote");
    await fits();
    await page.click("#dlb-vote button[type=submit]");
    await page.waitForSelector("main .pill:has-text('决议公示')");
    const rows = await page.locator("main table tbody tr").allTextContents();
    assert.equal(rows.length, 3);
    assert.match(rows[2], /村民（代表）会议\s*20\/30\s*11\s*通过/);
    assert.match(await page.textContent("main"), /公示期内无异议/);
    // while the notice runs, objections are taken and implementation is not offered
    assert.equal(await page.locator("form[data-op=object_decision]").count(), 1);
    assert.equal(await page.locator("form[data-op=implement_decision]").count(), 0);
  });

  test("an objection recorded on the page is listed 待答复 with the warning; the reply form answers it (If-Match)", async () => {
    assert.ok(decision, "the resolution was published");
    await page.fill("form[data-op=object_decision] #f-body-text", "胡明反映：村道占用其菜地，补偿标准未公示");
    await page.fill("form[data-op=object_decision] #f-body-raised_by", "胡明");
    await submitOp("object_decision", "li.dlb-objection#dlb-objection-1");
    const first = page.locator("#dlb-objection-1");
    assert.match(await first.textContent(), /#1 胡\*反映：村道占用其菜地，补偿标准未公示/); // the objector masked
    assert.match(await first.textContent(), /胡\*/);
    assert.doesNotMatch(await page.textContent("main"), /胡明/);
    assert.equal(await first.locator(".pill.warn:has-text('待答复')").count(), 1);
    assert.match(await page.textContent("main [role=status]"), /还有 1 条异议未答复：全部答复后方可组织实施/);
    await shot("d02-objection-open");
    await axe("decision with an open objection");
    await fits();

    // a second objection arrives meanwhile (another cadre's desk, through the API): the page's version is stale,
    // so its reply is refused in place, nothing saved
    await call("qs-village", "POST", `/v1/village-decisions/${decision}/objections`, { text: "筹资标准偏高" });
    await page.fill("#dlb-reply-1", "菜地按县定标准补偿，标准已张榜公示");
    await page.click("#dlb-reply-1-form button[type=submit]");
    await page.waitForSelector("#dlb-reply-1-form .form-summary.is-error:not([hidden])");
    assert.match(await page.textContent("#dlb-reply-1-form .form-summary"), /记录已被修改/);
    assert.equal((await call("qs-village", "GET", `/v1/village-decisions/${decision}/objections`)).open.length, 2);

    await page.reload();
    await page.waitForSelector("#dlb-objection-2");
    assert.match(await page.textContent("main [role=status]"), /还有 2 条异议未答复/);
    await page.fill("#dlb-reply-1", "菜地按县定标准补偿，标准已张榜公示");
    await page.click("#dlb-reply-1-form button[type=submit]");
    await page.waitForSelector("#dlb-objection-1 p.dlb-reply:has-text('菜地按县定标准补偿')");
    assert.match(await page.textContent("#dlb-objection-1 p.dlb-reply"), /答复（鹊山村 村干部 · \d{4}-\d\d-\d\d）/);
    assert.equal(await page.locator("#dlb-objection-1 .pill:has-text('待答复')").count(), 0);
    assert.equal(await page.locator("#dlb-objection-2 .pill:has-text('待答复')").count(), 1);
    assert.match(await page.textContent("main [role=status]"), /还有 1 条异议未答复/);
    await page.fill("#dlb-reply-2", "筹资标准经村民代表会议表决，低保户减免");
    await page.click("#dlb-reply-2-form button[type=submit]");
    await page.waitForSelector("#dlb-objection-2 p.dlb-reply");
    assert.equal(await page.locator("main .pill:has-text('待答复')").count(), 0);
    assert.equal(await page.locator("main [role=status]").count(), 0); // no open-objections warning
    await shot("d03-objections-answered");
    await axe("decision with answered objections");
    await fits();
  });

  test("after the notice, the page shows the step the workflow is at, and the cadre takes it to the end", async () => {
    assert.ok(decision, "the objections were answered");
    const v = await call("qs-village", "GET", `/v1/village-decisions/${decision}`);
    // (while the execution's Wait state runs, the run still names the step before it: not checked here)
    const wait = Date.parse(v.objection_until) - Date.now();
    assert.ok(wait > 0, `the notice was over before the objections were answered (${v.objection_until})`);
    await new Promise((r) => setTimeout(r, wait + 500));
    let step = null;
    for (let tries = 0; tries < 100 && step !== "implementation"; tries++) { // the Wait state ends on the clock
      step = (await call("qs-village", "GET", `/v1/village-decisions/${decision}`)).workflow.step;
      if (step !== "implementation") await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(step, "implementation");
    await page.reload();
    await page.waitForSelector(`main .pill:has-text('${LABELS[step]}')`);
    assert.equal(await stagePill(), LABELS[step]);
    assert.equal(await page.locator("form[data-op=object_decision]").count(), 0); // the notice is over
    assert.equal(await page.locator("form[data-op=implement_decision]").count(), 1);
    assert.match(await page.textContent("ol.timeline"), /决议公示/);
    await shot("d04-implementation");
    await axe("decision after the notice");

    await page.fill("form[data-op=implement_decision] #f-body-note", "已开工，施工队进场");
    await submitOp("implement_decision", `main .pill:has-text('${LABELS.result_publication}')`);
    await page.fill("form[data-op=publish_decision_result] #f-body-note", "已完工，账目张榜公开");
    await submitOp("publish_decision_result", `main .pill:has-text('${LABELS.done}')`);
    assert.equal(await page.locator("main form.api-form").count(), 0);
    const done = await call("qs-village", "GET", `/v1/village-decisions/${decision}`);
    assert.deepEqual(done.timeline.map((e) => e.kind), [
      "proposed", "consulted", "no_quorum", "adopted", "adopted", "published", "objection", "objection", "objection_replied",
      "objection_replied", "implemented", "result_published",
    ]);
    await shot("d05-done");
  });

  test("no script errors on the page", () => {
    assert.deepEqual(problems, []);
  });
});
