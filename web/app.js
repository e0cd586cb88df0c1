// The app: sign-in, a hash router, and the pages. Generic pages (all functions, any operation's form or
// view) are driven by /openapi.json; the grid and member pages are made by hand on the same pieces.
import { api, ApiError, TOKEN_KEY, token } from "./api.js";
import { addDays, beijingDay } from "./dates.js";
import { el, enumLabel, fieldLabel, localMessage, renderOperationForm } from "./form.js";
import { STRINGS, has, t } from "./i18n.js";
import { Outbox } from "./outbox.js";
import { allowed, fillPath, operations, pickLang } from "./schema.js";
import { PAGES } from "./pages/index.js";
import { finishSignIn, loadAuthConfig, signOutUrl, startSignIn } from "./oidc.js";

// the slices' page modules bring their own strings (web/pages/index.js)
for (const mod of PAGES) for (const [lang, strings] of Object.entries(mod.strings || {})) Object.assign(STRINGS[lang], strings);

const LANG_KEY = "nx.lang";
const $ = (id) => document.getElementById(id);

const state = {
  lang: STRINGS[localStorage.getItem(LANG_KEY)] ? localStorage.getItem(LANG_KEY) : "zh-CN",
  me: null,
  doc: null,
  ops: new Map(),
  tags: null, // household_tag catalogue: code -> {name_zh, name_en}
  auth: null, // the hosted sign-in (Cognito) from /config.json; null: the local issuer (web/oidc.js)
};
const tr = (key, vars) => t(state.lang, key, vars);
const ctx = () => ({ lang: state.lang, tr, has, choices: {}, owner: state.me?.sub });
const L = (text) => pickLang(text, state.lang);

// -- the outbox ------------------------------------------------------------------------------------------
// an item is sent only with the token of the user who queued it (a shared phone changes hands)
const outbox = new Outbox(localStorage, async (item) => {
  if (item.owner && item.owner !== state.me?.sub) throw new ApiError(401, null);
  return api(item.url, { method: item.method, body: item.body, headers: item.headers });
});

async function flushOutbox() {
  if (!navigator.onLine || !token() || !outbox.pending().length) return;
  const { sent } = await outbox.flush();
  for (const { item } of sent) toast(tr("outbox.sent", { label: item.label }));
  if (sent.length && !document.querySelector("form.api-form:focus-within")) route();
}

function renderNetbar() {
  const bar = $("netbar");
  const items = outbox.items();
  const offline = !navigator.onLine;
  bar.hidden = !offline && !items.length;
  bar.replaceChildren(
    offline ? el("span", { class: "pill bad", text: tr("outbox.offline") }) : null,
    items.length ? el("a", { href: "#/outbox", class: "pill warn", text: tr("outbox.badge", { n: items.length }) }) : null,
  );
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

// -- errors ----------------------------------------------------------------------------------------------
function errorText(err) {
  if (!(err instanceof ApiError) || err.status === 0) return tr("error.network");
  const e = err.body?.error;
  if (err.status === 404) return e ? (state.lang === "en" ? e.message_en : e.message) || tr("error.notFound") : tr("error.notFound");
  if (err.status === 403) return tr("error.forbidden");
  if (e) {
    const head = state.lang === "en" ? e.message_en || e.message : e.message || e.message_en;
    const fields = (e.fields || []).map((f) => `${f.path}: ${localMessage(f.message, state.lang)}`);
    return [head, ...fields].join(" ");
  }
  return tr("error.generic", { status: err.status });
}

function showError(err) {
  const box = $("error");
  if (err instanceof ApiError && err.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.me = null;
    box.textContent = tr("error.session");
    box.hidden = false;
    renderChrome();
    location.hash = "#/";
    return;
  }
  box.hidden = !err;
  box.textContent = err ? errorText(err) : "";
}

// -- data helpers ----------------------------------------------------------------------------------------
const unitCode = (path) => path.replaceAll("/", "-");
const myUnit = () => (state.me?.scope?.kind === "unit" ? unitCode(state.me.scope.path) : null);
const can = (permission) => !!state.me?.permissions?.includes(permission);
const inScope = (path) => !!state.me && state.me.scope?.kind === "unit" && (path === state.me.scope.path || path.startsWith(`${state.me.scope.path}/`));
const roleName = (role) => (has(`role.${role}`) ? tr(`role.${role}`) : role);

async function loadDoc() {
  if (state.doc) return state.doc;
  state.doc = await api("/openapi.json", { auth: false });
  state.ops = new Map(operations(state.doc).map((op) => [op.id, op]));
  return state.doc;
}

async function tagNames() {
  if (!state.tags) {
    try {
      const cat = await api("/v1/catalogues/household_tag");
      state.tags = Object.fromEntries(cat.items.map((i) => [i.code, i]));
    } catch { state.tags = {}; }
  }
  return state.tags;
}
const tagLabel = (code) => { const x = state.tags?.[code]; return x ? (state.lang === "en" ? x.name_en || x.name_zh : x.name_zh) : code; };

/** Choices for fields whose schema names no enum: catalogue codes and households in scope. */
async function choicesFor(op, unit) {
  const props = op.body?.properties || {};
  const out = {};
  if (props.tags?.type === "array" && !props.tags.items?.enum) {
    const tags = await tagNames();
    out.tags = Object.values(tags).filter((x) => x.active !== false).map((x) => ({ value: x.code, label: tagLabel(x.code) }));
  }
  if (props.household?.type === "string" && can("households:read") && (unit || myUnit())) {
    try {
      const page = await api(`/v1/units/${encodeURIComponent(unit || myUnit())}/households?limit=500`);
      if (page.items.length) out.household = page.items.map((h) => ({ value: h.id, label: `${h.address} · ${h.head_name}` }));
    } catch { /* free text then */ }
  }
  return out;
}

// -- page scaffolding ------------------------------------------------------------------------------------
function page(title, ...children) {
  const main = $("main");
  document.title = `${title} · ${tr("app.title")}`;
  main.replaceChildren(el("h2", { class: "page-title", text: title }), ...children.filter((c) => c !== null && c !== undefined && c !== false));
  return main;
}

const card = (heading, ...children) => el("section", { class: "card" }, heading ? el("h3", { text: heading }) : null, ...children);
const linkButton = (href, text, cls = "button") => el("a", { href, class: cls, text });
const loading = () => el("p", { class: "note", text: tr("common.loading") });

function table(columns, rows, caption) {
  return el("div", { class: "table-wrap" }, el("table", {},
    caption ? el("caption", { text: caption }) : null,
    el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col", text: c.label })))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...columns.map((c, i) => {
      const v = c.value(r);
      return i === 0 ? el("th", { scope: "row" }, v ?? "—") : el("td", {}, v ?? "—");
    }))))));
}

