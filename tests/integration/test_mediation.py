"""People's mediation (人民调解): a dispute registered at 组 level, escalated, mediated, settled by an agreement,
followed up and closed; the figures of the three-level filter; sealed details; time limits; case numbers."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import boto3

from chalicelib.core import jobs
from chalicelib.scoring.service import default_service as scoring_service
from tests.support import Answer, ApiClient

TOWN = "430182-DCQ"
VILLAGE = "430182-DCQ-QS"
GROUP = "430182-DCQ-QS-P01-Z01"
L01 = "430182-DCQ-QS-P01-Z01-L01"
OTHER_LEAF = "430182-ZF-QQH-P01-Z01-L01"
APPLICANT_ID = "430182195803150014"  # a man born 1958 (check digit valid, see test_a_party_id_is_masked)


def ok(answer: Answer, status: int = 200) -> dict[str, Any]:
    assert answer.status == status, answer.body
    result: dict[str, Any] = answer.json
    return result


def committee(api: ApiClient, unit: str = TOWN, user: str = "dcq-town", prefix: str = "宁大人调") -> str:
    body = {"unit": unit, "name": "大成桥镇人民调解委员会", "kind": "committee", "number_prefix": prefix}
    return str(ok(api.post("/v1/mediation-teams", user=user, body=body), 201)["id"])


def household(api: ApiClient, head: str, address: str, unit: str = L01) -> str:
    body = {"unit": unit, "address": address, "head_name": head, "residents": 3, "phone": "13807310001"}
    return str(ok(api.post("/v1/households", user="city-admin", body=body), 201)["id"])


def elders(api: ApiClient) -> tuple[str, str, str]:
    """鹊山村银龄裁判团 with 银冬生, a party member: (team id, mediator id, member id)."""
    team = ok(
        api.post(
            "/v1/mediation-teams",
            user="qs-village",
            body={"unit": VILLAGE, "name": "鹊山村银龄裁判团", "kind": "elders_panel"},
        ),
        201,
    )
    home = household(api, "银冬生", "鹊山村第一组9号")
    member_body = {
        "name": "银冬生", "gender": "male", "id_number": "430182194602110011", "phone": "13807319999",
        "branch": "鹊山村党支部", "status": "full", "join_date": "1975-07-01", "household": home,
    }  # fmt: skip
    member = ok(api.post("/v1/members", user="qs-village", body=member_body), 201)["id"]
    mediator = {"name": "银冬生", "phone": "13807319999", "member": member, "title": "退休教师"}
    team = ok(api.post(f"/v1/mediation-teams/{team['id']}/mediators", user="qs-village", body=mediator), 201)
    assert team["mediators"][0]["phone"] == "138****9999" and team["kind_label"] == "银龄裁判团"
    return str(team["id"]), str(team["mediators"][0]["id"]), str(member)


def case_body(committee_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "committee": committee_id,
        "unit": L01,
        "level": "group",
        "source": "application",
        "category": "housing_homestead",
        "causes": ["gossip", "homestead_boundary"],
        "risk": "yellow",
        "summary": "两户因宅基地边界争执四十一年，起因是邻里间说闲话",
        "parties": [
            {"kind": "person", "side": "applicant", "name": "胡明", "id_number": APPLICANT_ID,
             "phone": "13807310001", "address": "鹊山村第一组1号"},
            {"kind": "person", "side": "respondent", "name": "周建国", "phone": "13807310004"},
        ],
        "registered_on": "2026-03-02",
    } | overrides  # fmt: skip


def register(api: ApiClient, committee_id: str, user: str = "qs-group", **overrides: Any) -> dict[str, Any]:
    return ok(api.post("/v1/mediation-cases", user=user, body=case_body(committee_id, **overrides)), 201)


def act(
    api: ApiClient, case: str, action: str, body: dict[str, Any], *, user: str = "qs-village", status: int = 200
) -> Any:
    return ok(api.post(f"/v1/mediation-cases/{case}/{action}", user=user, body=body), status)


SESSION = {
    "place": "鹊山村村部调解室",
    "attendees": ["胡明", "周建国", "银冬生"],
    "statements": [{"party": 0, "text": "胡明称界桩被移动了半米"}, {"party": 1, "text": "周建国称界桩从未动过"}],
    "result": "双方同意以1985年丈量图为准重新确界",
    "outcome": "adjourned",
}
AGREEMENT: dict[str, Any] = {
    "form": "written",
    "signed_on": "2026-03-20",
    "facts": "两户宅基地边界以1985年丈量图为准",
    "duties": [{"party": 0, "duty": "胡明拆除越界的柴棚"}, {"party": 1, "duty": "周建国承担新界桩费用"}],
    "performance": {"how": "拆除柴棚并埋设界桩", "place": "两户交界处", "due": "2026-04-10"},
    "signatures": "in_person",
    "signature_note": "双方当面签字并捺印",
    "seal_note": "加盖鹊山村人民调解委员会印章",
}


def stats(api: ApiClient, unit: str, user: str = "qs-village", start: str = "2026-03", end: str = "2026-03") -> Any:
    return ok(api.get(f"/v1/units/{unit}/mediation-stats?from={start}&to={end}", user=user))


def test_the_elders_settle_a_homestead_dispute_started_by_gossip(api: ApiClient) -> None:
    """GIVEN the town's committee and 鹊山村's 银龄裁判团 with 银冬生 (a party member) in it."""
    committee_id = committee(api)
    team, mediator, member = elders(api)
    hu = household(api, "胡明", "鹊山村第一组1号")
    body = case_body(committee_id, mediators=[{"team": team, "mediator": mediator}])
    body["parties"][0]["household"] = hu
    # WHEN the 组长 registers the dispute at group level
    case = ok(api.post("/v1/mediation-cases", user="qs-group", body=body), 201)
    cid = case["id"]
    assert case["number"] == "(2026)宁大人调字第1号"
    assert case["status"] == "registered" and case["due_on"] == "2026-04-01" and case["handling_unit"] == GROUP
    assert case["parties"][0] == {
        "index": 0, "kind": "person", "side": "applicant", "name": "胡*", "id_number": "430182********0014",
        "phone": "138****0001", "household": hu,
    }  # fmt: skip
    assert case["mediators"][0]["member"] == member and case["details"] == "sealed"
    assert "说闲话" not in json.dumps(case, ensure_ascii=False) and "胡明" not in json.dumps(case, ensure_ascii=False)
    # the group tells the parties their rights, investigates, holds one session, cannot settle it
    act(api, cid, "status", {"to": "rights_notified", "date": "2026-03-03"}, user="qs-group")
    act(api, cid, "status", {"to": "investigating", "date": "2026-03-04"}, user="qs-group")
    act(api, cid, "sessions", SESSION | {"date": "2026-03-05"}, user="qs-group", status=201)
    escalated = act(api, cid, "escalate", {"date": "2026-03-06", "reason": "组内两次调解未果"}, user="qs-group")
    assert escalated["status"] == "escalated" and escalated["level"] == "village"
    assert escalated["handling_unit"] == VILLAGE and escalated["start_level"] == "group"
    # the group still sees the case but no longer changes it
    assert api.get(f"/v1/mediation-cases/{cid}", user="qs-group").status == 200
    refused = api.post(
        f"/v1/mediation-cases/{cid}/status", user="qs-group", body={"to": "investigating", "date": "2026-03-07"}
    )
    assert refused.status == 403
    # THEN the village mediates in two sessions and settles it with a written agreement
    act(api, cid, "status", {"to": "investigating", "date": "2026-03-07"})
    act(api, cid, "sessions", SESSION | {"date": "2026-03-10"}, status=201)
    mediating = act(api, cid, "sessions", SESSION | {"date": "2026-03-18", "outcome": "agreed"}, status=201)
    assert [s["no"] for s in mediating["sessions"]] == [1, 2, 3] and mediating["sessions"][2]["attendees"] == 3
    settled = act(api, cid, "agreement", AGREEMENT, status=201)
    assert settled["status"] == "agreement_reached" and settled["agreements"][0]["frozen"] is True
    assert settled["judicial_confirmation"]["window_ends"] == "2026-04-19"
    act(api, cid, "status", {"to": "performing", "date": "2026-03-21"})
    visit = {"date": "2026-04-12", "performed": "full", "satisfaction": 5, "recurrence": False, "note": "界桩已埋"}
    act(api, cid, "follow-ups", visit, status=201)
    closed = act(api, cid, "close", {"date": "2026-04-15"})
    assert closed["status"] == "closed" and closed["outcome"] == "resolved" and closed["allowed_next"] == []
    assert closed["score_events"] == [
        {"member": member, "mediator": mediator, "source_event_id": f"mediation_closed:{cid}"}
    ]
    assert jobs.drain() == 1  # the closing credits the party-member mediator in the 三比 ledger, once
    credit = scoring_service().store.source_entry(f"mediation_closed:{cid}#{member}")
    assert credit is not None and credit.rule_code == "mediation_success" and credit.member_id == member
    kinds = [h["kind"] for h in closed["history"]]
    assert kinds == ["register", "transition", "transition", "session", "escalate", "transition", "session",
                     "agreement", "transition", "follow_up", "close"]  # fmt: skip
    # the village's figures: registered in March, closed in April at village level
    march = stats(api, VILLAGE)
    assert march["registered"] == 1 and march["by_cause"] == {"gossip": 1, "homestead_boundary": 1}
    assert march["by_source"] == {"application": 1} and march["started_at_level"]["group"] == 1
    april = stats(api, VILLAGE, start="2026-04", end="2026-04")
    assert april["closed"] == 1 and april["resolved"] == 1 and april["resolution_rate"] == 1.0
    assert april["closed_at_level"] == {"group": 0, "village": 1, "town": 0}
    assert april["closed_where_started"] == 0 and april["median_days_to_close"] == 44.0
    assert april["by_category"]["housing_homestead"] == {"registered": 0, "closed": 1, "resolved": 1}
    both = stats(api, TOWN, user="dcq-town", start="2026-01", end="2026-12")
    assert both["registered"] == 1 and both["closed"] == 1
    assert stats(api, "430182-DCQ-SS", user="dcq-town")["registered"] == 0
    # an out-of-scope cadre cannot tell the case exists
    for user in ("jiang-dan", "zf-town"):
        assert api.get(f"/v1/mediation-cases/{cid}", user=user).error_code == "not_found"
    listed = ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases", user="qs-village"))["items"]
    assert [i["id"] for i in listed] == [cid] and set(listed[0]) >= {"category", "status", "number"}
    assert "parties" not in listed[0]
    assert ok(api.get("/v1/units/430182-DCQ-SS/mediation-cases", user="jiang-dan"))["items"] == []


def test_details_are_sealed_and_read_only_with_a_purpose(api: ApiClient) -> None:
    cid = register(api, committee(api))["id"]
    act(api, cid, "status", {"to": "rights_notified", "date": "2026-03-03"}, user="qs-group")
    act(api, cid, "status", {"to": "investigating", "date": "2026-03-04"}, user="qs-group")
    act(api, cid, "sessions", SESSION | {"date": "2026-03-05"}, user="qs-group", status=201)
    stored = boto3.client("dynamodb").get_item(TableName="test-mediation-cases", Key={"id": {"S": cid}})["Item"]
    raw = json.dumps(stored, ensure_ascii=False)
    for secret in ("胡明", "界桩", "宅基地边界争执", APPLICANT_ID, "13807310001"):
        assert secret not in raw
    details = ok(api.post(f"/v1/mediation-cases/{cid}/reveal", user="qs-village", body={"purpose": "mediation"}))
    assert details["summary"].startswith("两户因宅基地") and details["parties"][0]["name"] == "胡明"
    assert details["sessions"][0]["statements"][0] == {"party": 0, "text": "胡明称界桩被移动了半米"}
    audit = ok(api.get(f"/v1/audit?entity_type=mediation_case&entity_id={cid}", user="auditor"))["items"]
    assert audit[-1]["action"] == "mediation_case.reveal:mediation"
    assert api.post(f"/v1/mediation-cases/{cid}/reveal", user="jiang-dan", body={"purpose": "review"}).status == 404
    # search by the exact name of a party, only in scope
    found = ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases?party=胡明", user="qs-village"))["items"]
    assert [i["id"] for i in found] == [cid]
    assert ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases?party=胡", user="qs-village"))["items"] == []
    assert ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases?party={APPLICANT_ID}", user="qs-village"))["items"]


def test_transitions_outside_the_lifecycle_are_refused_naming_both_states(api: ApiClient) -> None:
    cid = register(api, committee(api))["id"]
    refused = api.post(f"/v1/mediation-cases/{cid}/close", user="qs-group", body={"date": "2026-03-05"})
    assert refused.status == 409
    message = refused.json["error"]["message"] + refused.json["error"]["message_en"]
    assert "registered" in message and "closed" in message and "rights_notified" in message
    early = api.post(
        f"/v1/mediation-cases/{cid}/status", user="qs-group", body={"to": "investigating", "date": "2026-03-05"}
    )
    assert early.status == 409  # rights must be notified first
    session = api.post(f"/v1/mediation-cases/{cid}/sessions", user="qs-group", body=SESSION | {"date": "2026-03-05"})
    assert session.status == 409
    future = api.post(
        f"/v1/mediation-cases/{cid}/status", user="qs-group", body={"to": "rights_notified", "date": "2099-01-01"}
    )
    assert future.status == 422 and future.json["error"]["fields"][0]["path"] == "body.date"
    # a stale If-Match is a conflict, the current one passes
    stale = api.post(
        f"/v1/mediation-cases/{cid}/status", user="qs-group", body={"to": "rights_notified", "date": "2026-03-03"},
        headers={"If-Match": '"7"'},
    )  # fmt: skip
    assert stale.status == 409
    fresh = api.post(
        f"/v1/mediation-cases/{cid}/status", user="qs-group", body={"to": "rights_notified", "date": "2026-03-03"},
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    assert fresh.status == 200 and fresh.json["version"] == 2


def _to_agreement(api: ApiClient, cid: str) -> None:
    act(api, cid, "status", {"to": "rights_notified", "date": "2026-03-03"})
    act(api, cid, "status", {"to": "investigating", "date": "2026-03-04"})
    act(api, cid, "sessions", SESSION | {"date": "2026-03-05", "outcome": "agreed"}, status=201)
    act(api, cid, "agreement", AGREEMENT, status=201)


def test_a_signed_agreement_is_frozen_and_judicial_confirmation_has_thirty_days(api: ApiClient) -> None:
    cid = register(api, committee(api), user="qs-village", level="village")["id"]
    _to_agreement(api, cid)
    again = api.post(f"/v1/mediation-cases/{cid}/agreement", user="qs-village", body=AGREEMENT)
    assert again.status == 409
    correction = AGREEMENT | {
        "supersedes": 1,
        "reason": "履行期限笔误",
        "performance": AGREEMENT["performance"] | {"due": "2026-04-20"},
    }
    corrected = act(api, cid, "agreement", correction, status=201)
    assert [(a["version"], a["supersedes"], a["superseded_by"]) for a in corrected["agreements"]] == [
        (1, None, 2), (2, 1, None)
    ]  # fmt: skip
    late = api.post(
        f"/v1/mediation-cases/{cid}/judicial-confirmation", user="qs-village",
        body={"applied_on": "2026-04-20", "court": "宁乡市人民法院"},
    )  # fmt: skip
    assert late.status == 422 and late.json["error"]["fields"][0]["path"] == "body.applied_on"
    applied = act(api, cid, "judicial-confirmation", {"applied_on": "2026-04-10", "court": "宁乡市人民法院"})
    assert applied["judicial_confirmation"] == {
        "applied_on": "2026-04-10", "court": "宁乡市人民法院", "window_ends": "2026-04-19"
    }  # fmt: skip
    twice = api.post(
        f"/v1/mediation-cases/{cid}/judicial-confirmation", user="qs-village",
        body={"applied_on": "2026-04-11", "court": "宁乡市人民法院"},
    )  # fmt: skip
    assert twice.status == 409
    details = ok(api.post(f"/v1/mediation-cases/{cid}/reveal", user="qs-village", body={"purpose": "review"}))
    assert [a["reason"] for a in details["agreements"]] == [None, "履行期限笔误"]


def test_overdue_cases_are_flagged_to_the_unit_above_until_both_sides_extend(api: ApiClient) -> None:
    cid = register(api, committee(api), registered_on="2026-01-05")["id"]
    case = ok(api.get(f"/v1/mediation-cases/{cid}", user="qs-area"))
    assert case["due_on"] == "2026-02-04" and case["overdue"] is True
    assert case["flagged_to"] == "430182-DCQ-QS-P01"  # the 片 above the handling 组
    overdue = ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases?overdue=true", user="qs-village"))["items"]
    assert [i["id"] for i in overdue] == [cid]
    assert stats(api, VILLAGE)["open_overdue"] == 1
    one_side = {"consents": [{"party": 0, "consented_on": "2026-02-01", "how": "signed"}] * 2, "new_due": "2026-12-31"}
    refused = api.post(f"/v1/mediation-cases/{cid}/extend", user="qs-group", body=one_side)
    assert refused.status == 422 and refused.json["error"]["fields"][0]["path"] == "body.consents"
    consents = [
        {"party": 0, "consented_on": "2026-02-01", "how": "signed"},
        {"party": 1, "consented_on": "2026-02-02", "how": "oral_recorded"},
    ]
    earlier = api.post(
        f"/v1/mediation-cases/{cid}/extend", user="qs-group", body={"consents": consents, "new_due": "2026-01-31"}
    )
    assert earlier.status == 422
    extended = act(api, cid, "extend", {"consents": consents, "new_due": "2026-12-31"}, user="qs-group")
    assert extended["overdue"] is False and extended["due_on"] == "2026-12-31"
    assert extended["extensions"][0]["previous_due"] == "2026-02-04"
    assert ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases?overdue=true", user="qs-village"))["items"] == []
    on_time = ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases?overdue=false", user="qs-village"))["items"]
    assert [i["id"] for i in on_time] == [cid]


def test_a_case_goes_up_group_village_town_and_the_town_closes_it(api: ApiClient) -> None:
    cid = register(api, committee(api))["id"]
    act(api, cid, "escalate", {"date": "2026-03-03", "reason": "组内无法调处"}, user="qs-group")
    at_town = act(api, cid, "escalate", {"date": "2026-03-04", "reason": "涉及多村"}, user="qs-village")
    assert at_town["level"] == "town" and at_town["handling_unit"] == TOWN and at_town["flagged_to"] == "430182"
    top = api.post(
        f"/v1/mediation-cases/{cid}/escalate", user="dcq-town", body={"date": "2026-03-05", "reason": "再上交"}
    )
    assert top.status == 409
    assert api.post(f"/v1/mediation-cases/{cid}/status", user="qs-village",
                    body={"to": "rights_notified", "date": "2026-03-05"}).status == 403  # fmt: skip
    for step in ({"to": "rights_notified", "date": "2026-03-05"}, {"to": "investigating", "date": "2026-03-06"}):
        act(api, cid, "status", step, user="dcq-town")
    act(api, cid, "sessions", SESSION | {"date": "2026-03-07", "outcome": "not_agreed"}, user="dcq-town", status=201)
    failed = act(api, cid, "fail", {"date": "2026-03-08", "route": "court"}, user="dcq-town")
    assert failed["status"] == "failed" and failed["failed_route"] == "court"
    closed = act(api, cid, "close", {"date": "2026-03-09"}, user="dcq-town")
    assert closed["outcome"] == "failed" and closed["score_events"] == []
    figures = stats(api, VILLAGE)
    assert figures["closed"] == 1 and figures["resolved"] == 0 and figures["resolution_rate"] == 0.0
    assert figures["closed_at_level"]["town"] == 1 and figures["closed_at_level_share"]["town"] == 1.0
    assert figures["failed"] == 1 and figures["median_days_to_close"] == 7.0


def test_the_parties_withdraw_a_case(api: ApiClient) -> None:
    cid = register(api, committee(api), causes=["gossip"])["id"]
    withdrawn = act(
        api, cid, "withdraw", {"date": "2026-03-04", "parties": [0], "note": "双方自行和解"}, user="qs-group"
    )
    assert (
        withdrawn["status"] == "withdrawn" and withdrawn["outcome"] == "withdrawn" and withdrawn["allowed_next"] == []
    )
    figures = stats(api, VILLAGE)
    assert figures["withdrawn"] == 1 and figures["closed"] == 0 and figures["resolution_rate"] is None
    assert figures["by_cause"] == {"gossip": 1}
    again = api.post(
        f"/v1/mediation-cases/{cid}/withdraw", user="qs-group", body={"date": "2026-03-05", "parties": [1]}
    )
    assert again.status == 409
    assert ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases?status=withdrawn", user="qs-village"))["items"]
    assert ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases?status=closed", user="qs-village"))["items"] == []
    assert ok(api.get(f"/v1/units/{VILLAGE}/mediation-cases?overdue=false", user="qs-village"))["items"]  # ended


def test_registration_checks_scope_catalogues_and_committee(api: ApiClient) -> None:
    committee_id = committee(api)
    foreign = api.post("/v1/mediation-cases", user="qs-group", body=case_body(committee_id, unit=OTHER_LEAF))
    assert foreign.status == 422 and foreign.json["error"]["fields"][0]["path"] == "body.unit"
    above = api.post("/v1/mediation-cases", user="qs-group", body=case_body(committee_id, level="village"))
    assert above.status == 422 and above.json["error"]["fields"][0]["path"] == "body.level"
    unknown = api.post(
        "/v1/mediation-cases", user="qs-group", body=case_body(committee_id, causes=["gossip", "weather"])
    )
    assert unknown.status == 422 and unknown.json["error"]["fields"][0]["path"] == "body.causes.1"
    zf = committee(api, unit="430182-ZF", user="zf-town", prefix="宁资人调")
    wrong = api.post("/v1/mediation-cases", user="qs-group", body=case_body(zf))
    assert wrong.status == 422 and wrong.json["error"]["fields"][0]["path"] == "body.committee"
    one_side = case_body(committee_id)
    one_side["parties"][1]["side"] = "applicant"
    assert api.post("/v1/mediation-cases", user="qs-group", body=one_side).status == 422
    bad_id = case_body(committee_id)
    bad_id["parties"][0]["id_number"] = "430182195803150018"
    assert api.post("/v1/mediation-cases", user="qs-group", body=bad_id).status == 422
    org = case_body(committee_id)
    org["parties"][1] = {"kind": "organisation", "side": "respondent", "name": "长沙沩楚新材料公司",
                         "id_number": "91430124MA4L1234X5"}  # fmt: skip
    created = ok(api.post("/v1/mediation-cases", user="qs-group", body=org), 201)
    assert created["parties"][1]["name"] == "长沙沩楚新材料公司"
    assert created["parties"][1]["id_number"] == "914301********34X5"
    foreign_household = case_body(committee_id)
    foreign_household["parties"][0]["household"] = household(api, "胡明", "清泉河村1号", unit=OTHER_LEAF)
    refused = api.post("/v1/mediation-cases", user="qs-group", body=foreign_household)
    assert refused.status == 422 and refused.json["error"]["fields"][0]["path"] == "body.parties.0.household"
    assert api.post("/v1/mediation-cases", user="zhang-liangke", body=case_body(committee_id)).status == 403
    assert api.post("/v1/mediation-cases", user="water-bureau", body=case_body(committee_id)).status == 403


def test_numbers_run_per_committee_and_year(api: ApiClient) -> None:
    town, village = committee(api), committee(api, unit=VILLAGE, user="qs-village", prefix="宁大鹊调")
    numbers = [register(api, town)["number"] for _ in range(2)]
    numbers.append(register(api, town, registered_on="2025-12-30")["number"])
    numbers.append(register(api, village)["number"])
    assert numbers == [
        "(2026)宁大人调字第1号",
        "(2026)宁大人调字第2号",
        "(2025)宁大人调字第1号",
        "(2026)宁大鹊调字第1号",
    ]


def test_concurrent_registrations_get_numbers_without_gaps_or_duplicates(api: ApiClient, atomic_dynamodb: None) -> None:
    from chalicelib.core.audit import Actor  # noqa: PLC0415
    from chalicelib.localstack.seed import DEMO_ACCOUNTS  # noqa: PLC0415
    from chalicelib.mediation.schemas import CaseIn  # noqa: PLC0415
    from chalicelib.mediation.service import default_service  # noqa: PLC0415

    committee_id = committee(api)
    account = next(a for a in DEMO_ACCOUNTS if a.username == "qs-group")
    principal, data = account.principal(), CaseIn.model_validate(case_body(committee_id))
    numbers: list[str] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        service = default_service()
        for k in range(3):
            try:
                actor = Actor(sub=principal.sub, role=principal.role, scope=principal.scope, request_id=f"r{n}-{k}")
                numbers.append(service.register(principal, actor, data).number)
            except BaseException as e:
                errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == sorted(f"(2026)宁大人调字第{i}号" for i in range(1, 13))
    counter = boto3.client("dynamodb").get_item(
        TableName="test-mediation-counters", Key={"key": {"S": f"{committee_id}#2026"}}
    )["Item"]
    assert counter["value"] == {"N": "12"}
    assert stats(api, VILLAGE)["registered"] == 12


def test_category_and_causes_can_be_corrected_and_the_figures_follow(api: ApiClient) -> None:
    cid = register(api, committee(api))["id"]
    updated = ok(
        api.patch(
            f"/v1/mediation-cases/{cid}", user="qs-group", headers={"If-Match": "1"},
            body={"category": "neighbour", "causes": ["gossip", "livestock"], "risk": "red"},
        )
    )  # fmt: skip
    assert updated["category"] == "neighbour" and updated["risk"] == "red" and updated["version"] == 2
    figures = stats(api, VILLAGE)
    assert figures["by_cause"] == {"gossip": 1, "livestock": 1}
    assert figures["by_category"] == {"neighbour": {"registered": 1, "closed": 0, "resolved": 0}}
    cleared = api.patch(f"/v1/mediation-cases/{cid}", user="qs-group", body={"risk": None})
    assert cleared.status == 422


def test_teams_are_seen_from_below_and_changed_only_from_their_unit(api: ApiClient) -> None:
    team, _, _ = elders(api)
    assert ok(api.get(f"/v1/mediation-teams/{team}", user="qs-group"))["name"] == "鹊山村银龄裁判团"
    add = api.post(f"/v1/mediation-teams/{team}/mediators", user="qs-group", body={"name": "李四"})
    assert add.status == 403
    assert api.get(f"/v1/mediation-teams/{team}", user="jiang-dan").status == 404
    listed = ok(api.get(f"/v1/units/{TOWN}/mediation-teams", user="dcq-town"))["items"]
    assert [t["id"] for t in listed] == [team]
    panel = {"unit": VILLAGE, "name": "新时代文明裁判团", "kind": "civility_panel", "number_prefix": "宁大文调"}
    assert api.post("/v1/mediation-teams", user="qs-village", body=panel).status == 422


def test_the_register_exports_masked_and_the_agreement_prints_on_a4_with_an_audit(api: ApiClient) -> None:
    from openpyxl import load_workbook  # noqa: PLC0415

    cid = register(api, committee(api), user="qs-village", level="village")["id"]
    _to_agreement(api, cid)
    xlsx = api.get(
        f"/v1/units/{VILLAGE}/mediation-register?year=2026", user="qs-village",
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )  # fmt: skip
    assert xlsx.status == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.body)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "案号" and rows[1][0] == "(2026)宁大人调字第1号"
    assert rows[1][3] == "房屋宅基地" and rows[1][4] == "说闲话、宅基地边界" and rows[1][8] == "胡*、周**"
    assert "胡明" not in json.dumps(rows, ensure_ascii=False, default=str)
    page = api.get(f"/v1/mediation-cases/{cid}/agreement/document?purpose=judicial_confirmation",
                   user="qs-village", headers={"Accept": "text/html"})  # fmt: skip
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    text = page.body.decode()
    assert "人民调解协议书" in text and "(2026)宁大人调字第1号" in text and "size: A4" in text
    assert "胡明拆除越界的柴棚" in text and "430182********0014" in text and APPLICANT_ID not in text
    audit = ok(api.get(f"/v1/audit?entity_type=mediation_case&entity_id={cid}", user="auditor"))["items"]
    assert audit[-1]["action"] == "mediation_case.print_agreement:judicial_confirmation"
    no_purpose = api.get(
        f"/v1/mediation-cases/{cid}/agreement/document", user="qs-village", headers={"Accept": "text/html"}
    )
    assert no_purpose.status == 422
