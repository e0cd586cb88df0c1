"""50 concurrent identical POSTs with one Idempotency-Key, over HTTP against the running local stack: exactly one
record, every answer the first one (replays marked `Idempotent-Replayed: true`), no 5xx."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.e2e.fuzz import id_number, patient_stack
from tests.e2e.stack_process import StackProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    with patient_stack(tmp_path_factory.mktemp("quality") / "state") as running:
        yield running


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


def test_fifty_concurrent_confirmations_of_one_service_record_apply_once(stack: StackProcess) -> None:
    """50 邻长 clicks on "confirm" at once: one confirmation applies, the others are told it is done (409)."""
    group = stack.token("qs-group")
    home = stack.post("/v1/households", {"unit": L01, "address": "并发确认1号", "head_name": "胡明", "residents": 2},
                      token=group)  # fmt: skip
    assert home.status_code == 201, home.text
    member = {
        "name": "周建国", "gender": "male", "id_number": id_number("43018219790304101"), "phone": "13807310009",
        "branch": "鹊山村党支部", "status": "full", "join_date": "2001-07-01", "household": home.json()["id"],
        "in_service": True, "workplace": "宁乡市水利局",
    }  # fmt: skip
    registered = stack.post("/v1/members", member, token=group)
    assert registered.status_code == 201, registered.text
    reported = stack.post(
        "/v1/report-ins", {"member": registered.json()["id"], "period": "2026", "date": "2026-03-01"}, token=group
    )
    assert reported.status_code == 201, reported.text
    record = stack.post(
        "/v1/service-records",
        {"member": registered.json()["id"], "date": "2026-11-20", "hours": "2", "description": "清理水渠"},
        token=group,
    )
    assert record.status_code == 201, record.text
    token = stack.token("zhang-liangke")

    def confirm(_: int) -> requests.Response:
        with requests.Session() as http:
            return http.post(
                f"{stack.base_url}/v1/service-records/{record.json()['id']}/confirm",
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(confirm, range(CLIENTS)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * (CLIENTS - 1), statuses
    audit = stack.get(
        f"/v1/audit?entity_type=service_record&entity_id={record.json()['id']}", token=stack.token("city-admin")
    )
    assert audit.status_code == 200, audit.text
    actions = [e["action"] for e in audit.json()["items"]]
    assert len(actions) == 2 and actions.count("service_record.create") == 1, actions  # created, confirmed once
