// Forms rendered from the API's JSON Schemas: one labelled control per property (text, number, date,
// select for enums, checkboxes for booleans and lists of choices, fieldsets for nested objects, repeatable
// rows for arrays), client checks that mirror the schema, the server's field errors shown at their fields,
// drafts saved as you type, and offline submits queued in the outbox with their Idempotency-Key.
import { api, ApiError, newKey } from "./api.js";
import { blobToDataUrl, resizeImage } from "./image.js";
import { changed, fillPath, pickLang, validate } from "./schema.js";

export const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== "string") node[k] = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
};

const CJK = /[\u3400-\u9fff]/;

/** A server message "中文 / English (/ more)" reduced to the reader's language. */
export function localMessage(msg, lang) {
  if (!msg) return "";
  const parts = msg.split(" / ").map((p) => p.replace(/^Value error, /, "").trim()).filter(Boolean);
  const mine = parts.filter((p) => (lang === "en" ? !CJK.test(p) : CJK.test(p)));
  return (mine.length ? mine : parts).join(lang === "en" ? ": " : "：");
}

const idFor = (path) => `f-${path.replace(/[^\w-]/g, "-")}`;
const errIdFor = (path) => `err-${path.replace(/[^\w-]/g, "-")}`;

/** A field's label: the catalogue's `field.<name>`, else the API's "中文 / English" description, else its title. */
export function fieldLabel(ctx, name, schema) {
  if (ctx.has(`field.${name}`)) return ctx.tr(`field.${name}`);
  if (schema.description) return pickLang(schema.description, ctx.lang);
  return schema.title || name;
}

export function enumLabel(ctx, value) {
  const key = `enum.${value}`;
  return ctx.has(key) ? ctx.tr(key) : String(value);
}

const get = (obj, name) => (obj && typeof obj === "object" ? obj[name] : undefined);

/**
 * Render one property. `ctx` = {lang, tr, has, choices, mode}; `choices[name]` = [{value, label}] offered for
 * a field whose schema has no enum (catalogue codes, households in scope).
 */
