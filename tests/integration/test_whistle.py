"""吹哨报到: a 片长 whistles, departments report in and act within limits, the whistler verifies and rates;
lapses raise 催办 then 挂牌督办; returns are re-dispatched; scorecards follow."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from chalicelib.core import workflows
from tests.support import Answer, ApiClient

QS_LEAF = "430182-DCQ-QS-P01-Z01-L01"
BASE = "/v1/whistle"


def period() -> str:
    from chalicelib.whistle.service import now, period_of  # noqa: PLC0415

    return period_of(now())


def burst_main(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "emergency",
        "category": "water_supply",
        "description": "鹊山村第一组主供水管爆裂，路面积水，二十多户停水",
        "location": {"unit": QS_LEAF, "address": "鹊山村第一组村道旁", "lat": 28.05, "long": 112.41},
        "photos": ["https://example.org/burst.jpg"],
        **extra,
    }


def ok(answer: Answer, status: int = 200) -> dict[str, Any]:
    assert answer.status == status, answer.body
    result: dict[str, Any] = answer.json
    return result


def wait_for(api: ApiClient, ticket: str, user: str, check: Any, seconds: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        body = ok(api.get(f"{BASE}/tickets/{ticket}", user=user))
        if check(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_emergency_whistle_for_a_burst_main_is_reported_in_resolved_verified_and_rated(api: ApiClient) -> None:
    # GIVEN the 片长 of 鹊山村第一片 blows an emergency whistle: dispatched at once to 水利局 (lead) and 住建局
    ticket = ok(api.post(f"{BASE}/tickets", user="qs-area", body=burst_main()), 201)
    assert ticket["status"] == "dispatched"
    assert ticket["lead"] == "water" and ticket["co"] == ["housing"]
    assert ticket["phase"] == "report_in"
    dispatched = datetime.fromisoformat(ticket["history"][-1]["at"])
    due = datetime.fromisoformat(ticket["report_in_due"])
    assert 29 * 60 <= (due - dispatched).total_seconds() <= 30 * 60  # report in within 30 minutes
    tid = ticket["id"]

    # the water bureau sees it in its list; the town sees it; another town does not
    assert [t["id"] for t in ok(api.get(f"{BASE}/tickets", user="water-bureau"))["items"]] == [tid]
    assert tid in [t["id"] for t in ok(api.get(f"{BASE}/tickets", user="dcq-town"))["items"]]
    assert tid not in [t["id"] for t in ok(api.get(f"{BASE}/tickets", user="zf-town"))["items"]]
    assert api.get(f"{BASE}/tickets/{tid}", user="zf-town").status == 404

    # WHEN the water bureau reports in: the ticket waits for 住建局 too
    t = ok(api.post(f"{BASE}/tickets/{tid}/report-in", user="water-bureau", body={"note": "抢修队已出发"}))
    assert t["status"] == "dispatched"
    assert next(d for d in t["departments"] if d["department"] == "water")["on_time"] is True
    assert api.post(f"{BASE}/tickets/{tid}/report-in", user="water-bureau", body={}).status == 409

    # the town re-dispatches (改派) to water alone, dropping the co-department 住建局
    t = ok(api.post(f"{BASE}/tickets/{tid}/dispatch", user="dcq-town", body={"lead": "water", "co": []}))
    assert t["status"] == "dispatched" and t["departments"][0]["reported_in_at"] is None
    t = ok(api.post(f"{BASE}/tickets/{tid}/report-in", user="water-bureau", body={}))
    assert t["status"] == "reported_in" and t["phase"] == "resolve"

    # progress, stale If-Match refused, resolution
    stale = t["version"] - 1
    answer = api.post(f"{BASE}/tickets/{tid}/progress", user="water-bureau", body={"note": "x"},
                      headers={"If-Match": str(stale)})  # fmt: skip
    assert answer.status == 409
    t = ok(api.post(f"{BASE}/tickets/{tid}/progress", user="water-bureau",
                    body={"note": "已关阀，更换破损管段", "photos": ["https://example.org/fix.jpg"]},
                    headers={"If-Match": str(t["version"])}))  # fmt: skip
    assert t["status"] == "in_progress"
    t = ok(api.post(f"{BASE}/tickets/{tid}/resolve", user="water-bureau", body={"note": "管道修复，恢复供水"}))
    assert t["status"] == "resolved" and t["phase"] == "verify"

    # THEN the whistler verifies on the ground and rates it; the town closes it (销号)
    assert api.post(f"{BASE}/tickets/{tid}/verify", user="jiang-dan", body={"ok": True}).status == 404
    t = ok(api.post(f"{BASE}/tickets/{tid}/verify", user="qs-area", body={"ok": True, "note": "已恢复供水"}))
    assert t["status"] == "verified"
    t = ok(api.post(f"{BASE}/tickets/{tid}/evaluate", user="qs-area", body={"satisfaction": 5, "comment": "响应快"}))
    assert t["evaluation"]["satisfaction"] == 5
    t = ok(api.post(f"{BASE}/tickets/{tid}/close", user="qs-area", body={}))
    assert t["status"] == "closed"
    steps = "whistle dispatch report_in dispatch report_in progress resolve verify evaluate close"
    assert [h["action"] for h in t["history"]] == steps.split()
    assert t["lapses"] == []

    # the department's scorecard shows it; the town's whistle count by kind too
    card = ok(api.get(f"{BASE}/scorecards/departments/water?period={period()}", user="water-bureau"))
    assert card["received"] == 1 and card["resolved"] == 1
    assert card["report_in_on_time_rate"] == 1.0 and card["resolve_on_time_rate"] == 1.0
    assert card["satisfaction"] == 5.0 and card["median_resolve_minutes"] is not None
    assert api.get(f"{BASE}/scorecards/departments/housing?period={period()}", user="water-bureau").status == 404
    town = ok(api.get(f"{BASE}/scorecards/towns/430182-DCQ?period={period()}", user="dcq-town"))
    assert town["by_kind"]["emergency"] == 1

    # the audit trail holds every step
    events = ok(api.get(f"/v1/audit?entity_type=whistle_ticket&entity_id={tid}", user="auditor"))["items"]
    assert len(events) == 9  # the whistle and its immediate dispatch are one change


def test_a_lapsed_report_in_is_chased_then_escalated(api: ApiClient) -> None:
    # GIVEN a category whose emergency limit is two seconds (a catalogue entry, edited by the city)
    limits = {k: {"report_in_seconds": 2, "resolve_seconds": 3600, "grace_seconds": 2, "hours": "calendar"}
              for k in ("routine", "tough", "emergency")}  # fmt: skip
    category = {"name_zh": "测试急件", "name_en": "Test rush", "lead": "water", "co": [], "limits": limits}
    ok(api.request("PUT", f"{BASE}/categories/test_rush", user="city-admin", body=category))
    assert api.request("PUT", f"{BASE}/categories/test_rush", user="dcq-town", body=category).status == 403
    # WHEN nobody reports in
    ticket = ok(api.post(f"{BASE}/tickets", user="qs-area", body=burst_main(category="test_rush")), 201)
    tid = ticket["id"]
    # THEN a reminder (催办) and then an escalation (挂牌督办) to the city are recorded on the ticket
    t = wait_for(api, tid, "qs-area", lambda b: len(b["lapses"]) >= 2)
    assert [(x["phase"], x["level"]) for x in t["lapses"]] == [("report_in", "reminder"), ("report_in", "escalation")]
    assert t["supervised_by"] == "430182"
    seen = ok(api.get(f"{BASE}/tickets/{tid}", user="water-bureau"))
    assert seen["supervised_by"] == "430182"
    # the late report-in still counts, as late
    t = ok(api.post(f"{BASE}/tickets/{tid}/report-in", user="water-bureau", body={}))
    assert t["status"] == "reported_in" and t["departments"][0]["on_time"] is False
    card = ok(api.get(f"{BASE}/scorecards/departments/water?period={period()}", user="city-admin"))
    assert card["report_in_on_time_rate"] == 0.0


def test_a_returned_ticket_is_re_dispatched_and_an_extension_granted(api: ApiClient) -> None:
    body = burst_main(kind="routine", category="farmland", description="灌溉渠堵塞")
    assert api.post(f"{BASE}/tickets", user="qs-area", body=body).status == 403  # routine: cadres only
    ticket = ok(api.post(f"{BASE}/tickets", user="qs-village", body=body), 201)
    assert ticket["status"] == "whistled"  # a routine whistle waits for the town to dispatch
    tid = ticket["id"]
    assert api.post(f"{BASE}/tickets/{tid}/dispatch", user="qs-village", body={}).status == 403
    t = ok(api.post(f"{BASE}/tickets/{tid}/dispatch", user="dcq-town", body={"lead": "agriculture", "co": ["water"]}))
    assert t["status"] == "dispatched"
    assert api.get(f"{BASE}/tickets/{tid}", user="water-bureau").status == 200
    # the water bureau returns it (退单); the town re-dispatches it to water as lead (改派)
    t = ok(api.post(f"{BASE}/tickets/{tid}/return", user="water-bureau", body={"reason": "渠道属农业部门管理"}))
    assert t["status"] == "returned" and t["phase"] == "handover"
    assert api.post(f"{BASE}/tickets/{tid}/report-in", user="water-bureau", body={}).status == 409
    t = ok(api.post(f"{BASE}/tickets/{tid}/dispatch", user="dcq-town", body={"lead": "water", "co": []}))
    assert t["lead"] == "water" and [d["department"] for d in t["departments"]] == ["water"]
    ok(api.post(f"{BASE}/tickets/{tid}/report-in", user="water-bureau", body={}))
    # an extension: asked by the lead, granted by the town, the resolve due time moves
    t = ok(
        api.post(f"{BASE}/tickets/{tid}/extension", user="water-bureau", body={"seconds": 86400, "reason": "需调机械"})
    )
    assert t["status"] == "extension_requested"
    before = datetime.fromisoformat(t["resolve_due"])
    t = ok(api.post(f"{BASE}/tickets/{tid}/extension/decision", user="dcq-town", body={"grant": True}))
    assert t["status"] == "reported_in"
    assert (datetime.fromisoformat(t["resolve_due"]) - before).total_seconds() == 86400
    # a failed verification reopens it
    ok(api.post(f"{BASE}/tickets/{tid}/resolve", user="water-bureau", body={"note": "已清淤"}))
    t = ok(api.post(f"{BASE}/tickets/{tid}/verify", user="qs-village", body={"ok": False, "note": "仍有堵塞"}))
    assert t["status"] == "reopened" and t["phase"] == "resolve"
    card = ok(api.get(f"{BASE}/scorecards/departments/water?period={period()}", user="dcq-town"))
    assert card["returns"] == 1 and card["extensions"] == 1 and card["reopened"] == 1 and card["reopen_rate"] == 1.0


def test_a_town_review_links_its_deliberation_and_foreign_units_are_refused(api: ApiClient) -> None:
    body = burst_main(kind="tough", category="dangerous_building", source="deliberation:D2026-0012")
    ticket = ok(api.post(f"{BASE}/tickets", user="dcq-town", body=body), 201)
    assert ticket["source"] == "deliberation:D2026-0012" and ticket["lead"] == "housing"
    foreign = burst_main(location={"unit": "430182-ZF-QQH-P01-Z01-L01", "address": "x"})
    answer = api.post(f"{BASE}/tickets", user="qs-area", body=foreign)
    assert answer.status == 422 and answer.json["error"]["fields"][0]["path"] == "body.location.unit"
    answer = api.post(f"{BASE}/tickets", user="qs-area", body=burst_main(category="nope"))
    assert answer.status == 422
    assert api.get(f"{BASE}/tickets/{ticket['id']}", user="water-bureau").status == 404


def test_waiting_tickets_are_resumed_after_a_restart(api: ApiClient) -> None:
    import boto3  # noqa: PLC0415

    from chalicelib.core.settings import get_settings  # noqa: PLC0415
    from chalicelib.localstack.state import create_state_machines  # noqa: PLC0415

    ticket = ok(api.post(f"{BASE}/tickets", user="qs-area", body=burst_main()), 201)
    sfn = boto3.client("stepfunctions")
    flow = wait_for(api, ticket["id"], "qs-area", lambda b: True)
    from chalicelib.whistle.store import FlowModel  # noqa: PLC0415

    arn = FlowModel.get(ticket["id"]).execution_arn
    deadline = time.monotonic() + 30  # lose it once it waits, as a restart of the local stack loses it
    while not any(e["type"] == "TaskStateEntered" for e in sfn.get_execution_history(executionArn=arn)["events"]):
        assert time.monotonic() < deadline, "the execution never reached its waiting task"
        time.sleep(0.1)
    # moto's stop_execution leaves a callback-waiting execution RUNNING: drop the machine and its executions
    sfn.delete_state_machine(stateMachineArn=get_settings().state_machine_arn("whistle"))
    create_state_machines()
    assert workflows.resume_all() >= 1
    record = FlowModel.get(ticket["id"])
    assert record.execution_arn.endswith(f"{ticket['id']}-r2")
    assert flow["status"] == "dispatched"
    # the resumed execution takes the next signal
    t = ok(api.post(f"{BASE}/tickets/{ticket['id']}/report-in", user="water-bureau", body={}))
    assert t["status"] == "dispatched"


def test_a_hotline_ticket_is_whistled_answered_and_called_back(api: ApiClient) -> None:
    body = {"id": "12345-20261126-0007", "kind": "complaint", "category": "road_traffic",
            "text": "鹊山村村道塌陷一处，夜间无警示", "unit": "430182-DCQ-QS",
            "caller_name": "李桂香", "caller_phone": "13807310003"}  # fmt: skip
    assert api.post("/v1/hotline-tickets", user="qs-village", body=body).status == 403
    created = ok(api.post("/v1/hotline-tickets", user="agency-12345", body=body), 201)
    assert created["caller"] == "李** 138****0003" and "13807310003" not in json.dumps(created)
    assert created["status"] == "received"
    hid = created["id"]
    assert api.post("/v1/hotline-tickets", user="agency-12345", body=body).status == 409  # one number, once
    assert api.get(f"/v1/hotline-tickets/{hid}", user="water-bureau").status == 404
    assert api.get(f"/v1/hotline-tickets/{hid}", user="zf-town").status == 404
    # the town whistles it to the transport bureau, with the police
    h = ok(api.post(f"/v1/hotline-tickets/{hid}/dispatch", user="dcq-town", body={"to": "whistle", "kind": "tough"}))
    assert h["status"] == "dispatched"
    ticket = ok(api.get(f"{BASE}/tickets/{h['whistle_ticket']}", user="dcq-town"))
    assert ticket["hotline_ticket"] == hid and ticket["source"] == f"hotline:{hid}"
    assert ticket["status"] == "dispatched" and ticket["lead"] == "transport" and ticket["co"] == ["police"]
    # the outcome goes back on the same resource; the hotline records its callback (回访)
    h = ok(api.post(f"/v1/hotline-tickets/{hid}/outcome", user="dcq-town", body={"text": "已设警示并修复路面"}))
    assert api.post(f"/v1/hotline-tickets/{hid}/callback", user="dcq-town",
                    body={"resolved": True, "satisfied": True}).status == 403  # fmt: skip
    h = ok(api.post(f"/v1/hotline-tickets/{hid}/callback", user="agency-12345",
                    body={"resolved": True, "satisfied": True}, headers={"If-Match": str(h["version"])}))  # fmt: skip
    assert h["status"] == "visited" and h["resolved"] is True and h["satisfied"] is True
    assert [s["to"] for s in h["history"]] == ["dispatched", "answered", "visited"]
