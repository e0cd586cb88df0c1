"""Members (三亮 identity registration): one record per person, masked answers, counts along the home
household's chain, status history and transfers, audited unmasking, and no clear ID number stored."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import boto3

from tests.support import Answer, ApiClient

L01 = "430182-DCQ-QS-P01-Z01-L01"
L02 = "430182-DCQ-QS-P01-Z01-L02"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _x_number() -> str:
    """A valid 430182 number whose last four are 123X (a man: the 17th digit is odd)."""
    day = date(1985, 1, 1)
    while not (number := with_check(f"430182{day:%Y%m%d}123")).endswith("X"):
        day += timedelta(days=1)
    return number


ID = _x_number()
OTHER_ID = with_check("43018219900307002")  # a woman


def _household(api: ApiClient, unit: str = L01, user: str = "qs-group") -> str:
    body = {"unit": unit, "address": "鹊山村第一组8号", "head_name": "胡明", "residents": 3}
    answer = api.post("/v1/households", user=user, body=body)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def _body(household: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "胡明", "gender": "male", "id_number": ID, "phone": "138 0731 1234", "branch": "鹊山村党支部",
        "status": "probationary", "join_date": "2024-07-01", "household": household,
    } | overrides  # fmt: skip


def _register(api: ApiClient, household: str, user: str = "qs-group", **overrides: Any) -> Answer:
    return api.post("/v1/members", user=user, body=_body(household, **overrides))


def _members(api: ApiClient, code: str) -> int:
    return int(api.get(f"/v1/units/{code}", user="city-admin").json["counts"]["members"])


def _household_members(household: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName="test-households", Key={"id": {"S": household}})["Item"]
    return int(item["members"]["N"])


def test_a_group_head_registers_a_member_shown_masked_and_counted_up_the_chain(api: ApiClient) -> None:
    household = _household(api)
    answer = _register(api, household)
    assert answer.status == 201, answer.body
    member = answer.json
    assert member["id_number"] == "430182********123X"
    assert member["phone"] == "138****1234"
    assert member["birth_date"] == f"{ID[6:10]}-{ID[10:12]}-{ID[12:14]}"
    assert member["unit"] == L01 and member["household"] == household
    assert member["probation_end"] == "2025-07-01" and member["status_label"] == "预备党员"
    assert ID not in answer.body.decode() and "13807311234" not in answer.body.decode()
    for user in ("zhang-liangke", "qs-village", "city-admin"):  # masked for every role
        read = api.get(f"/v1/members/{member['id']}", user=user)
        assert read.status == 200 and read.json["id_number"] == "430182********123X"
        assert read.json["phone"] == "138****1234"
    for code in (L01, "430182-DCQ-QS", "430182-DCQ", "430182"):
        assert _members(api, code) == 1
    assert _members(api, "430182-ZF") == 0 and _members(api, L02) == 0
    assert _household_members(household) == 1
    # the household's edit version is untouched by the counter
    assert api.get(f"/v1/households/{household}", user="qs-group").json["version"] == 1


def test_bad_check_digit_wrong_birth_date_and_foreign_household_are_field_errors(api: ApiClient) -> None:
    household = _household(api)
    wrong = ID[:17] + "0"
    bad = _register(api, household, id_number=wrong)
    assert bad.status == 422 and bad.json["error"]["fields"][0]["path"] == "body.id_number"
    birth = _register(api, household, birth_date="1980-01-01")
    assert birth.status == 422 and birth.json["error"]["fields"][0]["path"] == "body.birth_date"
    gender = _register(api, household, gender="female")
    assert gender.status == 422 and gender.json["error"]["fields"][0]["path"] == "body.gender"
    foreign = _household(api, "430182-ZF-QQH-P01-Z01-L01", user="city-admin")
    outside = _register(api, foreign)
    assert outside.status == 422 and outside.json["error"]["fields"][0]["path"] == "body.household"
    assert _register(api, household, user="zhang-liangke").status == 403  # a 邻长 reads, does not register
    assert _members(api, "430182") == 0


def test_one_person_one_record(api: ApiClient) -> None:
    household = _household(api)
    first = _register(api, household)
    assert first.status == 201
    again = _register(api, household, user="qs-village", name="胡明明")
    assert again.status == 409
    assert "鹊山村" in again.json["error"]["message"] and "第一邻" in again.json["error"]["message"]
    assert first.json["id"] in again.json["error"]["message"]
    foreign = _household(api, "430182-ZF-QQH-P01-Z01-L01", user="city-admin")
    elsewhere = _register(api, foreign, user="zf-town")
    assert elsewhere.status == 409
    error = elsewhere.json["error"]
    assert error["message"] == "该党员已在其他单位登记"
    assert error["message_en"] == "This member is registered in another unit"
    assert first.json["id"] not in json.dumps(error) and "鹊山" not in json.dumps(error)
    assert _members(api, "430182") == 1  # nothing of the refused registrations was written


def test_status_changes_and_transfers_keep_history_and_move_counts(api: ApiClient) -> None:
    home, other = _household(api), _household(api, L02)
    member = _register(api, home).json
    url = f"/v1/members/{member['id']}/status"
    full = api.post(url, user="qs-group", body={"change": "full", "date": "2025-07-01", "note": "支部大会通过"})
    assert full.status == 200 and full.json["status"] == "full"
    again = api.post(url, user="qs-group", body={"change": "full", "date": "2025-07-02"})
    assert again.status == 422 and again.json["error"]["fields"][0]["path"] == "body.change"
    moved = api.post(url, user="qs-group", body={"change": "transfer", "date": "2025-08-01", "household": other})
    assert moved.status == 200, moved.body
    assert moved.json["unit"] == L02 and moved.json["household"] == other
    assert _members(api, L01) == 0 and _members(api, L02) == 1 and _members(api, "430182-DCQ-QS") == 1
    assert (_household_members(home), _household_members(other)) == (0, 1)
    assert [m["id"] for m in api.get(f"/v1/units/{L02}/members", user="qs-group").json["items"]] == [member["id"]]
    assert api.get(f"/v1/units/{L01}/members", user="qs-group").json["items"] == []
    left = api.post(url, user="qs-village", body={"change": "left", "date": "2026-01-01", "note": "迁出"})
    assert left.status == 200 and left.json["status"] == "left" and left.json["household"] is None
    history = [(h["kind"], h["from"], h["to"], h["by_role"]) for h in left.json["history"]]
    assert history == [
        ("full", "probationary", "full", "group_head"),
        ("transfer", home, other, "group_head"),
        ("left", "full", "left", "village_cadre"),
    ]
    assert left.json["history"][0]["note"] == "支部大会通过" and left.json["history"][0]["at"] == "2025-07-01"
    assert _members(api, "430182") == 0 and _household_members(other) == 0
    assert api.post(url, user="qs-group", body={"change": "full", "date": "2026-02-01"}).status == 409
    actions = [e["action"] for e in _audit(api, member["id"])]
    assert actions == ["member.create", "member.full", "member.transfer", "member.left"]


def test_update_needs_the_current_version(api: ApiClient) -> None:
    member = _register(api, _household(api)).json
    url = f"/v1/members/{member['id']}"
    body = {"phone": "139 0000 5678", "workplace": "宁乡市水利局", "in_service": True}
    answer = api.patch(url, user="qs-group", body=body, headers={"If-Match": "1"})
    assert answer.status == 200 and answer.json["phone"] == "139****5678" and answer.json["version"] == 2
    assert answer.json["in_service"] is True
    assert api.patch(url, user="qs-group", body={"name": "胡"}, headers={"If-Match": "1"}).status == 409
    cleared = api.patch(url, user="qs-group", body={"branch": None})
    assert cleared.status == 422 and cleared.json["error"]["fields"][0]["path"] == "body.branch"
    listed = api.get("/v1/units/430182-DCQ-QS/members?in_service=true", user="qs-village").json["items"]
    assert [m["id"] for m in listed] == [member["id"]]
    assert api.get("/v1/units/430182-DCQ-QS/members?in_service=false", user="qs-village").json["items"] == []
    assert api.get("/v1/units/430182-DCQ-QS/members?status=full", user="qs-village").json["items"] == []


def _audit(api: ApiClient, member_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/audit?entity_type=member&entity_id={member_id}", user="auditor")
    assert answer.status == 200
    items: list[dict[str, Any]] = answer.json["items"]
    return items


def test_unmasking_needs_a_purpose_and_is_audited(api: ApiClient) -> None:
    member = _register(api, _household(api)).json
    url = f"/v1/members/{member['id']}/unmask"
    assert api.post(url, user="qs-group", body={"field": "id_number"}).status == 422
    answer = api.post(url, user="zhang-liangke", body={"field": "id_number", "purpose": "verification"})
    assert answer.status == 200
    assert answer.json == {"field": "id_number", "value": ID, "purpose": "verification"}
    phone = api.post(url, user="qs-group", body={"field": "phone", "purpose": "contact"})
    assert phone.json["value"] == "13807311234"
    assert api.post(url, user="auditor", body={"field": "phone", "purpose": "contact"}).status == 403
    events = _audit(api, member["id"])
    assert [e["action"] for e in events] == [
        "member.create",
        "member.unmask_id_number:verification",
        "member.unmask_phone:contact",
    ]
    assert events[1]["actor"]["role"] == "neighbour_head"


def test_the_clear_id_number_is_stored_nowhere(api: ApiClient) -> None:
    household = _household(api)
    key = {"Idempotency-Key": "member-registration-0001"}
    first = api.post("/v1/members", user="qs-group", body=_body(household), headers=key)
    replay = api.post("/v1/members", user="qs-group", body=_body(household), headers=key)
    assert first.status == replay.status == 201 and replay.headers.get("idempotent-replayed") == "true"
    member = first.json
    api.post(f"/v1/members/{member['id']}/unmask", user="qs-group", body={"field": "id_number", "purpose": "visit"})
    dynamo = boto3.client("dynamodb")
    raw = dynamo.get_item(TableName="test-members", Key={"id": {"S": member["id"]}})["Item"]
    assert raw["id_masked"]["S"] == "430182********123X"
    dumped = json.dumps(raw)
    assert ID not in dumped and ID[6:14] + ID[14:] not in dumped
    for table in ("test-members", "test-member-ids", "test-audit", "test-idempotency"):
        for item in dynamo.scan(TableName=table)["Items"]:
            assert ID not in json.dumps(item, ensure_ascii=False), table
    assert all(ID not in json.dumps(e) for e in _audit(api, member["id"]))


def test_reads_and_lists_are_scoped(api: ApiClient) -> None:
    member = _register(api, _household(api)).json
    assert api.get(f"/v1/members/{member['id']}", user="zf-town").status == 404
    assert api.get(f"/v1/members/{member['id']}", user="jiang-dan").status == 404
    assert api.patch(f"/v1/members/{member['id']}", user="zf-town", body={"name": "x"}).status == 404
    unmask = {"field": "phone", "purpose": "visit"}
    assert api.post(f"/v1/members/{member['id']}/unmask", user="zf-town", body=unmask).status == 404
    assert api.get("/v1/units/430182-DCQ-QS/members", user="zf-town").status == 404
    page = api.get("/v1/units/430182-DCQ/members", user="dcq-town").json
    assert [m["id"] for m in page["items"]] == [member["id"]]


def test_a_unit_move_re_paths_members(api: ApiClient) -> None:
    member = _register(api, _household(api)).json
    moved = api.post("/v1/units/430182-DCQ-QS-P01-Z01/move", user="qs-village", body={"parent": "430182-DCQ-QS-P02"})
    assert moved.status == 200, moved.body
    read = api.get(f"/v1/members/{member['id']}", user="qs-village").json
    assert read["unit_path"] == "430182/DCQ/QS/P02/Z01/L01"
    listed = api.get("/v1/units/430182-DCQ-QS-P02/members", user="qs-village").json["items"]
    assert [m["id"] for m in listed] == [member["id"]]


def test_a_household_with_members_is_neither_moved_nor_deleted(api: ApiClient) -> None:
    household = _household(api)
    member = _register(api, household).json
    body = {"unit": L02, "address": "新址", "head_name": "胡明", "residents": 3}
    moved = api.request("PUT", f"/v1/households/{household}", user="qs-group", body=body)
    assert moved.status == 409 and moved.json["error"]["fields"][0]["path"] == "body.unit"
    same_unit = api.request("PUT", f"/v1/households/{household}", user="qs-group", body=body | {"unit": L01})
    assert same_unit.status == 200 and _household_members(household) == 1
    assert api.request("DELETE", f"/v1/households/{household}", user="qs-group").status == 409
    url = f"/v1/members/{member['id']}/status"
    assert api.post(url, user="qs-group", body={"change": "left", "date": "2026-01-01"}).status == 200
    assert api.request("DELETE", f"/v1/households/{household}", user="qs-group").status == 204
