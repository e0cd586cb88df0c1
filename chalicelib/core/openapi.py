"""OpenAPI 3.1 generated from the declared routes and the Pydantic models that validate them."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from chalicelib.core.api import ROUTES, RouteSpec
from chalicelib.core.auth import PERMISSIONS, PUBLIC

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "message_en", "fields", "request_id"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string", "description": "中文说明"},
                "message_en": {"type": "string"},
                "fields": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["path", "message"],
                        "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
                "request_id": {"type": "string"},
            },
        }
    },
}

# Open311 (GeoReport v2) answers its own errors as a list of {code, description}; the framework in front of a
# handler (unreadable query, busy) still answers with Error. Routes of these tags document both.
OPEN311_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
FOREIGN_ERRORS = {"open311": ("Open311Errors", ("400", "403", "404", "422", "503"))}

_ERRORS = {
    "400": "请求格式错误 / Bad request",
    "401": "未登录或令牌无效 / Unauthenticated",
    "403": "角色无权 / Forbidden",
    "404": "不存在或不在管辖范围内 / Not found or out of scope",
    "409": "冲突（版本过期或已存在）/ Conflict",
    "413": "请求过大 / Payload too large",
    "422": "字段校验失败 / Validation failed",
    "503": "服务繁忙 / Busy, retry",
}


def _ref(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode=mode, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
    for name, sub in schema.pop("$defs", {}).items():
        _put(components, name, sub)
    name = model.__name__
    _put(components, name, schema)
    return {"$ref": f"#/components/schemas/{name}"}


def _put(components: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    """Components are named by model class: two slices' models of one name would silently replace each other
    (a response validated against another slice's schema), so a clash is an error at build time."""
    if name in components and components[name] != schema:
        raise ValueError(f"two models named {name} give different schemas: rename one")
    components[name] = schema


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.summary,
        "tags": [spec.tag],
        "x-permission": spec.permission,
        "x-roles": sorted(PERMISSIONS.get(spec.permission, frozenset())) if spec.permission != PUBLIC else [],
    }
    params = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in re.findall(r"{(\w+)}", spec.path)
    ]
    if spec.query is not None:
        params += _query_params(spec.query)
    if spec.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                "description": "重试不重复 / a retry with the same key returns the first answer",
            }
        )
    if spec.method in ("PUT", "PATCH"):
        params.append({"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}})
    if params:
        op["parameters"] = params
    if spec.raw_body:
        op["requestBody"] = {
            "required": True,
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in spec.raw_body},
        }
    elif spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(spec.body, components, "validation")}},
        }
    ok: dict[str, Any] = {"description": "成功 / OK"}
    if spec.response is not None:
        ok["content"] = {spec.content_type: {"schema": _ref(spec.response, components, "serialization")}}
    elif spec.content_type != "application/json":
        ok["content"] = {spec.content_type: {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {str(spec.status): ok}
    schema: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
    codes = ["400", "422", "503"] if spec.permission == PUBLIC else list(_ERRORS)
    if spec.tag in FOREIGN_ERRORS:
        name, foreign_codes = FOREIGN_ERRORS[spec.tag]
        schema = {"anyOf": [schema, {"$ref": f"#/components/schemas/{name}"}]}
        codes = list(foreign_codes)
    error = {"content": {"application/json": {"schema": schema}}}
    for code in codes:
        responses[code] = {"description": _ERRORS[code], **error}
    op["responses"] = responses
    op["security"] = [] if spec.permission == PUBLIC else [{"bearerAuth": []}]
    return op


def build_openapi(version: str) -> dict[str, Any]:
    from chalicelib.slices import import_models  # noqa: PLC0415 - every slice's routes, loaded on first use

    import_models()
    components: dict[str, Any] = {"Error": ERROR_SCHEMA, "Open311Errors": OPEN311_ERRORS_SCHEMA}
    paths: dict[str, Any] = {}
    for spec in sorted(ROUTES, key=lambda s: (s.path, s.method)):
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "宁乡市 三亮三比 基层治理服务 API / Ningxiang grassroots governance API",
            "version": version,
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }
