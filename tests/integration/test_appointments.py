"""三长 appointments: one current head per unit (a DynamoDB condition), history, accounts, contact cards."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.errors import Conflict
from chalicelib.grid.store import AppointmentModel, GridStore, UnitModel
from tests.support import Answer, ApiClient

L01 = "430182-DCQ-QS-P01-Z01-L01"


def _appoint(api: ApiClient, code: str = L01, user: str = "qs-village", **overrides: Any) -> Answer:
    body = {"person_name": "张良科", "phone": "13907312345", "is_member": True, "start": "2026-03-01"} | overrides
    return api.post(f"/v1/units/{code}/appointments", user=user, body=body)


def test_appointing_a_neighbour_head_fills_the_unit_and_counts_up(api: ApiClient) -> None:
    answer = _appoint(api)
    assert answer.status == 201
    assert answer.json["role"] == "neighbour_head" and answer.json["role_label"] == "邻长"
    assert answer.json["phone"] == "139****2345"
    unit = api.get(f"/v1/units/{L01}", user="qs-village").json
    assert unit["head"]["person_name"] == "张良科" and unit["head"]["phone"] == "139****2345"
    assert api.get("/v1/units/430182-DCQ-QS", user="qs-village").json["counts"]["heads"] == 1


def test_a_second_current_head_is_refused(api: ApiClient) -> None:
    assert _appoint(api).status == 201
    second = _appoint(api, person_name="李四", phone="13700000000")
    assert second.status == 409
    assert api.get("/v1/units/430182-DCQ-QS", user="qs-village").json["counts"]["heads"] == 1


def test_the_condition_holds_even_when_two_requests_race(api: ApiClient) -> None:
    """Both requests read an empty post; the DynamoDB condition lets only one through."""
    store = GridStore(audit=AuditStore())
    unit = UnitModel.get(L01)
    actor = Actor("s", "village_cadre", "430182/DCQ/QS", "r")
    head = {"appointment_id": "a1", "role": "neighbour_head", "person_name": "甲", "phone": "13900000001",
            "is_member": False, "since": "2026-01-01"}  # fmt: skip
    first = AppointmentModel(L01, "2026-01-01#a1", id="a1", role="neighbour_head", person_name="甲",
                             phone="13900000001", start="2026-01-01")  # fmt: skip
    store.appoint(first, unit, head, actor, profile=None)
    second = AppointmentModel(L01, "2026-01-01#a2", id="a2", role="neighbour_head", person_name="乙",
                              phone="13900000002", start="2026-01-01")  # fmt: skip
    with pytest.raises(Conflict):
        store.appoint(second, unit, {**head, "appointment_id": "a2"}, actor, profile=None)
    assert UnitModel.get(L01).head_info["appointment_id"] == "a1"  # type: ignore[index]


def test_history_and_who_served_on_a_date(api: ApiClient) -> None:
    first = _appoint(api, start="2025-01-01").json
    end = api.post(f"/v1/units/{L01}/appointments/{first['id']}/end", user="qs-village", body={"end": "2026-02-28"})
    assert end.status == 200 and end.json["end"] == "2026-02-28"
    assert _appoint(api, person_name="李邻长", phone="13600000000", start="2026-03-01").status == 201
    history = api.get(f"/v1/units/{L01}/appointments", user="qs-village").json["items"]
    assert [a["person_name"] for a in history] == ["李邻长", "张良科"]  # newest first
    in_march_2025 = api.get(f"/v1/units/{L01}/appointments?at=2025-03-15", user="qs-village").json["items"]
    assert [a["person_name"] for a in in_march_2025] == ["张良科"]
    now = api.get(f"/v1/units/{L01}/appointments?at=2026-03-15", user="qs-village").json["items"]
    assert [a["person_name"] for a in now] == ["李邻长"]


def test_role_follows_the_unit_level_and_a_village_gets_its_liaison_cadre(api: ApiClient) -> None:
    group = _appoint(api, code="430182-DCQ-QS-P01-Z01", person_name="杨志强")
    assert group.status == 201 and group.json["role"] == "group_head"
    assert _appoint(api, code="430182-DCQ-QS").status == 403  # the town assigns a village's 联点干部
    liaison = _appoint(api, code="430182-DCQ-QS", user="dcq-town", person_name="刘联点")
    assert liaison.status == 201 and liaison.json["role_label"] == "联点干部"
    village = api.get("/v1/units/430182-DCQ-QS", user="qs-village").json
    assert village["head"]["person_name"] == "刘联点"
    assert village["counts"]["heads"] == 1  # the group head only: a 联点干部 is not one of the 三长
    assert _appoint(api, code="430182-DCQ", user="dcq-town").status == 422  # a town has neither


def test_appointment_can_create_the_sign_in_account(api: ApiClient) -> None:
    answer = _appoint(api, create_account=True, username="li-linzhang", person_name="李邻长")
    assert answer.status == 201
    sub = answer.json["account"]
    token = api.issuer.mint(sub)
    me = api.get("/v1/me", token=token).json
    assert me["role"] == "neighbour_head" and me["scope"]["path"] == "430182/DCQ/QS/P01/Z01/L01"
    taken = _appoint(api, code="430182-DCQ-QS-P01-Z01-L02", create_account=True, username="li-linzhang")
    assert taken.status == 409
    end = api.post(
        f"/v1/units/{L01}/appointments/{answer.json['id']}/end", user="qs-village", body={"end": "2026-12-01"}
    )
    assert end.status == 200
    assert api.get("/v1/me", token=token).status == 403  # the account is deactivated with the appointment


def test_contact_card_chain_is_masked_unless_a_purpose_is_given(api: ApiClient) -> None:
    _appoint(api)
    _appoint(api, code="430182-DCQ-QS-P01-Z01", person_name="杨志强", phone="13811112222", is_member=False)
    _appoint(api, code="430182-DCQ-QS-P01", person_name="谈美文", phone="13633334444")
    card = api.get(f"/v1/units/{L01}/heads", user="zhang-liangke").json
    assert [(u["level"], (u["head"] or {}).get("person_name")) for u in card["chain"]] == [
        ("village", None), ("area", "谈美文"), ("group", "杨志强"), ("neighbourhood", "张良科"),
    ]  # fmt: skip
    assert card["chain"][1]["head"]["phone"] == "136****4444"
    clear = api.get(f"/v1/units/{L01}/heads?purpose=contact_card", user="zhang-liangke").json
    assert clear["chain"][1]["head"]["phone"] == "13633334444"
    events = api.get(f"/v1/audit?entity_type=unit&entity_id={L01}", user="auditor").json["items"]
    assert events[-1]["action"] == "unit.heads_unmask:contact_card"
