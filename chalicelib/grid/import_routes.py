"""Import and export routes: spreadsheets in (units, households, 三长), Excel out (a subtree, templates).

File downloads are binary: send `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`
(or */*), as API Gateway requires for a binary answer.
"""

from __future__ import annotations

from urllib.parse import quote

from chalicelib.core.api import ApiBlueprint, Reply, RequestContext
from chalicelib.grid.export import Exporter, ExportQuery, template
from chalicelib.grid.imports import KIND_LABELS, MEDIA_TYPES, XLSX, ImportOut, ImportQuery, ImportService
from chalicelib.grid.service import default_service

api = ApiBlueprint(__name__, tag="imports")


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
    summary="批量导入网格单元、住户或三长（.xlsx 或 CSV，逐行报错）/ Bulk import from a spreadsheet",
)
def create_import(ctx: RequestContext) -> Reply:
    q: ImportQuery = ctx.query
    done = ImportService().submit(ctx.user, ctx.actor, kind=q.kind, mode=q.mode, data=ctx.body, media=ctx.media_type)
    return Reply(done.body, done.status, {"Idempotent-Replayed": "true"} if done.status == 200 else {})


@api.route(
    "/v1/imports/{id}",
    "GET",
    permission="imports:write",
    response=ImportOut,
    summary="导入进度与结果 / An import's progress and result",
)
def get_import(ctx: RequestContext) -> ImportOut:
    return ImportService().get(ctx.user, ctx.path["id"])


@api.route(
    "/v1/imports/templates/{kind}",
    "GET",
    permission="imports:write",
    content_type=XLSX,
    summary="下载导入模板（表头、说明、示例行）/ Download an import template",
)
def import_template(ctx: RequestContext) -> Reply:
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
    data = Exporter(service=default_service()).subtree(ctx.user, ctx.actor, code, ctx.query)
    return _download(data, f"{code}.xlsx", f"导出-{code}.xlsx")
