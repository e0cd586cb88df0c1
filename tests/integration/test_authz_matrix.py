"""The authorization matrix, generated from the declared routes: every route x every role x
(own scope, other scope, no token). A route added without a case here fails `test_every_route_has_a_case`.

Expected answers: no token -> 401; a role without the route's permission -> 403; own scope -> the route's
success status; other scope -> 404 for a single record, absent from a list.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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

OTHER_UNIT = "430182-ZF-QQH"  # 资福镇清泉河村: outside every demo scope except the city's
OTHER_PATH = "430182/ZF/QQH"
OTHER_LEAF = "430182-ZF-QQH-P01-Z01-L01"
OWN_LEAF = "430182-DCQ-QS-P01-Z01-L01"  # inside every demo unit scope
OWN_GROUP = "430182-DCQ-QS-P01-Z01"
OTHER_GROUP = "430182-ZF-QQH-P01-Z01"


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: Any = None
    raw: bytes | None = None  # a file body (imports)
    headers: dict[str, str] | None = None


# A case builds the request for one account; `n` is unique per call, for records that must not collide.
Build = Callable[[ApiClient, DemoAccount, int], Req]


@dataclass(frozen=True)
class Case:
    own: Build
    other: Build | None = None  # None: the route has no scoped object
    # for list routes: the other-scope answer is 200 and `hidden` says the foreign record is absent
    hidden: Callable[[Answer], bool] | None = None
    other_status: int = 404  # 422 where the foreign unit is named in the body (a field error)


def _own_unit(a: DemoAccount) -> str:
    return a.scope.replace("/", "-") if a.scope_kind == "unit" else "430182-DCQ-QS"


def _items_hidden(answer: Answer) -> bool:
    return answer.status == 200 and all(OTHER_PATH not in json.dumps(i) for i in answer.json["items"])


def _admin_post(api: ApiClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.post(path, user="city-admin", body=body)
    assert answer.status == 201, answer.body
    result: dict[str, Any] = answer.json
    return result


def _household(api: ApiClient, unit: str) -> str:
    body = {"unit": unit, "address": "矩阵", "head_name": "矩阵", "residents": 1, "phone": "13800000000"}
    return str(_admin_post(api, "/v1/households", body)["id"])


def _empty_child(api: ApiClient, a: DemoAccount, n: int) -> str:
    """An empty unit just below the account's own unit, to delete."""
    parent = _own_unit(a) if a.role != "neighbour_head" else "430182-DCQ-QS-P01-Z01"
    return str(_admin_post(api, "/v1/units", {"parent": parent, "segment": f"MX{n}", "name": "矩阵"})["code"])


def _fresh_leaf(api: ApiClient, group: str, segment: str) -> str:
    """A new, head-less neighbourhood in `group` (each appointment case needs its own post)."""
    return str(_admin_post(api, "/v1/units", {"parent": group, "segment": segment, "name": "矩阵邻"})["code"])


def _appointment(api: ApiClient, unit: str, n: int) -> str:
    body = {"person_name": "矩阵", "phone": "13800000000", "start": f"2020-01-{n % 28 + 1:02d}"}
    appointment = _admin_post(api, f"/v1/units/{unit}/appointments", body)
    return str(appointment["id"])


def _end_request(api: ApiClient, unit: str, n: int) -> Req:
    return Req("POST", f"/v1/units/{unit}/appointments/{_appointment(api, unit, n)}/end", {"end": "2030-01-01"})


