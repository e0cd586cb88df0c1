"""Routes of 在职党员到社区报到 (in-service members report to their home community): parse, call the
service, shape the answer."""

from __future__ import annotations

from chalicelib.community.schemas import (
    ClaimOut,
    DisputeIn,
    MemberServiceOut,
    MemberServiceQuery,
    MissingPage,
    NeedClaimIn,
    NeedIn,
    NeedOut,
    NeedPage,
    NeedQuery,
    ReportInIn,
    ReportInOut,
    ReportInPage,
    ReportInQuery,
    ServiceIn,
    ServiceOut,
    ServicePage,
    ServiceQuery,
)
from chalicelib.community.service import CommunityService, default_service
from chalicelib.core.api import ApiBlueprint, RequestContext

api = ApiBlueprint(__name__, tag="community")


def _svc() -> CommunityService:
    return default_service()


# -- needs (需求表) ----------------------------------------------------------------------------------
@api.route(
    "/v1/units/{code}/needs",
    "POST",
    permission="community:write",
    body=NeedIn,
    response=NeedOut,
    status=201,
    idempotent=True,
    summary="发布社区需求（需求表）/ Publish a community need",
)
def create_need(ctx: RequestContext) -> NeedOut:
    return _svc().create_need(ctx.user, ctx.actor, ctx.path["code"], ctx.body)


@api.route(
    "/v1/units/{code}/needs",
    "GET",
    permission="members:read",
    query=NeedQuery,
    response=NeedPage,
    summary="单元及下级的社区需求 / Needs of a unit's subtree",
)
def unit_needs(ctx: RequestContext) -> NeedPage:
    q: NeedQuery = ctx.query
    return _svc().needs(ctx.user, ctx.path["code"], state=q.state, limit=q.limit, cursor=q.cursor)


@api.route(
    "/v1/needs/{id}",
    "GET",
    permission="members:read",
    response=NeedOut,
    summary="一条社区需求 / A need",
)
def get_need(ctx: RequestContext) -> NeedOut:
    return _svc().get_need(ctx.user, ctx.path["id"])


@api.route(
    "/v1/needs/{id}/close",
    "POST",
    permission="community:write",
    response=NeedOut,
    summary="关闭需求（不再认领；If-Match 版本）/ Close a need (no more claims; If-Match)",
)
def close_need(ctx: RequestContext) -> NeedOut:
    return _svc().close_need(ctx.user, ctx.actor, ctx.path["id"], ctx.if_match())


# -- claims ------------------------------------------------------------------------------------------
@api.route(
    "/v1/needs/{id}/claims",
    "POST",
    permission="community:write",
    body=NeedClaimIn,
    response=ClaimOut,
    status=201,
    idempotent=True,
    summary="党员认领需求（名额已满 409）/ A member claims a need (409 when full)",
)
def claim_need(ctx: RequestContext) -> ClaimOut:
    data: NeedClaimIn = ctx.body
    return _svc().claim(ctx.user, ctx.actor, ctx.path["id"], data.member)


@api.route(
    "/v1/needs/{id}/claims/{member}/withdraw",
    "POST",
    permission="community:write",
    response=ClaimOut,
    summary="撤回认领 / Withdraw a claim",
)
def withdraw_claim(ctx: RequestContext) -> ClaimOut:
    return _svc().withdraw(ctx.user, ctx.actor, ctx.path["id"], ctx.path["member"])


# -- report-ins (报到单) -----------------------------------------------------------------------------
@api.route(
    "/v1/report-ins",
    "POST",
    permission="community:write",
    body=ReportInIn,
    response=ReportInOut,
    status=201,
    idempotent=True,
    summary="在职党员到居住地村（社区）报到，每年度一次 / An in-service member reports in (once a period)",
)
def report_in(ctx: RequestContext) -> ReportInOut:
    return _svc().report_in(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/units/{code}/report-ins",
    "GET",
    permission="members:read",
    query=ReportInQuery,
    response=ReportInPage,
    summary="单元及下级已报到的在职党员 / Report-ins of a unit's subtree in a period",
)
def unit_report_ins(ctx: RequestContext) -> ReportInPage:
    q: ReportInQuery = ctx.query
    return _svc().report_ins(ctx.user, ctx.path["code"], period=q.period, limit=q.limit, cursor=q.cursor)


@api.route(
    "/v1/units/{code}/report-ins/missing",
    "GET",
    permission="members:read",
    query=ReportInQuery,
    response=MissingPage,
    summary="尚未报到的在职党员（供支部督促）/ In-service members not yet reported in",
)
def missing_report_ins(ctx: RequestContext) -> MissingPage:
    q: ReportInQuery = ctx.query
    return _svc().missing(ctx.user, ctx.path["code"], period=q.period, limit=q.limit, cursor=q.cursor)


# -- service records (服务登记卡) ----------------------------------------------------------------------
@api.route(
    "/v1/service-records",
    "POST",
    permission="community:write",
    body=ServiceIn,
    response=ServiceOut,
    status=201,
    idempotent=True,
    summary="登记党员服务（服务登记卡，待邻长或组长确认）/ Log a member's service (to be confirmed)",
)
def log_service(ctx: RequestContext) -> ServiceOut:
    return _svc().log_service(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/members/{id}/service-records",
    "GET",
    permission="members:read",
    query=MemberServiceQuery,
    response=MemberServiceOut,
    summary="党员年度服务记录与已确认时长 / A member's service in a period, with confirmed hours",
)
def member_service(ctx: RequestContext) -> MemberServiceOut:
    q: MemberServiceQuery = ctx.query
    return _svc().member_service(ctx.user, ctx.path["id"], q.period)


@api.route(
    "/v1/units/{code}/service-records",
    "GET",
    permission="members:read",
    query=ServiceQuery,
    response=ServicePage,
    summary="单元及下级的服务记录（可按状态筛选待确认）/ Service records of a subtree, by state",
)
def unit_service(ctx: RequestContext) -> ServicePage:
    q: ServiceQuery = ctx.query
    return _svc().services(ctx.user, ctx.path["code"], period=q.period, state=q.state, limit=q.limit, cursor=q.cursor)


@api.route(
    "/v1/service-records/{id}/confirm",
    "POST",
    permission="service:confirm",
    response=ServiceOut,
    summary="邻长或组长确认服务记录（计入年度时长）/ Confirm a service record (counts in the total)",
)
def confirm_service(ctx: RequestContext) -> ServiceOut:
    return _svc().review(ctx.user, ctx.actor, ctx.path["id"], confirm=True, reason=None)


@api.route(
    "/v1/service-records/{id}/dispute",
    "POST",
    permission="service:confirm",
    body=DisputeIn,
    response=ServiceOut,
    summary="对服务记录提出异议（须写明理由）/ Dispute a service record (with a reason)",
)
def dispute_service(ctx: RequestContext) -> ServiceOut:
    data: DisputeIn = ctx.body
    return _svc().review(ctx.user, ctx.actor, ctx.path["id"], confirm=False, reason=data.reason)
