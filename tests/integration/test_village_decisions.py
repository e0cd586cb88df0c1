"""四议两公开 under moto's Step Functions engine: the party members' meeting fails its quorum, is held again and
adopts; the villagers' representatives fail, then pass; the resolution is published with an objection window
(seconds here), then implemented and its result published."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.deliberation import orchestration
from tests.authz.common import household, member_body
from tests.support import Answer, ApiClient

QS = "430182-DCQ-QS"
L01 = "430182-DCQ-QS-P01-Z01-L01"
BRANCH = "鹊山村党支部"


@pytest.fixture
def flows(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiClient]:
    # read when the resolution is published; the end is kept to the second, so the notice lasts 4 to 5 s: room
    # for an objection on a loaded machine (one after the execution closed the notice is refused)
    monkeypatch.setenv("WORKFLOW_SECONDS_OBJECTION_WINDOW", "5")
    orchestration.reset()
    yield api
    orchestration.reset()


def ok(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, answer.body.decode()
    return answer.json


def members(api: ApiClient, count: int, **extra: Any) -> None:
    for _ in range(count):
        body = member_body(household(api, L01)) | {"status": "full", "branch": BRANCH} | extra
        ok(api.post("/v1/members", user="city-admin", body=body), 201)


def vote(api: ApiClient, decision: str, meeting: str, present: int, in_favour: int, **extra: Any) -> Answer:
    body = {"meeting": meeting, "present": present, "in_favour": in_favour, "held_on": "2026-11-20", **extra}
    return api.post(f"/v1/village-decisions/{decision}/votes", user="qs-village", body=body)


def wait_for_notice_end(decision: dict[str, Any]) -> None:
    until = datetime.strptime(decision["objection_until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 0.3)


def step_of(api: ApiClient, decision: str, step: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        got: dict[str, Any] = ok(api.get(f"/v1/village-decisions/{decision}", user="qs-village"))
        if got["workflow"]["step"] == step:
            return got
        assert time.monotonic() < deadline, f"workflow at {got['workflow']['step']}, not {step}"
        time.sleep(0.1)


def test_a_village_decision_fails_quorum_then_passes_both_meetings_and_is_published(flows: ApiClient) -> None:
    api = flows
    # GIVEN a branch of three full members (a probationary member and another branch's member do not count)
    members(api, 3)
    members(api, 1, status="probationary", join_date="2026-01-01")
    members(api, 1, branch="石山村党支部")
    proposal = {
        "village": QS,
        "title": "第一组村道硬化",
        "proposal": "村道硬化 1.2 公里，一事一议筹资",
        "branch": BRANCH,
    }
    created = ok(api.post("/v1/village-decisions", user="qs-village", body=proposal), 201)
    decision = created["id"]
    assert created["stage"] == "consultation"
    early = vote(api, decision, "party_meeting", 3, 3)
    assert early.status == 409 and "村两委商议" in early.json["error"]["message"]
    step_of(api, decision, "consultation")
    ok(
        api.post(
            f"/v1/village-decisions/{decision}/consultation", user="qs-village", body={"note": "两委一致同意提交审议"}
        )
    )
    step_of(api, decision, "party_meeting")

    # WHEN only one of the three members comes, the meeting has no quorum and must be held again
    first = ok(vote(api, decision, "party_meeting", 1, 1))
    assert first["stage"] == "party_meeting"
    assert first["votes"][0] | {"held_on": None} == {
        "meeting": "party_meeting", "held_on": None, "entitled": 3, "present": 1, "in_favour": 1, "against": 0,
        "abstain": 0, "quorum_met": False, "adopted": False, "outcome": "no_quorum",
    }  # fmt: skip
    assert vote(api, decision, "party_meeting", 2, 1, entitled=9).status == 422  # the roll gives the count
    assert vote(api, decision, "party_meeting", 4, 4).status == 422  # more present than members
    # two of three present (exactly 2/3) and both in favour: adopted
    second = ok(vote(api, decision, "party_meeting", 2, 2))
    assert second["stage"] == "villagers_meeting"
    step_of(api, decision, "villagers_meeting")
    assert vote(api, decision, "villagers_meeting", 20, 11).status == 422  # the entitled count is required
    assert ok(vote(api, decision, "villagers_meeting", 19, 19, entitled=30))["stage"] == "villagers_meeting"
    published = ok(vote(api, decision, "villagers_meeting", 20, 11, against=9, entitled=30))

    # THEN the resolution is published with an objection window, and the workflow reads the notice from the
    # publishing answer on (the execution waits in a Wait state, which writes no step: the API writes it)
    assert published["stage"] == "objection_window" and published["objection_until"]
    assert published["workflow"]["step"] == "objection_window"
    assert published["workflow"]["waiting_since"] == published["published_at"]
    objected = api.post(
        f"/v1/village-decisions/{decision}/objections",
        user="qs-village",
        body={"text": "占用我家菜地", "raised_by": "胡明"},
    )
    assert ok(objected)["objections"][0]["raised_by"] == "胡*"
    time.sleep(0.5)  # the execution has gone on from the villagers' meeting into the notice's wait
    during = ok(api.get(f"/v1/village-decisions/{decision}", user="qs-village"))
    assert during["stage"] == "objection_window" and during["workflow"]["step"] == "objection_window"
    too_soon = api.post(f"/v1/village-decisions/{decision}/implementation", user="qs-village", body={"note": "开工"})
    assert too_soon.status == 409 and "决议公示" in too_soon.json["error"]["message"]
    wait_for_notice_end(published)
    late = api.post(f"/v1/village-decisions/{decision}/objections", user="qs-village", body={"text": "晚了"})
    assert late.status == 409
    step_of(api, decision, "objection_replies")  # the objection has no reply: the flow waits for it
    reply = {"text": "菜地按标准补偿，已张榜公示"}
    ok(api.post(f"/v1/village-decisions/{decision}/objections/1/replies", user="qs-village", body=reply), 201)
    step_of(api, decision, "implementation")
    ok(api.post(f"/v1/village-decisions/{decision}/implementation", user="qs-village", body={"note": "已开工"}))
    step_of(api, decision, "result_publication")
    done = ok(
        api.post(f"/v1/village-decisions/{decision}/result", user="qs-village", body={"note": "已完工，账目公开"})
    )
    assert done["stage"] == "done"
    closed = step_of(api, decision, "closed")
    kinds = [e["kind"] for e in closed["timeline"]]
    assert kinds == [
        "proposed", "consulted", "no_quorum", "adopted", "no_quorum", "adopted", "published", "objection",
        "objection_replied", "implemented", "result_published",
    ]  # fmt: skip
    assert api.get(f"/v1/village-decisions/{decision}", user="zf-town").status == 404


def test_a_rejected_resolution_ends_the_decision(flows: ApiClient) -> None:
    api = flows
    members(api, 3)
    body = {"village": QS, "title": "出让集体山林", "proposal": "出让后山集体山林经营权", "branch": BRANCH}
    decision = ok(api.post("/v1/village-decisions", user="qs-village", body=body), 201)["id"]
    step_of(api, decision, "consultation")
    ok(api.post(f"/v1/village-decisions/{decision}/consultation", user="qs-village", body={"note": "提交审议"}))
    rejected = ok(vote(api, decision, "party_meeting", 3, 1, against=2))
    assert rejected["stage"] == "rejected" and rejected["stage_label"] == "未通过"
    step_of(api, decision, "closed")
    assert vote(api, decision, "villagers_meeting", 20, 20, entitled=20).status == 409
    foreign = {"village": "430182-ZF-QQH", "title": "t", "proposal": "p", "branch": BRANCH}
    assert api.post("/v1/village-decisions", user="qs-village", body=foreign).status == 422
