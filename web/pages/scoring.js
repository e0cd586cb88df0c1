// 三比 scoring pages: claim points with photo evidence, the review queue (党小组初评 → 支部初定), the public
// notice with objections, leaderboards and tier charts, and a member's score explained entry by entry.
// Only the public API is used (chalicelib/scoring/routes.py).
import { newKey } from "../api.js";
import { showFieldErrors } from "../form.js";
import { resizeImage } from "../image.js";
import { beijingDay, beijingYear } from "../dates.js";
import { field } from "./common.js";

const ECHARTS = "../node_modules/echarts/dist/echarts.esm.min.js";
const DIMENSIONS = ["dedication", "responsibility", "achievement"];
const TIER_COLOURS = { excellent: "#146c2e", good: "#0b4f94", pass: "#7a4b00", fail: "#a4161a" };

export const strings = {
  "zh-CN": {
    "scoring.nav": "三比积分",
    "scoring.heading": "三比积分",
    "scoring.intro": "比奉献、比担当、比作为：申报 → 党小组初评 → 支部初定 → 公示（可提异议）→ 确认。",
    "scoring.claim": "申报积分",
    "scoring.review": "审核积分",
    "scoring.notice": "公示名单",
    "scoring.board": "排行榜与档次",
    "scoring.myScore": "查看党员积分",
    "scoring.memberPick": "党员",
    "scoring.open": "查看",
    "scoring.waiting": "{n} 条待审核",
    "scoring.claimHeading": "申报积分",
    "scoring.claimIntro": "为本网格党员申报积分。请选择积分项目，填写数量和日期；须佐证的项目请拍照上传（照片在手机上自动压缩）。",
    "scoring.member": "党员",
    "scoring.rule": "积分项目",
    "scoring.ruleTerms": "{points} 分/{unit}，每期上限 {cap} 分",
    "scoring.fixed": "固定 {points} 分",
    "scoring.cap": "每期上限 {cap} 分",
    "scoring.needsPhoto": "须佐证照片",
    "scoring.deduction": "扣分项",
    "scoring.quantity": "数量",
    "scoring.occurredOn": "发生日期",
    "scoring.note": "说明",
    "scoring.photos": "佐证照片",
    "scoring.photoUploading": "正在压缩并上传照片…",
    "scoring.photoDone": "已上传 {n} 张照片",
    "scoring.photoFailed": "照片上传失败，请重试。",
    "scoring.photoCount": "{n} 张佐证照片",
    "scoring.submit": "提交申报",
    "scoring.claimed": "已申报，等待党小组初评。",
    "scoring.noMembers": "本网格暂无党员，请先登记党员。",
    "scoring.required": "必填",
    "scoring.reviewHeading": "积分审核",
    "scoring.groupQueue": "待党小组初评",
    "scoring.branchQueue": "待支部初定",
    "scoring.queueEmpty": "没有待审核的积分。",
    "scoring.approve": "通过",
    "scoring.reject": "驳回",
    "scoring.reason": "理由（驳回必填）",
    "scoring.approved": "已通过。",
    "scoring.rejected": "已驳回。",
    "scoring.objected": "有异议，退回支部",
    "scoring.noticeHeading": "积分公示",
    "scoring.noticeIntro": "公示期内，群众对积分有不同意见，可以提出异议，记录退回支部重新审定。提出人可以不留名。",
    "scoring.noticeEmpty": "目前没有公示中的积分。",
    "scoring.noticeEnds": "公示至 {at}",
    "scoring.noticeOver": "公示期已满",
    "scoring.objection": "提出异议",
    "scoring.objectionReason": "异议理由",
    "scoring.objector": "提出人（可不填）",
    "scoring.objectionSent": "异议已提交，该记录退回支部。",
    "scoring.finalise": "确认积分",
    "scoring.finalised": "积分已确认，计入排行榜。",
    "scoring.print": "打印公示名单",
    "scoring.boardHeading": "排行榜与档次分布",
    "scoring.unit": "单元",
    "scoring.period": "季度",
    "scoring.dimension": "维度",
    "scoring.total": "总分",
    "scoring.show": "查看",
    "scoring.leaderboard": "排行榜",
    "scoring.boardEmpty": "本季度还没有确认的积分。",
    "scoring.rank": "名次",
    "scoring.name": "姓名",
    "scoring.points": "积分",
    "scoring.score": "得分",
    "scoring.tier": "档次",
    "scoring.tiers": "档次分布",
    "scoring.tiersNote": "共 {members} 名党员，{scored} 名有确认积分（其余按基础分计）。",
    "scoring.membersN": "人数",
    "scoring.chartBoard": "排行榜柱状图",
    "scoring.chartTiers": "档次分布图",
    "scoring.cardHeading": "党员积分 · {name}",
    "scoring.year": "年度",
    "scoring.quarter": "季度",
    "scoring.pending": "待确认",
    "scoring.yearScore": "全年得分 {score}（{tier}）",
    "scoring.yearNone": "全年得分：尚无季度",
    "scoring.base": "基础分 {base} 分，加上已确认的积分。",
    "scoring.entries": "积分明细",
    "scoring.entriesNone": "本年度没有积分记录。",
    "scoring.status": "状态",
    "scoring.history": "审批经过",
    "scoring.entryHeading": "积分记录",
    "scoring.rule.v": "{name}（第{v}版）",
    "scoring.inboxReview": "{member}：{rule} {points} 分，待您审核",
    "scoring.inboxObjection": "{member}：{rule} 有异议，待支部处理",
    "scoring.inboxFinal": "{member}：{rule} 公示期满，待确认",
    "scoring.badgeReview": "待审核",
    "scoring.badgeObjection": "异议",
    "scoring.role.group_head": "组长",
    "scoring.role.area_head": "片长",
    "scoring.role.village_cadre": "村干部",
    "scoring.role.town_cadre": "镇干部",
    "scoring.role.city_admin": "市管理员",
    "scoring.role.system": "系统",
    "scoring.role.neighbour_head": "邻长",
    "scoring.dim.dedication": "比奉献",
    "scoring.dim.responsibility": "比担当",
    "scoring.dim.achievement": "比作为",
  },
  en: {
    "scoring.nav": "Points",
    "scoring.heading": "Contribution points (三比)",
    "scoring.intro": "Dedication, responsibility, achievement: claim → party group review → branch decision → public notice (objections) → final.",
    "scoring.claim": "Claim points",
    "scoring.review": "Review claims",
    "scoring.notice": "Public notice",
    "scoring.board": "Leaderboards and tiers",
    "scoring.myScore": "A member's points",
    "scoring.memberPick": "Member",
    "scoring.open": "Open",
    "scoring.waiting": "{n} waiting",
    "scoring.claimHeading": "Claim points",
    "scoring.claimIntro": "Claim points for a member of your grid: pick the item, the quantity and the day; items that need evidence take a photo (resized on the phone).",
    "scoring.member": "Member",
    "scoring.rule": "Scoring item",
    "scoring.ruleTerms": "{points} points per {unit}, cap {cap} a quarter",
    "scoring.fixed": "{points} points once",
    "scoring.cap": "cap {cap} a quarter",
    "scoring.needsPhoto": "photo needed",
    "scoring.deduction": "deduction",
    "scoring.quantity": "Quantity",
    "scoring.occurredOn": "Day of the deed",
    "scoring.note": "Note",
    "scoring.photos": "Evidence photos",
    "scoring.photoUploading": "Resizing and uploading…",
    "scoring.photoDone": "{n} photo(s) uploaded",
    "scoring.photoFailed": "The photo could not be uploaded; try again.",
    "scoring.photoCount": "{n} evidence photo(s)",
    "scoring.submit": "Submit the claim",
    "scoring.claimed": "Claimed; waiting for the party group's review.",
    "scoring.noMembers": "No party members in this unit yet: register one first.",
    "scoring.required": "Required",
    "scoring.reviewHeading": "Review claims",
    "scoring.groupQueue": "Waiting for the party group",
    "scoring.branchQueue": "Waiting for the branch",
    "scoring.queueEmpty": "Nothing to review.",
    "scoring.approve": "Approve",
    "scoring.reject": "Reject",
    "scoring.reason": "Reason (needed to reject)",
    "scoring.approved": "Approved.",
    "scoring.rejected": "Rejected.",
    "scoring.objected": "Objected: back to the branch",
    "scoring.noticeHeading": "Public notice",
    "scoring.noticeIntro": "While an entry is on notice anyone may object; it then goes back to the branch. The objector may stay anonymous.",
    "scoring.noticeEmpty": "Nothing is on public notice now.",
    "scoring.noticeEnds": "on notice until {at}",
    "scoring.noticeOver": "notice over",
    "scoring.objection": "Object",
    "scoring.objectionReason": "Reason for the objection",
    "scoring.objector": "Your name (optional)",
    "scoring.objectionSent": "Objection recorded; the entry goes back to the branch.",
    "scoring.finalise": "Make final",
    "scoring.finalised": "Final: the points count on the leaderboard.",
    "scoring.print": "Print the notice",
    "scoring.boardHeading": "Leaderboards and tiers",
    "scoring.unit": "Unit",
    "scoring.period": "Quarter",
    "scoring.dimension": "Dimension",
    "scoring.total": "Total",
    "scoring.show": "Show",
    "scoring.leaderboard": "Leaderboard",
    "scoring.boardEmpty": "No final points this quarter yet.",
    "scoring.rank": "Rank",
    "scoring.name": "Name",
    "scoring.points": "Points",
    "scoring.score": "Score",
    "scoring.tier": "Tier",
    "scoring.tiers": "Tier distribution",
    "scoring.tiersNote": "{members} members, {scored} with final points (the others stand at the base score).",
    "scoring.membersN": "Members",
    "scoring.chartBoard": "Leaderboard bar chart",
    "scoring.chartTiers": "Tier distribution chart",
    "scoring.cardHeading": "Points · {name}",
    "scoring.year": "Year",
    "scoring.quarter": "Quarter",
    "scoring.pending": "Pending",
    "scoring.yearScore": "Year score {score} ({tier})",
    "scoring.yearNone": "Year score: no quarter yet",
    "scoring.base": "Base {base} points plus final points.",
    "scoring.entries": "Entries",
    "scoring.entriesNone": "No entries this year.",
    "scoring.status": "Status",
    "scoring.history": "Approvals",
    "scoring.entryHeading": "Ledger entry",
    "scoring.rule.v": "{name} (version {v})",
    "scoring.inboxReview": "{member}: {rule}, {points} points, waiting for your review",
    "scoring.inboxObjection": "{member}: objection to {rule}, for the branch",
    "scoring.inboxFinal": "{member}: {rule} notice over, make it final",
    "scoring.badgeReview": "Review",
    "scoring.badgeObjection": "Objection",
    "scoring.role.group_head": "group head",
    "scoring.role.area_head": "area head",
    "scoring.role.village_cadre": "village cadre",
    "scoring.role.town_cadre": "town cadre",
    "scoring.role.city_admin": "city admin",
    "scoring.role.system": "system",
    "scoring.role.neighbour_head": "neighbour head",
    "scoring.dim.dedication": "Dedication",
    "scoring.dim.responsibility": "Responsibility",
    "scoring.dim.achievement": "Achievement",
  },
};

