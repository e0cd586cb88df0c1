"""民情三会 under moto's real Step Functions engine: a 屋场恳谈会 in 鹊山村第一组 forwards a road repair and a water
dispute; the 民情分析会 grades them (one assigned, one sent up); the town review decides and blows a whistle; the
responsibility item is tracked to 销号. Deadlines lapse into 挂牌督办, and a lost execution resumes from DynamoDB."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from chalicelib.core import jobs, workflows
from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.clock import china_today
from chalicelib.core.settings import get_settings
from chalicelib.deliberation import orchestration, service
from chalicelib.deliberation.orchestration import Orchestrator
from chalicelib.deliberation.service import DeliberationService, WhistleRequest
from chalicelib.deliberation.store import DeliberationStore
from chalicelib.grid.service import default_service as grid_service
from chalicelib.localstack.seed import DEMO_ACCOUNTS
from chalicelib.localstack.state import create_state_machines
from tests.support import Answer, ApiClient

Z01 = "430182-DCQ-QS-P01-Z01"
Z02 = "430182-DCQ-QS-P01-Z02"
L01 = "430182-DCQ-QS-P01-Z01-L01"
QS = "430182-DCQ-QS"
DCQ = "430182-DCQ"


@pytest.fixture
def flows(api: ApiClient) -> Iterator[ApiClient]:
    orchestration.reset()
    yield api
    orchestration.reset()


def ok(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, answer.body.decode()
    return answer.json


def eventually(check: Callable[[], Any], seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def concern(api: ApiClient, text: str, category: str, *, user: str = "qs-group", **extra: Any) -> str:
    body = {"text": text, "category": category, "unit": Z01, "raised_by": "周建国", **extra}
    return str(ok(api.post("/v1/concerns", user=user, body=body), 201)["id"])


def household(api: ApiClient) -> str:
    body = {"unit": L01, "address": "鹊山村第一组4号", "head_name": "周建国", "residents": 5}
    return str(ok(api.post("/v1/households", user="qs-group", body=body), 201)["id"])


def start(api: ApiClient, concerns: list[str], user: str = "qs-group") -> dict[str, Any]:
    body = {
        "unit": Z01, "title": "第一组屋场恳谈会", "concerns": concerns,
        "convened_on": china_today().isoformat(), "place": "周家屋场",
    }  # fmt: skip
    result: dict[str, Any] = ok(api.post("/v1/deliberations", user=user, body=body), 201)
    return result


def waiting_at(api: ApiClient, deliberation: str, step: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        got: dict[str, Any] = ok(api.get(f"/v1/deliberations/{deliberation}", user="city-admin"))
        return got if got["workflow"]["step"] == step else None

    result: dict[str, Any] = eventually(check)
    return result


def meeting(record: dict[str, Any], stage: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in record["meetings"] if m["stage"] == stage)
    return found


def conclude(api: ApiClient, deliberation: str, user: str, attendees: list[dict[str, Any]]) -> dict[str, Any]:
    ok(api.post(f"/v1/deliberations/{deliberation}/attendance", user=user, body={"attendees": attendees}))
    ok(api.post(f"/v1/deliberations/{deliberation}/minutes", user=user, body={"text": "会议纪要：逐项研究。"}))
    ok(api.post(f"/v1/deliberations/{deliberation}/minutes/confirm", user=user))
    result: dict[str, Any] = ok(api.post(f"/v1/deliberations/{deliberation}/minutes/freeze", user=user))
    return result


def test_a_road_repair_goes_from_the_courtyard_to_the_responsibility_list_and_a_water_dispute_to_a_whistle(
    flows: ApiClient, monkeypatch: pytest.MonkeyPatch, atomic_dynamodb: None
) -> None:
    api = flows
    whistles: list[WhistleRequest] = []
    monkeypatch.setattr(service, "WHISTLE_HOOKS", [*service.WHISTLE_HOOKS, whistles.append])
    # GIVEN three concerns logged by the 组长 of 鹊山村第一组
    road = concern(api, "村道坑洼，雨天积水难行，请求修路", "roads")
    water = concern(api, "夏铎铺灌溉用水纠纷，上下游两组争水", "water", household=household(api), unit=None)
    lamp = concern(api, "组里路灯不亮", "environment")
    logged = ok(api.get(f"/v1/concerns/{road}", user="qs-area"))
    assert logged["raised_by"] == "周**" and logged["status"] == "open"

    # WHEN the courtyard meeting is convened on them
    record = start(api, [road, water, lamp])
    assert record["stage"] == "courtyard_meeting" and record["stage_label"] == "屋场恳谈会"
    delib = record["id"]
    waiting_at(api, delib, "courtyard_meeting")
    grading_too_early = api.post(
        f"/v1/deliberations/{delib}/grades", user="qs-village",
        body={"items": [{"concern": road, "grade": "urgent", "action": "town"}]},
    )  # fmt: skip
    assert grading_too_early.status == 409 and "屋场恳谈会" in grading_too_early.json["error"]["message"]
    ok(
        api.post(
            f"/v1/deliberations/{delib}/attendance", user="qs-group",
            body={"attendees": [
                {"kind": "grid_head", "name": "张良科"}, {"kind": "cadre", "name": "刘晓华"},
                {"kind": "resident", "name": "周建国"},
            ]},
        )
    )  # fmt: skip
    answers = {
        "items": [
            {"concern": road, "outcome": "forwarded"},
            {"concern": water, "outcome": "forwarded"},
            {"concern": lamp, "outcome": "answered", "answer": "已报电工，本周内修复"},
        ]
    }
    ok(api.post(f"/v1/deliberations/{delib}/answers", user="qs-group", body=answers))
    ok(api.post(f"/v1/deliberations/{delib}/minutes", user="qs-group", body={"text": "屋场恳谈会纪要（草稿）"}))
    ok(api.post(f"/v1/deliberations/{delib}/minutes", user="qs-group", body={"text": "屋场恳谈会纪要（修改稿）"}))
    # two attendees confirm at the same moment: both confirmations land
    results: list[Answer] = []
    threads = [
        threading.Thread(
            target=lambda u=u: results.append(api.post(f"/v1/deliberations/{delib}/minutes/confirm", user=u))
        )
        for u in ("zhang-liangke", "qs-group")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in results] == [200, 200]
    frozen = ok(api.post(f"/v1/deliberations/{delib}/minutes/freeze", user="qs-group"))

    # THEN the minutes are frozen with both confirmations, and the concerns wait for the village's analysis
    courtyard = meeting(frozen, "courtyard_meeting")
    assert courtyard["minutes"]["frozen"] and len(courtyard["minutes"]["hash"]) == 64
    assert len(courtyard["minutes"]["versions"]) == 2 and len(courtyard["minutes"]["confirmed_by"]) == 2
    assert [a["name"] for a in courtyard["attendees"]] == ["张**", "刘**", "周**"]
    assert frozen["stage"] == "forwarded" and frozen["stage_label"] == "待民情分析会"
    amend = api.post(f"/v1/deliberations/{delib}/minutes", user="qs-group", body={"text": "改"})
    assert amend.status == 409 and "待民情分析会" in amend.json["error"]["message"]
    assert ok(api.get(f"/v1/concerns/{lamp}", user="qs-group"))["status"] == "answered"
    waiting_at(api, delib, "forwarded")  # the courtyard's execution has ended

    # the second group's courtyard meeting forwards its own concern the same month
    ditch = concern(api, "第二组水渠淤塞", "water", unit=Z02, user="qs-area")
    other = ok(api.post("/v1/deliberations", user="qs-village", body={
        "unit": Z02, "title": "第二组屋场恳谈会", "concerns": [ditch], "convened_on": china_today().isoformat(),
        "place": "李家屋场"}), 201)["id"]  # fmt: skip
    ok(api.post(f"/v1/deliberations/{other}/answers", user="qs-village",
                body={"items": [{"concern": ditch, "outcome": "forwarded"}]}))  # fmt: skip
    conclude(api, other, "qs-village", [{"kind": "grid_head", "name": "李组长"}])

    # the village's monthly analysis meeting takes up what both courtyard meetings forwarded
    month = china_today().strftime("%Y-%m")
    body = {"village": QS, "month": month, "title": "鹊山村民情分析会", "convened_on": china_today().isoformat(),
            "place": "鹊山村部"}  # fmt: skip
    assert api.post("/v1/analysis-meetings", user="qs-group", body=body).status == 403
    analysis = ok(api.post("/v1/analysis-meetings", user="qs-village", body=body), 201)
    assert analysis["id"] == f"analysis-{QS}-{month}" and analysis["kind"] == "analysis"
    assert analysis["sources"] == [delib, other] and sorted(analysis["concerns"]) == sorted([road, water, ditch])
    again = api.post("/v1/analysis-meetings", user="qs-village", body=body)
    assert again.status == 409
    assert ok(api.get(f"/v1/deliberations/{delib}", user="qs-group"))["analysis"] == analysis["id"]
    assert ok(api.get(f"/v1/deliberations/{other}", user="qs-village"))["analysis"] == analysis["id"]
    courtyard_ids = (delib, other)
    delib = analysis["id"]
    waiting_at(api, delib, "analysis_meeting")

    # the 民情分析会 grades: the road is urgent and assigned to the group, the water dispute goes to the town
    deadline = (china_today() + timedelta(days=10)).isoformat()
    grades = {
        "items": [
            {"concern": road, "grade": "urgent", "action": "assign", "task": "修复第一组村道", "lead_unit": Z01,
             "responsible_units": ["430182-DCQ-QS-P01"], "deadline": deadline},
            {"concern": water, "grade": "important", "action": "town"},
            {"concern": ditch, "grade": "routine", "action": "assign", "task": "清淤第二组水渠", "lead_unit": Z02,
             "deadline": deadline},
        ]
    }  # fmt: skip
    assert api.post(f"/v1/deliberations/{delib}/grades", user="qs-group", body=grades).status == 403
    graded = ok(api.post(f"/v1/deliberations/{delib}/grades", user="qs-village", body=grades))
    outcome = {o["concern"]: o for o in meeting(graded, "analysis_meeting")["outcomes"]}
    item = outcome[road]["item"]
    assert outcome[road]["grade"] == "urgent" and outcome[water]["action"] == "town"
    conclude(api, delib, "qs-village", [{"kind": "cadre", "name": "刘晓华"}, {"kind": "grid_head", "name": "杨志强"}])
    waiting_at(api, delib, "town_review")

    # the town review decides the water dispute one matter at a time and blows a whistle for the water bureau
    decisions = {"items": [{"concern": water, "decision": "镇水利站牵头，两组轮灌", "lead_department": "water",
                            "whistle": {"department": "water", "kind": "tough"}}]}  # fmt: skip
    assert api.post(f"/v1/deliberations/{delib}/decisions", user="qs-village", body=decisions).status == 403
    decided = ok(api.post(f"/v1/deliberations/{delib}/decisions", user="dcq-town", body=decisions))
    whistle = meeting(decided, "town_review")["outcomes"][0]["whistle_requested"]
    assert [w.id for w in whistles] == [whistle["id"]] and whistles[0].department == "water"
    # ...and the water bureau finds the ticket, dispatched to it and linked back to the deliberation
    [ticket] = ok(api.get("/v1/whistle/tickets", user="water-bureau"))["items"]
    assert ticket["source"] == f"deliberation:{delib}" and ticket["lead"] == "water"
    assert ticket["status"] == "dispatched" and ticket["kind"] == "tough"
    closed = conclude(api, delib, "dcq-town", [{"kind": "department", "name": "水利站"}])
    assert closed["stage"] == "closed"
    waiting_at(api, delib, "closed")
    assert ok(api.get(f"/v1/concerns/{water}", user="qs-group"))["status"] == "closed"

    # every step is on the timeline
    # every step is on the timeline: the courtyard meeting's shows the analysis and the town review after it
    steps = [
        (e["kind"], e["stage"])
        for e in ok(api.get(f"/v1/deliberations/{courtyard_ids[0]}/timeline", user="qs-area"))["items"]
    ]
    for stage in ("courtyard_meeting", "analysis_meeting", "town_review"):
        assert ("concluded", stage) in steps
    assert ("forwarded", "analysis_meeting") in steps and ("collected", "analysis_meeting") in steps
    assert steps[0] == ("started", "courtyard_meeting") and steps[-1] == ("closed", None)
    merged = ok(api.get(f"/v1/deliberations/{delib}/timeline", user="qs-village"))["items"]
    assert {e["deliberation"] for e in merged} == {delib, *courtyard_ids}
    late = api.post(f"/v1/deliberations/{delib}/answers", user="qs-group", body=answers)
    assert late.status == 409 and "已办结" in late.json["error"]["message"]

    # the road repair is tracked from 挂号 to 销号
    base = f"/v1/responsibility-items/{item}"
    assert ok(api.get(base, user="qs-area"))["status"] == "registered"
    ok(api.post(f"{base}/progress", user="qs-area", body={"kind": "accept", "unit": "430182-DCQ-QS-P01"}))
    assert api.post(f"{base}/close", user="qs-group", body={"satisfaction": "satisfied"}).status == 409
    ok(api.post(f"{base}/progress", user="qs-group", body={"kind": "done", "note": "已铺设水泥路面"}))
    reopened = ok(api.post(f"{base}/close", user="qs-village", body={"satisfaction": "unsatisfied"}))
    assert reopened["status"] == "in_progress"
    ok(api.post(f"{base}/progress", user="qs-group", body={"kind": "done", "note": "补修排水沟"}))
    closed_item = ok(api.post(f"{base}/close", user="qs-village", body={"satisfaction": "satisfied"}))
    assert closed_item["status"] == "closed" and closed_item["accepted_by"] == ["430182-DCQ-QS-P01"]
    assert ok(api.get(f"/v1/concerns/{road}", user="qs-group"))["status"] == "closed"
    sfn = boto3.client("stepfunctions")
    arn = ok(api.get(f"/v1/deliberations/{delib}", user="dcq-town"))["workflow"]["execution"]
    assert arn == f"{delib}-analysis_meeting"
    listed = ok(api.get(f"/v1/units/{QS}/deliberations", user="qs-village"))["items"]
    assert sorted(d["id"] for d in listed) == sorted([delib, *courtyard_ids])
    assert {d["stage"] for d in listed if d["id"] in courtyard_ids} == {"analysed"}
    assert sfn is not None


def test_a_lapsed_meeting_is_escalated_to_the_level_above_and_can_still_be_held(
    flows: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = flows
    monkeypatch.setenv("WORKFLOW_SECONDS_COURTYARD_MEETING", "1")
    create_state_machines()
    delib = start(api, [concern(api, "垃圾清运不及时", "environment")])["id"]

    def lapsed() -> dict[str, Any] | None:
        got: dict[str, Any] = ok(api.get(f"/v1/deliberations/{delib}", user="qs-village"))
        return got if got["workflow"]["lapses"] else None

    record = eventually(lapsed)
    assert record["workflow"]["lapses"][0]["stage"] == "courtyard_meeting"
    assert record["workflow"]["lapses"][0]["escalated_to"] == QS
    board = ok(api.get(f"/v1/units/{QS}/supervision", user="qs-village"))
    assert [m["record"] for m in board["lapsed_meetings"]] == [delib]
    assert (
        ok(api.get(f"/v1/units/{DCQ}/supervision", user="dcq-town"))["lapsed_meetings"][0]["step"]
        == "courtyard_meeting"
    )
    kinds = [e["kind"] for e in ok(api.get(f"/v1/deliberations/{delib}/timeline", user="qs-group"))["items"]]
    assert kinds == ["started", "lapsed"]
    # the overdue meeting is still held, and the deliberation goes on to the village's analysis meeting
    answer = {"concern": record["concerns"][0], "outcome": "forwarded"}
    ok(api.post(f"/v1/deliberations/{delib}/answers", user="qs-group", body={"items": [answer]}))
    forwarded = conclude(api, delib, "qs-group", [{"kind": "resident", "name": "李桂香"}])
    assert forwarded["stage"] == "forwarded"
    waiting_at(api, delib, "forwarded")
    assert ok(api.get(f"/v1/units/{QS}/supervision", user="qs-village"))["lapsed_meetings"] == []


def test_a_lost_execution_is_resumed_at_the_step_recorded_in_dynamodb(flows: ApiClient) -> None:
    api = flows
    delib = start(api, [concern(api, "桥梁护栏松动", "roads")])["id"]
    first = waiting_at(api, delib, "courtyard_meeting")["workflow"]
    # the executions are lost, as when the local stack restarts on a fresh Step Functions backend
    sfn = boto3.client("stepfunctions")
    machine = get_settings().state_machine_arn("deliberation")
    sfn.delete_state_machine(stateMachineArn=machine)
    create_state_machines()
    arn = f"{machine.replace(':stateMachine:', ':execution:')}:{first['execution']}"
    assert workflows.resume_all() == 1
    assert workflows.resume_all() == 0  # the new execution runs: nothing more to resume
    resumed = waiting_at(api, delib, "courtyard_meeting")["workflow"]
    assert resumed["execution"] == f"{delib}-courtyard_meeting-r1" and resumed["restarts"] == 1
    record = ok(api.get(f"/v1/deliberations/{delib}", user="qs-group"))
    ok(api.post(f"/v1/deliberations/{delib}/answers", user="qs-group",
                body={"items": [{"concern": record["concerns"][0], "outcome": "forwarded"}]}))  # fmt: skip
    moved = conclude(api, delib, "qs-group", [{"kind": "resident", "name": "陈志强"}])
    assert moved["stage"] == "forwarded"
    waiting_at(api, delib, "forwarded")
    resumed_arn = arn.replace(first["execution"], resumed["execution"])
    for _ in range(300):  # moto's engine runs the last states on its own thread: give it time under load
        status = sfn.describe_execution(executionArn=resumed_arn)["status"]
        if status != "RUNNING":
            break
        time.sleep(0.1)
    assert status == "SUCCEEDED"  # the resumed execution took the step and ended at `forwarded`


def test_concerns_are_scoped_validated_and_answered_on_the_spot(flows: ApiClient) -> None:
    api = flows
    bad = api.post("/v1/concerns", user="qs-group", body={"text": "x", "category": "nope", "unit": Z01})
    assert bad.status == 422 and bad.json["error"]["fields"][0]["path"] == "body.category"
    foreign = api.post(
        "/v1/concerns", user="qs-group", body={"text": "x", "category": "roads", "unit": "430182-ZF-QQH"}
    )
    assert foreign.status == 422 and foreign.json["error"]["fields"][0]["path"] == "body.unit"
    spot = concern(api, "低保政策咨询", "social_security", user="zhang-liangke", unit=L01)
    answered = ok(api.post(f"/v1/concerns/{spot}/answer", user="zhang-liangke", body={"answer": "已讲解政策"}))
    assert answered["status"] == "answered" and answered["status_label"] == "已当场答复"
    again = api.post(f"/v1/concerns/{spot}/answer", user="zhang-liangke", body={"answer": "再答"})
    assert again.status == 409
    listed = ok(api.get(f"/v1/units/{QS}/concerns?status=answered", user="qs-village"))["items"]
    assert [c["id"] for c in listed] == [spot]
    taken = api.post(
        "/v1/deliberations", user="qs-group",
        body={"unit": Z01, "title": "t", "concerns": [spot], "convened_on": "2026-01-01", "place": "p"},
    )  # fmt: skip
    assert taken.status == 409
    assert api.get(f"/v1/concerns/{spot}", user="zf-town").status == 404


def test_a_meeting_concluded_while_its_execution_is_lost_restarts_the_workflow_at_the_next_stage(
    flows: ApiClient,
) -> None:
    api = flows
    delib = start(api, [concern(api, "水渠堵塞", "water")])["id"]
    waiting_at(api, delib, "courtyard_meeting")
    record = ok(api.get(f"/v1/deliberations/{delib}", user="qs-group"))
    answer = {"concern": record["concerns"][0], "outcome": "forwarded"}
    ok(api.post(f"/v1/deliberations/{delib}/answers", user="qs-group", body={"items": [answer]}))
    conclude(api, delib, "qs-group", [{"kind": "resident", "name": "王秀兰"}])
    body = {"village": QS, "month": "2026-11", "title": "分析会", "convened_on": "2026-11-20", "place": "村部"}
    analysis = ok(api.post("/v1/analysis-meetings", user="qs-village", body=body), 201)["id"]
    waiting_at(api, analysis, "analysis_meeting")
    grade = {"concern": record["concerns"][0], "grade": "important", "action": "town"}
    ok(api.post(f"/v1/deliberations/{analysis}/grades", user="qs-village", body={"items": [grade]}))
    ok(
        api.post(
            f"/v1/deliberations/{analysis}/attendance",
            user="qs-village",
            body={"attendees": [{"kind": "cadre", "name": "刘晓华"}]},
        )
    )
    ok(api.post(f"/v1/deliberations/{analysis}/minutes", user="qs-village", body={"text": "纪要"}))
    sfn = boto3.client("stepfunctions")
    sfn.delete_state_machine(stateMachineArn=get_settings().state_machine_arn("deliberation"))
    create_state_machines()  # the execution waiting for this meeting is gone, and nobody resumed it
    store = DeliberationStore(audit=AuditStore())
    quick = DeliberationService(
        store=store,
        grid=grid_service(),
        catalogue=CatalogueStore(),
        orchestrator=Orchestrator(workflow="deliberation", store=store, token_wait=0.5),
    )
    village = next(a for a in DEMO_ACCOUNTS if a.username == "qs-village")
    actor = Actor(sub=village.sub, role=village.role, scope=village.scope, request_id="test")
    moved = quick.freeze_minutes(village.principal(), actor, analysis)
    assert moved.stage == "town_review"
    resumed = waiting_at(api, analysis, "town_review")["workflow"]
    assert resumed["execution"] == f"{analysis}-town_review-r1"


def _upload(api: ApiClient, user: str, content_type: str, body: bytes) -> str:
    import requests  # noqa: PLC0415 - the presigned POST a phone would send (moto answers it)

    answer = ok(api.post("/v1/concern-photos", user=user, body={"content_type": content_type, "size": 100_000}), 201)
    sent = requests.post(answer["url"], data=answer["fields"], files={"file": ("p", body, content_type)}, timeout=10)
    assert sent.status_code in (200, 204), sent.text
    return str(answer["key"])


def test_a_concern_carries_its_uploaded_photos_and_only_those_who_see_it_see_them(flows: ApiClient) -> None:
    import base64  # noqa: PLC0415
    import json  # noqa: PLC0415

    api = flows
    # GIVEN the 组长 uploads two photos of the flooded road through presigned POSTs
    upload = ok(api.post("/v1/concern-photos", user="qs-group", body={"content_type": "image/png", "size": 1000}), 201)
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", 1, 1000] in policy["conditions"] and upload["key"].startswith("concerns/430182/")
    refused = api.post("/v1/concern-photos", user="qs-group", body={"content_type": "text/html", "size": 10})
    assert refused.status == 422
    too_big = api.post("/v1/concern-photos", user="qs-group", body={"content_type": "image/png", "size": 9**8})
    assert too_big.status == 422
    first = _upload(api, "qs-group", "image/jpeg", b"\xff\xd8jpeg-bytes")
    second = _upload(api, "qs-group", "image/png", b"\x89PNG-bytes")
    # WHEN the concern is logged with them
    made = concern(api, "村道积水照片为证", "roads", photos=[first, second])
    # THEN those who see the concern get its photos with short-lived GET URLs that fetch the bytes
    got = ok(api.get(f"/v1/concerns/{made}", user="qs-village"))
    assert [p["key"] for p in got["photos"]] == [first, second]
    import requests  # noqa: PLC0415

    assert requests.get(got["photos"][0]["url"], timeout=10).content == b"\xff\xd8jpeg-bytes"
    listed = ok(api.get(f"/v1/units/{Z01}/concerns", user="qs-group"))["items"]
    assert [p["key"] for p in next(c for c in listed if c["id"] == made)["photos"]] == [first, second]
    # ...and those out of scope see nothing of it
    assert api.get(f"/v1/concerns/{made}", user="zf-town").status == 404
    assert first not in ok(api.get("/v1/units/430182-ZF/concerns", user="zf-town")).__repr__()
    # a key never uploaded, or of another county, or not an image, is refused with its field
    missing = api.post(
        "/v1/concerns", user="qs-group",
        body={"text": "x", "category": "roads", "unit": Z01, "photos": ["concerns/430182/202611/none.jpg"]},
    )  # fmt: skip
    assert missing.status == 422 and missing.json["error"]["fields"][0]["path"] == "body.photos.0"
    foreign = api.post(
        "/v1/concerns", user="qs-group",
        body={"text": "x", "category": "roads", "unit": Z01, "photos": [first, "concerns/999999/x.jpg"]},
    )  # fmt: skip
    assert foreign.status == 422 and foreign.json["error"]["fields"][0]["path"] == "body.photos.1"
    boto3.client("s3").put_object(
        Bucket=jobs.bucket_name(), Key="concerns/430182/202611/x.jpg", Body=b"<html>",
        ContentType="text/html",
    )  # fmt: skip
    html = api.post(
        "/v1/concerns", user="qs-group",
        body={"text": "x", "category": "roads", "unit": Z01, "photos": ["concerns/430182/202611/x.jpg"]},
    )  # fmt: skip
    assert html.status == 422
    smuggled = api.post(
        "/v1/concerns", user="qs-group", body={"text": "x", "category": "roads", "unit": Z01, "photos": ["../x"]}
    )
    assert smuggled.status == 422


def test_frozen_minutes_are_corrected_by_a_new_version_with_its_own_review_confirmations_and_replies(
    flows: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = flows
    monkeypatch.setenv("WORKFLOW_SECONDS_MINUTES_REVIEW", "2")
    delib = start(api, [concern(api, "路灯不亮", "environment")])["id"]
    record = ok(api.get(f"/v1/deliberations/{delib}", user="qs-group"))
    answer = {"concern": record["concerns"][0], "outcome": "answered", "answer": "本周修复"}
    ok(api.post(f"/v1/deliberations/{delib}/answers", user="qs-group", body={"items": [answer]}))
    done = conclude(api, delib, "qs-group", [{"kind": "resident", "name": "周建国"}])
    original = meeting(done, "courtyard_meeting")["minutes"]
    # a frozen minute is immutable: no amendment, only a correction
    assert api.post(f"/v1/deliberations/{delib}/minutes", user="qs-group", body={"text": "改"}).status == 409
    body = {"stage": "courtyard_meeting", "text": "会议纪要（更正：路灯由电工李师傅修复）", "reason": "维修人写错"}
    assert api.post(f"/v1/deliberations/{delib}/corrections", user="zhang-liangke", body=body).status == 403
    v2 = meeting(ok(api.post(f"/v1/deliberations/{delib}/corrections", user="qs-group", body=body), 201),
                 "courtyard_meeting")["minutes"]["corrections"][0]  # fmt: skip
    assert v2["id"] == "courtyard_meeting-v2" and v2["version"] == 2 and v2["references"] == 1
    base = f"/v1/deliberations/{delib}/corrections/courtyard_meeting-v2"
    assert api.post(f"/v1/deliberations/{delib}/corrections", user="qs-group", body=body).status == 409
    # an attendee objects, the group head replies; both confirm
    ok(api.post(f"{base}/objections", user="zhang-liangke", body={"text": "李师傅只换了灯泡"}))
    assert api.post(f"{base}/objections/1/replies", user="zhang-liangke", body={"text": "x"}).status == 403
    assert api.post(f"{base}/objections/9/replies", user="qs-group", body={"text": "x"}).status == 404
    ok(api.post(f"{base}/confirm", user="zhang-liangke"))
    early = api.post(f"{base}/freeze", user="qs-group")
    assert early.status == 409 and "审阅期" in early.json["error"]["message"]
    time.sleep(2.5)
    unanswered = api.post(f"{base}/freeze", user="qs-group")
    assert unanswered.status == 409 and "异议" in unanswered.json["error"]["message"]
    assert api.post(f"{base}/objections", user="zhang-liangke", body={"text": "再议"}).status == 409  # window over
    ok(api.post(f"{base}/objections/1/replies", user="qs-group", body={"text": "已核实：换灯泡并检修线路"}))
    frozen = meeting(ok(api.post(f"{base}/freeze", user="qs-group")), "courtyard_meeting")["minutes"]
    [v2] = frozen["corrections"]
    assert v2["frozen"] and len(v2["hash"]) == 64 and len(v2["confirmed_by"]) == 1
    reply = v2["objections"][0]["replies"][0]
    assert reply["text"] == "已核实：换灯泡并检修线路" and reply["by_role"] == "group_head" and reply["at"]
    assert v2["objections"][0]["raised_by"].endswith("*")
    # the original is untouched, and the next correction references v2
    assert frozen["text"] == original["text"] and frozen["hash"] == original["hash"]
    assert api.post(f"{base}/freeze", user="qs-group").status == 409
    v3 = ok(api.post(f"/v1/deliberations/{delib}/corrections", user="qs-group", body=body | {"text": "v3"}), 201)
    assert meeting(v3, "courtyard_meeting")["minutes"]["corrections"][1]["references"] == 2
    kinds = [e["kind"] for e in ok(api.get(f"/v1/deliberations/{delib}/timeline", user="qs-group"))["items"]]
    for kind in ("correction_proposed", "correction_objection", "objection_replied", "correction_confirmed",
                 "correction_frozen"):  # fmt: skip
        assert kind in kinds
    assert api.post(f"/v1/deliberations/{delib}/corrections/town_review-v2/confirm", user="qs-group").status == 404
