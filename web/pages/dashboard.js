// Dashboards for a village or a town: 化解率 (mediation), on-time rates of whistles, concerns by status, and
// the 12345 trend — ECharts charts drawn from the API's figure routes, each with its data as a table.
// Figures without a route are said so on the page instead of being counted from many list calls. The 12345 trend
// comes from /v1/units/{code}/hotline-trends (daily counts kept with each hotline ticket).
import { addDays, addMonths, beijingDay, beijingMonth } from "../dates.js";
import { field } from "./common.js";

const T = {
  "dash.nav": ["数据看板", "Dashboard"],
  "dash.heading": ["数据看板", "Dashboard"],
  "dash.from": ["起始月份", "From"],
  "dash.to": ["截止月份", "To"],
  "dash.unit": ["单元", "Unit"],
  "dash.show": ["查看", "Show"],
  "dash.mediation": ["矛盾纠纷化解率", "Mediation: resolution rate (化解率)"],
  "dash.rate": ["化解率", "Resolution rate"],
  "dash.registered": ["登记", "Registered"],
  "dash.closed": ["结案", "Closed"],
  "dash.resolved": ["达成协议", "Resolved"],
  "dash.overdue": ["逾期未结", "Open and overdue"],
  "dash.level": ["结案层级", "Level closing the case"],
  "dash.count": ["数量", "Count"],
  "dash.whistles": ["吹哨报到：按时率（{period}）", "Whistles: on-time rates ({period})"],
  "dash.dept": ["部门", "Department"],
  "dash.reportIn": ["按时报到率", "On-time report-in"],
  "dash.resolve": ["按时办结率", "On-time resolution"],
  "dash.received": ["接单", "Received"],
  "dash.townKinds": ["本镇吹哨（按哨种）", "The town's whistles by kind"],
  "dash.kind": ["哨种", "Kind"],
  "dash.concerns": ["群众诉求（按状态）", "Concerns by status"],
  "dash.status": ["状态", "Status"],
  "dash.partial": ["只统计最近 {n} 条诉求（没有诉求统计接口）", "Only the latest {n} concerns are counted (no concern figures route)"],
  "dash.hotline": ["12345 热线工单趋势", "12345 hotline trend"],
  "dash.hotlinePeriod": ["{start} 至 {end}，按{bucket}", "{start} to {end}, per {bucket}"],
  "dash.b.day": ["日", "day"],
  "dash.b.week": ["周", "week"],
  "dash.period": ["日期", "Date"],
  "dash.total": ["合计", "Total"],
  "dash.hotlineStatus": ["当前状态", "Where they stand"],
  "dash.hs.received": ["待派单", "Received"],
  "dash.hs.dispatched": ["已吹哨派单", "Whistled"],
  "dash.hs.forwarded": ["已转村诉求", "Forwarded to the village"],
  "dash.hs.answered": ["已答复", "Answered"],
  "dash.hs.visited": ["已回访", "Called back"],
  "dash.none": ["无数据", "No data"],
  "dash.noAccess": ["无权查看", "Not visible to your role"],
  "dash.l.group": ["组（屋场）", "Group"],
  "dash.l.village": ["村（社区）", "Village"],
  "dash.l.town": ["镇（街道）", "Town"],
  "dash.l.city": ["市", "City"],
  "dash.k.routine": ["日常哨", "Routine"],
  "dash.k.tough": ["攻坚哨", "Tough"],
  "dash.k.emergency": ["应急哨", "Emergency"],
};

export const strings = {
  "zh-CN": Object.fromEntries(Object.entries(T).map(([k, [zh]]) => [k, zh])),
  en: Object.fromEntries(Object.entries(T).map(([k, [, en]]) => [k, en])),
};

const PALETTE = ["#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#455a64"];
const month = (offset = 0) => addMonths(beijingMonth(), offset);
const label = (kit, prefix, v) => (kit.tr(`${prefix}.${v}`) === `${prefix}.${v}` ? v : kit.tr(`${prefix}.${v}`));
const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`);

/** A chart box and its data table; `option` is an ECharts option. */
async function chart(kit, id, label, option) {
  const box = kit.el("div", { id, class: "dash-chart", role: "img", "aria-label": label });
  const echarts = await import("../node_modules/echarts/dist/echarts.esm.min.js");
  let tries = 0;
  const draw = () => { // drawn once the page holds the box (the page is built after every card's data came)
    if (!box.isConnected) { if (tries++ < 600) requestAnimationFrame(draw); return; }
    const c = echarts.init(box, null, { renderer: "canvas" });
    c.setOption({ color: PALETTE, animation: false, textStyle: { fontSize: 13 }, ...option });
    const resize = () => { if (!box.isConnected) window.removeEventListener("resize", resize); else c.resize(); };
    window.addEventListener("resize", resize);
  };
  requestAnimationFrame(draw);
  return box;
}

async function mediationCard(kit, code, from, to) {
  if (!kit.can("mediation:read")) return null;
  try {
    const s = await kit.api(`/v1/units/${code}/mediation-stats?from=${from}&to=${to}`);
    const rate = s.resolution_rate;
    const levels = Object.entries(s.closed_at_level || {});
    const gauge = await chart(kit, "dash-mediation", `${kit.tr("dash.rate")} ${pct(rate)}`, {
      series: [{ type: "gauge", min: 0, max: 100, progress: { show: true, width: 14 }, axisLine: { lineStyle: { width: 14 } },
        splitLine: { length: 8 }, axisLabel: { distance: 18, fontSize: 11 }, pointer: { show: false },
        detail: { valueAnimation: false, formatter: rate === null ? "—" : "{value}%", fontSize: 24, offsetCenter: [0, "10%"] },
        title: { offsetCenter: [0, "45%"], fontSize: 13 }, data: [{ value: rate === null ? 0 : Math.round(rate * 1000) / 10, name: kit.tr("dash.rate") }] }],
    });
    return kit.card(kit.tr("dash.mediation"), gauge,
      kit.el("dl", { class: "stats" }, ...[["dash.registered", s.registered], ["dash.closed", s.closed], ["dash.resolved", s.resolved], ["dash.rate", pct(rate)], ["dash.overdue", s.open_overdue]]
        .map(([k, v]) => kit.el("div", {}, kit.el("dt", { text: kit.tr(k) }), kit.el("dd", { text: String(v) })))),
      levels.length ? kit.table([{ label: kit.tr("dash.level"), value: ([l]) => label(kit, "dash.l", l) }, { label: kit.tr("dash.count"), value: ([, n]) => String(n) }], levels) : null);
  } catch (err) { return kit.card(kit.tr("dash.mediation"), kit.el("p", { class: "bad", text: kit.errorText(err) })); }
}

async function whistleCard(kit, code, period, town) {
  if (!kit.can("whistle:read")) return null;
  const depts = (await kit.api("/v1/whistle/departments")).items;
  // one scorecard per department (the catalogue is about ten): the API has no all-departments figure
  const cards = (await Promise.all(depts.map((d) => kit.api(`/v1/whistle/scorecards/departments/${d.code}?period=${period}`).then((c) => ({ ...c, name: kit.lang() === "en" ? d.name_en : d.name_zh })).catch(() => null)))).filter(Boolean);
  const rows = cards.filter((c) => c.received > 0);
  const parts = [];
  if (rows.length) {
    parts.push(await chart(kit, "dash-whistles", kit.tr("dash.whistles", { period }), {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: rows.map((c) => c.name), axisLabel: { interval: 0, rotate: rows.length > 3 ? 30 : 0 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [["dash.reportIn", "report_in_on_time_rate"], ["dash.resolve", "resolve_on_time_rate"]].map(([k, f]) => ({
        type: "bar", name: kit.tr(k), data: rows.map((c) => (c[f] === null ? 0 : Math.round(c[f] * 1000) / 10)) })),
    }));
    parts.push(kit.table([{ label: kit.tr("dash.dept"), value: (c) => c.name }, { label: kit.tr("dash.received"), value: (c) => String(c.received) },
      { label: kit.tr("dash.reportIn"), value: (c) => pct(c.report_in_on_time_rate) }, { label: kit.tr("dash.resolve"), value: (c) => pct(c.resolve_on_time_rate) }], rows));
  } else parts.push(kit.el("p", { class: "note", text: kit.tr("dash.none") }));
  if (town && kit.can("units:read")) {
    try {
      const r = await kit.api(`/v1/whistle/scorecards/towns/${code}?period=${period}`);
      parts.push(kit.el("h4", { text: kit.tr("dash.townKinds") }), kit.table([{ label: kit.tr("dash.kind"), value: ([k]) => label(kit, "dash.k", k) }, { label: kit.tr("dash.count"), value: ([, n]) => String(n) }],
        Object.entries(r.by_kind)));
    } catch { /* not a town of the user's */ }
  }
  return kit.card(kit.tr("dash.whistles", { period }), ...parts);
}

async function concernsCard(kit, code) {
  if (!kit.can("concerns:read")) return null;
  const page1 = await kit.api(`/v1/units/${code}/concerns?limit=500`);
  const counts = new Map();
  for (const c of page1.items) counts.set(c.status_label, (counts.get(c.status_label) || 0) + 1);
  const rows = [...counts];
  return kit.card(kit.tr("dash.concerns"),
    rows.length ? await chart(kit, "dash-concerns", kit.tr("dash.concerns"), {
      tooltip: { trigger: "item" }, legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"], label: { position: "inside", formatter: "{c}", color: "#fff", fontWeight: 700 }, data: rows.map(([name, value]) => ({ name, value })) }],
    }) : kit.el("p", { class: "note", text: kit.tr("dash.none") }),
    rows.length ? kit.table([{ label: kit.tr("dash.status"), value: ([s]) => s }, { label: kit.tr("dash.count"), value: ([, n]) => String(n) }], rows) : null,
    page1.next_cursor ? kit.el("p", { class: "note", text: kit.tr("dash.partial", { n: page1.items.length }) }) : null);
}


/** The 12345 trend of the unit over the dashboard's months (at most 366 days): per week beyond three months. */
async function hotlineCard(kit, code, from, to) {
  if (!kit.can("hotline:trends")) return null;
  const today = beijingDay();
  let end = addDays(`${addDays(`${to}-01`, 32).slice(0, 7)}-01`, -1); // the last day of the `to` month
  if (end > today) end = today;
  let start = `${from}-01`;
  if (start > end) start = end;
  if (addDays(start, 365) < end) start = addDays(end, -365);
  const bucket = addDays(start, 92) < end ? "week" : "day";
  const t = await kit.api(`/v1/units/${code}/hotline-trends?from=${start}&to=${end}&bucket=${bucket}`);
  const names = new Map();
  if (kit.can("whistle:read")) {
    for (const c of (await kit.api("/v1/whistle/categories").catch(() => ({ items: [] }))).items) names.set(c.code, kit.lang() === "en" ? c.name_en : c.name_zh);
  }
  const cats = Object.entries(t.totals.by_category).sort((a, b) => b[1] - a[1]).map(([c]) => c);
  const top = cats.slice(0, 5);
  const catName = (c) => names.get(c) || c;
  const period = kit.tr("dash.hotlinePeriod", { start: t.start, end: t.end, bucket: kit.tr(`dash.b.${t.bucket}`) });
  const line = await chart(kit, "dash-hotline", `${kit.tr("dash.hotline")} ${period}`, {
    tooltip: { trigger: "axis" }, legend: { top: 0, type: "scroll" }, grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
    xAxis: { type: "category", data: t.points.map((p) => p.period.slice(5)), boundaryGap: false },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "line", name: kit.tr("dash.total"), data: t.points.map((p) => p.total), lineStyle: { width: 3 } },
      ...top.map((c) => ({ type: "line", name: catName(c), data: t.points.map((p) => p.by_category[c] || 0) }))],
  });
  const rows = t.points.filter((p) => p.total > 0);
  const statuses = Object.entries(t.totals.by_status).filter(([, n]) => n > 0);
  return kit.card(kit.tr("dash.hotline"), kit.el("p", { class: "note", text: period }), line,
    rows.length ? kit.table([{ label: kit.tr("dash.period"), value: (p) => p.period }, { label: kit.tr("dash.total"), value: (p) => String(p.total) },
      ...cats.map((c) => ({ label: catName(c), value: (p) => String(p.by_category[c] || 0) }))], rows, kit.tr("dash.hotline"))
      : kit.el("p", { class: "note", text: kit.tr("dash.none") }),
    statuses.length ? kit.el("h4", { text: kit.tr("dash.hotlineStatus") }) : null,
    statuses.length ? kit.table([{ label: kit.tr("dash.status"), value: ([s]) => label(kit, "dash.hs", s) }, { label: kit.tr("dash.count"), value: ([, n]) => String(n) }], statuses) : null);
}

async function dashboardPage(kit, params) {
  const code = params.unit || kit.myUnit();
  if (!code) { kit.page(kit.tr("dash.heading"), kit.el("p", { class: "note", text: kit.tr("dash.noAccess") })); return; }
  const from = params.from || month(-11);
  const to = params.to || month(0);
  kit.page(kit.tr("dash.heading"), kit.loading());
  const unit = await kit.api(`/v1/units/${code}`);
  const town = unit.level === "town";
  const form = kit.el("form", { class: "dash-period", onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams(new FormData(e.target));
    location.hash = `#/dashboard?unit=${code}&${q}`;
  } },
  ...[["from", "dash.from", from], ["to", "dash.to", to]].map(([n, k, v]) =>
    field(kit, `dash-${n}`, kit.tr(k), kit.el("input", { id: `dash-${n}`, name: n, type: "month", value: v, required: true }))),
  kit.el("button", { type: "submit", class: "secondary", text: kit.tr("dash.show") }));
  const cards = await Promise.all([mediationCard(kit, code, from, to), whistleCard(kit, code, to, town).catch((err) => kit.card(kit.tr("dash.whistles", { period: to }), kit.el("p", { class: "bad", text: kit.errorText(err) }))),
    concernsCard(kit, code).catch((err) => kit.card(kit.tr("dash.concerns"), kit.el("p", { class: "bad", text: kit.errorText(err) }))),
    hotlineCard(kit, code, from, to).catch((err) => kit.card(kit.tr("dash.hotline"), kit.el("p", { class: "bad", text: kit.errorText(err) })))]);
  kit.page(`${kit.tr("dash.heading")} · ${unit.name}`, kit.card(null, form), ...cards);
}

export function routes(kit) {
  return [[/^\/dashboard$/, (params) => dashboardPage(kit, params)]];
}

export function nav(kit) {
  const me = kit.me();
  const depth = me?.scope?.kind === "unit" ? me.scope.path.split("/").length : 0;
  return depth && depth <= 3 ? [["#/dashboard", "dash.nav"]] : []; // village, town and city users
}
