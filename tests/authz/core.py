"""Authorization-matrix cases of the core routes."""

from __future__ import annotations

from tests.authz.common import (
    OTHER_UNIT,
    Case,
    Req,
    own_unit,
)

CASES: dict[str, Case] = {
    "GET /health": Case(own=lambda api, a, n: Req("GET", "/health")),
    "GET /openapi.json": Case(own=lambda api, a, n: Req("GET", "/openapi.json")),
    "GET /v1/me": Case(own=lambda api, a, n: Req("GET", "/v1/me")),
    "GET /v1/audit": Case(
        own=lambda api, a, n: Req("GET", f"/v1/audit?entity_type=unit&entity_id={own_unit(a)}"),
        other=lambda api, a, n: Req("GET", f"/v1/audit?entity_type=unit&entity_id={OTHER_UNIT}"),
        hidden=lambda answer: answer.status == 200 and answer.json["items"] == [],
    ),
    "GET /v1/audit/verify": Case(
        own=lambda api, a, n: Req("GET", f"/v1/audit/verify?entity_type=unit&entity_id={own_unit(a)}"),
        other=lambda api, a, n: Req("GET", f"/v1/audit/verify?entity_type=unit&entity_id={OTHER_UNIT}"),
    ),
}
