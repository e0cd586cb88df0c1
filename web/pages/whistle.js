// 吹哨报到 (whistles): blow a whistle, follow tickets with a countdown to each deadline, the department's view
// (report in, progress, resolve, extension, return), the town's dispatch and extension decisions, the
// whistler's verification and rating, and department scorecards. Uses only the API (chalicelib/whistle/routes.py).
import { beijingMonth } from "../dates.js";
import { actionForm as baseForm, field, post } from "./common.js";

const T = {
  "wh.nav": ["吹哨报到", "Whistles"],
  "wh.heading": ["吹哨报到", "Whistles (吹哨报到)"],
  "wh.blow": ["吹哨", "Blow a whistle"],
  "wh.tickets": ["工单", "Tickets"],
  "wh.noTickets": ["暂无工单", "No tickets"],
  "wh.scorecards": ["部门考评", "Department scorecards"],
  "wh.kind": ["哨种", "Kind"],
  "wh.category": ["问题类别", "Category"],
  "wh.description": ["问题描述", "What is wrong"],
  "wh.unit": ["网格单元", "Grid unit"],
  "wh.address": ["地址", "Address"],
  "wh.lead": ["牵头部门", "Lead department"],
  "wh.co": ["配合部门", "Co-departments"],
  "wh.dept": ["部门", "Department"],
  "wh.blowButton": ["吹哨", "Blow the whistle"],
  "wh.reportInDue": ["报到时限", "Report in by"],
  "wh.resolveDue": ["办结时限", "Resolve by"],
  "wh.phaseDue": ["当前环节时限", "This step's deadline"],
  "wh.left": ["剩 {t}", "{t} left"],
  "wh.late": ["超时 {t}", "{t} late"],
  "wh.days": ["{d}天{h}小时", "{d} d {h} h"],
  "wh.hours": ["{h}小时{m}分", "{h} h {m} min"],
  "wh.minutes": ["{m}分钟", "{m} min"],
  "wh.departments": ["报到情况", "Departments reporting in"],
  "wh.reported": ["已报到", "reported in"],
  "wh.notReported": ["未报到", "not reported in"],
  "wh.onTime": ["按时", "on time"],
  "wh.lateShort": ["超时", "late"],
  "wh.dispatch": ["派单", "Dispatch"],
  "wh.dispatchButton": ["派单给部门", "Dispatch to the departments"],
  "wh.reportIn": ["报到", "Report in"],
  "wh.note": ["说明", "Note"],
  "wh.progress": ["办理进展", "Progress"],
  "wh.progressButton": ["报进展", "Report progress"],
  "wh.resolve": ["办结报告", "Resolution report"],
  "wh.resolveButton": ["报办结", "Report resolved"],
  "wh.return": ["退单", "Return"],
  "wh.reason": ["理由", "Reason"],
  "wh.returnButton": ["退单", "Return the ticket"],
  "wh.extension": ["申请延期", "Ask for an extension"],
  "wh.extraHours": ["延长小时数", "Extra hours"],
  "wh.extensionButton": ["申请延期", "Ask for more time"],
  "wh.decide": ["延期申请", "Extension request"],
  "wh.grant": ["同意延期", "Grant"],
  "wh.refuse": ["不同意", "Refuse"],
  "wh.verify": ["现场核验", "Verify on the ground"],
  "wh.solved": ["已解决", "Solved"],
  "wh.notSolved": ["未解决，重办", "Not solved: reopen"],
  "wh.evaluate": ["评价", "Rate"],
  "wh.satisfaction": ["满意度（1–5）", "Satisfaction (1-5)"],
  "wh.comment": ["评语", "Comment"],
  "wh.evaluateButton": ["提交评价", "Submit the rating"],
  "wh.close": ["销号", "Close"],
  "wh.closeButton": ["销号", "Close the ticket"],
  "wh.history": ["处理记录", "History"],
  "wh.whistler": ["吹哨人", "Whistler"],
  "wh.status": ["状态", "Status"],
  "wh.saved": ["已提交", "Sent"],
  "wh.period": ["月份", "Month"],
  "wh.show": ["查看", "Show"],
  "wh.received": ["接单", "Received"],
  "wh.reportInRate": ["按时报到率", "On-time report-in"],
  "wh.resolveRate": ["按时办结率", "On-time resolution"],
  "wh.satisfactionAvg": ["满意度", "Satisfaction"],
  "wh.returns": ["退单", "Returns"],
  "wh.reopenRate": ["重办率", "Reopen rate"],
  "wh.inboxReportIn": ["待报到：{t}", "To report in: {t}"],
  "wh.inboxResolve": ["待办结：{t}", "To resolve: {t}"],
  "wh.inboxVerify": ["待核验：{t}", "To verify: {t}"],
  "wh.inboxEvaluate": ["待评价、销号：{t}", "To rate and close: {t}"],
  "wh.inboxDispatch": ["待派单：{t}", "To dispatch: {t}"],
  "wh.inboxExtension": ["待审批延期：{t}", "Extension to decide: {t}"],
  "wh.overdue": ["超时", "Overdue"],
  "wh.mine": ["我的部门：{d}", "My department: {d}"],
};

