// The frontend's pure logic under node: schema normalisation and checks, language picking, the outbox.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { addDays, addMonths, beijingDay, beijingMonth, beijingYear } from "../dates.js";
import { fitWithin } from "../image.js";
import { authorizeUrl, challengeOf, loadAuthConfig, logoutUrl, newVerifier, tokenRequest } from "../oidc.js";
import { Outbox } from "../outbox.js";
import { allowed, changed, fillPath, normalize, operations, pickLang, validate } from "../schema.js";
import { tally } from "../pages/deliberation.js";
import { remaining } from "../pages/whistle.js";

const DOC = {
  paths: {
    "/v1/things/{code}": {
      post: {
        operationId: "make_thing",
        summary: "登记 / Register",
        tags: ["things"],
        "x-permission": "things:write",
        parameters: [
          { name: "code", in: "path", required: true, schema: { type: "string" } },
          { name: "Idempotency-Key", in: "header", schema: { type: "string" } },
        ],
        requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/ThingIn" } } } },
        responses: { 201: { content: { "application/json": { schema: { $ref: "#/components/schemas/ThingIn" } } } } },
      },
    },
  },
  components: {
    schemas: {
      ThingIn: {
        type: "object",
        required: ["name", "size", "where"],
        properties: {
          name: { type: "string", minLength: 1, maxLength: 4, description: "名称 / name" },
          size: { type: "integer", minimum: 1, maximum: 50 },
          code: { type: "string", pattern: "^[A-Z0-9]{1,12}$" },
          day: { anyOf: [{ type: "string", format: "date" }, { type: "null" }], default: null },
          kind: { enum: ["a", "b"], type: "string" },
          tags: { type: "array", items: { type: "string" }, maxItems: 2 },
          where: { $ref: "#/components/schemas/Place" },
          rows: { type: "array", items: { $ref: "#/components/schemas/Place" } },
        },
      },
      Place: { type: "object", required: ["village"], properties: { village: { type: "string", minLength: 1 } } },
    },
  },
};

test("operations read path, header and body parts, with $ref and nullable resolved", () => {
  const [op] = operations(DOC);
  assert.equal(op.id, "make_thing");
  assert.equal(op.method, "POST");
  assert.deepEqual(op.pathParams, ["code"]);
  assert.deepEqual(op.headers, ["Idempotency-Key"]);
  assert.equal(op.status, 201);
  assert.equal(op.body.properties.where.properties.village.minLength, 1);
  assert.equal(op.body.properties.day.format, "date");
  assert.equal(op.body.properties.day.nullable, true);
  assert.equal(op.body.properties.rows.items.required[0], "village");
  assert.equal(fillPath(op.path, { code: "A B" }), "/v1/things/A%20B");
  assert.ok(allowed(op, { permissions: ["things:write"] }));
  assert.ok(!allowed(op, { permissions: ["things:read"] }));
});

test("client checks mirror the schema, with the server's field paths", () => {
  const schema = normalize(DOC, { $ref: "#/components/schemas/ThingIn" });
  const ok = { name: "村", size: 3, where: { village: "鹊山" } };
  assert.deepEqual(validate(schema, ok), []);
  const paths = (v) => validate(schema, v).map((e) => `${e.path}:${e.key}`).sort();
  assert.deepEqual(paths({ size: 0, where: {} }), ["body.name:check.required", "body.size:check.minimum", "body.where.village:check.required"]);
  assert.deepEqual(paths({ ...ok, name: "五个汉字啊" }), ["body.name:check.maxLength"]);
  assert.deepEqual(paths({ ...ok, code: "abc" }), ["body.code:check.pattern"]);
  assert.deepEqual(paths({ ...ok, day: "2026-02-30" }), ["body.day:check.date"]);
  assert.deepEqual(paths({ ...ok, day: null }), []);
  assert.deepEqual(paths({ ...ok, kind: "c" }), ["body.kind:check.enum"]);
  assert.deepEqual(paths({ ...ok, size: 2.5 }), ["body.size:check.type.integer"]);
  assert.deepEqual(paths({ ...ok, tags: ["a", "b", "c"] }), ["body.tags:check.maxItems"]);
  assert.deepEqual(paths({ ...ok, rows: [{ village: "x" }, {}] }), ["body.rows.1.village:check.required"]);
});

