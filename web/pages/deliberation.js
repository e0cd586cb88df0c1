// 民情三会 (deliberation): concerns, the three meetings (sign-in, answers, grading and assignments, the town's
// decisions), minutes with confirmations, the timeline, the responsibility list and 四议两公开 votes with the
// quorum shown live. Uses only the API (chalicelib/deliberation/routes.py).
import { addDays, beijingDay } from "../dates.js";
import { actionForm as baseForm, field, post } from "./common.js";

const T = {
  "dlb.nav": ["民情三会", "Deliberation"],
  "dlb.heading": ["民情三会", "Deliberation (民情三会)"],
  "dlb.concerns": ["群众诉求", "Concerns"],
  "dlb.noConcerns": ["暂无诉求", "No concerns yet"],
  "dlb.deliberations": ["议事", "Deliberations"],
  "dlb.noDeliberations": ["暂无议事", "No deliberations yet"],
  "dlb.items": ["责任清单", "Responsibility list"],
  "dlb.noItems": ["责任清单为空", "The responsibility list is empty"],
  "dlb.logConcern": ["登记诉求", "Log a concern"],
  "dlb.start": ["召开屋场恳谈会", "Convene a courtyard meeting"],
  "dlb.decision": ["四议两公开", "Village decision (四议两公开)"],
  "dlb.proposeDecision": ["提议村级决策事项", "Propose a village decision"],
  "dlb.openDecision": ["查看决策事项（编号）", "Open a decision (its id)"],
  "dlb.open": ["打开", "Open"],
  "dlb.title": ["议题", "Title"],
  "dlb.date": ["召开日期", "Date"],
  "dlb.place": ["地点（屋场）", "Place (courtyard)"],
  "dlb.pickConcerns": ["纳入议事的诉求（待处理）", "Concerns taken up (open ones)"],
  "dlb.noOpen": ["本单元没有待处理的诉求：请先登记诉求。", "No open concern in this unit: log one first."],
  "dlb.startButton": ["发起议事", "Start the deliberation"],
  "dlb.stage": ["当前环节", "Current stage"],
  "dlb.meeting": ["本次会议", "This meeting"],
  "dlb.signin": ["签到", "Sign-in"],
  "dlb.attendees": ["已签到 {n} 人", "{n} signed in"],
  "dlb.kind": ["身份", "Who"],
  "dlb.name": ["姓名", "Name"],
  "dlb.ref": ["住户或党员编号", "Household or member id"],
  "dlb.household": ["住户", "Household"],
  "dlb.signButton": ["签到", "Sign in"],
  "dlb.answers": ["逐项答复或提交民情分析会", "Answer or forward each concern"],
  "dlb.answered": ["当场答复", "Answer on the spot"],
  "dlb.forwarded": ["提交民情分析会", "Forward to the analysis meeting"],
  "dlb.answerText": ["答复内容", "Answer"],
  "dlb.saveOutcomes": ["登记处理结果", "Record the outcomes"],
  "dlb.grades": ["分级并列入责任清单或报镇", "Grade, assign or send to the town"],
  "dlb.grade": ["分级", "Grade"],
  "dlb.action": ["处理", "Action"],
  "dlb.assign": ["列入责任清单", "Assign (responsibility list)"],
  "dlb.town": ["提交镇研判", "Send to the town"],
  "dlb.task": ["责任事项", "Task"],
  "dlb.lead": ["牵头单位", "Lead unit"],
  "dlb.deadline": ["完成时限", "Deadline"],
  "dlb.saveGrades": ["登记分级", "Record the grades"],
  "dlb.decisions": ["一事一策", "One decision per matter"],
  "dlb.decisionText": ["研判意见", "Decision"],
  "dlb.leadDept": ["牵头部门", "Lead department"],
  "dlb.whistleDept": ["吹哨部门（可空）", "Whistle a department (optional)"],
  "dlb.saveDecisions": ["登记研判结果", "Record the decisions"],
  "dlb.done": ["已处理", "Done"],
  "dlb.minutes": ["会议纪要", "Minutes"],
  "dlb.minutesText": ["纪要内容", "Text of the minutes"],
  "dlb.draft": ["保存纪要", "Save the minutes"],
  "dlb.confirm": ["我确认纪要", "I confirm the minutes"],
  "dlb.freeze": ["纪要定稿，进入下一环节", "Freeze the minutes and move on"],
  "dlb.confirmedBy": ["已确认：{n} 人", "Confirmed by {n}"],
  "dlb.frozen": ["已定稿 · 哈希 {hash}", "Frozen · hash {hash}"],
  "dlb.noMinutes": ["尚无纪要", "No minutes yet"],
  "dlb.earlier": ["此前的会议", "Earlier meetings"],
  "dlb.timeline": ["时间线", "Timeline"],
  "dlb.lapses": ["超期督办", "Lapses (supervised)"],
  "dlb.closed": ["本次议事已办结", "This deliberation is closed"],
  "dlb.analysis": ["民情分析会", "Analysis meeting"],
  "dlb.waitingAnalysis": ["提交的诉求等待村里召开本月民情分析会（汇入各屋场恳谈会提交的诉求）。", "The forwarded concerns wait for the village's monthly analysis meeting (it takes those of every courtyard meeting)."],
  "dlb.toAnalysis": ["查看汇入的民情分析会", "Open the analysis meeting that took them up"],
  "dlb.convene": ["召开本月民情分析会", "Convene this month's analysis meeting"],
  "dlb.analysisTitle": ["{month} 民情分析会", "Analysis meeting {month}"],
  "dlb.inboxAnalysis": ["待召开：{title}（民情分析会）", "To hold: {title} (analysis meeting)"],
  "dlb.notMine": ["本环节由{level}级主持，您可查看。", "This stage is run at {level} level; you may look."],
  "dlb.item": ["责任事项", "Responsibility item"],
  "dlb.progress": ["接单、报进展、办完", "Accept, progress, done"],
  "dlb.close": ["回访销号", "Follow-up and closure"],
  "dlb.overdue": ["逾期", "Overdue"],
  "dlb.dueSoon": ["将到期", "Due soon"],
  "dlb.inboxHold": ["待召开：{title}（{stage}）", "To hold: {title} ({stage})"],
  "dlb.inboxConfirm": ["待确认纪要：{title}", "Minutes to confirm: {title}"],
  "dlb.inboxItem": ["责任事项：{task}（{deadline}）", "Responsibility item: {task} ({deadline})"],
  "dlb.votes": ["表决（到会≥2/3，赞成>1/2）", "Votes (present ≥ 2/3, in favour > 1/2)"],
  "dlb.vote": ["登记表决", "Record the vote"],
  "dlb.meetingKind": ["会议", "Meeting"],
  "dlb.party": ["党员大会", "Party members' meeting"],
  "dlb.villagers": ["村民（代表）会议", "Villagers' (representatives') meeting"],
  "dlb.entitled": ["应到人数", "Entitled"],
  "dlb.entitledRoll": ["应到人数（党员大会按名册计，留空）", "Entitled (the party roll counts; leave empty)"],
  "dlb.present": ["实到人数", "Present"],
  "dlb.inFavour": ["赞成", "In favour"],
  "dlb.against": ["反对", "Against"],
  "dlb.abstain": ["弃权", "Abstain"],
  "dlb.heldOn": ["会议日期", "Held on"],
  "dlb.quorumLive": ["到会 {present}/{entitled}（须≥{need}）：{q}；赞成 {yes}（须>{half}）：{a}", "Present {present}/{entitled} (needs ≥ {need}): {q}; in favour {yes} (needs > {half}): {a}"],
  "dlb.quorumOk": ["达到法定人数", "quorum met"],
  "dlb.quorumNo": ["未达法定人数", "no quorum"],
  "dlb.adopted": ["通过", "adopted"],
  "dlb.notAdopted": ["不通过", "not adopted"],
  "dlb.unknown": ["待填", "to fill"],
  "dlb.nextStep": ["下一步", "Next step"],
  "dlb.consultation": ["村两委商议", "Consultation"],
  "dlb.objection": ["登记异议", "Record an objection"],
  "dlb.objections": ["公示期异议及答复", "Objections and replies"],
  "dlb.noObjections": ["公示期内无异议", "No objection during the notice"],
  "dlb.openObjections": ["还有 {n} 条异议未答复：全部答复后方可组织实施", "{n} objection(s) without a reply: answer each before implementation"],
  "dlb.unanswered": ["待答复", "No reply yet"],
  "dlb.reply": ["答复", "Reply"],
  "dlb.replyText": ["答复内容", "Reply"],
  "dlb.saved": ["已保存", "Saved"],
  "dlb.none": ["无", "None"],
  "dlb.masked": ["反映人", "Raised by"],
  "dlb.g.urgent": ["紧急", "Urgent"],
  "dlb.g.important": ["重要", "Important"],
  "dlb.g.routine": ["常态", "Routine"],
  "dlb.k.resident": ["群众", "Resident"],
  "dlb.k.household": ["住户", "Household"],
  "dlb.k.grid_head": ["三长", "Grid head (三长)"],
  "dlb.k.member": ["党员", "Party member"],
  "dlb.k.cadre": ["干部", "Cadre"],
  "dlb.k.department": ["部门", "Department"],
};
const LEVELS = { group: ["组", "group"], village: ["村", "village"], town: ["镇", "town"] };
const STAGE_LEVEL = { courtyard_meeting: "group", analysis_meeting: "village", town_review: "town" };
const DEPTH = { city: 1, town: 2, village: 3, area: 4, group: 5, neighbourhood: 6 };

