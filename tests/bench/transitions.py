"""Step Functions state transitions per deliberation (民情三会) and per whistle (吹哨报到), counted from the
execution history moto's engine keeps, for one flow of each driven over HTTP on the local stack; and the monthly
AWS cost of 宁乡's flows derived from those counts.

    python -m tests.bench.transitions     # or `make bench`

A state transition is billed per state entered (Standard workflows): the count is the `...StateEntered` events
of the flow's executions. Volumes and prices are assumptions written down in VOLUMES and PRICES (README,
"Quality"): change them there and the model follows.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.core.clock import china_today
from tests.e2e.fuzz import patient_stack
from tests.e2e.stack_process import StackProcess
from tests.e2e.test_kill_resume import L01, QS, Z01, Caller, conclude, deliberation_step, eventually, sfn

# Monthly volumes for 宁乡 (/work/shared/seeds: 278 villages and communities, 2,392 片, 8,656 组, 35,012 邻;
# 夏铎铺 gathered 1,277 民情 in a year; 资福镇 solved 364 problems in a year of 群众工作日):
VOLUMES = {
    # one 屋场恳谈会 a 片 a month, each going on to the analysis meeting and the town review
    "deliberations": 2392,
    # 364 problems a town a year (资福镇) × 29 towns, each a whistle
    "whistles": round(364 * 29 / 12),
}
# List prices, USD, us-east-1 (check the current price pages before relying on them)
PRICES = {
    "sfn_transition": 0.025 / 1000,  # Step Functions Standard, per state transition
    "request": 3.50 / 1e6 + 0.20 / 1e6,  # API Gateway REST + Lambda request
    "lambda_gb_s": 0.0000166667,  # Lambda compute, per GB-second
}
LAMBDA_GB, LAMBDA_S = 0.5, 0.3  # 512 MB, 300 ms a request (the local stack's p50 of a write is about that)


@dataclass(frozen=True)
class Flow:
    name: str
    executions: int
    transitions: int
    requests: int  # API requests the flow took (cadres' clicks), for the request side of the cost


class CountingCaller(Caller):
    def __init__(self, stack: StackProcess) -> None:
        super().__init__(stack)
        self.requests = 0

    def call(self, method: str, path: str, user: str, body: Any = None, status: int = 200) -> Any:
        self.requests += 1
        return super().call(method, path, user, body, status)


def transitions(stack: StackProcess, workflow: str, prefix: str) -> tuple[int, int]:
    """(executions, states entered) of `workflow`'s executions named `prefix...`."""
    client = sfn(stack)
    machine = next(m for m in client.list_state_machines()["stateMachines"] if m["name"].endswith(f"-{workflow}"))
    found = [
        e
        for e in client.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
        if e["name"].startswith(prefix)
    ]
    entered = 0
    for e in found:
        assert e["status"] == "SUCCEEDED", f"{e['name']} is {e['status']}: the flow did not end"
        events = client.get_execution_history(executionArn=e["executionArn"], maxResults=1000)["events"]
        entered += sum(ev["type"].endswith("StateEntered") for ev in events)
    return len(found), entered


