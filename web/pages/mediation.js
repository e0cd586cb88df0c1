// 人民调解 mediation pages: the village's cases, registering one, the case page with the lifecycle actions its
// state allows (sessions, agreement with a print preview, performance, follow-up, close, escalate), the
// mediator teams, and the village's figures (化解率 …). Only the public API (chalicelib/mediation/routes.py).
import { beijingDay } from "../dates.js";
import { field } from "./common.js";
import { guarded, printHtml } from "./scoring.js";

const ECHARTS = "../node_modules/echarts/dist/echarts.esm.min.js";
const RISK_CLASS = { red: "bad", yellow: "warn", green: "good" };

export const strings = {
  "zh-CN": {
    "med.nav": "人民调解",
    "med.heading": "人民调解",
    "med.intro": "琐事不出组、小事不出村、大事不出镇：登记 → 告知权利义务 → 调查 → 调解 → 协议 → 履行 → 回访 → 结案。",
    "med.register": "登记案件",
    "med.figures": "调解统计",
    "med.teams": "调解组织",
    "med.cases": "案件",
    "med.none": "没有符合条件的案件。",
    "med.filterStatus": "状态",
    "med.filterOverdue": "只看逾期",
    "med.all": "全部",
    "med.search": "筛选",
    "med.due": "期限 {date}",
    "med.overdue": "已逾期",
    "med.level": "{level}级调处",
    "med.risk": "风险：{risk}",
    "med.caseHeading": "调解案件",
    "med.next": "下一步",
    "med.other": "其他操作",
    "med.noActions": "案件已终结，没有可办理的步骤。",
    "med.readOnly": "案件现由上级调处，您只能查看。",
    "med.parties": "当事人",
    "med.mediators": "调解员",
    "med.sessions": "调解笔录",
    "med.agreements": "调解协议",
    "med.followUps": "回访",
    "med.history": "办理经过",
    "med.facts": "基本情况",
    "med.number": "案号",
    "med.category": "类别",
    "med.source": "来源",
    "med.causes": "起因",
    "med.registeredOn": "登记日期",
    "med.dueOn": "办理期限",
    "med.handling": "受理层级",
    "med.closedOn": "结案日期",
    "med.outcome": "结果",
    "med.sealed": "案情细节已加密保存，凭用途查看（记入审计）。",
    "med.act.rights_notified": "告知权利义务",
    "med.act.investigating": "开始调查",
    "med.act.session": "记录一次调解（笔录）",
    "med.act.agreement": "记录调解协议",
    "med.act.fail": "调解不成",
    "med.act.performing": "开始履行",
    "med.act.follow_up": "回访",
    "med.act.close": "结案",
    "med.act.escalate": "上交上一级调处",
    "med.act.extend": "延期（须双方同意）",
    "med.act.withdraw": "当事人撤回",
    "med.act.judicial": "申请司法确认",
    "med.print": "打印预览调解协议书",
    "med.printPurpose": "用途（记入审计）",
    "med.agreementV": "第 {v} 版 · {form} · 签订 {signed} · 履行期限 {due}",
    "med.sessionN": "第 {no} 次 · {date} · {place} · {n} 人参加 · {outcome}",
    "med.followUpN": "第 {no} 次 · {date} · 履行：{performed} · 满意度 {s}/5{rec}",
    "med.recurrence": " · 有反复迹象",
    "med.side.applicant": "申请方",
    "med.side.respondent": "被申请方",
    "med.registered": "案件已登记。",
    "med.noCommittee": "还没有调委会：请先建立“人民调解委员会”（案号代字如 宁大人调）。",
    "med.teamsHeading": "调解组织",
    "med.newTeam": "建立调解组织",
    "med.addMediator": "增加调解员",
    "med.teamNone": "暂无调解组织。",
    "med.figuresHeading": "调解统计",
    "med.from": "起始月份",
    "med.to": "截止月份",
    "med.rate": "化解率",
    "med.fig.registered": "登记",
    "med.fig.closed": "结案",
    "med.fig.resolved": "达成协议",
    "med.fig.failed": "调解不成",
    "med.fig.withdrawn": "撤回",
    "med.fig.median": "结案天数（中位）",
    "med.fig.overdue": "逾期未结",
    "med.fig.where": "在受理层级化解",
    "med.byCategory": "按类别",
    "med.byLevel": "三级过滤：结案层级",
    "med.byCause": "按起因",
    "med.chartCategory": "按类别的登记、结案与化解柱状图",
    "med.chartLevel": "结案层级饼图",
    "med.levelName.group": "组",
    "med.levelName.village": "村",
    "med.levelName.town": "镇",
    "med.inboxOverdue": "{number} {category}：已超过办理期限 {due}",
    "med.inboxFollowUp": "{number} {category}：协议履行中，待回访",
    "med.inboxClose": "{number} {category}：已回访，待结案",
    "med.inboxNew": "{number} {category}：新登记，待告知权利义务",
    "med.badge": "调解",
    "med.outcome.resolved": "达成协议结案",
    "med.outcome.failed": "调解不成结案",
    "field.applied_on": "申请日期",
    "field.signed_on": "签订日期",
    "field.parties": "当事人",
    "field.statements": "各方陈述",
    "field.attendees": "参加人",
    "field.new_due": "新的办理期限",
    "field.consents": "双方同意",
    "field.consented_on": "同意日期",
    "field.how": "方式",
    "field.duties": "各方的责任、权利与义务",
    "field.party": "当事人",
    "field.text": "陈述内容",
    "field.mediators": "调解员",
    "med.performedFull": "全部履行",
    "med.st.registered": "已登记",
    "med.st.rights_notified": "已告知权利义务",
    "med.st.investigating": "调查中",
    "med.st.mediating": "调解中",
    "med.st.agreement_reached": "达成协议",
    "med.st.failed": "调解不成",
    "med.st.performing": "履行中",
    "med.st.follow_up": "回访",
    "med.st.escalated": "已上交上级",
    "med.st.closed": "已结案",
    "med.st.withdrawn": "当事人撤回",
    "enum.application": "当事人申请",
    "enum.proactive": "主动调解",
    "enum.police_referral": "公安移交",
    "enum.court_entrusted": "法院委托",
    "enum.government_assigned": "政府交办",
    "enum.hotline": "12345热线转办",
    "enum.red": "红",
    "enum.yellow": "黄",
    "enum.green": "绿",
    "enum.person": "自然人",
    "enum.organisation": "组织",
    "enum.applicant": "申请方",
    "enum.respondent": "被申请方",
    "enum.rights_notified": "告知权利义务",
    "enum.investigating": "开始调查",
    "enum.performing": "开始履行",
    "enum.adjourned": "继续调解",
    "enum.agreed": "达成一致",
    "enum.not_agreed": "未能达成",
    "enum.written": "书面协议",
    "enum.oral": "口头协议",
    "enum.images": "签名或捺印图像",
    "enum.in_person": "当面签字",
    "enum.oral_record": "口头协议记录",
    "enum.partial": "部分履行",
    "enum.none": "未履行",
    "enum.court": "向人民法院起诉",
    "enum.arbitration": "申请仲裁",
    "enum.administrative": "请求行政机关处理",
    "enum.signed": "签字同意",
    "enum.oral_recorded": "口头同意并记录",
    "enum.mediation": "调解工作",
    "enum.follow_up": "回访",
    "enum.judicial_confirmation": "司法确认",
    "enum.review": "复核",
    "enum.audit": "审计",
  },
  en: {
    "med.nav": "Mediation",
    "med.heading": "People's mediation",
    "med.intro": "Small matters stay in the group, bigger ones in the village: register → rights → investigate → mediate → agreement → performance → follow-up → close.",
    "med.register": "Register a case",
    "med.figures": "Figures",
    "med.teams": "Mediator teams",
    "med.cases": "Cases",
    "med.none": "No cases match.",
    "med.filterStatus": "Status",
    "med.filterOverdue": "Overdue only",
    "med.all": "All",
    "med.search": "Filter",
    "med.due": "due {date}",
    "med.overdue": "Overdue",
    "med.level": "{level} level",
    "med.risk": "risk: {risk}",
    "med.caseHeading": "Mediation case",
    "med.next": "Next step",
    "med.other": "Other actions",
    "med.noActions": "The case has ended: nothing left to do.",
    "med.readOnly": "A higher level handles the case now: read only.",
    "med.parties": "Parties",
    "med.mediators": "Mediators",
    "med.sessions": "Sessions",
    "med.agreements": "Agreements",
    "med.followUps": "Follow-up visits",
    "med.history": "History",
    "med.facts": "The case",
    "med.number": "Number",
    "med.category": "Category",
    "med.source": "Source",
    "med.causes": "Causes",
    "med.registeredOn": "Registered",
    "med.dueOn": "Due",
    "med.handling": "Level",
    "med.closedOn": "Closed",
    "med.outcome": "Outcome",
    "med.sealed": "The case details are sealed; reading them needs a purpose (audited).",
    "med.act.rights_notified": "Rights and duties notified",
    "med.act.investigating": "Start investigating",
    "med.act.session": "Record a session",
    "med.act.agreement": "Record the agreement",
    "med.act.fail": "Mediation failed",
    "med.act.performing": "Start performance",
    "med.act.follow_up": "Follow-up visit",
    "med.act.close": "Close the case",
    "med.act.escalate": "Escalate one level up",
    "med.act.extend": "Extend (both sides consent)",
    "med.act.withdraw": "Withdrawn by the parties",
    "med.act.judicial": "Judicial confirmation",
    "med.print": "Print preview of the agreement",
    "med.printPurpose": "Purpose (audited)",
    "med.agreementV": "version {v} · {form} · signed {signed} · perform by {due}",
    "med.sessionN": "#{no} · {date} · {place} · {n} present · {outcome}",
    "med.followUpN": "#{no} · {date} · performed: {performed} · satisfaction {s}/5{rec}",
    "med.recurrence": " · signs of recurrence",
    "med.side.applicant": "applicant",
    "med.side.respondent": "respondent",
    "med.registered": "Case registered.",
    "med.noCommittee": "No committee yet: create a people's mediation committee first (with its case prefix, e.g. 宁大人调).",
    "med.teamsHeading": "Mediator teams",
    "med.newTeam": "Create a team",
    "med.addMediator": "Add a mediator",
    "med.teamNone": "No teams yet.",
    "med.figuresHeading": "Mediation figures",
    "med.from": "From month",
    "med.to": "To month",
    "med.rate": "Resolution rate",
    "med.fig.registered": "Registered",
    "med.fig.closed": "Closed",
    "med.fig.resolved": "Agreed",
    "med.fig.failed": "Failed",
    "med.fig.withdrawn": "Withdrawn",
    "med.fig.median": "Days to close (median)",
    "med.fig.overdue": "Open and overdue",
    "med.fig.where": "Settled where started",
    "med.byCategory": "By category",
    "med.byLevel": "Three-level filter: closing level",
    "med.byCause": "By cause",
    "med.chartCategory": "Bar chart of registered, closed and agreed cases by category",
    "med.chartLevel": "Pie chart of closing levels",
    "med.levelName.group": "Group",
    "med.levelName.village": "Village",
    "med.levelName.town": "Town",
    "med.inboxOverdue": "{number} {category}: past its due date {due}",
    "med.inboxFollowUp": "{number} {category}: agreement being performed, follow-up visit due",
    "med.inboxClose": "{number} {category}: followed up, ready to close",
    "med.inboxNew": "{number} {category}: new, tell the parties their rights",
    "med.badge": "Mediation",
    "med.outcome.resolved": "Closed with an agreement",
    "med.outcome.failed": "Closed without agreement",
    "field.applied_on": "Applied on",
    "field.signed_on": "Signed on",
    "field.parties": "Parties",
    "field.statements": "Statements",
    "field.attendees": "Attendees",
    "field.new_due": "New due date",
    "field.consents": "Consents of both sides",
    "field.consented_on": "Consented on",
    "field.how": "How",
    "field.duties": "Each side's duties",
    "field.party": "Party",
    "field.text": "Statement",
    "field.mediators": "Mediators",
    "med.performedFull": "Fully",
    "med.st.registered": "Registered",
    "med.st.rights_notified": "Rights notified",
    "med.st.investigating": "Investigating",
    "med.st.mediating": "Mediating",
    "med.st.agreement_reached": "Agreement reached",
    "med.st.failed": "Failed",
    "med.st.performing": "Performing",
    "med.st.follow_up": "Follow-up",
    "med.st.escalated": "Escalated",
    "med.st.closed": "Closed",
    "med.st.withdrawn": "Withdrawn",
    "enum.application": "Application by a party",
    "enum.proactive": "Proactive",
    "enum.police_referral": "Referred by police",
    "enum.court_entrusted": "Entrusted by a court",
    "enum.government_assigned": "Assigned by government",
    "enum.hotline": "From the 12345 hotline",
    "enum.red": "Red",
    "enum.yellow": "Yellow",
    "enum.green": "Green",
    "enum.person": "Person",
    "enum.organisation": "Organisation",
    "enum.applicant": "Applicant",
    "enum.respondent": "Respondent",
    "enum.rights_notified": "Rights notified",
    "enum.investigating": "Investigating",
    "enum.performing": "Performing",
    "enum.adjourned": "Adjourned",
    "enum.agreed": "Agreed",
    "enum.not_agreed": "Not agreed",
    "enum.written": "Written",
    "enum.oral": "Oral",
    "enum.images": "Signature images",
    "enum.in_person": "Signed in person",
    "enum.oral_record": "Oral record",
    "enum.partial": "Partly",
    "enum.none": "Not at all",
    "enum.court": "Sue in court",
    "enum.arbitration": "Arbitration",
    "enum.administrative": "Administrative authority",
    "enum.signed": "Signed",
    "enum.oral_recorded": "Oral, recorded",
    "enum.mediation": "Mediation work",
    "enum.follow_up": "Follow-up",
    "enum.judicial_confirmation": "Judicial confirmation",
    "enum.review": "Review",
    "enum.audit": "Audit",
  },
};

