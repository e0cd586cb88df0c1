"""The pure rules of 三比 scoring (no storage, no HTTP): periods, points, caps, scores, tiers, the year.

Points are whole numbers: a rule gives a fixed number, or a number per unit (per hour, per household...)
times a whole quantity. A period is a quarter, "2026-Q4"; the year is the mean of its quarters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

DIMENSIONS: tuple[str, ...] = ("dedication", "responsibility", "achievement")
DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    "dedication": ("比奉献", "Dedication"),
    "responsibility": ("比担当", "Responsibility"),
    "achievement": ("比作为", "Achievement"),
}
PERIOD = re.compile(r"^(\d{4})-Q([1-4])$")
RANK_OFFSET = 1_000_000  # rank keys are zero-padded strings: points + offset stays positive


class RuleError(ValueError):
    """A claim that breaks a rule: `field` names the request field, then Chinese and English messages."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.field, self.zh, self.en = field, zh, en


# -- periods -------------------------------------------------------------------------------------------
def period_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def parse_period(period: str) -> tuple[int, int]:
    match = PERIOD.fullmatch(period)
    if match is None:
        raise RuleError("period", "期间格式应为 2026-Q4", "A period looks like 2026-Q4")
    return int(match.group(1)), int(match.group(2))


def quarters_of(year: int, today: date) -> list[str]:
    """The quarters of `year` that count towards its score on `today`: all four of a past year, those
    begun so far in the current one, none of a future one."""
    if year > today.year:
        return []
    last = 4 if year < today.year else (today.month - 1) // 3 + 1
    return [f"{year}-Q{q}" for q in range(1, last + 1)]


# -- points and caps -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleTerms:
    """What a rule says about points, as the ledger applies it."""

    mode: str  # "fixed" or "per_unit"
    points: int  # per time (fixed) or per unit; negative only for a deduction rule
    cap: int  # most points (in absolute value) one member gets from this rule in one period
    negative: bool = False
    evidence_required: bool = False


def check_terms(terms: RuleTerms) -> None:
    """A rule's own consistency (when it is written)."""
    if terms.mode not in ("fixed", "per_unit"):
        raise RuleError("mode", "计分方式须为 fixed 或 per_unit", "Mode is fixed or per_unit")
    if terms.points == 0:
        raise RuleError("points", "分值不能为 0", "Points cannot be 0")
    if terms.points < 0 and not terms.negative:
        raise RuleError("points", "只有扣分项的分值可以为负", "Only a deduction rule has negative points")
    if terms.points > 0 and terms.negative:
        raise RuleError("points", "扣分项的分值须为负数", "A deduction rule has negative points")
    if terms.cap < abs(terms.points):
        raise RuleError("cap", "每期上限不能小于一次的分值", "The cap per period is below one time's points")


def points_for(terms: RuleTerms, quantity: int) -> int:
    """The points of one claim: fixed rules take quantity 1; the result never exceeds the cap."""
    if quantity < 1:
        raise RuleError("quantity", "数量至少为 1", "Quantity is at least 1")
    if terms.mode == "fixed" and quantity != 1:
        raise RuleError("quantity", "固定分值项目的数量只能为 1", "A fixed-points rule takes quantity 1")
    points = terms.points * quantity
    if abs(points) > terms.cap:
        raise RuleError(
            "quantity",
            f"超过本项每期上限（{terms.cap} 分）",
            f"Over the rule's cap of {terms.cap} points per period",
        )
    return points


def room_under_cap(terms: RuleTerms, used: int) -> int:
    """Points (absolute) still available under the cap this period."""
    return max(0, terms.cap - used)


def check_room(terms: RuleTerms, used: int, points: int) -> None:
    if abs(points) > room_under_cap(terms, used):
        raise RuleError(
            "quantity",
            f"本期该项已计 {used} 分，上限 {terms.cap} 分，不能再计 {abs(points)} 分",
            f"{used} of the {terms.cap}-point cap already used this period; {abs(points)} more do not fit",
        )


