"""Automatic 三比 credits from the whistle and the courtyard meeting: a whistle closed on time credits the head of
the unit it came from, once; a late one credits nobody; the party members signed in to a 屋场恳谈会 are each
credited once when its minutes are frozen, however often the event is delivered or the workflow resumed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core import events, jobs, workflows
from chalicelib.deliberation import orchestration
from chalicelib.scoring.service import default_service as scoring_service
from chalicelib.scoring.store import EntryModel
from tests.integration.test_deliberation import concern, start, waiting_at
from tests.integration.test_scoring import PERIOD, _member
from tests.integration.test_whistle import burst_main
from tests.support import Answer, ApiClient

BASE = "/v1/whistle"
P01, Z01 = "430182-DCQ-QS-P01", "430182-DCQ-QS-P01-Z01"


@pytest.fixture
def flows(api: ApiClient) -> Iterator[ApiClient]:
    orchestration.reset()
    yield api
    orchestration.reset()


def ok(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, answer.body.decode()
    return answer.json


def _credits(member: str, rule: str) -> list[EntryModel]:
    return [e for e in scoring_service().store.member_entries(member, PERIOD) if e.rule_code == rule]


def _appoint(api: ApiClient, unit: str, name: str, member: str | None) -> None:
    body = {"person_name": name, "phone": "13907310004", "is_member": member is not None, "member_id": member,
            "start": "2024-03-01"}  # fmt: skip
    ok(api.post(f"/v1/units/{unit}/appointments", user="city-admin", body=body), 201)


def _whistle_to_close(api: ApiClient, category: str = "water_supply", *, wait: float = 0) -> dict[str, Any]:
    """The 片长 whistles; the water bureau (alone) reports in and resolves; the 片长 verifies, rates, closes."""
    tid = ok(api.post(f"{BASE}/tickets", user="qs-area", body=burst_main(category=category)), 201)["id"]
    ok(api.post(f"{BASE}/tickets/{tid}/dispatch", user="dcq-town", body={"lead": "water", "co": []}))
    ok(api.post(f"{BASE}/tickets/{tid}/report-in", user="water-bureau", body={}))
    time.sleep(wait)
    ok(api.post(f"{BASE}/tickets/{tid}/resolve", user="water-bureau", body={"note": "管道修复，恢复供水"}))
    ok(api.post(f"{BASE}/tickets/{tid}/verify", user="qs-area", body={"ok": True}))
    ok(api.post(f"{BASE}/tickets/{tid}/evaluate", user="qs-area", body={"satisfaction": 5}))
    closed: dict[str, Any] = ok(api.post(f"{BASE}/tickets/{tid}/close", user="qs-area", body={}))
    assert closed["status"] == "closed"
    return closed


def test_a_whistle_closed_on_time_credits_the_head_of_its_unit_once(api: ApiClient) -> None:
    # GIVEN 谈美文, a party member, is 片长 of 鹊山村第一片; the 组长 of 第一组 is not a party member (自治力量)
    tan = _member(api, "谈美文")
    _appoint(api, P01, "谈美文", tan)
    _appoint(api, Z01, "杨志强", None)
    # WHEN a burst main in 第一组 is whistled, resolved within its four hours and closed (销号)
    ticket = _whistle_to_close(api)
    jobs.drain()
    # THEN the 片长 (the nearest head who is a party member) is credited once for a whistle closed on time
    booked = _credits(tan, "whistle_on_time")
    assert [(e.kind, int(e.points), e.status, e.source_event) for e in booked] == [
        ("automatic", 3, "public_notice", f"whistle_closed:{ticket['id']}")
    ]
    assert booked[0].note == ticket["id"]
    # a duplicate delivery and a second close credit nothing more
    events.publish(events.SCORING_CREDIT, f"whistle_closed:{ticket['id']}")
    assert jobs.drain() >= 1
    assert api.post(f"{BASE}/tickets/{ticket['id']}/close", user="qs-area", body={}).status == 409
    jobs.drain()
    assert len(_credits(tan, "whistle_on_time")) == 1
    card = ok(api.get(f"/v1/members/{tan}/scorecard?year={PERIOD[:4]}", user="qs-village"))
    assert next(q for q in card["quarters"] if q["period"] == PERIOD)["pending"] == 3


def test_a_whistle_closed_late_credits_nobody(api: ApiClient) -> None:
    # GIVEN a category whose emergency resolve limit is one second (a catalogue entry, edited by the city)
    limits = {k: {"report_in_seconds": 3600, "resolve_seconds": 1, "grace_seconds": 3600, "hours": "calendar"}
              for k in ("routine", "tough", "emergency")}  # fmt: skip
    category = {"name_zh": "测试急修", "name_en": "Test rush fix", "lead": "water", "co": [], "limits": limits}
    ok(api.request("PUT", f"{BASE}/categories/test_fix", user="city-admin", body=category))
    tan = _member(api, "谈美文")
    _appoint(api, P01, "谈美文", tan)
    # WHEN the department resolves it after its due time, and the whistle is closed
    ticket = _whistle_to_close(api, "test_fix", wait=2.5)  # over a second past due, whole seconds apart
    assert ticket["resolution"]["at"] > ticket["resolve_due"]
    events.publish(events.SCORING_CREDIT, f"whistle_closed:{ticket['id']}")  # even if the event came anyway
    jobs.drain()
    # THEN nobody is credited
    assert _credits(tan, "whistle_on_time") == []
    assert scoring_service().store.source_entry(f"whistle_closed:{ticket['id']}") is None


def test_the_party_members_at_a_courtyard_meeting_are_each_credited_once(flows: ApiClient) -> None:
    api = flows
    members = [_member(api, n) for n in ("张良科", "胡明", "周建国")]
    delib = start(api, [concern(api, "组里路灯不亮", "environment")])["id"]
    waiting_at(api, delib, "courtyard_meeting")
    # a member reference that is not on the roll (or not in the 组长's scope) is refused, nothing signed in
    foreign = _member(api, "外村党员", unit="430182-ZF-QQH-P01-Z01-L01")
    for ref in ("no-such-member", foreign):
        refused = api.post(f"/v1/deliberations/{delib}/attendance", user="qs-group",
                           body={"attendees": [{"kind": "member", "ref": ref}]})  # fmt: skip
        assert refused.status == 422 and refused.json["error"]["fields"][0]["path"] == "body.attendees.0.ref"
    # GIVEN three party members sign in (one of them twice, in two batches) with a resident
    attendees = [{"kind": "member", "ref": m} for m in members] + [{"kind": "resident", "name": "李桂香"}]
    ok(api.post(f"/v1/deliberations/{delib}/attendance", user="qs-group", body={"attendees": attendees}))
    again = {"attendees": [{"kind": "member", "ref": members[0]}]}
    ok(api.post(f"/v1/deliberations/{delib}/attendance", user="qs-group", body=again))
    record = ok(api.get(f"/v1/deliberations/{delib}", user="qs-group"))
    item = {"concern": record["concerns"][0], "outcome": "answered", "answer": "已报电工"}
    ok(api.post(f"/v1/deliberations/{delib}/answers", user="qs-group", body={"items": [item]}))
    ok(api.post(f"/v1/deliberations/{delib}/minutes", user="qs-group", body={"text": "屋场恳谈会纪要"}))
    assert jobs.drain() == 0  # signing in is not final yet: nothing is credited before the minutes are frozen
    assert all(_credits(m, "courtyard_meeting") == [] for m in members)
    # WHEN the minutes are frozen (the meeting ends and the workflow moves on)
    closed = ok(api.post(f"/v1/deliberations/{delib}/minutes/freeze", user="qs-group"))
    assert closed["stage"] == "closed"
    jobs.drain()
    # THEN each party member is credited once, under the meeting's event
    for m in members:
        booked = _credits(m, "courtyard_meeting")
        assert [(e.kind, int(e.points), e.source_event) for e in booked] == [
            ("automatic", 2, f"courtyard_meeting:{delib}#{m}")
        ]
    # AND a replayed event, a resumed workflow and a second freeze credit nobody again
    events.publish(events.SCORING_CREDIT, f"courtyard_meeting:{delib}")
    workflows.resume_all()
    assert api.post(f"/v1/deliberations/{delib}/minutes/freeze", user="qs-group").status == 409
    jobs.drain()
    assert [len(_credits(m, "courtyard_meeting")) for m in members] == [1, 1, 1]


def test_a_courtyard_meeting_resumed_before_its_freeze_credits_once(flows: ApiClient) -> None:
    import boto3  # noqa: PLC0415

    from chalicelib.core.settings import get_settings  # noqa: PLC0415
    from chalicelib.localstack.state import create_state_machines  # noqa: PLC0415

    api = flows
    members = [_member(api, n) for n in ("陈志强", "王秀兰", "刘春梅")]
    delib = start(api, [concern(api, "水渠堵塞", "water")])["id"]
    waiting_at(api, delib, "courtyard_meeting")
    attendees = [{"kind": "member", "ref": m} for m in members]
    ok(api.post(f"/v1/deliberations/{delib}/attendance", user="qs-group", body={"attendees": attendees}))
    # GIVEN the execution is lost mid-meeting and resumed at the step DynamoDB records
    sfn = boto3.client("stepfunctions")
    sfn.delete_state_machine(stateMachineArn=get_settings().state_machine_arn("deliberation"))
    create_state_machines()
    assert workflows.resume_all() == 1
    waiting_at(api, delib, "courtyard_meeting")
    record = ok(api.get(f"/v1/deliberations/{delib}", user="qs-group"))
    forwarded = {"concern": record["concerns"][0], "outcome": "forwarded"}
    ok(api.post(f"/v1/deliberations/{delib}/answers", user="qs-group", body={"items": [forwarded]}))
    ok(api.post(f"/v1/deliberations/{delib}/minutes", user="qs-group", body={"text": "纪要"}))
    moved = ok(api.post(f"/v1/deliberations/{delib}/minutes/freeze", user="qs-group"))
    assert moved["stage"] == "forwarded"  # on to the village's monthly analysis meeting
    # WHEN the event is delivered twice and the workflow resumed again
    events.publish(events.SCORING_CREDIT, f"courtyard_meeting:{delib}")
    workflows.resume_all()
    jobs.drain()
    # THEN three credits, one each; the analysis meeting (村 level) is not a courtyard meeting and credits nobody
    assert [len(_credits(m, "courtyard_meeting")) for m in members] == [1, 1, 1]
    assert scoring_service().store.source_entry(f"courtyard_meeting:{delib}#{members[0]}") is not None
