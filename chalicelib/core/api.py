"""The one way to declare a route: permission, schemas, idempotency, scope, errors, logs and metrics.

    api = ApiBlueprint(__name__, tag="units")

    @api.route("/v1/units/{code}", "GET", permission="units:read", response=UnitOut, summary="...")
    def get_unit(ctx: RequestContext) -> UnitOut: ...

A route must name a known permission (or PUBLIC): there is no way to register one without. Every declared
route lands in `ROUTES`, which the OpenAPI document and the authorization matrix are generated from.

Chalice does not see these modules at cold start: `app.py` registers every route from the generated
`chalicelib/route_manifest.py` with a small proxy view, and the first request to a route imports its module
(`chalicelib.slices.serve`), which calls `ApiBlueprint.serve` with Chalice's request and Lambda context.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Response
from pydantic import BaseModel, ValidationError
from pynamodb.exceptions import PynamoDBException

from chalicelib.core import idempotency
from chalicelib.core.audit import Actor
from chalicelib.core.auth import PERMISSIONS, PUBLIC, Principal
from chalicelib.core.errors import (
    ApiError,
    BadRequest,
    FieldError,
    Forbidden,
    PayloadTooLarge,
    Unavailable,
    ValidationFailed,
    internal_error_body,
)
from chalicelib.core.observability import logger, metrics
from chalicelib.core.profiles import ProfileStore

MAX_BODY_BYTES = 1_000_000
MAX_RAW_BODY_BYTES = 10 * 1024 * 1024  # routes taking a file (raw_body=...): spreadsheets up to 10 MB
THROTTLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)

current_route: contextvars.ContextVar[str] = contextvars.ContextVar("current_route", default="")


@dataclass(frozen=True)
class RouteSpec:
    name: str
    path: str
    method: str
    permission: str
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    idempotent: bool
    content_type: str = "application/json"
    raw_body: tuple[str, ...] = ()  # media types accepted as a raw body (ctx.body is the bytes)
    module: str = ""  # the route module declaring it (loaded on the route's first request)
    # fields an answer shows but nothing keeps (a webhook's secret), derived again from the answer's other
    # fields: the idempotency record stores them as null, and every answer (first or replayed) gets them back
    reveal: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def route_id(self) -> str:
        return f"{self.method} {self.path}"


ROUTES: list[RouteSpec] = []


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"


class NotAcceptable(ApiError):
    status = 406
    code = "not_acceptable"


def media_type(header: str | None) -> str:
    """`text/csv; charset=gbk` -> `text/csv`."""
    return (header or "").split(";", 1)[0].strip().lower()


@dataclass
class Reply:
    """A handler's answer when it needs a status, headers or a non-JSON body."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RequestContext:
    request_id: str
    principal: Principal | None
    path: dict[str, str]
    body: Any
    query: Any
    headers: dict[str, str]

    @property
    def user(self) -> Principal:
        if self.principal is None:  # only PUBLIC routes have none, and they do not ask
            raise Forbidden("需要登录", "Sign-in required")
        return self.principal

    @property
    def actor(self) -> Actor:
        p = self.user
        return Actor(sub=p.sub, role=p.role, scope=p.scope, request_id=self.request_id)

    @property
    def media_type(self) -> str:
        return media_type(self.headers.get("content-type"))

    def if_match(self) -> int | None:
        raw = self.headers.get("if-match")
        if raw is None:
            return None
        try:
            return int(raw.strip().strip('"').removeprefix("W/").strip('"'))
        except ValueError as e:
            raise BadRequest(
                "If-Match 须为版本号",
                "If-Match must be a version number",
                [FieldError("header.If-Match", "须为整数版本号 / must be an integer version")],
            ) from e


# Pydantic error type -> Chinese message; English follows from Pydantic itself.
_ZH: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "须为文本",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "float_parsing": "须为数字",
    "bool_parsing": "须为布尔值",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "greater_than": "数值太小",
    "less_than": "数值太大",
    "extra_forbidden": "不允许的字段",
    "dict_type": "须为对象",
    "list_type": "须为列表",
    "too_long": "条目太多",
    "too_short": "条目太少",
    "value_error": "取值无效",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
}