# -- scores and tiers ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tier:
    code: str
    min_score: float  # inclusive lower bound
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Policy:
    base: int = 60
    floor: int = 0
    ceiling: int = 100
    notice_days: int = 7
    tiers: tuple[Tier, ...] = (
        Tier("excellent", 90, "优秀", "Excellent"),
        Tier("good", 80, "良好", "Good"),
        Tier("pass", 60, "合格", "Pass"),
        Tier("fail", float("-inf"), "不合格", "Fail"),
    )
    village_max_points: int = 5  # a village's own item: at most this many points per time or unit
    village_max_cap: int = 10  # and at most this cap per period

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "floor": self.floor,
            "ceiling": self.ceiling,
            "notice_days": self.notice_days,
            "tiers": [
                {"code": t.code, "min_score": None if t.min_score == float("-inf") else t.min_score,
                 "name_zh": t.name_zh, "name_en": t.name_en}
                for t in self.tiers
            ],
            "village_max_points": self.village_max_points,
            "village_max_cap": self.village_max_cap,
        }  # fmt: skip

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Policy:
        tiers = tuple(
            Tier(
                str(t["code"]),
                float("-inf") if t.get("min_score") is None else float(t["min_score"]),
                str(t["name_zh"]),
                str(t["name_en"]),
            )
            for t in data["tiers"]
        )
        return Policy(
            base=int(data["base"]),
            floor=int(data["floor"]),
            ceiling=int(data["ceiling"]),
            notice_days=int(data["notice_days"]),
            tiers=check_tiers(tiers),
            village_max_points=int(data["village_max_points"]),
            village_max_cap=int(data["village_max_cap"]),
        )


def check_tiers(tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
    """Tiers from the highest bound down, the last open below, codes unique."""
    if not tiers or tiers[-1].min_score != float("-inf"):
        raise RuleError("tiers", "最后一档须没有下限", "The last tier has no lower bound")
    bounds = [t.min_score for t in tiers]
    if bounds != sorted(bounds, reverse=True) or len(set(bounds)) != len(bounds):
        raise RuleError("tiers", "各档下限须从高到低且不重复", "Tier bounds must strictly decrease")
    if len({t.code for t in tiers}) != len(tiers):
        raise RuleError("tiers", "档次编码重复", "Tier codes repeat")
    return tiers


def score_of(policy: Policy, points: int) -> int:
    """A quarter's score: the base plus the period's final points, within [floor, ceiling]."""
    return max(policy.floor, min(policy.ceiling, policy.base + points))


def tier_of(policy: Policy, score: float) -> Tier:
    for tier in policy.tiers:
        if score >= tier.min_score:
            return tier
    return policy.tiers[-1]


def year_score(quarter_scores: list[int]) -> float | None:
    """The mean of the quarters' scores, to one decimal; None for a year without a quarter yet."""
    if not quarter_scores:
        return None
    return round(sum(quarter_scores) / len(quarter_scores), 1)


def rank_key(points: int, member_id: str) -> str:
    """A sort key for a leaderboard: higher points first when read backwards; equal points keep a stable
    order (by member id)."""
    return f"{points + RANK_OFFSET:08d}#{member_id}"


# -- the shipped catalogue -----------------------------------------------------------------------------
# (code, dimension, zh, en, mode, points, unit zh, unit en, cap per quarter, evidence, negative)
DefaultRule = tuple[str, str, str, str, str, int, str, str, int, bool, bool]
DEFAULT_RULES: tuple[DefaultRule, ...] = (
    ("fire_fighting", "dedication", "义务救火", "Volunteer fire-fighting", "per_unit", 10, "次", "time", 30, True,
     False),
    ("road_dredging", "dedication", "修路/清淤", "Road repair or ditch dredging", "per_unit", 5, "次", "time", 20, True,
     False),
    ("in_service_hours", "dedication", "在职党员服务时长", "In-service member's service hours", "per_unit", 1, "小时",
     "hour", 20, False, False),
    ("help_household", "dedication", "帮扶困难户", "Helping a household in difficulty", "per_unit", 5, "户",
     "household", 20, True, False),
    ("wall_removal", "responsibility", "带头拆围墙", "Leading the removal of walls", "fixed", 10, "次", "time", 20,
     True, False),
    ("mediation_success", "responsibility", "调解成功", "Successful mediation", "per_unit", 5, "件", "case", 20, False,
     False),
    ("whistle_on_time", "responsibility", "吹哨事项按时办结", "Whistle closed on time", "per_unit", 3, "件", "case", 15,
     False, False),
    ("courtyard_meeting", "responsibility", "屋场会参会", "Attending a courtyard meeting", "per_unit", 2, "次", "time",
     8, False, False),
    ("missed_duty", "responsibility", "履职缺位（扣分）", "Missed duty (deduction)", "per_unit", -5, "次", "time", 20,
     False, True),
    ("livestream_sales", "achievement", "直播带货助农", "Live-stream sales for farmers", "per_unit", 5, "场", "session",
     20, True, False),
    ("household_visits", "achievement", "联户走访", "Visiting covered households", "per_unit", 1, "户", "household",
     10, False, False),
    ("commendation", "achievement", "获得表彰", "Commendation received", "fixed", 10, "次", "time", 20, True, False),
)  # fmt: skip
