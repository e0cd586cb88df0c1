"""The deliberation slice's request and response models: concerns (诉求), the three meetings (民情三会), the
responsibility list (责任清单) and 四议两公开 village decisions."""

import re
from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from chalicelib.core.schemas import Out, Strict
from chalicelib.grid.schemas import CODE, PageQuery

ConcernLevel = Literal["group", "village", "town"]
ConcernSource = Literal["grid_head", "work_day", "meeting", "hotline"]
ConcernStatus = Literal["open", "answered", "in_deliberation", "assigned", "decided", "closed"]
Grade = Literal["urgent", "important", "routine"]
WhistleKind = Literal["routine", "tough", "emergency"]
AttendeeKind = Literal["household", "grid_head", "member", "cadre", "resident", "department"]
PhotoType = Literal["image/jpeg", "image/png", "image/webp"]
PHOTO_KEY = r"^concerns/[A-Za-z0-9/_.-]{1,200}$"

CONCERN_STATUS_LABELS: dict[str, str] = {
    "open": "待处理",
    "answered": "已当场答复",
    "in_deliberation": "议事中",
    "assigned": "已列入责任清单",
    "decided": "已研判",
    "closed": "已办结",
}
ITEM_STATUS_LABELS: dict[str, str] = {
    "registered": "已挂号",
    "in_progress": "办理中",
    "done": "已办完待回访",
    "closed": "已销号",
}


# -- concerns ------------------------------------------------------------------------------------------
class ConcernIn(Strict):
    text: str = Field(min_length=1, max_length=500, description="诉求内容 / what the resident asks")
    category: str = Field(min_length=1, max_length=40, description="诉求类别（目录 concern_category）/ category")
    unit: str | None = Field(None, pattern=CODE, description="涉及的网格单元 / the unit concerned")
    household: str | None = Field(None, max_length=64, description="涉及的住户 / the household concerned")
    raised_by: str | None = Field(None, max_length=20, description="反映人（答复时脱敏）/ who raised it (masked)")
    level: ConcernLevel = Field("group", description="层级：组/村/镇 / level: group, village or town")
    source: ConcernSource = Field(
        "grid_head",
        description="来源：三长、群众工作日、会议、12345 / logged by a 三长, on a work day, at a meeting, hotline",
    )
    photos: list[str] = Field(
        default_factory=list, max_length=9, description="照片（先经 /v1/concerns/photos 上传）/ uploaded photo keys"
    )

    @model_validator(mode="after")
    def _one_place(self) -> "ConcernIn":
        for key in self.photos:
            if not re.match(PHOTO_KEY, key):
                raise ValueError("照片须为本系统上传的文件 / a photo must be an uploaded key")
        if (self.unit is None) == (self.household is None):
            raise ValueError("须指明网格单元或住户之一 / name either a unit or a household")
        return self


class ConcernAnswerIn(Strict):
    answer: str = Field(min_length=1, max_length=500, description="当场答复 / the answer given on the spot")


class ConcernQuery(PageQuery):
    status: ConcernStatus | None = None


class ConcernPhotoOut(Out):
    key: str
    url: str = Field(description="限时查看地址 / a presigned GET URL")
    expires_in: int


class ConcernOut(Out):
    id: str
    text: str
    category: str
    unit: str
    unit_path: str
    household: str | None
    raised_by: str | None = Field(description="脱敏 / masked")
    level: str
    source: str
    status: str
    status_label: str
    answer: str | None
    grade: str | None
    deliberation: str | None
    item: str | None
    decision: str | None
    photos: list[ConcernPhotoOut] = Field(default_factory=list, description="照片（限时查看地址）/ photos")
    hotline_ticket: str | None = Field(None, description="12345工单号 / the hotline ticket it came from")
    created_at: str
    version: int


class PhotoUploadIn(Strict):
    content_type: PhotoType
    size: int = Field(ge=1, le=5_000_000, description="字节数（上限 5 MB）/ bytes (limit 5 MB)")


class PhotoUploadOut(Out):
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


class ConcernPage(Out):
    items: list[ConcernOut]
    next_cursor: str | None