// -- sign-in ---------------------------------------------------------------------------------------------
async function signInPage() {
  const select = el("select", { id: "accounts", name: "username", required: true, disabled: true },
    el("option", { value: "", text: tr("signin.loading") }));
  const button = el("button", { id: "signin", type: "submit", class: "primary", disabled: true, text: tr("signin.button") });
  const form = el("form", { id: "signin-form", class: "signin" }, el("label", { for: "accounts", text: tr("signin.account") }), select, button);
  const idp = el("p", { class: "note", hidden: true, text: tr("signin.idp") });
  const status = el("div", { id: "status", "aria-live": "polite" }, loading());
  page(tr("signin.heading"),
    card(null, el("p", { text: tr("signin.intro") }), form, idp),
    card(tr("status.heading"), status),
    el("nav", { class: "card", "aria-label": tr("links.heading") }, el("h3", { text: tr("links.heading") }),
      el("ul", {}, el("li", {}, el("a", { href: "/openapi.json", text: tr("links.openapi") })),
        el("li", {}, el("a", { href: "/health", text: tr("links.health") })))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!select.value) return;
    button.disabled = true;
    button.textContent = tr("signin.busy");
    showError(null);
    try {
      const tok = await api("/local-auth/token", { method: "POST", body: { username: select.value }, auth: false });
      sessionStorage.setItem(TOKEN_KEY, tok.access_token);
      await loadMe();
      renderChrome();
      flushOutbox();
      route(); // the page that was asked for (a deep link survives the sign-in)
    } catch (err) {
      showError(err);
      button.disabled = false;
      button.textContent = tr("signin.button");
    }
  });
  if (state.auth) { // AWS: Cognito's hosted UI, authorization code + PKCE
    form.hidden = true;
    idp.hidden = false;
    idp.after(el("button", { id: "signin-idp", type: "button", class: "primary", text: tr("signin.idpButton"), onclick: () => startSignIn(state.auth) }));
  } else api("/local-auth/accounts", { auth: false }).then((a) => {
    select.replaceChildren(...a.accounts.map((acc) => el("option", { value: acc.username, text: `${acc.display_name} · ${roleName(acc.role)}` })));
    select.disabled = button.disabled = false;
  }).catch((err) => {
    if (err instanceof ApiError && err.status === 404) { form.hidden = true; idp.hidden = false; } else showError(err);
  });
  api("/health", { auth: false }).catch((err) => (err instanceof ApiError && err.body?.status ? err.body : null)).then((h) => {
    if (!h) { status.replaceChildren(el("p", { class: "bad", text: tr("error.network") })); return; }
    const ok = h.status === "ok";
    status.replaceChildren(
      el("p", { class: `pill ${ok ? "good" : "bad"}`, text: tr(ok ? "status.ok" : "status.degraded") }),
      el("p", { text: `${tr("status.version")}: ${h.version ?? "—"} · ${tr("status.stage")}: ${h.stage ?? "—"}` }),
      el("ul", { class: "plain" }, ...Object.entries(h.backends || {}).map(([n, up]) =>
        el("li", { class: up ? "good" : "bad", text: `${up ? "✔" : "✖"} ${n}: ${tr(up ? "status.up" : "status.down")}` }))));
  });
}

async function loadMe() {
  if (!token()) { state.me = null; return; }
  try {
    state.me = await api("/v1/me");
  } catch (err) {
    state.me = null;
    if (err instanceof ApiError && err.status === 401) { sessionStorage.removeItem(TOKEN_KEY); showError(err); }
    else if (!(err instanceof ApiError && err.status === 0)) showError(err);
  }
}

// -- home: the task inbox --------------------------------------------------------------------------------
function inboxItems() {
  const items = [];
  for (const x of outbox.items()) {
    items.push({ rank: x.state === "failed" ? 0 : 2, text: tr(x.state === "failed" ? "home.failed" : "home.pending", { label: x.label }), href: "#/outbox", cls: x.state === "failed" ? "bad" : "warn" });
  }
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (!k.startsWith("nx.draft.")) continue;
    try {
      const d = JSON.parse(localStorage.getItem(k));
      const [, , opId, params] = k.match(/^nx\.draft\.([^.]+)\.(.*)$/) ? [null, null, ...k.match(/^nx\.draft\.([^.]+)\.(.*)$/).slice(1)] : [];
      if (!opId) continue;
      const q = new URLSearchParams(JSON.parse(params || "{}"));
      items.push({ rank: 3, text: tr("home.draft", { label: L(d.label || opId) }), href: `#/op/${opId}?${q}`, cls: "" });
    } catch { /* not ours */ }
  }
  return items;
}

