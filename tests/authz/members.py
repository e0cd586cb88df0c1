"""Authorization-matrix cases of the members routes."""

from __future__ import annotations

from tests.authz.common import (
    OTHER_LEAF,
    OTHER_UNIT,
    OWN_LEAF,
    Case,
    Req,
    household,
    member,
    member_body,
    own_unit,
)

CASES: dict[str, Case] = {
    "POST /v1/members": Case(
        own=lambda api, a, n: Req("POST", "/v1/members", member_body(household(api, OWN_LEAF))),
        other=lambda api, a, n: Req("POST", "/v1/members", member_body(household(api, OTHER_LEAF))),
        other_status=422,
    ),
    "GET /v1/members/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/members/{member(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("GET", f"/v1/members/{member(api, OTHER_LEAF)}"),
    ),
    "PATCH /v1/members/{id}": Case(
        own=lambda api, a, n: Req("PATCH", f"/v1/members/{member(api, OWN_LEAF)}", {"branch": "矩阵"}),
        other=lambda api, a, n: Req("PATCH", f"/v1/members/{member(api, OTHER_LEAF)}", {"branch": "矩阵"}),
    ),
    "POST /v1/members/{id}/status": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/members/{member(api, OWN_LEAF)}/status", {"change": "full", "date": "2025-01-01"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/members/{member(api, OTHER_LEAF)}/status", {"change": "full", "date": "2025-01-01"}
        ),
    ),
    "POST /v1/members/{id}/unmask": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/members/{member(api, OWN_LEAF)}/unmask", {"field": "id_number", "purpose": "verification"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/members/{member(api, OTHER_LEAF)}/unmask", {"field": "phone", "purpose": "visit"}
        ),
    ),
    "GET /v1/units/{code}/members": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/members"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/members"),
    ),
}
