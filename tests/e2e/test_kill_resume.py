"""kill -9 in the middle of a deliberation (民情三会) and a whistle (吹哨报到): the local stack is SIGKILLed while both
executions wait, a new stack starts on the same state directory, resumes every open flow from DynamoDB (the
Step Functions executions died with the process), and both flows are driven to their end over HTTP.

Each step is made durable before the kill: the stack saves its tables every 2 s under the request lock, so a
tables.json written after the last answer holds every write of that answer (a kill loses the last seconds, as
the local stack documents; DynamoDB itself would not)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from chalicelib.core.clock import china_today
from tests.e2e.fuzz import patient_stack
from tests.e2e.stack_process import StackProcess

pytestmark = [pytest.mark.e2e, pytest.mark.long]  # minutes: `make fuzz` runs it

QS = "430182-DCQ-QS"
Z01 = "430182-DCQ-QS-P01-Z01"
L01 = "430182-DCQ-QS-P01-Z01-L01"


class Caller:
    """HTTP against one running stack, a token per demo account."""

    def __init__(self, stack: StackProcess) -> None:
        self.stack = stack
        self.tokens: dict[str, str] = {}

    def _token(self, user: str) -> str:
        if user not in self.tokens:
            self.tokens[user] = self.stack.token(user)
        return self.tokens[user]

    def call(self, method: str, path: str, user: str, body: Any = None, status: int = 200) -> Any:
        answer = self.stack.http.request(
            method,
            self.stack.base_url + path,
            json=body,
            headers={"Authorization": f"Bearer {self._token(user)}"},
            timeout=60,
        )
        assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def get(self, path: str, user: str) -> Any:
        return self.call("GET", path, user)

    def post(self, path: str, user: str, body: Any = None, status: int = 200) -> Any:
        return self.call("POST", path, user, {} if body is None else body, status)


def eventually(check: Callable[[], Any], what: str, seconds: float = 60.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not reached within {seconds:.0f} s"
        time.sleep(0.2)


def sfn(stack: StackProcess) -> Any:
    """Step Functions of the stack's own moto server."""
    return boto3.client(
        "stepfunctions",
        endpoint_url=f"http://127.0.0.1:{stack.moto_port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def executions(stack: StackProcess, workflow: str, prefix: str) -> dict[str, str]:
    """name -> status of the executions of `workflow` whose name starts with `prefix`."""
    client = sfn(stack)
    machine = next(m for m in client.list_state_machines()["stateMachines"] if m["name"].endswith(f"-{workflow}"))
    found = client.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    return {e["name"]: e["status"] for e in found if e["name"].startswith(prefix)}


def saved_after(stack: StackProcess, moment: float) -> None:
    """Wait for a save of the tables that began after `moment` (the end of the last answer)."""
    tables = stack.state_dir / "tables.json"
    eventually(lambda: tables.exists() and tables.stat().st_mtime > moment + 0.01, "a state save", 30)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def first(state: Path) -> Iterator[StackProcess]:
    with patient_stack(state) as running:
        yield running


def deliberation_step(api: Caller, delib: str) -> Callable[[str], Any]:
    def at(step: str) -> Any:
        got = api.get(f"/v1/deliberations/{delib}", "city-admin")
        return got if got["workflow"]["step"] == step else None

    return at


def conclude(api: Caller, delib: str, user: str, attendee: dict[str, str]) -> Any:
    api.post(f"/v1/deliberations/{delib}/attendance", user, {"attendees": [attendee]})
    api.post(f"/v1/deliberations/{delib}/minutes", user, {"text": "会议纪要：逐项研究。"})
    api.post(f"/v1/deliberations/{delib}/minutes/confirm", user)
    return api.post(f"/v1/deliberations/{delib}/minutes/freeze", user)


def test_sigkill_mid_flow_then_every_deliberation_and_whistle_resumes_from_dynamodb_and_completes(
    first: StackProcess, state: Path
) -> None:
    api = Caller(first)
    # GIVEN a deliberation past its courtyard meeting, waiting for the village's analysis meeting
    concerns = [
        api.post("/v1/concerns", "qs-group", {"text": text, "category": cat, "unit": Z01, "raised_by": "周建国"}, 201)[
            "id"
        ]
        for text, cat in (("村道坑洼，雨天积水难行", "roads"), ("夏铎铺灌溉用水纠纷，上下游两组争水", "water"))
    ]
    body = {"unit": Z01, "title": "第一组屋场恳谈会", "concerns": concerns,
            "convened_on": china_today().isoformat(), "place": "周家屋场"}  # fmt: skip
    delib = api.post("/v1/deliberations", "qs-group", body, 201)["id"]
    at = deliberation_step(api, delib)
    eventually(lambda: at("courtyard_meeting"), "the courtyard meeting's wait")
    api.post(f"/v1/deliberations/{delib}/answers", "qs-group",
             {"items": [{"concern": c, "outcome": "forwarded"} for c in concerns]})  # fmt: skip
    moved = conclude(api, delib, "qs-group", {"kind": "resident", "name": "周建国"})
    assert moved["stage"] == "forwarded"
    # the village's monthly 民情分析会 takes up what the courtyard meeting forwarded, and waits to be held
    body = {"village": QS, "month": china_today().strftime("%Y-%m"), "title": "鹊山村民情分析会",
            "convened_on": china_today().isoformat(), "place": "鹊山村部"}  # fmt: skip
    delib = api.post("/v1/analysis-meetings", "qs-village", body, 201)["id"]
    at = deliberation_step(api, delib)
    eventually(lambda: at("analysis_meeting"), "the analysis meeting's wait")

    # ...and an emergency whistle a department reported in on, waiting for its resolution
    whistle = {
        "kind": "emergency", "category": "water_supply", "description": "鹊山村第一组主供水管爆裂，二十多户停水",
        "location": {"unit": L01, "address": "鹊山村第一组村道旁", "lat": 28.05, "long": 112.41},
    }  # fmt: skip
    ticket = api.post("/v1/whistle/tickets", "qs-area", whistle, 201)
    tid = ticket["id"]
    eventually(lambda: executions(first, "whistle", tid).get(tid) == "RUNNING", "the whistle execution")
    api.post(f"/v1/whistle/tickets/{tid}/dispatch", "dcq-town", {"lead": "water", "co": []})  # water alone
    reported = api.post(f"/v1/whistle/tickets/{tid}/report-in", "water-bureau", {"note": "抢修队已出发"})
    assert reported["status"] == "reported_in" and reported["phase"] == "resolve"
    before = {"deliberation": executions(first, "deliberation", delib), "whistle": executions(first, "whistle", tid)}
    assert "RUNNING" in before["deliberation"].values() and before["whistle"] == {tid: "RUNNING"}
    saved_after(first, time.time())

    # WHEN the stack is killed (no SIGINT: no final save, no clean shutdown) and started again on its state
    first._proc.kill()  # type: ignore[union-attr]  # SIGKILL, mid-flow
    assert first._proc.wait(timeout=10) == -9  # type: ignore[union-attr]
    with pytest.raises(requests.RequestException):
        requests.get(f"{first.base_url}/health", timeout=2)
    with patient_stack(state) as second:
        # THEN the new stack resumed both open flows from DynamoDB (its Step Functions started empty)
        line = eventually(lambda: re.search(r"resumed (\d+) workflows", second.output()), "the start-up report", 10)
        assert int(line.group(1)) >= 2, second.output()[-2000:]
        api = Caller(second)
        assert api.get(f"/v1/deliberations/{delib}", "qs-village")["stage"] == "analysis_meeting"
        resumed = eventually(lambda: at_second(api, delib, "analysis_meeting"), "the resumed deliberation")
        assert resumed["workflow"]["restarts"] == 1
        assert executions(second, "deliberation", delib) == {resumed["workflow"]["execution"]: "RUNNING"}
        assert executions(second, "whistle", tid) == {f"{tid}-r2": "RUNNING"}

        # ...and both flows run to their end: the analysis grades, the town decides, the meeting closes
        deadline = (china_today() + timedelta(days=10)).isoformat()
        grades = {"items": [
            {"concern": concerns[0], "grade": "urgent", "action": "assign", "task": "修复第一组村道",
             "lead_unit": Z01, "responsible_units": ["430182-DCQ-QS-P01"], "deadline": deadline},
            {"concern": concerns[1], "grade": "important", "action": "town"},
        ]}  # fmt: skip
        api.post(f"/v1/deliberations/{delib}/grades", "qs-village", grades)
        conclude(api, delib, "qs-village", {"kind": "cadre", "name": "刘晓华"})
        eventually(lambda: at_second(api, delib, "town_review"), "the town review's wait")
        decision = {"concern": concerns[1], "decision": "镇水利站牵头，两组轮灌", "lead_department": "water"}
        decisions = {"items": [decision]}
        api.post(f"/v1/deliberations/{delib}/decisions", "dcq-town", decisions)
        closed = conclude(api, delib, "dcq-town", {"kind": "department", "name": "水利站"})
        assert closed["stage"] == "closed"
        eventually(lambda: at_second(api, delib, "closed"), "the deliberation's end")
        eventually(
            lambda: set(executions(second, "deliberation", delib).values()) == {"SUCCEEDED"},
            "the deliberation execution's end",
        )

        # the whistle: resolved on the resumed execution's token, verified, rated and closed
        api.post(f"/v1/whistle/tickets/{tid}/resolve", "water-bureau", {"note": "管道修复，恢复供水"})
        api.post(f"/v1/whistle/tickets/{tid}/verify", "qs-area", {"ok": True, "note": "已恢复供水"})
        api.post(f"/v1/whistle/tickets/{tid}/evaluate", "qs-area", {"satisfaction": 5})
        done = api.post(f"/v1/whistle/tickets/{tid}/close", "qs-area", {})
        assert done["status"] == "closed" and done["lapses"] == []
        assert [h["action"] for h in done["history"]][-4:] == ["resolve", "verify", "evaluate", "close"]
        eventually(lambda: executions(second, "whistle", tid) == {f"{tid}-r2": "SUCCEEDED"}, "the whistle's end")
        # nothing was doubled by the restart: one audit event per step
        events = api.get(f"/v1/audit?entity_type=whistle_ticket&entity_id={tid}", "auditor")["items"]
        assert len(events) == 7  # whistle+dispatch, dispatch, report-in, resolve, verify, evaluate, close


def at_second(api: Caller, delib: str, step: str) -> Any:
    return deliberation_step(api, delib)(step)