async function homePage() {
  const inbox = el("ul", { class: "inbox", "aria-live": "polite" });
  const unitBox = el("div", {}, loading());
  const mine = myUnit();
  const quick = el("div", { class: "quick" });
  page(tr("home.heading"),
    el("p", { class: "hello", text: tr("home.hello", { name: state.me.display_name }) }),
    card(tr("home.inbox"), inbox),
    card(tr("home.quick"), quick),
    mine ? card(tr("home.unit"), unitBox) : null);
  if (can("members:write")) quick.append(linkButton("#/op/create_member", tr("home.registerMember"), "button primary"));
  if (mine) {
    quick.append(linkButton(`#/units/${mine}`, tr("home.myUnit")));
    if (can("households:read")) quick.append(linkButton(`#/units/${mine}/map`, tr("home.map")));
    if (can("members:read")) quick.append(linkButton(`#/units/${mine}/members`, tr("home.members")));
  }
  quick.append(linkButton("#/ops", tr("nav.more")));

  const items = inboxItems();
  const renderInbox = () => {
    items.sort((a, b) => a.rank - b.rank || (a.due || "").localeCompare(b.due || ""));
    inbox.replaceChildren(...(items.length ? items.map((i) => el("li", { class: i.cls },
      el("a", { href: i.href }, i.badge ? el("span", { class: `pill ${i.badgeCls || ""}`, text: i.badge }) : null, i.text))) :
      [el("li", { class: "empty", text: tr("home.inboxEmpty") })]));
  };
  renderInbox();
  for (const mod of PAGES) for (const link of mod.quick?.(kit) || []) quick.insertBefore(link, quick.lastChild);
  await Promise.all(PAGES.filter((mod) => mod.inbox).map(async (mod) => {
    try { items.push(...await mod.inbox(kit)); renderInbox(); } catch { /* the inbox still shows the rest */ }
  }));
  if (!mine) return;
  try {
    const unit = await api(`/v1/units/${mine}`);
    await tagNames();
    unitBox.replaceChildren(unitSummary(unit), el("p", {}, linkButton(`#/units/${mine}`, `${unit.name} →`, "button")));
    if (unit.level === "neighbourhood" && can("households:write")) quick.prepend(linkButton(`#/op/create_household?unit=${mine}`, tr("home.addHousehold"), "button"));
  } catch (err) { unitBox.replaceChildren(el("p", { class: "bad", text: errorText(err) })); }
  if (can("members:read")) {
    try {
      const page1 = await api(`/v1/units/${mine}/members?status=probationary&limit=200`);
      const today = beijingDay();
      const soon = addDays(today, 30);
      for (const m of page1.items) {
        if (!m.probation_end || m.probation_end > soon) continue;
        const overdue = m.probation_end < today;
        items.push({ rank: overdue ? 1 : 4, due: m.probation_end, href: `#/members/${m.id}`, cls: overdue ? "bad" : "",
          badge: overdue ? tr("home.overdue") : tr("home.dueIn", { n: 30 }), badgeCls: overdue ? "bad" : "warn",
          text: ` ${tr("home.probation", { name: m.name })}（${m.probation_end}）` });
      }
      renderInbox();
    } catch { /* the inbox still shows the rest */ }
  }
}

// -- grid ------------------------------------------------------------------------------------------------
function unitSummary(unit) {
  const c = unit.counts;
  const stats = [["grid.households", c.households], ["grid.residents", c.residents], ["grid.members", c.members],
    ["grid.heads", c.heads], ["grid.childCount", c.children]];
  const tags = Object.entries(c.tags || {}).filter(([, n]) => n > 0);
  return el("div", {},
    el("dl", { class: "stats" }, ...stats.map(([k, v]) => el("div", {}, el("dt", { text: tr(k) }), el("dd", { text: String(v) })))),
    tags.length ? el("p", { class: "chips", "aria-label": tr("grid.tags") }, ...tags.map(([code, n]) => el("span", { class: "chip", text: `${tagLabel(code)} ${n}` }))) : null);
}

async function unitPage(code) {
  page(tr("grid.heading"), loading());
  await loadDoc();
  const [unit, children] = await Promise.all([api(`/v1/units/${code}`), api(`/v1/units/${code}/children?limit=200`), tagNames()]);
  const head = unit.head;
  const actions = el("div", { class: "quick" });
  const isLeafish = unit.level === "neighbourhood" || unit.level === "group";
  if (can("households:read")) actions.append(linkButton(`#/units/${code}/households`, tr("grid.viewHouseholds")));
  if (can("households:read") && unit.counts.children) actions.append(linkButton(`#/units/${code}/map`, tr("grid.viewMap")));
  actions.append(linkButton(`#/units/${code}/heads`, tr("grid.viewHeads")));
  if (can("members:read")) actions.append(linkButton(`#/units/${code}/members`, tr("grid.viewMembers")));
  if (can("households:read") && state.ops.has("export_unit")) actions.append(linkButton(`#/op/export_unit?code=${code}`, tr("grid.export")));
  if (can("households:read") && isLeafish) actions.append(el("button", { type: "button", class: "secondary", text: tr("grid.printCards"), onclick: () => printCards(code, unit.name) }));
  if (can("households:write") && unit.level === "neighbourhood") actions.append(linkButton(`#/op/create_household?unit=${code}`, tr("grid.addHousehold"), "button primary"));
  if (can("units:write") && unit.level !== "neighbourhood") actions.append(linkButton(`#/op/create_unit?parent=${code}`, tr("grid.addChild")));
  if (can("appointments:write") && ["area", "group", "neighbourhood"].includes(unit.level) && !head) actions.append(linkButton(`#/op/appoint?code=${code}`, tr("grid.appoint")));
  const parentPath = unit.path.split("/").slice(0, -1).join("/");
  const childList = el("ul", { class: "units" }, ...children.items.map((u) => el("li", {},
    el("a", { href: `#/units/${u.code}` },
      el("span", { class: "unit-name", text: `${u.name}` }), el("span", { class: "level", text: u.level_label }),
      el("span", { class: "counts", text: `${tr("grid.households")} ${u.counts.households} · ${tr("grid.members")} ${u.counts.members} · ${u.head ? u.head.person_name : tr("grid.noHead")}` })))));
  const search = unitSearch();
  page(`${unit.name}（${unit.level_label}）`,
    inScope(parentPath) ? el("p", {}, el("a", { href: `#/units/${unitCode(parentPath)}`, text: `↑ ${tr("grid.up")}` })) : null,
    card(null, unitSummary(unit),
      el("p", { class: "head" }, el("strong", { text: `${tr("grid.head")}：` }),
        head ? `${head.role_label} ${head.person_name} ${head.phone ?? ""}` : tr("grid.noHead"))),
    card(tr("grid.actions"), actions),
    card(tr("grid.children"), children.items.length ? childList : el("p", { class: "note", text: tr("grid.noChildren") })),
    search);
}

function unitSearch() {
  const input = el("input", { id: "unit-q", type: "search", name: "q", autocomplete: "off" });
  const out = el("ul", { class: "units", "aria-live": "polite" });
  const form = el("form", { class: "inline", role: "search", onsubmit: async (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    try {
      const r = await api(`/v1/units?q=${encodeURIComponent(input.value.trim())}&limit=20`);
      const hits = r.items || r.hits || [];
      out.replaceChildren(...(hits.length ? hits.map((h) => el("li", {}, el("a", { href: `#/units/${h.code}`, text: `${h.name}（${h.level_label || enumLabel(ctx(), h.level)}）` }))) : [el("li", { class: "empty", text: tr("grid.searchNone") })]));
    } catch (err) { showError(err); }
  } }, el("label", { for: "unit-q", text: tr("grid.searchLabel") }), el("div", { class: "row-input" }, input, el("button", { type: "submit", class: "primary", text: tr("common.search") })));
  return card(null, form, out);
}