const today = () => beijingDay();
const catalogues = {};
async function catalogue(kit, kind) {
  if (!catalogues[kind]) {
    try { catalogues[kind] = (await kit.api(`/v1/catalogues/${kind}`)).items; } catch { catalogues[kind] = []; }
  }
  return catalogues[kind];
}
const catName = (kit, kind, code) => {
  const x = (catalogues[kind] || []).find((i) => i.code === code);
  return x ? (kit.lang() === "en" ? x.name_en || x.name_zh : x.name_zh) : code;
};
const catChoices = (kit, kind) => (catalogues[kind] || []).filter((x) => x.active !== false).map((x) => ({ value: x.code, label: catName(kit, kind, x.code) }));
const levelName = (kit, l) => kit.tr(`med.levelName.${l}`);
const statusLabel = (kit, c) => kit.tr(`med.st.${c.status}`);
const roleName = (kit, r) => { const x = kit.tr(`scoring.role.${r}`); return x.startsWith("scoring.") ? r : x; };
const back = (kit) => kit.el("p", {}, kit.el("a", { href: "#/mediation", text: `← ${kit.tr("med.heading")}` }));

function caseItem(kit, c) {
  const { el, tr } = kit;
  return el("li", { class: "record" }, el("a", { href: `#/mediation/cases/${c.id}`, class: "record-link" },
    el("strong", { text: c.number }), el("span", { text: catName(kit, "mediation_category", c.category) }),
    el("span", { class: "pill", text: statusLabel(kit, c) }),
    el("span", { class: `pill ${RISK_CLASS[c.risk] || ""}`, text: tr("med.risk", { risk: kit.enumLabel(c.risk) }) }),
    c.overdue ? el("span", { class: "pill bad", text: tr("med.overdue") }) : null,
    el("span", { class: "muted", text: `${tr("med.level", { level: levelName(kit, c.level) })} · ${tr("med.due", { date: c.due_on })}` })));
}

