// The one way the app talks to the API: same origin, bearer token, JSON, the error shape of README's
// "API conventions" turned into an ApiError.

export const TOKEN_KEY = "nx.token";

export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status; // 0: the network failed (offline, server unreachable)
    this.body = body;
  }
  get fields() {
    return this.body?.error?.fields || [];
  }
}

export const token = () => sessionStorage.getItem(TOKEN_KEY);

/** A fresh Idempotency-Key (a UUID v4). */
export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Call the API. `headers` adds request headers (Idempotency-Key, If-Match); `raw` returns the Response
 * (for HTML and files). A Blob `body` (a chosen file) goes as it is, with the Content-Type of `headers`. Throws ApiError for a non-2xx answer or a network failure (status 0).
 */
export async function api(path, { method = "GET", body, headers = {}, raw = false, auth = true } = {}) {
  const h = { Accept: raw ? "*/*" : "application/json", ...headers };
  const bytes = typeof Blob !== "undefined" && body instanceof Blob;
  if (body !== undefined && !bytes) h["Content-Type"] = "application/json";
  const tok = token();
  if (auth && tok) h.Authorization = `Bearer ${tok}`;
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: body === undefined || bytes ? body : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, null);
  }
  if (raw && res.ok) return res;
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { /* not JSON */ }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
