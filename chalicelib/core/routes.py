"""Core routes: health, the OpenAPI document, the caller's own profile, and the audit trail."""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.core.api import ApiBlueprint, RequestContext
from chalicelib.core.audit import AuditService, AuditStore
from chalicelib.core.auth import AUTHENTICATED, PUBLIC, ROLE_LABELS, permissions_of
from chalicelib.core.errors import BadRequest
from chalicelib.core.health import backends_up
from chalicelib.core.openapi import build_openapi
from chalicelib.core.schemas import (
    AuditPageOut,
    AuditQuery,
    AuditVerifyOut,
    AuditVerifyQuery,
    HealthOut,
    MeOut,
    OpenApiOut,
    ScopeOut,
)
from chalicelib.core.settings import get_settings

api = ApiBlueprint(__name__, tag="core")


@functools.cache
def _versions() -> dict[str, str]:
    import platform  # noqa: PLC0415 - asked only by /health, not at cold start
    from importlib import metadata  # noqa: PLC0415

    out = {"python": platform.python_version()}
    for dist in ("boto3", "pynamodb", "pydantic", "aws-lambda-powertools", "PyJWT"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


@api.route("/health", "GET", permission=PUBLIC, response=HealthOut, summary="服务状态 / Service health")
def health(ctx: RequestContext) -> HealthOut:
    settings = get_settings()
    backends = backends_up()
    return HealthOut(
        status="ok" if all(backends.values()) else "degraded",
        stage=settings.stage,
        version=settings.version,
        versions=_versions(),
        backends=backends,
    )


@functools.cache
def _openapi_document(version: str) -> dict[str, Any]:
    return build_openapi(version)


@api.route("/openapi.json", "GET", permission=PUBLIC, response=OpenApiOut, summary="OpenAPI 3.1 文档 / document")
def openapi(ctx: RequestContext) -> dict[str, Any]:
    return _openapi_document(get_settings().version)


@api.route("/v1/me", "GET", permission=AUTHENTICATED, response=MeOut, summary="当前用户 / The signed-in user")
def me(ctx: RequestContext) -> MeOut:
    p = ctx.user
    return MeOut(
        sub=p.sub,
        username=p.username,
        display_name=p.display_name,
        role=p.role,
        role_label=" / ".join(ROLE_LABELS[p.role]),
        scope=ScopeOut(kind=p.scope_kind, path=p.scope),
        permissions=permissions_of(p.role),
    )


def _audit() -> AuditService:
    return AuditService(store=AuditStore())


@api.route(
    "/v1/audit",
    "GET",
    permission="audit:read",
    query=AuditQuery,
    response=AuditPageOut,
    summary="审计记录查询（按实体或时间段）/ Audit events by entity or time range",
)
def audit_events(ctx: RequestContext) -> AuditPageOut:
    q: AuditQuery = ctx.query
    if q.entity_type is not None and q.entity_id is not None:
        items, cursor = _audit().for_entity(ctx.user, q.entity_type, q.entity_id, limit=q.limit, cursor=q.cursor)
    elif q.start is not None and q.end is not None:
        items, cursor = _audit().in_range(ctx.user, q.start, q.end, limit=q.limit, cursor=q.cursor)
    else:  # the query model admits no other case
        raise BadRequest("缺少查询条件", "Missing query selector")
    return AuditPageOut.model_validate({"items": items, "next_cursor": cursor})


@api.route(
    "/v1/audit/verify",
    "GET",
    permission="audit:read",
    query=AuditVerifyQuery,
    response=AuditVerifyOut,
    summary="校验实体审计链 / Verify an entity's audit hash chain",
)
def audit_verify(ctx: RequestContext) -> AuditVerifyOut:
    q: AuditVerifyQuery = ctx.query
    return AuditVerifyOut.model_validate(_audit().verify(ctx.user, q.entity_type, q.entity_id))
