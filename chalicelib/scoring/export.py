"""Paper records of 三比 scoring: a unit's quarter in Excel (scores, then every final entry on a second
sheet, for the branch's file) and the public-notice list as a printable page."""

from __future__ import annotations

import html
from typing import Any

from chalicelib.core.auth import Principal
from chalicelib.core.clock import china_date
from chalicelib.grid.export import _workbook_bytes
from chalicelib.scoring import rules
from chalicelib.scoring.rules import DIMENSION_LABELS, DIMENSIONS
from chalicelib.scoring.schemas import STATUS_LABELS
from chalicelib.scoring.service import ScoringService

PAGE = 500
SCORE_SHEET = ("名次", "姓名", "所在单元", "比奉献", "比担当", "比作为", "积分合计", "季度得分", "档次")
ENTRY_SHEET = (
    "姓名", "所在单元", "项目", "版本", "维度", "数量", "分值", "计分说明", "发生日期", "状态", "审批经过", "记录编号",
)  # fmt: skip


def _all(page: Any) -> list[Any]:
    items: list[Any] = []
    after = None
    while True:
        got, after = page(after)
        items += got
        if not after:
            return items


def _day(at: str | None) -> str:
    """The day in 宁乡 of a timestamp (a change, the end of the notice), as the sheets print it."""
    return china_date(at).isoformat() if at else ""


def unit_period_workbook(svc: ScoringService, principal: Principal, code: str, period: str) -> bytes:
    """Sheet 积分汇总: every member of the subtree, ranked (members without a final entry at the base);
    sheet 积分明细: every final entry of the quarter (reversals included), with its approvals."""
    unit = svc.grid.visible_unit(principal, code)
    policy = svc.store.policy(unit.root)
    board = _all(lambda after: svc.store.leaderboard(unit.code, period, "total", limit=PAGE, after=after))
    scored = {s.member_id for s in board}
    rows: list[list[Any]] = []
    for n, s in enumerate(board, start=1):
        tier = next((t for t in policy.tiers if t.code == s.tier), policy.tiers[-1])
        dims = [int(getattr(s, d)) for d in DIMENSIONS]
        rows.append([n, s.name, s.unit_path, *dims, int(s.points), int(s.score), tier.name_zh])
    members = _all(
        lambda after: svc.members.below(unit.root, unit.path, status=None, in_service=None, limit=PAGE, after=after)
    )
    base = rules.score_of(policy, 0)
    base_tier = rules.tier_of(policy, base).name_zh
    for m in members:
        if m.id not in scored and m.status != "left":
            rows.append(["", m.name, m.unit_path, 0, 0, 0, 0, base, base_tier])
    entries = _all(
        lambda after: svc.store.entries_below(unit.root, "final", unit.path, limit=PAGE, after=after, period=period)
    )
    entries.sort(key=lambda e: (e.unit_path, e.member_name, e.created_at))
    entry_rows = [
        [
            e.member_name, e.unit_path, e.rule_name_zh, int(e.rule_version), DIMENSION_LABELS[e.dimension][0],
            int(e.quantity), int(e.points), e.explanation, e.occurred_on, STATUS_LABELS[e.status],
            "；".join(f"{_day(h['at'])} {STATUS_LABELS.get(h['status'], h['status'])}（{h['by_role']}）"
                     + (f"：{h['reason']}" if h.get("reason") else "") for h in e.history),
            e.id,
        ]
        for e in entries
    ]  # fmt: skip
    return _workbook_bytes([("积分汇总", [SCORE_SHEET, *rows]), ("积分明细", [ENTRY_SHEET, *entry_rows])])


def notice_page(svc: ScoringService, principal: Principal, code: str) -> str:
    """The entries of a subtree on public notice, as a page to print and post (公示)."""
    unit = svc.grid.visible_unit(principal, code)
    policy = svc.store.policy(unit.root)
    entries = _all(
        lambda after: svc.store.entries_below(unit.root, "public_notice", unit.path, limit=PAGE, after=after)
    )
    entries.sort(key=lambda e: (e.unit_path, e.member_name, e.created_at))
    esc = html.escape
    body = "".join(
        f"<tr><td>{esc(e.member_name)}</td><td>{esc(DIMENSION_LABELS[e.dimension][0])}</td>"
        f"<td>{esc(e.rule_name_zh)}</td><td>{int(e.quantity)}</td><td>{int(e.points)}</td>"
        f"<td>{esc(e.explanation)}</td><td>{esc(e.occurred_on)}</td><td>{_day(e.notice_ends)}</td></tr>"
        for e in entries
    )
    title = f"{esc(unit.name)}党员积分公示"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>body{{font-family:serif;margin:2em}}table{{border-collapse:collapse;"
        "width:100%}td,th{border:1px solid #000;padding:4px 6px;text-align:left}@media print{button{display:none}}"
        f"</style></head><body><h1>{title}</h1>"
        f"<p>以下积分经党小组初评、支部初定，现予公示（{policy.notice_days} 天）。如有异议，请在公示截止前向"
        "本组邻长、组长或村党支部反映，并说明理由。</p>"
        "<table><thead><tr><th>姓名</th><th>维度</th><th>项目</th><th>数量</th><th>分值</th><th>计分说明</th>"
        "<th>发生日期</th><th>公示截止</th></tr></thead>"
        f"<tbody>{body or '<tr><td colspan=8>暂无公示中的积分</td></tr>'}</tbody></table>"
        f"<p>共 {len(entries)} 条。</p></body></html>"
    )
