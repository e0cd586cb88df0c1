// What the browser tests share: Debian's Chromium at a phone's size (360 × 740, touch), the page's script and
// console errors collected, screenshots, an axe-core check (no serious or critical violation), the 360 px
// layout check, the demo-account sign-in, and a valid resident ID number.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { chromium } from "playwright-core";

export const BASE = process.env.BASE_URL;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** A valid resident ID number (GB 11643): region 430182, a birth date, a sequence whose parity is the gender. */
export function idNumber(birth, seq) {
  const body = `430182${birth}${seq}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return body + "10X98765432"[sum % 11];
}

/** The API as a signed-in demo user, from node (set-up and checks that are not the flow under test). */
export async function call(username, method, path, body, headers = {}) {
  const tok = await (await fetch(`${BASE}/local-auth/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username }) })).json();
  const res = await fetch(`${BASE}${path}`, { method, headers: { Authorization: `Bearer ${tok.access_token}`, "Content-Type": "application/json", ...headers }, body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => null);
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/**
 * A browser session. Script errors and console errors go to `problems` (a test asserts it stays empty),
 * except 4xx answers (the pages show them) and what `expected` matches.
 */
export async function openBrowser({ artifacts, problems, expected = null }) {
  mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN", hasTouch: true, isMobile: true });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error" || /status of 4\d\d/.test(m.text()) || expected?.test(m.text())) return;
    problems.push(`console (${page.url()}): ${m.text()}`);
  });

  const shot = (name) => page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
  const go = async (hash, ready) => {
    await page.goto(`${BASE}/#${hash}`);
    await page.waitForSelector(ready);
  };
  async function axe(name) {
    await page.evaluate(AXE); // through the debugger protocol: the page's CSP (no inline scripts) stays on
    const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ["violations"] }));
    const bad = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
    assert.deepEqual(bad.map((v) => `${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`), []);
  }
  async function fits() { // the 360 px layout: nothing wider than the screen
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `page is ${width} px wide at ${page.url()}`);
  }
  async function signIn(username) {
    await page.goto(`${BASE}/#/`);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.waitForSelector("#accounts:not([disabled])");
    await page.selectOption("#accounts", username);
    await page.click("#signin");
    await page.waitForSelector("ul.inbox");
  }
  /** The page as a test left it, for a failure's post-mortem. */
  const lastShot = (prefix, t) => page.screenshot({ path: `${artifacts}/${prefix}-${(t?.name || "test").replace(/[^\w-]+/g, "_").slice(0, 40)}.png`, fullPage: true }).catch(() => {});
  return { browser, context, page, shot, go, axe, fits, signIn, lastShot };
}
