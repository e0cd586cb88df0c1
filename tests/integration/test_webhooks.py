"""Outbound webhooks: a department subscribes; ticket events reach its receiver signed the Standard
Webhooks way; a failing receiver gets retries with backoff, then a dead letter the department replays."""

from __future__ import annotations

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