async function householdsPage(code) {
  page(tr("hh.heading", { unit: code }), loading());
  const [unit] = await Promise.all([api(`/v1/units/${code}`), tagNames(), loadDoc()]);
  const list = el("ul", { class: "records" });
  const more = el("button", { type: "button", class: "secondary", hidden: true, text: tr("common.loadMore") });
  let cursor = null;
  const load = async () => {
    const r = await api(`/v1/units/${code}/households?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const h of r.items) list.append(householdItem(h));
    cursor = r.next_cursor;
    more.hidden = !cursor;
    if (!list.children.length) list.append(el("li", { class: "empty", text: tr("hh.none") }));
  };
  more.addEventListener("click", () => load().catch(showError));
  page(tr("hh.heading", { unit: unit.name }),
    el("p", {}, el("a", { href: `#/units/${code}`, text: `← ${unit.name}` })),
    can("households:write") && unit.level === "neighbourhood" ? el("p", {}, linkButton(`#/op/create_household?unit=${code}`, tr("grid.addHousehold"), "button primary")) : null,
    list, more);
  await load();
}

function householdItem(h) {
  const phone = el("span", { class: "phone", text: h.phone || "—" });
  return el("li", { class: "record" },
    el("p", { class: "title" }, el("strong", { text: h.address }), ` · ${tr("hh.head")} ${h.head_name} · ${tr("hh.residents")} ${h.residents}`),
    el("p", {}, `${tr("hh.phone")}：`, phone, " ", h.phone && can("personal:unmask") ? unmaskControl(`/v1/households/${h.id}/unmask`, "unmask_household", {}, (v) => { phone.textContent = v; }) : null),
    h.tags.length ? el("p", { class: "chips" }, ...h.tags.map((c) => el("span", { class: "chip", text: tagLabel(c) }))) : null,
    el("p", {}, el("a", { href: `#/op/contact_card?id=${h.id}`, text: tr("hh.card") })));
}

/** An explicit, audited unmask: a purpose chosen from the API's enum, then one POST. */
function unmaskControl(url, opId, extra, onValue) {
  const op = state.ops.get(opId);
  const purposes = op?.body?.properties?.purpose?.enum || ["contact"];
  const details = el("details", { class: "unmask" }, el("summary", { text: tr("unmask.phone") }));
  const id = `p-${Math.random().toString(36).slice(2)}`;
  const select = el("select", { id }, ...purposes.map((p) => el("option", { value: p, text: enumLabel(ctx(), p) })));
  const note = el("p", { class: "note", text: tr("member.unmaskIntro") });
  const button = el("button", { type: "button", class: "secondary small", text: tr("member.unmaskButton"), onclick: async () => {
    try {
      const r = await api(url, { method: "POST", body: { purpose: select.value, ...extra } });
      onValue(r.phone ?? r.value ?? "");
      details.open = false;
    } catch (err) { showError(err); }
  } });
  details.append(note, el("label", { for: id, text: tr("unmask.purpose") }), select, button);
  return details;
}

async function mapPage(code) {
  page(tr("map.heading", { unit: code }), loading());
  const [unit, data] = await Promise.all([api(`/v1/units/${code}`), api(`/v1/units/${code}/map`), tagNames()]);
  const label = (c) => (state.lang === "en" ? state.tags?.[c]?.name_en : null) || data.tags[c] || c;
  const select = el("select", { id: "map-tag" }, el("option", { value: "", text: tr("map.allTags") }),
    ...Object.keys(data.tags).map((c) => el("option", { value: c, text: label(c) })));
  const chartBox = el("div", { id: "map-chart", class: "chart", role: "img", "aria-label": tr("map.chartLabel") });
  const tableBox = el("div");
  page(tr("map.heading", { unit: unit.name }),
    el("p", {}, el("a", { href: `#/units/${code}`, text: `← ${unit.name}` })),
    el("p", { class: "note", text: tr("map.intro") }),
    card(null, el("div", { class: "field" }, el("label", { for: "map-tag", text: tr("map.tag") }), select), chartBox),
    card(tr("map.table"), tableBox));
  const tagged = (cell, tag) => (tag ? cell.tags[tag] || 0 : Object.values(cell.tags).reduce((a, b) => a + b, 0));
  let chart = null;
  const draw = async () => {
    const tag = select.value;
    const cells = data.cells.filter((c) => c.households > 0);
    tableBox.replaceChildren(cells.length ? table([
      { label: tr("map.unit"), value: (c) => (c.level === "neighbourhood" ? c.name : el("a", { href: `#/units/${c.code}/map`, text: c.name })) },
      { label: tr("map.households"), value: (c) => String(c.households) },
      { label: tag ? label(tag) : tr("map.tagged"), value: (c) => String(tagged(c, tag)) },
    ], cells) : el("p", { class: "note", text: tr("map.empty") }));
    if (!cells.length) { chartBox.hidden = true; return; }
    const echarts = await import("./node_modules/echarts/dist/echarts.esm.min.js");
    chart ??= echarts.init(chartBox, null, { renderer: "canvas" });
    const shade = (ratio) => { // light yellow -> deep red, by the share of households with the tag
      const x = Math.min(1, ratio);
      const r = Math.round(255 - 72 * x), g = Math.round(236 - 208 * x), b = Math.round(179 - 151 * x);
      return `rgb(${r},${g},${b})`;
    };
    chart.setOption({
      animation: false,
      // drawn on the canvas: ECharts' HTML tooltip uses inline style attributes, which the page's CSP refuses
      tooltip: { renderMode: "richText", formatter: (p) => `${p.name}\n${tr("map.households")} ${p.data.value}\n${tag ? label(tag) : tr("map.tagged")} ${p.data.tagged}` },
      series: [{
        type: "treemap", roam: false, left: 0, right: 0, top: 0, bottom: 0, nodeClick: false, breadcrumb: { show: false },
        label: { show: true, formatter: (p) => `${p.name}\n${p.data.tagged}/${p.data.value}`, fontSize: 14 },
        itemStyle: { borderColor: "#fff", borderWidth: 2, gapWidth: 2 },
        data: cells.map((c) => {
          const n = tagged(c, tag);
          const x = Math.min(1, n / c.households);
          return { name: c.name, value: c.households, tagged: n, code: c.code, level: c.level,
            itemStyle: { color: shade(n / c.households) }, label: { color: x > 0.55 ? "#fff" : "#1a1a1a" } };
        }),
      }],
    }, true);
    chart.off("click");
    chart.on("click", (p) => { if (p.data?.level && p.data.level !== "neighbourhood") location.hash = `#/units/${p.data.code}/map`; });
  };
  select.addEventListener("change", () => draw().catch(showError));
  window.addEventListener("resize", () => chart?.resize(), { once: true });
  await draw();
}

async function headsPage(code) {
  page(tr("heads.heading", { unit: code }), loading());
  const [unit, heads] = await Promise.all([api(`/v1/units/${code}`), api(`/v1/units/${code}/heads`)]);
  page(tr("heads.heading", { unit: unit.name }),
    el("p", {}, el("a", { href: `#/units/${code}`, text: `← ${unit.name}` })),
    el("p", { class: "note", text: tr("heads.intro") }),
    table([
      { label: tr("heads.level"), value: (u) => `${u.name}（${u.level_label}）` },
      { label: tr("heads.person"), value: (u) => (u.head ? `${u.head.role_label} ${u.head.person_name}` : tr("heads.vacant")) },
      { label: tr("heads.phone"), value: (u) => u.head?.phone || "—" },
      { label: tr("heads.since"), value: (u) => u.head?.since || "—" },
      { label: tr("heads.member"), value: (u) => (u.head ? tr(u.head.is_member ? "common.yes" : "common.no") : "—") },
    ], heads.chain),
    ["group", "neighbourhood"].includes(unit.level) && can("households:read")
      ? el("p", {}, el("button", { type: "button", class: "secondary", text: tr("grid.printCards"), onclick: () => printCards(code, unit.name) })) : null);
}

/**
 * The printable contact cards: the API answers HTML; fetch it with the token and show it in a new window.
 * The window is opened at the click (so no pop-up blocker stops it), filled when the answer comes; the sheet's
 * own stylesheet is adopted as a constructed sheet, so the page's CSP needs no 'unsafe-inline'.
 */
async function printCards(code, name) {
  const win = window.open("", "_blank");
  if (!win) { showError(null); $("error").hidden = false; $("error").textContent = tr("error.popup"); return; }
  win.document.title = tr("cards.printing");
  win.document.body.textContent = tr("cards.printing");
  try {
    const res = await api(`/v1/units/${code}/contact-cards`, { raw: true });
    const html = await res.text();
    fillPrintWindow(win, html, tr("cards.title", { unit: name }));
  } catch (err) {
    win.close();
    showError(err);
  }
}

function fillPrintWindow(win, html, title) {
  // the <style> blocks are taken out before parsing (a parsed inline style would meet the CSP) and adopted
  const styles = [];
  const body = html.replace(/<style[^>]*>([\s\S]*?)<\/style>/gi, (m, css) => { styles.push(css); return ""; });
  const parsed = new DOMParser().parseFromString(body, "text/html");
  const doc = win.document;
  doc.documentElement.lang = parsed.documentElement.lang || "zh-CN";
  doc.title = parsed.title || title;
  const css = styles.join("\n");
  const sheet = new win.CSSStyleSheet();
  sheet.replaceSync(css);
  doc.adoptedStyleSheets = [sheet];
  const print = doc.createElement("button");
  print.type = "button";
  print.textContent = tr("cards.print");
  print.className = "print-button";
  print.addEventListener("click", () => win.print());
  const extra = new win.CSSStyleSheet();
  extra.replaceSync(".print-button{font:inherit;font-size:16px;min-height:44px;padding:0 24px;margin:0 0 8mm}@media print{.print-button{display:none}}");
  doc.adoptedStyleSheets = [sheet, extra];
  doc.body.replaceChildren(print, ...[...parsed.body.childNodes].map((n) => doc.importNode(n, true)));
}

// -- members ---------------------------------------------------------------------------------------------
async function membersPage(code, params) {
  page(tr("members.heading", { unit: code }), loading());
  await loadDoc();
  const op = state.ops.get("unit_members");
  const [unit] = await Promise.all([api(`/v1/units/${code}`)]);
  const filters = queryForm(op, params, (q) => { location.hash = `#/units/${code}/members?${new URLSearchParams(q)}`; });
  const list = el("ul", { class: "records" });
  const more = el("button", { type: "button", class: "secondary", hidden: true, text: tr("common.loadMore") });
  let cursor = null;
  const base = new URLSearchParams(Object.entries(params).filter(([k, v]) => v !== "" && k !== "cursor"));
  const load = async () => {
    const q = new URLSearchParams(base);
    q.set("limit", "50");
    if (cursor) q.set("cursor", cursor);
    const r = await api(`/v1/units/${code}/members?${q}`);
    for (const m of r.items) list.append(memberItem(m));
    cursor = r.next_cursor;
    more.hidden = !cursor;
    if (!list.children.length) list.append(el("li", { class: "empty", text: tr("members.none") }));
  };
  more.addEventListener("click", () => load().catch(showError));
  page(tr("members.heading", { unit: unit.name }),
    el("p", {}, el("a", { href: `#/units/${code}`, text: `← ${unit.name}` })),
    can("members:write") ? el("p", {}, linkButton(`#/op/create_member?unit=${code}`, tr("members.register"), "button primary")) : null,
    el("details", { class: "card filters", open: [...base.keys()].length > 0 }, el("summary", { text: tr("members.filter") }), filters),
    list, more);
  await load();
}

function memberItem(m) {
  return el("li", { class: "record" }, el("a", { href: `#/members/${m.id}`, class: "record-link" },
    el("strong", { text: m.name }), el("span", { class: "pill", text: m.status_label }),
    m.in_service ? el("span", { class: "pill", text: tr("members.inService") }) : null,
    el("span", { class: "muted", text: ` ${m.phone ?? ""} · ${m.id_number ?? ""}` })));
}

/** Filters made from an operation's query parameters (paging parameters left out). */
function queryForm(op, params, onSubmit) {
  const fields = [];
  const c = ctx();
  for (const p of op.query) {
    if (["limit", "cursor"].includes(p.name)) continue;
    const id = `q-${p.name}`;
    const s = p.schema;
    let control;
    if (s.type === "boolean" || s.enum) {
      const values = s.enum || [true, false];
      control = el("select", { id, name: p.name }, el("option", { value: "", text: c.tr("common.unset") }),
        ...values.map((v) => el("option", { value: String(v), text: enumLabel(c, String(v)), selected: params[p.name] === String(v) })));
    } else {
      control = el("input", { id, name: p.name, type: s.format === "date" ? "date" : s.type === "integer" ? "number" : "text", value: params[p.name] ?? "" });
    }
    fields.push(el("div", { class: "field" }, el("label", { for: id, text: fieldLabel(c, p.name, s) }), control));
  }
  const form = el("form", { class: "query-form" }, ...fields, el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: tr("common.search") })));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    onSubmit(Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== "")));
  });
  return form;
}