export const strings = {
  "zh-CN": Object.fromEntries(Object.entries(T).map(([k, [zh]]) => [k, zh])),
  en: Object.fromEntries(Object.entries(T).map(([k, [, en]]) => [k, en])),
};

// -- helpers -------------------------------------------------------------------------------------------
const myDept = (kit) => (kit.me()?.scope?.kind === "department" ? kit.me().scope.path : null);
const name = (kit, x) => (x ? (kit.lang() === "en" ? x.name_en || x.name_zh : x.name_zh) : "");
const roleName = (kit, r) => (kit.tr(`role.${r}`) === `role.${r}` ? r : kit.tr(`role.${r}`));
const caches = {};
async function catalogue(kit, what) {
  caches[what] ??= kit.api(`/v1/whistle/${what}`).then((r) => Object.fromEntries(r.items.map((i) => [i.code || i.kind, i]))).catch((e) => { delete caches[what]; throw e; });
  return caches[what];
}

/** Seconds until `due` as words: "2天3小时" / "3 h 5 min"; negative is late. */
export function remaining(seconds) {
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? ["wh.days", { d, h }] : h ? ["wh.hours", { h, m }] : ["wh.minutes", { m }];
}

function countdown(kit, due, done) {
  if (!due) return kit.el("span", { text: "—" });
  const node = kit.el("time", { datetime: due, class: "countdown" });
  const tick = () => {
    const secs = (Date.parse(due) - Date.now()) / 1000;
    const [key, vars] = remaining(secs);
    const t = kit.tr(key, vars);
    node.textContent = done ? due.replace("T", " ").slice(0, 16) : kit.tr(secs >= 0 ? "wh.left" : "wh.late", { t });
    node.className = `countdown pill ${done ? "" : secs < 0 ? "bad" : secs < 3600 * 4 ? "warn" : "good"}`;
  };
  tick();
  const timer = setInterval(() => { if (!node.isConnected) clearInterval(timer); else tick(); }, 30000);
  return node;
}

/** A form of this page (common.js), whose success says 已提交. */
const actionForm = (kit, opts) => baseForm(kit, { saved: "wh.saved", ...opts });

const deptChecks = (kit, depts, prefix, checked, lead) => kit.el("fieldset", { class: "choices" }, kit.el("legend", { text: kit.tr("wh.co") }),
  ...Object.values(depts).filter((d) => d.code !== lead).map((d) => kit.el("label", { class: "check" },
    kit.el("input", { type: "checkbox", name: "co", value: d.code, id: `${prefix}-${d.code}`, checked: checked.includes(d.code) }), kit.el("span", { text: name(kit, d) }))));