// -- helpers -------------------------------------------------------------------------------------------
const today = () => beijingDay();
export function periodOf(day) {
  const [y, m] = day.split("-").map(Number);
  return `${y}-Q${Math.floor((m - 1) / 3) + 1}`;
}
/** The last `n` quarters, newest first. */
export function recentPeriods(n, from = today()) {
  let [y, q] = periodOf(from).split("-Q").map(Number);
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(`${y}-Q${q}`);
    q -= 1;
    if (q === 0) { q = 4; y -= 1; }
  }
  return out;
}
const ruleName = (kit, r) => (kit.lang() === "en" ? r.rule_name_en || r.name_en : r.rule_name_zh || r.name_zh);
const dimLabel = (kit, d) => (d === "total" ? kit.tr("scoring.total") : kit.tr(`scoring.dim.${d}`));
const roleLabel = (kit, role) => { const s = kit.tr(`scoring.role.${role}`); return s.startsWith("scoring.") ? role : s; };
const select = (kit, id, options, value) => kit.el("select", { id, name: id },
  ...options.map(([v, label]) => kit.el("option", { value: v, text: label, selected: String(v) === String(value ?? "") })));

/** Server field errors placed next to the controls of `scope` (`errFor(path)` finds the paragraph), else null. */
function placeErrors(kit, err, errFor) {
  const fields = err?.body?.error?.fields || [];
  let placed = false;
  for (const f of fields) {
    const p = errFor(f.path);
    if (!p) continue;
    p.hidden = false;
    p.textContent = f.message.split(" / ")[kit.lang() === "en" ? 1 : 0] || f.message;
    placed = true;
  }
  if (!placed) kit.showError(err);
  return placed;
}