HOUSEHOLD = {"address": "矩阵", "head_name": "矩阵", "residents": 2}
CSV = {"Content-Type": "text/csv"}
DOWNLOAD = {"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _units_file(parent: str, n: int) -> bytes:
    return f"上级编码,本级编码,名称\r\n{parent},MI{n},矩阵导入\r\n".encode()


def _import_of(api: ApiClient, a: DemoAccount, parent: str, n: int) -> str:
    """An import made by the account (a role that may not import gets any id: it is refused first)."""
    if not a.principal().has("imports:write"):
        return "0" * 32
    answer = api.request("POST", "/v1/imports?kind=units", user=a.username, raw=_units_file(parent, n), headers=CSV)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


_ID_SEQ = itertools.count(1)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number() -> str:
    """A fresh valid ID number of a man (odd 17th digit) each call: one person, one record."""
    k = next(_ID_SEQ)
    first17 = f"430182{1960 + k % 40}0101{k % 50:02d}1"
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _member_body(household: str) -> dict[str, Any]:
    return {
        "name": "矩阵", "gender": "male", "id_number": _id_number(), "phone": "13800000000", "branch": "矩阵支部",
        "status": "probationary", "join_date": "2024-01-01", "household": household,
    }  # fmt: skip


def _member(api: ApiClient, unit: str) -> str:
    return str(_admin_post(api, "/v1/members", _member_body(_household(api, unit)))["id"])


ZF_TOWN = next(a for a in DEMO_ACCOUNTS if a.username == "zf-town")

CASES: dict[str, Case] = {
    "GET /health": Case(own=lambda api, a, n: Req("GET", "/health")),
    "GET /openapi.json": Case(own=lambda api, a, n: Req("GET", "/openapi.json")),
    "GET /v1/me": Case(own=lambda api, a, n: Req("GET", "/v1/me")),
    "GET /v1/units": Case(
        own=lambda api, a, n: Req("GET", "/v1/units?q=d"),
        other=lambda api, a, n: Req("GET", "/v1/units?q=qqh"),
        hidden=_items_hidden,
    ),
    "GET /v1/units/{code}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{_own_unit(a)}"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}"),
    ),
    "GET /v1/units/{code}/children": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{_own_unit(a)}/children"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/children"),
    ),
    "GET /v1/units/{code}/tree": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{_own_unit(a)}/tree?depth=2"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/tree"),
    ),
    "GET /v1/units/{code}/heads": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{OWN_LEAF}/heads"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_LEAF}/heads"),
    ),
    "GET /v1/units/{code}/map": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{_own_unit(a)}/map"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/map"),
    ),
    "GET /v1/units/{code}/households": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{_own_unit(a)}/households"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/households"),
    ),
    "GET /v1/units/{code}/appointments": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{OWN_LEAF}/appointments"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_LEAF}/appointments"),
    ),
    "POST /v1/units": Case(
        own=lambda api, a, n: Req("POST", "/v1/units", {"parent": _own_unit(a), "segment": f"MY{n}", "name": "矩阵"}),
        other=lambda api, a, n: Req("POST", "/v1/units", {"parent": OTHER_UNIT, "segment": f"MY{n}", "name": "矩阵"}),
    ),
    "PATCH /v1/units/{code}": Case(
        own=lambda api, a, n: Req("PATCH", f"/v1/units/{_own_unit(a)}", {"name": "矩阵改名"}),
        other=lambda api, a, n: Req("PATCH", f"/v1/units/{OTHER_UNIT}", {"name": "矩阵改名"}),
    ),
    "DELETE /v1/units/{code}": Case(
        own=lambda api, a, n: Req("DELETE", f"/v1/units/{_empty_child(api, a, n)}"),
        other=lambda api, a, n: Req("DELETE", f"/v1/units/{OTHER_LEAF}"),
    ),
    "POST /v1/units/{code}/move": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/units/430182-DCQ-QS-P01-Z0{1 + n % 2}/move", {"parent": f"430182-DCQ-QS-P0{1 + (n + 1) % 2}"}
        ),
        other=lambda api, a, n: Req("POST", "/v1/units/430182-ZF-QQH-P01-Z01/move", {"parent": "430182-ZF-QQH-P01"}),
    ),
    "POST /v1/households": Case(
        own=lambda api, a, n: Req("POST", "/v1/households", {"unit": OWN_LEAF, **HOUSEHOLD}),
        other=lambda api, a, n: Req("POST", "/v1/households", {"unit": OTHER_LEAF, **HOUSEHOLD}),
        other_status=422,
    ),
    "GET /v1/households/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/households/{_household(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("GET", f"/v1/households/{_household(api, OTHER_LEAF)}"),
    ),
    "PUT /v1/households/{id}": Case(
        own=lambda api, a, n: Req(
            "PUT", f"/v1/households/{_household(api, OWN_LEAF)}", {"unit": OWN_LEAF, **HOUSEHOLD}
        ),
        other=lambda api, a, n: Req(
            "PUT", f"/v1/households/{_household(api, OTHER_LEAF)}", {"unit": OTHER_LEAF, **HOUSEHOLD}
        ),
    ),
    "DELETE /v1/households/{id}": Case(
        own=lambda api, a, n: Req("DELETE", f"/v1/households/{_household(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("DELETE", f"/v1/households/{_household(api, OTHER_LEAF)}"),
    ),
    "POST /v1/households/{id}/unmask": Case(
        own=lambda api, a, n: Req("POST", f"/v1/households/{_household(api, OWN_LEAF)}/unmask", {"purpose": "visit"}),
        other=lambda api, a, n: Req(
            "POST", f"/v1/households/{_household(api, OTHER_LEAF)}/unmask", {"purpose": "visit"}
        ),
    ),
    "POST /v1/units/{code}/appointments": Case(
        own=lambda api, a, n: Req(
            "POST",
            f"/v1/units/{_fresh_leaf(api, OWN_GROUP, f'LA{n}')}/appointments",
            {"person_name": "矩阵", "phone": "13800000000", "start": "2021-01-01"},
        ),
        other=lambda api, a, n: Req(
            "POST",
            f"/v1/units/{_fresh_leaf(api, OTHER_GROUP, f'LA{n}')}/appointments",
            {"person_name": "矩阵", "phone": "13800000000", "start": "2021-01-01"},
        ),
    ),
    "POST /v1/units/{code}/appointments/{id}/end": Case(
        own=lambda api, a, n: _end_request(api, _fresh_leaf(api, OWN_GROUP, f"LE{n}"), n),
        other=lambda api, a, n: _end_request(api, _fresh_leaf(api, OTHER_GROUP, f"LE{n}"), n),
    ),
    "GET /v1/catalogues/{kind}": Case(own=lambda api, a, n: Req("GET", "/v1/catalogues/household_tag")),
    "PUT /v1/catalogues/{kind}/{entry}": Case(
        own=lambda api, a, n: Req(
            "PUT", "/v1/catalogues/household_tag/matrix", {"name_zh": "矩阵", "name_en": "Matrix"}
        )
    ),
    "POST /v1/imports": Case(
        own=lambda api, a, n: Req("POST", "/v1/imports?kind=units", raw=_units_file(_own_unit(a), n), headers=CSV),
        other=lambda api, a, n: Req("POST", "/v1/imports?kind=units", raw=_units_file(OTHER_UNIT, n), headers=CSV),
        other_status=422,
    ),
    "GET /v1/imports/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/imports/{_import_of(api, a, _own_unit(a), n)}"),
        other=lambda api, a, n: Req("GET", f"/v1/imports/{_import_of(api, ZF_TOWN, OTHER_UNIT, n)}"),
    ),
    "GET /v1/imports/templates/{kind}": Case(
        own=lambda api, a, n: Req("GET", "/v1/imports/templates/households", headers=DOWNLOAD)
    ),
    "GET /v1/units/{code}/export": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{_own_unit(a)}/export", headers=DOWNLOAD),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/export", headers=DOWNLOAD),
    ),
    "POST /v1/members": Case(
        own=lambda api, a, n: Req("POST", "/v1/members", _member_body(_household(api, OWN_LEAF))),
        other=lambda api, a, n: Req("POST", "/v1/members", _member_body(_household(api, OTHER_LEAF))),
        other_status=422,
    ),
    "GET /v1/members/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/members/{_member(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("GET", f"/v1/members/{_member(api, OTHER_LEAF)}"),
    ),
    "PATCH /v1/members/{id}": Case(
        own=lambda api, a, n: Req("PATCH", f"/v1/members/{_member(api, OWN_LEAF)}", {"branch": "矩阵"}),
        other=lambda api, a, n: Req("PATCH", f"/v1/members/{_member(api, OTHER_LEAF)}", {"branch": "矩阵"}),
    ),
    "POST /v1/members/{id}/status": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/members/{_member(api, OWN_LEAF)}/status", {"change": "full", "date": "2025-01-01"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/members/{_member(api, OTHER_LEAF)}/status", {"change": "full", "date": "2025-01-01"}
        ),
    ),
    "POST /v1/members/{id}/unmask": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/members/{_member(api, OWN_LEAF)}/unmask", {"field": "id_number", "purpose": "verification"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/members/{_member(api, OTHER_LEAF)}/unmask", {"field": "phone", "purpose": "visit"}
        ),
    ),
    "GET /v1/units/{code}/members": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{_own_unit(a)}/members"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/members"),
    ),
    "GET /v1/audit": Case(
        own=lambda api, a, n: Req("GET", f"/v1/audit?entity_type=unit&entity_id={_own_unit(a)}"),
        other=lambda api, a, n: Req("GET", f"/v1/audit?entity_type=unit&entity_id={OTHER_UNIT}"),
        hidden=lambda answer: answer.status == 200 and answer.json["items"] == [],
    ),
    "GET /v1/audit/verify": Case(
        own=lambda api, a, n: Req("GET", f"/v1/audit/verify?entity_type=unit&entity_id={_own_unit(a)}"),
        other=lambda api, a, n: Req("GET", f"/v1/audit/verify?entity_type=unit&entity_id={OTHER_UNIT}"),
    ),
}


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
