"""三比 contribution scoring: 鹊山村 members earn points for 义务救火 and 调解成功 through the approval chain
(党小组初评 -> 支部初定 -> 公示 -> 确认), objections, reversals, caps, tiers and rankings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core.clock import china_today
from chalicelib.scoring.rules import period_of
from tests.authz.common import id_number
from tests.support import Answer, ApiClient

L01 = "430182-DCQ-QS-P01-Z01-L01"
L02 = "430182-DCQ-QS-P01-Z01-L02"
QQH_LEAF = "430182-ZF-QQH-P01-Z01-L01"
VILLAGE = "430182-DCQ-QS"
TODAY = china_today()  # the service counts days in 宁乡 (UTC+8)
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
    items = answer.json["items"]
    return [(s["name"], s["points"] if dimension == "total" else s["dimensions"][dimension]) for s in items]


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


def test_an_objection_during_the_notice_sends_the_entry_back_to_the_branch(api: ApiClient) -> None:
    yang = _member(api, "杨志强")
    entry = _claim(api, yang, "mediation_success", quantity=2, evidence=[]).json
    assert entry["points"] == 10 and entry["explanation"] == "调解成功（第1版）：2件 × 5分 = 10分"
    _review(api, entry["id"], "group", "qs-area")
    on_notice = _review(api, entry["id"], "branch", "qs-village").json
    assert on_notice["status"] == "public_notice"
    assert _quarter(_card(api, yang))["pending"] == 10
    early = api.post(f"/v1/scoring/entries/{entry['id']}/finalise", user="qs-village")
    assert early.status == 409  # seven days of notice are not over
    # a resident tells the 邻长, who files the objection with its reason
    objection = api.post(
        f"/v1/scoring/entries/{entry['id']}/objections",
        user="zhang-liangke",
        body={"reason": "其中一件纠纷并未调解成功", "objector": "胡明"},
    )
    assert objection.status == 200, objection.body
    back = objection.json
    assert back["status"] == "group_reviewed" and back["notice_ends"] is None
    assert back["history"][-1]["status"] == "objected" and "并未调解成功" in back["history"][-1]["reason"]
    assert "胡明" not in objection.body.decode()  # who objected is not shown
    assert _quarter(_card(api, yang))["pending"] == 0
    assert api.get(f"/v1/units/{VILLAGE}/scoring/entries?status=public_notice", user="qs-village").json["items"] == []
    queue = api.get(f"/v1/units/{VILLAGE}/scoring/entries?status=group_reviewed", user="qs-village").json["items"]
    assert [e["id"] for e in queue] == [entry["id"]]
    # the branch looks again and rejects it, with a reason
    rejected = _review(api, entry["id"], "branch", "qs-village", "reject", reason="经核实，调解未成功")
    assert rejected.status == 200 and rejected.json["status"] == "rejected"
    assert _review(api, entry["id"], "branch", "qs-village").status == 409
    quarter = _quarter(_card(api, yang))
    assert (quarter["points"], quarter["pending"], quarter["score"]) == (0, 0, 60)


def test_objections_close_with_the_notice(api: ApiClient) -> None:
    _notice_days(api, 0)
    yang = _member(api, "杨志强")
    entry = _claim(api, yang, "mediation_success", quantity=1, evidence=[]).json
    _review(api, entry["id"], "group", "qs-area")
    _review(api, entry["id"], "branch", "qs-village")
    late = api.post(f"/v1/scoring/entries/{entry['id']}/objections", user="qs-group", body={"reason": "太晚了"})
    assert late.status == 409
    assert api.get(f"/v1/scoring/entries/{entry['id']}", user="qs-group").json["status"] == "public_notice"


def test_bad_claims_and_reviews_are_clear_errors_and_change_nothing(api: ApiClient) -> None:
    zhang = _member(api, "张良科")
    outsider = _member(api, "外村党员", unit=QQH_LEAF)

    def field(answer: Answer) -> str:
        assert answer.status == 422, answer.body
        return str(answer.json["error"]["fields"][0]["path"])

    assert field(_claim(api, zhang, evidence=[])) == "body.evidence"
    assert field(_claim(api, zhang, quantity=4)) == "body.quantity"  # 40 points over the 30-point cap
    assert field(_claim(api, zhang, "wall_removal", quantity=2)) == "body.quantity"  # a fixed item counts once
    assert field(_claim(api, outsider)) == "body.member"
    assert field(_claim(api, zhang, "no_such_item")) == "body.rule"
    assert field(_claim(api, zhang, occurred_on=(TODAY + timedelta(days=1)).isoformat())) == "body.occurred_on"
    assert field(_claim(api, zhang, evidence=["https://example.com/x.jpg"])) == "body.evidence.0"
    entry = _claim(api, zhang, user="qs-area").json
    own = _review(api, entry["id"], "group", "qs-area")
    assert own.status == 403  # approving one's own claim
    assert _review(api, entry["id"], "branch", "qs-village").status == 409  # not at this step yet
    assert field(_review(api, entry["id"], "group", "qs-group", "reject")) == "body.reason"
    assert _review(api, entry["id"], "group", "qs-group").status == 200
    assert _review(api, entry["id"], "group", "qs-village").status == 409  # a second approval of the same step
    assert _review(api, entry["id"], "group", "zhang-liangke").status == 403  # a 邻长 does not review
    card = _quarter(_card(api, zhang))
    assert (card["points"], card["pending"]) == (0, 0)
    history = api.get(f"/v1/scoring/entries/{entry['id']}", user="qs-village").json["history"]
    assert [h["status"] for h in history] == ["claimed", "group_reviewed"]


def test_caps_hold_exactly_across_claims_and_approvals(api: ApiClient) -> None:
    _notice_days(api, 0)
    zhang = _member(api, "张良科")
    _final(api, zhang, quantity=2)  # 20 of the 30-point cap
    over = _claim(api, zhang, quantity=2)
    assert over.status == 422 and "上限" in over.json["error"]["message"]
    # two claims of 10 both fit when claimed; only the first approved fits the cap
    first, second = _claim(api, zhang, quantity=1).json, _claim(api, zhang, quantity=1).json
    for entry in (first, second):
        assert _review(api, entry["id"], "group", "qs-area").status == 200
    assert _review(api, first["id"], "branch", "qs-village").status == 200
    refused = _review(api, second["id"], "branch", "qs-village")
    assert refused.status == 422 and refused.json["error"]["fields"][0]["path"] == "body.decision"
    assert api.post(f"/v1/scoring/entries/{first['id']}/finalise", user="qs-village").status == 200
    assert _quarter(_card(api, zhang))["points"] == 30
    # a reversal frees the cap again
    reversal = api.post(f"/v1/scoring/entries/{first['id']}/reversal", user="qs-village", body={"reason": "误报"})
    assert reversal.status == 201
    assert _review(api, second["id"], "branch", "qs-village").status == 200


def test_tiers_rankings_and_the_year_mean(api: ApiClient) -> None:
    _notice_days(api, 0)
    zhang, yang, hu, idle = (_member(api, n) for n in ("张良科", "杨志强", "胡明", "周建国"))
    _final(api, zhang)  # 30: 90 优秀
    _final(api, yang, quantity=2)  # 20: 80 良好
    _final(api, yang, "mediation_success", quantity=1, evidence=[])  # +5 responsibility: 85
    _final(api, hu, "missed_duty", quantity=1, evidence=[])  # -5: 55 不合格
    assert _board(api) == [("张良科", 30), ("杨志强", 25), ("胡明", -5)]
    assert _board(api, dimension="responsibility") == [("杨志强", 5), ("张良科", 0), ("胡明", -5)]
    page = api.get(f"/v1/units/{VILLAGE}/scoring/leaderboard?period={PERIOD}&limit=2", user="qs-village").json
    assert [s["rank"] for s in page["items"]] == [1, 2] and page["next_cursor"]
    rest = api.get(
        f"/v1/units/{VILLAGE}/scoring/leaderboard?period={PERIOD}&limit=2&cursor={page['next_cursor']}",
        user="qs-village",
    ).json
    assert [(s["rank"], s["name"]) for s in rest["items"]] == [(3, "胡明")]
    tiers = api.get(f"/v1/units/{VILLAGE}/scoring/tiers?period={PERIOD}", user="qs-village").json
    assert {t["tier"]: t["members"] for t in tiers["tiers"]} == {"excellent": 1, "good": 1, "pass": 1, "fail": 1}
    assert (tiers["members"], tiers["scored"], tiers["points"], tiers["final_entries"]) == (4, 3, 50, 4)
    assert [t["label"] for t in tiers["tiers"]] == ["优秀", "良好", "合格", "不合格"]
    card = _card(api, zhang)
    scores = [q["score"] for q in card["quarters"]]
    assert scores[-1] == 90 and all(s == 60 for s in scores[:-1])
    assert card["year_score"] == round(sum(scores) / len(scores), 1)
    assert _card(api, idle)["quarters"][-1]["tier"] == "pass"
    assert [e["explanation"] for e in _card(api, hu)["entries"]] == ["履职缺位（扣分）（第1版）：1次 × -5分 = -5分"]


def test_tier_bounds_are_data_the_city_edits(api: ApiClient) -> None:
    _notice_days(api, 0)
    zhang = _member(api, "张良科")
    _final(api, zhang)  # 30 points: 90, 优秀 under the shipped bounds
    assert _quarter(_card(api, zhang))["tier"] == "excellent"
    policy = api.get("/v1/scoring/policy", user="city-admin").json
    body = {k: policy[k] for k in ("base", "floor", "ceiling", "notice_days", "village_max_points", "village_max_cap")}
    stricter = [t | {"min_score": 95} if t["code"] == "excellent" else t for t in policy["tiers"]]
    # bounds that do not strictly decrease, or a last tier with a bound, are refused and change nothing
    unordered = [t | {"min_score": 70} if t["code"] == "excellent" else t for t in policy["tiers"]]
    closed = [*policy["tiers"][:-1], policy["tiers"][-1] | {"min_score": 0}]
    for tiers in (unordered, closed):
        refused = api.request("PUT", "/v1/scoring/policy", user="city-admin", body=body | {"tiers": tiers})
        assert refused.status == 422, refused.body
    assert api.request("PUT", "/v1/scoring/policy", user="qs-village", body=body | {"tiers": stricter}).status == 403
    assert _quarter(_card(api, zhang))["tier"] == "excellent"
    saved = api.request("PUT", "/v1/scoring/policy", user="city-admin", body=body | {"tiers": stricter})
    assert saved.status == 200, saved.body
    quarter = _quarter(_card(api, zhang))
    assert (quarter["score"], quarter["tier"]) == (90, "good")  # the same 90 points, read under the new bounds


def test_equal_points_keep_one_stable_order_across_reads_and_pages(api: ApiClient) -> None:
    _notice_days(api, 0)
    tied = [_member(api, n) for n in ("张良科", "杨志强", "胡明")]
    for member in tied:
        _final(api, member, quantity=1)  # 10 points each
    _final(api, _member(api, "周建国"), quantity=2)  # 20: first
    url = f"/v1/units/{VILLAGE}/scoring/leaderboard?period={PERIOD}"
    whole = [(s["rank"], s["member"], s["points"]) for s in api.get(url, user="qs-village").json["items"]]
    assert [p for _, _, p in whole] == [20, 10, 10, 10]
    assert [m for _, m, _ in whole[1:]] == sorted(tied, reverse=True)  # a tie is ordered by member id
    paged, cursor = [], ""
    while True:
        page = api.get(f"{url}&limit=1" + (f"&cursor={cursor}" if cursor else ""), user="qs-village").json
        paged += [(s["rank"], s["member"], s["points"]) for s in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert paged == whole  # pages of one never repeat nor skip a member of the tie
    assert [(s["rank"], s["member"], s["points"]) for s in api.get(url, user="qs-village").json["items"]] == whole


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_branch_exports_its_quarter_and_prints_the_notice(api: ApiClient) -> None:
    import io  # noqa: PLC0415

    from openpyxl import load_workbook  # noqa: PLC0415

    _notice_days(api, 0)
    zhang, idle = _member(api, "张良科"), _member(api, "=周建国")
    _final(api, zhang)
    _notice_days(api, 7)
    yang = _member(api, "杨志强")
    on_notice = _claim(api, yang, "mediation_success", quantity=1, evidence=[]).json
    _review(api, on_notice["id"], "group", "qs-area")
    _review(api, on_notice["id"], "branch", "qs-village")
    answer = api.get(f"/v1/units/{VILLAGE}/scoring/export?period={PERIOD}", user="qs-village", headers={"Accept": XLSX})
    assert answer.status == 200, answer.body
    assert "attachment" in answer.headers["content-disposition"]
    book = load_workbook(io.BytesIO(answer.body))
    assert book.sheetnames == ["积分汇总", "积分明细"]
    scores = [list(r) for r in book["积分汇总"].iter_rows(values_only=True)]
    assert scores[0][:3] == ["名次", "姓名", "所在单元"]
    assert scores[1][:2] == [1, "张良科"] and scores[1][6:] == [30, 90, "优秀"]
    names = [r[1] for r in scores[1:]]
    assert "'=周建国" in names and "杨志强" in names  # no formula smuggled in; members at the base listed
    entries = [list(r) for r in book["积分明细"].iter_rows(values_only=True)]
    assert len(entries) == 2 and entries[1][0] == "张良科" and entries[1][6] == 30
    assert "支部已初定" in str(entries[1][10])
    page = api.get(f"/v1/units/{VILLAGE}/scoring/notice", user="qs-village", headers={"Accept": "text/html"})
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    text = page.body.decode()
    assert "鹊山村党员积分公示" in text and "杨志强" in text and "调解成功" in text and "张良科" not in text
    assert idle