// -- the list --------------------------------------------------------------------------------------------
async function listPage(kit, params) {
  const { el, tr, api, card, linkButton, myUnit, can } = kit;
  kit.page(tr("med.heading"), kit.loading());
  const mine = myUnit();
  await catalogue(kit, "mediation_category");
  const q = new URLSearchParams({ limit: "50" });
  if (params.status) q.set("status", params.status);
  if (params.overdue === "true") q.set("overdue", "true");
  const r = await api(`/v1/units/${mine}/mediation-cases?${q}`);
  const statuses = ["registered", "rights_notified", "investigating", "mediating", "agreement_reached", "failed", "performing", "follow_up", "escalated", "closed", "withdrawn"];
  const fStatus = el("select", { id: "med-status" }, el("option", { value: "", text: tr("med.all") }),
    ...statuses.map((s) => el("option", { value: s, text: tr(`med.st.${s}`), selected: params.status === s })));
  const fOverdue = el("input", { id: "med-overdue", type: "checkbox", checked: params.overdue === "true" });
  const filters = el("form", { class: "query-form", onsubmit: (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (fStatus.value) p.set("status", fStatus.value);
    if (fOverdue.checked) p.set("overdue", "true");
    location.hash = `#/mediation?${p}`;
  } }, field(kit, "med-status", tr("med.filterStatus"), fStatus),
  el("label", { class: "check", for: "med-overdue" }, fOverdue, el("span", { text: tr("med.filterOverdue") })),
  el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: tr("med.search") })));
  const quick = el("div", { class: "quick" },
    can("mediation:write") ? linkButton("#/mediation/new", tr("med.register"), "button primary") : null,
    linkButton("#/mediation/figures", tr("med.figures")), linkButton("#/mediation/teams", tr("med.teams")));
  kit.page(tr("med.heading"), el("p", { class: "note", text: tr("med.intro") }), card(null, quick),
    el("details", { class: "card filters", open: !!(params.status || params.overdue) }, el("summary", { text: tr("med.search") }), filters),
    r.items.length ? el("ul", { class: "records", id: "case-list" }, ...r.items.map((c) => caseItem(kit, c))) : card(null, el("p", { class: "note", text: tr("med.none") })));
}