async function memberPage(id) {
  page(tr("member.heading"), loading());
  await loadDoc();
  const m = await api(`/v1/members/${id}`);
  const c = ctx();
  const idNumber = el("span", { id: "member-id-number", text: m.id_number ?? "—" });
  const phone = el("span", { id: "member-phone", text: m.phone ?? "—" });
  const rows = [
    ["members.name", m.name], ["field.status", m.status_label], ["members.idNumber", idNumber], ["members.phone", phone],
    [null, fieldLabel(c, "branch", state.ops.get("create_member").body.properties.branch), m.branch],
    [null, fieldLabel(c, "join_date", state.ops.get("create_member").body.properties.join_date), m.join_date],
    [null, fieldLabel(c, "probation_end", state.ops.get("create_member").body.properties.probation_end), m.probation_end || "—"],
    ["members.inService", tr(m.in_service ? "common.yes" : "common.no")],
    [null, fieldLabel(c, "workplace", state.ops.get("create_member").body.properties.workplace), m.workplace || "—"],
  ].map((r) => (r.length === 3 ? [r[1], r[2]] : [tr(r[0]), r[1]]));
  const dl = el("dl", { class: "record-dl" }, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]));
  const sections = [card(null, el("p", {}, el("a", { href: `#/units/${m.unit}/members`, text: `← ${tr("home.members")}` })), dl)];
  if (can("personal:unmask")) {
    const op = state.ops.get("unmask_member");
    const result = el("p", { class: "unmasked", "aria-live": "polite" });
    sections.push(card(tr("member.unmask"), el("p", { class: "note", text: tr("member.unmaskIntro") }),
      renderOperationForm({ op, ctx: c, outbox, pathParams: { id }, draftKey: `nx.nodraft.unmask`, submitLabel: tr("member.unmaskButton"),
        onDone: (r) => {
          (r.field === "id_number" ? idNumber : phone).textContent = r.value ?? "—";
          result.textContent = tr("member.unmasked", { field: enumLabel(c, r.field), value: r.value ?? "—", purpose: enumLabel(c, r.purpose) });
          localStorage.removeItem("nx.nodraft.unmask");
        } }), result));
  }
  if (can("members:write")) {
    const upd = state.ops.get("update_member");
    sections.push(el("details", { class: "card" }, el("summary", { text: tr("member.edit") }),
      renderOperationForm({ op: upd, ctx: c, outbox, pathParams: { id }, initial: m, label: `${L(upd.summary)} · ${m.name}`,
        onDone: () => { toast(tr("form.saved")); route(); }, onReset: () => route() })));
    const st = state.ops.get("change_member_status");
    sections.push(el("details", { class: "card" }, el("summary", { text: tr("member.status") }),
      renderOperationForm({ op: st, ctx: { ...c, choices: await choicesFor(st, m.unit.split("-").slice(0, -1).join("-") || m.unit) }, outbox, pathParams: { id }, label: `${L(st.summary)} · ${m.name}`,
        onDone: () => { toast(tr("form.saved")); route(); } })));
  }
  if (m.history?.length) {
    sections.push(card(tr("member.history"), el("ul", {}, ...m.history.map((h) => el("li", { text: Object.values(h).filter((v) => v !== null && typeof v !== "object").join(" · ") })))));
  }
  page(`${tr("member.heading")} · ${m.name}`, ...sections);
}

