import { STRINGS, t } from "./i18n.js";

const TOKEN_KEY = "nx.token";
const LANG_KEY = "nx.lang";
const $ = (id) => document.getElementById(id);

const state = {
  lang: STRINGS[localStorage.getItem(LANG_KEY)] ? localStorage.getItem(LANG_KEY) : "zh-CN",
  health: null, // {ok: body} | {error}
  accounts: null, // array | "none" (404) | null (loading/failed)
  me: null,
  error: null, // {key, vars} | {message, message_en}
};
const tr = (key, vars) => t(state.lang, key, vars);

class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = "GET", body, auth = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, null);
  }
  let data = null;
  try { data = await res.json(); } catch { /* non-JSON body */ }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function toErrorState(err) {
  if (!(err instanceof ApiError)) return { key: "error.network" };
  if (err.status === 0) return { key: "error.network" };
  const e = err.body?.error;
  if (e?.message || e?.message_en) return { message: e.message, message_en: e.message_en, fields: e.fields };
  return { key: "error.generic", vars: { status: err.status } };
}

function showError(err) {
  state.error = err ? toErrorState(err) : null;
  renderError();
}

function errorText(e) {
  let text = e.key ? tr(e.key, e.vars) : (state.lang === "en" ? e.message_en || e.message : e.message || e.message_en);
  if (e.fields?.length) text += " " + e.fields.map((f) => `${f.path}: ${f.message}`).join("; ");
  return text;
}

function renderError() {
  const box = $("error");
  box.hidden = !state.error;
  box.textContent = state.error ? errorText(state.error) : "";
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

const roleName = (role) => (STRINGS["zh-CN"][`role.${role}`] ? tr(`role.${role}`) : role);

function renderStatus() {
  const box = $("status");
  const h = state.health;
  if (!h) return box.replaceChildren(el("p", { textContent: tr("status.loading") }));
  if (h.error) return box.replaceChildren(el("p", { className: "bad", textContent: errorText(h.error) }));
  const b = h.ok;
  const ok = b.status === "ok";
  const backends = Object.entries(b.backends || {}).map(([name, up]) =>
    el("li", { className: up ? "good" : "bad" }, `${up ? "✔" : "✖"} ${name}: ${tr(up ? "status.up" : "status.down")}`));
  box.replaceChildren(
    el("p", { className: `pill ${ok ? "good" : "bad"}`, textContent: tr(ok ? "status.ok" : "status.degraded") }),
    el("p", {}, `${tr("status.version")}: ${b.version ?? "—"} · ${tr("status.stage")}: ${b.stage ?? "—"}`),
    el("p", { textContent: `${tr("status.backends")}:` }),
    el("ul", { className: "backends" }, ...backends),
  );
}

function renderAccounts() {
  const sel = $("accounts");
  const btn = $("signin");
  const form = $("signin-form");
  const a = state.accounts;
  $("idp-note").hidden = a !== "none";
  form.hidden = a === "none";
  if (a === "none") return;
  const prev = sel.value;
  if (!Array.isArray(a) || a.length === 0) {
    sel.replaceChildren(el("option", { value: "", textContent: tr(a ? "signin.none" : "signin.loading") }));
    sel.disabled = btn.disabled = true;
    return;
  }
  sel.replaceChildren(...a.map((acc) => el("option", {
    value: acc.username,
    textContent: `${acc.display_name} · ${roleName(acc.role)} · ${acc.scope}`,
  })));
  if (prev && a.some((acc) => acc.username === prev)) sel.value = prev;
  sel.disabled = btn.disabled = false;
}

function renderMe() {
  const panel = $("me");
  const me = state.me;
  panel.hidden = !me;
  $("signin-panel").hidden = !!me;
  if (!me) return;
  const scope = me.scope && typeof me.scope === "object" ? me.scope.path || me.scope.kind : me.scope;
  const perms = me.permissions?.length
    ? el("ul", { className: "perms" }, ...me.permissions.map((p) => el("li", { textContent: p })))
    : tr("me.noPermissions");
  const rows = [
    ["me.name", me.display_name], ["me.username", me.username], ["me.role", roleName(me.role)],
    ["me.scope", scope ?? "—"], ["me.permissions", perms],
  ];
  $("me-details").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { textContent: tr(k) }), el("dd", {}, v ?? "—")]));
}

function applyLang() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = tr(node.dataset.i18n); });
  const toggle = $("lang-toggle");
  toggle.textContent = tr("lang.toggle");
  toggle.setAttribute("aria-label", tr("lang.toggleLabel"));
  toggle.lang = state.lang === "en" ? "zh-CN" : "en";
  renderStatus(); renderAccounts(); renderMe(); renderError();
}

async function loadHealth() {
  try {
    state.health = { ok: await api("/health") };
  } catch (err) {
    // /health may answer 503 with a JSON body when degraded
    state.health = err instanceof ApiError && err.body?.status ? { ok: err.body } : { error: toErrorState(err) };
  }
  renderStatus();
}

async function loadAccounts() {
  try {
    state.accounts = (await api("/local-auth/accounts")).accounts || [];
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) state.accounts = "none";
    else { state.accounts = []; showError(err); }
  }
  renderAccounts();
}

async function loadMe() {
  if (!sessionStorage.getItem(TOKEN_KEY)) { state.me = null; renderMe(); return; }
  try {
    state.me = await api("/v1/me", { auth: true });
  } catch (err) {
    state.me = null;
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      state.error = { key: "error.session" };
      renderError();
    } else showError(err);
  }
  renderMe();
}

async function signIn(event) {
  event.preventDefault();
  const username = $("accounts").value;
  if (!username) return;
  const btn = $("signin");
  btn.disabled = true;
  btn.textContent = tr("signin.busy");
  showError(null);
  try {
    const tok = await api("/local-auth/token", { method: "POST", body: { username } });
    sessionStorage.setItem(TOKEN_KEY, tok.access_token);
    await loadMe();
    if (state.me) $("signout").focus();
  } catch (err) {
    showError(err);
  } finally {
    btn.disabled = false;
    btn.textContent = tr("signin.button");
  }
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  state.error = null;
  renderError();
  renderMe();
  renderAccounts();
  $("accounts").focus();
}

$("lang-toggle").addEventListener("click", () => {
  state.lang = state.lang === "en" ? "zh-CN" : "en";
  localStorage.setItem(LANG_KEY, state.lang);
  applyLang();
});
$("signin-form").addEventListener("submit", signIn);
$("signout").addEventListener("click", signOut);

applyLang();
loadHealth();
loadAccounts();
loadMe();