async function chart(box, option) {
  const echarts = await import(ECHARTS);
  const c = echarts.getInstanceByDom(box) || echarts.init(box, null, { renderer: "canvas" });
  c.setOption({ animation: false, ...option }, true);
  window.addEventListener("resize", () => c.resize(), { once: true });
  return c;
}

function entryCard(kit, e, ...actions) {
  const { el, tr } = kit;
  const last = e.history[e.history.length - 1];
  const objection = [...e.history].reverse().find((h) => h.status === "objected");
  return el("li", { class: "record score-entry", dataset: { entry: e.id } },
    el("p", { class: "title" }, el("a", { href: `#/scoring/members/${e.member}?year=${e.period.slice(0, 4)}`, text: e.member_name }), " · ",
      el("strong", { text: ruleName(kit, e) }), " ",
      el("span", { class: `pill ${e.points < 0 ? "bad" : "good"}`, text: `${e.points > 0 ? "+" : ""}${e.points}` })),
    el("p", { class: "muted", text: `${e.explanation} · ${e.occurred_on} · ${dimLabel(kit, e.dimension)}` }),
    e.note ? el("p", { text: e.note }) : null,
    e.evidence.length ? el("p", { class: "muted", text: tr("scoring.photoCount", { n: e.evidence.length }) }) : null,
    objection && e.status === "group_reviewed" ? el("p", { class: "bad", text: `${tr("scoring.objected")}：${objection.reason || ""}` }) : null,
    el("p", {}, el("span", { class: "pill", text: e.status_label }), " ",
      e.notice_ends ? el("span", { class: "muted", text: tr("scoring.noticeEnds", { at: e.notice_ends.replace("T", " ").slice(0, 16) }) }) : null,
      last ? el("span", { class: "muted", text: ` · ${roleLabel(kit, last.by_role)} ${last.at.slice(0, 10)}` }) : null),
    el("p", {}, el("a", { href: `#/scoring/entries/${e.id}`, text: tr("common.details") })),
    ...actions);
}

