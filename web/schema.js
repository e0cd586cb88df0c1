// The API's OpenAPI document, read as data: operations, their JSON Schemas, and client-side checks that
// mirror what the server's Pydantic models enforce. Pure functions (no DOM): unit-tested under node.

/** Resolve a local `$ref` ("#/components/schemas/X") against the document. */
export function resolveRef(doc, ref) {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  return ref.slice(2).split("/").reduce((node, key) => node?.[key.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
}

/**
 * One schema in a shape the form renderer can use: `$ref`s resolved, `anyOf: [X, {type: null}]` turned into
 * X with `nullable: true`, a single-entry `allOf` merged. Keeps title/description/default of the outer schema.
 */
export function normalize(doc, schema, seen = new Set()) {
  if (!schema || typeof schema !== "object") return {};
  let s = schema;
  if (s.$ref) {
    if (seen.has(s.$ref)) return { type: "object", properties: {}, recursive: true };
    const { $ref, ...rest } = s;
    const target = normalize(doc, resolveRef(doc, $ref), new Set([...seen, $ref]));
    return { ...target, ...rest };
  }
  if (Array.isArray(s.allOf) && s.allOf.length === 1) {
    const { allOf, ...rest } = s;
    return { ...normalize(doc, allOf[0], seen), ...rest };
  }
  const union = s.anyOf || s.oneOf;
  if (Array.isArray(union)) {
    const nonNull = union.filter((x) => x.type !== "null");
    const nullable = nonNull.length < union.length;
    if (nonNull.length === 1) {
      const { anyOf, oneOf, ...rest } = s;
      return { ...normalize(doc, nonNull[0], seen), ...rest, nullable: nullable || undefined };
    }
  }
  if (Array.isArray(s.type)) {
    const types = s.type.filter((x) => x !== "null");
    if (types.length === 1) s = { ...s, type: types[0], nullable: s.type.includes("null") };
  }
  if (s.type === "object" && s.properties) {
    const properties = {};
    for (const [k, v] of Object.entries(s.properties)) properties[k] = normalize(doc, v, seen);
    s = { ...s, properties };
  }
  if (s.type === "array" && s.items) s = { ...s, items: normalize(doc, s.items, seen) };
  return s;
}

/** "中文 / English" (the API's bilingual descriptions and summaries) -> the part for `lang`. */
export function pickLang(text, lang) {
  if (!text) return "";
  const m = /\s?\/\s/.exec(text);
  if (!m) return text;
  return lang === "en" ? text.slice(m.index + m[0].length).trim() : text.slice(0, m.index).trim();
}

/** Every operation of the document: {id, method, path, summary, permission, roles, tag, body, query, pathParams, response}. */
export function operations(doc) {
  const out = [];
  for (const [path, ops] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(ops)) {
      if (!op || typeof op !== "object" || !op.operationId) continue;
      const params = op.parameters || [];
      const json = op.requestBody?.content?.["application/json"];
      const ok = Object.entries(op.responses || {}).find(([code]) => code.startsWith("2"));
      const okContent = ok?.[1]?.content || {};
      out.push({
        id: op.operationId,
        method: method.toUpperCase(),
        path,
        summary: op.summary || op.operationId,
        permission: op["x-permission"] || "public",
        roles: op["x-roles"] || [],
        tag: (op.tags || ["other"])[0],
        body: json ? normalize(doc, json.schema) : null,
        bodyRequired: !!op.requestBody?.required,
        otherBody: !json && !!op.requestBody,
        query: params.filter((p) => p.in === "query").map((p) => ({ ...p, schema: normalize(doc, p.schema) })),
        headers: params.filter((p) => p.in === "header").map((p) => p.name),
        pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
        response: okContent["application/json"] ? normalize(doc, okContent["application/json"].schema) : null,
        responseType: Object.keys(okContent)[0] || null,
        status: ok ? Number(ok[0]) : 200,
      });
    }
  }
  return out;
}

/** May this user call the operation? (the API decides; this only hides what would be refused) */
export function allowed(op, me) {
  if (op.permission === "public" || op.permission === "authenticated") return true;
  return !!me?.permissions?.includes(op.permission);
}

/** Fill `{name}` placeholders of an operation path. */
export function fillPath(path, params) {
  return path.replace(/\{(\w+)\}/g, (m, k) => encodeURIComponent(params[k] ?? ""));
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function validDate(s) {
  if (!DATE_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function typeOk(schema, value) {
  switch (schema.type) {
    case "string": return typeof value === "string";
    case "integer": return Number.isInteger(value);
    case "number": return typeof value === "number" && Number.isFinite(value);
    case "boolean": return typeof value === "boolean";
    case "array": return Array.isArray(value);
    case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
    default: return true;
  }
}

/** A JS RegExp for a schema pattern, or null where JS cannot read it (the server still checks). */
function regex(pattern) {
  try { return new RegExp(pattern, "u"); } catch { try { return new RegExp(pattern); } catch { return null; } }
}

/** Unicode code points, as Pydantic counts string length. */
const length = (s) => [...s].length;

/**
 * Check `value` against a normalized schema. Returns [{path, key, vars}] where path is "body.x.0.y" like the
 * server's field errors, and key is a catalogue key ("check.required", "check.maxLength", ...).
 */
export function validate(schema, value, path = "body") {
  const errors = [];
  const err = (p, key, vars = {}) => errors.push({ path: p, key, vars });
  if (value === undefined) return errors;
  if (value === null) {
    if (!schema.nullable && schema.type) err(path, "check.required");
    return errors;
  }
  if (!typeOk(schema, value)) {
    err(path, `check.type.${schema.type}`);
    return errors;
  }
  if (schema.enum && !schema.enum.includes(value)) err(path, "check.enum");
  if (schema.const !== undefined && value !== schema.const) err(path, "check.enum");
  if (schema.type === "string") {
    if (schema.minLength !== undefined && length(value) < schema.minLength) {
      err(path, schema.minLength === 1 ? "check.required" : "check.minLength", { n: schema.minLength });
    }
    if (schema.maxLength !== undefined && length(value) > schema.maxLength) err(path, "check.maxLength", { n: schema.maxLength });
    const re = schema.pattern && regex(schema.pattern);
    if (re && !re.test(value)) err(path, "check.pattern");
    if (schema.format === "date" && !validDate(value)) err(path, "check.date");
    if (schema.format === "date-time" && !DATETIME_RE.test(value)) err(path, "check.datetime");
  }
  if (schema.type === "integer" || schema.type === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) err(path, "check.minimum", { n: schema.minimum });
    if (schema.maximum !== undefined && value > schema.maximum) err(path, "check.maximum", { n: schema.maximum });
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) err(path, "check.minimum", { n: schema.exclusiveMinimum });
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) err(path, "check.maximum", { n: schema.exclusiveMaximum });
  }
  if (schema.type === "array") {
    if (schema.minItems !== undefined && value.length < schema.minItems) err(path, "check.minItems", { n: schema.minItems });
    if (schema.maxItems !== undefined && value.length > schema.maxItems) err(path, "check.maxItems", { n: schema.maxItems });
    if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) err(path, "check.unique");
    value.forEach((v, i) => errors.push(...validate(schema.items || {}, v, `${path}.${i}`)));
  }
  if (schema.type === "object") {
    for (const name of schema.required || []) {
      if (value[name] === undefined || value[name] === null || value[name] === "") {
        const prop = schema.properties?.[name] || {};
        if (!(value[name] === null && prop.nullable)) err(`${path}.${name}`, "check.required");
      }
    }
    for (const [k, v] of Object.entries(value)) {
      const prop = schema.properties?.[k];
      if (prop) errors.push(...validate(prop, v, `${path}.${k}`));
    }
  }
  return errors;
}

/** The fields that differ between `initial` and `current` (for PATCH: send only what changed). */
export function changed(initial, current) {
  const out = {};
  for (const [k, v] of Object.entries(current)) {
    if (JSON.stringify(v) !== JSON.stringify(initial?.[k] ?? null)) out[k] = v;
  }
  return out;
}
