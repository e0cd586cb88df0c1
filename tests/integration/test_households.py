"""Households: registration in a 邻, subtree counts kept on write, masked phones, tags from the catalogue,
the 5–15 households warning, moves between neighbourhoods, audited unmasking."""

from __future__ import annotations

from typing import Any

from tests.support import Answer, ApiClient

L01 = "430182-DCQ-QS-P01-Z01-L01"
L02 = "430182-DCQ-QS-P01-Z01-L02"


def _register(api: ApiClient, user: str = "zhang-liangke", **overrides: Any) -> Answer:
    body = {
        "unit": L01, "address": "鹊山村第一组12号", "head_name": "胡明", "residents": 4,
        "phone": "138 0731 1234", "tags": ["elderly_alone"], "note": "老人独居，夜间需关注",
    } | overrides  # fmt: skip
    return api.post("/v1/households", user=user, body=body)


def _counts(api: ApiClient, code: str) -> dict[str, Any]:
    counts: dict[str, Any] = api.get(f"/v1/units/{code}", user="city-admin").json["counts"]
    return counts


def test_registration_masks_the_phone_and_counts_up_the_whole_chain(api: ApiClient) -> None:
    answer = _register(api)
    assert answer.status == 201
    household = answer.json
    assert household["phone"] == "138****1234"
    assert household["unit_path"] == "430182/DCQ/QS/P01/Z01/L01"
    assert "13807311234" not in answer.body.decode()
    for code in (L01, "430182-DCQ-QS-P01-Z01", "430182-DCQ-QS", "430182-DCQ", "430182"):
        counts = _counts(api, code)
        assert (counts["households"], counts["residents"], counts["heads"]) == (1, 4, 0)
        assert counts["tags"] == {"elderly_alone": 1}
    assert _counts(api, "430182-ZF")["households"] == 0


def test_a_small_neighbourhood_is_warned_about_never_refused(api: ApiClient) -> None:
    first = _register(api)
    assert first.status == 201
    warning = first.json["warnings"][0]
    assert warning["code"] == "neighbourhood_size" and "5–15" in warning["message"]
    for i in range(4):
        _register(api, address=f"{i}号")
    assert _register(api, address="6号").json["warnings"] == []


def test_bad_phone_unknown_tag_and_wrong_unit_level_are_field_errors(api: ApiClient) -> None:
    bad_phone = _register(api, phone="0731-1234")
    assert bad_phone.status == 422
    assert bad_phone.json["error"]["fields"][0]["path"] == "body.phone"
    bad_tag = _register(api, tags=["rich"])
    assert bad_tag.status == 422 and bad_tag.json["error"]["fields"][0]["path"] == "body.tags"
    not_a_neighbourhood = _register(api, unit="430182-DCQ-QS-P01-Z01")
    assert not_a_neighbourhood.status == 422
    assert not_a_neighbourhood.json["error"]["fields"][0]["path"] == "body.unit"
    assert _counts(api, "430182-DCQ-QS")["households"] == 0


def test_a_neighbour_head_cannot_register_outside_her_neighbourhood(api: ApiClient) -> None:
    answer = _register(api, unit=L02)
    assert answer.status == 422
    assert answer.json["error"]["fields"][0]["path"] == "body.unit"
    assert _register(api, user="qs-group", unit=L02).status == 201


def test_update_moves_counts_between_neighbourhoods_and_tags(api: ApiClient) -> None:
    created = _register(api, user="qs-group").json
    body = {"unit": L02, "address": "新址", "head_name": "胡明", "residents": 3, "phone": None,
            "tags": ["low_income", "disabled"], "note": None}  # fmt: skip
    answer = api.request("PUT", f"/v1/households/{created['id']}", user="qs-group", body=body,
                         headers={"If-Match": "1"})  # fmt: skip
    assert answer.status == 200
    assert answer.json["phone"] is None and answer.json["version"] == 2
    assert _counts(api, L01)["households"] == 0 and _counts(api, L01)["tags"] == {}
    assert _counts(api, L02)["residents"] == 3
    assert _counts(api, "430182-DCQ-QS")["tags"] == {"low_income": 1, "disabled": 1}
    assert _counts(api, "430182-DCQ-QS")["households"] == 1
    stale = api.request("PUT", f"/v1/households/{created['id']}", user="qs-group", body=body,
                        headers={"If-Match": "1"})  # fmt: skip
    assert stale.status == 409


def test_delete_counts_down(api: ApiClient) -> None:
    created = _register(api).json
    assert api.request("DELETE", f"/v1/households/{created['id']}", user="zhang-liangke").status == 204
    assert _counts(api, "430182")["households"] == 0
    assert api.get(f"/v1/households/{created['id']}", user="zhang-liangke").status == 404