// -- the hub -------------------------------------------------------------------------------------------
async function hubPage(kit) {
  const { el, tr, api, card, linkButton, myUnit, can } = kit;
  const mine = myUnit();
  const quick = el("div", { class: "quick" });
  if (can("scoring:claim")) quick.append(linkButton("#/scoring/claim", tr("scoring.claim"), "button primary"));
  if (can("scoring:group_review") || can("scoring:branch_review")) quick.append(linkButton("#/scoring/review", tr("scoring.review")));
  quick.append(linkButton("#/scoring/notice", tr("scoring.notice")), linkButton("#/scoring/board", tr("scoring.board")));
  const memberBox = el("div", {}, kit.loading());
  kit.page(tr("scoring.heading"), el("p", { class: "note", text: tr("scoring.intro") }), card(null, quick), card(tr("scoring.myScore"), memberBox));
  if (!mine || !can("members:read")) { memberBox.replaceChildren(); return; }
  const page1 = await api(`/v1/units/${mine}/members?limit=200`);
  if (!page1.items.length) { memberBox.replaceChildren(el("p", { class: "note", text: tr("scoring.noMembers") })); return; }
  const pick = select(kit, "score-member", page1.items.map((m) => [m.id, m.name]));
  memberBox.replaceChildren(el("form", { class: "inline", onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/scoring/members/${pick.value}`; } },
    field(kit, "score-member", tr("scoring.memberPick"), pick), el("button", { type: "submit", class: "primary", text: tr("scoring.open") })));
}

// -- claim ---------------------------------------------------------------------------------------------
/** An evidence photo: resized in the browser, then posted straight to storage with the presigned form. */
export async function uploadEvidence(api, file) {
  const { blob } = await resizeImage(file, { maxSide: 1600 });
  const slot = await api("/v1/scoring/evidence", { method: "POST", body: { content_type: blob.type, size: blob.size } });
  const form = new FormData();
  for (const [k, v] of Object.entries(slot.fields)) form.append(k, v);
  form.append("file", blob, "evidence.jpg");
  const res = await fetch(slot.url, { method: "POST", body: form });
  if (!res.ok) throw new Error(`upload ${res.status}`);
  return slot.key;
}

async function claimPage(kit, params) {
  const { el, tr, api, card, myUnit } = kit;
  kit.page(tr("scoring.claimHeading"), kit.loading());
  const mine = myUnit();
  const [members, rules] = await Promise.all([api(`/v1/units/${mine}/members?limit=200`), api(`/v1/units/${mine}/scoring/rules`)]);
  if (!members.items.length) { kit.page(tr("scoring.claimHeading"), card(null, el("p", { text: tr("scoring.noMembers") }))); return; }
  const active = rules.items.filter((r) => r.active);
  const errP = (name) => el("p", { class: "field-error", id: `err-body-${name}`, hidden: true });
  const member = el("select", { id: "f-body-member", name: "member", required: true, "aria-required": "true", "aria-describedby": "err-body-member" },
    el("option", { value: "", text: kit.tr("common.unset") }),
    ...members.items.map((m) => el("option", { value: m.id, text: m.name, selected: params.member === m.id })));
  const rule = el("select", { id: "f-body-rule", name: "rule", required: true, "aria-required": "true", "aria-describedby": "err-body-rule rule-terms" },
    el("option", { value: "", text: kit.tr("common.unset") }),
    ...DIMENSIONS.map((d) => el("optgroup", { label: dimLabel(kit, d) }, ...active.filter((r) => r.dimension === d).map((r) =>
      el("option", { value: r.code, text: `${ruleName(kit, r)} · ${r.mode === "fixed" ? tr("scoring.fixed", { points: r.points }) : `${r.points}/${kit.lang() === "en" ? r.unit_en : r.unit_zh}`}` })))));
  const terms = el("p", { id: "rule-terms", class: "note", "aria-live": "polite" });
  const quantity = el("input", { id: "f-body-quantity", name: "quantity", type: "number", inputmode: "numeric", min: "1", max: "1000", step: "1", value: "1", "aria-describedby": "err-body-quantity" });
  const occurred = el("input", { id: "f-body-occurred_on", name: "occurred_on", type: "date", value: today(), max: today(), required: true, "aria-required": "true", "aria-describedby": "err-body-occurred_on" });
  const note = el("textarea", { id: "f-body-note", name: "note", rows: 2, maxlength: 500, "aria-describedby": "err-body-note" });
  const photo = el("input", { id: "f-body-evidence", type: "file", accept: "image/*", capture: "environment", multiple: true, "aria-describedby": "err-body-evidence photo-status" });
  const photoStatus = el("p", { id: "photo-status", class: "note", "aria-live": "polite" });
  const previews = el("div", { class: "photo-strip" });
  const keys = [];
  const showTerms = () => {
    const r = active.find((x) => x.code === rule.value);
    const u = r ? (kit.lang() === "en" ? r.unit_en : r.unit_zh) : "";
    terms.textContent = r ? [dimLabel(kit, r.dimension), r.mode === "fixed" ? tr("scoring.fixed", { points: r.points }) : tr("scoring.ruleTerms", { points: r.points, unit: u, cap: r.cap }),
      r.mode === "fixed" ? tr("scoring.cap", { cap: r.cap }) : null,
      r.evidence_required ? tr("scoring.needsPhoto") : null, r.negative ? tr("scoring.deduction") : null].filter(Boolean).join(" · ") : "";
    if (r?.mode === "fixed") { quantity.value = "1"; quantity.readOnly = true; } else quantity.readOnly = false;
  };
  rule.addEventListener("change", showTerms);
  photo.addEventListener("change", async () => {
    const files = [...(photo.files || [])];
    if (!files.length) return;
    photoStatus.textContent = tr("scoring.photoUploading");
    submit.disabled = true;
    try {
      for (const f of files) {
        keys.push(await uploadEvidence(api, f));
        previews.append(el("img", { class: "photo-preview", alt: `${tr("scoring.photos")} ${keys.length}`, src: URL.createObjectURL(f) }));
      }
      photoStatus.textContent = tr("scoring.photoDone", { n: keys.length });
    } catch (err) {
      photoStatus.textContent = tr("scoring.photoFailed");
      if (err?.status) kit.showError(err);
    } finally { submit.disabled = false; photo.value = ""; }
  });
  const summary = el("div", { class: "form-summary", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "primary", text: tr("scoring.submit") });
  const result = el("div", { class: "result", "aria-live": "polite" });
  let key = newKey(); // one claim, one key: a retry after a lost answer does not claim twice
  const form = el("form", { class: "api-form claim-form", novalidate: true, dataset: { op: "claim" } }, summary,
    field(kit, "f-body-member", `${tr("scoring.member")} *`, member, null), errP("member"),
    el("div", { class: "field" }, el("label", { for: "f-body-rule", text: `${tr("scoring.rule")} *` }), rule, terms, errP("rule")),
    field(kit, "f-body-quantity", tr("scoring.quantity"), quantity), errP("quantity"),
    field(kit, "f-body-occurred_on", `${tr("scoring.occurredOn")} *`, occurred), errP("occurred_on"),
    el("div", { class: "field" }, el("label", { for: "f-body-evidence", text: tr("scoring.photos") }), photo, photoStatus, previews, errP("evidence")),
    field(kit, "f-body-note", tr("scoring.note"), note), errP("note"),
    el("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    summary.hidden = true;
    const missing = [["member", member], ["rule", rule], ["occurred_on", occurred]].filter(([, c]) => !c.value)
      .map(([n]) => ({ path: `body.${n}`, message: tr("scoring.required") }));
    if (missing.length) { showFieldErrors(form, missing); return; }
    const body = { member: member.value, rule: rule.value, quantity: Number(quantity.value || 1), occurred_on: occurred.value, evidence: [...keys] };
    if (note.value.trim()) body.note = note.value.trim();
    submit.disabled = true;
    try {
      const entry = await api("/v1/scoring/entries", { method: "POST", body, headers: { "Idempotency-Key": key } });
      showFieldErrors(form, []);
      key = newKey();
      kit.toast(tr("scoring.claimed"));
      result.replaceChildren(card(null, el("p", { class: "good", text: tr("scoring.claimed") }), el("ul", { class: "records" }, entryCard(kit, entry))));
      keys.length = 0;
      previews.replaceChildren();
      photoStatus.textContent = "";
      note.value = "";
    } catch (err) {
      const e = err?.body?.error;
      const fields = (e?.fields || []).map((f) => ({ path: f.path.replace(/^body\.evidence\.\d+$/, "body.evidence"), message: f.message.split(" / ")[kit.lang() === "en" ? 1 : 0] || f.message }));
      const rest = showFieldErrors(form, fields);
      summary.hidden = false;
      summary.className = "form-summary is-error";
      summary.replaceChildren(el("p", { text: e ? (kit.lang() === "en" ? e.message_en : e.message) : kit.errorText(err) }),
        ...rest.map((f) => el("p", { text: `${f.path}: ${f.message}` })));
    } finally { submit.disabled = false; }
  });
  kit.page(tr("scoring.claimHeading"), el("p", {}, el("a", { href: "#/scoring", text: `← ${tr("scoring.heading")}` })),
    el("p", { class: "note", text: tr("scoring.claimIntro") }), card(null, form), result);
  if (params.rule) { rule.value = params.rule; showTerms(); }
}

// -- review ----------------------------------------------------------------------------------------------
function reviewActions(kit, e, step) {
  const { el, tr, api } = kit;
  const id = `reason-${e.id}`;
  const reason = el("textarea", { id, rows: 2, maxlength: 500, "aria-describedby": `err-${id}` });
  const errP = el("p", { class: "field-error", id: `err-${id}`, hidden: true });
  const act = async (decision) => {
    errP.hidden = true;
    const body = { decision };
    if (reason.value.trim()) body.reason = reason.value.trim();
    try {
      await api(`/v1/scoring/entries/${e.id}/${step}-review`, { method: "POST", body });
      kit.toast(tr(decision === "approve" ? "scoring.approved" : "scoring.rejected"));
      kit.route();
    } catch (err) {
      if (placeErrors(kit, err, (p) => (p === "body.reason" || p === "body.decision" ? errP : null))) reason.setAttribute("aria-invalid", "true");
    }
  };
  return el("div", { class: "review-actions" },
    el("label", { for: id, text: tr("scoring.reason") }), reason, errP,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "primary approve", text: tr("scoring.approve"), onclick: () => act("approve") }),
      el("button", { type: "button", class: "secondary reject", text: tr("scoring.reject"), onclick: () => act("reject") })));
}

async function reviewPage(kit) {
  const { el, tr, api, card, can, myUnit } = kit;
  kit.page(tr("scoring.reviewHeading"), kit.loading());
  const mine = myUnit();
  const sections = [];
  for (const [perm, status, step, head] of [["scoring:group_review", "claimed", "group", "scoring.groupQueue"], ["scoring:branch_review", "group_reviewed", "branch", "scoring.branchQueue"]]) {
    if (!can(perm)) continue;
    const r = await api(`/v1/units/${mine}/scoring/entries?status=${status}&limit=100`);
    sections.push(card(`${tr(head)}（${r.items.length}）`, r.items.length
      ? el("ul", { class: "records", id: `queue-${step}` }, ...r.items.map((e) => entryCard(kit, e, reviewActions(kit, e, step))))
      : el("p", { class: "note", text: tr("scoring.queueEmpty") })));
  }
  kit.page(tr("scoring.reviewHeading"), el("p", {}, el("a", { href: "#/scoring", text: `← ${tr("scoring.heading")}` })), ...sections);
}

// -- public notice --------------------------------------------------------------------------------------
function objectionForm(kit, e) {
  const { el, tr, api } = kit;
  const rid = `objection-${e.id}`;
  const oid = `objector-${e.id}`;
  const reason = el("textarea", { id: rid, rows: 2, maxlength: 500, required: true, "aria-required": "true", "aria-describedby": `err-${rid}` });
  const who = el("input", { id: oid, maxlength: 20, autocomplete: "off" });
  const errP = el("p", { class: "field-error", id: `err-${rid}`, hidden: true });
  const form = el("form", { class: "objection", novalidate: true }, el("label", { for: rid, text: tr("scoring.objectionReason") }), reason, errP,
    el("label", { for: oid, text: tr("scoring.objector") }), who,
    el("div", { class: "actions" }, el("button", { type: "submit", class: "secondary", text: tr("scoring.objection") })));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    errP.hidden = true;
    reason.removeAttribute("aria-invalid");
    const body = { reason: reason.value.trim() };
    if (who.value.trim()) body.objector = who.value.trim();
    try {
      await api(`/v1/scoring/entries/${e.id}/objections`, { method: "POST", body });
      kit.toast(tr("scoring.objectionSent"));
      kit.route();
    } catch (err) {
      if (placeErrors(kit, err, (p) => (p === "body.reason" ? errP : null))) { reason.setAttribute("aria-invalid", "true"); reason.focus(); }
    }
  });
  return el("details", { class: "objection-box" }, el("summary", { text: tr("scoring.objection") }), form);
}

async function noticePage(kit) {
  const { el, tr, api, card, can, myUnit } = kit;
  kit.page(tr("scoring.noticeHeading"), kit.loading());
  const mine = myUnit();
  const r = await api(`/v1/units/${mine}/scoring/entries?status=public_notice&limit=200`);
  const now = new Date().toISOString();
  const items = r.items.map((e) => {
    const over = e.notice_ends && e.notice_ends.slice(0, 19) <= now.slice(0, 19);
    const actions = [];
    if (!over && can("scoring:object")) actions.push(objectionForm(kit, e));
    if (over && can("scoring:branch_review")) {
      actions.push(el("div", { class: "actions" }, el("button", { type: "button", class: "primary finalise", text: tr("scoring.finalise"), onclick: async () => {
        try { await api(`/v1/scoring/entries/${e.id}/finalise`, { method: "POST" }); kit.toast(tr("scoring.finalised")); kit.route(); } catch (err) { kit.showError(err); }
      } })));
    }
    return entryCard(kit, e, over ? el("p", { class: "pill warn", text: tr("scoring.noticeOver") }) : null, ...actions);
  });
  kit.page(tr("scoring.noticeHeading"), el("p", {}, el("a", { href: "#/scoring", text: `← ${tr("scoring.heading")}` })),
    el("p", { class: "note", text: tr("scoring.noticeIntro") }),
    el("p", {}, el("button", { type: "button", class: "secondary", text: tr("scoring.print"), onclick: () => printHtml(kit, `/v1/units/${mine}/scoring/notice`) })),
    items.length ? el("ul", { class: "records", id: "notice-list" }, ...items) : card(null, el("p", { class: "note", text: tr("scoring.noticeEmpty") })));
}

/** An HTML page of the API (a printable sheet) in a new window; its <style> blocks adopted (the CSP forbids inline styles). */
export async function printHtml(kit, url) {
  const win = window.open("", "_blank");
  if (!win) { kit.showError(new kit.ApiError(0, null)); return; }
  try {
    const html = await (await kit.api(url, { raw: true })).text();
    const styles = [];
    // style attributes would meet the CSP too (even when parsed): each becomes a rule of the adopted sheet
    const body = html.replace(/<style[^>]*>([\s\S]*?)<\/style>/gi, (m, css) => { styles.push(css); return ""; })
      .replace(/\sstyle="([^"]*)"/gi, (m, css) => { styles.push(`[data-nx-style="${styles.length}"]{${css}}`); return ` data-nx-style="${styles.length - 1}"`; });
    const parsed = new DOMParser().parseFromString(body, "text/html");
    const doc = win.document;
    doc.documentElement.lang = parsed.documentElement.lang || "zh-CN";
    doc.title = parsed.title || document.title;
    const sheet = new win.CSSStyleSheet();
    sheet.replaceSync(`${styles.join("\n")}\n.print-button{font:inherit;font-size:16px;min-height:44px;padding:0 24px;margin:0 0 8mm}@media print{.print-button{display:none}}`);
    doc.adoptedStyleSheets = [sheet];
    const print = doc.createElement("button");
    print.type = "button";
    print.className = "print-button";
    print.textContent = kit.tr("cards.print");
    print.addEventListener("click", () => win.print());
    doc.body.replaceChildren(print, ...[...parsed.body.childNodes].map((n) => doc.importNode(n, true)));
  } catch (err) {
    win.close();
    kit.showError(err);
  }
}

// -- leaderboards and tiers ------------------------------------------------------------------------------
async function boardPage(kit, params) {
  const { el, tr, api, card, myUnit, table } = kit;
  kit.page(tr("scoring.boardHeading"), kit.loading());
  const mine = myUnit();
  const [unit, children] = await Promise.all([api(`/v1/units/${mine}`), api(`/v1/units/${mine}/children?limit=200`)]);
  const units = [[unit.code, unit.name], ...children.items.filter((u) => ["town", "village"].includes(u.level)).map((u) => [u.code, u.name])];
  const code = units.some(([c]) => c === params.unit) ? params.unit : unit.code;
  const period = /^\d{4}-Q[1-4]$/.test(params.period || "") ? params.period : recentPeriods(1)[0];
  const dimension = ["total", ...DIMENSIONS].includes(params.dimension) ? params.dimension : "total";
  const periods = recentPeriods(6);
  if (!periods.includes(period)) periods.push(period);
  const fUnit = select(kit, "board-unit", units, code);
  const fPeriod = select(kit, "board-period", periods.map((p) => [p, p]), period);
  const fDim = select(kit, "board-dimension", ["total", ...DIMENSIONS].map((d) => [d, dimLabel(kit, d)]), dimension);
  const filters = el("form", { class: "query-form board-filters", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = `#/scoring/board?${new URLSearchParams({ unit: fUnit.value, period: fPeriod.value, dimension: fDim.value })}`;
  } }, field(kit, "board-unit", tr("scoring.unit"), fUnit), field(kit, "board-period", tr("scoring.period"), fPeriod),
  field(kit, "board-dimension", tr("scoring.dimension"), fDim), el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: tr("scoring.show") })));
  const [board, tiers] = await Promise.all([
    api(`/v1/units/${code}/scoring/leaderboard?${new URLSearchParams({ period, dimension, limit: "20" })}`),
    api(`/v1/units/${code}/scoring/tiers?period=${period}`)]);
  const boardChart = el("div", { id: "board-chart", class: "chart chart-short", role: "img", "aria-label": tr("scoring.chartBoard") });
  boardChart.classList.toggle("chart-rows", board.items.length > 0 && board.items.length <= 5); // a short board, a short chart
  const tierChart = el("div", { id: "tier-chart", class: "chart chart-short", role: "img", "aria-label": tr("scoring.chartTiers") });
  const value = (s) => (dimension === "total" ? s.points : s.dimensions[dimension] ?? 0);
  kit.page(tr("scoring.boardHeading"), el("p", {}, el("a", { href: "#/scoring", text: `← ${tr("scoring.heading")}` })),
    card(null, filters),
    card(`${tr("scoring.leaderboard")} · ${units.find(([c]) => c === code)[1]} · ${period} · ${dimLabel(kit, dimension)}`,
      board.items.length ? boardChart : null,
      board.items.length ? table([
        { label: tr("scoring.rank"), value: (s) => String(s.rank ?? "—") },
        { label: tr("scoring.name"), value: (s) => el("a", { href: `#/scoring/members/${s.member}?year=${period.slice(0, 4)}`, text: s.name }) },
        { label: dimLabel(kit, dimension), value: (s) => String(value(s)) },
        { label: tr("scoring.score"), value: (s) => String(s.score) },
        { label: tr("scoring.tier"), value: (s) => s.tier_label },
      ], board.items) : el("p", { class: "note", text: tr("scoring.boardEmpty") })),
    card(tr("scoring.tiers"), el("p", { class: "note", text: tr("scoring.tiersNote", { members: tiers.members, scored: tiers.scored }) }), tierChart,
      table([{ label: tr("scoring.tier"), value: (t) => t.label }, { label: tr("scoring.membersN"), value: (t) => String(t.members) }], tiers.tiers)));
  const rows = [...board.items].reverse();
  if (rows.length) {
    await chart(boardChart, {
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: { renderMode: "richText" },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: rows.map((s) => s.name), axisLabel: { fontSize: 14 } },
      series: [{ type: "bar", barMaxWidth: 28, data: rows.map((s) => ({ value: value(s), itemStyle: { color: TIER_COLOURS[s.tier] || "#a4161a" } })), label: { show: true, position: "right" } }],
    });
  }
  await chart(tierChart, {
    tooltip: { renderMode: "richText" },
    series: [{ type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}\n{c}", fontSize: 14 },
      data: tiers.tiers.filter((t) => t.members > 0).map((t) => ({ name: t.label, value: t.members, itemStyle: { color: TIER_COLOURS[t.tier] || "#767676" } })) }],
  });
}

