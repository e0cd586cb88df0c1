"""Pure rules of the deliberation slice: quorums and majorities in exact fractions, the order of the three
meetings and of 四议两公开, minutes hashing. No storage, no clock."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

QUORUM = Fraction(2, 3)  # at least two thirds of those entitled must be present
MAJORITY = Fraction(1, 2)  # more than half of those present must be in favour

# The three meetings, in order, with the grid level that holds each.
STAGES: tuple[str, ...] = ("courtyard_meeting", "analysis_meeting", "town_review")
STAGE_LEVEL: dict[str, str] = {"courtyard_meeting": "group", "analysis_meeting": "village", "town_review": "town"}
STAGE_LABELS: dict[str, str] = {
    "courtyard_meeting": "屋场恳谈会",
    "analysis_meeting": "民情分析会",
    "town_review": "镇民情研判会",
    "forwarded": "待民情分析会",
    "analysed": "已汇入民情分析会",
    "closed": "已办结",
}
# A courtyard deliberation whose concerns went up waits as `forwarded` until the village's analysis meeting of
# the month takes them (then `analysed`): the analysis is its own record, fed by every such courtyard meeting.
WAITING_FOR_ANALYSIS = "forwarded"
ENDED: tuple[str, ...] = ("forwarded", "analysed", "closed")
# Who a lapsed stage is escalated to (挂牌督办 by the level above).
ESCALATE_TO: dict[str, str] = {"courtyard_meeting": "village", "analysis_meeting": "town", "town_review": "city"}

# 四议两公开: the steps of a binding village decision, in order.
DECISION_STEPS: tuple[str, ...] = (
    "consultation",  # 商议 (the proposal, 提议, is the record's creation)
    "party_meeting",  # 党员大会审议
    "villagers_meeting",  # 村民（代表）会议决议
    "objection_window",  # 决议公开 (公示 with objections)
    "implementation",  # 组织实施
    "result_publication",  # 结果公开
)
DECISION_LABELS: dict[str, str] = {
    "consultation": "村两委商议",
    "party_meeting": "党员大会审议",
    "villagers_meeting": "村民（代表）会议决议",
    "objection_window": "决议公示",
    "implementation": "组织实施",
    "result_publication": "实施结果公开",
    "done": "已办结",
    "rejected": "未通过",
}

GRADES: tuple[str, ...] = ("urgent", "important", "routine")
GRADE_LABELS: dict[str, str] = {"urgent": "紧急", "important": "重要", "routine": "常态"}


@dataclass(frozen=True)
class VoteResult:
    entitled: int
    present: int
    in_favour: int
    quorum_met: bool
    adopted: bool

    @property
    def outcome(self) -> str:
        """`no_quorum` (the meeting must be held again), `adopted` or `rejected`."""
        if not self.quorum_met:
            return "no_quorum"
        return "adopted" if self.adopted else "rejected"


def quorum_met(entitled: int, present: int) -> bool:
    """At least two thirds of those entitled are present (exact: 6 of 9 is enough, 5 of 8 is not)."""
    if entitled <= 0:
        return False
    return Fraction(present, entitled) >= QUORUM


def majority(present: int, in_favour: int) -> bool:
    """More than half of those present are in favour (exact: 3 of 6 is not enough)."""
    if present <= 0:
        return False
    return Fraction(in_favour, present) > MAJORITY


def tally(entitled: int, present: int, in_favour: int, against: int = 0, abstain: int = 0) -> VoteResult:
    """A meeting's vote: refuses impossible counts (ValueError), then applies the quorum and the majority."""
    if min(entitled, present, in_favour, against, abstain) < 0:
        raise ValueError("counts cannot be negative")
    if present > entitled:
        raise ValueError("more present than entitled")
    if in_favour + against + abstain > present:
        raise ValueError("more votes than people present")
    met = quorum_met(entitled, present)
    return VoteResult(entitled, present, in_favour, met, met and majority(present, in_favour))


def next_stage(stage: str, outcomes: dict[str, dict[str, Any]]) -> str:
    """Where a deliberation goes once `stage` has concluded with these outcomes (concern id -> outcome):
    on to the next meeting only when some concern was sent up, otherwise it is closed. A courtyard meeting's
    concerns go up to the village's analysis meeting, a record of its own: the courtyard record waits there."""
    if stage == "courtyard_meeting":
        return WAITING_FOR_ANALYSIS if any(o.get("outcome") == "forwarded" for o in outcomes.values()) else "closed"
    if stage == "analysis_meeting":
        return "town_review" if any(o.get("action") == "town" for o in outcomes.values()) else "closed"
    return "closed"


def minutes_hash(stage: str, text: str, confirmed_by: list[str]) -> str:
    """The fingerprint recorded when minutes are frozen: their text and who confirmed them."""
    body = json.dumps({"stage": stage, "text": text, "confirmed_by": sorted(confirmed_by)}, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()