// -- generic pages: every operation from /openapi.json ---------------------------------------------------
async function opsPage() {
  await loadDoc();
  const groups = new Map();
  for (const op of state.ops.values()) {
    if (!allowed(op, state.me) || op.permission === "public") continue;
    if (!groups.has(op.tag)) groups.set(op.tag, []);
    groups.get(op.tag).push(op);
  }
  page(tr("ops.heading"), el("p", { class: "note", text: tr("ops.intro") }),
    ...[...groups].map(([tag, ops]) => card(has(`tag.${tag}`) ? tr(`tag.${tag}`) : tag,
      el("ul", { class: "ops" }, ...ops.map((op) => el("li", {}, el("a", { href: `#/op/${op.id}`, class: "op-link" },
        el("span", { class: `method m-${op.method.toLowerCase()}`, text: tr(op.method === "GET" ? "ops.view" : op.method === "DELETE" ? "ops.delete" : "ops.form") }),
        el("span", { text: L(op.summary) }))))))));
}

async function opPage(opId, params) {
  await loadDoc();
  const op = state.ops.get(opId);
  if (!op) { page(tr("error.unknownPage")); return; }
  const title = L(op.summary);
  const pathParams = Object.fromEntries(op.pathParams.filter((n) => params[n]).map((n) => [n, params[n]]));
  const result = el("div", { class: "result", "aria-live": "polite" });
  if (op.method === "GET") return opViewPage(op, title, params, pathParams, result);
  if (op.otherBody) { page(title, card(null, el("p", { class: "note", text: tr("form.notJson") }))); return; }
  let initial;
  const getOp = [...state.ops.values()].find((o) => o.method === "GET" && o.path === op.path);
  if ((op.method === "PATCH" || op.method === "PUT") && getOp && op.pathParams.every((n) => pathParams[n])) {
    initial = await api(fillPath(op.path, pathParams));
  }
  const bodyKeys = Object.keys(op.body?.properties || {});
  const values = Object.fromEntries(Object.entries(params).filter(([k]) => bodyKeys.includes(k)));
  const c = { ...ctx(), choices: await choicesFor(op, params.unit) };
  const formCard = card(null);
  const build = () => renderOperationForm({ op, ctx: c, outbox, pathParams, initial, values, label: title,
    submitLabel: op.method === "DELETE" ? tr("ops.delete") : undefined,
    onDone: (answer) => {
      toast(tr("form.created"));
      result.replaceChildren(card(tr("result.heading"), el("p", { class: "good", text: tr("form.created") }),
        answer ? renderValue(answer, op.response, op.body) : null, resultLink(answer)));
      formCard.replaceChildren(build()); // a fresh form for the next one; the draft is gone
      result.scrollIntoView?.({ block: "start" });
    },
    onQueued: () => {
      renderNetbar();
      formCard.replaceChildren(build());
      result.replaceChildren(el("p", { class: "form-summary is-info", text: tr("form.queued") }),
        el("p", {}, linkButton("#/outbox", tr("outbox.badge", { n: outbox.items().length }))));
    },
    onReset: () => route() });
  formCard.append(build());
  page(title, formCard, result);
}

