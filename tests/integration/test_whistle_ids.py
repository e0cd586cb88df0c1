"""Whistle ticket ids and the lost answer: a ticket made inside an idempotent request takes its id from the
request's Idempotency-Key (core/ids.py), so a retry after the answer was lost meets the first ticket (409)
instead of blowing a second whistle, even when the retry comes after Beijing midnight. A hotline ticket
dispatched as a whistle is saved in the whistle's own transaction: a refused save leaves no whistle behind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import ApiClient

QS_LEAF = "430182-DCQ-QS-P01-Z01-L01"
BASE = "/v1/whistle"
WALL = {
    "kind": "emergency", "category": "dangerous_building", "description": "鹊山村第一组一户危墙外倾，紧邻村道",
    "location": {"unit": QS_LEAF, "address": "鹊山村第一组村道旁"},
}  # fmt: skip


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The whistle service's clock reads the last moment in the list (the test moves it on)."""
    from chalicelib.whistle import routes, service  # noqa: PLC0415

    moments = [datetime.now(UTC)]
    real = service.default_service

    def fixed() -> service.WhistleService:
        made = real()
        made.clock = lambda: moments[-1]
        return made

    monkeypatch.setattr(routes, "default_service", fixed)
    yield moments


def _lose_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer  # noqa: PLC0415

    def lose_the_answer(*_: Any, **__: Any) -> None:
        raise RuntimeError("the idempotency table is unavailable")

    monkeypatch.setattr(DynamoDBPersistenceLayer, "_update_record", lose_the_answer)


def _expire_in_progress_marks() -> None:
    import boto3  # noqa: PLC0415

    from chalicelib.core.settings import get_settings  # noqa: PLC0415

    table = boto3.resource("dynamodb").Table(get_settings().table_name("idempotency"))
    for item in table.scan()["Items"]:  # the in-progress mark expires (DynamoDB TTL in AWS)
        table.delete_item(Key={"id": item["id"]})


def _walls(api: ApiClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"{BASE}/tickets", user="dcq-town").json["items"]
    return [t for t in items if t["description"] == WALL["description"]]


def _blow_and_lose_the_answer(api: ApiClient, monkeypatch: pytest.MonkeyPatch, key: str) -> dict[str, Any]:
    with monkeypatch.context() as m:
        _lose_answers(m)
        first = api.post(f"{BASE}/tickets", user="qs-area", body=WALL, headers={"Idempotency-Key": key})
    assert first.status == 503, first.body
    made = _walls(api)
    assert len(made) == 1  # the whistle itself committed
    _expire_in_progress_marks()
    return made[0]


@pytest.mark.usefixtures("clock")
def test_a_retry_after_the_answer_was_lost_never_blows_a_second_whistle(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = _blow_and_lose_the_answer(api, monkeypatch, "wall-1")
    # ids stay readable and sort by day: W + the Beijing date + 12 hex digits
    assert re.fullmatch(r"W\d{8}[0-9a-f]{12}", ticket["id"]), ticket["id"]
    again = api.post(f"{BASE}/tickets", user="qs-area", body=WALL, headers={"Idempotency-Key": "wall-1"})
    assert again.status == 409, again.body
    assert [t["id"] for t in _walls(api)] == [ticket["id"]]
    assert [t["id"] for t in api.get(f"{BASE}/tickets", user="housing-bureau").json["items"]].count(ticket["id"]) <= 1
    # another key is another whistle
    other = api.post(f"{BASE}/tickets", user="qs-area", body=WALL, headers={"Idempotency-Key": "wall-2"})
    assert other.status == 201 and other.json["id"] != ticket["id"]


def test_a_retry_after_beijing_midnight_still_meets_the_first_whistle(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch, clock: list[datetime]
) -> None:
    # GIVEN the 片长 blows at 23:59:30 Beijing time and the answer is lost
    clock.append(datetime(2026, 11, 26, 15, 59, 30, tzinfo=UTC))
    ticket = _blow_and_lose_the_answer(api, monkeypatch, "wall-night")
    assert ticket["id"].startswith("W20261126")
    # WHEN the phone retries with the same key a minute later, on the next day
    clock.append(clock[-1] + timedelta(minutes=1))
    again = api.post(f"{BASE}/tickets", user="qs-area", body=WALL, headers={"Idempotency-Key": "wall-night"})
    # THEN the retry meets the first whistle: still one ticket
    assert again.status == 409, again.body
    assert ticket["id"] in again.json["error"]["message_en"]
    assert [t["id"] for t in _walls(api)] == [ticket["id"]]


def test_a_hotline_dispatch_whose_save_is_refused_leaves_no_whistle(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.whistle.hotline import HotlineModel, HotlineService  # noqa: PLC0415

    body = {"id": "12345-20261126-0901", "kind": "complaint", "category": "road_traffic",
            "text": "鹊山村村道塌陷，夜间无警示", "unit": "430182-DCQ-QS"}  # fmt: skip
    hid = api.post("/v1/hotline-tickets", user="agency-12345", body=body).json["id"]
    real_visible = HotlineService.visible

    def raced(self: HotlineService, principal: Any, hotline_id: str) -> HotlineModel:
        item = real_visible(self, principal, hotline_id)
        other = HotlineModel.get(hotline_id)  # another town cadre's dispatch lands in between
        other.history = [*(other.history or []), {"action": "note"}]
        other.save()
        return item

    with monkeypatch.context() as m:
        m.setattr(HotlineService, "visible", raced)
        refused = api.post(f"/v1/hotline-tickets/{hid}/dispatch", user="dcq-town", body={"to": "whistle"})
    assert refused.status == 409, refused.body
    tickets = api.get(f"{BASE}/tickets", user="dcq-town").json["items"]
    assert [t for t in tickets if t["hotline_ticket"] == hid] == []  # no orphan whistle
    assert api.get(f"/v1/hotline-tickets/{hid}", user="dcq-town").json["whistle_ticket"] is None
    # a clean dispatch then makes exactly one
    done = api.post(f"/v1/hotline-tickets/{hid}/dispatch", user="dcq-town", body={"to": "whistle"})
    assert done.status == 200, done.body
    tickets = api.get(f"{BASE}/tickets", user="dcq-town").json["items"]
    assert [t["id"] for t in tickets if t["hotline_ticket"] == hid] == [done.json["whistle_ticket"]]
