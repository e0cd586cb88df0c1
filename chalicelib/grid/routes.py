"""Grid routes: parse, call the service, shape the answer."""

from __future__ import annotations

from chalicelib.core.api import ApiBlueprint, Reply, RequestContext
from chalicelib.core.auth import AUTHENTICATED
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.grid.schemas import (
    AppointmentEnd,
    AppointmentIn,
    AppointmentOut,
    AppointmentPage,
    AppointmentQuery,
    CatalogueEntryIn,
    CatalogueEntryOut,
    CatalogueOut,
    HeadsOut,
    HeadsQuery,
    HouseholdIn,
    HouseholdOut,
    HouseholdPage,
    MapOut,
    PageQuery,
    SearchOut,
    SearchQuery,
    TreeQuery,
    UnitCreate,
    UnitMove,
    UnitOut,
    UnitPage,
    UnitUpdate,
    UnmaskedPhoneOut,
    UnmaskIn,
)
from chalicelib.grid.service import GridService, default_service

api = ApiBlueprint(__name__, tag="grid")


def _svc() -> GridService:
    return default_service()


# -- units -------------------------------------------------------------------------------------------
@api.route(
    "/v1/units",
    "POST",
    permission="units:write",
    body=UnitCreate,
    response=UnitOut,
    status=201,
    idempotent=True,
    summary="新建网格单元 / Create a grid unit",
)
def create_unit(ctx: RequestContext) -> UnitOut:
    return _svc().create_unit(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/units",
    "GET",
    permission="units:read",
    query=SearchQuery,
    response=SearchOut,
    summary="按名称或拼音首字母搜索本辖区单元 / Search units in scope by name or pinyin initials",
)
def search_units(ctx: RequestContext) -> SearchOut:
    return _svc().search(ctx.user, ctx.query.q, limit=ctx.query.limit)


@api.route(
    "/v1/units/{code}",
    "GET",
    permission="units:read",
    response=UnitOut,
    summary="网格单元及统计 / A unit and its counts",
)
def get_unit(ctx: RequestContext) -> UnitOut:
    return _svc().get(ctx.user, ctx.path["code"])


@api.route(
    "/v1/units/{code}",
    "PATCH",
    permission="units:write",
    body=UnitUpdate,
    response=UnitOut,
    summary="修改网格单元（If-Match 版本）/ Update a unit (If-Match version)",
)
def update_unit(ctx: RequestContext) -> UnitOut:
    return _svc().update_unit(ctx.user, ctx.actor, ctx.path["code"], ctx.body, ctx.if_match())


@api.route(
    "/v1/units/{code}",
    "DELETE",
    permission="units:write",
    status=204,
    summary="删除空的网格单元 / Delete an empty unit",
)
def delete_unit(ctx: RequestContext) -> Reply:
    _svc().delete_unit(ctx.user, ctx.actor, ctx.path["code"], ctx.if_match())
    return Reply(None, 204)


@api.route(
    "/v1/units/{code}/move",
    "POST",
    permission="units:write",
    body=UnitMove,
    response=UnitOut,
    summary="调整网格：把单元连同下级移到新的上级 / Move a unit and its subtree under a new parent",
)
def move_unit(ctx: RequestContext) -> UnitOut:
    return _svc().move_unit(ctx.user, ctx.actor, ctx.path["code"], ctx.body.parent, ctx.if_match())


@api.route(
    "/v1/units/{code}/children",
    "GET",
    permission="units:read",
    query=PageQuery,
    response=UnitPage,
    summary="下级单元 / Child units",
)
def unit_children(ctx: RequestContext) -> UnitPage:
    return _svc().children(ctx.user, ctx.path["code"], limit=ctx.query.limit, cursor=ctx.query.cursor)


@api.route(
    "/v1/units/{code}/tree",
    "GET",
    permission="units:read",
    query=TreeQuery,
    response=UnitPage,
    summary="下级树（按深度，分页）/ The subtree to a depth, paged",
)
def unit_tree(ctx: RequestContext) -> UnitPage:
    q: TreeQuery = ctx.query
    return _svc().tree(ctx.user, ctx.path["code"], depth=q.depth, limit=q.limit, cursor=q.cursor)


@api.route(
    "/v1/units/{code}/heads",
    "GET",
    permission="units:read",
    query=HeadsQuery,
    response=HeadsOut,
    summary="明白卡：邻长、组长、片长直至村 / Contact card: the heads up to the village",
)
def unit_heads(ctx: RequestContext) -> HeadsOut:
    if ctx.query.purpose is not None:
        ctx.user.require("personal:unmask")
    return _svc().heads(ctx.user, ctx.actor, ctx.path["code"], purpose=ctx.query.purpose)


@api.route(
    "/v1/units/{code}/map",
    "GET",
    permission="households:read",
    response=MapOut,
    summary="民情地图：各下级单元按标签的户数 / Map data: households by tag per child unit",
)
def unit_map(ctx: RequestContext) -> MapOut:
    return _svc().map(ctx.user, ctx.path["code"])