function resultLink(answer) {
  if (!answer || typeof answer !== "object") return null;
  if (answer.id && answer.status_label !== undefined) return el("p", {}, linkButton(`#/members/${answer.id}`, tr("common.details")));
  if (answer.code && answer.path) return el("p", {}, linkButton(`#/units/${answer.code}`, tr("common.details")));
  return null;
}

async function opViewPage(op, title, params, pathParams, result) {
  const c = ctx();
  const fields = [];
  for (const name of op.pathParams) {
    fields.push(el("div", { class: "field" }, el("label", { for: `pp-${name}`, text: fieldLabel(c, name, {}) }),
      el("input", { id: `pp-${name}`, name, required: true, value: params[name] ?? "" })));
  }
  for (const p of op.query) {
    if (p.name === "cursor") continue;
    const id = `pq-${p.name}`;
    const s = p.schema;
    const control = s.enum || s.type === "boolean"
      ? el("select", { id, name: p.name }, el("option", { value: "", text: c.tr("common.unset") }),
        ...(s.enum || [true, false]).map((v) => el("option", { value: String(v), text: enumLabel(c, String(v)), selected: params[p.name] === String(v) })))
      : el("input", { id, name: p.name, value: params[p.name] ?? "", type: s.format === "date" ? "date" : s.type === "integer" ? "number" : "text" });
    fields.push(el("div", { class: "field" }, el("label", { for: id, text: fieldLabel(c, p.name, s) }), control));
  }
  const run = async (q) => {
    const pp = Object.fromEntries(op.pathParams.map((n) => [n, q[n]]));
    const qs = new URLSearchParams(Object.entries(q).filter(([k, v]) => v !== "" && !op.pathParams.includes(k)));
    const url = fillPath(op.path, pp) + (qs.toString() ? `?${qs}` : "");
    result.replaceChildren(loading());
    try {
      if (op.responseType && op.responseType !== "application/json") {
        if (op.responseType.startsWith("text/html")) {
          const win = window.open("", "_blank");
          const res = await api(url, { raw: true });
          if (win) fillPrintWindow(win, await res.text(), title);
          result.replaceChildren();
          return;
        }
        const res = await api(url, { raw: true });
        const blob = await res.blob();
        const name = /filename="?([^";]+)"?/.exec(res.headers.get("Content-Disposition") || "")?.[1] || "download";
        const a = el("a", { href: URL.createObjectURL(blob), download: name, class: "button", text: `⬇ ${name}` });
        result.replaceChildren(card(tr("result.heading"), a));
        return;
      }
      const answer = await api(url);
      result.replaceChildren(card(tr("result.heading"), renderValue(answer, op.response)));
    } catch (err) {
      result.replaceChildren(el("p", { class: "error", role: "alert", text: errorText(err) }));
    }
  };
  const form = el("form", { class: "query-form" }, ...fields,
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: tr("common.search") })));
  form.addEventListener("submit", (e) => { e.preventDefault(); run(Object.fromEntries(new FormData(form))); });
  page(title, fields.length ? card(null, form) : null, result);
  if (op.pathParams.every((n) => params[n]) && (!op.responseType || op.responseType === "application/json")) run({ ...params, ...pathParams });
}

/**
 * Any JSON answer, shown with the labels of its schema (or, where the answer's schema has no description, of
 * the request's schema `hint`): objects as definition lists, lists of records as tables.
 */
function renderValue(value, schema = {}, hint = {}) {
  const c = ctx();
  const propOf = (s, h, k) => {
    const a = s?.properties?.[k] || {};
    const b = h?.properties?.[k] || {};
    return a.description || !b.description ? { ...b, ...a } : { ...a, ...b };
  };
  const show = (v, prop) => (typeof v === "string" && prop?.enum?.includes(v) ? enumLabel(c, v) : scalar(v));
  if (value === null || value === undefined) return el("span", { text: "—" });
  if (Array.isArray(value)) {
    const items = schema?.items || {};
    if (value.length && value.every((v) => v && typeof v === "object" && !Array.isArray(v))) {
      const keys = Object.keys(items.properties || value[0]).filter((k) => value.some((v) => v[k] !== null && typeof v[k] !== "object"));
      if (!keys.length) return el("ul", {}, ...value.map((v) => el("li", {}, renderValue(v, items, hint?.items))));
      return table(keys.map((k) => ({ label: fieldLabel(c, k, propOf(items, hint?.items, k)), value: (r) => show(r[k], propOf(items, hint?.items, k)) })), value);
    }
    return el("span", { text: value.map(scalar).join("、") || "—" });
  }
  if (typeof value === "object") {
    return el("dl", { class: "record-dl" }, ...Object.entries(value).flatMap(([k, v]) => {
      const prop = propOf(schema, hint, k);
      return [el("dt", { text: fieldLabel(c, k, prop) }),
        el("dd", {}, v !== null && typeof v === "object" ? renderValue(v, prop, hint?.properties?.[k]) : show(v, prop))];
    }));
  }
  return el("span", { text: scalar(value) });
}

