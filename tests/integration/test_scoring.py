"""三比 contribution scoring: 鹊山村 members earn points for 义务救火 and 调解成功 through the approval chain
(党小组初评 -> 支部初定 -> 公示 -> 确认), objections, reversals, caps, tiers and rankings."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.scoring.rules import period_of
from tests.authz.common import id_number
from tests.support import Answer, ApiClient

L01 = "430182-DCQ-QS-P01-Z01-L01"
L02 = "430182-DCQ-QS-P01-Z01-L02"
QQH_LEAF = "430182-ZF-QQH-P01-Z01-L01"
VILLAGE = "430182-DCQ-QS"
TODAY = date.today()
PERIOD = period_of(TODAY)
PHOTO = "evidence/430182/202611/fire.jpg"


def _member(api: ApiClient, name: str, unit: str = L01) -> str:
    household = api.post(
        "/v1/households",
        user="city-admin",
        body={"unit": unit, "address": f"{name}家", "head_name": name, "residents": 3},
    )
    assert household.status == 201, household.body
    body = {
        "name": name, "gender": "male", "id_number": id_number(), "phone": "13800000000", "branch": "鹊山村党支部",
        "status": "full", "join_date": "2010-07-01", "household": household.json["id"],
    }  # fmt: skip
    member = api.post("/v1/members", user="city-admin", body=body)
    assert member.status == 201, member.body
    return str(member.json["id"])


def _claim(api: ApiClient, member: str, rule: str = "fire_fighting", user: str = "qs-group", **kw: Any) -> Answer:
    body = {"member": member, "rule": rule, "quantity": 3, "occurred_on": TODAY.isoformat(), "evidence": [PHOTO]}
    return api.post("/v1/scoring/entries", user=user, body=body | kw)


def _review(api: ApiClient, entry: str, step: str, user: str, decision: str = "approve", **kw: Any) -> Answer:
    return api.post(f"/v1/scoring/entries/{entry}/{step}-review", user=user, body={"decision": decision} | kw)


def _notice_days(api: ApiClient, days: int) -> None:
    policy = api.get("/v1/scoring/policy", user="city-admin").json
    body = {k: policy[k] for k in ("base", "floor", "ceiling", "tiers", "village_max_points", "village_max_cap")}
    answer = api.request("PUT", "/v1/scoring/policy", user="city-admin", body=body | {"notice_days": days})
    assert answer.status == 200, answer.body


def _final(api: ApiClient, member: str, rule: str = "fire_fighting", **kw: Any) -> dict[str, Any]:
    """Claim by the 组长, first review by the 片长, branch decision by the village, then finalise."""
    entry = _claim(api, member, rule, **kw)
    assert entry.status == 201, entry.body
    entry_id = entry.json["id"]
    assert _review(api, entry_id, "group", "qs-area").status == 200
    assert _review(api, entry_id, "branch", "qs-village").status == 200
    final = api.post(f"/v1/scoring/entries/{entry_id}/finalise", user="qs-village")
    assert final.status == 200, final.body
    result: dict[str, Any] = final.json
    return result


def _card(api: ApiClient, member: str, user: str = "qs-village") -> dict[str, Any]:
    answer = api.get(f"/v1/members/{member}/scorecard?year={TODAY.year}", user=user)
    assert answer.status == 200, answer.body
    result: dict[str, Any] = answer.json
    return result


def _quarter(card: dict[str, Any]) -> dict[str, Any]:
    return next(q for q in card["quarters"] if q["period"] == PERIOD)


def _board(api: ApiClient, unit: str = VILLAGE, dimension: str = "total") -> list[tuple[str, int]]:
    answer = api.get(f"/v1/units/{unit}/scoring/leaderboard?period={PERIOD}&dimension={dimension}", user="city-admin")
    assert answer.status == 200, answer.body
    return [(s["name"], s["points"]) for s in answer.json["items"]]


def _tiers(api: ApiClient, unit: str = VILLAGE) -> dict[str, int]:
    answer = api.get(f"/v1/units/{unit}/scoring/tiers?period={PERIOD}", user="qs-village")
    assert answer.status == 200, answer.body
    return {t["tier"]: t["members"] for t in answer.json["tiers"]}


def test_zhang_liangke_earns_30_points_for_fire_fighting_through_the_whole_chain(api: ApiClient) -> None:
    _notice_days(api, 0)
    zhang = _member(api, "张良科")
    # GIVEN the 组长 claims three fire-fighting turns with a photo
    claim = _claim(api, zhang)
    assert claim.status == 201, claim.body
    entry = claim.json
    assert (entry["points"], entry["status"], entry["rule_version"]) == (30, "claimed", 1)
    assert entry["explanation"] == "义务救火（第1版）：3次 × 10分 = 30分"
    # WHEN the party group and the branch approve, the notice runs and ends
    assert _review(api, entry["id"], "group", "qs-area").json["status"] == "group_reviewed"
    on_notice = _review(api, entry["id"], "branch", "qs-village").json
    assert on_notice["status"] == "public_notice" and on_notice["notice_ends"]
    notice = api.get(f"/v1/units/{L01}/scoring/entries?status=public_notice", user="zhang-liangke")
    assert [e["id"] for e in notice.json["items"]] == [entry["id"]]
    assert _quarter(_card(api, zhang))["pending"] == 30
    final = api.post(f"/v1/scoring/entries/{entry['id']}/finalise", user="qs-village")
    assert final.status == 200 and final.json["status"] == "final"
    # THEN his card, the village ranking and the tiers show him
    quarter = _quarter(_card(api, zhang, user="zhang-liangke"))
    assert (quarter["points"], quarter["pending"], quarter["score"], quarter["tier"]) == (30, 0, 90, "excellent")
    assert quarter["dimensions"] == {"dedication": 30, "responsibility": 0, "achievement": 0}
    steps = [s["status"] for s in final.json["history"]]
    assert steps == ["claimed", "group_reviewed", "branch_approved", "public_notice", "final"]
    for unit in (L01, "430182-DCQ-QS-P01-Z01", VILLAGE, "430182-DCQ", "430182"):
        assert _board(api, unit) == [("张良科", 30)]
    assert _board(api, "430182-DCQ-SS") == []
    assert _tiers(api)["excellent"] == 1
    # AND reversing the entry puts every total back
    reversal = api.post(f"/v1/scoring/entries/{entry['id']}/reversal", user="qs-village", body={"reason": "重复申报"})
    assert reversal.status == 201, reversal.body
    assert (reversal.json["points"], reversal.json["reverses"], reversal.json["status"]) == (-30, entry["id"], "final")
    quarter = _quarter(_card(api, zhang))
    assert (quarter["points"], quarter["score"], quarter["tier"]) == (0, 60, "pass")
    assert _board(api) == [("张良科", 0)]
    assert _tiers(api)["excellent"] == 0 and _tiers(api)["pass"] == 1
    original = api.get(f"/v1/scoring/entries/{entry['id']}", user="qs-village").json
    assert original["status"] == "final" and original["points"] == 30  # never edited
    assert original["reversed_by"] == reversal.json["id"]
    again = api.post(f"/v1/scoring/entries/{entry['id']}/reversal", user="qs-village", body={"reason": "再次"})
    assert again.status == 409
    assert _quarter(_card(api, zhang))["points"] == 0
