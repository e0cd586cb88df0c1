"""Shared pieces of the authorization matrix: the request and case shapes, and builders of records in
the caller's own scope and in a foreign one. Each slice's cases live in a sibling module of this package
(`CASES`), collected by `tests.authz.all_cases()`."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.core.auth import ROLES
from chalicelib.localstack.seed import DEMO_ACCOUNTS, DemoAccount
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


def own_unit(a: DemoAccount) -> str:
    return a.scope.replace("/", "-") if a.scope_kind == "unit" else "430182-DCQ-QS"


def items_hidden(answer: Answer) -> bool:
    return answer.status == 200 and all(OTHER_PATH not in json.dumps(i) for i in answer.json["items"])


def admin_post(api: ApiClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.post(path, user="city-admin", body=body)
    assert answer.status == 201, answer.body
    result: dict[str, Any] = answer.json
    return result


def household(api: ApiClient, unit: str) -> str:
    body = {"unit": unit, "address": "矩阵", "head_name": "矩阵", "residents": 1, "phone": "13800000000"}
    return str(admin_post(api, "/v1/households", body)["id"])


def empty_child(api: ApiClient, a: DemoAccount, n: int) -> str:
    """An empty unit just below the account's own unit, to delete."""
    parent = own_unit(a) if a.role != "neighbour_head" else "430182-DCQ-QS-P01-Z01"
    return str(admin_post(api, "/v1/units", {"parent": parent, "segment": f"MX{n}", "name": "矩阵"})["code"])


def fresh_leaf(api: ApiClient, group: str, segment: str) -> str:
    """A new, head-less neighbourhood in `group` (each appointment case needs its own post)."""
    return str(admin_post(api, "/v1/units", {"parent": group, "segment": segment, "name": "矩阵邻"})["code"])


def appointment(api: ApiClient, unit: str, n: int) -> str:
    body = {"person_name": "矩阵", "phone": "13800000000", "start": f"2020-01-{n % 28 + 1:02d}"}
    appointment = admin_post(api, f"/v1/units/{unit}/appointments", body)
    return str(appointment["id"])


def end_request(api: ApiClient, unit: str, n: int) -> Req:
    return Req("POST", f"/v1/units/{unit}/appointments/{appointment(api, unit, n)}/end", {"end": "2030-01-01"})


HOUSEHOLD = {"address": "矩阵", "head_name": "矩阵", "residents": 2}
CSV = {"Content-Type": "text/csv"}
DOWNLOAD = {"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def units_file(parent: str, n: int) -> bytes:
    return f"上级编码,本级编码,名称\r\n{parent},MI{n},矩阵导入\r\n".encode()


def import_of(api: ApiClient, a: DemoAccount, parent: str, n: int) -> str:
    """An import made by the account (a role that may not import gets any id: it is refused first)."""
    if not a.principal().has("imports:write"):
        return "0" * 32
    answer = api.request("POST", "/v1/imports?kind=units", user=a.username, raw=units_file(parent, n), headers=CSV)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


_ID_SEQ = itertools.count(1)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number() -> str:
    """A fresh valid ID number of a man (odd 17th digit) each call: one person, one record."""
    k = next(_ID_SEQ)
    first17 = f"430182{1960 + k % 40}0101{k % 50:02d}1"
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def member_body(household: str) -> dict[str, Any]:
    return {
        "name": "矩阵", "gender": "male", "id_number": id_number(), "phone": "13800000000", "branch": "矩阵支部",
        "status": "probationary", "join_date": "2024-01-01", "household": household,
    }  # fmt: skip


def member(api: ApiClient, unit: str) -> str:
    return str(admin_post(api, "/v1/members", member_body(household(api, unit)))["id"])


ZF_TOWN = next(a for a in DEMO_ACCOUNTS if a.username == "zf-town")
