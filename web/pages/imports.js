// 批量导入 (bulk imports): a village's or town's grid, households, 三长 and party roster from Excel/WPS. Choose
// the kind and the mode, download the kind's template (fetched with the token, saved through an object URL),
// upload the file as the request body with an Idempotency-Key made once per chosen file, and see the answer:
// written and skipped counts, a job's progress (polled every 2 s), or the table of bad rows.
// Uses only the API (chalicelib/grid/import_routes.py).
import { newKey } from "../api.js";
import { localMessage } from "../form.js";
import { field } from "./common.js";

const T = {
  "imp.nav": ["批量导入", "Imports"],
  "imp.heading": ["批量导入（Excel/WPS）", "Bulk import (Excel/WPS)"],
  "imp.intro": ["先下载模板，按表头填写后上传。整个文件先校验，有误的行会逐行列出。", "Download the template, fill it in under its headers and upload it. The whole file is checked first and every bad row is listed."],
  "imp.kind": ["导入内容", "What to import"],
  "imp.kind.grid": ["网格工作簿（单元、住户、任职）", "Grid workbook (units, households, 三长)"],
  "imp.kind.units": ["网格单元", "Grid units"],
  "imp.kind.households": ["住户", "Households"],
  "imp.kind.appointments": ["三长任职", "三长 appointments"],
  "imp.kind.members": ["党员花名册", "Party roster"],
  "imp.mode": ["导入方式", "Mode"],
  "imp.mode.all_or_nothing": ["有错全不导入", "All or nothing"],
  "imp.mode.valid_rows_only": ["只导入无误的行", "Valid rows only"],
  "imp.mode.validate_only": ["只校验，不写入", "Check only"],
  "imp.template": ["下载模板：{k}", "Download the template: {k}"],
  "imp.file": ["选择文件", "File"],
  "imp.fileHelp": ["支持 .xlsx 或 CSV（UTF-8 或 GBK）", ".xlsx or CSV (UTF-8 or GBK)"],
  "imp.fileHelpGrid": ["支持 .xlsx（工作表 单元、住户、任职）或 CSV 的 ZIP 压缩包", ".xlsx (sheets 单元, 住户, 任职) or a ZIP of CSV files"],
  "imp.upload": ["上传并导入", "Upload"],
  "imp.uploading": ["正在上传…", "Uploading…"],
  "imp.badType": ["请选择 {a} 文件", "Choose a {a} file"],
  "imp.noFile": ["请先选择文件", "Choose a file first"],
  "imp.written": ["导入完成：写入 {w} 行，跳过 {s} 行", "Imported: {w} rows written, {s} skipped"],
  "imp.validated": ["校验通过：共 {n} 行，全部无误（未写入）", "Checked: all {n} rows are valid (nothing written)"],
  "imp.replayed": ["此文件已导入过，以下为首次导入的结果（未再写入）", "This file was imported before: the first result (nothing written again)"],
  "imp.queued": ["文件较大，正在后台导入", "A large file: importing in the background"],
  "imp.progress": ["已处理 {d} / {t} 行", "{d} / {t} rows done"],
  "imp.failed": ["导入失败：{m}", "The import failed: {m}"],
  "imp.errors": ["有误的行", "Rows with errors"],
  "imp.errorsSome": ["共 {t} 处错误，只列出前 {n} 处", "{t} errors; the first {n} are shown"],
  "imp.sheet": ["工作表", "Sheet"],
  "imp.row": ["行", "Row"],
  "imp.column": ["列", "Column"],
  "imp.reason": ["原因", "Reason"],
};

export const strings = {
  "zh-CN": Object.fromEntries(Object.entries(T).map(([k, [zh]]) => [k, zh])),
  en: Object.fromEntries(Object.entries(T).map(([k, [, en]]) => [k, en])),
};

// -- logic (tested in web/tests/pages_logic.test.mjs) ----------------------------------------------------
export const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
export const KINDS = ["grid", "units", "households", "appointments", "members"];
export const MODES = ["all_or_nothing", "valid_rows_only", "validate_only"];
export const POLL_MS = 2000;

/** The kinds a user may import: the party roster only with members:write. */
export const kindsFor = (can) => KINDS.filter((k) => k !== "members" || can("members:write"));

/** The file input's accept list for a kind (a grid workbook may also come as a ZIP of CSV files). */
export const acceptFor = (kind) => (kind === "grid" ? ".xlsx,.csv,.zip" : ".xlsx,.csv");

