"""Mediation routes (人民调解): parse, call the service, shape the answer."""

from __future__ import annotations

from urllib.parse import quote

from chalicelib.core.api import ApiBlueprint, Reply, RequestContext
from chalicelib.grid.schemas import PageQuery
from chalicelib.mediation.schemas import (
    AgreementDocumentQuery,
    AgreementIn,
    CaseDetailsOut,
    CaseIn,
    CaseOut,
    CasePage,
    CaseQuery,
    CaseUpdate,
    CloseIn,
    EscalateIn,
    ExtendIn,
    FailIn,
    FollowUpIn,
    JudicialIn,
    MediatorIn,
    RegisterQuery,
    RevealIn,
    SessionIn,
    StatsOut,
    StatsQuery,
    StatusIn,
    TeamIn,
    TeamOut,
    TeamPage,
    WithdrawIn,
)
from chalicelib.mediation.service import MediationService, default_service

api = ApiBlueprint(__name__, tag="mediation")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html"


def _svc() -> MediationService:
    return default_service()


# -- teams ----------------------------------------------------------------------------------------------
@api.route(
    "/v1/mediation-teams",
    "POST",
    permission="mediation:write",
    body=TeamIn,
    response=TeamOut,
    status=201,
    idempotent=True,
    summary="建立调解组织（调委会、银龄裁判团等）/ Create a mediator team (committee, elders' panel...)",
)
def create_team(ctx: RequestContext) -> TeamOut:
    return _svc().create_team(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/mediation-teams/{id}",
    "GET",
    permission="mediation:read",
    response=TeamOut,
    summary="调解组织及调解员（电话脱敏）/ A mediator team and its mediators (phones masked)",
)
def get_team(ctx: RequestContext) -> TeamOut:
    return _svc().get_team(ctx.user, ctx.path["id"])


@api.route(
    "/v1/mediation-teams/{id}/mediators",
    "POST",
    permission="mediation:write",
    body=MediatorIn,
    response=TeamOut,
    status=201,
    idempotent=True,
    summary="增加调解员（可关联党员档案）/ Add a mediator (optionally a party member)",
)
def add_mediator(ctx: RequestContext) -> TeamOut:
    return _svc().add_mediator(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/units/{code}/mediation-teams",
    "GET",
    permission="mediation:read",
    query=PageQuery,
    response=TeamPage,
    summary="单元及下级的调解组织 / Mediator teams of a unit's subtree",
)
def unit_teams(ctx: RequestContext) -> TeamPage:
    q: PageQuery = ctx.query
    return _svc().teams(ctx.user, ctx.path["code"], limit=q.limit, cursor=q.cursor)


# -- cases ----------------------------------------------------------------------------------------------
@api.route(
    "/v1/mediation-cases",
    "POST",
    permission="mediation:write",
    body=CaseIn,
    response=CaseOut,
    status=201,
    idempotent=True,
    summary="调解案件登记（编案号）/ Register a mediation case (numbered per committee and year)",
)
def register_case(ctx: RequestContext) -> CaseOut:
    return _svc().register(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/mediation-cases/{id}",
    "GET",
    permission="mediation:read",
    response=CaseOut,
    summary="调解案件（当事人信息脱敏、案情细节加密）/ A case (parties masked, details sealed)",
)
def get_case(ctx: RequestContext) -> CaseOut:
    return _svc().get(ctx.user, ctx.path["id"])


