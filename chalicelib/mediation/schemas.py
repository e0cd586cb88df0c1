"""The mediation slice's request and response models (人民调解: cases, sessions, agreements, figures)."""

import re
from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from chalicelib.core.schemas import Out, Strict
from chalicelib.grid.schemas import CODE, PageQuery, _phone
from chalicelib.members import idcard

Source = Literal["application", "proactive", "police_referral", "court_entrusted", "government_assigned", "hotline"]
SOURCE_LABELS: dict[str, str] = {
    "application": "当事人申请",
    "proactive": "主动调解",
    "police_referral": "公安移交",
    "court_entrusted": "法院委托",
    "government_assigned": "政府交办",
    "hotline": "12345热线转办",
}
Risk = Literal["red", "yellow", "green"]
RISK_LABELS: dict[str, str] = {"red": "红", "yellow": "黄", "green": "绿"}
CaseLevel = Literal["group", "village", "town"]
CASE_LEVELS: tuple[str, ...] = ("group", "village", "town")
CASE_LEVEL_LABELS: dict[str, str] = {"group": "组", "village": "村", "town": "镇"}
STATUS_LABELS: dict[str, str] = {
    "registered": "已登记",
    "rights_notified": "已告知权利义务",
    "investigating": "调查中",
    "mediating": "调解中",
    "agreement_reached": "达成协议",
    "failed": "调解不成",
    "performing": "履行中",
    "follow_up": "回访",
    "escalated": "已上交上级",
    "closed": "已结案",
    "withdrawn": "当事人撤回",
}
FailRoute = Literal["court", "arbitration", "administrative"]
ROUTE_LABELS: dict[str, str] = {
    "court": "向人民法院起诉",
    "arbitration": "申请仲裁",
    "administrative": "请求行政机关处理",
}
Side = Literal["applicant", "respondent"]
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
RevealPurpose = Literal["mediation", "follow_up", "judicial_confirmation", "review", "audit"]
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


# -- parties and mediators -----------------------------------------------------------------------------
class PartyIn(Strict):
    kind: Literal["person", "organisation"] = Field(description="自然人或组织 / person or organisation")
    side: Side = Field(description="申请方或被申请方 / applicant or respondent side")
    name: str = Field(min_length=1, max_length=60, description="姓名或名称 / name")
    id_number: str | None = Field(
        None, max_length=30, description="身份证号（自然人）或统一社会信用代码（组织）/ resident ID or credit code"
    )
    phone: str | None = Field(None, max_length=20, description="联系电话 / mobile phone")
    household: str | None = Field(None, max_length=64, description="网格中的户（可选）/ the party's household")
    address: str | None = Field(None, max_length=100, description="住址 / address")

    _check_phone = field_validator("phone")(_phone)

    @model_validator(mode="after")
    def _identity(self) -> "PartyIn":
        if self.id_number:
            if self.kind == "person":
                self.id_number = idcard.parse(self.id_number).number
            else:
                code = re.sub(r"\s", "", self.id_number).upper()
                if not CREDIT_CODE.fullmatch(code):
                    raise ValueError("统一社会信用代码须为18位 / the credit code must be 18 characters")
                self.id_number = code
        if self.household and self.kind != "person":
            raise ValueError("只有自然人可关联住户 / only a person can be linked to a household")
        return self


class MediatorRef(Strict):
    team: str = Field(min_length=1, max_length=64, description="调解组织编号 / team id")
    mediator: str = Field(min_length=1, max_length=64, description="调解员编号 / mediator id")