// -- registration ----------------------------------------------------------------------------------------
async function teamsOf(kit, code) {
  try { return (await kit.api(`/v1/units/${code}/mediation-teams?limit=200`)).items; } catch { return []; }
}

async function registerPage(kit) {
  const { el, tr, api, card, myUnit } = kit;
  kit.page(tr("med.register"), kit.loading());
  const mine = myUnit();
  const [unit, children, teams] = await Promise.all([api(`/v1/units/${mine}`), api(`/v1/units/${mine}/children?limit=200`),
    teamsOf(kit, mine), catalogue(kit, "mediation_category"), catalogue(kit, "mediation_cause")]);
  const committees = teams.filter((t) => t.kind === "committee" && t.number_prefix);
  const choices = {
    category: catChoices(kit, "mediation_category"),
    causes: catChoices(kit, "mediation_cause"),
    unit: [unit, ...children.items].map((u) => ({ value: u.code, label: u.name })),
  };
  if (committees.length) choices.committee = committees.map((t) => ({ value: t.id, label: `${t.name}（${t.number_prefix}）` }));
  const level = ["group", "village", "town"].includes(unit.level) ? unit.level : "village";
  const form = await kit.opForm("register_case", { values: { unit: mine, level, committee: committees[0]?.id, registered_on: today() }, choices,
    onDone: (c) => { location.hash = `#/mediation/cases/${c.id}`; } });
  kit.page(tr("med.register"), back(kit),
    committees.length ? null : el("p", { class: "form-summary is-info" }, tr("med.noCommittee"), " ", el("a", { href: "#/mediation/teams", text: tr("med.newTeam") })),
    card(null, form));
}

