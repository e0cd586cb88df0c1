// The frontend in a real browser: Debian's Chromium driven by playwright-core, against a running local stack
// (BASE_URL; tests/e2e/test_web_browser.py starts one). Screenshots of the main pages go to ARTIFACT_DIR.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { BASE, idNumber, openBrowser } from "./harness.mjs";

const ARTIFACTS = process.env.ARTIFACT_DIR || new URL("../../test-artifacts/web/", import.meta.url).pathname;
const GROUP = "430182-DCQ-QS-P01-Z01";
const VILLAGE = "430182-DCQ-QS";

describe("the web frontend in Chromium", { skip: !BASE && "BASE_URL not set (run through tests/e2e/test_web_browser.py)" }, () => {
  let browser, context, page, shot, go, axe, fits, signIn, lastShot;
  const problems = [];

  before(async () => {
    ({ browser, context, page, shot, go, axe, fits, signIn, lastShot } = await openBrowser({ artifacts: ARTIFACTS, problems, expected: /ERR_INTERNET_DISCONNECTED/ }));
  });

  after(async () => { await browser?.close(); });
  afterEach(async (t) => { await lastShot?.("after", t); });


  test("sign-in page: demo accounts, service status, no serious accessibility violations at 360 px", async () => {
    await page.goto(`${BASE}/`);
    await page.waitForSelector("#accounts:not([disabled])");
    await page.waitForSelector("#status .pill");
    assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
    assert.ok((await page.locator("#accounts option").count()) >= 8);
    await shot("01-signin");
    await axe("signin");
  });

  test("a 组长 signs in to a task inbox and their grid unit with counts", async () => {
    await signIn("qs-group");
    await page.waitForSelector("dl.stats");
    assert.match(await page.textContent("main"), /您好，鹊山村第一组 组长/);
    assert.match(await page.textContent("dl.stats"), /住户\s*7/);
    // fits a 360 px screen: nothing wider than the viewport
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360));
    await shot("02-home");
    await axe("home");
  });

  test("grid: the unit tree with counts, households with an audited unmask, heads", async () => {
    await go(`/units/${GROUP}`, "ul.units li a");
    assert.match(await page.textContent("ul.units"), /第一邻/);
    await shot("03-unit");
    await axe("unit");
    await page.click("ul.units li a >> nth=0");
    await page.waitForSelector("h2.page-title:has-text('第一邻')");
    await go(`/units/${GROUP}/households`, "li.record");
    const phone = page.locator("li.record .phone").first();
    assert.match(await phone.textContent(), /\*\*\*\*/);
    await page.locator("li.record details.unmask summary").first().click();
    await page.locator("li.record details.unmask select").first().selectOption("visit");
    await page.locator("li.record details.unmask button").first().click();
    await page.waitForFunction(() => !document.querySelector("li.record .phone").textContent.includes("*"));
    assert.match(await phone.textContent(), /^1\d{10}$/);
    await shot("04-households");
    await axe("households");
    await go(`/units/${GROUP}/heads`, "table");
    assert.match(await page.textContent("table"), /组长/);
    await shot("05-heads");
    await axe("heads");
  });

  test("民情地图: a treemap drawn by ECharts, with a data table, filtered by tag", async () => {
    await go(`/units/${GROUP}/map`, "#map-chart canvas");
    assert.match(await page.textContent("table"), /第一邻/);
    await page.selectOption("#map-tag", "elderly_alone");
    await page.waitForSelector("th:has-text('独居老人')");
    await shot("06-map");
    await axe("map");
  });

  test("a generated form: client checks first, then the server's field error shown at its field", async () => {
    await go("/op/create_member", "form.api-form");
    // every field is labelled; required ones say so
    for (const id of ["f-body-name", "f-body-id_number", "f-body-phone", "f-body-household"]) {
      assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, id);
      assert.equal(await page.getAttribute(`#${id}`, "aria-required"), "true");
    }
    await page.click("form.api-form button[type=submit]");
    await page.waitForSelector("#err-body-name:not([hidden])");
    assert.equal(await page.textContent("#err-body-name"), "必填");
    assert.equal(await page.getAttribute("#f-body-name", "aria-invalid"), "true");
    // a phone the schema allows but the server refuses (11-digit rule lives in the model's validator)
    await page.fill("#f-body-name", "周建国");
    await page.selectOption("#f-body-gender", "male");
    await page.fill("#f-body-id_number", idNumber("19750312", "003"));
    await page.fill("#f-body-phone", "12345");
    await page.fill("#f-body-branch", "鹊山村党支部");
    await page.selectOption("#f-body-status", "full");
    await page.fill("#f-body-join_date", "2001-07-01");
    await page.selectOption("#f-body-household", { index: 1 });
    await page.click("form.api-form button[type=submit]");
    await page.waitForSelector("#err-body-phone:not([hidden])");
    assert.match(await page.textContent("#err-body-phone"), /手机号/);
    assert.equal(await page.getAttribute("#f-body-phone", "aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement.id), "f-body-phone");
    assert.match(await page.textContent(".form-summary"), /提交的内容有误/);
    await shot("07-form-field-error");
    await axe("form");
  });

  test("the draft survives a reload; the member is registered and listed with masked values", async () => {
    await page.reload();
    await page.waitForSelector("form.api-form");
    assert.equal(await page.inputValue("#f-body-name"), "周建国");
    assert.match(await page.textContent(".draft-note"), /草稿/);
    await page.fill("#f-body-phone", "13907310003");
    await page.click("form.api-form button[type=submit]");
    await page.waitForSelector(".result .good");
    assert.match(await page.textContent(".result"), /周建国/);
    assert.match(await page.textContent(".result"), /430182\*+/);
    assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("nx.draft.")).length), 0);
    await go(`/units/${GROUP}/members`, "li.record a");
    assert.match(await page.textContent("ul.records"), /周建国/);
    assert.doesNotMatch(await page.textContent("ul.records"), /13907310003/);
    await shot("08-members");
    await axe("members");
  });

  test("member detail: the clear ID number only after an explicit, audited unmask with a purpose", async () => {
    await page.click("ul.records a:has-text('周建国')");
    await page.waitForSelector("#member-id-number");
    assert.match(await page.textContent("#member-id-number"), /\*/);
    await page.selectOption("#f-body-purpose", "verification");
    await page.selectOption("#f-body-field", "id_number");
    await page.click("form[data-op=unmask_member] button[type=submit]");
    await page.waitForSelector(".unmasked:has-text('审计')");
    assert.equal(await page.textContent("#member-id-number"), idNumber("19750312", "003"));
    await shot("09-member");
    await axe("member");
  });

  test("offline: a submit is queued with its Idempotency-Key, shown as pending, and sent when the connection returns", async (t) => {
    await go("/op/create_member", "form.api-form");
    await page.fill("#f-body-name", "陈晓红");
    await page.selectOption("#f-body-gender", "female");
    await page.fill("#f-body-id_number", idNumber("19880520", "024"));
    await page.fill("#f-body-phone", "13807310024");
    await page.fill("#f-body-branch", "鹊山村党支部");
    await page.selectOption("#f-body-status", "probationary");
    await page.fill("#f-body-join_date", "2025-10-01");
    await page.fill("#f-body-probation_end", "2026-10-01");
    await page.selectOption("#f-body-household", { index: 2 });
    await context.setOffline(true);
    t.after(() => context.setOffline(false));
    await page.click("form.api-form button[type=submit]");
    await page.waitForSelector(".form-summary.is-info");
    assert.match(await page.textContent(".form-summary.is-info"), /离线/);
    await page.waitForSelector("#netbar a:has-text('1 条待发送')");
    const queued = await page.evaluate(() => JSON.parse(localStorage.getItem("nx.outbox")));
    assert.equal(queued.length, 1);
    assert.match(queued[0].headers["Idempotency-Key"], /^[0-9a-f-]{36}$/);
    await page.click("#netbar a");
    await page.waitForSelector("li.record.pending");
    await shot("10-outbox-pending");
    await axe("outbox");
    await context.setOffline(false);
    await page.waitForSelector("#toast:has-text('已发送')");
    await page.waitForFunction(() => JSON.parse(localStorage.getItem("nx.outbox") || "[]").length === 0);
    await go(`/units/${GROUP}/members`, "li.record a");
    assert.match(await page.textContent("ul.records"), /陈晓红/);
  });

  test("contact cards: the printable sheet opens in a new window with its own styles", async () => {
    await go(`/units/${GROUP}`, "ul.units li a");
    const [popup] = await Promise.all([context.waitForEvent("page"), page.click("button:has-text('打印明白卡')")]);
    await popup.waitForSelector("section.card");
    assert.match(await popup.textContent("body"), /联系服务群众明白卡/);
    const border = await popup.evaluate(() => getComputedStyle(document.querySelector("section.card")).borderTopColor);
    assert.equal(border, "rgb(183, 28, 28)");
    await popup.screenshot({ path: `${ARTIFACTS}/11-contact-cards.png` });
    await popup.close();
  });

  test("all functions: read from /openapi.json and scoped to the role; English toggle", async () => {
    await go("/ops", "ul.ops a");
    const text = await page.textContent("main");
    assert.match(text, /党员身份登记/);
    assert.doesNotMatch(text, /新建网格单元/); // units:write is not a 组长's
    await shot("12-ops");
    await axe("ops");
    await page.click("#lang-toggle");
    await page.waitForSelector("h2.page-title:has-text('All functions')");
    assert.equal(await page.getAttribute("html", "lang"), "en");
    assert.match(await page.textContent("main"), /Register a party member/);
    await go("/op/create_member", "form.api-form");
    assert.equal(await page.textContent("label[for=f-body-name]"), "name *");
    await shot("13-form-en");
    await page.click("#lang-toggle");
    await page.waitForSelector("h2.page-title:has-text('党员身份登记')");
  });

  test("a village cadre sees the village's map of its 片; a department sees no grid", async () => {
    await signIn("qs-village");
    await page.waitForSelector("dl.stats");
    // the probationary member registered offline above: probation over, so an overdue item leads the inbox
    await page.waitForSelector("ul.inbox li.bad:has-text('陈晓红')");
    assert.match(await page.textContent("ul.inbox li >> nth=0"), /已逾期.*陈晓红.*待转正/);
    await shot("15-village-home");
    await go(`/units/${VILLAGE}`, "ul.units li a");
    assert.match(await page.textContent("ul.units"), /第一片/);
    await go(`/units/${VILLAGE}/map`, "#map-chart canvas");
    await shot("16-village-map");
    assert.match(await page.textContent("table"), /第一片/);
    await signIn("water-bureau");
    assert.equal(await page.locator("nav a:has-text('网格')").count(), 0);
    await go("/ops", "h2.page-title");
    await shot("14-department");
  });

  test("photos are resized in the browser before upload", async () => {
    const out = await page.evaluate(async () => {
      const { resizeImage } = await import("/image.js");
      const canvas = new OffscreenCanvas(4000, 3000);
      const g = canvas.getContext("2d");
      for (let i = 0; i < 400; i++) { g.fillStyle = `hsl(${i} 80% 50%)`; g.fillRect((i * 37) % 4000, (i * 53) % 3000, 300, 200); }
      const big = await canvas.convertToBlob({ type: "image/png" });
      const { blob, width, height } = await resizeImage(big, { maxSide: 1600 });
      return { width, height, type: blob.type, before: big.size, after: blob.size };
    });
    assert.deepEqual([out.width, out.height, out.type], [1600, 1200, "image/jpeg"]);
    assert.ok(out.after < out.before, JSON.stringify(out));
  });

  test("no script errors on any page", () => {
    assert.deepEqual(problems, []);
  });
});