// -- list ----------------------------------------------------------------------------------------------
function ticketRow(kit, t, depts) {
  const due = ["whistled", "dispatched", "returned"].includes(t.status) ? t.report_in_due || t.phase_due : t.phase_due || t.resolve_due;
  return kit.el("li", {}, kit.el("a", { class: "record-link", href: `#/whistle/tickets/${t.id}` },
    kit.el("span", { class: `pill ${t.status === "closed" ? "good" : ""}`, text: t.status_label }),
    kit.el("strong", { text: `${t.kind_label} · ${t.description.slice(0, 40)}` }),
    kit.el("span", { class: "muted", text: `${name(kit, depts[t.lead]) || t.lead || "—"} · ${t.address}` }),
    t.status !== "closed" && due ? countdown(kit, due, false) : null));
}

async function listPage(kit, params) {
  kit.page(kit.tr("wh.heading"), kit.loading());
  const [page1, depts] = await Promise.all([kit.api(`/v1/whistle/tickets?limit=200${params.status ? `&status=${encodeURIComponent(params.status)}` : ""}`), catalogue(kit, "departments")]);
  const open = page1.items.filter((t) => t.status !== "closed");
  const closed = page1.items.filter((t) => t.status === "closed");
  const quick = kit.el("div", { class: "quick" });
  if (kit.can("whistle:blow")) quick.append(kit.linkButton("#/whistle/new", kit.tr("wh.blow"), "button primary"));
  quick.append(kit.linkButton("#/whistle/scorecards", kit.tr("wh.scorecards")));
  kit.page(kit.tr("wh.heading"),
    myDept(kit) ? kit.el("p", { class: "hello", text: kit.tr("wh.mine", { d: name(kit, depts[myDept(kit)]) || myDept(kit) }) }) : null,
    kit.card(null, quick),
    kit.card(kit.tr("wh.tickets"), open.length ? kit.el("ul", { class: "records wh-tickets" }, ...open.map((t) => ticketRow(kit, t, depts))) : kit.el("p", { class: "note", text: kit.tr("wh.noTickets") })),
    closed.length ? kit.card(kit.tr("wh.close"), kit.el("ul", { class: "records wh-closed" }, ...closed.map((t) => ticketRow(kit, t, depts)))) : null);
}

// -- blow ----------------------------------------------------------------------------------------------
async function blowPage(kit) {
  kit.page(kit.tr("wh.blow"), kit.loading());
  const [cats, depts, kinds] = await Promise.all([catalogue(kit, "categories"), catalogue(kit, "departments"), catalogue(kit, "kinds")]);
  const role = kit.me().role;
  const allowedKinds = Object.values(kinds).filter((k) => k.whistlers.includes(role));
  const catSel = kit.el("select", { id: "wh-category", name: "category", required: true },
    ...Object.values(cats).filter((c) => c.active).map((c) => kit.el("option", { value: c.code, text: name(kit, c) })));
  const leadSel = kit.el("select", { id: "wh-lead", name: "lead" }, ...Object.values(depts).map((d) => kit.el("option", { value: d.code, text: name(kit, d) })));
  const coBox = kit.el("div");
  const sync = () => {
    const c = cats[catSel.value];
    if (!c) return;
    leadSel.value = c.lead;
    coBox.replaceChildren(deptChecks(kit, depts, "wh-co", c.co, c.lead));
  };
  catSel.addEventListener("change", sync);
  leadSel.addEventListener("change", () => coBox.replaceChildren(deptChecks(kit, depts, "wh-co", cats[catSel.value]?.co || [], leadSel.value)));
  const form = actionForm(kit, { id: "wh-blow", submit: kit.tr("wh.blowButton"), children: [
    field(kit, "wh-kind", kit.tr("wh.kind"), kit.el("select", { id: "wh-kind", name: "kind" }, ...allowedKinds.map((k) => kit.el("option", { value: k.kind, text: k.label })))),
    field(kit, "wh-category", kit.tr("wh.category"), catSel),
    field(kit, "wh-description", kit.tr("wh.description"), kit.el("textarea", { id: "wh-description", name: "description", rows: 3, required: true, maxlength: 4000 })),
    field(kit, "wh-unit", kit.tr("wh.unit"), kit.el("input", { id: "wh-unit", name: "unit", required: true, value: kit.myUnit() || "" })),
    field(kit, "wh-address", kit.tr("wh.address"), kit.el("input", { id: "wh-address", name: "address", required: true, maxlength: 200 })),
    field(kit, "wh-lead", kit.tr("wh.lead"), leadSel),
    coBox,
  ], onSubmit: async (data) => {
    const t = await post(kit, "/v1/whistle/tickets", { kind: data.get("kind"), category: data.get("category"), description: data.get("description"),
      location: { unit: data.get("unit"), address: data.get("address") }, lead: data.get("lead"), co: data.getAll("co") });
    history.replaceState(null, "", `#/whistle/tickets/${t.id}`);
  } });
  sync();
  kit.page(kit.tr("wh.blow"), kit.card(null, form));
}