// -- the case page ---------------------------------------------------------------------------------------
/** The lifecycle actions the case's state allows: [key, opId, values]; the first is the natural next step. */
export function actionsFor(c) {
  const next = new Set(c.allowed_next);
  const out = [];
  const s = c.status;
  if (next.has("rights_notified")) out.push(["rights_notified", "change_case_status", { to: "rights_notified" }]);
  if (next.has("investigating") && c.rights_notified_on) out.push(["investigating", "change_case_status", { to: "investigating" }]);
  if (s === "investigating" || s === "mediating") out.push(["session", "add_session", {}]);
  if (next.has("agreement_reached")) out.push(["agreement", "record_agreement", { form: "written", signatures: "in_person" }]);
  if (next.has("performing")) out.push(["performing", "change_case_status", { to: "performing" }]);
  if (s === "performing" || s === "follow_up") out.push(["follow_up", "add_follow_up", {}]);
  if (next.has("closed")) out.push(["close", "close_case", {}]);
  if (next.has("failed")) out.push(["fail", "fail_case", {}]);
  if (next.has("escalated") && c.level !== "town") out.push(["escalate", "escalate_case", {}]);
  if (c.agreements.length && !c.judicial_confirmation?.applied_on && ["agreement_reached", "performing", "follow_up", "closed"].includes(s)) out.push(["judicial", "judicial_confirmation", {}]);
  if (next.size && !["closed", "withdrawn"].includes(s)) out.push(["extend", "extend_case", {}]);
  if (next.has("withdrawn")) out.push(["withdraw", "withdraw_case", {}]);
  // after a session that agreed (or failed) the agreement (or the failure) is the natural next step
  const last = c.sessions[c.sessions.length - 1]?.outcome;
  const first = s === "mediating" ? { agreed: "agreement", not_agreed: "fail" }[last] : s === "follow_up" ? "close" : null;
  if (first) out.sort((a, b) => (b[0] === first) - (a[0] === first));
  return out;
}