@api.route(
    "/v1/mediation-cases/{id}",
    "PATCH",
    permission="mediation:write",
    body=CaseUpdate,
    response=CaseOut,
    summary="修改风险、类别、起因、案情摘要或调解员（If-Match）/ Update risk, category, causes, summary, mediators",
)
def update_case(ctx: RequestContext) -> CaseOut:
    return _svc().update(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/status",
    "POST",
    permission="mediation:write",
    body=StatusIn,
    response=CaseOut,
    summary="告知权利义务、开始调查、开始履行 / Rights notified, investigating, performing",
)
def change_case_status(ctx: RequestContext) -> CaseOut:
    return _svc().change_status(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/sessions",
    "POST",
    permission="mediation:write",
    body=SessionIn,
    response=CaseOut,
    status=201,
    idempotent=True,
    summary="调解笔录（一次调解）/ Record a mediation session (笔录)",
)
def add_session(ctx: RequestContext) -> CaseOut:
    return _svc().add_session(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/agreement",
    "POST",
    permission="mediation:write",
    body=AgreementIn,
    response=CaseOut,
    status=201,
    idempotent=True,
    summary="调解协议（签订即冻结，更正为新版本）/ Record the agreement (frozen; a correction is a new version)",
)
def record_agreement(ctx: RequestContext) -> CaseOut:
    return _svc().record_agreement(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/fail",
    "POST",
    permission="mediation:write",
    body=FailIn,
    response=CaseOut,
    summary="调解不成（告知诉讼、仲裁或行政途径）/ Mediation failed (the route offered)",
)
def fail_case(ctx: RequestContext) -> CaseOut:
    return _svc().fail(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/follow-ups",
    "POST",
    permission="mediation:write",
    body=FollowUpIn,
    response=CaseOut,
    status=201,
    idempotent=True,
    summary="回访（履行情况、满意度、反复迹象）/ Follow-up visit (performance, satisfaction, recurrence)",
)
def add_follow_up(ctx: RequestContext) -> CaseOut:
    return _svc().follow_up(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/close",
    "POST",
    permission="mediation:write",
    body=CloseIn,
    response=CaseOut,
    summary="结案 / Close the case",
)
def close_case(ctx: RequestContext) -> CaseOut:
    return _svc().close(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/escalate",
    "POST",
    permission="mediation:write",
    body=EscalateIn,
    response=CaseOut,
    summary="上交上一级调处（组→村→镇）/ Escalate one level up (group → village → town)",
)
def escalate_case(ctx: RequestContext) -> CaseOut:
    return _svc().escalate(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/extend",
    "POST",
    permission="mediation:write",
    body=ExtendIn,
    response=CaseOut,
    summary="延期（须双方同意）/ Extend the time limit (both sides consent)",
)
def extend_case(ctx: RequestContext) -> CaseOut:
    return _svc().extend(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/withdraw",
    "POST",
    permission="mediation:write",
    body=WithdrawIn,
    response=CaseOut,
    summary="当事人撤回 / Withdrawn by the parties",
)
def withdraw_case(ctx: RequestContext) -> CaseOut:
    return _svc().withdraw(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/judicial-confirmation",
    "POST",
    permission="mediation:write",
    body=JudicialIn,
    response=CaseOut,
    summary="申请司法确认（协议生效后30日内）/ Judicial confirmation applied for (within 30 days)",
)
def judicial_confirmation(ctx: RequestContext) -> CaseOut:
    return _svc().judicial(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/mediation-cases/{id}/reveal",
    "POST",
    permission="mediation:read",
    body=RevealIn,
    response=CaseDetailsOut,
    summary="查看案情细节（须说明用途，记入审计）/ Read the case details (purpose stated, audited)",
)
def reveal_case(ctx: RequestContext) -> CaseDetailsOut:
    data: RevealIn = ctx.body
    return _svc().reveal(ctx.user, ctx.actor, ctx.path["id"], data.purpose)


@api.route(
    "/v1/units/{code}/mediation-cases",
    "GET",
    permission="mediation:read",
    query=CaseQuery,
    response=CasePage,
    summary="单元及下级的调解案件（列表只含类别与状态）/ Cases of a unit's subtree (category and status only)",
)
def unit_cases(ctx: RequestContext) -> CasePage:
    q: CaseQuery = ctx.query
    return _svc().list_below(
        ctx.user,
        ctx.path["code"],
        status=q.status,
        overdue=q.overdue,
        mediator=q.mediator,
        party=q.party,
        limit=q.limit,
        cursor=q.cursor,
    )


@api.route(
    "/v1/units/{code}/mediation-stats",
    "GET",
    permission="mediation:read",
    query=StatsQuery,
    response=StatsOut,
    summary="调解统计：化解率、类别、起因、结案天数、三级过滤 / Figures: resolution rate, causes, filter",
)
def unit_stats(ctx: RequestContext) -> StatsOut:
    q: StatsQuery = ctx.query
    return _svc().stats(ctx.user, ctx.path["code"], q.start, q.end)


def _download(data: bytes, filename: str, label: str) -> Reply:
    """An attachment: an ASCII file name, and the Chinese one percent-encoded (RFC 6266) for browsers."""
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(label)}"
    return Reply(data, 200, {"Content-Disposition": disposition})


@api.route(
    "/v1/units/{code}/mediation-register",
    "GET",
    permission="mediation:read",
    query=RegisterQuery,
    content_type=XLSX,
    summary="导出调解登记台账（当事人姓名脱敏）/ Export the mediation register to Excel (names masked)",
)
def export_register(ctx: RequestContext) -> Reply:
    from chalicelib.mediation.documents import Documents  # noqa: PLC0415 - openpyxl only for exports

    q: RegisterQuery = ctx.query
    code = ctx.path["code"]
    data = Documents(service=_svc()).register(ctx.user, code, q.year)
    return _download(data, f"mediation-{code}.xlsx", f"调解登记台账-{code}.xlsx")


@api.route(
    "/v1/mediation-cases/{id}/agreement/document",
    "GET",
    permission="mediation:read",
    query=AgreementDocumentQuery,
    content_type=HTML,
    summary="打印人民调解协议书（A4，须说明用途，记入审计）/ The agreement as a printable A4 page (audited)",
)
def agreement_document(ctx: RequestContext) -> Reply:
    from chalicelib.mediation.documents import Documents  # noqa: PLC0415 - see export_register

    q: AgreementDocumentQuery = ctx.query
    page = Documents(service=_svc()).agreement(ctx.user, ctx.actor, ctx.path["id"], q.purpose, q.version)
    return Reply(page)