def _unique_causes(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("起因不能重复 / causes must not repeat")
    return value


class CaseIn(Strict):
    committee: str = Field(min_length=1, max_length=64, description="编案号的调委会 / the committee numbering the case")
    unit: str = Field(pattern=CODE, description="纠纷所在网格单元 / unit where the dispute is")
    level: CaseLevel = Field(description="受理层级：组、村、镇 / level handling it")
    source: Source = Field(description="案件来源 / source")
    category: str = Field(min_length=1, max_length=40, description="纠纷类别（目录）/ category (catalogue)")
    causes: list[str] = Field(default_factory=list, max_length=3, description="起因（目录，最多3个）/ causes")
    risk: Risk = Field(description="风险等级 / risk")
    summary: str = Field(min_length=1, max_length=500, description="简要案情（中性表述）/ short neutral summary")
    parties: list[PartyIn] = Field(min_length=2, max_length=20, description="当事人 / parties")
    mediators: list[MediatorRef] = Field(default_factory=list, max_length=10)
    registered_on: date | None = Field(None, description="登记日期（默认今天）/ registration date (today)")

    _check_causes = field_validator("causes")(_unique_causes)

    @model_validator(mode="after")
    def _both_sides(self) -> "CaseIn":
        if {p.side for p in self.parties} != {"applicant", "respondent"}:
            raise ValueError("须有申请方和被申请方 / both sides must be named")
        return self


class CaseUpdate(Strict):
    risk: Risk | None = None
    category: str | None = Field(None, min_length=1, max_length=40)
    causes: list[str] | None = Field(None, max_length=3)
    summary: str | None = Field(None, min_length=1, max_length=500)
    mediators: list[MediatorRef] | None = Field(None, max_length=10)

    @field_validator("causes")
    @classmethod
    def _causes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _unique_causes(value)


# -- lifecycle -------------------------------------------------------------------------------------------
class StatusIn(Strict):
    to: Literal["rights_notified", "investigating", "performing"] = Field(
        description="告知权利义务、开始调查、开始履行 / notify rights, investigate, start performance"
    )
    date: date


class StatementIn(Strict):
    party: int = Field(ge=0, le=19, description="当事人序号 / party index")
    text: str = Field(min_length=1, max_length=2000)


class SessionIn(Strict):
    date: date
    place: str = Field(min_length=1, max_length=100, description="地点 / place")
    attendees: list[str] = Field(min_length=1, max_length=30, description="参加人 / attendees")
    statements: list[StatementIn] = Field(min_length=1, max_length=40, description="各方陈述 / statements")
    result: str = Field(min_length=1, max_length=1000, description="调解结果 / result of the session")
    outcome: Literal["adjourned", "agreed", "not_agreed"] = Field(
        description="本次结果：继续调解、达成一致、未能达成 / adjourned, agreed, not agreed"
    )


class DutyIn(Strict):
    party: int = Field(ge=0, le=19)
    duty: str = Field(min_length=1, max_length=1000, description="责任、权利与义务 / responsibilities, rights, duties")


class PerformanceIn(Strict):
    how: str = Field(min_length=1, max_length=500, description="履行方式 / how")
    place: str = Field(min_length=1, max_length=100, description="履行地点 / where")
    due: date = Field(description="履行期限 / by when")


class AgreementIn(Strict):
    form: Literal["written", "oral"] = Field(description="书面或口头协议 / written or oral agreement")
    signed_on: date
    facts: str = Field(min_length=1, max_length=3000, description="纠纷事实与争议事项 / facts and issues")
    duties: list[DutyIn] = Field(min_length=1, max_length=40)
    performance: PerformanceIn
    signatures: Literal["images", "in_person", "oral_record"] = Field(
        description="签名或捺印图像、当面签字、口头协议记录 / captured images, signed in person, oral record"
    )
    signature_images: list[str] = Field(default_factory=list, max_length=20, description="签名图像的存储键 / keys")
    signature_note: str | None = Field(None, max_length=300)
    seal_note: str | None = Field(None, max_length=200, description="调委会印章 / committee seal note")
    supersedes: int | None = Field(None, ge=1, description="更正所针对的版本 / the version corrected")
    reason: str | None = Field(None, max_length=300, description="更正理由 / reason for a correction")

    @model_validator(mode="after")
    def _signed(self) -> "AgreementIn":
        if self.form == "written" and self.signatures == "oral_record":
            raise ValueError("书面协议须记录签名或捺印 / a written agreement needs signatures")
        if self.signatures == "images" and not self.signature_images:
            raise ValueError("须附签名图像 / signature images missing")
        if self.form == "written" and not self.seal_note:
            raise ValueError("书面协议须注明调委会印章 / a written agreement needs the committee seal note")
        if self.performance.due < self.signed_on:
            raise ValueError("履行期限不能早于签订日期 / performance cannot be due before signing")
        return self


class FailIn(Strict):
    date: date
    route: FailRoute = Field(description="告知的其他途径 / the route offered")
    note: str | None = Field(None, max_length=500)


class FollowUpIn(Strict):
    date: date
    performed: Literal["full", "partial", "none"] = Field(description="履行情况 / performance")
    satisfaction: int = Field(ge=1, le=5, description="满意度 1–5 / satisfaction")
    recurrence: bool = Field(description="是否有反复迹象 / signs of recurrence")
    note: str | None = Field(None, max_length=500)


class CloseIn(Strict):
    date: date


class EscalateIn(Strict):
    date: date
    reason: str = Field(min_length=1, max_length=300)


class ConsentIn(Strict):
    party: int = Field(ge=0, le=19)
    consented_on: date
    how: Literal["signed", "oral_recorded"]


class ExtendIn(Strict):
    consents: list[ConsentIn] = Field(min_length=2, max_length=20, description="双方同意 / both sides' consent")
    new_due: date


class WithdrawIn(Strict):
    date: date
    parties: list[int] = Field(min_length=1, max_length=20, description="撤回的当事人 / parties withdrawing")
    note: str | None = Field(None, max_length=300)


class JudicialIn(Strict):
    applied_on: date
    court: str = Field(min_length=1, max_length=60, description="受理法院 / court")


class RevealIn(Strict):
    purpose: RevealPurpose


class AgreementDocumentQuery(Strict):
    purpose: RevealPurpose = Field(description="用途（记入审计）/ purpose, audited")
    version: int | None = Field(None, ge=1, description="协议版本（默认最新）/ version, the latest by default")


class RegisterQuery(Strict):
    year: int | None = Field(None, ge=2000, le=2100, description="登记年度 / year registered")


# -- teams ------------------------------------------------------------------------------------------------
class TeamIn(Strict):
    unit: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=40, description="名称，如 鹊山村银龄裁判团 / name")
    kind: str = Field(min_length=1, max_length=40, description="类型（目录）/ kind (catalogue)")
    number_prefix: str | None = Field(
        None, pattern=r"^[\u4e00-\u9fff]{2,8}$", description="调委会案号代字，如 宁大人调 / committee's case prefix"
    )


