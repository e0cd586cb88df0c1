"""Showings (三亮): 鹊山村's members get plaques and stickers, pledge for the year (approved by the branch,
then published to the unit), claim duty posts and cover 1-9 households of their group."""

from __future__ import annotations

import threading
from typing import Any

import boto3

from chalicelib.core.clock import china_today
from chalicelib.showings.store import covering_of
from tests.authz.common import id_number
from tests.support import Answer, ApiClient

L01 = "430182-DCQ-QS-P01-Z01-L01"
L02 = "430182-DCQ-QS-P01-Z01-L02"
Z02_LEAF_PARENT = "430182-DCQ-QS-P01-Z02"
QQH_L01 = "430182-ZF-QQH-P01-Z01-L01"
YEAR = china_today().year
PLEDGE = "带头清理屋场环境，每月走访联系户一次，帮助独居老人解决实际困难。"


def _household(api: ApiClient, unit: str = L01, head: str = "胡明", user: str = "city-admin") -> str:
    body = {"unit": unit, "address": f"鹊山村{head}家", "head_name": head, "residents": 3}
    answer = api.post("/v1/households", user=user, body=body)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def _member(api: ApiClient, household: str, name: str = "张良科", status: str = "full") -> str:
    body = {
        "name": name, "gender": "male", "id_number": id_number(), "phone": "13907310001", "branch": "鹊山村党支部",
        "status": status, "join_date": "2010-07-01", "household": household,
    }  # fmt: skip
    answer = api.post("/v1/members", user="qs-group", body=body)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def _fields(answer: Answer) -> list[str]:
    return [f["path"] for f in answer.json["error"]["fields"]]


def _audit_actions(api: ApiClient, entity_type: str, entity_id: str) -> list[str]:
    answer = api.get(f"/v1/audit?entity_type={entity_type}&entity_id={entity_id}", user="auditor")
    assert answer.status == 200, answer.body
    return [e["action"] for e in answer.json["items"]]


# -- 亮身份 -----------------------------------------------------------------------------------------------
def test_a_plaque_only_for_a_household_with_a_full_member(api: ApiClient) -> None:
    empty, probation, full = _household(api, head="李桂香"), _household(api, head="周建国"), _household(api)
    _member(api, probation, name="周建国", status="probationary")
    member = _member(api, full)
    refused = api.post(f"/v1/households/{empty}/plaque", user="qs-group", body={})
    assert refused.status == 422 and _fields(refused) == ["path.id"] and "正式党员" in refused.json["error"]["message"]
    assert api.post(f"/v1/households/{probation}/plaque", user="qs-group", body={}).status == 422
    issued = api.post(f"/v1/households/{full}/plaque", user="qs-group", body={"note": "门楣右侧"})
    assert issued.status == 201, issued.body
    plaque = issued.json
    assert plaque["number"] == "宁乡党员户-000001" and plaque["member"] == member and plaque["unit"] == L01
    again = api.post(f"/v1/households/{full}/plaque", user="qs-village", body={})
    assert again.status == 409 and "宁乡党员户-000001" in again.json["error"]["message"]
    # the probationary member becomes full: the household qualifies and gets the next number
    for m in api.get(f"/v1/units/{L01}/members?status=probationary", user="qs-group").json["items"]:
        full_now = {"change": "full", "date": "2025-07-01"}
        assert api.post(f"/v1/members/{m['id']}/status", user="qs-group", body=full_now).status == 200
    second = api.post(f"/v1/households/{probation}/plaque", user="qs-group", body={})
    assert second.status == 201 and second.json["number"] == "宁乡党员户-000002"
    # a 邻长 checks on the ground: the list of the 邻, and one household's plaque
    listed = api.get(f"/v1/units/{L01}/plaques", user="zhang-liangke")
    assert listed.status == 200 and {p["number"] for p in listed.json["items"]} == {
        "宁乡党员户-000001",
        "宁乡党员户-000002",
    }
    assert api.get(f"/v1/households/{full}/plaque", user="zhang-liangke").json["number"] == "宁乡党员户-000001"
    assert api.get(f"/v1/households/{empty}/plaque", user="zhang-liangke").status == 404
    assert api.get("/v1/units/430182-ZF/plaques", user="zf-town").json["items"] == []
    # revoking frees the household, never the number
    revoked = api.post(f"/v1/households/{full}/plaque/revoke", user="qs-village", body={"reason": "全家迁出"})
    assert revoked.status == 200 and revoked.json["number"] == "宁乡党员户-000001"
    assert api.get(f"/v1/households/{full}/plaque", user="qs-group").status == 404
    reissued = api.post(f"/v1/households/{full}/plaque", user="qs-group", body={})
    assert reissued.json["number"] == "宁乡党员户-000003"
    assert _audit_actions(api, "plaque", full) == ["plaque.issue", "plaque.revoke", "plaque.issue"]
    assert api.post(f"/v1/households/{full}/plaque", user="zhang-liangke", body={}).status == 403


