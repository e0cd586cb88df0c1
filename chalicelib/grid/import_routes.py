"""Import and export routes: spreadsheets in (units, households, 三长, party rosters), Excel out (a subtree, a
unit's party roster, templates).

File downloads are binary: send `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`
(or */*), as API Gateway requires for a binary answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from chalicelib.core.api import ApiBlueprint, Reply, RequestContext
from chalicelib.grid.import_schemas import (
    KIND_LABELS,
    MEDIA_TYPES,
    XLSX,
    ExportQuery,
    ImportOut,
    ImportQuery,
    RosterQuery,
)

if TYPE_CHECKING:
    from chalicelib.grid.imports import ImportService

api = ApiBlueprint(__name__, tag="imports")


def _imports() -> ImportService:
    from chalicelib.grid.imports import ImportService  # noqa: PLC0415 - loaded on the first import, not at cold start

    return ImportService()


def _download(data: bytes, filename: str, label: str) -> Reply:
    """An attachment: an ASCII file name, and the Chinese one percent-encoded (RFC 6266) for browsers."""
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(label)}"
    return Reply(data, 200, {"Content-Disposition": disposition})


@api.route(
    "/v1/imports",
    "POST",
    permission="imports:write",
    query=ImportQuery,
    response=ImportOut,
    status=201,
    idempotent=True,
    raw_body=MEDIA_TYPES,
    summary="批量导入网格单元、住户、三长或党员花名册（.xlsx 或 CSV，逐行报错）/ Bulk import from a spreadsheet",
)
def create_import(ctx: RequestContext) -> Reply:
    q: ImportQuery = ctx.query
    done = _imports().submit(ctx.user, ctx.actor, kind=q.kind, mode=q.mode, data=ctx.body, media=ctx.media_type)
    replayed = done.status == 200 and done.body.get("replayed")  # mode=validate_only answers 200 too
    return Reply(done.body, done.status, {"Idempotent-Replayed": "true"} if replayed else {})


@api.route(
    "/v1/imports/{id}",
    "GET",
    permission="imports:write",
    response=ImportOut,
    summary="导入进度与结果 / An import's progress and result",
)
def get_import(ctx: RequestContext) -> ImportOut:
    return _imports().get(ctx.user, ctx.path["id"])


@api.route(
    "/v1/imports/templates/{kind}",
    "GET",
    permission="imports:write",
    content_type=XLSX,
    summary="下载导入模板（表头、说明、示例行）/ Download an import template",
)
def import_template(ctx: RequestContext) -> Reply:
    from chalicelib.grid.export import template  # noqa: PLC0415 - see _imports

    kind = ctx.path["kind"]
    return _download(template(kind), f"template-{kind}.xlsx", f"导入模板-{KIND_LABELS.get(kind, kind)}.xlsx")


@api.route(
    "/v1/units/{code}/export",
    "GET",
    permission="households:read",
    query=ExportQuery,
    content_type=XLSX,
    summary="导出单元及下级的单元和住户（电话默认脱敏）/ Export a subtree to Excel (phones masked)",
)
def export_unit(ctx: RequestContext) -> Reply:
    code = ctx.path["code"]
    from chalicelib.grid.export import Exporter  # noqa: PLC0415 - see _imports
    from chalicelib.grid.service import default_service  # noqa: PLC0415

    data = Exporter(service=default_service()).subtree(ctx.user, ctx.actor, code, ctx.query)
    return _download(data, f"{code}.xlsx", f"导出-{code}.xlsx")


@api.route(
    "/v1/units/{code}/members/export",
    "GET",
    permission="members:read",
    query=RosterQuery,
    content_type=XLSX,
    summary="导出单元及下级的党员花名册（身份证号、电话脱敏）/ Export a unit's party roster (ID and phone masked)",
)
def export_roster(ctx: RequestContext) -> Reply:
    code = ctx.path["code"]
    from chalicelib.grid.export import roster  # noqa: PLC0415 - see _imports

    q: RosterQuery = ctx.query
    data = roster(ctx.user, code, status=q.status, in_service=q.in_service)
    return _download(data, f"{code}-members.xlsx", f"党员花名册-{code}.xlsx")
