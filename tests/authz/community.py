"""Authorization-matrix cases of the 在职党员到社区报到 routes (needs, report-ins, claims, service records).
Records are prepared by the city administrator; a service record to review is logged by someone other
than the reviewer (nobody confirms their own log)."""

from __future__ import annotations

from typing import Any

from chalicelib.localstack.seed import DemoAccount
from tests.authz.common import (
    OTHER_LEAF,
    OTHER_UNIT,
    OWN_LEAF,
    Case,
    Req,
    admin_post,
    household,
    member_body,
    own_unit,
)
from tests.support import ApiClient

NEED = {"title": "帮邻长", "category": "help_neighbour_head", "slots": 5, "start": "2026-03-01", "end": "2030-12-31"}
SERVICE = {"date": "2026-04-10", "hours": 2, "description": "走访独居老人"}


def in_service_member(api: ApiClient, unit: str) -> str:
    body = member_body(household(api, unit)) | {"in_service": True, "workplace": "宁乡市人民医院"}
    return str(admin_post(api, "/v1/members", body)["id"])


def reported_member(api: ApiClient, unit: str) -> str:
    member = in_service_member(api, unit)
    admin_post(api, "/v1/report-ins", {"member": member, "period": "2026", "date": "2026-03-05"})
    return member


def need(api: ApiClient, unit: str) -> str:
    return str(admin_post(api, f"/v1/units/{unit}/needs", NEED)["id"])


def claimed(api: ApiClient, unit: str) -> tuple[str, str]:
    need_id, member = need(api, unit), reported_member(api, unit)
    admin_post(api, f"/v1/needs/{need_id}/claims", {"member": member})
    return need_id, member


def service_record(api: ApiClient, unit: str, a: DemoAccount) -> str:
    member = reported_member(api, unit)
    logger = "qs-village" if a.username == "city-admin" else "city-admin"
    answer = api.post("/v1/service-records", user=logger, body=SERVICE | {"member": member})
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def _withdraw(api: ApiClient, unit: str) -> Req:
    need_id, member = claimed(api, unit)
    return Req("POST", f"/v1/needs/{need_id}/claims/{member}/withdraw")


def _claim(api: ApiClient, unit: str) -> Req:
    return Req("POST", f"/v1/needs/{need(api, unit)}/claims", {"member": reported_member(api, unit)})


def _report_in(api: ApiClient, unit: str) -> Req:
    body: dict[str, Any] = {"member": in_service_member(api, unit), "period": "2026", "date": "2026-03-05"}
    return Req("POST", "/v1/report-ins", body)


CASES: dict[str, Case] = {
    "POST /v1/units/{code}/needs": Case(
        own=lambda api, a, n: Req("POST", f"/v1/units/{OWN_LEAF}/needs", NEED),
        other=lambda api, a, n: Req("POST", f"/v1/units/{OTHER_LEAF}/needs", NEED),
    ),
    "GET /v1/units/{code}/needs": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/needs"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/needs"),
    ),
    "GET /v1/needs/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/needs/{need(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("GET", f"/v1/needs/{need(api, OTHER_LEAF)}"),
    ),
    "POST /v1/needs/{id}/close": Case(
        own=lambda api, a, n: Req("POST", f"/v1/needs/{need(api, OWN_LEAF)}/close"),
        other=lambda api, a, n: Req("POST", f"/v1/needs/{need(api, OTHER_LEAF)}/close"),
    ),
    "POST /v1/needs/{id}/claims": Case(
        own=lambda api, a, n: _claim(api, OWN_LEAF),
        other=lambda api, a, n: _claim(api, OTHER_LEAF),
    ),
    "POST /v1/needs/{id}/claims/{member}/withdraw": Case(
        own=lambda api, a, n: _withdraw(api, OWN_LEAF),
        other=lambda api, a, n: _withdraw(api, OTHER_LEAF),
    ),
    "POST /v1/report-ins": Case(
        own=lambda api, a, n: _report_in(api, OWN_LEAF),
        other=lambda api, a, n: _report_in(api, OTHER_LEAF),
        other_status=422,
    ),
    "GET /v1/units/{code}/report-ins": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/report-ins?period=2026"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/report-ins?period=2026"),
    ),
    "GET /v1/units/{code}/report-ins/missing": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/report-ins/missing?period=2026"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/report-ins/missing?period=2026"),
    ),
    "POST /v1/service-records": Case(
        own=lambda api, a, n: Req("POST", "/v1/service-records", SERVICE | {"member": reported_member(api, OWN_LEAF)}),
        other=lambda api, a, n: Req(
            "POST", "/v1/service-records", SERVICE | {"member": reported_member(api, OTHER_LEAF)}
        ),
        other_status=422,
    ),
    "GET /v1/members/{id}/service-records": Case(
        own=lambda api, a, n: Req("GET", f"/v1/members/{in_service_member(api, OWN_LEAF)}/service-records?period=2026"),
        other=lambda api, a, n: Req(
            "GET", f"/v1/members/{in_service_member(api, OTHER_LEAF)}/service-records?period=2026"
        ),
    ),
    "GET /v1/units/{code}/service-records": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/service-records?period=2026"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/service-records?period=2026"),
    ),
    "POST /v1/service-records/{id}/confirm": Case(
        own=lambda api, a, n: Req("POST", f"/v1/service-records/{service_record(api, OWN_LEAF, a)}/confirm"),
        other=lambda api, a, n: Req("POST", f"/v1/service-records/{service_record(api, OTHER_LEAF, a)}/confirm"),
    ),
    "POST /v1/service-records/{id}/dispute": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/service-records/{service_record(api, OWN_LEAF, a)}/dispute", {"reason": "未见到"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/service-records/{service_record(api, OTHER_LEAF, a)}/dispute", {"reason": "未见到"}
        ),
    ),
}
