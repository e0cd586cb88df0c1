"""Authorization-matrix cases of the Open311 GeoReport v2 routes: all public (reads need no key; creating
checks the agency's api_key inside, answering 403 in the spec's error shape without one)."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.authz.common import Case, Req
from tests.conftest import TEST_API_KEY
from tests.support import ApiClient

ROOT = "/open311/v2"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form(n: int) -> bytes:
    fields = {"api_key": TEST_API_KEY, "service_code": "water_supply", "address_id": "430182-DCQ-QS",
              "description": f"矩阵 {n}"}  # fmt: skip
    return urlencode(fields).encode()


def created(api: ApiClient, n: int) -> dict[str, str]:
    answer = api.request("POST", f"{ROOT}/requests.json", raw=form(n), headers=FORM)
    assert answer.status == 201, answer.body
    result: dict[str, str] = answer.json[0]
    return result


def get(path: str) -> Case:
    return Case(own=lambda api, a, n: Req("GET", f"{ROOT}/{path}"))


CASES: dict[str, Case] = {
    "GET /open311/v2/discovery.json": get("discovery.json"),
    "GET /open311/v2/services.json": get("services.json"),
    "GET /open311/v2/services.xml": get("services.xml"),
    "GET /open311/v2/services/{code}": get("services/water_supply.json"),
    "GET /open311/v2/requests.json": get("requests.json"),
    "GET /open311/v2/servicerequestupdates.json": get("servicerequestupdates.json"),
    "GET /open311/v2/servicerequestupdates.xml": get("servicerequestupdates.xml"),
    "GET /open311/v2/requests.xml": get("requests.xml?status=open"),
    "POST /open311/v2/requests.json": Case(
        own=lambda api, a, n: Req("POST", f"{ROOT}/requests.json", raw=form(n), headers=FORM)
    ),
    "POST /open311/v2/requests.xml": Case(
        own=lambda api, a, n: Req("POST", f"{ROOT}/requests.xml", raw=form(n), headers=FORM)
    ),
    "GET /open311/v2/requests/{id}": Case(
        own=lambda api, a, n: Req("GET", f"{ROOT}/requests/{created(api, n)['service_request_id']}.json")
    ),
    "GET /open311/v2/tokens/{token}": Case(
        own=lambda api, a, n: Req("GET", f"{ROOT}/tokens/{created(api, n)['token']}.json")
    ),
}