// -- one ticket ----------------------------------------------------------------------------------------
async function ticketPage(kit, id) {
  kit.page(kit.tr("wh.heading"), kit.loading());
  const [t, depts] = await Promise.all([kit.api(`/v1/whistle/tickets/${id}`), catalogue(kit, "departments")]);
  const dept = myDept(kit);
  const ack = t.departments.find((a) => a.department === dept);
  const isLead = dept && t.lead === dept;
  const url = `/v1/whistle/tickets/${id}`;
  const dl = (pairs) => kit.el("dl", { class: "record-dl" }, ...pairs.flatMap(([k, v]) => [kit.el("dt", { text: k }), kit.el("dd", {}, v)]));
  const done = t.status === "closed";
  const sections = [kit.card(null,
    kit.el("p", {}, kit.el("span", { class: "pill wh-status", text: t.status_label }), kit.el("span", { class: "pill", text: t.kind_label })),
    kit.el("p", { class: "wh-description", text: t.description }),
    dl([[kit.tr("wh.address"), t.address], [kit.tr("wh.unit"), t.unit], [kit.tr("wh.whistler"), t.whistler?.name || t.whistler?.role || "—"],
      [kit.tr("wh.lead"), name(kit, depts[t.lead]) || t.lead || "—"], [kit.tr("wh.co"), t.co.map((c) => name(kit, depts[c]) || c).join("、") || "—"],
      [kit.tr("wh.reportInDue"), countdown(kit, t.report_in_due, done || t.departments.every((a) => a.reported_in_at))],
      [kit.tr("wh.resolveDue"), countdown(kit, t.resolve_due, done || !!t.resolution)],
      [kit.tr("wh.phaseDue"), countdown(kit, t.phase_due, done)]]))];
  if (t.departments.length) {
    sections.push(kit.card(kit.tr("wh.departments"), kit.table([
      { label: kit.tr("wh.dept"), value: (a) => `${name(kit, depts[a.department]) || a.department}（${kit.tr(a.role === "lead" ? "wh.lead" : "wh.co")}）` },
      { label: kit.tr("wh.status"), value: (a) => kit.el("span", { class: `pill ${a.reported_in_at ? "good" : "warn"}`, text: a.reported_in_at ? `${kit.tr("wh.reported")} · ${kit.tr(a.on_time ? "wh.onTime" : "wh.lateShort")}` : kit.tr("wh.notReported") }) },
      { label: kit.tr("wh.reportInDue"), value: (a) => countdown(kit, a.report_in_due, !!a.reported_in_at) },
    ], t.departments)));
  }
  const s = t.status;
  // the town dispatches (or re-dispatches a returned ticket) and decides extensions
  if (kit.can("whistle:dispatch") && ["whistled", "returned", "dispatched"].includes(s)) {
    const leadSel = kit.el("select", { id: "wh-dispatch-lead", name: "lead" }, ...Object.values(depts).map((d) => kit.el("option", { value: d.code, text: name(kit, d), selected: d.code === t.lead })));
    sections.push(actionForm(kit, { id: "wh-dispatch", title: kit.tr("wh.dispatch"), submit: kit.tr("wh.dispatchButton"), cls: s === "dispatched" ? "secondary" : "primary", children: [
      field(kit, "wh-dispatch-lead", kit.tr("wh.lead"), leadSel), deptChecks(kit, depts, "wh-dco", t.co, t.lead),
      field(kit, "wh-dispatch-note", kit.tr("wh.note"), kit.el("input", { id: "wh-dispatch-note", name: "note", maxlength: 500 }))],
    onSubmit: (data) => post(kit, `${url}/dispatch`, { lead: data.get("lead"), co: data.getAll("co").filter((c) => c !== data.get("lead")), note: data.get("note") || null }, t.version) }));
  }
  if (kit.can("whistle:dispatch") && s === "extension_requested") {
    const ext = t.extensions[t.extensions.length - 1] || {};
    sections.push(actionForm(kit, { id: "wh-decide", title: kit.tr("wh.decide"), submit: kit.tr("wh.grant"), children: [
      kit.el("p", { text: [ext.reason, ext.seconds ? kit.tr(...remaining(ext.seconds)) : null].filter(Boolean).join(" · ") }),
      kit.el("label", { class: "check" }, kit.el("input", { type: "checkbox", name: "refuse", id: "wh-refuse" }), kit.el("span", { text: kit.tr("wh.refuse") }))],
    onSubmit: (data) => post(kit, `${url}/extension/decision`, { grant: !data.get("refuse") }, t.version) }));
  }
  // the departments
  if (kit.can("whistle:respond") && ack) {
    if (!ack.reported_in_at && s === "dispatched") {
      sections.push(actionForm(kit, { id: "wh-report-in", title: kit.tr("wh.reportIn"), submit: kit.tr("wh.reportIn"), children: [
        field(kit, "wh-ri-note", kit.tr("wh.note"), kit.el("input", { id: "wh-ri-note", name: "note", maxlength: 2000 }))],
      onSubmit: (data) => post(kit, `${url}/report-in`, { note: data.get("note") || null }, t.version) }));
      sections.push(actionForm(kit, { id: "wh-return", title: kit.tr("wh.return"), submit: kit.tr("wh.returnButton"), cls: "secondary", children: [
        field(kit, "wh-return-reason", kit.tr("wh.reason"), kit.el("input", { id: "wh-return-reason", name: "reason", required: true, maxlength: 500 }))],
      onSubmit: (data) => post(kit, `${url}/return`, { reason: data.get("reason") }, t.version) }));
    }
    if (["reported_in", "in_progress", "reopened"].includes(s)) {
      sections.push(actionForm(kit, { id: "wh-progress", title: kit.tr("wh.progress"), submit: kit.tr("wh.progressButton"), cls: "secondary", children: [
        field(kit, "wh-progress-note", kit.tr("wh.note"), kit.el("textarea", { id: "wh-progress-note", name: "note", rows: 2, required: true, maxlength: 2000 }))],
      onSubmit: (data) => post(kit, `${url}/progress`, { note: data.get("note") }, t.version) }));
      if (isLead) {
        sections.push(actionForm(kit, { id: "wh-resolve", title: kit.tr("wh.resolve"), submit: kit.tr("wh.resolveButton"), children: [
          field(kit, "wh-resolve-note", kit.tr("wh.note"), kit.el("textarea", { id: "wh-resolve-note", name: "note", rows: 3, required: true, maxlength: 2000 }))],
        onSubmit: (data) => post(kit, `${url}/resolve`, { note: data.get("note") }, t.version) }));
        sections.push(actionForm(kit, { id: "wh-extension", title: kit.tr("wh.extension"), submit: kit.tr("wh.extensionButton"), cls: "secondary", children: [
          field(kit, "wh-ext-hours", kit.tr("wh.extraHours"), kit.el("input", { id: "wh-ext-hours", name: "hours", type: "number", min: 1, max: 720, required: true, value: "24" })),
          field(kit, "wh-ext-reason", kit.tr("wh.reason"), kit.el("input", { id: "wh-ext-reason", name: "reason", required: true, maxlength: 500 }))],
        onSubmit: (data) => post(kit, `${url}/extension`, { seconds: Number(data.get("hours")) * 3600, reason: data.get("reason") }, t.version) }));
      }
    }
  }
  // the whistler's side
  if (kit.can("whistle:verify") && s === "resolved") {
    sections.push(actionForm(kit, { id: "wh-verify", title: kit.tr("wh.verify"), submit: kit.tr("wh.verify"), children: [
      kit.el("p", { text: t.resolution?.report || "" }),
      kit.el("fieldset", {}, kit.el("legend", { text: kit.tr("wh.verify") }),
        kit.el("label", { class: "check" }, kit.el("input", { type: "radio", name: "ok", value: "yes", id: "wh-ok-yes", checked: true }), kit.el("span", { text: kit.tr("wh.solved") })),
        kit.el("label", { class: "check" }, kit.el("input", { type: "radio", name: "ok", value: "no", id: "wh-ok-no" }), kit.el("span", { text: kit.tr("wh.notSolved") }))),
      field(kit, "wh-verify-note", kit.tr("wh.note"), kit.el("input", { id: "wh-verify-note", name: "note", maxlength: 1000 }))],
    onSubmit: (data) => post(kit, `${url}/verify`, { ok: data.get("ok") === "yes", note: data.get("note") || null }, t.version) }));
  }
  if (kit.can("whistle:verify") && s === "verified") {
    sections.push(actionForm(kit, { id: "wh-evaluate", title: kit.tr("wh.evaluate"), submit: kit.tr("wh.evaluateButton"), children: [
      kit.el("fieldset", { class: "stars" }, kit.el("legend", { text: kit.tr("wh.satisfaction") }), ...[5, 4, 3, 2, 1].map((n) =>
        kit.el("label", { class: "check" }, kit.el("input", { type: "radio", name: "satisfaction", value: String(n), id: `wh-star-${n}`, checked: n === 5 }), kit.el("span", { text: `${"★".repeat(n)} ${n}` })))),
      field(kit, "wh-comment", kit.tr("wh.comment"), kit.el("input", { id: "wh-comment", name: "comment", maxlength: 1000 }))],
    onSubmit: (data) => post(kit, `${url}/evaluate`, { satisfaction: Number(data.get("satisfaction")), comment: data.get("comment") || null }, t.version) }));
  }
  if (kit.can("whistle:verify") && s === "evaluated") {
    sections.push(actionForm(kit, { id: "wh-close", title: kit.tr("wh.close"), submit: kit.tr("wh.closeButton"), children: [
      field(kit, "wh-close-note", kit.tr("wh.note"), kit.el("input", { id: "wh-close-note", name: "note", maxlength: 2000 }))],
    onSubmit: (data) => post(kit, `${url}/close`, { note: data.get("note") || null }, t.version) }));
  }
  if (t.history?.length) {
    sections.push(kit.card(kit.tr("wh.history"), kit.el("ol", { class: "timeline" }, ...t.history.map((h) => kit.el("li", {},
      kit.el("time", { datetime: h.at || "", text: (h.at || "").replace("T", " ").slice(0, 16) }), " ",
      kit.el("span", { text: [h.label || h.action, h.by_role ? roleName(kit, h.by_role) : null, h.note].filter(Boolean).join(" · ") }))))));
  }
  kit.page(`${kit.tr("wh.heading")} · ${t.kind_label}`, ...sections);
}