function renderField(ctx, schema, name, path, value, required) {
  const label = fieldLabel(ctx, name, schema);
  const id = idFor(path);
  const errId = errIdFor(path);
  const mark = required ? el("span", { class: "req", text: ` *`, "aria-hidden": "true" }) : null;
  const errorP = el("p", { class: "field-error", id: errId, hidden: true });
  const choices = ctx.choices?.[name];

  if (schema.type === "object" && schema.properties) {
    const fs = el("fieldset", { class: "group", dataset: { path } }, el("legend", { text: label }));
    for (const [k, sub] of Object.entries(schema.properties)) {
      fs.append(renderField(ctx, sub, k, `${path}.${k}`, get(value, k), (schema.required || []).includes(k)));
    }
    fs.append(errorP);
    return fs;
  }

  if (schema.type === "array") {
    const items = schema.items || {};
    const options = items.enum ? items.enum.map((v) => ({ value: v, label: enumLabel(ctx, v) })) : choices;
    if (options) {
      const chosen = new Set(Array.isArray(value) ? value : []);
      const fs = el("fieldset", { class: "choices", id, dataset: { path, kind: "multi" }, "aria-describedby": errId },
        el("legend", {}, label, mark));
      options.forEach((o, i) => {
        const cid = `${id}-${i}`;
        fs.append(el("label", { class: "check", for: cid },
          el("input", { type: "checkbox", id: cid, name: path, value: o.value, checked: chosen.has(o.value) }),
          el("span", { text: o.label })));
      });
      fs.append(errorP);
      return fs;
    }
    const fs = el("fieldset", { class: "group array", id, dataset: { path, kind: "array" }, "aria-describedby": errId },
      el("legend", {}, label, mark));
    const rows = el("div", { class: "rows" });
    const addRow = (v) => {
      const i = rows.children.length;
      const row = el("div", { class: "row", dataset: { index: String(i) } });
      row.append(renderField(ctx, items, `${name}`, `${path}.${i}`, v, true));
      row.append(el("button", { type: "button", class: "secondary small", text: ctx.tr("common.remove"),
        onclick: () => { const vals = collectArray(fs, items); vals.splice([...rows.children].indexOf(row), 1); rerender(vals); } }));
      rows.append(row);
    };
    const rerender = (vals) => { rows.replaceChildren(); vals.forEach(addRow); fs.dispatchEvent(new Event("input", { bubbles: true })); };
    (Array.isArray(value) ? value : []).forEach(addRow);
    fs._items = items;
    fs._rows = rows;
    fs.append(rows, el("button", { type: "button", class: "secondary", text: ctx.tr("common.add"),
      onclick: () => { addRow(undefined); fs.dispatchEvent(new Event("input", { bubbles: true })); } }), errorP);
    return fs;
  }

  const common = { id, name: path, dataset: { path, type: schema.type || "string" }, "aria-describedby": errId,
    required: required || undefined, "aria-required": required ? "true" : undefined };
  let control;
  if (schema.type === "boolean") {
    control = el("input", { ...common, type: "checkbox", checked: value === true, required: undefined, "aria-required": undefined });
    control.dataset.type = "boolean";
    return el("div", { class: "field check-field" },
      el("label", { class: "check", for: id }, control, el("span", { text: label })), errorP);
  }
  if (schema.enum || choices) {
    const opts = schema.enum ? schema.enum.map((v) => ({ value: v, label: enumLabel(ctx, v) })) : choices;
    control = el("select", common);
    if (!required || value === undefined || value === null) control.append(el("option", { value: "", text: ctx.tr("common.unset") }));
    opts.forEach((o) => control.append(el("option", { value: String(o.value), text: o.label, selected: String(value ?? "") === String(o.value) })));
    if (value !== undefined && value !== null && !opts.some((o) => String(o.value) === String(value))) {
      control.append(el("option", { value: String(value), text: String(value), selected: true }));
    }
    if (schema.type === "integer" || schema.type === "number") control.dataset.type = schema.type;
  } else if (schema.type === "string" && schema.contentMediaType?.startsWith("image/")) {
    return renderPhoto(ctx, schema, label, mark, path, id, errId, errorP, value);
  } else if (schema.type === "integer" || schema.type === "number") {
    control = el("input", { ...common, type: "number", inputmode: schema.type === "integer" ? "numeric" : "decimal",
      step: schema.type === "integer" ? "1" : "any", min: schema.minimum, max: schema.maximum, value: value ?? "" });
  } else if (schema.format === "date") {
    control = el("input", { ...common, type: "date", value: value ?? "" });
  } else if (schema.format === "date-time") {
    control = el("input", { ...common, type: "datetime-local", value: value ? String(value).slice(0, 16) : "" });
  } else if ((schema.maxLength ?? 0) > 120) {
    control = el("textarea", { ...common, maxlength: schema.maxLength, rows: 3 });
    control.value = value ?? "";
  } else {
    const tel = /phone|mobile|tel/i.test(name);
    control = el("input", { ...common, type: tel ? "tel" : schema.format === "email" ? "email" : "text",
      inputmode: tel ? "tel" : undefined, autocomplete: tel ? "tel" : "off",
      maxlength: schema.maxLength, value: value ?? "" });
  }
  if (schema.nullable) control.dataset.nullable = "1";
  return el("div", { class: "field" },
    el("label", { for: id }, label, mark, required ? null : el("span", { class: "optional", text: ` （${ctx.tr("common.optional")}）` })),
    control, errorP);
}

function renderPhoto(ctx, schema, label, mark, path, id, errId, errorP, value) {
  const hidden = el("input", { type: "hidden", name: path, dataset: { path, type: "photo" }, value: value ?? "" });
  const note = el("p", { class: "note", "aria-live": "polite" });
  const preview = el("img", { class: "photo-preview", alt: "", hidden: !value, src: value || undefined });
  const file = el("input", { type: "file", id, accept: "image/*", capture: "environment", "aria-describedby": errId,
    onchange: async () => {
      const f = file.files?.[0];
      if (!f) return;
      const { blob, width, height } = await resizeImage(f, { maxSide: 1600 });
      let url = await blobToDataUrl(blob);
      preview.src = url;
      preview.hidden = false;
      if (schema.contentEncoding === "base64") url = url.slice(url.indexOf(",") + 1);
      hidden.value = url;
      note.textContent = ctx.tr("form.photoResized", { w: width, h: height, kb: Math.round(blob.size / 1024) });
      hidden.dispatchEvent(new Event("input", { bubbles: true }));
    } });
  return el("div", { class: "field" }, el("label", { for: id }, label, mark), file, hidden, preview, note, errorP);
}

