"""50 concurrent identical POSTs with one Idempotency-Key, over HTTP against the running local stack: exactly one
record, every answer the first one (replays marked `Idempotent-Replayed: true`), no 5xx."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.e2e.stack_process import StackProcess

pytestmark = pytest.mark.e2e

CLIENTS = 50
L01 = "430182-DCQ-QS-P01-Z01-L01"


def _storm(stack: StackProcess, path: str, body: dict[str, Any], user: str) -> list[requests.Response]:
    token = stack.token(user)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}

    def one(_: int) -> requests.Response:
        with requests.Session() as http:
            return http.post(stack.base_url + path, json=body, headers=headers, timeout=120)

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


def _check(answers: list[requests.Response]) -> dict[str, Any]:
    statuses = sorted({a.status_code for a in answers})
    assert all(a.status_code == 201 or (a.status_code == 409 and "Retry-After" in a.headers) for a in answers), [
        (a.status_code, a.text[:200]) for a in answers if a.status_code != 201
    ]
    created = [a for a in answers if a.status_code == 201]
    ids = {a.json()["id"] if "id" in a.json() else a.json()["code"] for a in created}
    assert len(ids) == 1, (statuses, ids)
    replayed = [a for a in created if a.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == len(created) - 1, (len(created), len(replayed))
    first: dict[str, Any] = created[0].json()
    return first


def test_fifty_identical_household_posts_make_one_household(stack: StackProcess) -> None:
    address = f"并发测试{uuid.uuid4().hex[:6]}号"
    body = {"unit": L01, "address": address, "head_name": "胡明", "residents": 3}
    household = _check(_storm(stack, "/v1/households", body, "qs-group"))
    page = stack.get(f"/v1/units/{L01}/households?limit=500", token=stack.token("qs-group")).json()
    assert [h["id"] for h in page["items"] if h["address"] == address] == [household["id"]]


def test_fifty_identical_unit_posts_make_one_unit(stack: StackProcess) -> None:
    body = {"parent": "430182-DCQ-QS-P01-Z01", "segment": "CC1", "name": "并发邻"}
    unit = _check(_storm(stack, "/v1/units", body, "qs-village"))
    counts = stack.get(f"/v1/units/{unit['code']}", token=stack.token("qs-village"))
    assert counts.status_code == 200, counts.text