def deliberation(stack: StackProcess) -> Flow:
    api = CountingCaller(stack)
    concern = {"text": "夏铎铺灌溉用水纠纷，上下游两组争水", "category": "water", "unit": Z01, "raised_by": "周建国"}
    cid = api.post("/v1/concerns", "qs-group", concern, 201)["id"]
    body = {"unit": Z01, "title": "第一组屋场恳谈会", "concerns": [cid],
            "convened_on": china_today().isoformat(), "place": "周家屋场"}  # fmt: skip
    delib = api.post("/v1/deliberations", "qs-group", body, 201)["id"]
    at = deliberation_step(api, delib)
    eventually(lambda: at("courtyard_meeting"), "courtyard")
    api.post(f"/v1/deliberations/{delib}/answers", "qs-group", {"items": [{"concern": cid, "outcome": "forwarded"}]})
    conclude(api, delib, "qs-group", {"kind": "resident", "name": "周建国"})
    eventually(lambda: transitions_or_none(stack, "deliberation", delib), "the courtyard execution's end (Forwarded)")
    courtyard = delib
    # the village's monthly 民情分析会: its own record and execution, taking up what the courtyard forwarded
    body = {"village": QS, "month": china_today().strftime("%Y-%m"), "title": "鹊山村民情分析会",
            "convened_on": china_today().isoformat(), "place": "鹊山村部"}  # fmt: skip
    delib = api.post("/v1/analysis-meetings", "qs-village", body, 201)["id"]
    at = deliberation_step(api, delib)
    eventually(lambda: at("analysis_meeting"), "analysis")
    api.post(f"/v1/deliberations/{delib}/grades", "qs-village",
             {"items": [{"concern": cid, "grade": "important", "action": "town"}]})  # fmt: skip
    conclude(api, delib, "qs-village", {"kind": "cadre", "name": "刘晓华"})
    eventually(lambda: at("town_review"), "town review")
    decision = {"concern": cid, "decision": "镇水利站牵头，两组轮灌", "lead_department": "water"}
    api.post(f"/v1/deliberations/{delib}/decisions", "dcq-town", {"items": [decision]})
    conclude(api, delib, "dcq-town", {"kind": "department", "name": "水利站"})
    eventually(lambda: at("closed"), "closed")
    requests = api.requests
    eventually(lambda: transitions_or_none(stack, "deliberation", delib), "the execution's end")
    runs, entered = (a + b for a, b in zip(transitions(stack, "deliberation", courtyard),
                                           transitions(stack, "deliberation", delib), strict=True))  # fmt: skip
    return Flow("deliberation (民情三会: 屋场恳谈会 → 民情分析会 → town review)", runs, entered, requests)


def transitions_or_none(stack: StackProcess, workflow: str, prefix: str) -> bool:
    try:
        transitions(stack, workflow, prefix)
    except AssertionError:
        return False
    return True


def whistle(stack: StackProcess) -> Flow:
    api = CountingCaller(stack)
    body = {
        "kind": "emergency", "category": "water_supply", "description": "鹊山村第一组主供水管爆裂，二十多户停水",
        "location": {"unit": L01, "address": "鹊山村第一组村道旁", "lat": 28.05, "long": 112.41},
    }  # fmt: skip
    tid = api.post("/v1/whistle/tickets", "qs-area", body, 201)["id"]
    api.post(f"/v1/whistle/tickets/{tid}/dispatch", "dcq-town", {"lead": "water", "co": []})
    api.post(f"/v1/whistle/tickets/{tid}/report-in", "water-bureau", {"note": "抢修队已出发"})
    api.post(f"/v1/whistle/tickets/{tid}/resolve", "water-bureau", {"note": "管道修复，恢复供水"})
    api.post(f"/v1/whistle/tickets/{tid}/verify", "qs-area", {"ok": True})
    api.post(f"/v1/whistle/tickets/{tid}/evaluate", "qs-area", {"satisfaction": 5})
    api.post(f"/v1/whistle/tickets/{tid}/close", "qs-area", {})
    requests = api.requests
    eventually(lambda: transitions_or_none(stack, "whistle", tid), "the execution's end")
    runs, entered = transitions(stack, "whistle", tid)
    return Flow("whistle (吹哨 → 报到 → resolve → verify → close)", runs, entered, requests)


def run() -> list[Flow]:
    with tempfile.TemporaryDirectory(prefix="nx-transitions-") as tmp, patient_stack(Path(tmp) / "state") as stack:
        return [deliberation(stack), whistle(stack)]


def monthly_cost(flows: list[Flow]) -> dict[str, float]:
    """USD a month: Step Functions transitions, and the flow's API requests (gateway, Lambda requests, compute)."""
    out: dict[str, float] = {}
    for flow, volume in zip(flows, (VOLUMES["deliberations"], VOLUMES["whistles"]), strict=True):
        key = flow.name.split(" ")[0]
        out[f"{key} transitions"] = volume * flow.transitions * PRICES["sfn_transition"]
        per_request = PRICES["request"] + LAMBDA_GB * LAMBDA_S * PRICES["lambda_gb_s"]
        out[f"{key} requests"] = volume * flow.requests * per_request
    out["total"] = sum(out.values())
    return out


def main() -> None:
    flows = run()
    for f in flows:
        print(f"{f.name}: {f.transitions} state transitions in {f.executions} execution(s), {f.requests} requests")
    print(f"monthly volumes: {VOLUMES}")
    for k, v in monthly_cost(flows).items():
        print(f"  {k:<28} ${v:8.2f} a month")


if __name__ == "__main__":
    main()