def test_concurrent_plaques_get_distinct_numbers_without_gaps(api: ApiClient, atomic_dynamodb: None) -> None:
    households = [_household(api, head=f"户主{i}") for i in range(6)]
    for i, household in enumerate(households):
        _member(api, household, name=f"党员{i}")
    answers: list[Answer] = []
    lock = threading.Lock()

    def issue(household: str) -> None:
        answer = api.post(f"/v1/households/{household}/plaque", user="qs-group", body={})
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=issue, args=(h,)) for h in households]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status for a in answers] == [201] * 6, [a.body for a in answers]
    numbers = sorted(a.json["number"] for a in answers)
    assert numbers == [f"宁乡党员户-{n:06d}" for n in range(1, 7)]
    counter = boto3.client("dynamodb").get_item(
        TableName="test-showing-keys", Key={"key": {"S": "counter#plaque#430182"}}
    )["Item"]
    assert counter["value"]["N"] == "6"


def test_vehicle_stickers_are_unique_per_member_and_plate(api: ApiClient) -> None:
    member = _member(api, _household(api))
    other = _member(api, _household(api, L02, head="陈志强"), name="陈志强")
    url = f"/v1/members/{member}/sticker"
    bad = api.post(url, user="qs-group", body={"plate": "ABC"})
    assert bad.status == 422 and _fields(bad) == ["body.plate"]
    first = api.post(url, user="qs-group", body={"plate": "湘A·12345"})
    assert first.status == 201, first.body
    assert first.json["number"] == "宁乡党员车-000001" and first.json["plate"] == "湘A12345"
    assert api.post(url, user="qs-group", body={"plate": "湘A54321"}).status == 409
    same_plate = api.post(f"/v1/members/{other}/sticker", user="qs-group", body={"plate": "湘a 12345"})
    assert same_plate.status == 409 and _fields(same_plate) == ["body.plate"]
    assert api.post(f"/v1/members/{other}/sticker", user="qs-group", body={"plate": "湘AD12345"}).status == 201
    listed = api.get("/v1/units/430182-DCQ-QS-P01-Z01/stickers", user="qs-group").json["items"]
    assert sorted(s["number"] for s in listed) == ["宁乡党员车-000001", "宁乡党员车-000002"]
    assert [s["member_name"] for s in api.get(f"/v1/units/{L02}/stickers", user="qs-group").json["items"]] == ["陈志强"]
    revoked = api.post(f"{url}/revoke", user="qs-group", body={"reason": "车辆转让"})
    assert revoked.status == 200
    # the plate is free again; the number is not reused
    again = api.post(f"/v1/members/{member}/sticker", user="qs-group", body={"plate": "湘A12345"})
    assert again.status == 201 and again.json["number"] == "宁乡党员车-000003"
    assert _audit_actions(api, "sticker", member) == ["sticker.issue", "sticker.revoke", "sticker.issue"]


