"""The whistle slice's request and response models (吹哨报到: tickets to departments with time limits)."""

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from chalicelib.core.schemas import Out, Strict

Kind = Literal["routine", "tough", "emergency"]
Hours = Literal["working", "calendar"]
CODE = r"^[a-z][a-z0-9_]{1,39}$"


def _https_urls(value: list[str]) -> list[str]:
    for url in value:
        if not url.startswith("https://") or len(url) > 500 or any(c.isspace() for c in url):
            raise ValueError("照片须为 https 链接 / photos must be https URLs")
    return value


# -- catalogue ---------------------------------------------------------------------------------------------
class LimitSpec(Strict):
    report_in_seconds: int = Field(ge=1, le=30 * 86400, description="报到时限（秒）/ time to report in")
    resolve_seconds: int = Field(ge=1, le=180 * 86400, description="办结时限（秒）/ time to resolve")
    grace_seconds: int = Field(ge=1, le=30 * 86400, description="催办后至挂牌督办（秒）/ reminder to escalation")
    hours: Hours = Field(description="工作时间或自然时间 / working or calendar hours")


class CategoryIn(Strict):
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=80)
    lead: str = Field(pattern=CODE, description="默认牵头部门 / default lead department")
    co: list[str] = Field(default_factory=list, max_length=8, description="默认配合部门 / co-departments")
    limits: dict[Kind, LimitSpec] = Field(description="各哨种时限 / limits per kind")
    handover_seconds: int = Field(172800, ge=1, le=30 * 86400, description="退单后改派时限 / hand-over limit")
    active: bool = True

    @model_validator(mode="after")
    def _check(self) -> "CategoryIn":
        if set(self.limits) != {"routine", "tough", "emergency"}:
            raise ValueError("须给出三种哨的时限 / limits for routine, tough and emergency are required")
        if self.lead in self.co or len(set(self.co)) != len(self.co):
            raise ValueError("牵头部门与配合部门不能重复 / lead and co-departments must differ")
        return self


class CategoryOut(Out):
    code: str
    name_zh: str
    name_en: str
    lead: str
    co: list[str]
    limits: dict[str, dict[str, Any]]
    handover_seconds: int
    active: bool


class CategoryList(Out):
    items: list[CategoryOut]


class KindRuleIn(Strict):
    whistlers: list[Literal["area_head", "village_cadre", "town_cadre", "city_admin"]] = Field(min_length=1)
    auto_dispatch: bool = Field(description="吹哨即派给默认部门 / dispatch to the category's departments at once")
    verify_seconds: int = Field(ge=1, le=30 * 86400, description="吹哨人核验时限 / the whistler's window")


class KindRuleOut(Out):
    kind: str
    label: str
    whistlers: list[str]
    auto_dispatch: bool
    verify_seconds: int


class KindRuleList(Out):
    items: list[KindRuleOut]


class DepartmentOut(Out):
    code: str
    name_zh: str
    name_en: str


class DepartmentList(Out):
    items: list[DepartmentOut]


# -- tickets -----------------------------------------------------------------------------------------------
class LocationIn(Strict):
    unit: str = Field(min_length=1, max_length=64, description="网格单元编码 / grid unit code")
    address: str = Field(min_length=1, max_length=200, description="地址 / address")
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)


class TicketIn(Strict):
    kind: Kind = Field(description="日常哨/攻坚哨/应急哨 / routine, tough or emergency")
    category: str = Field(pattern=CODE)
    description: str = Field(min_length=1, max_length=4000)
    location: LocationIn
    photos: list[str] = Field(default_factory=list, max_length=9)
    lead: str | None = Field(None, pattern=CODE, description="牵头部门（默认取类别）/ lead (default: category's)")
    co: list[str] | None = Field(None, max_length=8)
    source: str | None = Field(
        None, max_length=120, pattern=r"^(concern|deliberation|mediation|case|hotline|open311):[\w\-.#/]{1,100}$",
        description="来源，如 deliberation:<id> / the record it came from, e.g. deliberation:<id>",
    )  # fmt: skip
    hotline_ticket: str | None = Field(None, max_length=64, description="答复的12345工单号 / hotline ticket answered")

    _urls = field_validator("photos")(_https_urls)