export const strings = {
  "zh-CN": Object.fromEntries(Object.entries(T).map(([k, [zh]]) => [k, zh])),
  en: Object.fromEntries(Object.entries(T).map(([k, [, en]]) => [k, en])),
};

// -- helpers -------------------------------------------------------------------------------------------
const pathOf = (code) => code.replaceAll("-", "/");
/** May the signed-in user run the meeting of `stage` (its level or above, inside their scope)? */
function runsStage(kit, d, stage) {
  const me = kit.me();
  if (!me || me.scope?.kind !== "unit") return false;
  const level = STAGE_LEVEL[stage];
  if (!level) return false;
  const depth = me.scope.path.split("/").length;
  return depth <= DEPTH[level] && kit.inScope(d.unit_path);
}
const currentMeeting = (d) => d.meetings.find((m) => m.stage === d.stage) || null;
const pill = (kit, text, cls = "") => kit.el("span", { class: `pill ${cls}`, text });
const statusCls = (s) => (["closed", "answered", "done"].includes(s) ? "good" : ["open", "registered"].includes(s) ? "warn" : "");

/** A form of this page (common.js), whose success says 已保存. */
const actionForm = (kit, opts) => baseForm(kit, { saved: "dlb.saved", ...opts });

// -- the hub: concerns, deliberations, items -----------------------------------------------------------
async function hubPage(kit, params) {
  const code = params.unit || kit.myUnit();
  if (!code) { kit.page(kit.tr("dlb.heading"), kit.el("p", { class: "note", text: kit.tr("error.forbidden") })); return; }
  kit.page(kit.tr("dlb.heading"), kit.loading());
  const [concerns, delibs, items] = await Promise.all([
    kit.api(`/v1/units/${code}/concerns?limit=100`),
    kit.api(`/v1/units/${code}/deliberations?limit=100`),
    kit.can("responsibility:read") ? kit.api(`/v1/units/${code}/responsibility-items?limit=100`) : { items: [] },
  ]);
  const quick = kit.el("div", { class: "quick" });
  if (kit.can("concerns:write")) quick.append(kit.linkButton(`#/deliberation/concern?unit=${code}`, kit.tr("dlb.logConcern"), "button primary"));
  if (kit.can("deliberations:convene")) quick.append(kit.linkButton(`#/deliberation/new?unit=${code}`, kit.tr("dlb.start"), "button"));
  if (kit.can("village_decisions:write")) quick.append(kit.linkButton(`#/deliberation/decision?unit=${code}`, kit.tr("dlb.proposeDecision"), "button"));
  const openForm = kit.el("form", { class: "inline dlb-open", onsubmit: (e) => {
    e.preventDefault();
    const v = new FormData(e.target).get("decision");
    if (v) location.hash = `#/village-decisions/${encodeURIComponent(v.trim())}`;
  } }, kit.el("label", { for: "dlb-decision-id", text: kit.tr("dlb.openDecision") }),
  kit.el("div", { class: "row-input" }, kit.el("input", { id: "dlb-decision-id", name: "decision", required: true }),
    kit.el("button", { type: "submit", class: "secondary", text: kit.tr("dlb.open") })));
  kit.page(kit.tr("dlb.heading"),
    kit.card(null, quick),
    kit.card(kit.tr("dlb.deliberations"), delibs.items.length ? kit.el("ul", { class: "records dlb-list" }, ...delibs.items.map((d) =>
      kit.el("li", {}, kit.el("a", { class: "record-link", href: `#/deliberations/${d.id}` },
        pill(kit, d.stage_label, d.stage === "closed" ? "good" : "warn"), kit.el("strong", { text: d.title }),
        kit.el("span", { class: "muted", text: `${d.convened_on} · ${d.place} · ${d.concerns.length}` }))))) :
      kit.el("p", { class: "note", text: kit.tr("dlb.noDeliberations") })),
    kit.card(kit.tr("dlb.concerns"), concerns.items.length ? kit.el("ul", { class: "records concerns" }, ...concerns.items.map((c) =>
      kit.el("li", { class: "record" }, pill(kit, c.status_label, statusCls(c.status)), kit.el("span", { text: c.text }),
        kit.el("p", { class: "muted", text: [c.category, c.raised_by, c.created_at.slice(0, 10)].filter(Boolean).join(" · ") }),
        c.deliberation ? kit.el("a", { href: `#/deliberations/${c.deliberation}`, text: `→ ${kit.tr("dlb.deliberations")}` }) : null))) :
      kit.el("p", { class: "note", text: kit.tr("dlb.noConcerns") })),
    kit.card(kit.tr("dlb.items"), items.items.length ? kit.table([
      { label: kit.tr("dlb.task"), value: (i) => kit.el("a", { href: `#/responsibility-items/${i.id}`, text: i.task }) },
      { label: kit.tr("dlb.deadline"), value: (i) => i.deadline },
      { label: kit.tr("dlb.stage"), value: (i) => kit.el("span", {}, pill(kit, i.status_label, statusCls(i.status)), i.overdue ? pill(kit, kit.tr("dlb.overdue"), "bad") : null) },
    ], items.items) : kit.el("p", { class: "note", text: kit.tr("dlb.noItems") })),
    kit.can("village_decisions:read") ? kit.card(kit.tr("dlb.decision"), openForm) : null);
}