// -- a member's score explained ---------------------------------------------------------------------------
async function memberPage(kit, id, params) {
  const { el, tr, api, card, table } = kit;
  kit.page(tr("scoring.heading"), kit.loading());
  const year = /^\d{4}$/.test(params.year || "") ? Number(params.year) : beijingYear();
  const sc = await api(`/v1/members/${id}/scorecard?year=${year}`);
  const years = [year + 1, year, year - 1, year - 2].filter((y) => y <= beijingYear());
  const fYear = select(kit, "card-year", years.map((y) => [y, String(y)]), year);
  fYear.addEventListener("change", () => { location.hash = `#/scoring/members/${id}?year=${fYear.value}`; });
  const chartBox = el("div", { id: "card-chart", class: "chart chart-short", role: "img", "aria-label": tr("scoring.quarter") });
  const entries = sc.entries.map((e) => entryCard(kit, e, el("details", { class: "history" }, el("summary", { text: tr("scoring.history") }),
    el("ol", {}, ...e.history.map((h) => el("li", { text: `${h.at.replace("T", " ").slice(0, 16)} · ${h.status_label} · ${roleLabel(kit, h.by_role)}${h.reason ? ` · ${h.reason}` : ""}` }))))));
  kit.page(tr("scoring.cardHeading", { name: sc.name }),
    el("p", {}, el("a", { href: `#/members/${sc.member}`, text: `← ${sc.name}` })),
    card(null, field(kit, "card-year", tr("scoring.year"), fYear),
      el("p", { class: "year-score", text: sc.year_score !== null ? tr("scoring.yearScore", { score: sc.year_score, tier: sc.year_tier_label }) : tr("scoring.yearNone") }),
      el("p", { class: "note", text: tr("scoring.base", { base: sc.base }) }),
      sc.quarters.length ? chartBox : null,
      sc.quarters.length ? table([
        { label: tr("scoring.quarter"), value: (q) => q.period },
        { label: tr("scoring.points"), value: (q) => el("span", {}, String(q.points), el("br"),
          el("small", { class: "muted", text: DIMENSIONS.map((d) => `${dimLabel(kit, d)} ${q.dimensions[d] ?? 0}`).join(" · ") })) },
        { label: tr("scoring.pending"), value: (q) => String(q.pending) },
        { label: tr("scoring.score"), value: (q) => String(q.score) },
        { label: tr("scoring.tier"), value: (q) => q.tier_label },
      ], sc.quarters) : null),
    card(tr("scoring.entries"), entries.length ? el("ul", { class: "records" }, ...entries) : el("p", { class: "note", text: tr("scoring.entriesNone") })));
  if (sc.quarters.length) {
    await chart(chartBox, {
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { renderMode: "richText" },
      xAxis: { type: "category", data: sc.quarters.map((q) => q.period) },
      yAxis: { type: "value" },
      series: DIMENSIONS.map((d, i) => ({ type: "bar", stack: "points", name: dimLabel(kit, d), data: sc.quarters.map((q) => q.dimensions[d] ?? 0),
        itemStyle: { color: ["#a4161a", "#0b4f94", "#146c2e"][i] } })),
    });
  }
}

