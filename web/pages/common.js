// What the hand-made page modules share: a labelled field, a POST with an Idempotency-Key (and If-Match),
// and a form that posts, shows its error in place and re-renders the page when done.
import { newKey } from "../api.js";

/** POST `body` to `url` with a fresh Idempotency-Key; `version` (a record's version) goes as If-Match. */
export const post = (kit, url, body, version) => kit.api(url, { method: "POST", body,
  headers: { "Idempotency-Key": newKey(), ...(version !== undefined ? { "If-Match": String(version) } : {}) } });

/** A label and its control; `errId` adds the paragraph where the control's server field error goes. */
export const field = (kit, id, label, control, errId) => kit.el("div", { class: "field" },
  kit.el("label", { for: id, text: label }), control, errId ? kit.el("p", { class: "field-error", id: errId, hidden: true }) : null);

/**
 * A form that posts, shows the error in place and re-renders the page when done. `onSubmit(data)` gets the
 * form's FormData; `saved` is the string key of the toast shown on success; `cls` is the submit button's class;
 * with a `title` the form comes in a card of that heading.
 */
export function actionForm(kit, { id, title, children = [], submit, onSubmit, saved = "form.saved", cls = "primary" }) {
  const err = kit.el("p", { class: "form-summary is-error", role: "alert", hidden: true });
  const button = kit.el("button", { type: "submit", class: cls, text: submit });
  const form = kit.el("form", { id, class: "action-form" }, ...children, err, kit.el("div", { class: "actions" }, button));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    button.disabled = true;
    err.hidden = true;
    try {
      await onSubmit(new FormData(form));
      kit.toast(kit.tr(saved));
      await kit.route();
    } catch (error) {
      err.textContent = kit.errorText(error);
      err.hidden = false;
      button.disabled = false;
    }
  });
  return title ? kit.card(title, form) : form;
}