# -- deliberations -------------------------------------------------------------------------------------
class DeliberationIn(Strict):
    unit: str = Field(pattern=CODE, description="召开屋场恳谈会的组、片或邻 / the group (or courtyard) meeting")
    title: str = Field(min_length=1, max_length=60, description="议题 / title")
    # at most 40: a change is one DynamoDB transaction (each concern and its audit event; limit 100 items)
    concerns: list[str] = Field(min_length=1, max_length=40, description="纳入议事的诉求 / concerns taken up")
    convened_on: date = Field(description="召开日期 / date of the courtyard meeting")
    place: str = Field(min_length=1, max_length=60, description="地点（屋场）/ place")


class AnalysisIn(Strict):
    village: str = Field(pattern=CODE, description="召开民情分析会的村（社区）/ the village")
    month: str = Field(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="月份，如 2026-11 / the month")
    session: int = Field(1, ge=1, le=99, description="1 为月度例会，2 起为临时召开 / 1 monthly, 2+ called")
    title: str = Field(min_length=1, max_length=60, description="议题 / title")
    convened_on: date = Field(description="召开日期 / date of the analysis meeting")
    place: str = Field(min_length=1, max_length=60, description="地点 / place")


class AttendeeIn(Strict):
    kind: AttendeeKind = Field(description="住户、三长、党员、干部、群众、部门 / who signs in")
    ref: str | None = Field(None, max_length=64, description="住户或党员的编号 / household or member id")
    name: str | None = Field(None, max_length=20, description="姓名（答复时脱敏）/ name (masked in answers)")

    @model_validator(mode="after")
    def _someone(self) -> "AttendeeIn":
        if self.kind in ("household", "member") and not self.ref:
            raise ValueError("住户或党员须填编号 / a household or member needs its id")
        if self.kind not in ("household", "member") and not self.name:
            raise ValueError("须填姓名 / a name is required")
        return self


class AttendanceIn(Strict):
    attendees: list[AttendeeIn] = Field(min_length=1, max_length=200)


class CourtyardOutcomeIn(Strict):
    concern: str = Field(max_length=64)
    outcome: Literal["answered", "forwarded"] = Field(description="当场答复或提交民情分析会 / answered or forwarded")
    answer: str | None = Field(None, max_length=500, description="答复内容 / the answer")

    @model_validator(mode="after")
    def _answer(self) -> "CourtyardOutcomeIn":
        if self.outcome == "answered" and not self.answer:
            raise ValueError("当场答复须填答复内容 / an answered concern needs the answer")
        return self


class AnswersIn(Strict):
    items: list[CourtyardOutcomeIn] = Field(min_length=1, max_length=40)


class GradeIn(Strict):
    concern: str = Field(max_length=64)
    grade: Grade = Field(description="紧急、重要、常态 / urgent, important, routine")
    action: Literal["assign", "town"] = Field(description="列入责任清单或提交镇研判 / assign or send to the town")
    task: str | None = Field(None, max_length=200, description="责任事项 / the task")
    lead_unit: str | None = Field(None, pattern=CODE, description="牵头单位 / lead unit")
    responsible_units: list[str] = Field(default_factory=list, max_length=10, description="责任单位 / responsible")
    deadline: date | None = Field(None, description="完成时限 / deadline")

    @model_validator(mode="after")
    def _assignment(self) -> "GradeIn":
        if self.action == "assign" and (not self.task or self.lead_unit is None or self.deadline is None):
            raise ValueError("列入责任清单须填事项、牵头单位和时限 / an assignment needs task, lead unit, deadline")
        return self


class GradesIn(Strict):
    items: list[GradeIn] = Field(min_length=1, max_length=24)  # an assignment writes four items


class WhistleIn(Strict):
    department: str = Field(min_length=1, max_length=40, description="被吹哨的部门 / department called")
    kind: WhistleKind = Field("routine", description="日常哨、攻坚哨、应急哨 / routine, tough, emergency")


class TownDecisionIn(Strict):
    concern: str = Field(max_length=64)
    decision: str = Field(min_length=1, max_length=1000, description="一事一策 / the decision for this matter")
    lead_department: str | None = Field(None, max_length=40, description="牵头部门 / lead department")
    deadline: date | None = None
    whistle: WhistleIn | None = Field(None, description="吹哨（由吹哨报到处理）/ blow a whistle for a department")


