// The outbox: submits made while offline (or that failed on the network) wait here, in localStorage, with
// the Idempotency-Key they were first sent with, so a resend never creates a second record.
// Storage is injected so the logic is testable under node.

const KEY = "nx.outbox";

export class Outbox {
  constructor(storage, send) {
    this.storage = storage; // localStorage-like: getItem/setItem
    this.send = send; // async (item) => answer; throws {status} (0 = network)
    this.listeners = new Set();
    this.flushing = null;
  }

  items() {
    try { return JSON.parse(this.storage.getItem(KEY) || "[]"); } catch { return []; }
  }

  _save(items) {
    this.storage.setItem(KEY, JSON.stringify(items));
    this.listeners.forEach((fn) => fn(items));
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Queue a request: {method, url, body, headers, label, op, params, draftKey}. */
  add(item) {
    const entry = { ...item, id: item.headers?.["Idempotency-Key"] || `${Date.now()}-${Math.random()}`, state: "pending", queued_at: new Date().toISOString() };
    this._save([...this.items().filter((x) => x.id !== entry.id), entry]);
    return entry;
  }

  remove(id) {
    this._save(this.items().filter((x) => x.id !== id));
  }

  pending() {
    return this.items().filter((x) => x.state === "pending");
  }

  /**
   * Send pending items in order. Stops at the first network failure (still offline). A refused item (4xx) is
   * kept, marked failed with the server's error, so the user can fix it. Returns {sent: [...], failed: [...]}.
   */
  flush() {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      const sent = [], failed = [];
      for (const item of this.pending()) {
        try {
          const answer = await this.send(item);
          this.remove(item.id);
          sent.push({ item, answer });
        } catch (err) {
          const status = err?.status ?? 0;
          if (status === 0 || status === 401 || status === 503 || status >= 500) break; // try again later
          const items = this.items().map((x) => (x.id === item.id ? { ...x, state: "failed", error: err.body?.error || { code: `http_${status}` } } : x));
          this._save(items);
          failed.push({ item, error: err });
        }
      }
      return { sent, failed };
    })().finally(() => { this.flushing = null; });
    return this.flushing;
  }
}
