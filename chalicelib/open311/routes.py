"""Open311 GeoReport v2 routes at /open311/v2: JSON, and XML where the path ends in .xml."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from chalicelib.core.api import ApiBlueprint, Reply, RequestContext
from chalicelib.core.auth import PUBLIC
from chalicelib.core.errors import ApiError
from chalicelib.open311.schemas import Open311Query
from chalicelib.open311.service import Open311Error, Open311Service, default_service, from_api_error, to_xml

api = ApiBlueprint(__name__, tag="open311")
BASE = "/open311/v2"
FORM_TYPES = ("application/x-www-form-urlencoded", "application/json")
XML = {"Content-Type": "text/xml; charset=utf-8"}


def _svc() -> Open311Service:
    return default_service()


def _answer(fmt: str, root: str, item: str, work: Callable[[], Any], status: int = 200) -> Reply:
    try:
        data = work()
    except ApiError as e:
        err = from_api_error(e)
        data, status, root, item = err.body(), err.status, "errors", "error"
    except Open311Error as e:
        data, status, root, item = e.body(), e.status, "errors", "error"
    if fmt == "xml":
        return Reply(to_xml(root, item, data), status, dict(XML))
    return Reply(data, status)


def _split(param: str) -> tuple[str, str]:
    """`WATER.json` -> (`WATER`, `json`); a path without .json or .xml is not found."""
    for fmt in ("json", "xml"):
        if param.endswith("." + fmt) and len(param) > len(fmt) + 1:
            return param[: -len(fmt) - 1], fmt
    return param, ""


def _missing(fmt: str) -> Reply:
    err = Open311Error(404, "路径须以 .json 或 .xml 结尾", "The path must end in .json or .xml")
    return Reply(err.body(), 404)


def _form(ctx: RequestContext) -> dict[str, str]:
    raw: bytes = ctx.body
    if ctx.media_type == "application/json":
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise Open311Error(400, "请求内容无法解析", "Unparseable body") from e
        if not isinstance(data, dict):
            raise Open311Error(400, "请求内容须为对象", "The body must be an object")
        form = {str(k): str(v) for k, v in data.items() if v is not None}
    else:
        try:
            parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
        except (UnicodeDecodeError, ValueError) as e:
            raise Open311Error(400, "表单无法解析", "Unparseable form") from e
        form = {k: v[0] for k, v in parsed.items() if v}
    q: Open311Query = ctx.query
    if "api_key" not in form and q.api_key:
        form["api_key"] = q.api_key
    return form


@api.route(f"{BASE}/discovery.json", "GET", permission=PUBLIC, summary="Open311 服务发现 / Open311 discovery")
def open311_discovery(ctx: RequestContext) -> Reply:
    return _answer("json", "discovery", "", lambda: _svc().discovery(BASE))


@api.route(
    f"{BASE}/services.json",
    "GET",
    permission=PUBLIC,
    query=Open311Query,
    summary="Open311 服务（问题类别）/ Open311 services (categories)",
)
def open311_services(ctx: RequestContext) -> Reply:
    return _answer("json", "services", "service", lambda: _svc().services())


@api.route(
    f"{BASE}/services.xml",
    "GET",
    permission=PUBLIC,
    query=Open311Query,
    summary="Open311 服务（XML）/ Open311 services (XML)",
)
def open311_services_xml(ctx: RequestContext) -> Reply:
    return _answer("xml", "services", "service", lambda: _svc().services())


@api.route(
    f"{BASE}/services/{{code}}",
    "GET",
    permission=PUBLIC,
    query=Open311Query,
    summary="Open311 服务定义：services/{code}.json / Open311 service definition",
)
def open311_service_definition(ctx: RequestContext) -> Reply:
    code, fmt = _split(ctx.path["code"])
    if not fmt:
        return _missing(fmt)
    return _answer(fmt, "service_definition", "", lambda: _svc().definition(code))


@api.route(
    f"{BASE}/requests.json",
    "GET",
    permission=PUBLIC,
    query=Open311Query,
    summary="Open311 服务请求列表（不含个人信息）/ Open311 requests (no personal data)",
)
def open311_requests(ctx: RequestContext) -> Reply:
    return _answer("json", "service_requests", "request", lambda: _svc().requests(ctx.query))


@api.route(
    f"{BASE}/requests.xml",
    "GET",
    permission=PUBLIC,
    query=Open311Query,
    summary="Open311 服务请求列表（XML）/ Open311 requests (XML)",
)
def open311_requests_xml(ctx: RequestContext) -> Reply:
    return _answer("xml", "service_requests", "request", lambda: _svc().requests(ctx.query))


@api.route(
    f"{BASE}/requests.json",
    "POST",
    permission=PUBLIC,
    query=Open311Query,
    raw_body=FORM_TYPES,
    status=201,
    summary="Open311 提交服务请求（须 api_key）/ Open311 create a request (api_key)",
)
def open311_create_request(ctx: RequestContext) -> Reply:
    return _answer("json", "service_requests", "request", lambda: _svc().create(_form(ctx), ctx.request_id), 201)


@api.route(
    f"{BASE}/requests.xml",
    "POST",
    permission=PUBLIC,
    query=Open311Query,
    raw_body=FORM_TYPES,
    status=201,
    summary="Open311 提交服务请求（XML）/ Open311 create a request (XML)",
)
def open311_create_request_xml(ctx: RequestContext) -> Reply:
    return _answer("xml", "service_requests", "request", lambda: _svc().create(_form(ctx), ctx.request_id), 201)


@api.route(
    f"{BASE}/requests/{{id}}",
    "GET",
    permission=PUBLIC,
    query=Open311Query,
    summary="Open311 单个服务请求：requests/{id}.json / Open311 one request",
)
def open311_request(ctx: RequestContext) -> Reply:
    ticket_id, fmt = _split(ctx.path["id"])
    if not fmt:
        return _missing(fmt)
    return _answer(fmt, "service_requests", "request", lambda: _svc().request(ticket_id))


@api.route(
    f"{BASE}/tokens/{{token}}",
    "GET",
    permission=PUBLIC,
    query=Open311Query,
    summary="Open311 令牌换取请求号：tokens/{token}.json / Open311 token lookup",
)
def open311_token(ctx: RequestContext) -> Reply:
    token, fmt = _split(ctx.path["token"])
    if not fmt:
        return _missing(fmt)
    return _answer(fmt, "service_requests", "request", lambda: _svc().token(token))


@api.route(
    f"{BASE}/servicerequestupdates.json",
    "GET",
    permission=PUBLIC,
    query=Open311Query,
    summary="Open311 更新同步（mySociety 扩展）/ Open311 request updates (mySociety extension)",
)
def open311_updates(ctx: RequestContext) -> Reply:
    return _answer("json", "service_request_updates", "request_update", lambda: _svc().updates(ctx.query))


@api.route(
    f"{BASE}/servicerequestupdates.xml",
    "GET",
    permission=PUBLIC,
    query=Open311Query,
    summary="Open311 更新同步（XML）/ Open311 request updates (XML)",
)
def open311_updates_xml(ctx: RequestContext) -> Reply:
    return _answer("xml", "service_request_updates", "request_update", lambda: _svc().updates(ctx.query))