class DispatchIn(Strict):
    lead: str | None = Field(None, pattern=CODE)
    co: list[str] | None = Field(None, max_length=8)
    note: str | None = Field(None, max_length=500)


class NoteIn(Strict):
    note: str | None = Field(None, max_length=2000)


class ProgressIn(Strict):
    note: str = Field(min_length=1, max_length=2000)
    photos: list[str] = Field(default_factory=list, max_length=9)

    _urls = field_validator("photos")(_https_urls)


class ResolveIn(ProgressIn):
    pass


class ReturnIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class ExtensionIn(Strict):
    seconds: int = Field(ge=60, le=30 * 86400, description="延长的时间（秒）/ extra time")
    reason: str = Field(min_length=1, max_length=500)


class DecisionIn(Strict):
    grant: bool
    note: str | None = Field(None, max_length=500)


class VerifyIn(Strict):
    ok: bool = Field(description="现场核验是否解决 / solved on the ground?")
    note: str | None = Field(None, max_length=1000)


class EvaluateIn(Strict):
    satisfaction: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=1000)


class TicketQuery(Strict):
    status: str | None = Field(None, max_length=30)
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=2000)


class LapseOut(Out):
    phase: str
    level: str
    at: str


class AckOut(Out):
    department: str
    role: str
    report_in_due: str | None
    reported_in_at: str | None
    on_time: bool | None


class TicketOut(Out):
    id: str
    kind: str
    kind_label: str
    category: str
    description: str
    unit: str
    unit_path: str
    address: str
    lat: float | None
    long: float | None
    photos: list[str]
    whistler: dict[str, str]
    lead: str | None
    co: list[str]
    departments: list[AckOut]
    status: str
    status_label: str
    phase: str | None
    phase_due: str | None
    report_in_due: str | None
    resolve_due: str | None
    source: str | None
    hotline_ticket: str | None
    notes: list[dict[str, Any]]
    returns: list[dict[str, Any]]
    extensions: list[dict[str, Any]]
    resolution: dict[str, Any] | None
    verification: dict[str, Any] | None
    evaluation: dict[str, Any] | None
    history: list[dict[str, Any]]
    lapses: list[LapseOut]
    supervised_by: str | None
    created_at: str
    updated_at: str
    version: int


class TicketPage(Out):
    items: list[TicketOut]
    next_cursor: str | None


class ScorecardPeriodQuery(Strict):
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="月份 YYYY-MM / month")


class DepartmentScorecardOut(Out):
    department: str
    period: str
    received: int
    reported_in: int
    report_in_on_time_rate: float | None
    resolved: int
    resolve_on_time_rate: float | None
    median_report_in_minutes: float | None
    median_resolve_minutes: float | None
    returns: int
    extensions: int
    evaluations: int
    satisfaction: float | None
    reopened: int
    reopen_rate: float | None


class TownRateOut(Out):
    town: str
    period: str
    whistles: int
    by_kind: dict[str, int]
    rate_by_kind: dict[str, float | None]


# -- 12345 hotline tickets -----------------------------------------------------------------------------------
class HotlineIn(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9\-]{4,40}$", description="热线工单号 / the hotline's ticket number")
    kind: Literal["emergency", "consult", "help", "complaint"] = Field(description="应急/咨询/求助/投诉")
    category: str = Field(pattern=CODE)
    text: str = Field(min_length=1, max_length=4000)
    unit: str = Field(min_length=1, max_length=64, description="所在镇（街道）或以下单元 / town or below")
    caller_name: str | None = Field(None, max_length=20, description="只存脱敏值 / stored masked only")
    caller_phone: str | None = Field(None, max_length=20, description="只存脱敏值 / stored masked only")
    limit_days: int | None = Field(None, ge=1, le=30, description="办理时限（工作日）/ limit in working days")