async function casePage(kit, id) {
  const { el, tr, api, card, can } = kit;
  kit.page(tr("med.caseHeading"), kit.loading());
  const [c] = await Promise.all([api(`/v1/mediation-cases/${id}`), catalogue(kit, "mediation_category"), catalogue(kit, "mediation_cause")]);
  const partyChoices = c.parties.map((p) => ({ value: p.index, label: `${p.index + 1}. ${tr(`med.side.${p.side}`)} ${p.name ?? ""}` }));
  const readOnly = !kit.inScope(handlingPath(c));
  const actions = can("mediation:write") && !readOnly ? actionsFor(c) : [];
  const forms = [];
  for (const [i, [key, opId, values]] of actions.entries()) {
    const dated = { date: today(), signed_on: today(), applied_on: today(), ...values };
    const form = await kit.opForm(opId, { pathParams: { id }, initial: c, values: dated, label: `${tr(`med.act.${key}`)} · ${c.number}`,
      choices: { party: partyChoices, parties: partyChoices } });
    const full = form.querySelector?.('select[name="body.performed"] option[value="full"]');
    if (full) full.textContent = tr("med.performedFull"); // "full" is also a member status in the shared catalogue
    forms.push(el("details", { class: `card action action-${key}`, open: i === 0, dataset: { action: key } },
      el("summary", {}, i === 0 ? el("span", { class: "pill good", text: tr("med.next") }) : null, tr(`med.act.${key}`)), form));
  }
  const dl = (rows) => el("dl", { class: "record-dl" }, ...rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]));
  const printer = c.agreements.length ? printControl(kit, c) : null;
  kit.page(`${tr("med.caseHeading")} · ${c.number}`, back(kit),
    card(null,
      el("p", {}, el("span", { class: "pill", id: "case-status", text: statusLabel(kit, c) }), " ",
        el("span", { class: `pill ${RISK_CLASS[c.risk] || ""}`, text: tr("med.risk", { risk: kit.enumLabel(c.risk) }) }),
        c.overdue ? el("span", { class: "pill bad", text: tr("med.overdue") }) : null),
      dl([[tr("med.number"), c.number], [tr("med.category"), catName(kit, "mediation_category", c.category)],
        [tr("med.source"), kit.lang() === "en" ? kit.enumLabel(c.source) : c.source_label],
        [tr("med.causes"), c.causes.map((x) => catName(kit, "mediation_cause", x)).join("、") || "—"],
        [tr("med.handling"), tr("med.level", { level: levelName(kit, c.level) })],
        [tr("med.registeredOn"), c.registered_on], [tr("med.dueOn"), c.due_on], [tr("med.closedOn"), c.closed_on],
        [tr("med.outcome"), c.outcome ? tr(`med.outcome.${c.outcome}`) : null]]),
      el("p", { class: "note", text: tr("med.sealed") })),
    readOnly ? el("p", { class: "form-summary is-info", text: tr("med.readOnly") }) : null,
    ...forms,
    !forms.length && !readOnly && can("mediation:write") ? card(null, el("p", { class: "note", text: tr("med.noActions") })) : null,
    card(tr("med.parties"), el("ul", { class: "plain" }, ...c.parties.map((p) => el("li", { text: `${p.index + 1}. ${tr(`med.side.${p.side}`)} · ${kit.enumLabel(p.kind)} · ${p.name ?? "—"} · ${p.phone ?? "—"}` })))),
    c.mediators.length ? card(tr("med.mediators"), el("ul", { class: "plain" }, ...c.mediators.map((m) => el("li", { text: `${m.name} · ${m.team_name}` })))) : null,
    c.sessions.length ? card(tr("med.sessions"), el("ol", {}, ...c.sessions.map((s) => el("li", { text: tr("med.sessionN", { no: s.no, date: s.date, place: s.place, n: s.attendees, outcome: kit.enumLabel(s.outcome) }) })))) : null,
    c.agreements.length ? card(tr("med.agreements"), el("ul", { class: "plain" }, ...c.agreements.map((a) => el("li", { text: tr("med.agreementV", { v: a.version, form: kit.enumLabel(a.form), signed: a.signed_on, due: a.performance_due }) }))), printer) : null,
    c.follow_ups.length ? card(tr("med.followUps"), el("ol", {}, ...c.follow_ups.map((f) => el("li", { text: tr("med.followUpN", { no: f.no, date: f.date, performed: f.performed === "full" ? tr("med.performedFull") : kit.enumLabel(f.performed), s: f.satisfaction, rec: f.recurrence ? tr("med.recurrence") : "" }) })))) : null,
    card(tr("med.history"), el("ol", { class: "history" }, ...c.history.map((h) => el("li", { text: `${h.at} · ${h.status_to ? tr(`med.st.${h.status_to}`) : h.kind}${h.level_to && h.level_from ? `（${levelName(kit, h.level_from)} → ${levelName(kit, h.level_to)}）` : ""} · ${roleName(kit, h.by_role)}` })))));
}

function handlingPath(c) {
  // the handling unit is the case unit's ancestor at the case's level: cut the path to that depth
  const depth = { group: 5, village: 3, town: 2 }[c.level] || c.unit_path.split("/").length;
  return c.unit_path.split("/").slice(0, depth).join("/");
}

function printControl(kit, c) {
  const { el, tr } = kit;
  const purposes = ["mediation", "follow_up", "judicial_confirmation", "review", "audit"];
  const pick = el("select", { id: "print-purpose" }, ...purposes.map((p) => el("option", { value: p, text: kit.enumLabel(p) })));
  return el("div", { class: "print-agreement" }, field(kit, "print-purpose", tr("med.printPurpose"), pick),
    el("button", { type: "button", class: "secondary", id: "print-agreement", text: tr("med.print"),
      onclick: () => printHtml(kit, `/v1/mediation-cases/${c.id}/agreement/document?purpose=${pick.value}`) }));
}

