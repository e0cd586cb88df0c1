"""The first slice end to end: validation, scope, idempotency, optimistic locking, audit."""

from __future__ import annotations

from typing import Any

from tests.support import ApiClient

QS = "430182/DCQ/QS"


def _create(api: ApiClient, user: str = "qs-village", key: str | None = None, **body: Any) -> Any:
    payload = {"parent": QS, "code": "P07", "name": "鹊山村第七片", **body}
    headers = {"Idempotency-Key": key} if key else None
    return api.post("/v1/units", user=user, body=payload, headers=headers)


def test_village_cadre_creates_an_area_in_her_village(api: ApiClient) -> None:
    answer = _create(api)
    assert answer.status == 201
    unit = answer.json
    assert unit == {
        "path": f"{QS}/P07",
        "code": "P07",
        "name": "鹊山村第七片",
        "level": "area",
        "level_label": "片",
        "parent": QS,
        "version": 1,
    }
    children = api.get("/v1/units/430182-DCQ-QS/children", user="qs-village").json["items"]
    assert f"{QS}/P07" in [c["path"] for c in children]


def test_invalid_body_names_every_bad_field_in_chinese_and_english(api: ApiClient) -> None:
    answer = api.post("/v1/units", user="qs-village", body={"parent": QS, "code": "p-7", "name": "", "x": 1})
    assert answer.status == 422
    error = answer.json["error"]
    assert error["code"] == "validation_failed"
    assert error["message"].startswith("提交的内容有误")
    paths = {f["path"]: f["message"] for f in error["fields"]}
    assert set(paths) == {"body.code", "body.name", "body.x"}
    assert paths["body.code"].startswith("格式不正确 / ")
    assert paths["body.x"].startswith("不允许的字段")
    assert api.get("/v1/units/430182-DCQ-QS-p-7", user="qs-village").status == 404


def test_malformed_json_is_a_400(api: ApiClient) -> None:
    answer = api.post("/v1/units", user="qs-village", raw=b'{"parent": ')
    assert answer.status == 400
    assert answer.json["error"]["fields"][0]["path"] == "body"
    assert answer.json["error"]["request_id"]
    assert answer.headers["x-request-id"] == answer.json["error"]["request_id"]


def test_non_utf8_body_is_a_400(api: ApiClient) -> None:
    answer = api.post("/v1/units", user="qs-village", raw='{"name": "宁乡"}'.encode("gbk"))
    assert answer.status == 400


def test_oversized_body_is_a_413(api: ApiClient) -> None:
    answer = api.post("/v1/units", user="qs-village", raw=b'{"name": "' + b"x" * 1_100_000 + b'"}')
    assert answer.status == 413
    assert answer.error_code == "payload_too_large"


def test_duplicate_code_is_a_409_naming_the_field(api: ApiClient) -> None:
    assert _create(api).status == 201
    answer = _create(api, name="另一个名字")
    assert answer.status == 409
    assert answer.json["error"]["fields"][0]["path"] == "body.code"


def test_creating_outside_scope_is_a_404_and_writes_nothing(api: ApiClient) -> None:
    answer = _create(api, parent="430182/ZF/QQH")
    assert answer.status == 404
    assert api.get("/v1/units/430182-ZF-QQH-P07", user="zf-town").status == 404


def test_role_without_write_permission_gets_403(api: ApiClient) -> None:
    answer = _create(api, user="qs-area", parent="430182/DCQ/QS/P01", code="Z09", name="第九组")
    assert answer.status == 403
    assert answer.error_code == "forbidden"


def test_no_unit_below_a_neighbourhood(api: ApiClient) -> None:
    answer = _create(api, parent="430182/DCQ/QS/P01/Z01/L01", code="X1", name="不能")
    assert answer.status == 422
    assert answer.json["error"]["fields"][0]["path"] == "body.parent"


def test_idempotent_retry_returns_the_first_answer_and_writes_once(api: ApiClient) -> None:
    first = _create(api, key="retry-1")
    again = _create(api, key="retry-1")
    assert first.status == again.status == 201
    assert again.json == first.json
    assert again.headers.get("idempotent-replayed") == "true"
    audit = api.get("/v1/audit?entity_type=unit&entity_id=430182/DCQ/QS/P07", user="city-admin").json
    assert [e["action"] for e in audit["items"]] == ["unit.create"]


def test_same_key_with_another_body_is_a_422(api: ApiClient) -> None:
    assert _create(api, key="k-2").status == 201
    answer = _create(api, key="k-2", code="P08")
    assert answer.status == 422
    assert answer.error_code == "idempotency_key_reused"
    assert api.get("/v1/units/430182-DCQ-QS-P08", user="qs-village").status == 404


def test_idempotency_keys_of_two_users_do_not_collide(api: ApiClient) -> None:
    assert _create(api, key="same").status == 201
    other = _create(api, user="dcq-town", key="same", code="P08")
    assert other.status == 201
    assert other.json["path"] == f"{QS}/P08"


def test_stale_if_match_is_a_409_and_loses_nothing(api: ApiClient) -> None:
    path = "/v1/units/430182-DCQ-QS-P01"
    first = api.patch(path, user="qs-village", body={"name": "新一片"}, headers={"If-Match": '"1"'})
    assert first.status == 200
    assert first.json["version"] == 2
    stale = api.patch(path, user="qs-village", body={"name": "旧版本的修改"}, headers={"If-Match": '"1"'})
    assert stale.status == 409
    assert stale.error_code == "conflict"
    assert api.get(path, user="qs-village").json["name"] == "新一片"


def test_bad_if_match_is_a_400(api: ApiClient) -> None:
    answer = api.patch(
        "/v1/units/430182-DCQ-QS-P01", user="qs-village", body={"name": "x"}, headers={"If-Match": "abc"}
    )
    assert answer.status == 400
    assert answer.json["error"]["fields"][0]["path"] == "header.If-Match"


def test_lists_are_scoped_by_the_callers_unit(api: ApiClient) -> None:
    assert api.get("/v1/units/430182-DCQ/children", user="qs-village").status == 404
    town = api.get("/v1/units/430182-DCQ/children", user="dcq-town").json["items"]
    assert {u["name"] for u in town} == {"鹊山村", "石山村"}


def test_children_are_paged_with_an_opaque_cursor(api: ApiClient) -> None:
    first = api.get("/v1/units/430182-DCQ-QS/children?limit=1", user="qs-village").json
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = api.get(f"/v1/units/430182-DCQ-QS/children?limit=1&cursor={first['next_cursor']}", user="qs-village").json
    assert second["items"][0]["path"] != first["items"][0]["path"]
    bad = api.get("/v1/units/430182-DCQ-QS/children?cursor=%25%25", user="qs-village")
    assert bad.status == 400
    assert bad.json["error"]["fields"][0]["path"] == "query.cursor"


def test_query_validation_errors_name_the_query_field(api: ApiClient) -> None:
    answer = api.get("/v1/units/430182-DCQ-QS/children?limit=9999", user="qs-village")
    assert answer.status == 422
    assert answer.json["error"]["fields"][0]["path"] == "query.limit"