async function entryPage(kit, id) {
  const { el, tr, api, card } = kit;
  kit.page(tr("scoring.entryHeading"), kit.loading());
  const e = await api(`/v1/scoring/entries/${id}`);
  const step = e.status === "claimed" && kit.can("scoring:group_review") ? "group" : e.status === "group_reviewed" && kit.can("scoring:branch_review") ? "branch" : null;
  kit.page(`${tr("scoring.entryHeading")} · ${e.member_name}`, el("p", {}, el("a", { href: "#/scoring", text: `← ${tr("scoring.heading")}` })),
    card(null, el("ul", { class: "records" }, entryCard(kit, e, step ? reviewActions(kit, e, step) : null))),
    card(tr("scoring.history"), el("ol", { class: "history" }, ...e.history.map((h) => el("li", {},
      el("strong", { text: h.status_label }), ` · ${h.at.replace("T", " ").slice(0, 16)} · ${roleLabel(kit, h.by_role)}`, h.reason ? ` · ${h.reason}` : "")))),
    card(null, el("p", { class: "muted", text: tr("scoring.rule.v", { name: ruleName(kit, e), v: e.rule_version }) })));
}

// -- the module -------------------------------------------------------------------------------------------
/**
 * `guarded(kit)()` is the kit for one page visit: its `page()` draws only while the address is still the one the
 * visit started at, so a slow answer for a page the user has left does not replace the page they went to.
 */