class TownDecisionsIn(Strict):
    items: list[TownDecisionIn] = Field(min_length=1, max_length=40)


class MinutesIn(Strict):
    text: str = Field(min_length=1, max_length=5000, description="会议纪要 / minutes")


class AttendeeOut(Out):
    kind: str
    ref: str | None
    name: str | None = Field(description="脱敏 / masked")
    signed_by_role: str


class OutcomeOut(Out):
    concern: str
    outcome: str | None = None
    answer: str | None = None
    grade: str | None = None
    action: str | None = None
    item: str | None = None
    decision: str | None = None
    lead_department: str | None = None
    whistle_requested: dict[str, Any] | None = None


class MinutesVersionOut(Out):
    version: int
    text: str
    at: str
    by_role: str


class CorrectionIn(Strict):
    stage: Literal["courtyard_meeting", "analysis_meeting", "town_review"] = Field(description="更正哪次会议的纪要")
    text: str = Field(min_length=1, max_length=5000, description="更正后的纪要全文 / the corrected minutes")
    reason: str = Field(min_length=1, max_length=500, description="更正理由 / why")


class MinutesObjectionIn(Strict):
    text: str = Field(min_length=1, max_length=1000, description="异议 / the objection")


class ObjectionReplyIn(Strict):
    text: str = Field(min_length=1, max_length=1000, description="答复 / the reply")


class CorrectionOut(Out):
    id: str
    stage: str
    version: int
    references: int = Field(description="所更正的版本 / the version it corrects")
    text: str
    reason: str
    drafted_at: str
    by_role: str
    review_until: str
    confirmed_by: list[str]
    objections: list[dict[str, Any]] = Field(description="异议及答复（提出人脱敏）/ objections and replies")
    frozen: bool
    frozen_at: str | None
    hash: str | None


class MinutesOut(Out):
    text: str | None
    versions: list[MinutesVersionOut]
    confirmed_by: list[str]
    frozen: bool
    frozen_at: str | None
    hash: str | None
    corrections: list[CorrectionOut] = Field(default_factory=list, description="定稿后的更正版本 / corrections")


class MeetingOut(Out):
    stage: str
    label: str
    unit: str
    attendees: list[AttendeeOut]
    outcomes: list[OutcomeOut]
    minutes: MinutesOut
    concluded_at: str | None


class MeetingLapseOut(Out):
    stage: str
    at: str
    escalated_to: str = Field(description="督办单位 / the unit above that supervises")


class WorkflowOut(Out):
    step: str | None
    waiting_since: str | None
    execution: str | None
    restarts: int
    lapses: list[MeetingLapseOut]


class DeliberationOut(Out):
    id: str
    title: str
    unit: str
    unit_path: str
    village: str
    town: str
    stage: str
    stage_label: str
    concerns: list[str]
    convened_on: str
    place: str
    meetings: list[MeetingOut]
    workflow: WorkflowOut
    kind: str = Field("courtyard", description="courtyard（屋场恳谈会起）或 analysis（村民情分析会）")
    month: str | None = Field(None, description="民情分析会的月份 / the analysis meeting's month")
    sources: list[str] = Field(default_factory=list, description="汇入本次分析会的屋场恳谈会 / courtyard meetings")
    analysis: str | None = Field(None, description="本次恳谈会诉求汇入的民情分析会 / the analysis that took it up")
    created_at: str
    version: int


class DeliberationPage(Out):
    items: list[DeliberationOut]
    next_cursor: str | None


class TimelineEntry(Out):
    at: str
    kind: str
    stage: str | None
    label: str
    by_role: str | None
    deliberation: str | None = Field(None, description="所属议事记录 / the record the step belongs to")


class TimelineOut(Out):
    id: str
    items: list[TimelineEntry]


# -- responsibility list -------------------------------------------------------------------------------
class ItemProgressIn(Strict):
    kind: Literal["accept", "progress", "done"] = Field(description="接单、进展、办完 / accept, progress, done")
    unit: str | None = Field(None, pattern=CODE, description="接单的责任单位 / the accepting unit")
    note: str | None = Field(None, max_length=500)


class ItemCloseIn(Strict):
    satisfaction: Literal["satisfied", "basically_satisfied", "unsatisfied"] = Field(
        description="回访满意度 / the resident's satisfaction at the follow-up"
    )
    note: str | None = Field(None, max_length=500)


