"""鹊山村第一组 is re-drawn into 石山村 (its group moves below 石山村第二片区): every slice's records follow it.

After the move the cadre of 石山村 (jiang-dan) finds each record, in her lists and by id; the cadre of
鹊山村 (qs-village) no longer does; nothing is lost (the same records, the same counts, the same points).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.deliberation import orchestration
from chalicelib.deliberation.store import ResponsibilityItemModel, WorkflowRunModel
from chalicelib.grid.repath import PATH_TABLES, Move, _Run
from chalicelib.grid.store import HouseholdModel
from chalicelib.showings.store import PledgeModel
from chalicelib.whistle.store import AssignmentModel
from tests.integration import test_community as community
from tests.integration import test_deliberation as deliberation
from tests.integration import test_mediation as mediation
from tests.integration import test_scoring as scoring
from tests.integration import test_showings as showings
from tests.integration import test_whistle as whistle
from tests.support import Answer, ApiClient

QS = "430182-DCQ-QS"
SS = "430182-DCQ-SS"
Z01 = "430182-DCQ-QS-P01-Z01"
L01 = "430182-DCQ-QS-P01-Z01-L01"
Z01_PATH = "430182/DCQ/QS/P01/Z01"
NEW_GROUP = "430182/DCQ/SS/P02/Z01"
NEW_LEAF = f"{NEW_GROUP}/L01"


def ok(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, answer.body
    return answer.json


def move_group(api: ApiClient) -> None:
    """The town cadre of 大成桥镇 (who sees both villages) moves the group."""
    moved = ok(api.post(f"/v1/units/{Z01}/move", user="dcq-town", body={"parent": f"{SS}-P02"}))
    assert moved["path"] == NEW_GROUP


def ids(api: ApiClient, url: str, user: str, key: str = "id") -> list[str]:
    return [str(i[key]) for i in ok(api.get(url, user=user))["items"]]


def seen_by(api: ApiClient, url: str) -> tuple[int, int]:
    """(status for the new village's cadre, status for the old one)."""
    return api.get(url, user="jiang-dan").status, api.get(url, user="qs-village").status


def repath_events(api: ApiClient, entity_type: str, entity_id: str) -> list[str]:
    events = ok(api.get(f"/v1/audit?entity_type={entity_type}&entity_id={entity_id}", user="auditor"))["items"]
    return [e["action"] for e in events if e["action"].endswith(".repath")]


def test_households_members_cards_and_showings_follow_the_group(api: ApiClient) -> None:
    household = showings._household(api)
    member = showings._member(api, household)
    ok(api.post(f"/v1/households/{household}/plaque", user="qs-group", body={}), 201)
    ok(api.post(f"/v1/members/{member}/sticker", user="qs-group", body={"plate": "湘A12345"}), 201)
    year = showings.YEAR
    ok(api.post(f"/v1/members/{member}/pledges", user="qs-group", body={"year": year, "text": showings.PLEDGE}), 201)
    ok(api.post(f"/v1/members/{member}/pledges/{year}/approve", user="qs-village"))
    other = showings._member(api, household, name="李桂香")
    ok(api.post(f"/v1/members/{other}/pledges", user="qs-group", body={"year": year, "text": showings.PLEDGE}), 201)
    version = ok(api.get(f"/v1/households/{household}", user="qs-group"))["version"]
    assert seen_by(api, f"/v1/households/{household}") == (404, 200)

    move_group(api)

    for url in (f"/v1/households/{household}", f"/v1/members/{member}", f"/v1/households/{household}/contact-card"):
        assert seen_by(api, url) == (200, 404), url
    got = ok(api.get(f"/v1/households/{household}", user="jiang-dan"))
    assert got["unit_path"] == NEW_LEAF and got["version"] == version  # a cadre's If-Match stays valid
    assert ok(api.get(f"/v1/members/{member}", user="jiang-dan"))["unit_path"] == NEW_LEAF
    assert member in ids(api, f"/v1/units/{SS}/members", "jiang-dan")
    assert ids(api, f"/v1/units/{QS}/members", "qs-village") == []
    for kind in ("plaques", "stickers"):
        assert [i["unit_path"] for i in ok(api.get(f"/v1/units/{SS}/{kind}", user="jiang-dan"))["items"]] == [NEW_LEAF]
        assert ok(api.get(f"/v1/units/{QS}/{kind}", user="qs-village"))["items"] == []
    assert ids(api, f"/v1/units/{SS}/pledges?year={year}", "jiang-dan", "member") == [member]
    assert ids(api, f"/v1/units/{QS}/pledges?year={year}", "qs-village", "member") == []
    assert PledgeModel.get(other, year).unit_path == NEW_LEAF  # submitted, not published: it follows too
    ok(api.post(f"/v1/members/{other}/pledges/{year}/approve", user="jiang-dan"))
    assert sorted(ids(api, f"/v1/units/{SS}/pledges?year={year}", "jiang-dan", "member")) == sorted([member, other])
    assert repath_events(api, "household", household) == ["household.repath"]
    assert repath_events(api, "member", member) == ["member.repath"]
    counts = ok(api.get(f"/v1/units/{SS}", user="jiang-dan"))["counts"]
    assert counts["households"] == 1 and counts["members"] == 2
    assert ok(api.get(f"/v1/units/{QS}", user="qs-village"))["counts"]["households"] == 0


def test_community_records_follow_the_group(api: ApiClient) -> None:
    member = community._member(api)
    ok(community._report_in(api, member), 201)
    need = community._need(api)
    ok(community._claim(api, need["id"], member), 201)
    record = ok(community._log(api, member, 2, need["id"]), 201)

    move_group(api)

    assert seen_by(api, f"/v1/needs/{need['id']}") == (200, 404)
    assert ids(api, f"/v1/units/{SS}/needs", "jiang-dan") == [need["id"]]
    assert ids(api, f"/v1/units/{QS}/needs", "qs-village") == []
    reports = ok(api.get(f"/v1/units/{SS}/report-ins?period=2026", user="jiang-dan"))["items"]
    assert [(r["unit_path"], r["community"]) for r in reports] == [(NEW_LEAF, SS)]  # he now reports to 石山村
    assert ok(api.get(f"/v1/units/{QS}/report-ins?period=2026", user="qs-village"))["items"] == []
    assert ids(api, f"/v1/units/{SS}/service-records?period=2026", "jiang-dan") == [record["id"]]
    assert ids(api, f"/v1/units/{QS}/service-records?period=2026", "qs-village") == []
    # the 邻长 of the moved neighbourhood still confirms it (her account's scope followed too)
    assert ok(api.post(f"/v1/service-records/{record['id']}/confirm", user="zhang-liangke"))["state"] == "confirmed"
    # and he can claim a need of 石山村 with the report-in he made to 鹊山村 before the move
    body = {"title": "帮邻长走访", "category": "help_neighbour_head", "slots": 1, "start": "2026-03-01",
            "end": "2030-12-31"}  # fmt: skip
    other = ok(api.post(f"/v1/units/{SS}-P02/needs", user="jiang-dan", body=body), 201)
    ok(community._claim(api, other["id"], member, user="jiang-dan"), 201)


def test_mediation_cases_and_teams_follow_the_group(api: ApiClient) -> None:
    committee = mediation.committee(api)  # the town's committee: the move stays within 大成桥镇
    case = mediation.register(api, committee)
    team = ok(api.post("/v1/mediation-teams", user="qs-group",
                       body={"unit": Z01, "name": "第一组银龄裁判团", "kind": "elders_panel"}), 201)  # fmt: skip

    move_group(api)

    assert seen_by(api, f"/v1/mediation-cases/{case['id']}") == (200, 404)
    got = ok(api.get(f"/v1/mediation-cases/{case['id']}", user="jiang-dan"))
    assert got["number"] == case["number"] and got["status"] == case["status"]
    assert ids(api, f"/v1/units/{SS}/mediation-cases", "jiang-dan") == [case["id"]]
    assert ids(api, f"/v1/units/{QS}/mediation-cases", "qs-village") == []
    assert ids(api, f"/v1/units/{SS}/mediation-teams", "jiang-dan") == [team["id"]]
    assert ids(api, f"/v1/units/{QS}/mediation-teams", "qs-village") == []
    assert repath_events(api, "mediation_case", case["id"]) == ["mediation_case.repath"]


@pytest.fixture
def flows(api: ApiClient) -> Iterator[ApiClient]:
    orchestration.reset()
    yield api
    orchestration.reset()


def test_concerns_deliberations_and_responsibility_items_follow_the_group(flows: ApiClient) -> None:
    api = flows
    concern = deliberation.concern(api, "村道破损，雨天积水", "roads")
    started = deliberation.start(api, [concern])
    delib = started["id"]
    assert started["village"] == QS
    item = ResponsibilityItemModel(
        "item-road", deliberation_id=delib, concern_id=concern, task="修复村道", grade="village",
        lead_unit_code=Z01, lead_unit_path="430182/DCQ/QS/P01/Z01", responsible_units=[Z01], root="430182",
        path_key="430182/DCQ/QS/P01/Z01/#item-road", deadline="2026-12-31", status="registered",
        created_at="2026-11-01T00:00:00+00:00",
    )  # fmt: skip
    item.save()

    move_group(api)

    for url in (f"/v1/concerns/{concern}", f"/v1/deliberations/{delib}", "/v1/responsibility-items/item-road"):
        assert seen_by(api, url) == (200, 404), url
    moved = ok(api.get(f"/v1/deliberations/{delib}", user="jiang-dan"))
    # the 民情分析会 not held yet goes to the new village; the town is the same
    assert (moved["unit_path"], moved["village"], moved["town"]) == (NEW_GROUP, SS, "430182-DCQ")
    assert moved["version"] == started["version"]
    assert ids(api, f"/v1/units/{SS}/concerns", "jiang-dan") == [concern]
    assert ids(api, f"/v1/units/{QS}/concerns", "qs-village") == []
    assert ids(api, f"/v1/units/{SS}/deliberations", "jiang-dan") == [delib]
    assert ids(api, f"/v1/units/{QS}/deliberations", "qs-village") == []
    assert ids(api, f"/v1/units/{SS}/responsibility-items", "jiang-dan") == ["item-road"]
    assert ids(api, f"/v1/units/{QS}/responsibility-items", "qs-village") == []
    assert WorkflowRunModel.get(delib).path_key == f"{NEW_GROUP}/#{delib}"  # the run follows its record


def test_whistle_tickets_follow_the_group(api: ApiClient) -> None:
    ticket = ok(api.post(f"{whistle.BASE}/tickets", user="qs-area", body=whistle.burst_main()), 201)
    tid = ticket["id"]

    move_group(api)

    assert seen_by(api, f"{whistle.BASE}/tickets/{tid}") == (200, 404)
    got = ok(api.get(f"{whistle.BASE}/tickets/{tid}", user="jiang-dan"))
    assert (got["status"], got["lead"]) == (ticket["status"], ticket["lead"])
    assert tid in ids(api, f"{whistle.BASE}/tickets", "jiang-dan")
    assert tid not in ids(api, f"{whistle.BASE}/tickets", "qs-village")
    assert ids(api, f"{whistle.BASE}/tickets", "water-bureau") == [tid]  # the departments keep it
    assert AssignmentModel.get("water", tid).unit_path == NEW_LEAF
    assert repath_events(api, "whistle_ticket", tid) == ["whistle_ticket.repath"]


def test_scoring_entries_standings_and_figures_follow_the_group(api: ApiClient) -> None:
    scoring._notice_days(api, 0)
    zhang = scoring._member(api, "张良科")
    final = scoring._final(api, zhang)  # 30 points, booked on 鹊山村's chain
    claimed = ok(scoring._claim(api, zhang, "mediation_success", quantity=1, evidence=[]), 201)
    assert scoring._board(api, QS) == [("张良科", 30)]
    town_before = scoring._board(api, "430182-DCQ")

    move_group(api)

    for entry in (final["id"], claimed["id"]):
        assert seen_by(api, f"/v1/scoring/entries/{entry}") == (200, 404)
    assert ids(api, f"/v1/units/{SS}/scoring/entries?status=final", "jiang-dan") == [final["id"]]
    assert ids(api, f"/v1/units/{SS}/scoring/entries?status=claimed", "jiang-dan") == [claimed["id"]]
    assert ids(api, f"/v1/units/{QS}/scoring/entries?status=final", "qs-village") == []
    # the current quarter follows the group: 石山村's board and figures gain the member, 鹊山村's lose him
    assert scoring._board(api, SS) == [("张良科", 30)]
    assert scoring._board(api, QS) == []
    assert scoring._board(api, Z01) == [("张良科", 30)]
    assert scoring._board(api, "430182-DCQ") == town_before  # the town keeps its figures
    ss = ok(api.get(f"/v1/units/{SS}/scoring/tiers?period={scoring.PERIOD}", user="jiang-dan"))
    qs = ok(api.get(f"/v1/units/{QS}/scoring/tiers?period={scoring.PERIOD}", user="qs-village"))
    assert (ss["scored"], ss["points"], ss["final_entries"]) == (1, 30, 1)
    assert (qs["scored"], qs["points"], qs["final_entries"]) == (0, 0, 0)
    # points finalised after the move land on the new chain
    ok(scoring._review(api, claimed["id"], "group", "qs-area"), 404)  # no longer his area
    card = scoring._card(api, zhang, user="jiang-dan")
    assert scoring._quarter(card)["points"] == 30


def test_a_record_that_moved_meanwhile_is_left_alone_and_the_rest_of_its_batch_follows(api: ApiClient) -> None:
    first, second = showings._household(api, head="胡明"), showings._household(api, head="周建国")
    version = HouseholdModel.get(first).version
    table = PATH_TABLES["households.by_path"]
    move = Move(Actor("test", "city_admin", "430182", "r1"), "430182", Z01_PATH, "430182", NEW_GROUP)
    run = _Run(table, move, AuditStore())
    records = list(HouseholdModel.by_path.query("430182", HouseholdModel.path_key.startswith(Z01_PATH + "/")))
    batch = [(r, run.plan("", r)) for r in records]
    # meanwhile the second household is re-registered in 清泉河村 (its path changes under the batch)
    elsewhere = "430182/ZF/QQH/P01/Z01/L01"
    HouseholdModel.get(second).update(actions=[HouseholdModel.unit_path.set(elsewhere)])

    done = run.write(batch)

    assert [d.id for d in done] == [first]
    assert (HouseholdModel.get(first).unit_path, HouseholdModel.get(first).version) == (NEW_LEAF, version)
    assert HouseholdModel.get(second).unit_path == elsewhere
    assert repath_events(api, "household", first) == ["household.repath"]
    assert repath_events(api, "household", second) == []
    assert run.write(batch) == []  # the same batch again (a move finished twice) changes nothing