async function concernPage(kit, params) {
  const form = await kit.opForm("create_concern", { values: { unit: params.unit || kit.myUnit() },
    onDone: () => { location.hash = `#/deliberation?unit=${params.unit || kit.myUnit()}`; } });
  kit.page(kit.tr("dlb.logConcern"), kit.card(null, form));
}

/** 提议: the generated form, the village prefilled; once proposed, the decision's own page (its id is the only way
 * back to it). */
async function proposePage(kit, params) {
  const form = await kit.opForm("propose_decision", { values: { village: params.unit || kit.myUnit() },
    onDone: (d) => { location.hash = `#/village-decisions/${d.id}`; } });
  kit.page(kit.tr("dlb.proposeDecision"), kit.card(null, form));
}

async function startPage(kit, params) {
  const code = params.unit || kit.myUnit();
  kit.page(kit.tr("dlb.start"), kit.loading());
  const open = await kit.api(`/v1/units/${code}/concerns?status=open&limit=100`);
  const today = beijingDay();
  const choices = open.items.map((c, n) => kit.el("label", { class: "check" },
    kit.el("input", { type: "checkbox", name: "concerns", value: c.id, id: `dlb-c-${n}`, checked: true }), kit.el("span", { text: c.text })));
  const form = actionForm(kit, { id: "dlb-start", submit: kit.tr("dlb.startButton"), children: [
    field(kit, "dlb-title", kit.tr("dlb.title"), kit.el("input", { id: "dlb-title", name: "title", required: true, maxlength: 60 })),
    field(kit, "dlb-date", kit.tr("dlb.date"), kit.el("input", { id: "dlb-date", name: "convened_on", type: "date", required: true, value: today })),
    field(kit, "dlb-place", kit.tr("dlb.place"), kit.el("input", { id: "dlb-place", name: "place", required: true, maxlength: 60 })),
    kit.el("fieldset", { class: "choices" }, kit.el("legend", { text: kit.tr("dlb.pickConcerns") }), ...choices),
  ], onSubmit: async (data) => {
    const concerns = data.getAll("concerns");
    const d = await post(kit, "/v1/deliberations", { unit: code, title: data.get("title"), convened_on: data.get("convened_on"), place: data.get("place"), concerns });
    history.replaceState(null, "", `#/deliberations/${d.id}`);
  } });
  kit.page(kit.tr("dlb.start"), kit.card(null, open.items.length ? form : kit.el("p", { class: "note", text: kit.tr("dlb.noOpen") })));
}