class ItemQuery(PageQuery):
    overdue: bool | None = Field(None, description="只看逾期（挂牌督办）/ only overdue items")


class ItemOut(Out):
    id: str
    deliberation: str
    concern: str
    task: str
    grade: str
    lead_unit: str
    lead_unit_path: str
    responsible_units: list[str]
    accepted_by: list[str]
    deadline: str
    status: str
    status_label: str
    overdue: bool
    progress: list[dict[str, Any]]
    satisfaction: str | None
    closed_at: str | None
    version: int


class ItemPage(Out):
    items: list[ItemOut]
    next_cursor: str | None


class SupervisionOut(Out):
    """挂牌督办: what the unit above must chase in this subtree."""

    lapsed_meetings: list[dict[str, Any]]
    overdue_items: list[ItemOut]


# -- 四议两公开 -----------------------------------------------------------------------------------------
class VillageDecisionIn(Strict):
    village: str = Field(pattern=CODE, description="村/社区 / the village")
    title: str = Field(min_length=1, max_length=60)
    proposal: str = Field(min_length=1, max_length=2000, description="村党组织提议 / the proposal")
    branch: str = Field(min_length=1, max_length=60, description="审议的党支部 / the party branch that reviews it")


class ConsultationIn(Strict):
    note: str = Field(min_length=1, max_length=2000, description="村两委商议意见 / the consultation's conclusion")


class VoteIn(Strict):
    meeting: Literal["party_meeting", "villagers_meeting"]
    entitled: int | None = Field(
        None, ge=1, le=100000, description="应到人数（仅村民代表会议；党员大会按党员名册计）/ entitled (villagers only)"
    )
    present: int = Field(ge=0, le=100000)
    in_favour: int = Field(ge=0, le=100000)
    against: int = Field(0, ge=0, le=100000)
    abstain: int = Field(0, ge=0, le=100000)
    held_on: date


class DecisionObjectionIn(Strict):
    text: str = Field(
        min_length=1,
        max_length=1000,
        description="异议内容（请勿写入他人姓名、电话、身份证号）/ the objection (leave out others' names and numbers)",
    )
    raised_by: str | None = Field(None, max_length=20, description="异议人（脱敏）/ who objects (masked)")


class StepNoteIn(Strict):
    note: str = Field(min_length=1, max_length=2000)


class VoteOut(Out):
    meeting: str
    held_on: str
    entitled: int
    present: int
    in_favour: int
    against: int
    abstain: int
    quorum_met: bool
    adopted: bool
    outcome: str


class VillageDecisionOut(Out):
    id: str
    village: str
    village_path: str
    title: str
    proposal: str
    branch: str
    stage: str
    stage_label: str
    consultation: str | None
    votes: list[VoteOut]
    published_at: str | None
    objection_until: str | None
    objections: list[dict[str, Any]] = Field(description="异议及答复（异议人脱敏）/ objections and replies, masked")
    open_objections: list[int] = Field(default_factory=list, description="未答复的异议编号 / objections without reply")
    implementation: str | None
    result: str | None
    timeline: list[TimelineEntry]
    workflow: WorkflowOut
    version: int


class ObjectionReplyOut(Out):
    text: str = Field(description="答复（异议人姓名、证件号、手机号脱敏）/ the reply, masked")
    by: str | None = Field(description="答复的干部 / the cadre who replied")
    by_role: str
    at: str


class DecisionObjectionOut(Out):
    n: int = Field(description="异议编号 / the objection's number")
    at: str | None = None
    text: str = Field(description="异议（异议人姓名、证件号、手机号脱敏）/ the objection, masked")
    raised_by: str | None = Field(None, description="异议人（脱敏）/ who objects, masked")
    by_role: str | None = Field(None, description="登记人角色 / role of who recorded it")
    answered: bool
    replies: list[ObjectionReplyOut]


class DecisionObjectionsOut(Out):
    decision: str
    stage: str
    objection_until: str | None
    open: list[int] = Field(description="未答复的异议编号 / objections without a reply")
    items: list[DecisionObjectionOut]
    version: int = Field(description="决策事项的版本（答复时 If-Match）/ the decision's version, for If-Match")