function collectArray(fs, items) {
  return [...fs._rows.children].map((row) => read(row, items, `${fs.dataset.path}.${row.dataset.index}`, "create"));
}

/** Read the control(s) at `path` back into a JSON value; "" means absent (null for a nullable field in edit mode). */
function read(root, schema, path, mode) {
  if (schema.type === "object" && schema.properties) {
    const out = {};
    for (const [k, sub] of Object.entries(schema.properties)) {
      const v = read(root, sub, `${path}.${k}`, mode);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return readControl(root.querySelector(`[data-path="${CSS.escape(path)}"]`), schema, mode);
}

function readControl(c, schema, mode) {
  if (!c) return undefined;
  if (c.dataset.kind === "multi") return [...c.querySelectorAll("input:checked")].map((i) => castItem(i.value, schema.items));
  if (c.dataset.kind === "array") return collectArray(c, c._items);
  if (c.dataset.type === "boolean") return c.checked;
  const raw = c.value;
  if (raw === "") return mode === "edit" && c.dataset.nullable ? null : undefined;
  if (c.dataset.type === "integer" || c.dataset.type === "number") {
    const n = Number(raw);
    return Number.isNaN(n) ? raw : n;
  }
  if (schema.format === "date-time" && raw.length === 16) return `${raw}:00`;
  return raw;
}

function castItem(v, items) {
  if (items?.type === "integer" || items?.type === "number") return Number(v);
  return v;
}

/** The body of the form as JSON (the schema's shape). */
export function collect(form, schema, mode) {
  return read(form, schema, "body", mode) || {};
}

/** Show errors [{path, message}] at their fields; those naming no field go to the summary. Returns the unplaced ones. */
export function showFieldErrors(form, errors) {
  form.querySelectorAll(".field-error").forEach((p) => { p.hidden = true; p.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  const unplaced = [];
  let first = null;
  for (const e of errors) {
    const p = form.querySelector(`#${CSS.escape(errIdFor(e.path))}`);
    if (!p) { unplaced.push(e); continue; }
    p.hidden = false;
    p.textContent = p.textContent ? `${p.textContent}；${e.message}` : e.message;
    const control = form.querySelector(`#${CSS.escape(idFor(e.path))}`);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      first ??= control;
    }
  }
  if (first) {
    first.focus();
    first.closest(".field, fieldset")?.scrollIntoView?.({ block: "center" });
  }
  return unplaced;
}

/**
 * A form for one API operation.
 * opts: {op, ctx, pathParams, initial (record being edited), values (prefill), draftKey, outbox, label, onDone}
 */
export function renderOperationForm(opts) {
  const { op, ctx, outbox } = opts;
  const mode = op.method === "PATCH" || op.method === "PUT" ? "edit" : "create";
  const schema = op.body || { type: "object", properties: {} };
  const draftKey = opts.draftKey || `nx.draft.${op.id}.${JSON.stringify(opts.pathParams || {})}`;
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch { draft = null; }
  const initialBody = opts.initial ? pick(opts.initial, schema) : {};
  const values = { ...initialBody, ...(opts.values || {}), ...(draft?.values || {}) };

  const summary = el("div", { class: "form-summary", role: "alert", hidden: true });
  const status = el("p", { class: "note draft-note", "aria-live": "polite" });
  const form = el("form", { class: "api-form", novalidate: true, dataset: { op: op.id } });
  const fields = el("div", { class: "fields" });

  // path parameters not given by the page become fields too
  const pathParams = { ...(opts.pathParams || {}) };
  for (const name of op.pathParams) {
    if (pathParams[name] !== undefined && pathParams[name] !== "") continue;
    fields.append(renderField(ctx, { type: "string", minLength: 1 }, name, `path.${name}`, draft?.path?.[name], true));
  }
  for (const [name, sub] of Object.entries(schema.properties || {})) {
    fields.append(renderField(ctx, sub, name, `body.${name}`, values[name], (schema.required || []).includes(name)));
  }
  if (!Object.keys(schema.properties || {}).length && !op.pathParams.some((n) => !pathParams[n])) {
    fields.append(el("p", { class: "note", text: ctx.tr("form.noFields") }));
  }

  const submit = el("button", { type: "submit", class: "primary", text: opts.submitLabel || ctx.tr("form.submit") });
  const discard = el("button", { type: "button", class: "secondary", text: ctx.tr("form.discardDraft"), hidden: !draft,
    onclick: () => { localStorage.removeItem(draftKey); draft = null; opts.onReset?.(); } });
  form.append(summary, fields, el("div", { class: "actions" }, submit, discard), status);
  if (draft) status.textContent = ctx.tr("form.draftRestored");

  const readPath = () => {
    const out = { ...pathParams };
    form.querySelectorAll('[data-path^="path."]').forEach((c) => { out[c.dataset.path.slice(5)] = c.value.trim(); });
    return out;
  };

  let timer = null;
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const d = { values: collect(form, schema, "create"), path: readPath(), key: draft?.key, saved_at: new Date().toISOString(), label: opts.label || op.summary };
      localStorage.setItem(draftKey, JSON.stringify(d));
      draft = d;
      discard.hidden = false;
      status.textContent = ctx.tr("form.draftSaved");
    }, 300);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(timer);
    summary.hidden = true;
    const current = collect(form, schema, mode);
    const body = op.method === "PATCH" ? changed(initialBody, current) : current;
    const pp = readPath();
    const errors = validate(schema, body).map((e) => ({ path: e.path, message: ctx.tr(e.key, e.vars) }));
    for (const name of op.pathParams) if (!pp[name]) errors.push({ path: `path.${name}`, message: ctx.tr("check.required") });
    if (errors.length) {
      const rest = showFieldErrors(form, errors);
      showSummary(summary, ctx.tr("form.fixErrors", { n: errors.length }), rest, ctx);
      return;
    }
    showFieldErrors(form, []);
    const headers = {};
    if (op.headers.includes("Idempotency-Key")) {
      const key = draft?.key || newKey();
      draft = { ...(draft || {}), values: current, path: pp, key, label: opts.label || op.summary };
      localStorage.setItem(draftKey, JSON.stringify(draft)); // a retry after a lost answer reuses the key
      headers["Idempotency-Key"] = key;
    }
    if (op.headers.includes("If-Match") && opts.initial?.version !== undefined) headers["If-Match"] = `"${opts.initial.version}"`;
    const url = fillPath(op.path, pp) + (opts.query ? `?${new URLSearchParams(opts.query)}` : "");
    const request = { method: op.method, url, body: op.body ? body : undefined, headers, label: opts.label || pickLang(op.summary, ctx.lang), op: op.id, params: pp, draftKey, owner: ctx.owner };
    const queue = () => {
      outbox.add(request);
      localStorage.removeItem(draftKey);
      showSummary(summary, ctx.tr("form.queued"), [], ctx, "info");
      opts.onQueued?.();
    };
    if (!navigator.onLine) return queue();
    submit.disabled = true;
    submit.textContent = ctx.tr("form.submitting");
    try {
      const answer = await api(url, { method: op.method, body: request.body, headers });
      localStorage.removeItem(draftKey);
      draft = null;
      opts.onDone?.(answer);
    } catch (err) {
      if (err instanceof ApiError && err.status === 0) return queue();
      const e = err instanceof ApiError ? err.body?.error : null;
      const fieldErrors = (e?.fields || []).map((f) => ({ path: f.path, message: localMessage(f.message, ctx.lang) }));
      const rest = showFieldErrors(form, fieldErrors);
      const head = e ? (ctx.lang === "en" ? e.message_en || e.message : e.message) : ctx.tr("error.generic", { status: err.status });
      showSummary(summary, head, rest, ctx);
    } finally {
      submit.disabled = false;
      submit.textContent = opts.submitLabel || ctx.tr("form.submit");
    }
  });
  return form;
}

function showSummary(box, head, rest, ctx, kind = "error") {
  box.hidden = false;
  box.className = `form-summary is-${kind}`;
  box.replaceChildren(el("p", { text: head }),
    ...(rest.length ? [el("ul", {}, ...rest.map((e) => el("li", { text: `${e.path.replace(/^body\./, "")}: ${e.message}` })))] : []));
  if (!box.closest("form")?.querySelector("[aria-invalid]")) {
    box.tabIndex = -1;
    box.focus();
  }
}

/** The subset of a record that the schema accepts (to prefill an edit form). */
function pick(record, schema) {
  const out = {};
  for (const k of Object.keys(schema.properties || {})) if (record[k] !== undefined) out[k] = record[k];
  return out;
}
