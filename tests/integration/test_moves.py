"""Re-drawing the grid: a unit moves with its subtree; records and accounts keep resolving to the right
scope; totals move with it; the move is audited and can be finished after a crash."""

from __future__ import annotations

from typing import Any

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.grid.store import GridStore, UnitModel
from tests.support import ApiClient

QS = "430182-DCQ-QS"


def _household(api: ApiClient, unit: str) -> str:
    body = {"unit": unit, "address": "鹊山村", "head_name": "胡明", "residents": 3, "tags": ["veteran"]}
    answer = api.post("/v1/households", user="city-admin", body=body)
    assert answer.status == 201
    return str(answer.json["id"])


def _counts(api: ApiClient, code: str) -> dict[str, Any]:
    counts: dict[str, Any] = api.get(f"/v1/units/{code}", user="city-admin").json["counts"]
    return counts


def test_moving_a_group_to_another_area_moves_its_subtree_and_totals(api: ApiClient) -> None:
    household = _household(api, f"{QS}-P01-Z01-L01")
    moved = api.post(f"/v1/units/{QS}-P01-Z01/move", user="qs-village", body={"parent": f"{QS}-P02"})
    assert moved.status == 200
    assert moved.json["path"] == "430182/DCQ/QS/P02/Z01"
    assert moved.json["code"] == f"{QS}-P01-Z01"  # the code is stable
    leaf = api.get(f"/v1/units/{QS}-P01-Z01-L01", user="qs-village").json
    assert leaf["path"] == "430182/DCQ/QS/P02/Z01/L01"
    assert api.get(f"/v1/households/{household}", user="qs-village").json["unit_path"] == leaf["path"]
    assert _counts(api, f"{QS}-P01")["households"] == 0 and _counts(api, f"{QS}-P01")["children"] == 1
    assert _counts(api, f"{QS}-P02")["households"] == 1 and _counts(api, f"{QS}-P02")["tags"] == {"veteran": 1}
    assert _counts(api, QS)["households"] == 1  # the village keeps its total
    tree = api.get(f"/v1/units/{QS}-P02/tree?depth=2", user="qs-village").json["items"]
    assert [u["code"] for u in tree] == [f"{QS}-P01-Z01", f"{QS}-P01-Z01-L01", f"{QS}-P01-Z01-L02"]
    assert [h["path"] for h in api.get("/v1/units?q=第一邻", user="qs-village").json["items"]] == [leaf["path"]]
    events = api.get(f"/v1/audit?entity_type=unit&entity_id={QS}-P01-Z01", user="auditor").json["items"]
    assert events[-1]["action"] == "unit.move"


def test_moving_a_village_to_another_town_moves_scopes_and_accounts(api: ApiClient) -> None:
    household = _household(api, f"{QS}-P01-Z01-L01")
    appointed = api.post(
        f"/v1/units/{QS}-P01-Z01-L02/appointments", user="qs-village",
        body={"person_name": "李邻长", "phone": "13600000000", "start": "2026-01-01", "create_account": True,
              "username": "li-l02"},
    )  # fmt: skip
    assert appointed.status == 201
    moved = api.post(f"/v1/units/{QS}/move", user="city-admin", body={"parent": "430182-ZF"})
    assert moved.status == 200 and moved.json["path"] == "430182/ZF/QS"
    assert _counts(api, "430182-DCQ")["households"] == 0 and _counts(api, "430182-DCQ")["heads"] == 0
    assert _counts(api, "430182-ZF")["households"] == 1 and _counts(api, "430182-ZF")["heads"] == 1
    assert _counts(api, "430182")["households"] == 1  # the city total is unchanged
    # 大成桥镇 no longer sees 鹊山村; 资福镇 does; the village's own cadre still does
    assert api.get(f"/v1/units/{QS}", user="dcq-town").status == 404
    assert api.get(f"/v1/households/{household}", user="dcq-town").status == 404
    assert api.get(f"/v1/households/{household}", user="zf-town").status == 200
    assert api.get("/v1/me", user="qs-village").json["scope"]["path"] == "430182/ZF/QS"
    assert api.get(f"/v1/households/{household}", user="qs-village").status == 200
    head = api.get("/v1/me", token=api.issuer.mint(appointed.json["account"])).json
    assert head["scope"]["path"] == "430182/ZF/QS/P01/Z01/L02"


def test_a_unit_cannot_move_below_itself_or_to_a_wrong_level(api: ApiClient) -> None:
    below = api.post(f"/v1/units/{QS}-P01/move", user="qs-village", body={"parent": f"{QS}-P01-Z01"})
    assert below.status == 422 and below.json["error"]["fields"][0]["path"] == "body.parent"
    wrong_level = api.post(f"/v1/units/{QS}-P01-Z01/move", user="qs-village", body={"parent": QS})
    assert wrong_level.status == 422
    out_of_scope = api.post(f"/v1/units/{QS}-P01/move", user="qs-village", body={"parent": "430182-ZF-QQH"})
    assert out_of_scope.status == 404
    own_root = api.post(f"/v1/units/{QS}/move", user="qs-village", body={"parent": "430182-ZF"})
    assert own_root.status == 422  # the root of her own scope
    assert api.get(f"/v1/units/{QS}-P01", user="qs-village").json["path"] == "430182/DCQ/QS/P01"


def test_a_move_interrupted_after_its_transaction_is_finished_by_the_next_request(api: ApiClient) -> None:
    store = GridStore(audit=AuditStore())
    item, old_parent, new_parent = (UnitModel.get(c) for c in (f"{QS}-P01-Z01", f"{QS}-P01", f"{QS}-P02"))
    store.move_unit(item, old_parent, new_parent, Actor("s", "city_admin", "430182", "crash"))  # then a crash
    stale = api.get(f"/v1/units/{QS}-P01-Z01-L01", user="qs-village").json["path"]
    assert stale == "430182/DCQ/QS/P01/Z01/L01"
    again = api.post(f"/v1/units/{QS}-P01-Z01/move", user="qs-village", body={"parent": f"{QS}-P02"})
    assert again.status == 200
    assert api.get(f"/v1/units/{QS}-P01-Z01-L01", user="qs-village").json["path"] == "430182/DCQ/QS/P02/Z01/L01"
    assert UnitModel.get(f"{QS}-P01-Z01").moving_from is None