// -- a deliberation ------------------------------------------------------------------------------------
async function deliberationPage(kit, id) {
  kit.page(kit.tr("dlb.heading"), kit.loading());
  const [d, timeline] = await Promise.all([kit.api(`/v1/deliberations/${id}`), kit.api(`/v1/deliberations/${id}/timeline`)]);
  const concerns = await Promise.all(d.concerns.map((c) => kit.api(`/v1/concerns/${c}`).catch(() => ({ id: c, text: c }))));
  const text = Object.fromEntries(concerns.map((c) => [c.id, c.text]));
  const meeting = currentMeeting(d);
  const mine = runsStage(kit, d, d.stage);
  const lang = kit.lang() === "en" ? 1 : 0;
  const sections = [kit.card(null, kit.el("dl", { class: "stats" },
    kit.el("div", {}, kit.el("dt", { text: kit.tr("dlb.stage") }), kit.el("dd", { class: "dlb-stage", text: d.stage_label })),
    kit.el("div", {}, kit.el("dt", { text: kit.tr("dlb.date") }), kit.el("dd", { text: d.convened_on })),
    kit.el("div", {}, kit.el("dt", { text: kit.tr("dlb.place") }), kit.el("dd", { text: d.place }))),
  d.workflow.lapses.length ? kit.el("p", { class: "bad", text: `${kit.tr("dlb.lapses")}: ${d.workflow.lapses.map((l) => `${l.stage} → ${l.escalated_to}`).join("、")}` }) : null)];
  if (d.stage === "forwarded" || d.stage === "analysed") sections.push(analysisCard(kit, d));
  else if (!meeting) sections.push(kit.card(null, kit.el("p", { class: "good", text: kit.tr("dlb.closed") })));
  else {
    if (!mine) sections.push(kit.el("p", { class: "note", text: kit.tr("dlb.notMine", { level: LEVELS[STAGE_LEVEL[d.stage]]?.[lang] || "" }) }));
    sections.push(signInCard(kit, d, meeting, mine));
    if (d.stage === "courtyard_meeting") sections.push(answersCard(kit, d, meeting, text, mine));
    if (d.stage === "analysis_meeting") sections.push(gradesCard(kit, d, meeting, text, mine));
    if (d.stage === "town_review") sections.push(decisionsCard(kit, d, meeting, text, mine));
    sections.push(minutesCard(kit, d, meeting, mine));
  }
  const earlier = d.meetings.filter((m) => m !== meeting);
  if (earlier.length) {
    sections.push(kit.card(kit.tr("dlb.earlier"), ...earlier.map((m) => kit.el("details", { class: "dlb-earlier" },
      kit.el("summary", { text: `${m.label} · ${kit.tr("dlb.attendees", { n: m.attendees.length })}` }),
      outcomesList(kit, m, text), kit.el("p", { class: "muted", text: m.minutes.text || kit.tr("dlb.noMinutes") })))));
  }
  sections.push(kit.card(kit.tr("dlb.timeline"), kit.el("ol", { class: "timeline" }, ...timeline.items.map((e) =>
    kit.el("li", {}, kit.el("time", { datetime: e.at, text: e.at.replace("T", " ").slice(0, 16) }), " ", kit.el("span", { text: e.label }),
      e.by_role ? kit.el("span", { class: "muted", text: ` · ${kit.tr(`role.${e.by_role}`) === `role.${e.by_role}` ? e.by_role : kit.tr(`role.${e.by_role}`)}` }) : null)))));
  kit.page(`${kit.tr("dlb.heading")} · ${d.title}`, ...sections);
}

function outcomesList(kit, meeting, text) {
  return kit.el("ul", { class: "plain dlb-outcomes" }, ...meeting.outcomes.map((o) => kit.el("li", {},
    kit.el("strong", { text: text[o.concern] || o.concern }), " → ",
    kit.el("span", { text: [o.outcome === "answered" ? kit.tr("dlb.answered") : o.outcome === "forwarded" ? kit.tr("dlb.forwarded") : null,
      o.answer, o.grade ? kit.tr(`dlb.g.${o.grade}`) : null, o.action === "assign" ? kit.tr("dlb.assign") : o.action === "town" ? kit.tr("dlb.town") : null,
      o.decision, o.lead_department].filter(Boolean).join(" · ") }),
    o.item ? kit.el("a", { href: `#/responsibility-items/${o.item}`, text: ` ${kit.tr("dlb.item")} →` }) : null)));
}

function signInCard(kit, d, meeting, mine) {
  const list = kit.el("ul", { class: "chips attendees" }, ...meeting.attendees.map((a) => kit.el("li", { class: "chip", text: `${a.name || a.ref} · ${kit.tr(`dlb.k.${a.kind}`)}` })));
  const kinds = ["resident", "household", "grid_head", "member", "cadre", "department"];
  const kind = kit.el("select", { id: "dlb-kind", name: "kind" }, ...kinds.map((k) => kit.el("option", { value: k, text: kit.tr(`dlb.k.${k}`) })));
  const form = mine && !meeting.minutes.frozen ? actionForm(kit, { id: "dlb-signin", submit: kit.tr("dlb.signButton"), children: [
    field(kit, "dlb-kind", kit.tr("dlb.kind"), kind),
    field(kit, "dlb-name", kit.tr("dlb.name"), kit.el("input", { id: "dlb-name", name: "name", maxlength: 20, autocomplete: "off" })),
    field(kit, "dlb-ref", kit.tr("dlb.ref"), kit.el("input", { id: "dlb-ref", name: "ref", maxlength: 64, autocomplete: "off" })),
  ], onSubmit: async (data) => {
    const k = data.get("kind");
    const attendee = ["household", "member"].includes(k) ? { kind: k, ref: data.get("ref") || null, name: data.get("name") || null } : { kind: k, name: data.get("name") || null };
    await post(kit, `/v1/deliberations/${d.id}/attendance`, { attendees: [attendee] });
  } }) : null;
  return kit.card(`${kit.tr("dlb.signin")} · ${kit.tr("dlb.attendees", { n: meeting.attendees.length })}`, list, form);
}