// -- scorecards ----------------------------------------------------------------------------------------
async function scorecardsPage(kit, params) {
  const period = params.period || beijingMonth();
  kit.page(kit.tr("wh.scorecards"), kit.loading());
  const depts = await catalogue(kit, "departments");
  const codes = myDept(kit) ? [myDept(kit)] : Object.keys(depts);
  // one call per department: the catalogue is short (about ten departments)
  const cards = (await Promise.all(codes.map((c) => kit.api(`/v1/whistle/scorecards/departments/${c}?period=${period}`).catch(() => null)))).filter(Boolean);
  const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
  const form = kit.el("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); location.hash = `#/whistle/scorecards?period=${new FormData(e.target).get("period")}`; } },
    field(kit, "wh-period", kit.tr("wh.period"), kit.el("input", { id: "wh-period", name: "period", type: "month", value: period, required: true })),
    kit.el("button", { type: "submit", class: "secondary", text: kit.tr("wh.show") }));
  kit.page(`${kit.tr("wh.scorecards")} · ${period}`, kit.card(null, form), kit.card(null, kit.table([
    { label: kit.tr("wh.lead"), value: (c) => name(kit, depts[c.department]) || c.department },
    { label: kit.tr("wh.received"), value: (c) => String(c.received) },
    { label: kit.tr("wh.reportInRate"), value: (c) => pct(c.report_in_on_time_rate) },
    { label: kit.tr("wh.resolveRate"), value: (c) => pct(c.resolve_on_time_rate) },
    { label: kit.tr("wh.satisfactionAvg"), value: (c) => (c.satisfaction === null ? "—" : c.satisfaction.toFixed(1)) },
    { label: kit.tr("wh.returns"), value: (c) => String(c.returns) },
    { label: kit.tr("wh.reopenRate"), value: (c) => pct(c.reopen_rate) },
  ], cards, kit.tr("wh.scorecards"))));
}