class MediatorIn(Strict):
    name: str = Field(min_length=1, max_length=20)
    phone: str | None = Field(None, max_length=20)
    member: str | None = Field(None, max_length=64, description="党员档案编号（可选）/ party member record")
    title: str | None = Field(None, max_length=40, description="身份，如 退休教师 / e.g. retired teacher")

    _check_phone = field_validator("phone")(_phone)


class MediatorOut(Out):
    id: str
    name: str
    phone: str | None = Field(description="脱敏 / masked")
    member: str | None
    title: str | None
    active: bool


class TeamOut(Out):
    id: str
    name: str
    kind: str
    kind_label: str
    unit: str
    unit_path: str
    number_prefix: str | None
    mediators: list[MediatorOut]
    version: int


class TeamPage(Out):
    items: list[TeamOut]
    next_cursor: str | None


# -- case answers -----------------------------------------------------------------------------------------
class PartyOut(Out):
    index: int
    kind: str
    side: str
    name: str | None = Field(description="脱敏 / masked (张**)")
    id_number: str | None = Field(description="脱敏 / masked")
    phone: str | None = Field(description="脱敏 / masked")
    household: str | None


class CaseMediatorOut(Out):
    team: str
    team_name: str
    mediator: str
    name: str
    member: str | None


class SessionOut(Out):
    no: int
    date: str
    place: str
    attendees: int
    outcome: str


class AgreementOut(Out):
    version: int
    form: str
    signed_on: str
    performance_due: str
    signatures: str
    supersedes: int | None
    superseded_by: int | None
    frozen: bool


class FollowUpOut(Out):
    no: int
    date: str
    performed: str
    satisfaction: int
    recurrence: bool


class ConsentOut(Out):
    party: int
    consented_on: str
    how: str


class ExtensionOut(Out):
    consents: list[ConsentOut]
    previous_due: str
    new_due: str
    recorded: str


class JudicialOut(Out):
    applied_on: str | None
    court: str | None
    window_ends: str