function answersCard(kit, d, meeting, text, mine) {
  const pending = d.concerns.filter((c) => !meeting.outcomes.some((o) => o.concern === c));
  const rows = pending.map((c, n) => kit.el("fieldset", { class: "dlb-concern" }, kit.el("legend", { text: text[c] }),
    kit.el("label", { class: "check" }, kit.el("input", { type: "radio", name: `outcome-${n}`, value: "answered", id: `dlb-ans-${n}` }), kit.el("span", { text: kit.tr("dlb.answered") })),
    kit.el("label", { class: "check" }, kit.el("input", { type: "radio", name: `outcome-${n}`, value: "forwarded", id: `dlb-fwd-${n}` }), kit.el("span", { text: kit.tr("dlb.forwarded") })),
    field(kit, `dlb-answer-${n}`, kit.tr("dlb.answerText"), kit.el("textarea", { id: `dlb-answer-${n}`, name: `answer-${n}`, rows: 2, maxlength: 500 }))));
  const form = mine && pending.length ? actionForm(kit, { id: "dlb-answers", submit: kit.tr("dlb.saveOutcomes"), children: rows,
    onSubmit: async (data) => {
      const items = pending.map((c, n) => ({ concern: c, outcome: data.get(`outcome-${n}`), answer: data.get(`answer-${n}`) || null })).filter((i) => i.outcome);
      await post(kit, `/v1/deliberations/${d.id}/answers`, { items });
    } }) : null;
  return kit.card(kit.tr("dlb.answers"), outcomesList(kit, meeting, text), form);
}

/** A courtyard meeting's forwarded concerns go to the village's monthly analysis meeting, its own record. */
function analysisCard(kit, d) {
  if (d.analysis) return kit.card(kit.tr("dlb.analysis"), kit.el("p", {}, kit.linkButton(`#/deliberations/${d.analysis}`, kit.tr("dlb.toAnalysis"), "button")));
  const note = kit.el("p", { class: "note", text: kit.tr("dlb.waitingAnalysis") });
  if (!kit.can("deliberations:analyse") || !runsStage(kit, d, "analysis_meeting")) return kit.card(kit.tr("dlb.analysis"), note);
  const today = beijingDay();
  const month = today.slice(0, 7);
  const form = actionForm(kit, { id: "dlb-analysis", submit: kit.tr("dlb.convene"), children: [
    field(kit, "dlb-a-title", kit.tr("dlb.title"), kit.el("input", { id: "dlb-a-title", name: "title", required: true, maxlength: 60, value: kit.tr("dlb.analysisTitle", { month }) })),
    field(kit, "dlb-a-date", kit.tr("dlb.date"), kit.el("input", { id: "dlb-a-date", name: "convened_on", type: "date", required: true, value: today })),
    field(kit, "dlb-a-place", kit.tr("dlb.place"), kit.el("input", { id: "dlb-a-place", name: "place", required: true, maxlength: 60 })),
  ], onSubmit: async (data) => {
    const a = await post(kit, "/v1/analysis-meetings", { village: d.village, month, title: data.get("title"), convened_on: data.get("convened_on"), place: data.get("place") });
    history.replaceState(null, "", `#/deliberations/${a.id}`);
  } });
  return kit.card(kit.tr("dlb.analysis"), note, form);
}

function gradesCard(kit, d, meeting, text, mine) {
  // an analysis record carries the concerns its courtyard meetings forwarded; an older record, its own courtyard's
  const forwarded = d.kind === "analysis" ? d.concerns :
    d.meetings.find((m) => m.stage === "courtyard_meeting")?.outcomes.filter((o) => o.outcome === "forwarded").map((o) => o.concern) || [];
  const pending = forwarded.filter((c) => !meeting.outcomes.some((o) => o.concern === c));
  const village = d.village;
  const rows = pending.map((c, n) => kit.el("fieldset", { class: "dlb-concern" }, kit.el("legend", { text: text[c] }),
    field(kit, `dlb-grade-${n}`, kit.tr("dlb.grade"), kit.el("select", { id: `dlb-grade-${n}`, name: `grade-${n}` }, ...["urgent", "important", "routine"].map((g) => kit.el("option", { value: g, text: kit.tr(`dlb.g.${g}`) })))),
    field(kit, `dlb-action-${n}`, kit.tr("dlb.action"), kit.el("select", { id: `dlb-action-${n}`, name: `action-${n}` },
      kit.el("option", { value: "assign", text: kit.tr("dlb.assign") }), kit.el("option", { value: "town", text: kit.tr("dlb.town") }))),
    field(kit, `dlb-task-${n}`, kit.tr("dlb.task"), kit.el("input", { id: `dlb-task-${n}`, name: `task-${n}`, maxlength: 200 })),
    field(kit, `dlb-lead-${n}`, kit.tr("dlb.lead"), kit.el("input", { id: `dlb-lead-${n}`, name: `lead-${n}`, value: village })),
    field(kit, `dlb-deadline-${n}`, kit.tr("dlb.deadline"), kit.el("input", { id: `dlb-deadline-${n}`, name: `deadline-${n}`, type: "date" }))));
  const form = mine && pending.length ? actionForm(kit, { id: "dlb-grades", submit: kit.tr("dlb.saveGrades"), children: rows,
    onSubmit: async (data) => {
      const items = pending.map((c, n) => {
        const action = data.get(`action-${n}`);
        return action === "assign"
          ? { concern: c, grade: data.get(`grade-${n}`), action, task: data.get(`task-${n}`) || null, lead_unit: data.get(`lead-${n}`) || null, deadline: data.get(`deadline-${n}`) || null }
          : { concern: c, grade: data.get(`grade-${n}`), action };
      });
      await post(kit, `/v1/deliberations/${d.id}/grades`, { items });
    } }) : null;
  return kit.card(kit.tr("dlb.grades"), outcomesList(kit, meeting, text), form);
}