# -- 亮立场 -----------------------------------------------------------------------------------------------
def test_pledges_are_approved_by_the_branch_then_published(api: ApiClient) -> None:
    zhang = _member(api, _household(api, head="张良科"))
    hu = _member(api, _household(api, L02), name="胡明")
    url = f"/v1/members/{zhang}/pledges"
    short = api.post(url, user="qs-group", body={"year": YEAR, "text": "我承诺"})
    assert short.status == 422 and _fields(short) == ["body.text"]
    long = api.post(url, user="qs-group", body={"year": YEAR, "text": "我" * 301})
    assert long.status == 422 and _fields(long) == ["body.text"]
    far = api.post(url, user="qs-group", body={"year": YEAR + 3, "text": PLEDGE})
    assert far.status == 422 and _fields(far) == ["body.year"]
    key = {"Idempotency-Key": "pledge-zhang-0001"}
    submitted = api.post(url, user="qs-group", body={"year": YEAR, "text": PLEDGE}, headers=key)
    assert submitted.status == 201 and submitted.json["status"] == "submitted"
    replay = api.post(url, user="qs-group", body={"year": YEAR, "text": PLEDGE}, headers=key)
    assert replay.status == 201 and replay.headers.get("idempotent-replayed") == "true"
    twice = api.post(url, user="qs-group", body={"year": YEAR, "text": PLEDGE + "再交一份"})
    assert twice.status == 409 and _fields(twice) == ["body.year"]
    # not yet published
    listed = api.get(f"/v1/units/430182-DCQ-QS/pledges?year={YEAR}", user="qs-village")
    assert listed.status == 200 and listed.json["items"] == []
    # a 组长 submits, the branch (village cadre) approves
    assert api.post(f"{url}/{YEAR}/approve", user="qs-group").status == 403
    approved = api.post(f"{url}/{YEAR}/approve", user="qs-village")
    assert approved.status == 200 and approved.json["status"] == "approved"
    assert approved.json["decided_by_role"] == "village_cadre"
    assert api.post(f"{url}/{YEAR}/approve", user="qs-village").status == 409
    # 胡明's pledge is sent back with a reason, then resubmitted and approved
    hu_url = f"/v1/members/{hu}/pledges"
    assert api.post(hu_url, user="qs-group", body={"year": YEAR, "text": "好好干，争当先进，服务群众。"}).status == 201
    no_reason = api.post(f"{hu_url}/{YEAR}/reject", user="qs-village", body={})
    assert no_reason.status == 422
    rejected = api.post(f"{hu_url}/{YEAR}/reject", user="qs-village", body={"reason": "请写明具体做哪些事"})
    assert rejected.status == 200 and rejected.json["status"] == "rejected"
    assert rejected.json["reject_reason"] == "请写明具体做哪些事"
    resubmitted = api.post(
        hu_url, user="qs-group", body={"year": YEAR, "text": "每周巡查第二邻河塘一次，调解邻里纠纷。"}
    )
    assert resubmitted.status == 201 and resubmitted.json["rejections"] == 1
    assert resubmitted.json["reject_reason"] is None
    assert api.post(f"{hu_url}/{YEAR}/approve", user="dcq-town").status == 200
    # published to the unit: the village sees both, 第一邻 only its own, the other town nothing
    village = api.get(f"/v1/units/430182-DCQ-QS/pledges?year={YEAR}", user="zhang-liangke")
    assert village.status == 404  # the 邻长 sees only his 邻
    village = api.get(f"/v1/units/430182-DCQ-QS/pledges?year={YEAR}", user="qs-village").json["items"]
    assert {(p["member_name"], p["text"]) for p in village} == {
        ("张良科", PLEDGE),
        ("胡明", "每周巡查第二邻河塘一次，调解邻里纠纷。"),
    }
    first = api.get(f"/v1/units/{L01}/pledges?year={YEAR}", user="zhang-liangke").json["items"]
    assert [p["member"] for p in first] == [zhang]
    assert api.get(f"/v1/units/{L01}/pledges?year={YEAR - 1}", user="zhang-liangke").json["items"] == []
    assert api.get(f"/v1/units/{L01}/pledges", user="zhang-liangke").status == 422  # the year is required
    assert _audit_actions(api, "pledge", f"{hu}/{YEAR}") == [
        "pledge.submit",
        "pledge.reject",
        "pledge.submit",
        "pledge.approve",
    ]
    assert api.get(f"/v1/members/{hu}/showings", user="zhang-liangke").status == 404  # 胡明 lives in 第二邻
    summary = api.get(f"/v1/members/{hu}/showings", user="qs-group")
    assert summary.status == 200 and summary.json["pledges"][0]["status"] == "approved"