class ScoreEventOut(Out):
    member: str
    mediator: str
    source_event_id: str


class CaseHistoryOut(Out):
    at: str
    kind: str
    status_from: str | None
    status_to: str | None
    level_from: str | None
    level_to: str | None
    by_role: str
    recorded: str


class CaseSummaryOut(Out):
    id: str
    number: str
    status: str
    status_label: str
    category: str
    risk: str
    level: str
    unit: str
    handling_unit: str
    registered_on: str
    due_on: str
    overdue: bool
    flagged_to: str | None = Field(description="逾期时提示的上级单元 / unit above, when overdue")
    version: int


class CaseOut(CaseSummaryOut):
    committee: str
    source: str
    source_label: str
    causes: list[str]
    start_level: str
    unit_path: str
    allowed_next: list[str]
    rights_notified_on: str | None
    parties: list[PartyOut]
    mediators: list[CaseMediatorOut]
    sessions: list[SessionOut]
    agreements: list[AgreementOut]
    failed_route: str | None
    follow_ups: list[FollowUpOut]
    extensions: list[ExtensionOut]
    judicial_confirmation: JudicialOut | None
    closed_on: str | None
    outcome: str | None
    score_events: list[ScoreEventOut]
    history: list[CaseHistoryOut]
    details: str = Field(description="案情细节已加密，凭用途查看 / details sealed; reveal with a purpose")


class CasePage(Out):
    items: list[CaseSummaryOut]
    next_cursor: str | None


class CaseQuery(PageQuery):
    status: str | None = Field(None, max_length=30)
    overdue: bool | None = None
    mediator: str | None = Field(None, max_length=64)
    party: str | None = Field(None, max_length=60, description="当事人姓名或证件号（精确）/ exact party name or ID")


class StatementOut(Out):
    party: int
    text: str


class SessionDetailOut(Out):
    no: int
    attendees: list[str]
    statements: list[StatementOut]
    result: str


class DutyOut(Out):
    party: int
    duty: str


class AgreementDetailOut(Out):
    version: int
    facts: str
    duties: list[DutyOut]
    performance_how: str
    performance_place: str
    signature_note: str | None
    seal_note: str | None
    reason: str | None


class PartyDetailOut(Out):
    index: int
    name: str
    address: str | None


class NoteOut(Out):
    kind: str
    at: str
    text: str


class CaseDetailsOut(Out):
    id: str
    number: str
    purpose: str
    summary: str
    parties: list[PartyDetailOut]
    sessions: list[SessionDetailOut]
    agreements: list[AgreementDetailOut]
    notes: list[NoteOut]


# -- figures -----------------------------------------------------------------------------------------------
class StatsQuery(Strict):
    start: str = Field(alias="from", pattern=MONTH, description="起始月份 YYYY-MM / first month")
    end: str = Field(alias="to", pattern=MONTH, description="截止月份 YYYY-MM / last month")

    @model_validator(mode="after")
    def _order(self) -> "StatsQuery":
        if self.end < self.start:
            raise ValueError("截止月份不能早于起始月份 / to must not precede from")
        return self


class CategoryFigures(Out):
    registered: int
    closed: int
    resolved: int


class StatsOut(Out):
    model_config = ConfigDict(defer_build=True, serialize_by_alias=True)

    unit: str
    start: str = Field(serialization_alias="from")
    end: str = Field(serialization_alias="to")
    registered: int
    closed: int = Field(description="结案（达成协议或调解不成）/ closed with or without agreement")
    resolved: int = Field(description="达成协议结案 / closed with an agreement")
    failed: int
    withdrawn: int
    resolution_rate: float | None = Field(description="化解率 = 达成协议结案 / 结案")
    median_days_to_close: float | None
    by_category: dict[str, CategoryFigures]
    by_cause: dict[str, int] = Field(description="按起因登记数 / registrations by cause")
    by_source: dict[str, int]
    started_at_level: dict[str, int]
    closed_at_level: dict[str, int] = Field(description="三级过滤：结案层级 / level closing the case")
    closed_at_level_share: dict[str, float]
    closed_where_started: int
    closed_where_started_share: float | None
    open_overdue: int = Field(description="当前逾期未结 / open and overdue now")