function decisionsCard(kit, d, meeting, text, mine) {
  const sent = d.meetings.find((m) => m.stage === "analysis_meeting")?.outcomes.filter((o) => o.action === "town").map((o) => o.concern) || [];
  const pending = sent.filter((c) => !meeting.outcomes.some((o) => o.concern === c));
  const rows = pending.map((c, n) => kit.el("fieldset", { class: "dlb-concern" }, kit.el("legend", { text: text[c] }),
    field(kit, `dlb-dec-${n}`, kit.tr("dlb.decisionText"), kit.el("textarea", { id: `dlb-dec-${n}`, name: `decision-${n}`, rows: 2, required: true, maxlength: 1000 })),
    field(kit, `dlb-dept-${n}`, kit.tr("dlb.leadDept"), kit.el("input", { id: `dlb-dept-${n}`, name: `dept-${n}`, maxlength: 40 })),
    field(kit, `dlb-wh-${n}`, kit.tr("dlb.whistleDept"), kit.el("input", { id: `dlb-wh-${n}`, name: `whistle-${n}`, maxlength: 40 }))));
  const form = mine && pending.length ? actionForm(kit, { id: "dlb-decisions", submit: kit.tr("dlb.saveDecisions"), children: rows,
    onSubmit: async (data) => {
      const items = pending.map((c, n) => ({ concern: c, decision: data.get(`decision-${n}`), lead_department: data.get(`dept-${n}`) || null,
        whistle: data.get(`whistle-${n}`) ? { department: data.get(`whistle-${n}`), kind: "routine" } : null }));
      await post(kit, `/v1/deliberations/${d.id}/decisions`, { items });
    } }) : null;
  return kit.card(kit.tr("dlb.decisions"), outcomesList(kit, meeting, text), form);
}

function minutesCard(kit, d, meeting, mine) {
  const m = meeting.minutes;
  const me = kit.me();
  const confirmed = m.confirmed_by.includes(me?.sub);
  const parts = [m.text ? kit.el("p", { class: "dlb-minutes-text", text: m.text }) : kit.el("p", { class: "note", text: kit.tr("dlb.noMinutes") }),
    kit.el("p", { class: "muted dlb-confirmed", text: kit.tr("dlb.confirmedBy", { n: m.confirmed_by.length }) })];
  if (m.frozen) parts.push(kit.el("p", { class: "good", text: kit.tr("dlb.frozen", { hash: (m.hash || "").slice(0, 12) }) }));
  if (!m.frozen && mine) {
    parts.push(actionForm(kit, { id: "dlb-minutes", submit: kit.tr("dlb.draft"), cls: "secondary", children: [
      field(kit, "dlb-minutes-text", kit.tr("dlb.minutesText"), kit.el("textarea", { id: "dlb-minutes-text", name: "text", rows: 4, required: true, maxlength: 5000, text: m.text || "" }))],
    onSubmit: (data) => post(kit, `/v1/deliberations/${d.id}/minutes`, { text: data.get("text") }) }));
  }
  const actions = kit.el("div", { class: "actions" });
  if (!m.frozen && m.text && kit.can("deliberations:confirm") && !confirmed) {
    actions.append(kit.el("button", { type: "button", id: "dlb-confirm", class: "primary", text: kit.tr("dlb.confirm"), onclick: (e) => act(kit, e.target, () => post(kit, `/v1/deliberations/${d.id}/minutes/confirm`)) }));
  }
  if (!m.frozen && m.text && mine) {
    actions.append(kit.el("button", { type: "button", id: "dlb-freeze", class: "secondary", text: kit.tr("dlb.freeze"), onclick: (e) => act(kit, e.target, () => post(kit, `/v1/deliberations/${d.id}/minutes/freeze`)) }));
  }
  return kit.card(kit.tr("dlb.minutes"), ...parts, actions.children.length ? actions : null);
}

async function act(kit, button, call) {
  button.disabled = true;
  try { await call(); kit.toast(kit.tr("dlb.saved")); await kit.route(); } catch (err) { kit.showError(err); button.disabled = false; }
}

// -- responsibility item -------------------------------------------------------------------------------
async function itemPage(kit, id) {
  const item = await kit.api(`/v1/responsibility-items/${id}`);
  const sections = [kit.card(null, kit.renderValue({ task: item.task, status_label: item.status_label, deadline: item.deadline, lead_unit: item.lead_unit, responsible_units: item.responsible_units, accepted_by: item.accepted_by, satisfaction: item.satisfaction }),
    item.overdue ? pill(kit, kit.tr("dlb.overdue"), "bad") : null,
    kit.el("p", {}, kit.el("a", { href: `#/deliberations/${item.deliberation}`, text: `→ ${kit.tr("dlb.deliberations")}` })))];
  if (item.progress.length) sections.push(kit.card(kit.tr("dlb.progress"), kit.el("ul", {}, ...item.progress.map((p) => kit.el("li", { text: Object.values(p).filter((v) => v !== null && typeof v !== "object").join(" · ") })))));
  if (kit.can("responsibility:write") && item.status !== "closed") {
    if (item.status !== "done") sections.push(kit.card(kit.tr("dlb.progress"), await kit.opForm("item_progress", { pathParams: { id } })));
    else sections.push(kit.card(kit.tr("dlb.close"), await kit.opForm("close_item", { pathParams: { id } })));
  }
  kit.page(`${kit.tr("dlb.item")} · ${item.task}`, ...sections);
}

