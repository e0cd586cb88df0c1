"""Faults: DynamoDB throttling and transient errors on 30 % of calls (a botocore `before-send` hook, tests/faults.py)
for a whole flow. Every request succeeds or answers 503 with Retry-After; a client that retries (same
Idempotency-Key) ends with nothing lost and nothing doubled: unit counters equal a recount, every audit chain
verifies."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest

from tests.faults import dynamodb_faults
from tests.generic import assert_error_shape
from tests.support import Answer, ApiClient

Z01 = "430182-DCQ-QS-P01-Z01"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ATTEMPTS = 12


def _id(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


class Client:
    """Calls the API as a patient client would: a 503 (or an in-progress 409) is retried with the same key."""

    def __init__(self, api: ApiClient, faults: Any = None) -> None:
        self.api = api
        self.faults = faults
        self.statuses: Counter[int] = Counter()
        self.bad: list[str] = []
        self.log: list[str] = []
        self.mark = 0

    def call(self, method: str, path: str, user: str, body: Any = None, *, ok: set[int]) -> Answer:
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {}
        answer: Answer | None = None
        for attempt in range(ATTEMPTS):
            answer = self.api.request(method, path, user=user, body=body, headers=headers)
            self.statuses[answer.status] += 1
            trace = self.faults.trace if self.faults else []
            self.log.append(f"{method} {path} #{attempt}: {answer.status} {answer.error_code} {trace[self.mark :]}")
            self.mark = len(trace)
            if answer.status >= 500:
                if answer.status != 503 or "retry-after" not in answer.headers:
                    self.bad.append(f"{method} {path}: {answer.status} {answer.body[:300]!r}")
                assert_error_shape(answer.json, answer.status)
                continue
            if answer.status == 409 and "retry-after" in answer.headers:  # the same request still in progress
                continue
            if answer.status in ok or (attempt and answer.status in {404, 409}):  # a retry of a change that landed
                return answer
            self.bad.append(f"{method} {path}: {answer.status} {answer.body[:300]!r}")
            return answer
        assert answer is not None
        return answer


def _all(api: ApiClient, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = api.get(f"{path}?limit=500{cursor}", user="city-admin")
        assert page.status == 200, page.body
        items += page.json["items"]
        if not page.json.get("next_cursor"):
            return items
        cursor = f"&cursor={page.json['next_cursor']}"


@pytest.mark.parametrize(
    "rate",
    [pytest.param(0.3, id="30pct"), pytest.param(0.7, id="70pct", marks=pytest.mark.long)],  # 70 %: botocore's backoff
)
def test_a_whole_flow_under_dynamodb_faults_loses_and_doubles_nothing(api: ApiClient, rate: float) -> None:  # noqa: PLR0912
    """At 30 % botocore's own retries (4 attempts) absorb nearly every fault; at 70 % the API answers 503."""
    before = api.get(f"/v1/units/{Z01}", user="city-admin").json["counts"]
    created: dict[str, list[str]] = {"unit": [], "household": [], "member": [], "appointment": []}
    with dynamodb_faults(rate) as faults:
        faults.on = True
        client = Client(api, faults)
        for n in (1, 2):
            unit = client.call(
                "POST", "/v1/units", "qs-village", {"parent": Z01, "segment": f"FT{n}", "name": f"故障邻{n}"}, ok={201}
            )
            if unit.status == 201:
                created["unit"].append(unit.json["code"])
        faults.on = False  # which units exist (a 503 may hide one that landed)
        units = [u for u in (f"{Z01}-FT1", f"{Z01}-FT2") if api.get(f"/v1/units/{u}", user="qs-village").status == 200]
        assert units, client.log
        faults.on = True
        for i in range(8):
            body = {"unit": units[i % len(units)], "address": f"故障测试{i}号", "head_name": "胡明", "residents": i + 1}
            answer = client.call("POST", "/v1/households", "qs-group", body, ok={201})
            if answer.status == 201:
                created["household"].append(answer.json["id"])
        for i, household in enumerate(created["household"][:4]):
            body = {
                "name": "周建国", "gender": "male", "id_number": _id(f"430182198501{i + 1:02d}011"),
                "phone": "13807310004", "branch": "鹊山村党支部", "status": "probationary",
                "join_date": "2025-07-01", "household": household,
            }  # fmt: skip
            answer = client.call("POST", "/v1/members", "qs-group", body, ok={201})
            if answer.status == 201:
                created["member"].append(answer.json["id"])
        appointment = client.call(
            "POST",
            f"/v1/units/{units[0]}/appointments",
            "qs-village",
            {"person_name": "张良科", "phone": "13907310001", "start": "2026-01-01"},
            ok={201},
        )
        if appointment.status == 201:
            created["appointment"].append(appointment.json["id"])
        for member in created["member"][:2]:
            client.call("POST", f"/v1/members/{member}/status", "qs-group", {"change": "full", "date": "2026-07-01"},
                        ok={200})  # fmt: skip
        for household in created["household"][4:6]:
            body = {"unit": units[-1], "address": "故障测试迁入", "head_name": "刘春梅", "residents": 9}
            client.call("PUT", f"/v1/households/{household}", "qs-group", body, ok={200})
        if len(created["household"]) > 4:  # one without members
            client.call("DELETE", f"/v1/households/{created['household'][-1]}", "qs-group", ok={204})
        faults.on = False

    print(f"calls {sum(faults.calls.values())}, injected {dict(faults.injected)}, answers {dict(client.statuses)}")
    assert sum(faults.injected.values()) >= 10, faults.injected
    assert client.bad == [], "\n".join(client.bad + client.log)
    if rate > 0.5:
        assert client.statuses[503] >= 1, client.statuses  # the faults reached the API, and it answered 503

    # nothing lost, nothing doubled: every created record is there once, and counters equal a recount
    households = [h for u in units for h in _all(api, f"/v1/units/{u}/households")]
    addresses = Counter(h["address"] for h in households)
    assert all(n == 1 for a, n in addresses.items() if a.startswith("故障测试") and a != "故障测试迁入"), addresses
    # every acknowledged record is there (a 503 may hide a write that landed: never twice, though)
    kept = created["household"][:-1] if len(created["household"]) > 4 else created["household"]
    assert set(kept) <= {h["id"] for h in households}, (households, created)
    total = {"households": 0, "residents": 0, "members": 0}
    for code in units:
        counts = api.get(f"/v1/units/{code}", user="city-admin").json["counts"]
        mine = [h for h in households if h["unit"] == code]
        members = _all(api, f"/v1/units/{code}/members")
        recount = {"households": len(mine), "residents": sum(h["residents"] for h in mine), "members": len(members)}
        assert {k: counts[k] for k in recount} == recount, (code, counts, recount)
        for k in total:
            total[k] += recount[k]
    after = api.get(f"/v1/units/{Z01}", user="city-admin").json["counts"]
    assert {k: after[k] - before[k] for k in total} == total, (before, after, total)
    assert len(created["member"]) <= len(_all(api, f"/v1/units/{Z01}/members")) - before["members"]

    # every audit chain verifies
    entities = [("unit", u) for u in units] + [(t, i) for t, ids in created.items() if t != "unit" for i in ids]
    for entity_type, entity_id in entities:
        verify = api.get(f"/v1/audit/verify?entity_type={entity_type}&entity_id={entity_id}", user="auditor")
        assert verify.status == 200, verify.body
        assert verify.json["ok"] is True and verify.json["events"] >= 1, (entity_type, entity_id, verify.json)
