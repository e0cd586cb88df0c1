"""The authorization matrix, generated from the declared routes: every route x every role x
(own scope, other scope, no token). A route added without a case here fails `test_every_route_has_a_case`.

Expected answers: no token -> 401; a role without the route's permission -> 403; own scope -> the route's
success status; other scope -> 404 for a single record, absent from a list.
"""

from __future__ import annotations

import pytest

from chalicelib.core.api import ROUTES, RouteSpec
from chalicelib.core.auth import PUBLIC, ROLES
from chalicelib.localstack.seed import AGENCY_CLIENT, DemoAccount
from tests.authz import all_cases
from tests.authz.common import BY_ROLE, OTHER_PATH, Req
from tests.support import Answer, ApiClient

CASES = all_cases()


def _covers_other(account: DemoAccount) -> bool:
    """City-wide scopes contain every unit: they have no 'other scope' inside the city."""
    return account.scope_kind == "unit" and OTHER_PATH.startswith(account.scope + "/")


def _call(api: ApiClient, req: Req, user: str | None) -> Answer:
    return api.request(req.method, req.path, user=user, body=req.body, raw=req.raw, headers=req.headers)


def test_every_route_has_a_case() -> None:
    declared = {spec.route_id for spec in ROUTES}
    assert declared == set(CASES), f"missing: {declared - set(CASES)}; stale: {set(CASES) - declared}"


@pytest.mark.parametrize("spec", ROUTES, ids=lambda s: s.route_id)
def test_route_matrix(api: ApiClient, spec: RouteSpec) -> None:
    case = CASES[spec.route_id]
    failures: list[str] = []
    some = BY_ROLE["village_cadre"]
    anonymous = _call(api, case.own(api, some, 0), None)
    expected_anonymous = spec.status if spec.permission == PUBLIC else 401
    if anonymous.status != expected_anonymous:
        failures.append(f"no token: {anonymous.status} != {expected_anonymous}")
    for n, role in enumerate((*ROLES, "agency"), start=1):
        account = AGENCY_CLIENT if role == "agency" else BY_ROLE[role]
        allowed = spec.permission == PUBLIC or account.principal().has(spec.permission)
        own = _call(api, case.own(api, account, n), account.username)
        expected = spec.status if allowed else 403
        if own.status != expected:
            failures.append(f"{role} own scope: {own.status} != {expected} {own.body[:200]!r}")
        if case.other is None or _covers_other(account):
            continue
        other = _call(api, case.other(api, account, n), account.username)
        if not allowed:
            if other.status != 403:
                failures.append(f"{role} other scope: {other.status} != 403")
        elif case.hidden is not None:
            if not case.hidden(other):
                failures.append(f"{role} other scope: foreign records visible {other.body[:200]!r}")
        elif other.status != case.other_status:
            failures.append(f"{role} other scope: {other.status} != {case.other_status} {other.body[:200]!r}")
    assert not failures, "\n".join(failures)