// -- 四议两公开 ------------------------------------------------------------------------------------------
/** The quorum and majority of a vote, exact (2/3 present, more than 1/2 of those present in favour). */
export function tally(entitled, present, inFavour) {
  const quorum = entitled > 0 && present * 3 >= entitled * 2;
  return { quorum, adopted: quorum && inFavour * 2 > present, need: Math.ceil((entitled * 2) / 3), half: present / 2 };
}

async function decisionPage(kit, id) {
  const v = await kit.api(`/v1/village-decisions/${id}`);
  const sections = [kit.card(null, kit.el("p", {}, pill(kit, v.stage_label, v.stage === "done" ? "good" : v.stage === "rejected" ? "bad" : "warn")),
    kit.el("p", { text: v.proposal }), kit.el("p", { class: "muted", text: `${v.branch} · ${v.village}` }),
    v.consultation ? kit.el("p", { text: `${kit.tr("dlb.consultation")}：${v.consultation}` }) : null)];
  if (v.votes.length) {
    sections.push(kit.card(kit.tr("dlb.votes"), kit.table([
      { label: kit.tr("dlb.meetingKind"), value: (x) => (x.meeting === "party_meeting" ? kit.tr("dlb.party") : kit.tr("dlb.villagers")) },
      { label: kit.tr("dlb.present"), value: (x) => `${x.present}/${x.entitled}` },
      { label: kit.tr("dlb.inFavour"), value: (x) => String(x.in_favour) },
      { label: kit.tr("dlb.stage"), value: (x) => pill(kit, x.adopted ? kit.tr("dlb.adopted") : x.quorum_met ? kit.tr("dlb.notAdopted") : kit.tr("dlb.quorumNo"), x.adopted ? "good" : "bad") },
    ], v.votes)));
  }
  const can = kit.can("village_decisions:write");
  const step = { consultation: "consult_decision", objection_window: "object_decision", implementation: "implement_decision", result_publication: "publish_decision_result" }[v.stage];
  if (can && (v.stage === "party_meeting" || v.stage === "villagers_meeting")) sections.push(voteCard(kit, v));
  if (v.published_at) sections.push(objectionsCard(kit, v));
  // the notice takes objections until objection_until; implementation opens only once it is over and every
  // objection has a reply (the API then says stage "implementation"): no form that can only be refused
  if (can && v.stage === "objection_window") {
    if (Date.parse(v.objection_until) > Date.now()) sections.push(kit.card(kit.tr("dlb.objection"), await kit.opForm("object_decision", { pathParams: { id } })));
  } else if (can && step) sections.push(kit.card(kit.tr("dlb.nextStep"), await kit.opForm(step, { pathParams: { id } })));
  sections.push(kit.card(kit.tr("dlb.timeline"), kit.el("ol", { class: "timeline" }, ...v.timeline.map((e) =>
    kit.el("li", {}, kit.el("time", { datetime: e.at, text: e.at.replace("T", " ").slice(0, 16) }), " ", kit.el("span", { text: e.label }))))));
  kit.page(`${kit.tr("dlb.decision")} · ${v.title}`, ...sections);
}

/** 公示期异议: each objection (objector masked) with its replies; the cadre holding the decision replies to each
 * (If-Match with the version shown). */
function objectionsCard(kit, v) {
  const holder = kit.can("village_decisions:write") && kit.inScope(v.village_path);
  const replyForm = (o) => actionForm(kit, {
    id: `dlb-reply-${o.n}-form`,
    submit: kit.tr("dlb.reply"),
    cls: o.replies.length ? "secondary" : "primary",
    children: [field(kit, `dlb-reply-${o.n}`, `${kit.tr("dlb.replyText")} #${o.n}`,
      kit.el("textarea", { id: `dlb-reply-${o.n}`, name: "text", rows: 2, required: true, maxlength: 1000 }))],
    onSubmit: (data) => post(kit, `/v1/village-decisions/${v.id}/objections/${o.n}/replies`, { text: data.get("text") }, v.version),
  });
  const items = v.objections.map((o) => kit.el("li", { class: "dlb-objection", id: `dlb-objection-${o.n}` },
    kit.el("p", {}, kit.el("strong", { text: `#${o.n} ` }), kit.el("span", { text: o.text }), " ",
      o.replies.length ? null : kit.el("span", { class: "pill warn", text: kit.tr("dlb.unanswered") })),
    kit.el("p", { class: "muted", text: [o.raised_by, (o.at || "").slice(0, 10)].filter(Boolean).join(" · ") }),
    ...o.replies.map((r) => kit.el("p", { class: "dlb-reply", text: `${kit.tr("dlb.reply")}（${r.by || r.by_role} · ${r.at.slice(0, 10)}）：${r.text}` })),
    holder ? replyForm(o) : null));
  const open = v.open_objections || [];
  return kit.card(kit.tr("dlb.objections"),
    open.length ? kit.el("p", { class: "warn", role: "status", text: kit.tr("dlb.openObjections", { n: open.length }) }) : null,
    items.length ? kit.el("ol", { class: "dlb-objections" }, ...items) : kit.el("p", { class: "note", text: kit.tr("dlb.noObjections") }));
}