def validation_error(e: ValidationError, prefix: str) -> ValidationFailed:
    fields = []
    for err in e.errors(include_url=False, include_input=False):
        path = ".".join([prefix, *(str(p) for p in err["loc"])])
        zh = _ZH.get(err["type"], "取值无效")
        fields.append(FieldError(path, f"{zh} / {err['msg']}"))
    return ValidationFailed("提交的内容有误，请检查标出的字段", "The request has invalid fields", fields)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_body(spec: RouteSpec, raw: bytes | None) -> Any:
    if spec.body is None:
        return None
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge("请求内容过大（上限 1 MB）", "Request body too large (limit 1 MB)")
    try:
        # NaN and Infinity are not JSON; nesting past the recursion limit is refused, not a 500
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant) if raw else None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise BadRequest(
            "请求内容须为 UTF-8 编码的 JSON",
            "The request body must be UTF-8 JSON",
            [FieldError("body", "无法解析的 JSON / unparseable JSON")],
        ) from e
    if data is None:
        raise BadRequest("缺少请求内容", "Missing request body", [FieldError("body", "必填 / required")])
    try:
        return spec.body.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, "body") from e


def _parse_raw(spec: RouteSpec, content_type: str | None, raw: bytes | str | None) -> bytes:
    """A file body: one of the route's media types, at most 10 MB, not empty."""
    kind = media_type(content_type)
    if kind not in spec.raw_body:
        accepted = ", ".join(spec.raw_body)
        raise UnsupportedMediaType(
            f"不支持的文件类型 {kind or '（未说明）'}，请上传：{accepted}",
            f"Unsupported Content-Type {kind or '(none)'}; send one of: {accepted}",
            [FieldError("header.Content-Type", f"须为 {accepted} / must be one of {accepted}")],
        )
    data = raw.encode("utf-8") if isinstance(raw, str) else (raw or b"")
    if len(data) > MAX_RAW_BODY_BYTES:
        raise PayloadTooLarge("文件过大（上限 10 MB），请拆分后分批导入", "File too large (limit 10 MB); split it")
    if not data:
        raise BadRequest("缺少文件内容", "Missing file body", [FieldError("body", "必填 / required")])
    return data


def _parse_query(spec: RouteSpec, params: dict[str, str] | None) -> Any:
    if spec.query is None:
        return None
    try:
        return spec.query.model_validate(dict(params or {}))
    except ValidationError as e:
        raise validation_error(e, "query") from e


def _shape(result: Any, spec: RouteSpec) -> Reply:
    if isinstance(result, Reply):
        return result
    if isinstance(result, BaseModel):
        return Reply(result.model_dump(mode="json"), spec.status)
    return Reply(result, spec.status)


def _response(reply: Reply, request_id: str, content_type: str) -> Response:
    """A JSON body is serialised here; bytes or text (a spreadsheet) pass through; 204 has no body."""
    headers: dict[str, str | list[str]] = {"Content-Type": content_type, "X-Request-Id": request_id, **reply.headers}
    if reply.status == 204:
        return Response(body="", status_code=204, headers=headers)
    if isinstance(reply.body, bytes | str):
        return Response(body=reply.body, status_code=reply.status, headers=headers)
    body = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":"))
    return Response(body=body, status_code=reply.status, headers=headers)


def _accepts(accept: str | None, content_type: str) -> bool:
    """API Gateway returns a binary body only when the request's Accept names its type (or */*)."""
    kinds = {media_type(part) for part in (accept or "").split(",")}
    return content_type in kinds or "*/*" in kinds


def _is_transient(e: PynamoDBException) -> bool:
    code = getattr(e, "cause_response_code", None)
    if code in THROTTLE_CODES:
        return True
    reasons = getattr(e, "cancellation_reasons", None) or []
    return any(r is not None and r.code in {"ThrottlingError", "TransactionConflict"} for r in reasons)


