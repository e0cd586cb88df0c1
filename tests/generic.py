"""Helpers for checks that run over every declared route (`chalicelib.core.api.ROUTES`), so a route a new slice
declares is covered without a line of test code: a caller who holds its permission, a concrete URL for it,
and the error shape of README "API conventions"."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.core.api import ROUTES, RouteSpec
from chalicelib.core.auth import AUTHENTICATED, PERMISSIONS, PUBLIC
from chalicelib.localstack.seed import DEMO_ACCOUNTS
from chalicelib.slices import import_models

import_models()  # declares every route (app.py loads them on first request)

VILLAGE = "430182-DCQ-QS"
# most powerful first: the first demo account whose role holds a permission calls the route
_PREFERENCE = ("city_admin", "town_cadre", "village_cadre", "group_head", "neighbour_head", "auditor", "department")


def routes() -> list[RouteSpec]:
    return list(ROUTES)


def caller_for(spec: RouteSpec) -> str | None:
    """A demo username allowed to call `spec` (None for a public route)."""
    if spec.permission == PUBLIC:
        return None
    allowed = PERMISSIONS[AUTHENTICATED] if spec.permission == AUTHENTICATED else PERMISSIONS[spec.permission]
    for role in _PREFERENCE:
        if role in allowed:
            return next(a.username for a in DEMO_ACCOUNTS if a.role == role and not a.machine)
    raise AssertionError(f"no demo account may call {spec.route_id}")


def url_for(spec: RouteSpec, values: dict[str, str] | None = None) -> str:
    """The route's path with its parameters filled: a unit code for `{code}`, `values` or "x" otherwise."""
    values = values or {}

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        return values.get(name, VILLAGE if name == "code" else "x")

    return re.sub(r"\{(\w+)\}", fill, spec.path)


def json_body_routes() -> list[RouteSpec]:
    return [r for r in ROUTES if r.body is not None]


def assert_error_shape(body: Any, status: int, code: str | None = None) -> None:
    """`{"error": {"code", "message", "message_en", "fields": [...], "request_id"}}`, Chinese first."""
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "message_en", "fields", "request_id"} <= set(error), error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["message_en"], str) and error["message_en"], error
    assert isinstance(error["fields"], list), error
    if code is not None:
        assert error["code"] == code, (status, error)
    text = repr(body)
    assert "Traceback" not in text and 'File "' not in text, body