class HotlineDispatchIn(Strict):
    to: Literal["whistle", "concern"] = Field(description="吹哨派给部门，或转村（社区）诉求 / whistle or concern")
    kind: Kind = "routine"
    lead: str | None = Field(None, pattern=CODE)
    co: list[str] | None = Field(None, max_length=8)
    address: str | None = Field(None, max_length=200)
    concern_unit: str | None = Field(None, max_length=64, description="转办的村（社区）/ the village")


class OutcomeIn(Strict):
    text: str = Field(min_length=1, max_length=2000, description="办理结果 / outcome")


class CallbackIn(Strict):
    resolved: bool = Field(description="回访：是否解决 / resolved?")
    satisfied: bool = Field(description="回访：是否满意 / satisfied?")


class HotlineOut(Out):
    id: str
    agency: str
    kind: str
    category: str
    text: str
    caller: str | None
    unit: str
    unit_path: str
    received_at: str
    due: str
    status: str
    whistle_ticket: str | None
    concern_unit: str | None
    concern: str | None = Field(None, description="转成的村（社区）诉求 / the village concern it became")
    outcome: str | None
    resolved: bool | None
    satisfied: bool | None
    history: list[dict[str, Any]]
    version: int


class HotlineTrendQuery(Strict):
    start: str | None = Field(
        None, alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$", description="起始日（默认截止日前29天）/ first day"
    )
    end: str | None = Field(
        None, alias="to", pattern=r"^\d{4}-\d{2}-\d{2}$", description="截止日（默认今天）/ last day"
    )
    bucket: Literal["day", "week"] = Field("day", description="按日或按周（周一起）/ per day or per ISO week")


class HotlineTrendPoint(Out):
    period: str = Field(description="日期，或该周周一 / the day, or the Monday of the week")
    total: int
    by_category: dict[str, int]
    by_kind: dict[str, int]
    by_status: dict[str, int] = Field(description="当日受理工单的当前状态 / current status of that day's tickets")


class HotlineTrendOut(Out):
    unit: str
    unit_path: str
    start: str
    end: str
    bucket: str
    points: list[HotlineTrendPoint] = Field(description="窗口内每一日（周），含零 / every bucket, zeros included")
    totals: HotlineTrendPoint


# -- webhooks ------------------------------------------------------------------------------------------------
EVENTS = ("*", "whistle.create", "whistle.dispatch", "whistle.report_in", "whistle.progress", "whistle.resolve",
          "whistle.return", "whistle.request_extension", "whistle.grant_extension", "whistle.refuse_extension",
          "whistle.verify", "whistle.reject", "whistle.evaluate", "whistle.close")  # fmt: skip


class SubscriptionIn(Strict):
    url: str = Field(pattern=r"^https?://[^\s]{4,500}$", description="接收地址（https）/ receiver URL (https)")
    events: list[str] = Field(default_factory=lambda: ["*"], min_length=1, max_length=20)

    @field_validator("events")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in EVENTS]
        if unknown:
            raise ValueError(f"未知事件 / unknown events: {', '.join(unknown)}")
        return value


class SubscriptionOut(Out):
    id: str
    url: str
    events: list[str]
    created_at: str
    secret: str | None = Field(description="签名密钥，仅在创建时返回一次 / signing secret, shown once")


class SubscriptionList(Out):
    items: list[SubscriptionOut]


class DeliveryOut(Out):
    id: str
    subscription: str
    event: str
    ticket_id: str
    status: str
    attempts: int
    log: list[dict[str, Any]]
    created_at: str


class DeliveryList(Out):
    items: list[DeliveryOut]
