"""Grid unit routes: parse, call the service, shape the answer."""

from __future__ import annotations

from chalicelib.core.api import ApiBlueprint, RequestContext
from chalicelib.core.audit import AuditStore
from chalicelib.grid.schemas import ChildrenQuery, UnitCreate, UnitOut, UnitPage, UnitUpdate
from chalicelib.grid.service import GridService
from chalicelib.grid.store import UnitStore

api = ApiBlueprint(__name__, tag="grid")


def _service() -> GridService:
    return GridService(units=UnitStore(audit=AuditStore()))


def _path(ctx: RequestContext) -> str:
    # The unit's path travels as one segment with "~" for "/" (e.g. 430182~DCQ~QS): API Gateway path
    # parameters cannot hold a slash.
    return ctx.path["code"].replace("~", "/")


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
    return _service().create(ctx.user, ctx.actor, ctx.body)


@api.route("/v1/units/{code}", "GET", permission="units:read", response=UnitOut, summary="网格单元 / A unit")
def get_unit(ctx: RequestContext) -> UnitOut:
    return _service().get(ctx.user, _path(ctx))


@api.route(
    "/v1/units/{code}",
    "PATCH",
    permission="units:write",
    body=UnitUpdate,
    response=UnitOut,
    summary="修改网格单元（If-Match 版本）/ Update a unit (If-Match version)",
)
def update_unit(ctx: RequestContext) -> UnitOut:
    return _service().update(ctx.user, ctx.actor, _path(ctx), ctx.body, ctx.if_match())


@api.route(
    "/v1/units/{code}/children",
    "GET",
    permission="units:read",
    query=ChildrenQuery,
    response=UnitPage,
    summary="下级单元 / Child units",
)
def unit_children(ctx: RequestContext) -> UnitPage:
    q: ChildrenQuery = ctx.query
    return _service().children(ctx.user, _path(ctx), limit=q.limit, cursor=q.cursor)
