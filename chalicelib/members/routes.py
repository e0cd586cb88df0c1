"""Members routes (三亮 identity registration): parse, call the service, shape the answer."""

from __future__ import annotations

from chalicelib.core.api import ApiBlueprint, RequestContext
from chalicelib.members.schemas import (
    MemberIn,
    MemberOut,
    MemberPage,
    MemberQuery,
    MemberUnmaskIn,
    MemberUpdate,
    StatusChange,
    UnmaskedOut,
)
from chalicelib.members.service import MemberService, default_service

api = ApiBlueprint(__name__, tag="members")


def _svc() -> MemberService:
    return default_service()


@api.route(
    "/v1/members",
    "POST",
    permission="members:write",
    body=MemberIn,
    response=MemberOut,
    status=201,
    idempotent=True,
    summary="党员身份登记（一人一档）/ Register a party member (one record per person)",
)
def create_member(ctx: RequestContext) -> MemberOut:
    return _svc().create(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/members/{id}",
    "GET",
    permission="members:read",
    response=MemberOut,
    summary="党员档案（身份证号与电话脱敏）/ A member (ID number and phone masked)",
)
def get_member(ctx: RequestContext) -> MemberOut:
    return _svc().get(ctx.user, ctx.path["id"])


@api.route(
    "/v1/members/{id}",
    "PATCH",
    permission="members:write",
    body=MemberUpdate,
    response=MemberOut,
    summary="修改党员档案（If-Match 版本）/ Update a member (If-Match version)",
)
def update_member(ctx: RequestContext) -> MemberOut:
    return _svc().update(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/members/{id}/status",
    "POST",
    permission="members:write",
    body=StatusChange,
    response=MemberOut,
    summary="转正、转移到另一户或离开（保留历史）/ Confirm, transfer or record leaving (history kept)",
)
def change_member_status(ctx: RequestContext) -> MemberOut:
    return _svc().change_status(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/members/{id}/unmask",
    "POST",
    permission="personal:unmask",
    body=MemberUnmaskIn,
    response=UnmaskedOut,
    summary="查看完整身份证号或电话（须说明用途，记入审计）/ Read the clear ID number or phone (audited)",
)
def unmask_member(ctx: RequestContext) -> UnmaskedOut:
    data: MemberUnmaskIn = ctx.body
    return _svc().unmask(ctx.user, ctx.actor, ctx.path["id"], data.field, data.purpose)


@api.route(
    "/v1/units/{code}/members",
    "GET",
    permission="members:read",
    query=MemberQuery,
    response=MemberPage,
    summary="单元及下级的党员（可按状态、在职、岗位筛选）/ Members of a unit's subtree, filtered",
)
def unit_members(ctx: RequestContext) -> MemberPage:
    q: MemberQuery = ctx.query
    return _svc().list_below(
        ctx.user,
        ctx.path["code"],
        status=q.status,
        in_service=q.in_service,
        post=q.post,
        limit=q.limit,
        cursor=q.cursor,
    )
