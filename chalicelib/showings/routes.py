"""Showings routes (三亮: 亮身份 亮立场 亮作风): parse, call the service, shape the answer."""

from __future__ import annotations

from chalicelib.core.api import ApiBlueprint, RequestContext
from chalicelib.core.errors import field_error
from chalicelib.grid.schemas import PageQuery
from chalicelib.showings.schemas import (
    CoverageIn,
    CoveringOut,
    PlaqueIn,
    PlaqueOut,
    PlaquePage,
    PledgeIn,
    PledgeOut,
    PledgePage,
    PledgeQuery,
    PostsIn,
    RejectIn,
    RevokeIn,
    ShowingsOut,
    StickerIn,
    StickerOut,
    StickerPage,
)
from chalicelib.showings.service import ShowingService, default_service

api = ApiBlueprint(__name__, tag="showings")


def _svc() -> ShowingService:
    return default_service()


def _year(ctx: RequestContext) -> int:
    raw = ctx.path["year"]
    if not raw.isdigit() or not 2020 <= int(raw) <= 2100:
        raise field_error("path.year", "年度格式不正确", "The year must be like 2026")
    return int(raw)


# -- 亮身份 ------------------------------------------------------------------------------------------
@api.route(
    "/v1/households/{id}/plaque",
    "POST",
    permission="showings:write",
    body=PlaqueIn,
    response=PlaqueOut,
    status=201,
    idempotent=True,
    summary="党员户挂牌（须有正式党员，全县编号不重不漏）/ Issue a household plaque (needs a full member)",
)
def issue_plaque(ctx: RequestContext) -> PlaqueOut:
    return _svc().issue_plaque(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/households/{id}/plaque",
    "GET",
    permission="members:read",
    response=PlaqueOut,
    summary="住户的党员户牌 / A household's plaque",
)
def get_plaque(ctx: RequestContext) -> PlaqueOut:
    return _svc().plaque(ctx.user, ctx.path["id"])


@api.route(
    "/v1/households/{id}/plaque/revoke",
    "POST",
    permission="showings:write",
    body=RevokeIn,
    response=PlaqueOut,
    summary="撤销党员户牌（编号不再使用）/ Revoke a household plaque (its number is not reused)",
)
def revoke_plaque(ctx: RequestContext) -> PlaqueOut:
    data: RevokeIn = ctx.body
    return _svc().revoke_plaque(ctx.user, ctx.actor, ctx.path["id"], data.reason)


@api.route(
    "/v1/units/{code}/plaques",
    "GET",
    permission="members:read",
    query=PageQuery,
    response=PlaquePage,
    summary="单元及下级的党员户牌（实地核对）/ Plaques of a unit's subtree (for checking on the ground)",
)
def unit_plaques(ctx: RequestContext) -> PlaquePage:
    q: PageQuery = ctx.query
    return _svc().plaques(ctx.user, ctx.path["code"], limit=q.limit, cursor=q.cursor)


@api.route(
    "/v1/members/{id}/sticker",
    "POST",
    permission="showings:write",
    body=StickerIn,
    response=StickerOut,
    status=201,
    idempotent=True,
    summary="发放党员车贴（编号唯一，一车一贴）/ Issue a vehicle sticker (unique number, one per plate)",
)
def issue_sticker(ctx: RequestContext) -> StickerOut:
    return _svc().issue_sticker(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/members/{id}/sticker/revoke",
    "POST",
    permission="showings:write",
    body=RevokeIn,
    response=StickerOut,
    summary="收回党员车贴 / Revoke a member's vehicle sticker",
)
def revoke_sticker(ctx: RequestContext) -> StickerOut:
    data: RevokeIn = ctx.body
    return _svc().revoke_sticker(ctx.user, ctx.actor, ctx.path["id"], data.reason)


