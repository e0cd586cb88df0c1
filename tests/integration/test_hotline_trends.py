"""12345 trends (`GET /v1/units/{code}/hotline-trends`): hotline tickets received in a unit and below, per day or
week, by category, kind and current status, read from daily counts kept in each ticket's own transactions (one
query on the unit's counts, never the tickets, never a scan); a town sees its villages, a village only itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.core.clock import china_today
from tests.support import Answer, ApiClient

QS, SS, DCQ, QQH = "430182-DCQ-QS", "430182-DCQ-SS", "430182-DCQ", "430182-ZF-QQH"


def ok(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, answer.body.decode()
    return answer.json


def today() -> date:
    return china_today()


def post(api: ApiClient, number: str, unit: str, category: str, kind: str = "complaint") -> str:
    body = {"id": number, "kind": kind, "category": category, "text": "12345来电", "unit": unit}
    return str(ok(api.post("/v1/hotline-tickets", user="agency-12345", body=body), 201)["id"])


def trend(api: ApiClient, unit: str, user: str, query: str = "") -> Any:
    return ok(api.get(f"/v1/units/{unit}/hotline-trends{query}", user=user))


@pytest.fixture
def calls() -> Iterator[Counter[str]]:
    """DynamoDB operations per table made through every model's client, and the items the counts' Queries read."""
    from chalicelib.core import db  # noqa: PLC0415

    seen: Counter[str] = Counter()
    table: list[str] = [""]

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        table[0] = str(params.get("TableName", ""))
        seen[f"{model.name} {table[0]}"] += 1

    def after(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query" and table[0].endswith("hotline-counts"):
            seen["items read"] += int(parsed.get("ScannedCount", 0))

    connections = [m._get_connection().connection.client for m in db.all_models()]
    clients = {id(c): c for c in connections}.values()
    for client in clients:
        client.meta.events.register("before-parameter-build.dynamodb", before, unique_id="trend-before")
        client.meta.events.register("after-call.dynamodb", after, unique_id="trend-after")
    yield seen
    for client in clients:
        client.meta.events.unregister("before-parameter-build.dynamodb", unique_id="trend-before")
        client.meta.events.unregister("after-call.dynamodb", unique_id="trend-after")


def test_a_town_sees_its_villages_tickets_per_day_by_category_kind_and_status(api: ApiClient) -> None:
    # GIVEN 12345 posts three tickets in 鹊山村, one in 石山村, one for 大成桥镇 itself and one in 资福镇
    a = post(api, "12345-T-0001", QS, "road_traffic")
    b = post(api, "12345-T-0002", QS, "road_traffic", kind="help")
    post(api, "12345-T-0003", QS, "water_supply")
    post(api, "12345-T-0004", SS, "water_supply", kind="consult")
    post(api, "12345-T-0005", DCQ, "power_outage")
    post(api, "12345-T-0006", QQH, "road_traffic")
    # WHEN the town whistles one to the transport bureau and forwards another to 鹊山村 as a concern
    ok(api.post(f"/v1/hotline-tickets/{a}/dispatch", user="dcq-town", body={"to": "whistle"}))
    ok(api.post(f"/v1/hotline-tickets/{b}/dispatch", user="dcq-town", body={"to": "concern", "concern_unit": QS}))

    # THEN the town's trend counts its five tickets today, by category, kind and where they stand now
    town = trend(api, DCQ, "dcq-town")
    day = today().isoformat()
    assert (town["start"], town["end"], town["bucket"]) == ((today() - timedelta(days=29)).isoformat(), day, "day")
    assert len(town["points"]) == 30 and [p["period"] for p in town["points"]][-1] == day
    point = town["points"][-1]
    assert point["total"] == 5
    assert point["by_category"] == {"power_outage": 1, "road_traffic": 2, "water_supply": 2}
    assert point["by_kind"] == {"complaint": 3, "consult": 1, "help": 1}
    assert point["by_status"] == {"dispatched": 1, "forwarded": 1, "received": 3}
    assert all(p["total"] == 0 for p in town["points"][:-1])
    assert town["totals"]["total"] == 5 and town["totals"]["by_status"] == point["by_status"]
    # a village sees only its own; the city sees both towns
    village = trend(api, QS, "qs-village")["points"][-1]
    assert village["total"] == 3 and village["by_status"] == {"dispatched": 1, "forwarded": 1, "received": 1}
    assert trend(api, "430182", "city-admin")["totals"]["total"] == 6
    assert trend(api, QQH, "city-admin")["totals"]["by_category"] == {"road_traffic": 1}
    # out of scope: the town above a village, and another town, are 404
    assert api.get(f"/v1/units/{DCQ}/hotline-trends", user="qs-village").status == 404
    assert api.get(f"/v1/units/{DCQ}/hotline-trends", user="zf-town").status == 404
    assert api.get("/v1/units/430182-NOPE/hotline-trends", user="city-admin").status == 404
    # the hotline agency reads its tickets one by one, not the grid's trends
    assert api.get(f"/v1/units/{DCQ}/hotline-trends", user="agency-12345").status == 403

    # WHEN the outcome and the callback come back, the status counts move with the ticket, still once each
    ok(api.post(f"/v1/hotline-tickets/{a}/outcome", user="dcq-town", body={"text": "已修复"}))
    ok(api.post(f"/v1/hotline-tickets/{a}/callback", user="agency-12345", body={"resolved": True, "satisfied": True}))
    point = trend(api, DCQ, "dcq-town")["points"][-1]
    assert point["total"] == 5 and point["by_status"] == {"forwarded": 1, "received": 3, "visited": 1}
    # a refused step (a second callback) changes nothing
    callback = {"resolved": True, "satisfied": True}
    assert api.post(f"/v1/hotline-tickets/{a}/callback", user="agency-12345", body=callback).status == 409
    assert trend(api, DCQ, "dcq-town")["points"][-1]["by_status"] == point["by_status"]


def test_weeks_start_on_monday_and_the_window_is_checked(api: ApiClient) -> None:
    post(api, "12345-T-0101", QS, "road_traffic")
    end = today()
    start = end - timedelta(days=20)
    weekly = trend(api, DCQ, "dcq-town", f"?from={start}&to={end}&bucket=week")
    periods = [date.fromisoformat(p["period"]) for p in weekly["points"]]
    assert periods[0] == start - timedelta(days=start.weekday()) and all(p.weekday() == 0 for p in periods)
    assert periods == sorted(periods) and len(periods) in (3, 4)
    assert weekly["points"][-1]["total"] == 1 and weekly["totals"]["total"] == 1
    # a whole year is fine, one day more is not; dates must be real and in order
    year = trend(api, DCQ, "dcq-town", f"?from={end - timedelta(days=365)}&to={end}")
    assert len(year["points"]) == 366 and year["totals"]["total"] == 1

    def refused(query: str) -> str:
        answer = api.get(f"/v1/units/{DCQ}/hotline-trends{query}", user="dcq-town")
        assert answer.status == 422, answer.body
        return str(answer.json["error"]["fields"][0]["path"])

    assert refused(f"?from={end - timedelta(days=366)}&to={end}") == "query.from"
    assert refused(f"?from={end}&to={end - timedelta(days=1)}") == "query.to"
    assert refused("?from=2026-02-30") == "query.from"
    assert refused("?from=26-1-1").startswith("query.from")
    assert refused("?bucket=month").startswith("query.bucket")


def test_a_trend_is_one_query_reading_only_non_zero_buckets(api: ApiClient, calls: Counter[str]) -> None:
    # GIVEN 40 tickets over 4 categories in 鹊山村, and 15 elsewhere in the county
    categories = ("road_traffic", "water_supply", "power_outage", "dangerous_building")
    for i in range(40):
        post(api, f"12345-R-{i:04d}", QS, categories[i % 4])
    for i in range(15):
        post(api, f"12345-O-{i:04d}", QQH, "road_traffic")
    calls.clear()
    # WHEN the village reads a whole year by week
    answer = trend(api, QS, "qs-village", f"?from={today() - timedelta(days=365)}&bucket=week")
    # THEN it is one Query and no Scan, reading today's 4 categories + 1 kind + 1 status: 6 items
    assert answer["totals"]["total"] == 40
    assert not [op for op in calls if op.startswith("Scan")], calls
    assert calls["Query test-hotline-counts"] == 1 and not [op for op in calls if "hotline-tickets" in op], calls
    assert calls["items read"] == 6, calls