def test_lists_and_reads_are_scoped(api: ApiClient) -> None:
    created = _register(api).json
    assert api.get(f"/v1/households/{created['id']}", user="jiang-dan").status == 404
    page = api.get("/v1/units/430182-DCQ-QS/households", user="qs-village").json
    assert [h["id"] for h in page["items"]] == [created["id"]]
    assert all(h["phone"] == "138****1234" for h in page["items"])
    assert api.get("/v1/units/430182-DCQ-QS/households", user="jiang-dan").status == 404


def test_unmasking_needs_a_purpose_and_is_audited(api: ApiClient) -> None:
    created = _register(api).json
    url = f"/v1/households/{created['id']}/unmask"
    assert api.post(url, user="zhang-liangke", body={}).status == 422
    answer = api.post(url, user="zhang-liangke", body={"purpose": "visit"})
    assert answer.status == 200 and answer.json == {"phone": "13807311234", "purpose": "visit"}
    events = api.get(f"/v1/audit?entity_type=household&entity_id={created['id']}", user="auditor").json["items"]
    assert [e["action"] for e in events] == ["household.create", "household.unmask_phone:visit"]
    assert events[1]["actor"]["role"] == "neighbour_head"
    assert api.post(url, user="auditor", body={"purpose": "visit"}).status == 403


def test_map_shows_households_by_tag_per_child_unit(api: ApiClient) -> None:
    _register(api)
    _register(api, user="qs-group", unit=L02, tags=["elderly_alone", "disabled"], residents=2)
    cells = api.get("/v1/units/430182-DCQ-QS-P01-Z01/map", user="qs-village").json
    assert cells["tags"]["elderly_alone"] == "独居老人"
    by_code = {c["code"]: c for c in cells["cells"]}
    assert by_code[L01]["tags"] == {"elderly_alone": 1}
    assert by_code[L02]["tags"] == {"elderly_alone": 1, "disabled": 1} and by_code[L02]["residents"] == 2


def test_the_tag_catalogue_is_data_a_city_admin_extends(api: ApiClient) -> None:
    url = "/v1/catalogues/household_tag/empty_nest"
    entry = {"name_zh": "空巢老人", "name_en": "Empty nest"}
    assert api.request("PUT", url, user="qs-village", body=entry).status == 403
    assert api.request("PUT", url, user="city-admin", body=entry).status == 200
    assert _register(api, tags=["empty_nest"]).status == 201  # usable at once
    codes = [e["code"] for e in api.get("/v1/catalogues/household_tag", user="qs-village").json["items"]]
    assert "empty_nest" in codes and "elderly_alone" in codes
    assert api.request("PUT", "/v1/catalogues/anything/x1", user="city-admin", body=entry).status == 404
    bad_code = api.request("PUT", "/v1/catalogues/household_tag/Bad-Code", user="city-admin", body=entry)
    assert bad_code.status == 422 and bad_code.json["error"]["fields"][0]["path"] == "path.entry"


def test_a_retry_after_the_answer_was_lost_never_registers_twice(api: ApiClient, monkeypatch: Any) -> None:
    """The household is written, then saving the idempotent answer fails (a throttled table, a crash): the
    client sees 503 and retries with its key once the in-progress mark has expired. The retry makes the same
    record id as the first run (core/ids.py), so the create's condition refuses it: still one household."""
    import boto3  # noqa: PLC0415
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer  # noqa: PLC0415

    from chalicelib.core.settings import get_settings  # noqa: PLC0415

    def lose_the_answer(*_: Any, **__: Any) -> None:
        raise RuntimeError("the idempotency table is unavailable")

    body = {"unit": L01, "address": "鹊山村第一组9号", "head_name": "周红", "residents": 3}
    with monkeypatch.context() as m:
        m.setattr(DynamoDBPersistenceLayer, "_update_record", lose_the_answer)
        first = api.post("/v1/households", user="zhang-liangke", body=body, headers={"Idempotency-Key": "hh-9"})
    assert first.status == 503
    assert _counts(api, L01)["households"] == 1  # the create itself committed

    table = boto3.resource("dynamodb").Table(get_settings().table_name("idempotency"))
    for item in table.scan()["Items"]:  # the in-progress mark expires (DynamoDB TTL in AWS)
        table.delete_item(Key={"id": item["id"]})
    again = api.post("/v1/households", user="zhang-liangke", body=body, headers={"Idempotency-Key": "hh-9"})
    assert again.status == 409
    assert _counts(api, L01)["households"] == 1
    listed = api.get(f"/v1/units/{L01}/households", user="zhang-liangke").json["items"]
    assert [h["address"] for h in listed].count("鹊山村第一组9号") == 1