# -- 亮作风 -----------------------------------------------------------------------------------------------
def test_duty_posts_come_from_the_catalogue(api: ApiClient) -> None:
    catalogue = api.get("/v1/catalogues/duty_post", user="qs-village").json["items"]
    assert {"政策宣传岗", "矛盾调解岗", "环境卫生岗", "治安巡逻岗", "帮扶岗"} <= {e["name_zh"] for e in catalogue}
    member = _member(api, _household(api))
    url = f"/v1/members/{member}/posts"
    unknown = api.request("PUT", url, user="qs-group", body={"posts": ["policy_promotion", "flying"]})
    assert unknown.status == 422 and _fields(unknown) == ["body.posts"] and "flying" in unknown.json["error"]["message"]
    claimed = api.request("PUT", url, user="qs-group", body={"posts": ["dispute_mediation", "security_patrol"]})
    assert claimed.status == 200, claimed.body
    assert [p["name"] for p in claimed.json["posts"]] == ["矛盾调解岗", "治安巡逻岗"]
    version = claimed.json["version"]
    stale = api.request("PUT", url, user="qs-group", body={"posts": []}, headers={"If-Match": str(version - 1)})
    assert stale.status == 409
    fresh = api.request("PUT", url, user="qs-group", body={"posts": ["assistance"]}, headers={"If-Match": str(version)})
    assert fresh.status == 200 and [p["code"] for p in fresh.json["posts"]] == ["assistance"]
    assert api.request("PUT", url, user="zhang-liangke", body={"posts": []}).status == 403
    assert _audit_actions(api, "member_showings", member) == ["posts.set", "posts.set"]
    # the group's members, filtered by the post they hold
    other = _member(api, _household(api, head="杨志强"), name="杨志强")
    api.request("PUT", f"/v1/members/{other}/posts", user="qs-group", body={"posts": ["security_patrol"]})
    helpers = api.get("/v1/units/430182-DCQ-QS-P01-Z01/members?post=assistance", user="qs-group").json["items"]
    assert [m["id"] for m in helpers] == [member]
    patrol = api.get("/v1/units/430182-DCQ-QS-P01-Z01/members?post=security_patrol", user="qs-group").json["items"]
    assert [m["name"] for m in patrol] == ["杨志强"]


def test_a_member_covers_one_to_nine_households_of_the_group(api: ApiClient) -> None:
    zhang = _member(api, _household(api, head="张良科"))
    url = f"/v1/members/{zhang}/coverage"
    neighbours = [_household(api, L01 if i < 5 else L02, head=f"联户{i}") for i in range(9)]
    for household in neighbours:
        answer = api.post(url, user="qs-group", body={"household": household})
        assert answer.status == 201, answer.body
    assert len(answer.json["households"]) == 9
    tenth = api.post(url, user="qs-group", body={"household": _household(api, L02, head="第十户")})
    assert tenth.status == 422 and _fields(tenth) == ["body.household"] and "9" in tenth.json["error"]["message"]
    assert api.post(url, user="qs-group", body={"household": neighbours[0]}).status == 409
    # another group's household (第二组) and a foreign one are field errors
    z02 = api.post("/v1/units", user="city-admin", body={"parent": Z02_LEAF_PARENT, "segment": "L01", "name": "第一邻"})
    assert z02.status == 201, z02.body
    hu = _member(api, _household(api, head="胡明"), name="胡明")
    other_group = api.post(
        f"/v1/members/{hu}/coverage", user="qs-group", body={"household": _household(api, z02.json["code"])}
    )
    assert other_group.status == 422 and _fields(other_group) == ["body.household"]
    foreign = api.post(f"/v1/members/{hu}/coverage", user="qs-group", body={"household": _household(api, QQH_L01)})
    assert foreign.status == 422 and _fields(foreign) == ["body.household"]
    # a household may be covered by several members; removing one frees a place
    shared = neighbours[0]
    assert api.post(f"/v1/members/{hu}/coverage", user="qs-group", body={"household": shared}).status == 201
    assert api.request("DELETE", f"{url}/{neighbours[8]}", user="qs-group").status == 204
    assert api.request("DELETE", f"{url}/{neighbours[8]}", user="qs-group").status == 404
    assert api.post(url, user="qs-group", body={"household": _household(api, L02, head="新联户")}).status == 201
    covering = api.get(f"/v1/households/{shared}/covering", user="zhang-liangke")
    assert covering.status == 200 and {m["name"] for m in covering.json["members"]} == {"张良科", "胡明"}
    assert api.get(f"/v1/households/{neighbours[8]}/covering", user="qs-group").json["members"] == []
    assert _audit_actions(api, "member_showings", zhang)[-3:] == ["coverage.add", "coverage.remove", "coverage.add"]


