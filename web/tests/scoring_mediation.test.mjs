// 三比 scoring and 人民调解 mediation pages in a real browser: Debian's Chromium driven by playwright-core against a
// running local stack (BASE_URL; tests/e2e/test_web_scoring_mediation.py starts one). Screenshots go to ARTIFACT_DIR.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { beijingDay } from "../dates.js";
import { BASE, call, idNumber, openBrowser } from "./harness.mjs";

const ARTIFACTS = process.env.ARTIFACT_DIR || new URL("../../test-artifacts/web-scoring-mediation/", import.meta.url).pathname;
const VILLAGE = "430182-DCQ-QS";

describe("三比 scoring and 人民调解 mediation pages in Chromium", { skip: !BASE && "BASE_URL not set (run through tests/e2e/test_web_scoring_mediation.py)" }, () => {
  let browser, context, page, shot, go, axe, fits, signIn, lastShot, member;
  const problems = [];

  before(async () => {
    // a party member of 第一组 to score: registered through the API (the member pages have their own test)
    const households = await call("qs-group", "GET", "/v1/units/430182-DCQ-QS-P01-Z01-L01/households?limit=50");
    member = await call("qs-group", "POST", "/v1/members", {
      name: "周建国", gender: "male", id_number: idNumber("19750312", "003"), phone: "13907310003", branch: "鹊山村党支部",
      status: "full", join_date: "2001-07-01", household: households.items[3].id,
    }, { "Idempotency-Key": crypto.randomUUID() });
    ({ browser, context, page, shot, go, axe, fits, signIn, lastShot } = await openBrowser({ artifacts: ARTIFACTS, problems, expected: null }));
  });

  after(async () => { await browser?.close(); });
  afterEach(async (t) => { await lastShot?.("after", t); });

  async function review(queue, decision, reason) {
    const item = page.locator(`#queue-${queue} li.score-entry`).filter({ hasText: "周建国" }).first();
    if (reason) await item.locator("textarea").fill(reason);
    await item.locator(`button.${decision}`).click();
    await page.waitForSelector("#toast:not([hidden])");
    await item.waitFor({ state: "detached" }); // the queue shown again without it
  }

  test("a 组长 claims points for a member: the rule's terms shown, the server's field error at its field, a resized photo uploaded", async () => {
    await signIn("qs-group");
    await page.click("nav a:has-text('三比积分')");
    await page.waitForSelector("a:has-text('申报积分')");
    await shot("s01-scoring-hub");
    await axe("scoring hub");
    await go("/scoring/claim", "form.claim-form");
    for (const id of ["f-body-member", "f-body-rule", "f-body-quantity", "f-body-occurred_on", "f-body-evidence"]) {
      assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, id);
    }
    await page.selectOption("#f-body-member", { label: "周建国" });
    await page.selectOption("#f-body-rule", "fire_fighting");
    assert.match(await page.textContent("#rule-terms"), /10 分\/次，每期上限 30 分.*须佐证照片/);
    await page.fill("#f-body-quantity", "2");
    // fire-fighting needs evidence: the server refuses, and says so at the photo field
    await page.click("form.claim-form button[type=submit]");
    await page.waitForSelector("#err-body-evidence:not([hidden])");
    assert.match(await page.textContent("#err-body-evidence"), /须上传佐证照片/);
    assert.equal(await page.getAttribute("#f-body-evidence", "aria-invalid"), "true");
    await shot("s02-claim-field-error");
    // a 3000 × 2000 photo, resized in the browser, goes to storage through the presigned form
    await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(3000, 2000);
      const g = canvas.getContext("2d");
      for (let i = 0; i < 200; i++) { g.fillStyle = `hsl(${i * 7} 70% 50%)`; g.fillRect((i * 37) % 3000, (i * 53) % 2000, 260, 180); }
      const blob = await canvas.convertToBlob({ type: "image/png" });
      const dt = new DataTransfer();
      dt.items.add(new File([blob], "fire.png", { type: "image/png" }));
      const input = document.getElementById("f-body-evidence");
      input.files = dt.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await page.waitForSelector("#photo-status:has-text('已上传 1 张照片')");
    await page.fill("#f-body-note", "11月20日夜 鹊山村第一组山林火情，参与扑救");
    await page.click("form.claim-form button[type=submit]");
    await page.waitForSelector(".result .good");
    assert.match(await page.textContent(".result"), /义务救火（第1版）：2次 × 10分 = 20分/);
    assert.match(await page.textContent(".result"), /1 张佐证照片/);
    await fits();
    await shot("s03-claimed");
    await axe("claim");
  });

  test("the 片长 (party group) and the branch review it; an objection on the public notice sends it back", async () => {
    await signIn("qs-area");
    await page.waitForSelector("ul.inbox li:has-text('周建国')");
    assert.match(await page.textContent("ul.inbox"), /义务救火 20 分，待您审核/);
    await go("/scoring/review", "#queue-group li.score-entry");
    await shot("s04-review-group");
    await axe("review");
    await review("group", "approve");
    await page.waitForSelector("main p.note:has-text('没有待审核的积分')");

    await signIn("qs-village");
    await go("/scoring/review", "#queue-branch li.score-entry");
    // a rejection needs a reason: said at the reason field
    await page.locator("#queue-branch li.score-entry").filter({ hasText: "周建国" }).first().locator("button.reject").click();
    await page.waitForSelector("#queue-branch .field-error:not([hidden])");
    assert.match(await page.textContent("#queue-branch .field-error"), /驳回须说明理由/);
    await review("branch", "approve");
    await go("/scoring/notice", "#notice-list li.score-entry");
    assert.match(await page.textContent("#notice-list"), /周建国.*义务救火/);
    assert.match(await page.textContent("#notice-list"), /公示至 \d{4}-\d\d-\d\d/);
    const item = page.locator("#notice-list li.score-entry").first();
    await item.locator("details.objection-box summary").click();
    await item.locator("form.objection button[type=submit]").click();
    await item.locator(".field-error:not([hidden])").waitFor();
    await fits();
    await shot("s05-notice");
    await axe("notice");
    await item.locator("textarea").fill("当晚我也在场，他只参加了一次");
    await item.locator("form.objection button[type=submit]").click();
    await page.waitForSelector("main:has-text('目前没有公示中的积分')");
    // back with the branch: first in the village cadre's inbox
    await go("/", "ul.inbox li:has-text('有异议')");
    assert.match(await page.textContent("ul.inbox li >> nth=0"), /异议.*周建国/);
    await shot("s06-village-inbox");
  });

  test("the branch decides again; when the notice is over the points are made final and lead the leaderboard", async () => {
    // the county shortens its notice to 0 days (the policy is the city admin's, not this flow's)
    const policy = await call("city-admin", "GET", "/v1/scoring/policy");
    const { county, version, ...terms } = policy;
    await call("city-admin", "PUT", "/v1/scoring/policy", { ...terms, notice_days: 0 }, { "If-Match": `"${version}"` });
    await go("/scoring/review", "#queue-branch li.score-entry");
    assert.match(await page.textContent("#queue-branch"), /有异议，退回支部：当晚我也在场/);
    await review("branch", "approve", "核实：参加两次扑救");
    await go("/scoring/notice", "#notice-list button.finalise");
    await page.click("#notice-list button.finalise");
    await page.waitForSelector("#toast:has-text('积分已确认')");
    await page.click("nav a:has-text('三比积分')");
    await page.click("a:has-text('排行榜与档次')");
    await page.waitForSelector("#board-chart canvas");
    await page.waitForSelector("#tier-chart canvas");
    assert.match(await page.textContent("main table"), /1\s*周建国\s*20\s*80\s*良好/);
    await fits();
    await shot("s07-leaderboard");
    await axe("leaderboard");
    await page.selectOption("#board-dimension", "responsibility");
    await page.click(".board-filters button[type=submit]");
    await page.waitForSelector("h3:has-text('比担当')");
    await page.waitForSelector("#tier-chart canvas");
  });

  test("a member's score explained: quarters, each entry's rule, version and approvals", async () => {
    await go(`/scoring/members/${member.id}`, "#card-chart canvas");
    const text = await page.textContent("main");
    assert.match(text, /义务救火（第1版）：2次 × 10分 = 20分/);
    assert.match(text, /已确认/);
    await page.locator("details.history summary").first().click();
    const history = await page.textContent("details.history");
    assert.match(history, /已申报 · 组长/);
    assert.match(history, /党小组已初评 · 片长/);
    assert.match(history, /有异议，退回支部 · 村干部/);
    assert.match(history, /已确认/);
    await fits();
    await shot("s08-member-score");
    await axe("member score");
  });

  test("mediation: a committee, a case registered with a field error first, taken to closure step by step", async () => {
    await go("/mediation/teams", "form[data-op=create_team]");
    await page.fill("#f-body-name", "鹊山村人民调解委员会");
    await page.fill("#f-body-number_prefix", "宁大人调");
    await page.click("form[data-op=create_team] button[type=submit]");
    await page.waitForSelector("#team-list:has-text('鹊山村人民调解委员会')");
    await page.click("nav a:has-text('人民调解')");
    await page.waitForSelector("a:has-text('登记案件')");
    await page.click("a.button:has-text('登记案件')");
    await page.waitForSelector("form[data-op=register_case]");
    await page.selectOption("#f-body-source", "application");
    await page.selectOption("#f-body-category", "neighbour");
    await page.click("label:has-text('说闲话')");
    await page.selectOption("#f-body-risk", "yellow");
    await page.fill("#f-body-summary", "两户因说闲话引发口角，涉及排水沟");
    const addParty = page.locator("fieldset[data-path='body.parties'] > button:has-text('添加')");
    await addParty.click();
    await page.selectOption("#f-body-parties-0-kind", "person");
    await page.selectOption("#f-body-parties-0-side", "applicant");
    await page.fill("#f-body-parties-0-name", "胡明");
    // one party only: the form says so at the parties field, before anything is sent
    await page.click("form[data-op=register_case] button[type=submit]");
    await page.waitForSelector("#err-body-parties:not([hidden])");
    await fits();
    await shot("m01-register-field-error");
    await axe("register");
    await addParty.click();
    await page.selectOption("#f-body-parties-1-kind", "person");
    await page.selectOption("#f-body-parties-1-side", "respondent");
    await page.fill("#f-body-parties-1-name", "刘春梅");
    await page.click("form[data-op=register_case] button[type=submit]");
    await page.waitForSelector("h2.page-title:has-text('宁大人调字第1号')");
    assert.match(await page.textContent("#case-status"), /已登记/);
    assert.match(await page.textContent("main"), /胡\*/);
    assert.doesNotMatch(await page.textContent("main"), /胡明/);
    await shot("m02-case-registered");
    await axe("case");

    const step = async (key, fill) => {
      const box = page.locator(`details.action-${key}`);
      await box.waitFor();
      assert.equal(await box.getAttribute("open"), "", `${key} is the next step`);
      if (fill) await fill(box);
      await box.locator("button[type=submit]").click();
      await page.waitForSelector("#toast:has-text('已保存')");
    };
    await step("rights_notified");
    await page.waitForSelector("#case-status:has-text('已告知权利义务')");
    await step("investigating");
    await page.waitForSelector("#case-status:has-text('调查中')");
    await step("session", async (box) => {
      await box.locator("#f-body-place").fill("鹊山村党群服务中心");
      await box.locator("fieldset[data-path='body.attendees'] > button:has-text('添加')").click();
      await box.locator("#f-body-attendees-0").fill("刘晓华");
      await box.locator("fieldset[data-path='body.statements'] > button:has-text('添加')").click();
      await box.locator("#f-body-statements-0-party").selectOption("0");
      await box.locator("#f-body-statements-0-text").fill("对方常在邻居面前说我家闲话，排水沟也堵了");
      await box.locator("#f-body-result").fill("双方同意疏通排水沟，互相道歉");
      await box.locator("#f-body-outcome").selectOption("agreed");
    });
    await page.waitForSelector("#case-status:has-text('调解中')");
    assert.match(await page.textContent("main"), /第 1 次 .* 鹊山村党群服务中心 · 1 人参加 · 达成一致/);
    await step("agreement", async (box) => {
      await box.locator("#f-body-facts").fill("双方因排水沟堵塞及闲话发生口角");
      await box.locator("fieldset[data-path='body.duties'] > button:has-text('添加')").click();
      await box.locator("#f-body-duties-0-party").selectOption("1");
      await box.locator("#f-body-duties-0-duty").fill("三日内疏通排水沟并当面道歉");
      await box.locator("#f-body-performance-how").fill("疏通排水沟");
      await box.locator("#f-body-performance-place").fill("鹊山村第一组");
      await box.locator("#f-body-performance-due").fill(beijingDay()); // 宁乡's today, as the page and the server count it
      await box.locator("#f-body-seal_note").fill("鹊山村人民调解委员会（印）");
    });
    await page.waitForSelector("#case-status:has-text('达成协议')");
    // the agreement's print preview: the A4 page in its own window, asked for with a purpose
    const [popup] = await Promise.all([context.waitForEvent("page"), page.click("#print-agreement")]);
    await popup.waitForSelector("button.print-button");
    assert.match(await popup.textContent("body"), /人民调解协议书/);
    await popup.screenshot({ path: `${ARTIFACTS}/m03-agreement-print.png`, fullPage: true });
    await popup.close();
    await step("performing");
    await page.waitForSelector("#case-status:has-text('履行中')");
    // the follow-up is due: the case is in the village cadre's inbox
    await go("/", "ul.inbox li:has-text('待回访')");
    await page.click("ul.inbox a:has-text('待回访')");
    await page.waitForSelector("details.action-follow_up");
    await step("follow_up", async (box) => {
      await box.locator("#f-body-performed").selectOption("full");
      await box.locator("#f-body-satisfaction").fill("5");
    });
    await page.waitForSelector("#case-status:has-text('回访')");
    await step("close");
    await page.waitForSelector("#case-status:has-text('已结案')");
    assert.match(await page.textContent("main"), /结果\s*达成协议结案/);
    // closed: only the judicial confirmation (within 30 days of the agreement) is left to record
    assert.deepEqual(await page.locator("details.action").evaluateAll((ds) => ds.map((d) => d.dataset.action)), ["judicial"]);
    await fits();
    await shot("m04-case-closed");
    await axe("closed case");
  });

  test("mediation lists and the village's figures: 化解率 and the three-level filter as charts", async () => {
    await go("/mediation", "#case-list li");
    assert.match(await page.textContent("#case-list"), /宁大人调字第1号.*邻里.*已结案/);
    await fits();
    await shot("m05-cases");
    await axe("cases");
    await page.click("a:has-text('调解统计')");
    await page.waitForSelector("#fig-category canvas");
    await page.waitForSelector("#fig-level canvas");
    const stats = await page.textContent("#med-stats");
    assert.match(stats, /化解率\s*100%/);
    assert.match(stats, /登记\s*1/);
    assert.match(stats, /结案\s*1/);
    await fits();
    await shot("m06-figures");
    await axe("figures");
    await page.click("#lang-toggle");
    await page.waitForSelector("#med-stats:has-text('Resolution rate')");
    await shot("m07-figures-en");
    await page.click("#lang-toggle");
    await page.waitForSelector("#med-stats:has-text('化解率')");
  });

  test("no script errors on any page", () => {
    assert.deepEqual(problems, []);
  });
});
