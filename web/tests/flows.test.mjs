// The deliberation, whistle and dashboard pages in a real browser: Debian's Chromium driven by playwright-core,
// against a running local stack (BASE_URL; tests/e2e/test_web_flows.py starts one). Each flow goes through the
// UI only, as the users it names; screenshots go to ARTIFACT_DIR and axe-core checks every page at 360 px.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { BASE, openBrowser } from "./harness.mjs";

const ARTIFACTS = process.env.ARTIFACT_DIR || new URL("../../test-artifacts/web/", import.meta.url).pathname;

describe("deliberation, whistles and dashboards in Chromium", { skip: !BASE && "BASE_URL not set (run through tests/e2e/test_web_flows.py)" }, () => {
  let browser, context, page, shot, go, axe, fits, signIn, lastShot;
  const problems = [];
  let ticket = null; // the whistle followed from test to test
  const RUN = Math.random().toString(36).slice(2, 6); // a rerun against the same stack finds its own records
  const MEETING = `第一组屋场恳谈会 ${RUN}`;
  const LEAK = `第一组主供水管爆裂 ${RUN}`;

  before(async () => {
    ({ browser, context, page, shot, go, axe, fits, signIn, lastShot } = await openBrowser({ artifacts: ARTIFACTS, problems, expected: null }));
  });

  after(async () => { await browser?.close(); });
  afterEach(async (t) => { await lastShot?.("after-flows", t); });

  async function submit(formId, ready) {
    await page.click(`#${formId} button[type=submit]`);
    await page.waitForSelector(ready);
  }

  test("a courtyard meeting: two concerns logged, the meeting started, attendees signed in, one answered and one forwarded", async () => {
    await signIn("qs-group");
    await page.click("nav a:has-text('民情三会')");
    await page.waitForSelector("h2.page-title:has-text('民情三会')");
    for (const [text, category] of [[`村口路灯坏了三盏 ${RUN}`, "roads"], [`第一组水渠堵塞，春灌前需清淤 ${RUN}`, "water"]]) {
      await page.click("main a:has-text('登记诉求') >> nth=0");
      await page.waitForSelector("form.api-form #f-body-text");
      await page.fill("#f-body-text", text);
      await page.fill("#f-body-category", category);
      await page.click("form.api-form button[type=submit]");
      await page.waitForSelector(`ul.concerns li:has-text('${text}')`);
    }
    assert.match(await page.textContent("ul.concerns"), /待处理/);
    await shot("20-deliberation-hub");
    await axe("deliberation hub");

    await page.click("main a:has-text('召开屋场恳谈会')");
    await page.waitForSelector("#dlb-start");
    // every open concern of the group is offered, checked; this meeting takes up the two just logged
    for (const box of await page.locator("#dlb-start label.check").all()) {
      if (!(await box.textContent()).includes(RUN)) await box.locator("input").uncheck();
    }
    assert.equal(await page.locator("#dlb-start input[name=concerns]:checked").count(), 2);
    await page.fill("#dlb-title", MEETING);
    await page.fill("#dlb-place", "张家屋场");
    await submit("dlb-start", "#dlb-signin");
    assert.match(await page.textContent(".dlb-stage"), /屋场恳谈会/);
    // sign-in: a resident by name, and a 三长
    await page.selectOption("#dlb-kind", "resident");
    await page.fill("#dlb-name", "胡明");
    await submit("dlb-signin", "h3:has-text('已签到 1 人')");
    await page.selectOption("#dlb-kind", "grid_head");
    await page.fill("#dlb-name", "张良科");
    await submit("dlb-signin", "h3:has-text('已签到 2 人')");
    assert.match(await page.textContent("ul.attendees"), /三长/);
    // each concern answered on the spot or forwarded to the village's analysis meeting
    const legends = await page.locator("#dlb-answers legend").allTextContents();
    const lamp = legends.findIndex((l) => l.includes("路灯"));
    const canal = 1 - lamp;
    await page.check(`#dlb-ans-${lamp}`);
    await page.fill(`#dlb-answer-${lamp}`, "村电工本周内更换路灯");
    await page.check(`#dlb-fwd-${canal}`);
    await shot("21-courtyard-meeting");
    await axe("courtyard meeting");
    await fits();
    await submit("dlb-answers", "ul.dlb-outcomes li:has-text('提交民情分析会')");
    assert.match(await page.textContent("ul.dlb-outcomes"), /村电工本周内更换路灯/);
    // minutes drafted, confirmed by an attendee, frozen: the deliberation moves to the village
    await page.fill("#dlb-minutes-text", "到会2人。路灯当场答复；水渠清淤提交民情分析会。");
    await submit("dlb-minutes", ".dlb-minutes-text");
    await page.click("#dlb-confirm");
    await page.waitForSelector(".dlb-confirmed:has-text('已确认：1 人')");
    await page.click("#dlb-freeze");
    await page.waitForSelector(".dlb-stage:has-text('待民情分析会')");
    assert.match(await page.textContent("ol.timeline"), /屋场恳谈会/);
    await shot("22-deliberation-forwarded");
    await axe("deliberation after the courtyard meeting");
  });

  test("the analysis meeting: the village grades the forwarded concern and puts it on the responsibility list", async () => {
    // the form's date and month are Beijing's: a browser keeping UTC, at 01:00 on 1 December in Beijing
    // (17:00 on 30 November in UTC), offers 2026-12-01 and the 2026-12 meeting
    const utc = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN", timezoneId: "UTC" });
    try {
      await utc.clock.setFixedTime(new Date("2026-12-01T01:00:00+08:00"));
      const p = await utc.newPage();
      await p.goto(`${BASE}/#/`);
      await p.waitForSelector("#accounts:not([disabled])");
      await p.selectOption("#accounts", "qs-village");
      await p.click("#signin");
      await p.click(`ul.inbox a:has-text('待召开：${MEETING}（民情分析会）')`);
      await p.waitForSelector("#dlb-analysis");
      assert.equal(await p.evaluate(() => new Date().toISOString()), "2026-11-30T17:00:00.000Z");
      assert.equal(await p.inputValue("#dlb-a-date"), "2026-12-01");
      assert.match(await p.inputValue("#dlb-a-title"), /2026-12/);
    } finally { await utc.close(); }

    await signIn("qs-village");
    await page.click(`ul.inbox a:has-text('待召开：${MEETING}（民情分析会）')`);
    // the courtyard meeting's forwarded concern waits for the village's monthly analysis meeting: convene it
    await page.fill("#dlb-a-place", "鹊山村部");
    await submit("dlb-analysis", ".dlb-stage:has-text('民情分析会')");
    await page.waitForSelector("#dlb-grades");
    await page.selectOption("#dlb-kind", "cadre");
    await page.fill("#dlb-name", "李支书");
    await submit("dlb-signin", "h3:has-text('已签到 1 人')");
    await page.selectOption("#dlb-grade-0", "important");
    await page.selectOption("#dlb-action-0", "assign");
    await page.fill("#dlb-task-0", "组织清淤第一组水渠");
    await page.fill("#dlb-deadline-0", new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10));
    await submit("dlb-grades", "ul.dlb-outcomes li:has-text('列入责任清单')");
    await page.click("ul.dlb-outcomes a:has-text('责任事项')");
    await page.waitForSelector("h2.page-title:has-text('组织清淤第一组水渠')");
    assert.match(await page.textContent("main"), /已挂号/);
    await shot("23-responsibility-item");
    await axe("responsibility item");
    // due within the week: on the village's inbox
    await page.click("nav a:has-text('待办')");
    await page.waitForSelector("ul.inbox a:has-text('责任事项：组织清淤第一组水渠')");
  });

  test("a whistle: the village blows it for the water bureau", async () => {
    await signIn("qs-village");
    await page.click("main a:has-text('吹哨') >> nth=0");
    await page.waitForSelector("#wh-blow");
    await page.selectOption("#wh-kind", "routine");
    await page.selectOption("#wh-category", "water_supply");
    assert.equal(await page.inputValue("#wh-lead"), "water");
    await page.fill("#wh-description", `${LEAK}，二十户停水`);
    await page.fill("#wh-address", "鹊山村第一组3号旁");
    await page.uncheck("#wh-co-housing"); // the water bureau alone
    await shot("30-whistle-blow");
    await axe("blow a whistle");
    await submit("wh-blow", ".wh-status:has-text('已吹哨')");
    ticket = page.url().split("/").pop();
    assert.match(await page.textContent("main"), /水利局/);
  });

  test("the town dispatches; the department reports in and resolves, with countdowns to each deadline", async () => {
    assert.ok(ticket, "the previous test blew the whistle");
    await signIn("dcq-town");
    await page.click(`ul.inbox a:has-text('待派单：${LEAK}')`);
    await submit("wh-dispatch", ".wh-status:has-text('已派单')");

    await signIn("water-bureau");
    await page.click(`ul.inbox a:has-text('待报到：${LEAK}')`);
    await page.waitForSelector("#wh-report-in");
    assert.match(await page.textContent("time.countdown >> nth=0"), /^剩 /);
    await shot("31-whistle-department");
    await axe("department view");
    await fits();
    await page.fill("#wh-ri-note", "抢修队已出发");
    await submit("wh-report-in", ".wh-status:has-text('已报到')");
    assert.match(await page.textContent("main"), /已报到 · 按时/);
    await page.fill("#wh-resolve-note", "更换爆裂管段 6 米，已恢复供水");
    await submit("wh-resolve", ".wh-status:has-text('已办结')");
  });

  test("the whistler verifies and rates; the ticket is closed and counted on the scorecard", async () => {
    await signIn("qs-village");
    await page.click(`ul.inbox a:has-text('待核验：${LEAK}')`);
    await page.waitForSelector("#wh-verify");
    assert.match(await page.textContent("#wh-verify"), /已恢复供水/);
    await submit("wh-verify", ".wh-status:has-text('已核验')");
    await page.check("#wh-star-4");
    await page.fill("#wh-comment", "抢修及时");
    await submit("wh-evaluate", ".wh-status:has-text('已评价')");
    await submit("wh-close", ".wh-status:has-text('已销号')");
    await shot("32-whistle-closed");
    await axe("closed ticket");
    await page.goto(`${BASE}/#/whistle/scorecards`);
    await page.waitForSelector("main table");
    const row = await page.textContent("main table tbody tr:has-text('水利局')");
    assert.match(row, /水利局\s*1\s*100%\s*100%\s*4\.0/);
    await shot("33-scorecards");
    await axe("scorecards");
  });

  test("dashboards: the town's and the village's charts drawn by ECharts, with their data tables", async () => {
    await signIn("dcq-town");
    await page.click("nav a:has-text('数据看板')");
    await page.waitForSelector("#dash-whistles canvas");
    await page.waitForSelector("#dash-concerns canvas");
    await page.waitForSelector("#dash-mediation canvas");
    assert.match(await page.textContent("main"), /按时报到率/);
    // the 12345 trend: a line chart and its table, with today's tickets (test_web_flows.py posts two as the hotline)
    await page.waitForSelector("#dash-hotline canvas");
    const hotline = page.locator("section.card:has(#dash-hotline)");
    assert.match(await hotline.locator("h3").textContent(), /12345 热线工单趋势/);
    const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
    const weekOf = (day) => { const d = new Date(`${day}T00:00:00Z`); d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7)); return d.toISOString().slice(0, 10); };
    const rows = await hotline.locator("table >> nth=0").locator("tbody tr").allTextContents();
    const last = rows.at(-1) || "";
    assert.ok(last.startsWith(today) || last.startsWith(weekOf(today)), `no row for today in ${JSON.stringify(rows)}`);
    assert.match(last, /^\d{4}-\d{2}-\d{2}\s*[1-9]\d*/); // the total of the period holding today
    assert.match(await hotline.textContent(), /道路交通/); // the category's name, from the catalogue
    await fits();
    await shot("40-dashboard-town");
    await axe("town dashboard");
    await signIn("qs-village");
    await page.click("nav a:has-text('数据看板')");
    await page.waitForSelector("#dash-concerns canvas");
    const table = await page.textContent("main");
    assert.match(table, /已当场答复\s*\d/);
    await shot("41-dashboard-village");
    await axe("village dashboard");
  });

  test("English: the pages' strings come from their modules", async () => {
    await page.click("#lang-toggle");
    await page.waitForSelector("h2.page-title:has-text('Dashboard')");
    await page.click("nav a:has-text('Whistles')");
    await page.waitForSelector("h2.page-title:has-text('Whistles')");
    await page.click("#lang-toggle");
    await page.waitForSelector("h2.page-title:has-text('吹哨报到')");
  });

  test("sign-in through a hosted UI (Cognito's endpoints on the local issuer): code + PKCE, back to the page asked for, sign-out", async () => {
    const hosted = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN" });
    hosted.setDefaultTimeout(15000);
    // what infra writes in AWS (a Cognito domain), pointed at the local issuer's /oauth2 endpoints
    await hosted.route("**/config.json", (r) => r.fulfill({ json: { auth: { kind: "oauth", domain: `${BASE}/local-auth`, client_id: "ningxiang-web", scopes: ["openid"] } } }));
    const p = await hosted.newPage();
    const errors = [];
    p.on("pageerror", (e) => errors.push(e.message));
    try {
      await p.goto(`${BASE}/#/whistle`);
      await p.waitForSelector("#signin-idp");
      assert.equal(await p.locator("#signin-form").isHidden(), true);
      await p.click("#signin-idp");
      await p.waitForURL(/\/local-auth\/oauth2\/authorize\?/);
      const asked = new URL(p.url()).searchParams;
      assert.equal(asked.get("code_challenge_method"), "S256");
      assert.match(asked.get("code_challenge"), /^[A-Za-z0-9_-]{43}$/);
      assert.equal(asked.get("redirect_uri"), `${BASE}/`);
      await p.selectOption("#username", "qs-village");
      await p.click("#authorize");
      await p.waitForSelector("h2.page-title:has-text('吹哨报到')"); // the deep link survived the round trip
      assert.equal(new URL(p.url()).search, ""); // the code is gone from the address bar
      assert.equal(await p.evaluate(() => sessionStorage.getItem("nx.oauth")), null);
      assert.match(await p.textContent("nav .who"), /鹊山村 村干部/);
      await p.click("#signout");
      await p.waitForSelector("#signin-idp"); // back from the hosted logout
      assert.equal(await p.evaluate(() => sessionStorage.getItem("nx.token")), null);
      assert.deepEqual(errors, []);
    } finally { await hosted.close(); }
  });

  test("no script errors on any page", () => {
    assert.deepEqual(problems, []);
  });
});