test("bilingual API text is split for the reader", () => {
  assert.equal(pickLang("姓名 / name", "zh-CN"), "姓名");
  assert.equal(pickLang("姓名 / name", "en"), "name");
  assert.equal(pickLang("党员身份登记（一人一档）/ Register a party member", "en"), "Register a party member");
  assert.equal(pickLang("只有中文", "en"), "只有中文");
});

test("a PATCH sends only what changed", () => {
  assert.deepEqual(changed({ name: "a", phone: "1" }, { name: "a", phone: "2", branch: null }), { phone: "2" });
});

test("photos are scaled to fit, never enlarged", () => {
  assert.deepEqual(fitWithin(4000, 3000, 1600), { width: 1600, height: 1200 });
  assert.deepEqual(fitWithin(3000, 4000, 1600), { width: 1200, height: 1600 });
  assert.deepEqual(fitWithin(800, 600, 1600), { width: 800, height: 600 });
});

class Storage {
  constructor() { this.m = new Map(); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  setItem(k, v) { this.m.set(k, String(v)); }
}

test("the outbox keeps items offline, sends them in order with their keys, and keeps refused ones", async () => {
  const sent = [];
  let online = false;
  const box = new Outbox(new Storage(), async (item) => {
    if (!online) throw { status: 0 };
    if (item.body.bad) throw { status: 422, body: { error: { code: "validation_failed", message: "错", fields: [] } } };
    sent.push(item.headers["Idempotency-Key"]);
    return { ok: true };
  });
  box.add({ method: "POST", url: "/v1/x", body: { n: 1 }, headers: { "Idempotency-Key": "k1" }, label: "one" });
  box.add({ method: "POST", url: "/v1/x", body: { bad: true }, headers: { "Idempotency-Key": "k2" }, label: "two" });
  box.add({ method: "POST", url: "/v1/x", body: { n: 3 }, headers: { "Idempotency-Key": "k3" }, label: "three" });
  assert.equal((await box.flush()).sent.length, 0);
  assert.equal(box.pending().length, 3);
  online = true;
  const { sent: done, failed } = await box.flush();
  assert.deepEqual(sent, ["k1", "k3"]);
  assert.equal(done.length, 2);
  assert.equal(failed.length, 1);
  assert.deepEqual(box.items().map((x) => [x.id, x.state]), [["k2", "failed"]]);
  assert.equal(box.items()[0].error.code, "validation_failed");
});

// -- sign-in with Cognito's hosted UI: PKCE (RFC 7636) ------------------------------------------------
const COGNITO = { kind: "oauth", domain: "https://nx-prod.auth.ap-east-1.amazoncognito.com", client_id: "abc123", scopes: ["openid", "profile"] };

test("PKCE S256: the RFC 7636 appendix B example, and fresh verifiers of the allowed alphabet and length", async () => {
  assert.equal(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const a = newVerifier();
  assert.match(a, /^[A-Za-z0-9_-]{64}$/);
  assert.notEqual(a, newVerifier());
  assert.equal(newVerifier((n) => new Uint8Array(n)), "A".repeat(64));
});

test("the authorize, token and logout requests carry what Cognito asks", () => {
  const url = new URL(authorizeUrl(COGNITO, { state: "s1", challenge: "c1", redirectUri: "https://nx.example.cn/" }));
  assert.equal(`${url.origin}${url.pathname}`, "https://nx-prod.auth.ap-east-1.amazoncognito.com/oauth2/authorize");
  assert.deepEqual(Object.fromEntries(url.searchParams), { response_type: "code", client_id: "abc123", redirect_uri: "https://nx.example.cn/",
    scope: "openid profile", state: "s1", code_challenge: "c1", code_challenge_method: "S256" });
  assert.equal(tokenRequest(COGNITO, { code: "k", verifier: "v", redirectUri: "https://nx.example.cn/" }).toString(),
    "grant_type=authorization_code&client_id=abc123&code=k&redirect_uri=https%3A%2F%2Fnx.example.cn%2F&code_verifier=v");
  assert.equal(logoutUrl(COGNITO, "https://nx.example.cn/"), "https://nx-prod.auth.ap-east-1.amazoncognito.com/logout?client_id=abc123&logout_uri=https%3A%2F%2Fnx.example.cn%2F");
});

test("/config.json decides: absent or incomplete means the local issuer", async () => {
  const answer = (status, body) => async () => ({ ok: status === 200, status, json: async () => body });
  assert.deepEqual(await loadAuthConfig(answer(200, { auth: COGNITO })), COGNITO);
  assert.equal(await loadAuthConfig(answer(404, null)), null);
  assert.equal(await loadAuthConfig(answer(200, { auth: { kind: "oauth", domain: "" } })), null);
  assert.equal(await loadAuthConfig(async () => { throw new TypeError("offline"); }), null);
});

// -- deliberation and whistle helpers ------------------------------------------------------------------
test("四议两公开 tally: two thirds present (exact), more than half of those present in favour", () => {
  assert.deepEqual(tally(9, 6, 4), { quorum: true, adopted: true, need: 6, half: 3 });
  assert.equal(tally(8, 5, 5).quorum, false); // 5 of 8 is less than 2/3
  assert.equal(tally(9, 6, 3).adopted, false); // exactly half is not a majority
  assert.equal(tally(0, 0, 0).quorum, false);
});

test("countdowns in days and hours, hours and minutes, or minutes", () => {
  assert.deepEqual(remaining(2 * 86400 + 3 * 3600 + 59), ["wh.days", { d: 2, h: 3 }]);
  assert.deepEqual(remaining(-(3 * 3600 + 5 * 60)), ["wh.hours", { h: 3, m: 5 }]);
  assert.deepEqual(remaining(59 * 60), ["wh.minutes", { m: 59 }]);
});

test("days and months are Beijing's: at 01:00 on 1 December in Beijing it is still 30 November in UTC", (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-12-01T01:00:00+08:00") });
  assert.equal(new Date().toISOString().slice(0, 10), "2026-11-30"); // what the pages used to show
  assert.equal(beijingDay(), "2026-12-01");
  assert.equal(beijingMonth(), "2026-12");
  assert.equal(beijingDay(Date.parse("2026-11-30T23:59:59+08:00")), "2026-11-30");
  assert.equal(beijingDay(new Date("2026-12-31T16:00:00Z")), "2027-01-01");
  assert.equal(beijingYear(Date.parse("2026-12-31T16:30:00Z")), 2027);
  assert.equal(addDays("2026-11-28", 7), "2026-12-05");
  assert.equal(addDays("2028-03-01", -1), "2028-02-29");
  assert.equal(addMonths("2026-12", 1), "2027-01");
  assert.equal(addMonths("2026-01", -11), "2025-02");
  assert.equal(addMonths("2026-03", 0), "2026-03");
});

test("no page takes a calendar day, month or year from UTC or the browser's own time zone (web/dates.js does)", () => {
  const root = new URL("../", import.meta.url);
  const files = [...readdirSync(root).filter((f) => f.endsWith(".js")), ...readdirSync(new URL("pages/", root)).map((f) => `pages/${f}`)];
  const bad = [];
  for (const f of files.filter((x) => x !== "dates.js")) {
    readFileSync(new URL(f, root), "utf8").split("\n").forEach((line, i) => {
      if (/(new Date\(\)|Date\.now\(\)).*(toISOString\(\)\.slice\(0, (4|7|10)\)|get(UTC)?(FullYear|Month|Date)\()/.test(line)) bad.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(bad, []);
});
