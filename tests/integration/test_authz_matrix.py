"""The authorization matrix, generated from the declared routes: every route x every role x
(own scope, other scope, no token). A route added without a case here fails `test_every_route_has_a_case`.

Expected answers: no token -> 401; a role without the route's permission -> 403; own scope -> the route's
success status; other scope -> 404 for a single record, absent from a list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.core.api import ROUTES, RouteSpec
from chalicelib.core.auth import PUBLIC, ROLES
from chalicelib.localstack.seed import AGENCY_CLIENT, DEMO_ACCOUNTS, DemoAccount
from tests.support import Answer, ApiClient

# one account per role; jiang-dan and zf-town are extra village/town accounts, the agency a second department
BY_ROLE: dict[str, DemoAccount] = {}
for _account in DEMO_ACCOUNTS:
    BY_ROLE.setdefault(_account.role, _account)
assert set(BY_ROLE) == set(ROLES), "the demo accounts must cover every role"

OTHER_UNIT = "430182/ZF/QQH"  # 资福镇清泉河村: outside every demo scope except the city's


def _seg(path: str) -> str:
    return path.replace("/", "~")


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: Any = None


@dataclass(frozen=True)
class Case:
    own: Callable[[DemoAccount], Req]
    other: Callable[[DemoAccount], Req] | None = None  # None: the route has no scoped object
    # for list routes: the other-scope answer is 200 and `hidden` says the foreign record is absent
    hidden: Callable[[Answer], bool] | None = None


def _own_unit(a: DemoAccount) -> str:
    return a.scope if a.scope_kind == "unit" else "430182/DCQ/QS"


def _audit_items_empty(answer: Answer) -> bool:
    return answer.status == 200 and answer.json["items"] == []


CASES: dict[str, Case] = {
    "GET /health": Case(own=lambda a: Req("GET", "/health")),
    "GET /openapi.json": Case(own=lambda a: Req("GET", "/openapi.json")),
    "GET /v1/me": Case(own=lambda a: Req("GET", "/v1/me")),
    "GET /v1/units/{code}": Case(
        own=lambda a: Req("GET", f"/v1/units/{_seg(_own_unit(a))}"),
        other=lambda a: Req("GET", f"/v1/units/{_seg(OTHER_UNIT)}"),
    ),
    "GET /v1/units/{code}/children": Case(
        own=lambda a: Req("GET", f"/v1/units/{_seg(_own_unit(a))}/children"),
        other=lambda a: Req("GET", f"/v1/units/{_seg(OTHER_UNIT)}/children"),
    ),
    "POST /v1/units": Case(
        own=lambda a: Req("POST", "/v1/units", {"parent": _own_unit(a), "code": "MX1", "name": "矩阵测试"}),
        other=lambda a: Req("POST", "/v1/units", {"parent": OTHER_UNIT, "code": "MX2", "name": "矩阵测试"}),
    ),
    "PATCH /v1/units/{code}": Case(
        own=lambda a: Req("PATCH", f"/v1/units/{_seg(_own_unit(a))}", {"name": "矩阵改名"}),
        other=lambda a: Req("PATCH", f"/v1/units/{_seg(OTHER_UNIT)}", {"name": "矩阵改名"}),
    ),
    "GET /v1/audit": Case(
        own=lambda a: Req("GET", f"/v1/audit?entity_type=unit&entity_id={quote(_own_unit(a))}"),
        other=lambda a: Req("GET", f"/v1/audit?entity_type=unit&entity_id={quote(OTHER_UNIT)}"),
        hidden=_audit_items_empty,
    ),
    "GET /v1/audit/verify": Case(
        own=lambda a: Req("GET", f"/v1/audit/verify?entity_type=unit&entity_id={quote(_own_unit(a))}"),
        other=lambda a: Req("GET", f"/v1/audit/verify?entity_type=unit&entity_id={quote(OTHER_UNIT)}"),
    ),
}


def _covers_other(account: DemoAccount) -> bool:
    """City-wide scopes contain every unit: they have no 'other scope' inside the city."""
    return account.scope_kind == "unit" and OTHER_UNIT.startswith(account.scope + "/")


def _call(api: ApiClient, req: Req, user: str | None) -> Answer:
    return api.request(req.method, req.path, user=user, body=req.body)


def test_every_route_has_a_case() -> None:
    declared = {spec.route_id for spec in ROUTES}
    assert declared == set(CASES), f"missing: {declared - set(CASES)}; stale: {set(CASES) - declared}"


@pytest.mark.parametrize("spec", ROUTES, ids=lambda s: s.route_id)
def test_route_matrix(api: ApiClient, spec: RouteSpec) -> None:
    case = CASES[spec.route_id]
    failures: list[str] = []
    some = BY_ROLE["village_cadre"]
    anonymous = _call(api, case.own(some), None)
    expected_anonymous = spec.status if spec.permission == PUBLIC else 401
    if anonymous.status != expected_anonymous:
        failures.append(f"no token: {anonymous.status} != {expected_anonymous}")
    for role in (*ROLES, "agency"):
        account = AGENCY_CLIENT if role == "agency" else BY_ROLE[role]
        allowed = spec.permission == PUBLIC or account.principal().has(spec.permission)
        own = _call(api, case.own(account), account.username)
        expected = spec.status if allowed else 403
        if own.status != expected:
            failures.append(f"{role} own scope: {own.status} != {expected} {own.body[:200]!r}")
        if case.other is None or _covers_other(account):
            continue
        other = _call(api, case.other(account), account.username)
        if not allowed:
            if other.status != 403:
                failures.append(f"{role} other scope: {other.status} != 403")
        elif case.hidden is not None:
            if not case.hidden(other):
                failures.append(f"{role} other scope: foreign records visible {other.body[:200]!r}")
        elif other.status != 404:
            failures.append(f"{role} other scope: {other.status} != 404 {other.body[:200]!r}")
    assert not failures, "\n".join(failures)
