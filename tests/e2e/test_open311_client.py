"""Open311 GeoReport v2 driven by the real, unmodified third-party client `georeport` (PyPI, 0.3.1) over HTTP
against the local stack: service list and definition, a request posted with an agency's api_key, read back by
id and in the list (JSON and XML), followed from open to closed as the ticket is worked through our API.

georeport 0.3.1 reads only (its README: it "does not currently support the creation of new 311 service
requests"), so the request is posted the way the GeoReport v2 spec describes it (form-encoded, `api_key`),
with plain `requests`; every read goes through the client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from georeport import GeoReport

from tests.e2e.fuzz import patient_stack
from tests.e2e.stack_process import StackProcess

pytestmark = pytest.mark.e2e

TOWN = "430182-DCQ"
GROUP = "430182-DCQ-QS-P01-Z01"
REPORTER = {"first_name": "胡", "last_name": "明", "phone": "13807310001", "email": "huming@example.org"}
SECRETS = ("13807310001", "huming@example.org", "huming", '"胡"', '"明"')


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    with patient_stack(tmp_path_factory.mktemp("open311") / "state") as running:
        yield running


def _api_key(stack: StackProcess) -> str:
    clients = stack.get("/local-auth/accounts").json()["clients"]
    return str(next(c for c in clients if c["username"] == "agency-12345")["api_key"])


def _no_personal_data(*answers: Any) -> None:
    text = json.dumps(answers, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text, secret


def _work(stack: StackProcess, request_id: str) -> None:
    """The town dispatches; 水利局 reports in and resolves; the town verifies, rates and closes (销号)."""
    tokens = {user: stack.token(user) for user in ("dcq-town", "water-bureau")}
    base = f"/v1/whistle/tickets/{request_id}"
    for action, user, body in (
        ("dispatch", "dcq-town", {"co": []}), ("report-in", "water-bureau", {}),
        ("resolve", "water-bureau", {"note": "已冲洗管网，水质复检合格"}), ("verify", "dcq-town", {"ok": True}),
        ("evaluate", "dcq-town", {"satisfaction": 5}), ("close", "dcq-town", {}),
    ):  # fmt: skip
        answer = stack.post(f"{base}/{action}", body, token=tokens[user])
        assert answer.status_code == 200, (action, answer.text)


def test_the_georeport_client_follows_a_request_from_open_to_closed(stack: StackProcess) -> None:
    root = f"{stack.base_url}/open311/v2"
    client = GeoReport(root, jurisdiction=TOWN)

    # GIVEN the client reads the services (our whistle categories) and one service definition
    services = client.get_service_list()
    by_code = {s["service_code"]: s for s in services}
    assert by_code["water_supply"]["service_name"] == "供水管网与水利设施"
    assert by_code["water_supply"]["group"] == "水利局" and by_code["water_supply"]["metadata"] is True
    assert by_code["dangerous_building"]["group"] == "住建局"
    assert {s["type"] for s in services} <= {"realtime", "batch", "blackbox"}
    definition = client.get_service_definition("water_supply")
    assert definition["service_code"] == "water_supply"
    kind = definition["attributes"][0]
    assert kind["code"] == "kind" and kind["datatype"] == "singlevaluelist"
    assert [v["key"] for v in kind["values"]] == ["routine", "tough", "emergency"]
    with pytest.raises(requests.HTTPError) as missing:
        client.get_service_definition("no_such_service")
    assert missing.value.response.status_code == 404
    assert set(missing.value.response.json()[0]) == {"code", "description"}

    # WHEN an agency posts a request with its api_key, naming the reporter as the spec allows
    form = {
        "jurisdiction_id": TOWN, "service_code": "water_supply", "address_id": GROUP,
        "address_string": "鹊山村第一组", "lat": "28.05", "long": "112.41",
        "description": "12345来电：自来水浑浊三天", "media_url": "https://example.org/water.jpg",
        "attribute[kind]": "routine", **REPORTER,
    }  # fmt: skip
    refused = requests.post(f"{root}/requests.json", data=form | {"api_key": "not-a-key"}, timeout=30)
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    created = requests.post(f"{root}/requests.json", data=form | {"api_key": _api_key(stack)}, timeout=30)
    assert created.status_code == 201, created.text
    request_id, token = created.json()[0]["service_request_id"], created.json()[0]["token"]
    by_token = requests.get(f"{root}/tokens/{token}.json", timeout=30).json()
    assert by_token == [{"service_request_id": request_id, "token": token}]

    # THEN the client reads it back by id and in the list: open, 水利局 responsible, a due time, no reporter
    one = client.get_service_request(request_id)
    assert one["service_request_id"] == request_id and one["status"] == "open"
    assert one["service_code"] == "water_supply" and one["agency_responsible"] == "水利局"
    assert one["address_id"] == GROUP and one["lat"] == 28.05 and one["long"] == 112.41
    assert one["media_url"] == "https://example.org/water.jpg" and one["requested_datetime"]
    listed = client.get_service_requests()
    assert request_id in [r["service_request_id"] for r in listed]
    by_id = client.get_service_requests(service_request_id=request_id)
    assert [r["service_request_id"] for r in by_id] == [request_id]
    assert request_id in [r["service_request_id"] for r in client.get_service_requests(status="open")]
    assert request_id not in [r["service_request_id"] for r in client.get_service_requests(status="closed")]
    assert request_id not in [r["service_request_id"] for r in client.get_service_requests(service_code="pollution")]
    # a client configured for the whole city (the town's parent) sees the town's requests too
    city = GeoReport(root, jurisdiction="430182")
    assert request_id in [r["service_request_id"] for r in city.get_service_requests()]
    assert request_id not in [r["service_request_id"] for r in GeoReport(root, jurisdiction="430182-ZF")
                              .get_service_requests()]  # fmt: skip
    _no_personal_data(one, listed)

    # WHEN the ticket is dispatched, worked and closed (销号) through our API
    dispatched_due = one["expected_datetime"]
    _work(stack, request_id)

    # THEN the client sees it closed, with our state in status_notes, in JSON and in XML
    closed = client.get_service_request(request_id)
    assert closed["status"] == "closed" and "closed" in closed["status_notes"]
    assert closed["updated_datetime"] >= one["updated_datetime"]
    assert closed["expected_datetime"] and closed["expected_datetime"] != dispatched_due  # due once dispatched
    assert request_id in [r["service_request_id"] for r in client.get_service_requests(status="closed")]
    assert request_id not in [r["service_request_id"] for r in client.get_service_requests(status="open")]
    xml_client = GeoReport(root, jurisdiction=TOWN, output_format="xml")
    xml_one = xml_client.get_service_request(request_id)
    assert xml_one["service_request_id"] == request_id and xml_one["status"] == "closed"
    assert xml_one["agency_responsible"] == "水利局"
    xml_services = xml_client.get_service_list()
    assert "water_supply" in [s["service_code"] for s in xml_services]
    assert xml_client.get_service_definition("water_supply")["attributes"]["attribute"]["code"] == "kind"
    _no_personal_data(closed, xml_one, client.get_service_requests(), xml_client.get_service_requests())
    for path in (f"requests/{request_id}.json", f"requests/{request_id}.xml", "requests.json", "requests.xml",
                 "servicerequestupdates.json"):  # fmt: skip
        raw = requests.get(f"{root}/{path}", timeout=30)
        assert raw.status_code == 200, (path, raw.text)
        _no_personal_data(raw.text)