function scalar(v) {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return tr(v ? "common.yes" : "common.no");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

// -- the outbox page -------------------------------------------------------------------------------------
function outboxPage() {
  const items = outbox.items();
  const list = el("ul", { class: "records outbox" }, ...items.map((x) => el("li", { class: `record ${x.state}` },
    el("p", {}, el("span", { class: `pill ${x.state === "failed" ? "bad" : "warn"}`, text: tr(x.state === "failed" ? "outbox.failed" : "outbox.pending") }), " ", el("strong", { text: x.label })),
    el("p", { class: "muted", text: `${x.method} ${x.url} · ${new Date(x.queued_at).toLocaleString(state.lang)}` }),
    x.error ? el("p", { class: "bad", text: [state.lang === "en" ? x.error.message_en : x.error.message, ...(x.error.fields || []).map((f) => `${f.path}: ${localMessage(f.message, state.lang)}`)].filter(Boolean).join(" ") }) : null,
    el("div", { class: "actions" },
      x.state === "failed" && x.op ? el("button", { type: "button", class: "primary", text: tr("outbox.fix"), onclick: () => {
        localStorage.setItem(x.draftKey || `nx.draft.${x.op}.${JSON.stringify(x.params || {})}`, JSON.stringify({ values: x.body, path: x.params, key: undefined, label: x.label }));
        outbox.remove(x.id);
        location.hash = `#/op/${x.op}?${new URLSearchParams(x.params || {})}`;
      } }) : null,
      el("button", { type: "button", class: "secondary", text: tr("outbox.discard"), onclick: () => { outbox.remove(x.id); outboxPage(); } })))));
  page(tr("outbox.heading", { n: items.length }), el("p", { class: "note", text: tr("outbox.intro") }),
    items.length ? list : el("p", { text: tr("outbox.none") }),
    items.some((x) => x.state === "pending") ? el("button", { type: "button", class: "primary", text: tr("outbox.sendNow"), onclick: () => flushOutbox().then(outboxPage) }) : null);
}

// -- router and chrome -----------------------------------------------------------------------------------
function renderChrome() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = tr(node.dataset.i18n); });
  const toggle = $("lang-toggle");
  toggle.textContent = tr("lang.toggle");
  toggle.title = tr("lang.toggleLabel");
  toggle.lang = state.lang === "en" ? "zh-CN" : "en";
  const nav = $("nav");
  nav.setAttribute("aria-label", tr("nav.label"));
  nav.hidden = !state.me;
  const mine = myUnit();
  if (state.me) {
    const current = location.hash || "#/";
    const links = [["#/", "nav.home"], mine ? [`#/units/${mine}`, "nav.grid"] : null,
      mine && can("members:read") ? [`#/units/${mine}/members`, "nav.members"] : null,
      ...PAGES.flatMap((mod) => mod.nav?.(kit) || []), ["#/ops", "nav.more"]].filter(Boolean);
    nav.replaceChildren(el("ul", {}, ...links.map(([href, key]) => el("li", {}, el("a", { href, text: tr(key), "aria-current": current === href ? "page" : undefined }))),
      el("li", { class: "who" }, el("span", { text: `${state.me.display_name} · ${roleName(state.me.role)}` })),
      el("li", {}, el("button", { type: "button", id: "signout", class: "secondary small", text: tr("nav.signout"), onclick: signOut }))));
  }
  renderNetbar();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.auth) { location.assign(signOutUrl(state.auth)); return; } // ends the hosted UI's session too
  state.me = null;
  state.tags = null;
  showError(null);
  toast(tr("me.signedOut"));
  renderChrome();
  location.hash = "#/";
  route();
}

const ROUTES = [
  [/^\/units\/([\w-]+)$/, unitPage],
  [/^\/units\/([\w-]+)\/households$/, householdsPage],
  [/^\/units\/([\w-]+)\/map$/, mapPage],
  [/^\/units\/([\w-]+)\/heads$/, headsPage],
  [/^\/units\/([\w-]+)\/members$/, membersPage],
  [/^\/members\/([\w-]+)$/, memberPage],
  [/^\/op\/(\w+)$/, opPage],
  [/^\/ops$/, opsPage],
  [/^\/outbox$/, outboxPage],
];

// what a slice's page module may use (web/pages/index.js)
const kit = {
  api, ApiError, el, tr, L, page, card, table, linkButton, loading, can, inScope, myUnit, unitCode, route, toast,
  showError, errorText, renderValue, enumLabel: (v) => enumLabel(ctx(), v), me: () => state.me, lang: () => state.lang,
  /** the generated form of operation `opId` (from /openapi.json), with drafts, the outbox and field errors */
  async opForm(opId, { pathParams = {}, values = {}, initial, onDone, label, choices = {} } = {}) {
    await loadDoc();
    const op = state.ops.get(opId);
    if (!op) return el("p", { class: "bad", text: tr("error.unknownPage") });
    const c = { ...ctx(), choices: { ...await choicesFor(op, values.unit || pathParams.code), ...choices } };
    return renderOperationForm({ op, ctx: c, outbox, pathParams, initial, values, label: label || L(op.summary),
      onDone: (answer) => { toast(tr("form.saved")); (onDone || (() => route()))(answer); },
      onQueued: () => { renderNetbar(); toast(tr("form.queued")); }, onReset: () => route() });
  },
};
for (const mod of PAGES) ROUTES.push(...(mod.routes?.(kit) || []));

async function route() {
  const raw = location.hash.slice(1) || "/";
  const [path, query = ""] = raw.split("?");
  const params = Object.fromEntries(new URLSearchParams(query));
  showError(null);
  renderChrome();
  if (!state.me) {
    if (path !== "/outbox") return signInPage();
  }
  try {
    if (path === "/") return await homePage();
    for (const [re, fn] of ROUTES) {
      const m = re.exec(path);
      if (m) return await fn(...m.slice(1).map(decodeURIComponent), params);
    }
    page(tr("error.unknownPage"));
  } catch (err) {
    showError(err);
    if (!$("main").querySelector("h2")) page(tr("error.unknownPage"));
    else $("main").querySelectorAll(".note").forEach((n) => { if (n.textContent === tr("common.loading")) n.remove(); });
  }
}

function focusMain() {
  const main = $("main");
  main.focus({ preventScroll: true });
}

$("lang-toggle").addEventListener("click", () => {
  state.lang = state.lang === "en" ? "zh-CN" : "en";
  localStorage.setItem(LANG_KEY, state.lang);
  route();
});
window.addEventListener("hashchange", () => { route().then(focusMain); });
window.addEventListener("online", () => { renderNetbar(); flushOutbox(); });
window.addEventListener("offline", renderNetbar);
outbox.onChange(renderNetbar);
setInterval(() => { if (outbox.pending().length) flushOutbox(); }, 20000);

(async () => {
  state.auth = await loadAuthConfig();
  if (state.auth) {
    try {
      const tok = await finishSignIn(state.auth); // back from the hosted UI with ?code=
      if (tok) sessionStorage.setItem(TOKEN_KEY, tok);
    } catch (err) { toast(tr("signin.idpFailed", { reason: err.message })); }
  }
  await loadMe();
  await route();
  flushOutbox();
})();
