// 批量导入 (bulk imports) in a real browser: Debian's Chromium driven by playwright-core against a running local
// stack (BASE_URL; tests/e2e/test_web_imports.py starts one and builds the workbooks with openpyxl: GRID_XLSX a
// new 组 with a 邻, a household and both heads, BAD_XLSX a workbook with a bad row). The village cadre downloads
// the grid template from the page (saved to TEMPLATE_OUT, whose sheets the Python side reads), uploads the
// workbook and sees the written counts (then the unit over the API), taps again and gets the replay, uploads the
// bad one and sees the error table with nothing written. Screenshots go to ARTIFACT_DIR; axe-core at 360 px.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";

import { BASE, call, openBrowser } from "./harness.mjs";

const ARTIFACTS = process.env.ARTIFACT_DIR || new URL("../../test-artifacts/web-imports/", import.meta.url).pathname;
const { GRID_XLSX, BAD_XLSX, GROUP, LEAF, BAD_GROUP, TEMPLATE_OUT } = process.env;

describe("批量导入 in Chromium", { skip: !(BASE && GRID_XLSX) && "BASE_URL not set (run through tests/e2e/test_web_imports.py)" }, () => {
  let browser, page, shot, go, axe, fits, signIn, lastShot;
  const problems = [];

  before(async () => {
    ({ browser, page, shot, go, axe, fits, signIn, lastShot } = await openBrowser({ artifacts: ARTIFACTS, problems, expected: null }));
  });
  after(async () => { await browser?.close(); });
  afterEach(async (t) => { await lastShot?.("after-imports", t); });

  test("the village cadre finds the import page and downloads the grid workbook's template", async () => {
    await signIn("qs-group"); // a 组长 imports nothing: no menu entry
    assert.equal(await page.locator("nav a:has-text('批量导入')").count(), 0);
    await signIn("qs-village");
    await page.click("nav a:has-text('批量导入')");
    await page.waitForSelector("#imp-form");
    // the party roster is offered with members:write, which every role that may import holds (the logic test
    // covers a user without it)
    const kinds = await page.$$eval("#imp-kind option", (os) => os.map((o) => o.value));
    assert.deepEqual(kinds, ["grid", "units", "households", "appointments", "members"]);
    assert.equal(await page.inputValue("#imp-mode"), "all_or_nothing");
    assert.equal(await page.getAttribute("#imp-file", "accept"), ".xlsx,.csv,.zip");
    await page.selectOption("#imp-kind", "households");
    assert.equal(await page.getAttribute("#imp-file", "accept"), ".xlsx,.csv");
    assert.match(await page.textContent("#imp-template"), /住户/);
    await page.selectOption("#imp-kind", "grid");
    assert.match(await page.textContent("#imp-template"), /网格工作簿/);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#imp-template")]);
    assert.match(download.suggestedFilename(), /\.xlsx$/);
    await download.saveAs(TEMPLATE_OUT);
    const bytes = readFileSync(TEMPLATE_OUT);
    assert.equal(bytes.subarray(0, 2).toString(), "PK"); // an .xlsx is a ZIP (its sheets are read on the Python side)
    assert.ok(bytes.length > 2000, `template is ${bytes.length} bytes`);
    await shot("i01-template");
  });

  test("a grid workbook is uploaded and written; the unit has its household and head; a second tap replays", async () => {
    await page.setInputFiles("#imp-file", GRID_XLSX);
    await page.click("#imp-upload");
    await page.waitForSelector("#imp-result .imp-done");
    // 2 units + 1 household + 2 heads
    assert.equal((await page.textContent("#imp-result .imp-done")).trim(), "导入完成：写入 5 行，跳过 0 行");
    assert.equal((await page.textContent("#imp-result")).trim(), "导入完成：写入 5 行，跳过 0 行"); // nothing else (no replay note)
    await shot("i02-written");
    const group = await call("qs-village", "GET", `/v1/units/${GROUP}`);
    assert.equal(group.name, "第十组");
    assert.equal(group.counts.households, 1);
    assert.equal(group.head?.person_name, "李春华");
    const leaf = await call("qs-village", "GET", `/v1/units/${LEAF}`);
    assert.equal(leaf.counts.households, 1);
    assert.equal(leaf.head?.person_name, "周秀英");
    // the same file again (a double tap, a retry): the same Idempotency-Key, the first answer replayed
    await page.click("#imp-upload");
    await page.waitForSelector("#imp-result .imp-replayed");
    assert.match(await page.textContent("#imp-result .imp-done"), /写入 5 行/);
    assert.doesNotMatch(await page.textContent("#imp-result"), /null|undefined/);
    assert.equal((await call("qs-village", "GET", `/v1/units/${GROUP}`)).counts.households, 1);
  });

  test("a workbook with a bad row: the error table names the sheet, row and column, and nothing is written", async () => {
    await page.setInputFiles("#imp-file", BAD_XLSX);
    assert.equal(await page.locator("#imp-result *").count(), 0); // a new file clears the last answer
    await page.click("#imp-upload");
    await page.waitForSelector("#imp-result table");
    assert.match(await page.textContent("#imp-form .form-summary"), /未写入任何数据/);
    const heads = await page.$$eval("#imp-result thead th", (ths) => ths.map((th) => th.textContent));
    assert.deepEqual(heads, ["工作表", "行", "列", "原因"]);
    const rows = await page.$$eval("#imp-result tbody tr", (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.deepEqual(rows[0].slice(0, 3), ["住户", "3", "常住人口"]);
    await shot("i03-errors");
    const res = await fetch(`${BASE}/v1/units/${BAD_GROUP}`, { headers: { Authorization: `Bearer ${await page.evaluate(() => sessionStorage.getItem("nx.token"))}` } });
    assert.equal(res.status, 404); // all or nothing: not even the valid 单元 rows were written
  });

  test("the page at 360 px: axe finds no serious violation and nothing is wider than the screen", async () => {
    await axe("imports-errors");
    await fits();
    await go("/imports", "#imp-form");
    await axe("imports");
    await fits();
    assert.deepEqual(problems, []);
  });
});