function voteCard(kit, v) {
  const party = v.stage === "party_meeting";
  const num = (id, name, label, extra = {}) => field(kit, id, label, kit.el("input", { id, name, type: "number", min: 0, inputmode: "numeric", ...extra }));
  const live = kit.el("p", { id: "dlb-quorum", class: "dlb-quorum", "aria-live": "polite" });
  const form = actionForm(kit, { id: "dlb-vote", submit: kit.tr("dlb.vote"), children: [
    kit.el("p", { class: "note", text: party ? kit.tr("dlb.party") : kit.tr("dlb.villagers") }),
    party ? null : num("dlb-entitled", "entitled", kit.tr("dlb.entitled"), { required: true, min: 1 }),
    num("dlb-present", "present", kit.tr("dlb.present"), { required: true }),
    num("dlb-yes", "in_favour", kit.tr("dlb.inFavour"), { required: true }),
    num("dlb-no", "against", kit.tr("dlb.against"), { value: "0" }),
    num("dlb-abstain", "abstain", kit.tr("dlb.abstain"), { value: "0" }),
    field(kit, "dlb-held", kit.tr("dlb.heldOn"), kit.el("input", { id: "dlb-held", name: "held_on", type: "date", required: true, value: beijingDay() })),
    live,
  ].filter(Boolean), onSubmit: (data) => post(kit, `/v1/village-decisions/${v.id}/votes`, {
    meeting: v.stage, entitled: party ? null : Number(data.get("entitled")), present: Number(data.get("present")),
    in_favour: Number(data.get("in_favour")), against: Number(data.get("against") || 0), abstain: Number(data.get("abstain") || 0), held_on: data.get("held_on") }, v.version) });
  const update = () => {
    const data = new FormData(form);
    const entitled = party ? null : Number(data.get("entitled") || 0);
    const present = Number(data.get("present") || 0);
    const yes = Number(data.get("in_favour") || 0);
    if (party) { // the roll gives the entitled count: only the majority can be shown before the answer
      live.textContent = `${kit.tr("dlb.inFavour")} ${yes} / ${present}: ${present && yes * 2 > present ? kit.tr("dlb.adopted") : kit.tr("dlb.notAdopted")} (${kit.tr("dlb.entitledRoll")})`;
      return;
    }
    const r = tally(entitled, present, yes);
    live.className = `dlb-quorum ${r.adopted ? "good" : "bad"}`;
    live.textContent = kit.tr("dlb.quorumLive", { present, entitled, need: r.need, q: kit.tr(r.quorum ? "dlb.quorumOk" : "dlb.quorumNo"), yes, half: r.half, a: kit.tr(r.adopted ? "dlb.adopted" : "dlb.notAdopted") });
  };
  form.addEventListener("input", update);
  update();
  return kit.card(kit.tr("dlb.votes"), form);
}

// -- module interface ----------------------------------------------------------------------------------
export function routes(kit) {
  return [
    [/^\/deliberation$/, (params) => hubPage(kit, params)],
    [/^\/deliberation\/concern$/, (params) => concernPage(kit, params)],
    [/^\/deliberation\/new$/, (params) => startPage(kit, params)],
    [/^\/deliberation\/decision$/, (params) => proposePage(kit, params)],
    [/^\/deliberations\/([\w-]+)$/, (id) => deliberationPage(kit, id)],
    [/^\/responsibility-items\/([\w-]+)$/, (id) => itemPage(kit, id)],
    [/^\/village-decisions\/([\w-]+)$/, (id) => decisionPage(kit, id)],
  ];
}

export function nav(kit) {
  return kit.myUnit() && kit.can("deliberations:read") ? [["#/deliberation", "dlb.nav"]] : [];
}

export function quick(kit) {
  return kit.myUnit() && kit.can("concerns:write") ? [kit.linkButton(`#/deliberation/concern?unit=${kit.myUnit()}`, kit.tr("dlb.logConcern"))] : [];
}

export async function inbox(kit) {
  const code = kit.myUnit();
  if (!code || !kit.can("deliberations:read")) return [];
  const out = [];
  const me = kit.me();
  const [delibs, items] = await Promise.all([
    kit.api(`/v1/units/${code}/deliberations?limit=100`),
    kit.can("responsibility:read") ? kit.api(`/v1/units/${code}/responsibility-items?limit=100`) : { items: [] },
  ]);
  for (const d of delibs.items) {
    const m = currentMeeting(d);
    if (!m) {
      if (d.stage === "forwarded" && !d.analysis && kit.can("deliberations:analyse") && runsStage(kit, d, "analysis_meeting")) {
        out.push({ rank: 2, due: d.created_at, href: `#/deliberations/${d.id}`, cls: "warn", text: kit.tr("dlb.inboxAnalysis", { title: d.title }) });
      }
      continue;
    }
    const lapsed = d.workflow.lapses.some((l) => l.stage === d.stage);
    if (m.minutes.text && !m.minutes.frozen && kit.can("deliberations:confirm") && !m.minutes.confirmed_by.includes(me.sub)) {
      out.push({ rank: 5, href: `#/deliberations/${d.id}`, text: kit.tr("dlb.inboxConfirm", { title: d.title }), cls: "" });
    } else if (runsStage(kit, d, d.stage) && kit.can("deliberations:convene")) {
      out.push({ rank: lapsed ? 1 : 2, due: d.workflow.waiting_since || "", href: `#/deliberations/${d.id}`, cls: lapsed ? "bad" : "warn",
        badge: lapsed ? kit.tr("dlb.overdue") : null, badgeCls: "bad", text: ` ${kit.tr("dlb.inboxHold", { title: d.title, stage: d.stage_label })}` });
    }
  }
  const soon = addDays(beijingDay(), 7);
  for (const i of items.items) {
    if (i.status === "closed" || (!i.overdue && i.deadline > soon)) continue;
    out.push({ rank: i.overdue ? 1 : 4, due: i.deadline, href: `#/responsibility-items/${i.id}`, cls: i.overdue ? "bad" : "",
      badge: kit.tr(i.overdue ? "dlb.overdue" : "dlb.dueSoon"), badgeCls: i.overdue ? "bad" : "warn", text: ` ${kit.tr("dlb.inboxItem", { task: i.task, deadline: i.deadline })}` });
  }
  return out;
}
