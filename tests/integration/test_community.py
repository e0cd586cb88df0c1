"""在职党员到社区报到: an in-service member reports in to the village of their home, claims a need from its
需求表 within its slots, logs service, and the 邻长 confirms it; confirmed hours add up exactly, and the
branch sees who has not reported in."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

from chalicelib.community.service import default_service
from chalicelib.community.store import CommunityStore, NeedModel, confirmed_service
from chalicelib.core import events, jobs
from chalicelib.core.audit import Actor
from chalicelib.core.errors import Conflict
from chalicelib.localstack.seed import DEMO_ACCOUNTS
from chalicelib.scoring.service import default_service as scoring_service
from tests.authz.common import id_number
from tests.support import Answer, ApiClient

L01 = "430182-DCQ-QS-P01-Z01-L01"
L02 = "430182-DCQ-QS-P01-Z01-L02"
Z01 = "430182-DCQ-QS-P01-Z01"
QS = "430182-DCQ-QS"
HOSPITAL = "宁乡市人民医院"


def _household(api: ApiClient, unit: str = L01, address: str = "鹊山村第一组9号") -> str:
    body = {"unit": unit, "address": address, "head_name": "周文", "residents": 3}
    answer = api.post("/v1/households", user="city-admin", body=body)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def _member(api: ApiClient, unit: str = L01, *, name: str = "周文", workplace: str | None = HOSPITAL) -> str:
    body = {
        "name": name, "gender": "male", "id_number": id_number(), "phone": "13907315678", "branch": "鹊山村党支部",
        "status": "full", "join_date": "2010-07-01", "household": _household(api, unit),
        "in_service": workplace is not None, "workplace": workplace,
        "workplace_branch": "宁乡市人民医院党委" if workplace else None,
    }  # fmt: skip
    answer = api.post("/v1/members", user="qs-group", body=body)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def _report_in(api: ApiClient, member: str, period: str = "2026", user: str = "qs-group", **kw: Any) -> Answer:
    body = {"member": member, "period": period, "date": f"{period}-03-05"} | kw
    return api.post("/v1/report-ins", user=user, body=body)


def _need(api: ApiClient, unit: str = L01, slots: int = 2, category: str = "help_neighbour_head") -> dict[str, Any]:
    body = {
        "title": "帮邻长走访独居老人", "description": "每周走访第一邻的独居老人，协助邻长登记诉求",
        "category": category, "slots": slots, "start": "2026-03-01", "end": "2030-12-31",
    }  # fmt: skip
    answer = api.post(f"/v1/units/{unit}/needs", user="qs-village", body=body)
    assert answer.status == 201, answer.body
    result: dict[str, Any] = answer.json
    return result


def _claim(api: ApiClient, need: str, member: str, user: str = "qs-group") -> Answer:
    return api.post(f"/v1/needs/{need}/claims", user=user, body={"member": member})


def _log(api: ApiClient, member: str, hours: Any = 3, need: str | None = None, user: str = "qs-group") -> Answer:
    body = {"member": member, "date": "2026-04-10", "hours": hours, "description": "陪同邻长走访5户，登记2条诉求"}
    if need:
        body["need"] = need
    return api.post("/v1/service-records", user=user, body=body)


def _fields(answer: Answer) -> list[str]:
    return [f["path"] for f in answer.json["error"]["fields"]]


def test_a_hospital_doctor_reports_in_claims_help_the_neighbour_head_logs_and_is_confirmed(api: ApiClient) -> None:
    # GIVEN a member who lives in 鹊山村第一邻 and works at 宁乡市人民医院
    member = _member(api)
    # WHEN the 组长 records the report-in to 鹊山村 for 2026
    answer = _report_in(api, member)
    assert answer.status == 201, answer.body
    report = answer.json
    assert report["community"] == QS and report["period"] == "2026" and report["date"] == "2026-03-05"
    assert report["workplace"] == HOSPITAL and report["recorded_role"] == "group_head" and report["recorded_by"]
    # AND the village publishes 帮邻长 on its 需求表, which the 邻长 sees
    need = _need(api)
    assert need["category_label"] == "帮邻长" and need["state"] == "open" and need["taken"] == 0
    listed = api.get(f"/v1/units/{L01}/needs", user="zhang-liangke").json["items"]
    assert [n["id"] for n in listed] == [need["id"]]
    # AND the member claims it
    claimed = _claim(api, need["id"], member)
    assert claimed.status == 201, claimed.body
    assert claimed.json["state"] == "active" and claimed.json["need_taken"] == 1
    # AND logs 3 hours against it
    logged = _log(api, member, 3, need["id"])
    assert logged.status == 201, logged.body
    record = logged.json
    assert record["state"] == "pending" and record["hours"] == 3 and record["source_event_id"] is None
    pending = api.get(f"/v1/units/{L01}/service-records?period=2026&state=pending", user="zhang-liangke")
    assert [r["id"] for r in pending.json["items"]] == [record["id"]]
    # THEN the 邻长 confirms it, and the year's confirmed total is 3 hours
    confirmed = api.post(f"/v1/service-records/{record['id']}/confirm", user="zhang-liangke")
    assert confirmed.status == 200, confirmed.body
    assert confirmed.json["state_label"] == "已确认" and confirmed.json["reviewed_role"] == "neighbour_head"
    assert confirmed.json["source_event_id"] == f"community_service:{record['id']}"
    card = api.get(f"/v1/members/{member}/service-records?period=2026", user="qs-village").json
    assert card["confirmed_hours"] == 3 and card["confirmed_records"] == 1 and len(card["items"]) == 1
    # AND a second record of 1.5 hours, confirmed by the 组长, adds up exactly
    second = _log(api, member, "1.5", user="qs-village").json
    assert api.post(f"/v1/service-records/{second['id']}/confirm", user="qs-group").status == 200
    card = api.get(f"/v1/members/{member}/service-records?period=2026", user="zhang-liangke").json
    assert card["confirmed_hours"] == 4.5 and card["confirmed_records"] == 2
    # AND the scoring integrator reads the same records, with stable source event ids
    feed = confirmed_service(member, "2026")
    assert sorted(f.source_event_id for f in feed) == sorted(
        f"community_service:{r}" for r in (record["id"], second["id"])
    )
    assert sum(f.half_hours for f in feed) == 9 and confirmed_service(member, "2025") == []
    assert confirmed_service(member, "2026") == feed  # the same ids on every call
    # AND the confirmation is audited with the record
    trail = api.get(f"/v1/audit?entity_type=service_record&entity_id={record['id']}", user="auditor").json
    assert [e["action"] for e in trail["items"]] == ["service_record.create", "service_record.confirm"]
    # AND each confirmation credits the member in the 三比 ledger once (whole hours: 3 h -> 3, 1.5 h -> 1),
    # through the jobs queue, however often the event is delivered
    events.publish(events.SCORING_CREDIT, f"community_service:{record['id']}")  # a duplicate delivery
    assert jobs.drain() == 3
    ledger = scoring_service().store
    booked = [ledger.source_entry(f"community_service:{r}") for r in (record["id"], second["id"])]
    assert [(c.rule_code, int(c.points), c.status) for c in booked if c] == [
        ("in_service_hours", 3, "public_notice"), ("in_service_hours", 1, "public_notice"),
    ]  # fmt: skip


def test_a_member_not_in_service_is_refused_with_the_field_named(api: ApiClient) -> None:
    retired = _member(api, name="胡明", workplace=None)
    answer = _report_in(api, retired)
    assert answer.status == 422 and _fields(answer) == ["body.member"]
    assert "在职" in answer.json["error"]["message"]


def test_one_report_in_per_member_per_period(api: ApiClient) -> None:
    member = _member(api)
    assert _report_in(api, member).status == 201
    again = _report_in(api, member, user="qs-village", date="2026-05-01")
    assert again.status == 409 and _fields(again) == ["body.period"]
    assert _report_in(api, member, period="2025").status == 201
    listed = api.get(f"/v1/units/{QS}/report-ins?period=2026", user="qs-village").json["items"]
    assert [r["member"] for r in listed] == [member]
    # a date outside the period, or in the future, is refused
    bad = _report_in(api, _member(api), date="2025-12-31")
    assert bad.status == 422 and _fields(bad) == ["body.date"]


def test_an_idempotent_retry_replays_the_report_in(api: ApiClient) -> None:
    member = _member(api)
    body = {"member": member, "period": "2026", "date": "2026-03-05"}
    headers = {"Idempotency-Key": "report-in-1"}
    first = api.post("/v1/report-ins", user="qs-group", body=body, headers=headers)
    second = api.post("/v1/report-ins", user="qs-group", body=body, headers=headers)
    assert first.status == second.status == 201 and second.headers.get("idempotent-replayed") == "true"
    assert first.json == second.json


def test_claims_need_a_report_in_to_the_need_s_own_community(api: ApiClient) -> None:
    member = _member(api)
    need = _need(api)
    answer = _claim(api, need["id"], member)
    assert answer.status == 422 and _fields(answer) == ["body.member"] and "报到" in answer.json["error"]["message"]
    # a member of 石山村 who reported in there cannot take 鹊山村's need
    shishan_need = api.post(
        "/v1/units/430182-DCQ-SS/needs",
        user="city-admin",
        body={"title": "环境整治", "category": "environment", "slots": 1, "start": "2026-03-01", "end": "2026-06-30"},
    )
    assert shishan_need.status == 201, shishan_need.body
    assert _report_in(api, member).status == 201
    foreign = _claim(api, shishan_need.json["id"], member, user="city-admin")
    assert foreign.status == 422 and "村（社区）" in foreign.json["error"]["message"]


def test_a_full_need_is_409_and_a_withdrawal_frees_the_slot(api: ApiClient) -> None:
    need = _need(api, slots=1)
    first, second = _member(api, name="周文"), _member(api, name="李明")
    for m in (first, second):
        assert _report_in(api, m).status == 201
    assert _claim(api, need["id"], first).status == 201
    assert _claim(api, need["id"], first).status == 409  # twice the same member
    full = _claim(api, need["id"], second)
    assert full.status == 409 and "已满" in full.json["error"]["message"]
    withdrawn = api.post(f"/v1/needs/{need['id']}/claims/{first}/withdraw", user="qs-group")
    assert withdrawn.status == 200 and withdrawn.json["state"] == "withdrawn" and withdrawn.json["need_taken"] == 0
    assert api.post(f"/v1/needs/{need['id']}/claims/{first}/withdraw", user="qs-group").status == 409
    assert _claim(api, need["id"], second).status == 201
    assert api.get(f"/v1/needs/{need['id']}", user="qs-village").json["taken"] == 1
    # a closed need takes no more claims
    closed = api.post(f"/v1/needs/{need['id']}/close", user="qs-village", headers={"If-Match": '"1"'})
    assert closed.status == 200 and closed.json["state_label"] == "已关闭"
    again = _claim(api, need["id"], first)
    assert again.status == 409 and "关闭" in again.json["error"]["message"]
    # and a need whose period has ended takes none either
    body = {"title": "春季环境整治", "category": "environment", "slots": 5, "start": "2026-03-01", "end": "2026-04-30"}
    ended = api.post(f"/v1/units/{L01}/needs", user="qs-village", body=body).json
    late = _claim(api, ended["id"], first)
    assert late.status == 409 and "结束" in late.json["error"]["message"]


class RacingStore(CommunityStore):
    """Holds every claimer at the door until all have read the need as free: then all write at once."""

    def __init__(self, barrier: threading.Barrier) -> None:
        super().__init__(audit=default_service().store.audit)
        self.barrier = barrier

    def create_claim(self, need: NeedModel, member_id: str, period: str, actor: Actor) -> Any:
        self.barrier.wait(timeout=30)
        return super().create_claim(need, member_id, period, actor)


def test_concurrent_claims_never_overfill_a_need(api: ApiClient, atomic_dynamodb: None) -> None:
    need = _need(api, slots=3)
    members = [_member(api, name=f"党员{i}") for i in range(6)]
    for m in members:
        assert _report_in(api, m).status == 201
    barrier = threading.Barrier(len(members))
    service = default_service()
    service.store = RacingStore(barrier)
    group_head = next(a for a in DEMO_ACCOUNTS if a.username == "qs-group").principal()
    outcomes: list[str] = []

    def claim(i: int, member: str) -> None:
        actor = Actor(sub=group_head.sub, role=group_head.role, scope=group_head.scope, request_id=f"race-{i}")
        try:
            service.claim(group_head, actor, need["id"], member)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("409")

    threads = [threading.Thread(target=claim, args=(i, m)) for i, m in enumerate(members)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["409"] * 3 + ["ok"] * 3
    assert api.get(f"/v1/needs/{need['id']}", user="qs-village").json["taken"] == 3
    table = boto3.resource("dynamodb").Table("test-community-claims")
    claims = table.query(KeyConditionExpression="need_id = :n", ExpressionAttributeValues={":n": need["id"]})
    assert len(claims["Items"]) == 3


def test_a_stale_read_of_a_free_need_cannot_overfill_it(api: ApiClient) -> None:
    need = _need(api, slots=1)
    first, late = _member(api, name="周文"), _member(api, name="李明")
    for m in (first, late):
        assert _report_in(api, m).status == 201
    stale = CommunityStore(audit=default_service().store.audit).need(need["id"])
    assert stale is not None and int(stale.taken) == 0
    assert _claim(api, need["id"], first).status == 201  # fills the need after the stale read
    admin = next(a for a in DEMO_ACCOUNTS if a.username == "city-admin")
    actor = Actor(sub=admin.sub, role="city_admin", scope="430182", request_id="stale")
    with pytest.raises(Conflict):
        CommunityStore(audit=default_service().store.audit).create_claim(stale, late, "2026", actor)
    assert api.get(f"/v1/needs/{need['id']}", user="qs-village").json["taken"] == 1


def test_the_branch_sees_who_has_not_reported_in(api: ApiClient) -> None:
    reported = _member(api, name="周文")
    missing = _member(api, L02, name="李明", workplace="宁乡市第一高级中学")
    _member(api, name="胡明", workplace=None)  # not in service: never listed
    assert _report_in(api, reported).status == 201
    answer = api.get(f"/v1/units/{QS}/report-ins/missing?period=2026", user="qs-village")
    assert answer.status == 200, answer.body
    assert [(m["member"], m["workplace"]) for m in answer.json["items"]] == [(missing, "宁乡市第一高级中学")]
    done = api.get(f"/v1/units/{QS}/report-ins?period=2026", user="qs-village").json["items"]
    assert [r["member"] for r in done] == [reported]
    # the 邻长 of 第一邻 sees neither the 第二邻 member nor its report-in
    own = api.get(f"/v1/units/{L01}/report-ins/missing?period=2026", user="zhang-liangke").json["items"]
    assert own == []
    assert api.get(f"/v1/units/{L02}/report-ins/missing?period=2026", user="zhang-liangke").status == 404
    # another year: both are missing
    last_year = api.get(f"/v1/units/{QS}/report-ins/missing?period=2025", user="qs-village").json["items"]
    assert {m["member"] for m in last_year} == {reported, missing}
    # another village's cadre gets 404 for 鹊山村
    assert api.get(f"/v1/units/{QS}/report-ins/missing?period=2026", user="jiang-dan").status == 404
    bad = api.get(f"/v1/units/{QS}/report-ins?period=26", user="qs-village")
    assert bad.status == 422 and _fields(bad) == ["query.period"]


def test_service_records_are_checked_and_reviewed_once(api: ApiClient) -> None:
    member = _member(api)
    unreported = _log(api, member)
    assert unreported.status == 422 and _fields(unreported) == ["body.member"]
    assert _report_in(api, member).status == 201
    for hours in ("0.25", 0, 25, "1.3"):
        answer = _log(api, member, hours)
        assert answer.status == 422 and _fields(answer) == ["body.hours"], hours
    unclaimed = _log(api, member, 2, need=_need(api)["id"])
    assert unclaimed.status == 422 and _fields(unclaimed) == ["body.need"]
    record = _log(api, member, 2).json
    # the one who logged it cannot confirm it; a head outside the unit does not see it
    assert api.post(f"/v1/service-records/{record['id']}/confirm", user="qs-group").status == 403
    assert api.post(f"/v1/service-records/{record['id']}/confirm", user="jiang-dan").status == 404
    assert api.post(f"/v1/service-records/{record['id']}/confirm", user="auditor").status == 403
    disputed = api.post(
        f"/v1/service-records/{record['id']}/dispute", user="zhang-liangke", body={"reason": "当天未见到"}
    )
    assert disputed.status == 200 and disputed.json["state"] == "disputed"
    assert disputed.json["dispute_reason"] == "当天未见到" and disputed.json["source_event_id"] is None
    assert api.post(f"/v1/service-records/{record['id']}/confirm", user="qs-village").status == 409
    card = api.get(f"/v1/members/{member}/service-records?period=2026", user="qs-village").json
    assert card["confirmed_hours"] == 0 and card["items"][0]["state_label"] == "有异议"
    assert confirmed_service(member, "2026") == []
    no_reason = api.post(f"/v1/service-records/{record['id']}/dispute", user="qs-village", body={"reason": ""})
    assert no_reason.status == 422


def test_needs_are_published_in_scope_from_the_catalogue(api: ApiClient) -> None:
    group_need = _need(api, Z01, category="serve_as_neighbour_head")
    village_need = _need(api, QS, category="policy_outreach")
    # the 组长 publishes for its own group; not for the village above it
    own = api.post(
        f"/v1/units/{Z01}/needs",
        user="qs-group",
        body={"title": "文明劝导", "category": "civility", "slots": 2, "start": "2026-05-01", "end": "2026-05-31"},
    )
    assert own.status == 201, own.body
    body = {"title": "技能服务", "category": "skills_service", "slots": 1, "start": "2026-05-01", "end": "2026-05-31"}
    assert api.post(f"/v1/units/{QS}/needs", user="qs-group", body=body).status == 404
    assert api.post(f"/v1/units/{L01}/needs", user="zhang-liangke", body=body).status == 403
    unknown = api.post(f"/v1/units/{QS}/needs", user="qs-village", body=body | {"category": "karaoke"})
    assert unknown.status == 422 and _fields(unknown) == ["body.category"]
    town = api.post("/v1/units/430182-DCQ/needs", user="dcq-town", body=body)
    assert town.status == 422 and _fields(town) == ["path.code"]
    backwards = api.post(f"/v1/units/{QS}/needs", user="qs-village", body=body | {"end": "2026-04-01"})
    assert backwards.status == 422
    # lists: the village sees all three, the group its two, and a state filter works
    village = {n["id"] for n in api.get(f"/v1/units/{QS}/needs", user="qs-village").json["items"]}
    assert village == {group_need["id"], village_need["id"], own.json["id"]}
    group = {n["id"] for n in api.get(f"/v1/units/{Z01}/needs", user="qs-group").json["items"]}
    assert group == {group_need["id"], own.json["id"]}
    assert api.get(f"/v1/units/{QS}/needs?state=closed", user="qs-village").json["items"] == []
    assert api.get(f"/v1/needs/{village_need['id']}", user="qs-group").status == 404
    stale = api.post(f"/v1/needs/{group_need['id']}/close", user="qs-group", headers={"If-Match": '"7"'})
    assert stale.status == 409


def test_records_follow_a_moved_group(api: ApiClient) -> None:
    member = _member(api)
    assert _report_in(api, member).status == 201
    need = _need(api)
    assert _claim(api, need["id"], member).status == 201
    record = _log(api, member, 2, need["id"]).json
    moved = api.post(f"/v1/units/{Z01}/move", user="qs-village", body={"parent": f"{QS}-P02"})
    assert moved.status == 200, moved.body
    new_path = "430182/DCQ/QS/P02/Z01/L01"
    assert api.get(f"/v1/needs/{need['id']}", user="qs-village").json["unit_path"] == new_path
    p02 = f"{QS}-P02"
    assert [n["id"] for n in api.get(f"/v1/units/{p02}/needs", user="qs-village").json["items"]] == [need["id"]]
    done = api.get(f"/v1/units/{p02}/report-ins?period=2026", user="qs-village").json["items"]
    assert [r["unit_path"] for r in done] == [new_path]
    pending = api.get(f"/v1/units/{p02}/service-records?period=2026", user="qs-village").json["items"]
    assert [r["id"] for r in pending] == [record["id"]]
    # the 邻长 of the moved neighbourhood still confirms it
    assert api.post(f"/v1/service-records/{record['id']}/confirm", user="zhang-liangke").status == 200