/**
 * The Content-Type to upload a file with, from its name (browsers label a .csv application/vnd.ms-excel
 * when Excel is installed, and some give no type at all); null for a file the kind does not take.
 */
export function contentType(name, kind) {
  const ext = /\.([a-z0-9]+)$/i.exec(name || "")?.[1]?.toLowerCase();
  if (ext === "xlsx") return XLSX;
  if (ext === "csv") return "text/csv";
  if (ext === "zip" && kind === "grid") return "application/zip";
  return null;
}

/** The upload's URL. */
export const importUrl = (kind, mode) => `/v1/imports?kind=${encodeURIComponent(kind)}&mode=${encodeURIComponent(mode)}`;

/** What an answer's status means: written (201), replayed (200 with the header), validated (200), queued (202). */
export function outcome(status, replayed, body) {
  if (status === 202 || ["queued", "running"].includes(body?.status)) return "queued";
  if (replayed || body?.replayed) return "replayed";
  if (body?.mode === "validate_only") return "validated";
  return "written";
}

// -- page ----------------------------------------------------------------------------------------------
function errorTable(kit, body) {
  const errors = body.errors || [];
  const total = body.errors_total ?? errors.length;
  const sheets = errors.some((e) => e.sheet) || body.kind === "grid";
  const cols = [
    ...(sheets ? [{ label: kit.tr("imp.sheet"), value: (e) => e.sheet || "—" }] : []),
    { label: kit.tr("imp.row"), value: (e) => String(e.row) },
    { label: kit.tr("imp.column"), value: (e) => e.column || "—" },
    { label: kit.tr("imp.reason"), value: (e) => localMessage(e.message, kit.lang()) },
  ];
  return kit.el("div", { class: "imp-errors" },
    total > errors.length ? kit.el("p", { class: "note", text: kit.tr("imp.errorsSome", { t: total, n: errors.length }) }) : null,
    kit.table(cols, errors, kit.tr("imp.errors")));
}

function summary(kit, r) {
  const what = r.status === "failed" ? "failed" : r.mode === "validate_only" ? "validated" : "written";
  if (what === "failed") return kit.el("p", { class: "bad imp-failed", text: kit.tr("imp.failed", { m: r.message || "" }) });
  if (what === "validated") return kit.el("p", { class: "good imp-done", text: kit.tr("imp.validated", { n: r.rows_total }) });
  return kit.el("p", { class: "good imp-done", text: kit.tr("imp.written", { w: r.written, s: r.skipped }) });
}

function showResult(kit, box, r, replayed) {
  box.replaceChildren(...[
    replayed ? kit.el("p", { class: "note imp-replayed", text: kit.tr("imp.replayed") }) : null,
    summary(kit, r),
    r.errors?.length ? errorTable(kit, r) : null].filter(Boolean));
}