// -- module interface ----------------------------------------------------------------------------------
export function routes(kit) {
  return [
    [/^\/whistle$/, (params) => listPage(kit, params)],
    [/^\/whistle\/new$/, () => blowPage(kit)],
    [/^\/whistle\/tickets\/([\w-]+)$/, (id) => ticketPage(kit, id)],
    [/^\/whistle\/scorecards$/, (params) => scorecardsPage(kit, params)],
  ];
}

export function nav(kit) {
  return kit.can("whistle:read") && kit.me()?.role !== "neighbour_head" ? [["#/whistle", "wh.nav"]] : [];
}

export function quick(kit) {
  return kit.can("whistle:blow") ? [kit.linkButton("#/whistle/new", kit.tr("wh.blow"))] : [];
}

export async function inbox(kit) {
  if (!kit.can("whistle:read")) return [];
  const page1 = await kit.api("/v1/whistle/tickets?limit=200");
  const dept = myDept(kit);
  const now = Date.now();
  const out = [];
  const push = (t, key, due) => {
    const late = due && Date.parse(due) < now;
    out.push({ rank: late ? 1 : 5, due: due || "", href: `#/whistle/tickets/${t.id}`, cls: late ? "bad" : "warn",
      badge: late ? kit.tr("wh.overdue") : t.kind_label, badgeCls: late ? "bad" : "warn", text: ` ${kit.tr(key, { t: t.description.slice(0, 30) })}` });
  };
  for (const t of page1.items) {
    if (dept) {
      const ack = t.departments.find((a) => a.department === dept);
      if (ack && !ack.reported_in_at && t.status === "dispatched") push(t, "wh.inboxReportIn", ack.report_in_due);
      else if (t.lead === dept && ["reported_in", "in_progress", "reopened"].includes(t.status)) push(t, "wh.inboxResolve", t.resolve_due);
      continue;
    }
    const mine = t.whistler?.name === kit.me().display_name || kit.can("whistle:dispatch"); // the whistler or the town
    if (kit.can("whistle:verify") && mine && t.status === "resolved") push(t, "wh.inboxVerify", t.phase_due);
    else if (kit.can("whistle:verify") && mine && ["verified", "evaluated"].includes(t.status)) push(t, "wh.inboxEvaluate", t.phase_due);
    else if (kit.can("whistle:dispatch") && ["whistled", "returned"].includes(t.status)) push(t, "wh.inboxDispatch", t.phase_due);
    else if (kit.can("whistle:dispatch") && t.status === "extension_requested") push(t, "wh.inboxExtension", t.phase_due);
  }
  return out;
}