// -- teams -----------------------------------------------------------------------------------------------
async function teamsPage(kit) {
  const { el, tr, api, card, myUnit, can } = kit;
  kit.page(tr("med.teamsHeading"), kit.loading());
  const mine = myUnit();
  const [unit, teams] = await Promise.all([api(`/v1/units/${mine}`), teamsOf(kit, mine), catalogue(kit, "mediation_team_kind")]);
  const form = can("mediation:write") ? await kit.opForm("create_team", { values: { unit: mine, kind: "committee" },
    choices: { kind: catChoices(kit, "mediation_team_kind"), unit: [{ value: unit.code, label: unit.name }] } }) : null;
  kit.page(tr("med.teamsHeading"), back(kit),
    teams.length ? el("ul", { class: "records", id: "team-list" }, ...teams.map((t) => el("li", { class: "record" }, el("a", { href: `#/mediation/teams/${t.id}`, class: "record-link" },
      el("strong", { text: t.name }), el("span", { class: "pill", text: t.kind_label }), t.number_prefix ? el("span", { class: "muted", text: t.number_prefix }) : null,
      el("span", { class: "muted", text: `${tr("med.mediators")} ${t.mediators.length}` }))))) : card(null, el("p", { class: "note", text: tr("med.teamNone") })),
    form ? el("details", { class: "card", open: !teams.length }, el("summary", { text: tr("med.newTeam") }), form) : null);
}

async function teamPage(kit, id) {
  const { el, tr, api, card, can } = kit;
  kit.page(tr("med.teamsHeading"), kit.loading());
  const t = await api(`/v1/mediation-teams/${id}`);
  const form = can("mediation:write") ? await kit.opForm("add_mediator", { pathParams: { id }, initial: t, label: `${tr("med.addMediator")} · ${t.name}` }) : null;
  kit.page(`${t.name}（${t.kind_label}）`, el("p", {}, el("a", { href: "#/mediation/teams", text: `← ${tr("med.teamsHeading")}` })),
    card(tr("med.mediators"), t.mediators.length ? el("ul", { class: "plain" }, ...t.mediators.map((m) => el("li", { text: `${m.name}${m.title ? ` · ${m.title}` : ""} · ${m.phone ?? "—"}` })))
      : el("p", { class: "note", text: tr("med.teamNone") })),
    form ? el("details", { class: "card", open: true }, el("summary", { text: tr("med.addMediator") }), form) : null);
}