/** A job: GET /v1/imports/{id} every 2 s while the page shows it, until done or failed. */
function poll(kit, box, first) {
  const bar = kit.el("progress", { max: String(Math.max(first.rows_total, 1)), value: String(first.rows_done), "aria-label": kit.tr("imp.queued") });
  const text = kit.el("p", { class: "imp-progress", text: kit.tr("imp.progress", { d: first.rows_done, t: first.rows_total }) });
  box.replaceChildren(kit.el("p", { class: "note", text: kit.tr("imp.queued") }), bar, text);
  const tick = async () => {
    if (!box.isConnected) return;
    let r;
    try { r = await kit.api(`/v1/imports/${encodeURIComponent(first.id)}`); } catch (e) {
      text.textContent = kit.errorText(e);
      setTimeout(tick, POLL_MS);
      return;
    }
    if (["done", "failed"].includes(r.status)) { showResult(kit, box, r, false); return; }
    bar.max = Math.max(r.rows_total, 1);
    bar.value = r.rows_done;
    text.textContent = kit.tr("imp.progress", { d: r.rows_done, t: r.rows_total });
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}

async function saveTemplate(kit, kind) {
  const res = await kit.api(`/v1/imports/templates/${kind}`, { raw: true, headers: { Accept: XLSX } });
  const url = URL.createObjectURL(await res.blob());
  const a = kit.el("a", { href: url, download: `${T[`imp.kind.${kind}`][0].replace(/（.*$/, "")}-模板.xlsx`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

async function importsPage(kit) {
  const kinds = kindsFor(kit.can);
  const kindSel = kit.el("select", { id: "imp-kind", name: "kind" }, ...kinds.map((k) => kit.el("option", { value: k, text: kit.tr(`imp.kind.${k}`) })));
  const modeSel = kit.el("select", { id: "imp-mode", name: "mode" }, ...MODES.map((m) => kit.el("option", { value: m, text: kit.tr(`imp.mode.${m}`) })));
  const fileIn = kit.el("input", { id: "imp-file", name: "file", type: "file", required: true, accept: acceptFor(kindSel.value), "aria-describedby": "imp-file-help" });
  const help = kit.el("p", { class: "note", id: "imp-file-help" });
  const template = kit.el("a", { id: "imp-template", class: "button secondary", href: "#/imports" });
  const err = kit.el("p", { class: "form-summary is-error", role: "alert", hidden: true });
  const result = kit.el("div", { id: "imp-result", "aria-live": "polite" });
  const button = kit.el("button", { id: "imp-upload", type: "submit", class: "primary", text: kit.tr("imp.upload") });
  let key = null; // one Idempotency-Key per chosen file (and kind and mode): a double tap or a retry replays
  const fresh = () => { key = fileIn.files?.length ? newKey() : null; };
  const sync = () => {
    const kind = kindSel.value;
    fileIn.accept = acceptFor(kind);
    help.textContent = kit.tr(kind === "grid" ? "imp.fileHelpGrid" : "imp.fileHelp");
    template.textContent = kit.tr("imp.template", { k: kit.tr(`imp.kind.${kind}`) });
    template.href = `/v1/imports/templates/${kind}`;
  };
  kindSel.addEventListener("change", () => { sync(); fresh(); });
  modeSel.addEventListener("change", fresh);
  fileIn.addEventListener("change", () => { fresh(); err.hidden = true; result.replaceChildren(); });
  template.addEventListener("click", async (e) => {
    e.preventDefault();
    err.hidden = true;
    try { await saveTemplate(kit, kindSel.value); } catch (error) { err.textContent = kit.errorText(error); err.hidden = false; }
  });
  sync();

  const form = kit.el("form", { id: "imp-form", class: "action-form" },
    field(kit, "imp-kind", kit.tr("imp.kind"), kindSel),
    kit.el("p", {}, template),
    field(kit, "imp-mode", kit.tr("imp.mode"), modeSel),
    field(kit, "imp-file", kit.tr("imp.file"), fileIn), help,
    err, kit.el("div", { class: "actions" }, button));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.hidden = true;
    const file = fileIn.files?.[0];
    if (!file) { err.textContent = kit.tr("imp.noFile"); err.hidden = false; return; }
    const kind = kindSel.value;
    const type = contentType(file.name, kind);
    if (!type) { err.textContent = kit.tr("imp.badType", { a: acceptFor(kind) }); err.hidden = false; return; }
    key ??= newKey();
    button.disabled = true;
    result.replaceChildren(kit.el("p", { class: "note", text: kit.tr("imp.uploading") }));
    try {
      const res = await kit.api(importUrl(kind, modeSel.value), { method: "POST", body: file, raw: true,
        headers: { Accept: "application/json", "Content-Type": type, "Idempotency-Key": key } });
      const body = await res.json();
      const replayed = res.headers.get("Idempotent-Replayed") === "true";
      if (outcome(res.status, replayed, body) === "queued") poll(kit, result, body);
      else showResult(kit, result, body, replayed);
    } catch (error) {
      result.replaceChildren();
      const rows = error.status === 422 && Array.isArray(error.body?.errors);
      const e422 = error.body?.error;
      // with the table below, only the summary: the table names each row's sheet, row and column
      err.textContent = rows && e422 ? (kit.lang() === "en" ? e422.message_en : e422.message) || kit.errorText(error) : kit.errorText(error);
      err.hidden = false;
      if (rows) result.replaceChildren(errorTable(kit, error.body));
    } finally {
      button.disabled = false;
    }
  });
  kit.page(kit.tr("imp.heading"), kit.card(null, kit.el("p", { text: kit.tr("imp.intro") }), form), kit.card(null, result));
}

// -- module interface ----------------------------------------------------------------------------------
export function routes(kit) {
  return [[/^\/imports$/, () => importsPage(kit)]];
}

export function nav(kit) {
  return kit.can("imports:write") ? [["#/imports", "imp.nav"]] : [];
}

export function quick(kit) {
  return kit.can("imports:write") ? [kit.linkButton("#/imports", kit.tr("imp.nav"))] : [];
}
