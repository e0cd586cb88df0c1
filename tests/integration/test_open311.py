"""Open311 GeoReport v2: an agency's client lists services, creates a request with its api key (form-encoded,
as GeoReport clients send it), reads it by id and by token, and sees it go from open to closed. Reads carry
no personal data."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from tests.conftest import TEST_API_KEY
from tests.support import Answer, ApiClient

ROOT = "/open311/v2"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post_form(api: ApiClient, path: str, form: dict[str, Any]) -> Answer:
    return api.request("POST", path, raw=urlencode(form).encode(), headers=FORM)


def test_an_agency_creates_a_request_and_follows_it_to_closed(api: ApiClient) -> None:
    services = api.get(f"{ROOT}/services.json")
    assert services.status == 200
    water = next(s for s in services.json if s["service_code"] == "water_supply")
    assert water["service_name"] == "供水管网与水利设施" and water["metadata"] is True and water["group"] == "水利局"
    definition = api.get(f"{ROOT}/services/water_supply.json").json
    assert definition["service_code"] == "water_supply"
    assert [v["key"] for v in definition["attributes"][0]["values"]] == ["routine", "tough", "emergency"]
    assert api.get(f"{ROOT}/services/nope.json").status == 404

    form = {
        "api_key": TEST_API_KEY, "jurisdiction_id": "430182-DCQ", "service_code": "water_supply",
        "address_id": "430182-DCQ-QS-P01-Z01", "address_string": "鹊山村第一组", "lat": "28.05", "long": "112.41",
        "description": "12345来电：自来水浑浊三天", "media_url": "https://example.org/water.jpg",
        "first_name": "胡", "last_name": "明", "phone": "13807310001", "email": "huming@example.org",
    }  # fmt: skip
    assert post_form(api, f"{ROOT}/requests.json", form | {"api_key": "wrong"}).status == 403
    bad = post_form(api, f"{ROOT}/requests.json", form | {"service_code": "nope"})
    assert bad.status == 404 and set(bad.json[0]) == {"code", "description"}
    created = post_form(api, f"{ROOT}/requests.json", form)
    assert created.status == 201, created.body
    request_id, token = created.json[0]["service_request_id"], created.json[0]["token"]

    assert api.get(f"{ROOT}/tokens/{token}.json").json == [{"service_request_id": request_id, "token": token}]
    one = api.get(f"{ROOT}/requests/{request_id}.json")
    assert one.status == 200
    request = one.json[0]
    assert request["status"] == "open" and request["status_notes"].startswith("已吹哨")
    assert request["service_code"] == "water_supply" and request["agency_responsible"] == "水利局"
    assert request["address_id"] == "430182-DCQ-QS-P01-Z01" and request["lat"] == 28.05
    assert request["media_url"] == "https://example.org/water.jpg"
    for secret in ("13807310001", "huming", "胡", '明"'):
        assert secret not in one.body.decode(), secret  # the reporter never appears in a GET
    listed = api.get(f"{ROOT}/requests.json?service_code=water_supply&status=open&jurisdiction_id=430182-DCQ")
    assert [r["service_request_id"] for r in listed.json] == [request_id]
    assert api.get(f"{ROOT}/requests.json?status=closed").json == []
    assert api.get(f"{ROOT}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z").status == 400
    assert api.get(f"{ROOT}/requests.json?start_date=2026-01-01T00:00:00Z").json == []  # the 90 days from it
    xml = api.get(f"{ROOT}/requests/{request_id}.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    assert f"<service_requests><request><service_request_id>{request_id}</service_request_id>" in xml.body.decode()

    # the town dispatches it; 水利局 works it; the village verifies, rates and closes it: Open311 sees closed
    base = f"/v1/whistle/tickets/{request_id}"
    for path, user, body in (
        ("dispatch", "dcq-town", {"co": []}), ("report-in", "water-bureau", {}),
        ("resolve", "water-bureau", {"note": "已冲洗管网"}),
        ("verify", "dcq-town", {"ok": True}), ("evaluate", "dcq-town", {"satisfaction": 4}), ("close", "dcq-town", {}),
    ):  # fmt: skip
        answer = api.post(f"{base}/{path}", user=user, body=body)
        assert answer.status == 200, (path, answer.body)
    closed = api.get(f"{ROOT}/requests/{request_id}.json").json[0]
    assert closed["status"] == "closed" and closed["status_notes"].startswith("已销号")
    assert [r["service_request_id"] for r in api.get(f"{ROOT}/requests.json?status=closed").json] == [request_id]
    # an agency syncs the changes (mySociety's servicerequestupdates extension)
    updates = api.get(f"{ROOT}/servicerequestupdates.json").json
    assert [u["status"] for u in updates] == ["open", "open", "investigating", "fixed", "fixed", "fixed", "closed"]
    assert updates[-1]["external_status_code"] == "closed" and updates[0]["update_id"] == f"{request_id}-1"


def test_discovery_xml_and_errors_follow_the_spec(api: ApiClient) -> None:
    discovery = api.get(f"{ROOT}/discovery.json").json
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    services = api.get(f"{ROOT}/services.xml")
    assert services.status == 200 and "<services><service><service_code>" in services.body.decode()
    missing = api.get(f"{ROOT}/requests/W0.json")
    assert missing.status == 404 and missing.json[0]["code"] == 404
    no_key = api.request("POST", f"{ROOT}/requests.json", raw=json.dumps({"service_code": "x"}).encode())
    assert no_key.status == 403
    missing_xml = api.get(f"{ROOT}/tokens/nope.xml")
    assert missing_xml.status == 404 and "<errors><error><code>404</code>" in missing_xml.body.decode()