def test_the_household_sees_its_covering_members_posts_and_published_pledge(api: ApiClient) -> None:
    elder = _household(api, head="李桂香")
    zhang = _member(api, _household(api, head="张良科"))
    api.request("PUT", f"/v1/members/{zhang}/posts", user="qs-group", body={"posts": ["assistance"]})
    assert api.post(f"/v1/members/{zhang}/coverage", user="qs-group", body={"household": elder}).status == 201
    api.post(f"/v1/members/{zhang}/pledges", user="qs-group", body={"year": YEAR, "text": PLEDGE})
    cards: list[dict[str, Any]] = [m.model_dump() for m in covering_of(elder)]
    assert cards[0]["pledge"] is None  # submitted, not yet published
    assert cards[0]["phone"] == "139****0001"
    api.post(f"/v1/members/{zhang}/pledges/{YEAR}/approve", user="qs-village")
    [card] = covering_of(elder)
    assert (card.member, card.name, card.pledge, card.pledge_year) == (zhang, "张良科", PLEDGE, YEAR)
    assert [p.name for p in card.posts] == ["帮扶岗"]
    assert covering_of("no-such-household") == []
    # a member who leaves no longer covers anyone
    api.post(f"/v1/members/{zhang}/status", user="qs-group", body={"change": "left", "date": "2026-01-01"})
    assert covering_of(elder) == []
    assert api.post(f"/v1/members/{zhang}/coverage", user="qs-group", body={"household": elder}).status == 409


def test_showings_are_scoped_and_follow_a_unit_move(api: ApiClient) -> None:
    household = _household(api)
    member = _member(api, household)
    api.post(f"/v1/households/{household}/plaque", user="qs-group", body={})
    api.post(f"/v1/members/{member}/sticker", user="qs-group", body={"plate": "湘A12345"})
    api.post(f"/v1/members/{member}/pledges", user="qs-group", body={"year": YEAR, "text": PLEDGE})
    api.post(f"/v1/members/{member}/pledges/{YEAR}/approve", user="qs-village")
    for url in (f"/v1/members/{member}/showings", f"/v1/households/{household}/plaque"):
        assert api.get(url, user="zf-town").status == 404 and api.get(url, user="jiang-dan").status == 404
    assert (
        api.post(f"/v1/members/{member}/pledges/{YEAR}/reject", user="jiang-dan", body={"reason": "越权"}).status == 404
    )
    moved = api.post("/v1/units/430182-DCQ-QS-P01-Z01/move", user="qs-village", body={"parent": "430182-DCQ-QS-P02"})
    assert moved.status == 200, moved.body
    new_group = "430182-DCQ-QS-P01-Z01"  # codes never change; the path does
    for kind in ("plaques", "stickers"):
        items = api.get(f"/v1/units/430182-DCQ-QS-P02/{kind}", user="qs-village").json["items"]
        assert [i["unit_path"] for i in items] == ["430182/DCQ/QS/P02/Z01/L01"], kind
        assert api.get(f"/v1/units/430182-DCQ-QS-P01/{kind}", user="qs-village").json["items"] == []
    pledges = api.get(f"/v1/units/430182-DCQ-QS-P02/pledges?year={YEAR}", user="qs-village").json["items"]
    assert [p["member"] for p in pledges] == [member]
    assert api.get(f"/v1/units/{new_group}/pledges?year={YEAR}", user="qs-village").json["items"][0]["unit_path"] == (
        "430182/DCQ/QS/P02/Z01/L01"
    )
