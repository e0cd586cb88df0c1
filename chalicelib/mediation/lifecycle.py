"""The case lifecycle as data: which status may follow which, and the error naming both when one may not.

registered → rights_notified → investigating → mediating → agreement_reached → performing → follow_up →
closed, or mediating → failed → closed; `escalated` (one level up, 组 → 村 → 镇) from any status before an
agreement, after which the higher level investigates; `withdrawn` by the parties before an agreement.
"""

from __future__ import annotations

from chalicelib.core.errors import Conflict, FieldError
from chalicelib.mediation.schemas import STATUS_LABELS

TRANSITIONS: dict[str, frozenset[str]] = {
    "registered": frozenset({"rights_notified", "escalated", "withdrawn"}),
    "rights_notified": frozenset({"investigating", "escalated", "withdrawn"}),
    "investigating": frozenset({"mediating", "escalated", "withdrawn"}),
    "mediating": frozenset({"mediating", "agreement_reached", "failed", "escalated", "withdrawn"}),
    "agreement_reached": frozenset({"performing"}),
    "performing": frozenset({"follow_up"}),
    "follow_up": frozenset({"follow_up", "closed"}),
    "failed": frozenset({"escalated", "closed"}),
    "escalated": frozenset({"rights_notified", "investigating", "escalated", "withdrawn"}),
    "closed": frozenset(),
    "withdrawn": frozenset(),
}
OPEN_STATUSES = frozenset(s for s, nxt in TRANSITIONS.items() if nxt)
ORDER = tuple(STATUS_LABELS)


def allowed_next(current: str) -> list[str]:
    return sorted(TRANSITIONS.get(current, frozenset()) - {current}, key=ORDER.index)


def check(current: str, requested: str, field: str = "body") -> None:
    """409 naming the current and the requested status and what may follow, when the table forbids it."""
    if requested in TRANSITIONS.get(current, frozenset()):
        return
    nxt = allowed_next(current)
    zh_next = "、".join(f"{STATUS_LABELS[s]}（{s}）" for s in nxt) or "无（案件已终结）"
    en_next = ", ".join(nxt) or "none (the case has ended)"
    raise Conflict(
        f"案件当前为「{STATUS_LABELS[current]}」（{current}），不能转为「{STATUS_LABELS[requested]}」"
        f"（{requested}）；可转为：{zh_next}",
        f"The case is {current}; it cannot become {requested}. Allowed next: {en_next}",
        [FieldError(field, f"当前 {current}，请求 {requested} / current {current}, requested {requested}")],
    )