# -- households --------------------------------------------------------------------------------------
@api.route(
    "/v1/households",
    "POST",
    permission="households:write",
    body=HouseholdIn,
    response=HouseholdOut,
    status=201,
    idempotent=True,
    summary="登记住户 / Register a household",
)
def create_household(ctx: RequestContext) -> HouseholdOut:
    return _svc().create_household(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/units/{code}/households",
    "GET",
    permission="households:read",
    query=PageQuery,
    response=HouseholdPage,
    summary="单元及下级的住户（电话脱敏）/ Households of a unit's subtree (phones masked)",
)
def unit_households(ctx: RequestContext) -> HouseholdPage:
    return _svc().households(ctx.user, ctx.path["code"], limit=ctx.query.limit, cursor=ctx.query.cursor)


@api.route(
    "/v1/households/{id}", "GET", permission="households:read", response=HouseholdOut, summary="住户 / A household"
)
def get_household(ctx: RequestContext) -> HouseholdOut:
    return _svc().get_household(ctx.user, ctx.path["id"])


@api.route(
    "/v1/households/{id}",
    "PUT",
    permission="households:write",
    body=HouseholdIn,
    response=HouseholdOut,
    summary="修改住户（If-Match 版本）/ Update a household (If-Match version)",
)
def update_household(ctx: RequestContext) -> HouseholdOut:
    return _svc().update_household(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/households/{id}", "DELETE", permission="households:write", status=204, summary="删除住户 / Delete a household"
)
def delete_household(ctx: RequestContext) -> Reply:
    _svc().delete_household(ctx.user, ctx.actor, ctx.path["id"], ctx.if_match())
    return Reply(None, 204)


@api.route(
    "/v1/households/{id}/unmask",
    "POST",
    permission="personal:unmask",
    body=UnmaskIn,
    response=UnmaskedPhoneOut,
    summary="查看完整电话（须说明用途，记入审计）/ Read the clear phone (purpose required, audited)",
)
def unmask_household(ctx: RequestContext) -> UnmaskedPhoneOut:
    return UnmaskedPhoneOut.model_validate(
        _svc().unmask_household_phone(ctx.user, ctx.actor, ctx.path["id"], ctx.body.purpose)
    )


# -- appointments ------------------------------------------------------------------------------------
@api.route(
    "/v1/units/{code}/appointments",
    "POST",
    permission="appointments:write",
    body=AppointmentIn,
    response=AppointmentOut,
    status=201,
    idempotent=True,
    summary="任命片长/组长/邻长（可同时开通账号）/ Appoint the unit's head (optionally with an account)",
)
def appoint(ctx: RequestContext) -> AppointmentOut:
    return _svc().appoint(ctx.user, ctx.actor, ctx.path["code"], ctx.body)


@api.route(
    "/v1/units/{code}/appointments",
    "GET",
    permission="units:read",
    query=AppointmentQuery,
    response=AppointmentPage,
    summary="任职历史（可查某日在任者）/ Appointment history, or who served on a date",
)
def appointments(ctx: RequestContext) -> AppointmentPage:
    q: AppointmentQuery = ctx.query
    at = q.at.isoformat() if q.at else None
    return _svc().appointments(ctx.user, ctx.path["code"], at=at, limit=q.limit, cursor=q.cursor)


@api.route(
    "/v1/units/{code}/appointments/{id}/end",
    "POST",
    permission="appointments:write",
    body=AppointmentEnd,
    response=AppointmentOut,
    summary="离任 / End an appointment",
)
def end_appointment(ctx: RequestContext) -> AppointmentOut:
    return _svc().end_appointment(ctx.user, ctx.actor, ctx.path["code"], ctx.path["id"], ctx.body.end.isoformat())


# -- catalogues --------------------------------------------------------------------------------------
@api.route(
    "/v1/catalogues/{kind}",
    "GET",
    permission=AUTHENTICATED,
    response=CatalogueOut,
    summary="目录（如民情地图标签）/ A catalogue, e.g. household tags",
)
def catalogue(ctx: RequestContext) -> CatalogueOut:
    kind = ctx.path["kind"]
    entries = CatalogueStore().entries(kind, active_only=False)
    return CatalogueOut(
        kind=kind,
        items=[CatalogueEntryOut(code=e.code, name_zh=e.name_zh, name_en=e.name_en, active=e.active) for e in entries],
    )


@api.route(
    "/v1/catalogues/{kind}/{entry}",
    "PUT",
    permission="catalogue:write",
    body=CatalogueEntryIn,
    response=CatalogueEntryOut,
    summary="新增或修改目录条目 / Add or change a catalogue entry",
)
def put_catalogue_entry(ctx: RequestContext) -> CatalogueEntryOut:
    data: CatalogueEntryIn = ctx.body
    entry = CatalogueStore().put_entry(
        ctx.actor, ctx.path["kind"], ctx.path["entry"], data.name_zh, data.name_en, active=data.active
    )
    return CatalogueEntryOut(code=entry.code, name_zh=entry.name_zh, name_en=entry.name_en, active=entry.active)
