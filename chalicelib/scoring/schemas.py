"""The scoring slice's request and response models (三比: rules, ledger entries, scorecards, rankings)."""

from datetime import date
from typing import Literal

from pydantic import Field

from chalicelib.core.schemas import Out, Strict
from chalicelib.grid.schemas import CODE

Dimension = Literal["dedication", "responsibility", "achievement"]
Board = Literal["total", "dedication", "responsibility", "achievement"]
Status = Literal["claimed", "group_reviewed", "branch_approved", "public_notice", "final", "rejected"]
RULE_CODE = r"^[a-z][a-z0-9_]{1,39}$"
PERIOD = r"^\d{4}-Q[1-4]$"
EVIDENCE_KEY = r"^evidence/[A-Za-z0-9/_.-]{1,200}$"

STATUS_LABELS: dict[str, str] = {
    "claimed": "已申报",
    "group_reviewed": "党小组已初评",
    "branch_approved": "支部已初定",
    "public_notice": "公示中",
    "final": "已确认",
    "rejected": "未通过",
    "objected": "有异议，退回支部",
}


# -- policy and rules ----------------------------------------------------------------------------------
class TierIn(Strict):
    code: str = Field(pattern=r"^[a-z_]{2,20}$")
    min_score: float | None = Field(description="下限（含）；最后一档为空 / inclusive lower bound; none for the last")
    name_zh: str = Field(min_length=1, max_length=10)
    name_en: str = Field(min_length=1, max_length=20)


class PolicyIn(Strict):
    base: int = Field(60, ge=0, le=100, description="基础分 / base score")
    floor: int = Field(0, ge=0, le=100)
    ceiling: int = Field(100, ge=1, le=1000)
    notice_days: int = Field(7, ge=0, le=30, description="公示天数 / days of public notice")
    tiers: list[TierIn] = Field(min_length=1, max_length=8)
    village_max_points: int = Field(5, ge=1, le=100, description="村级自设项目每次/每单位分值上限")
    village_max_cap: int = Field(10, ge=1, le=100, description="村级自设项目每期上限 / cap of a village item")


class TierOut(Out):
    code: str
    min_score: float | None
    name_zh: str
    name_en: str


class PolicyOut(Out):
    county: str
    base: int
    floor: int
    ceiling: int
    notice_days: int
    tiers: list[TierOut]
    village_max_points: int
    village_max_cap: int
    version: int


class RuleIn(Strict):
    owner: str = Field(pattern=CODE, description="县（市）级或村级单元编码 / the county's or a village's unit code")
    code: str = Field(pattern=RULE_CODE, description="项目编码 / item code")
    dimension: Dimension
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=80)
    mode: Literal["fixed", "per_unit"] = Field(description="固定分值或按单位计分 / fixed or per unit")
    points: int = Field(ge=-100, le=100, description="每次或每单位分值（扣分项为负）/ points per time or unit")
    unit_zh: str = Field("次", min_length=1, max_length=10)
    unit_en: str = Field("time", min_length=1, max_length=20)
    cap: int = Field(ge=1, le=100, description="每人每期上限（绝对值）/ cap per member and period")
    evidence_required: bool = False
    negative: bool = Field(False, description="扣分项 / a deduction")
    note: str | None = Field(None, max_length=200)


class RuleUpdate(Strict):
    name_zh: str | None = Field(None, min_length=1, max_length=40)
    name_en: str | None = Field(None, min_length=1, max_length=80)
    points: int | None = Field(None, ge=-100, le=100)
    unit_zh: str | None = Field(None, min_length=1, max_length=10)
    unit_en: str | None = Field(None, min_length=1, max_length=20)
    cap: int | None = Field(None, ge=1, le=100)
    evidence_required: bool | None = None
    active: bool | None = None
    note: str | None = Field(None, max_length=200)


class RuleOut(Out):
    owner: str
    code: str
    dimension: str
    dimension_label: str
    name_zh: str
    name_en: str
    mode: str
    points: int
    unit_zh: str
    unit_en: str
    cap: int
    evidence_required: bool
    negative: bool
    active: bool
    version: int
    changed_at: str
    note: str | None


class RuleDetailOut(RuleOut):
    versions: list[RuleOut]


class RuleList(Out):
    items: list[RuleOut]


# -- entries -------------------------------------------------------------------------------------------
class ClaimIn(Strict):
    member: str = Field(min_length=1, max_length=64, description="党员编号 / member id")
    rule: str = Field(pattern=RULE_CODE, description="项目编码 / item code")
    quantity: int = Field(1, ge=1, le=1000, description="次数、小时数或户数 / times, hours or households")
    occurred_on: date = Field(description="发生日期（决定季度）/ the day of the deed (sets the quarter)")
    evidence: list[str] = Field(default_factory=list, max_length=9, description="佐证照片 / evidence photo keys")
    note: str | None = Field(None, max_length=500)


class ReviewIn(Strict):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(None, max_length=500, description="驳回须说明理由 / a rejection needs a reason")


class ObjectionIn(Strict):
    reason: str = Field(min_length=2, max_length=500, description="异议理由 / the reason")
    objector: str | None = Field(None, max_length=20, description="提出人（可匿名）/ who objects (optional)")


class ReversalIn(Strict):
    reason: str = Field(min_length=2, max_length=500)


class StepOut(Out):
    at: str
    status: str
    status_label: str
    by_role: str
    reason: str | None


class EntryOut(Out):
    id: str
    kind: str
    member: str
    member_name: str
    rule: str
    rule_owner: str
    rule_version: int
    rule_name_zh: str
    rule_name_en: str
    dimension: str
    quantity: int
    points: int
    explanation: str
    period: str
    occurred_on: str
    unit: str
    unit_path: str
    evidence: list[str]
    note: str | None
    status: str
    status_label: str
    notice_ends: str | None
    reverses: str | None
    reversed_by: str | None
    source_event: str | None
    history: list[StepOut]


class EntryPage(Out):
    items: list[EntryOut]
    next_cursor: str | None


class UnitEntriesQuery(Strict):
    status: Status = "public_notice"
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=2000)


# -- read side -----------------------------------------------------------------------------------------
class ScorecardQuery(Strict):
    year: int = Field(ge=2000, le=2100)


class QuarterOut(Out):
    period: str
    points: int
    dimensions: dict[str, int]
    pending: int
    score: int
    tier: str
    tier_label: str


class ScorecardOut(Out):
    member: str
    name: str
    year: int
    base: int
    quarters: list[QuarterOut]
    year_score: float | None
    year_tier: str | None
    year_tier_label: str | None
    entries: list[EntryOut]


class LeaderboardQuery(Strict):
    period: str = Field(pattern=PERIOD)
    dimension: Board = "total"
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2000)


class StandingOut(Out):
    rank: int | None = Field(description="名次（首页起算；并列按编号稳定排序）/ place, from the first page")
    member: str
    name: str
    unit_path: str
    points: int
    dimensions: dict[str, int]
    score: int
    tier: str
    tier_label: str


class LeaderboardOut(Out):
    unit: str
    period: str
    dimension: str
    items: list[StandingOut]
    next_cursor: str | None


class PeriodQuery(Strict):
    period: str = Field(pattern=PERIOD)


class TierCountOut(Out):
    tier: str
    label: str
    members: int


class TiersOut(Out):
    unit: str
    period: str
    members: int
    scored: int
    points: int
    final_entries: int
    tiers: list[TierCountOut]


class EvidenceIn(Strict):
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    size: int = Field(ge=1, le=5_000_000, description="字节数（上限 5 MB）/ bytes (limit 5 MB)")


class EvidenceOut(Out):
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int
