"""Outbound webhooks: a department subscribes; ticket events reach its receiver signed the Standard
Webhooks way; a failing receiver gets retries with backoff, then a dead letter the department replays."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.core import jobs
from chalicelib.whistle.webhooks import verify
from tests.support import ApiClient

WHISTLE = {
    "kind": "emergency", "category": "water_supply", "description": "主供水管爆裂",
    "location": {"unit": "430182-DCQ-QS-P01-Z01-L01", "address": "鹊山村第一组"}, "co": [],
}  # fmt: skip


@contextmanager
def receiver(status: list[int]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP receiver on loopback answering status[0]; it records every call's headers and body."""
    calls: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            calls.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            self.send_response(status[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", calls
    finally:
        server.shutdown()
        server.server_close()


def test_signed_deliveries_retries_and_dead_letters(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "0")
    good_status, bad_status = [204], [500]
    with receiver(good_status) as (good_url, good_calls), receiver(bad_status) as (bad_url, bad_calls):
        # GIVEN the water bureau subscribes two receivers; only https (or loopback in the local stages) is taken
        assert api.post("/v1/webhooks", user="water-bureau", body={"url": "http://example.org/x"}).status == 422
        assert api.post("/v1/webhooks", user="qs-village", body={"url": good_url}).status == 403
        good = api.post("/v1/webhooks", user="water-bureau", body={"url": good_url, "events": ["whistle.create"]})
        assert good.status == 201 and good.json["secret"].startswith("whsec_")
        bad = api.post("/v1/webhooks", user="water-bureau", body={"url": bad_url})
        assert bad.status == 201
        listed = api.get("/v1/webhooks", user="water-bureau").json["items"]
        assert {s["url"] for s in listed} == {good_url, bad_url} and all(s["secret"] is None for s in listed)
        assert api.get("/v1/webhooks", user="agency-12345").json["items"] == []

        # WHEN a whistle is dispatched to it and the queue is worked
        ticket = api.post("/v1/whistle/tickets", user="qs-area", body=WHISTLE)
        assert ticket.status == 201
        jobs.drain()

        # THEN the good receiver got one signed event that verifies with the secret, and no personal data
        assert len(good_calls) == 1
        call = good_calls[0]
        assert verify(good.json["secret"], call["headers"], call["body"])
        assert not verify(bad.json["secret"], call["headers"], call["body"])
        assert '"type":"whistle.create"' in call["body"] and ticket.json["id"] in call["body"]
        assert "片长" not in call["body"]
        # the failing receiver was tried five times, then the delivery was dead-lettered
        assert len(bad_calls) == 5
        dead = api.get("/v1/webhooks/dead-letters", user="water-bureau").json["items"]
        assert len(dead) == 1 and dead[0]["attempts"] == 5 and [x["status"] for x in dead[0]["log"]] == [500] * 5
        assert api.get("/v1/webhooks/dead-letters", user="agency-12345").json["items"] == []
        delivery = dead[0]["id"]
        assert api.get(f"/v1/webhooks/deliveries/{delivery}", user="agency-12345").status == 404

        # the receiver is fixed; the department replays the dead letter
        bad_status[0] = 200
        replay = api.post(f"/v1/webhooks/deliveries/{delivery}/replay", user="water-bureau")
        assert replay.status == 200, replay.body
        assert api.post(f"/v1/webhooks/deliveries/{delivery}/replay", user="water-bureau").status == 409
        jobs.drain()
        assert api.get(f"/v1/webhooks/deliveries/{delivery}", user="water-bureau").json["status"] == "delivered"
        assert api.get("/v1/webhooks/dead-letters", user="water-bureau").json["items"] == []
        assert len(bad_calls) == 6 and verify(bad.json["secret"], bad_calls[-1]["headers"], bad_calls[-1]["body"])


def _idempotency_items() -> list[dict[str, Any]]:
    import boto3  # noqa: PLC0415

    from chalicelib.core.settings import get_settings  # noqa: PLC0415

    table = boto3.resource("dynamodb").Table(get_settings().table_name("idempotency"))
    return list(table.scan()["Items"])  # a test reads the whole (small) table


def _forget_idempotency_records() -> None:
    """What DynamoDB TTL does after 24 h, or what a crash between the write and the stored answer leaves."""
    import boto3  # noqa: PLC0415

    from chalicelib.core.settings import get_settings  # noqa: PLC0415

    table = boto3.resource("dynamodb").Table(get_settings().table_name("idempotency"))
    for item in _idempotency_items():
        table.delete_item(Key={"id": item["id"]})


HOOK = {"url": "https://hooks.water.example.cn/ningxiang", "events": ["whistle.create"]}


def test_a_retried_subscription_is_one_subscription_and_its_secret_is_never_stored(api: ApiClient) -> None:
    # GIVEN the water bureau subscribes with an Idempotency-Key
    first = api.post("/v1/webhooks", user="water-bureau", body=HOOK, headers={"Idempotency-Key": "sub-1"})
    assert first.status == 201 and first.json["secret"].startswith("whsec_")
    # WHEN it sends the same request again
    again = api.post("/v1/webhooks", user="water-bureau", body=HOOK, headers={"Idempotency-Key": "sub-1"})
    # THEN it gets the first answer, secret included (shown on the first answer, so on its replay), and one
    # subscription exists
    assert again.status == 201 and again.headers.get("idempotent-replayed") == "true"
    assert again.json == first.json
    assert [s["id"] for s in api.get("/v1/webhooks", user="water-bureau").json["items"]] == [first.json["id"]]
    # the idempotency record keeps the answer without the secret: it is derived again for the replay
    stored = json.dumps(_idempotency_items(), default=str)
    assert first.json["id"] in stored and first.json["secret"] not in stored
    assert first.json["secret"].removeprefix("whsec_") not in stored


def test_a_retry_after_the_idempotency_record_was_lost_meets_the_first_subscription(api: ApiClient) -> None:
    first = api.post("/v1/webhooks", user="water-bureau", body=HOOK, headers={"Idempotency-Key": "sub-2"})
    assert first.status == 201
    # GIVEN the idempotency record is gone (expired, or never saved after a crash) and the client retries
    _forget_idempotency_records()
    again = api.post("/v1/webhooks", user="water-bureau", body=HOOK, headers={"Idempotency-Key": "sub-2"})
    # THEN the subscription id derives from the caller and the key: the retry meets the first subscription
    # and answers as the first answer did (same id, same secret), instead of subscribing a second time
    assert again.status == 201, again.body
    assert again.json == first.json
    assert [s["id"] for s in api.get("/v1/webhooks", user="water-bureau").json["items"]] == [first.json["id"]]
    # the same key with another receiver, once the record is gone, is refused: it made another subscription
    _forget_idempotency_records()
    other = HOOK | {"url": "https://hooks.water.example.cn/other"}
    clash = api.post("/v1/webhooks", user="water-bureau", body=other, headers={"Idempotency-Key": "sub-2"})
    assert clash.status == 409 and first.json["id"] in clash.json["error"]["message"]
    # a different key is a new request: a second subscription
    second = api.post("/v1/webhooks", user="water-bureau", body=other, headers={"Idempotency-Key": "sub-3"})
    assert second.status == 201 and second.json["id"] != first.json["id"]
    assert second.json["secret"] != first.json["secret"]
    listed = api.get("/v1/webhooks", user="water-bureau").json["items"]
    assert sorted(s["id"] for s in listed) == sorted([first.json["id"], second.json["id"]])
    # the same key from another agency's account is that caller's own request
    housing = api.post("/v1/webhooks", user="agency-12345", body=HOOK, headers={"Idempotency-Key": "sub-2"})
    assert housing.status == 201 and housing.json["id"] != first.json["id"]


def test_a_lost_answer_is_given_again_on_the_retry(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The subscription is written, then saving the idempotent answer fails: the client saw a 503 and never
    the secret. Its retry with the key (once the in-progress mark expired) gets the subscription and secret."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer  # noqa: PLC0415

    def lose_the_answer(*_: Any, **__: Any) -> None:
        raise RuntimeError("the idempotency table is unavailable")

    with monkeypatch.context() as m:
        m.setattr(DynamoDBPersistenceLayer, "_update_record", lose_the_answer)
        lost = api.post("/v1/webhooks", user="water-bureau", body=HOOK, headers={"Idempotency-Key": "sub-4"})
    assert lost.status == 503
    made = api.get("/v1/webhooks", user="water-bureau").json["items"]
    assert len(made) == 1  # the subscription itself committed
    _forget_idempotency_records()  # the in-progress mark expires (DynamoDB TTL in AWS)
    retry = api.post("/v1/webhooks", user="water-bureau", body=HOOK, headers={"Idempotency-Key": "sub-4"})
    assert retry.status == 201 and retry.json["id"] == made[0]["id"]
    assert retry.json["secret"].startswith("whsec_")
    assert [s["id"] for s in api.get("/v1/webhooks", user="water-bureau").json["items"]] == [made[0]["id"]]