class ApiBlueprint:
    def __init__(self, import_name: str, *, tag: str) -> None:
        self.import_name = import_name
        self.tag = tag
        self.handlers: dict[str, tuple[RouteSpec, Callable[[RequestContext], Any]]] = {}
        self._profiles = ProfileStore()

    def route(
        self,
        path: str,
        method: str,
        *,
        permission: str,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        idempotent: bool = False,
        content_type: str = "application/json",
        raw_body: tuple[str, ...] = (),
        reveal: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Callable[[Callable[[RequestContext], Any]], Callable[[RequestContext], Any]]:
        if permission != PUBLIC and permission not in PERMISSIONS:
            raise ValueError(f"route {method} {path}: unknown permission {permission!r}")

        def decorate(fn: Callable[[RequestContext], Any]) -> Callable[[RequestContext], Any]:
            spec = RouteSpec(
                name=fn.__name__,
                path=path,
                method=method,
                permission=permission,
                summary=summary,
                tag=self.tag,
                body=body,
                query=query,
                response=response,
                status=status,
                idempotent=idempotent,
                content_type=content_type,
                raw_body=raw_body,
                module=self.import_name,
                reveal=reveal,
            )
            if spec.route_id in self.handlers:
                raise ValueError(f"route {spec.route_id} declared twice in {self.import_name}")
            ROUTES.append(spec)
            self.handlers[spec.route_id] = (spec, fn)
            return fn

        return decorate

    def serve(self, route_id: str, request: Any, context: Any, path: dict[str, str]) -> Response:
        """Answer one request for a route of this module (Chalice's current request and Lambda context)."""
        spec, fn = self.handlers[route_id]
        return self._handle(spec, fn, request, context, path)

    def _handle(
        self,
        spec: RouteSpec,
        fn: Callable[[RequestContext], Any],
        request: Any,
        context: Any,
        path: dict[str, str],
    ) -> Response:
        # API Gateway's request id; Chalice's local gateway gives none, so fall back to the Lambda context's
        request_id = str(request.context.get("requestId") or getattr(context, "aws_request_id", ""))
        log = logger()
        log.set_correlation_id(request_id)
        token = current_route.set(spec.route_id)
        started = time.perf_counter()
        try:
            reply = self._run(spec, fn, request, context, request_id=request_id, path=path)
        except ApiError as e:
            reply = Reply(e.body(request_id), e.status, e.headers)
        except PynamoDBException as e:
            if not _is_transient(e):
                log.exception("storage error", extra={"route": spec.route_id, "error": type(e).__name__})
                reply = Reply(internal_error_body(request_id), 500)
            else:
                err = Unavailable("服务繁忙，请稍后重试", "Service busy; retry shortly", headers={"Retry-After": "1"})
                reply = Reply(err.body(request_id), err.status, err.headers)
        except Exception as e:
            log.exception("unhandled error", extra={"route": spec.route_id, "error": type(e).__name__})
            reply = Reply(internal_error_body(request_id), 500)
        finally:
            current_route.reset(token)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("request", extra={"route": spec.route_id, "status": reply.status, "ms": round(elapsed_ms, 1)})
        m = metrics()
        m.add_metric(name="Requests", unit="Count", value=1)
        m.add_metric(name="LatencyMs", unit="Milliseconds", value=elapsed_ms)
        if reply.status >= 500:
            m.add_metric(name="ServerErrors", unit="Count", value=1)
        content_type = "application/json" if reply.status >= 400 else spec.content_type
        return _response(reply, request_id, content_type)

    def _run(
        self,
        spec: RouteSpec,
        fn: Callable[[RequestContext], Any],
        request: Any,
        context: Any,
        *,
        request_id: str,
        path: dict[str, str],
    ) -> Reply:
        principal: Principal | None = None
        if spec.permission != PUBLIC:
            sub = str((request.context.get("authorizer") or {}).get("principalId", ""))
            principal = self._profiles.get_principal(sub) if sub and sub != "anonymous" else None
            if principal is None:
                raise Forbidden("账号未开通或已停用", "No active profile for this account")
            principal.require(spec.permission)
        headers = {k.lower(): v for k, v in (request.headers or {}).items()}
        if spec.content_type != "application/json" and not _accepts(headers.get("accept"), spec.content_type):
            raise NotAcceptable(
                f"请在请求头 Accept 中写明 {spec.content_type}（文件下载）",
                f"Send Accept: {spec.content_type} to download this file",
                [FieldError("header.Accept", f"须包含 {spec.content_type} / must include it")],
            )
        ctx = RequestContext(
            request_id=request_id,
            principal=principal,
            path=path,
            body=_parse_raw(spec, headers.get("content-type"), request.raw_body)
            if spec.raw_body
            else _parse_body(spec, request.raw_body if spec.body else None),
            query=_parse_query(spec, request.query_params),
            headers=headers,
        )
        key = headers.get("idempotency-key")
        if spec.idempotent and key is not None and principal is not None:
            namespace = f"{principal.sub}|{spec.route_id}|{json.dumps(path, sort_keys=True)}"
            body = ctx.body.model_dump(mode="json") if isinstance(ctx.body, BaseModel) else ctx.body
            if isinstance(body, bytes):  # a file: the same key with another file is refused by its hash
                body = {"sha256": hashlib.sha256(body).hexdigest()}

            def work() -> dict[str, Any]:
                reply = _shape(fn(ctx), spec)
                kept = {**reply.body, **dict.fromkeys(spec.reveal(reply.body))} if spec.reveal else reply.body
                return {"status": reply.status, "body": kept, "headers": reply.headers}

            stored, replayed = idempotency.run_once(
                key=key, namespace=namespace, body=body, work=work, lambda_context=context
            )
            headers_out = dict(stored.get("headers") or {})
            if replayed:
                headers_out["Idempotent-Replayed"] = "true"
            shown = {**stored["body"], **spec.reveal(stored["body"])} if spec.reveal else stored["body"]
            return Reply(shown, int(stored["status"]), headers_out)
        return _shape(fn(ctx), spec)
