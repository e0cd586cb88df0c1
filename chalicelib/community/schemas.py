"""Request and response models of 在职党员到社区报到: needs (需求表), report-ins (报到单), claims and service
logs (服务登记卡)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from chalicelib.core.schemas import Out, Strict
from chalicelib.grid.schemas import PageQuery

Period = Annotated[str, Field(pattern=r"^20\d\d$", description="年度 / the period (a year), e.g. 2026")]
NEED_STATES: dict[str, str] = {"open": "招募中", "closed": "已关闭"}
SERVICE_STATES: dict[str, str] = {"pending": "待确认", "confirmed": "已确认", "disputed": "有异议"}


class NeedIn(Strict):
    title: str = Field(min_length=1, max_length=60, description="需求名称 / title")
    description: str = Field("", max_length=1000, description="需求说明 / description")
    category: str = Field(min_length=1, max_length=40, description="需求类别（目录 community_need）/ category")
    slots: int = Field(ge=1, le=200, description="需要人数 / how many members it needs")
    start: dt.date = Field(description="开始日期 / start date")
    end: dt.date = Field(description="结束日期 / end date")

    @model_validator(mode="after")
    def _dates(self) -> "NeedIn":
        if self.end < self.start:
            raise ValueError("结束日期不能早于开始日期 / the end cannot precede the start")
        return self


class NeedQuery(PageQuery):
    state: Literal["open", "closed"] | None = None


class NeedOut(Out):
    id: str
    title: str
    description: str
    category: str
    category_label: str
    unit: str
    unit_path: str
    slots: int
    taken: int = Field(description="已认领人数 / members who hold a claim")
    start: str
    end: str
    period: str
    state: str
    state_label: str
    version: int


class NeedPage(Out):
    items: list[NeedOut]
    next_cursor: str | None


class ReportInIn(Strict):
    member: str = Field(min_length=1, max_length=64, description="报到的在职党员编号 / the in-service member")
    period: Period
    date: dt.date = Field(description="报到日期 / date of reporting in")
    note: str | None = Field(None, max_length=200)


class ReportInOut(Out):
    id: str
    member: str
    member_name: str
    workplace: str | None
    period: str
    date: str
    community: str = Field(description="报到的村（社区）编码 / the community (village) reported to")
    unit: str
    unit_path: str
    recorded_by: str
    recorded_role: str
    recorded_at: str
    note: str | None


class ReportInQuery(PageQuery):
    period: Period


class ReportInPage(Out):
    items: list[ReportInOut]
    next_cursor: str | None


class MissingOut(Out):
    member: str
    name: str
    workplace: str | None
    branch: str
    unit: str
    unit_path: str


class MissingPage(Out):
    period: str
    items: list[MissingOut]
    next_cursor: str | None


class NeedClaimIn(Strict):
    member: str = Field(min_length=1, max_length=64, description="认领的党员编号 / the member claiming")


class ClaimOut(Out):
    need: str
    member: str
    state: str
    claimed_at: str
    withdrawn_at: str | None
    need_taken: int
    need_slots: int


class ServiceIn(Strict):
    member: str = Field(min_length=1, max_length=64, description="服务的党员编号 / the member who served")
    date: dt.date = Field(description="服务日期 / date served")
    hours: Decimal = Field(ge=Decimal("0.5"), le=Decimal(24), description="时长（0.5–24 小时，半小时为单位）/ hours")
    description: str = Field(min_length=1, max_length=500, description="服务内容 / what was done")
    need: str | None = Field(None, max_length=64, description="所服务的需求（可选）/ the need served (optional)")

    @field_validator("hours")
    @classmethod
    def _half_hours(cls, value: Decimal) -> Decimal:
        if (value * 2) % 1 != 0:
            raise ValueError("时长以半小时为单位 / hours come in halves")
        return value


class DisputeIn(Strict):
    reason: str = Field(min_length=1, max_length=300, description="异议理由 / why it is disputed")


class ServiceOut(Out):
    id: str
    member: str
    period: str
    date: str
    hours: float
    description: str
    need: str | None
    unit: str
    unit_path: str
    state: str
    state_label: str
    recorded_by: str
    reviewed_by: str | None
    reviewed_role: str | None
    reviewed_at: str | None
    dispute_reason: str | None
    source_event_id: str | None = Field(description="三比积分的来源事件编号（确认后）/ scoring source event id")
    version: int


class ServiceQuery(PageQuery):
    period: Period
    state: Literal["pending", "confirmed", "disputed"] | None = None


class MemberServiceQuery(Strict):
    period: Period


class ServicePage(Out):
    items: list[ServiceOut]
    next_cursor: str | None


class MemberServiceOut(Out):
    member: str
    period: str
    confirmed_hours: float = Field(description="已确认服务时长合计 / confirmed hours in the period")
    confirmed_records: int
    items: list[ServiceOut]