export function guarded(kit) {
  return () => {
    const here = location.hash;
    return { ...kit, page: (...parts) => (location.hash === here ? kit.page(...parts) : document.createElement("main")) };
  };
}

export function routes(kit0) {
  const kit = guarded(kit0);
  return [
    [/^\/scoring$/, () => hubPage(kit())],
    [/^\/scoring\/claim$/, (params) => claimPage(kit(), params)],
    [/^\/scoring\/review$/, () => reviewPage(kit())],
    [/^\/scoring\/notice$/, () => noticePage(kit())],
    [/^\/scoring\/board$/, (params) => boardPage(kit(), params)],
    [/^\/scoring\/members\/([\w-]+)$/, (id, params) => memberPage(kit(), id, params)],
    [/^\/scoring\/entries\/([\w-]+)$/, (id) => entryPage(kit(), id)],
  ];
}

export async function inbox(kit) {
  const mine = kit.myUnit();
  if (!mine || !kit.can("scoring:read")) return [];
  const items = [];
  const get = (status) => kit.api(`/v1/units/${mine}/scoring/entries?status=${status}&limit=50`).then((r) => r.items);
  const text = (key, e) => kit.tr(key, { member: e.member_name, rule: ruleName(kit, e), points: e.points });
  if (kit.can("scoring:group_review")) {
    for (const e of await get("claimed")) {
      items.push({ rank: 5, due: e.occurred_on, href: "#/scoring/review", badge: kit.tr("scoring.badgeReview"), badgeCls: "warn", text: ` ${text("scoring.inboxReview", e)}` });
    }
  }
  if (kit.can("scoring:branch_review")) {
    for (const e of await get("group_reviewed")) {
      const objected = e.history[e.history.length - 1]?.status === "objected";
      items.push({ rank: objected ? 2 : 5, due: e.occurred_on, href: "#/scoring/review", cls: objected ? "warn" : "",
        badge: kit.tr(objected ? "scoring.badgeObjection" : "scoring.badgeReview"), badgeCls: objected ? "bad" : "warn",
        text: ` ${text(objected ? "scoring.inboxObjection" : "scoring.inboxReview", e)}` });
    }
    const now = new Date().toISOString().slice(0, 19);
    for (const e of await get("public_notice")) {
      if (e.notice_ends && e.notice_ends.slice(0, 19) <= now) items.push({ rank: 4, due: e.notice_ends, href: "#/scoring/notice", text: text("scoring.inboxFinal", e) });
    }
  }
  return items;
}

export function quick(kit) {
  if (!kit.myUnit() || !kit.can("scoring:read")) return [];
  return [kit.can("scoring:claim") ? kit.linkButton("#/scoring/claim", kit.tr("scoring.claim")) : kit.linkButton("#/scoring", kit.tr("scoring.heading"))];
}

export function nav(kit) {
  return kit.myUnit() && kit.can("scoring:read") ? [["#/scoring", "scoring.nav"]] : [];
}