@api.route(
    "/v1/units/{code}/stickers",
    "GET",
    permission="members:read",
    query=PageQuery,
    response=StickerPage,
    summary="单元及下级的党员车贴 / Vehicle stickers of a unit's subtree",
)
def unit_stickers(ctx: RequestContext) -> StickerPage:
    q: PageQuery = ctx.query
    return _svc().stickers(ctx.user, ctx.path["code"], limit=q.limit, cursor=q.cursor)


# -- 亮立场 ------------------------------------------------------------------------------------------
@api.route(
    "/v1/members/{id}/pledges",
    "POST",
    permission="showings:write",
    body=PledgeIn,
    response=PledgeOut,
    status=201,
    idempotent=True,
    summary="提交年度承诺（每人每年一份，退回后可重交）/ Submit the year's pledge (one a year)",
)
def submit_pledge(ctx: RequestContext) -> PledgeOut:
    return _svc().submit_pledge(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/members/{id}/pledges/{year}/approve",
    "POST",
    permission="pledges:approve",
    response=PledgeOut,
    summary="支部审核通过承诺并公开 / The branch approves and publishes a pledge",
)
def approve_pledge(ctx: RequestContext) -> PledgeOut:
    return _svc().approve_pledge(ctx.user, ctx.actor, ctx.path["id"], _year(ctx))


@api.route(
    "/v1/members/{id}/pledges/{year}/reject",
    "POST",
    permission="pledges:approve",
    body=RejectIn,
    response=PledgeOut,
    summary="支部退回承诺（须说明原因）/ The branch sends a pledge back, with a reason",
)
def reject_pledge(ctx: RequestContext) -> PledgeOut:
    data: RejectIn = ctx.body
    return _svc().reject_pledge(ctx.user, ctx.actor, ctx.path["id"], _year(ctx), data.reason)


@api.route(
    "/v1/units/{code}/pledges",
    "GET",
    permission="members:read",
    query=PledgeQuery,
    response=PledgePage,
    summary="单元及下级已公开的年度承诺 / Published pledges of a unit's subtree for a year",
)
def unit_pledges(ctx: RequestContext) -> PledgePage:
    q: PledgeQuery = ctx.query
    return _svc().pledges(ctx.user, ctx.path["code"], year=q.year, limit=q.limit, cursor=q.cursor)


# -- 亮作风 ------------------------------------------------------------------------------------------
@api.route(
    "/v1/members/{id}/posts",
    "PUT",
    permission="showings:write",
    body=PostsIn,
    response=ShowingsOut,
    summary="认领岗位（设岗定责，岗位目录见 duty_post）/ Claim duty posts (catalogue duty_post)",
)
def set_posts(ctx: RequestContext) -> ShowingsOut:
    return _svc().set_posts(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/members/{id}/coverage",
    "POST",
    permission="showings:write",
    body=CoverageIn,
    response=ShowingsOut,
    status=201,
    idempotent=True,
    summary="党员联户（本组住户，每人 1–9 户）/ Cover a household of the member's group (1-9 each)",
)
def add_coverage(ctx: RequestContext) -> ShowingsOut:
    return _svc().cover(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/members/{id}/coverage/{household}",
    "DELETE",
    permission="showings:write",
    status=204,
    summary="解除联户 / Stop covering a household",
)
def remove_coverage(ctx: RequestContext) -> None:
    _svc().uncover(ctx.user, ctx.actor, ctx.path["id"], ctx.path["household"])


@api.route(
    "/v1/members/{id}/showings",
    "GET",
    permission="members:read",
    response=ShowingsOut,
    summary="党员三亮情况：户牌、车贴、承诺、岗位、联户 / A member's showings",
)
def member_showings(ctx: RequestContext) -> ShowingsOut:
    return _svc().showings(ctx.user, ctx.path["id"])


@api.route(
    "/v1/households/{id}/covering",
    "GET",
    permission="members:read",
    response=CoveringOut,
    summary="联系本户的党员（岗位与已公开承诺）/ Party members covering a household",
)
def household_covering(ctx: RequestContext) -> CoveringOut:
    return _svc().covering(ctx.user, ctx.path["id"])