// -- figures ---------------------------------------------------------------------------------------------
async function figuresPage(kit, params) {
  const { el, tr, api, card, myUnit, table } = kit;
  kit.page(tr("med.figuresHeading"), kit.loading());
  const mine = myUnit();
  const month = today().slice(0, 7);
  const from = /^\d{4}-\d{2}$/.test(params.from || "") ? params.from : `${month.slice(0, 4)}-01`;
  const to = /^\d{4}-\d{2}$/.test(params.to || "") ? params.to : month;
  const [unit, s] = await Promise.all([api(`/v1/units/${mine}`), api(`/v1/units/${mine}/mediation-stats?from=${from}&to=${to}`), catalogue(kit, "mediation_category"), catalogue(kit, "mediation_cause")]);
  const fFrom = el("input", { id: "fig-from", type: "month", value: from });
  const fTo = el("input", { id: "fig-to", type: "month", value: to });
  const filters = el("form", { class: "query-form", onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/mediation/figures?from=${fFrom.value}&to=${fTo.value}`; } },
    field(kit, "fig-from", tr("med.from"), fFrom),
    field(kit, "fig-to", tr("med.to"), fTo),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: tr("med.search") })));
  const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`);
  const stats = [["med.rate", pct(s.resolution_rate)], ["med.fig.registered", s.registered], ["med.fig.closed", s.closed], ["med.fig.resolved", s.resolved],
    ["med.fig.failed", s.failed], ["med.fig.withdrawn", s.withdrawn], ["med.fig.median", s.median_days_to_close ?? "—"], ["med.fig.overdue", s.open_overdue],
    ["med.fig.where", pct(s.closed_where_started_share)]];
  const cats = Object.entries(s.by_category);
  const levels = Object.entries(s.closed_at_level).filter(([, n]) => n > 0);
  const catChart = el("div", { id: "fig-category", class: "chart chart-short", role: "img", "aria-label": tr("med.chartCategory") });
  const levelChart = el("div", { id: "fig-level", class: "chart chart-short", role: "img", "aria-label": tr("med.chartLevel") });
  kit.page(`${tr("med.figuresHeading")} · ${unit.name}`, back(kit), card(null, filters),
    card(`${from} — ${to}`, el("dl", { class: "stats", id: "med-stats" }, ...stats.map(([k, v]) => el("div", {}, el("dt", { text: tr(k) }), el("dd", { text: String(v) }))))),
    cats.length ? card(tr("med.byCategory"), catChart, table([
      { label: tr("med.category"), value: ([c]) => catName(kit, "mediation_category", c) },
      { label: tr("med.fig.registered"), value: ([, f]) => String(f.registered) },
      { label: tr("med.fig.closed"), value: ([, f]) => String(f.closed) },
      { label: tr("med.fig.resolved"), value: ([, f]) => String(f.resolved) }], cats)) : null,
    levels.length ? card(tr("med.byLevel"), levelChart, table([
      { label: tr("med.handling"), value: ([l]) => levelName(kit, l) }, { label: tr("med.fig.closed"), value: ([, n]) => String(n) }], levels)) : null,
    Object.keys(s.by_cause).length ? card(tr("med.byCause"), table([
      { label: tr("med.causes"), value: ([c]) => catName(kit, "mediation_cause", c) }, { label: tr("med.fig.registered"), value: ([, n]) => String(n) }], Object.entries(s.by_cause))) : null);
  const echarts = await import(ECHARTS);
  const draw = (box, option) => { const c = echarts.init(box, null, { renderer: "canvas" }); c.setOption({ animation: false, ...option }); window.addEventListener("resize", () => c.resize(), { once: true }); };
  if (cats.length) {
    const names = cats.map(([c]) => catName(kit, "mediation_category", c));
    draw(catChart, { grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true }, legend: { top: 0 }, tooltip: { renderMode: "richText" },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, fontSize: 13 } }, yAxis: { type: "value", minInterval: 1 },
      series: [["registered", "#767676"], ["closed", "#0b4f94"], ["resolved", "#146c2e"]].map(([k, colour]) => ({ type: "bar", name: tr(`med.fig.${k}`), data: cats.map(([, f]) => f[k]), itemStyle: { color: colour } })) });
  }
  if (levels.length) {
    draw(levelChart, { tooltip: { renderMode: "richText" }, series: [{ type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}\n{c}", fontSize: 14 },
      data: levels.map(([l, n], i) => ({ name: levelName(kit, l), value: n, itemStyle: { color: ["#146c2e", "#0b4f94", "#a4161a"][i % 3] } })) }] });
  }
}

// -- the module ------------------------------------------------------------------------------------------
export function routes(kit0) {
  const kit = guarded(kit0);
  return [
    [/^\/mediation$/, (params) => listPage(kit(), params)],
    [/^\/mediation\/new$/, () => registerPage(kit())],
    [/^\/mediation\/cases\/([\w-]+)$/, (id) => casePage(kit(), id)],
    [/^\/mediation\/teams$/, () => teamsPage(kit())],
    [/^\/mediation\/teams\/([\w-]+)$/, (id) => teamPage(kit(), id)],
    [/^\/mediation\/figures$/, (params) => figuresPage(kit(), params)],
  ];
}

export async function inbox(kit) {
  const mine = kit.myUnit();
  if (!mine || !kit.can("mediation:write")) return [];
  await catalogue(kit, "mediation_category");
  const get = (q) => kit.api(`/v1/units/${mine}/mediation-cases?${q}&limit=50`).then((r) => r.items);
  const [overdue, performing, followed, fresh] = await Promise.all([get("overdue=true"), get("status=performing"), get("status=follow_up"), get("status=registered")]);
  const seen = new Set();
  const items = [];
  const add = (c, rank, key, extra = {}) => {
    if (seen.has(c.id)) return;
    seen.add(c.id);
    items.push({ rank, due: c.due_on, href: `#/mediation/cases/${c.id}`, badge: extra.badge || kit.tr("med.badge"), badgeCls: extra.badgeCls || "warn", cls: extra.cls || "",
      text: ` ${kit.tr(key, { number: c.number, category: catName(kit, "mediation_category", c.category), due: c.due_on })}` });
  };
  for (const c of overdue) add(c, 1, "med.inboxOverdue", { badge: kit.tr("home.overdue"), badgeCls: "bad", cls: "bad" });
  for (const c of performing) add(c, 4, "med.inboxFollowUp");
  for (const c of followed) add(c, 5, "med.inboxClose");
  for (const c of fresh) add(c, 5, "med.inboxNew");
  return items;
}

export function quick(kit) {
  if (!kit.myUnit() || !kit.can("mediation:write")) return [];
  return [kit.linkButton("#/mediation/new", kit.tr("med.register"))];
}

export function nav(kit) {
  return kit.myUnit() && kit.can("mediation:read") ? [["#/mediation", "med.nav"]] : [];
}
