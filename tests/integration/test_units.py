"""Grid units end to end: validation, scope, idempotency, optimistic locking, counts, tree, search."""

from __future__ import annotations

from typing import Any

from tests.support import Answer, ApiClient

QS = "430182-DCQ-QS"


def _create(api: ApiClient, user: str = "qs-village", key: str | None = None, **body: Any) -> Answer:
    payload = {"parent": QS, "segment": "P07", "name": "鹊山村第七片", **body}
    headers = {"Idempotency-Key": key} if key else None
    return api.post("/v1/units", user=user, body=payload, headers=headers)


def test_village_cadre_creates_an_area_in_her_village(api: ApiClient) -> None:
    answer = _create(api)
    assert answer.status == 201
    unit = answer.json
    assert unit["code"] == f"{QS}-P07" and unit["path"] == "430182/DCQ/QS/P07"
    assert (unit["name"], unit["level"], unit["level_label"], unit["parent"], unit["version"]) == (
        "鹊山村第七片", "area", "片", QS, 1,
    )  # fmt: skip
    assert unit["counts"] == {"households": 0, "residents": 0, "members": 0, "heads": 0, "children": 0, "tags": {}}
    children = api.get(f"/v1/units/{QS}/children", user="qs-village").json["items"]
    assert f"{QS}-P07" in [c["code"] for c in children]
    assert api.get(f"/v1/units/{QS}", user="qs-village").json["counts"]["children"] == 3


def test_invalid_body_names_every_bad_field_in_chinese_and_english(api: ApiClient) -> None:
    answer = api.post("/v1/units", user="qs-village", body={"parent": QS, "segment": "p-7", "name": "", "x": 1})
    assert answer.status == 422
    error = answer.json["error"]
    assert error["code"] == "validation_failed"
    assert error["message"].startswith("提交的内容有误")
    paths = {f["path"]: f["message"] for f in error["fields"]}
    assert set(paths) == {"body.segment", "body.name", "body.x"}
    assert paths["body.segment"].startswith("格式不正确 / ")
    assert paths["body.x"].startswith("不允许的字段")


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


def test_unknown_parent_is_a_404_and_duplicate_code_a_409(api: ApiClient) -> None:
    assert _create(api, parent="430182-DCQ-NOPE").status == 404
    assert _create(api).status == 201
    answer = _create(api, name="另一个名字")
    assert answer.status == 409
    assert answer.json["error"]["fields"][0]["path"] == "body.segment"


def test_creating_outside_scope_is_a_404_and_writes_nothing(api: ApiClient) -> None:
    answer = _create(api, parent="430182-ZF-QQH")
    assert answer.status == 404
    assert api.get("/v1/units/430182-ZF-QQH-P07", user="zf-town").status == 404
    assert api.get("/v1/units/430182-ZF-QQH", user="zf-town").json["counts"]["children"] == 1


def test_role_without_write_permission_gets_403(api: ApiClient) -> None:
    answer = _create(api, user="qs-area", parent=f"{QS}-P01", segment="Z09", name="第九组")
    assert answer.status == 403
    assert answer.error_code == "forbidden"


def test_no_unit_below_a_neighbourhood(api: ApiClient) -> None:
    answer = _create(api, parent=f"{QS}-P01-Z01-L01", segment="X1", name="不能")
    assert answer.status == 422
    assert answer.json["error"]["fields"][0]["path"] == "body.parent"


def test_idempotent_retry_returns_the_first_answer_and_writes_once(api: ApiClient) -> None:
    first = _create(api, key="retry-1")
    again = _create(api, key="retry-1")
    assert first.status == again.status == 201
    assert again.json == first.json
    assert again.headers.get("idempotent-replayed") == "true"
    audit = api.get(f"/v1/audit?entity_type=unit&entity_id={QS}-P07", user="city-admin").json
    assert [e["action"] for e in audit["items"]] == ["unit.create"]
    assert api.get(f"/v1/units/{QS}", user="qs-village").json["counts"]["children"] == 3


def test_same_key_with_another_body_is_a_422(api: ApiClient) -> None:
    assert _create(api, key="k-2").status == 201
    answer = _create(api, key="k-2", segment="P08")
    assert answer.status == 422
    assert answer.error_code == "idempotency_key_reused"
    assert api.get(f"/v1/units/{QS}-P08", user="qs-village").status == 404


def test_idempotency_keys_of_two_users_do_not_collide(api: ApiClient) -> None:
    assert _create(api, key="same").status == 201
    other = _create(api, user="dcq-town", key="same", segment="P08")
    assert other.status == 201
    assert other.json["code"] == f"{QS}-P08"


def test_stale_if_match_is_a_409_and_loses_nothing(api: ApiClient) -> None:
    path = f"/v1/units/{QS}-P01"
    first = api.patch(path, user="qs-village", body={"name": "新一片"}, headers={"If-Match": '"1"'})
    assert first.status == 200
    assert first.json["version"] == 2
    stale = api.patch(path, user="qs-village", body={"name": "旧版本的修改"}, headers={"If-Match": '"1"'})
    assert stale.status == 409
    assert stale.error_code == "conflict"
    assert api.get(path, user="qs-village").json["name"] == "新一片"


def test_bad_if_match_is_a_400(api: ApiClient) -> None:
    answer = api.patch(f"/v1/units/{QS}-P01", user="qs-village", body={"name": "x"}, headers={"If-Match": "abc"})
    assert answer.status == 400
    assert answer.json["error"]["fields"][0]["path"] == "header.If-Match"


def test_lists_are_scoped_by_the_callers_unit(api: ApiClient) -> None:
    assert api.get("/v1/units/430182-DCQ/children", user="qs-village").status == 404
    town = api.get("/v1/units/430182-DCQ/children", user="dcq-town").json["items"]
    assert {u["name"] for u in town} == {"鹊山村", "石山村"}


def test_children_are_paged_with_an_opaque_cursor(api: ApiClient) -> None:
    first = api.get(f"/v1/units/{QS}/children?limit=1", user="qs-village").json
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = api.get(f"/v1/units/{QS}/children?limit=1&cursor={first['next_cursor']}", user="qs-village").json
    assert second["items"][0]["code"] != first["items"][0]["code"]
    bad = api.get(f"/v1/units/{QS}/children?cursor=%25%25", user="qs-village")
    assert bad.status == 400
    assert bad.json["error"]["fields"][0]["path"] == "query.cursor"


def test_query_validation_errors_name_the_query_field(api: ApiClient) -> None:
    answer = api.get(f"/v1/units/{QS}/children?limit=9999", user="qs-village")
    assert answer.status == 422
    assert answer.json["error"]["fields"][0]["path"] == "query.limit"


def test_tree_to_a_depth_in_path_order(api: ApiClient) -> None:
    one = api.get(f"/v1/units/{QS}/tree?depth=1", user="qs-village").json["items"]
    assert [u["code"] for u in one] == [f"{QS}-P01", f"{QS}-P02"]
    three = api.get(f"/v1/units/{QS}/tree?depth=3", user="qs-village").json["items"]
    assert [u["path"] for u in three] == [
        "430182/DCQ/QS/P01", "430182/DCQ/QS/P01/Z01", "430182/DCQ/QS/P01/Z01/L01",
        "430182/DCQ/QS/P01/Z01/L02", "430182/DCQ/QS/P01/Z02", "430182/DCQ/QS/P02",
    ]  # fmt: skip
    assert api.get("/v1/units/430182-ZF/tree", user="qs-village").status == 404


def test_search_by_chinese_prefix_and_pinyin_initials_within_scope(api: ApiClient) -> None:
    hits = api.get("/v1/units?q=qs", user="dcq-town").json["items"]
    assert [h["name"] for h in hits] == ["鹊山村", "鹊山村第一片", "鹊山村第二片"]  # in path order
    assert [h["name"] for h in api.get("/v1/units?q=qsc&limit=1", user="dcq-town").json["items"]] == ["鹊山村"]
    assert [h["name"] for h in api.get("/v1/units?q=鹊山村第二", user="dcq-town").json["items"]] == ["鹊山村第二片"]
    assert api.get("/v1/units?q=QQH", user="dcq-town").json["items"] == []  # 清泉河村 is in 资福镇
    assert [h["name"] for h in api.get("/v1/units?q=qqhc&limit=1", user="zf-town").json["items"]] == ["清泉河村"]
    assert api.get("/v1/units?q=qs", user="jiang-dan").json["items"] == []  # 石山村's cadre


def test_renaming_updates_search(api: ApiClient) -> None:
    assert api.patch(f"/v1/units/{QS}-P02", user="qs-village", body={"name": "红心片"}).status == 200
    assert [h["code"] for h in api.get("/v1/units?q=hxp", user="qs-village").json["items"]] == [f"{QS}-P02"]
    assert [h["code"] for h in api.get("/v1/units?q=qscde", user="qs-village").json["items"]] == []  # 第二片 gone


def test_delete_only_an_empty_unit(api: ApiClient) -> None:
    assert api.request("DELETE", f"/v1/units/{QS}-P01", user="qs-village").status == 409  # it has children
    assert _create(api).status == 201
    assert api.request("DELETE", f"/v1/units/{QS}-P07", user="qs-village").status == 204
    assert api.get(f"/v1/units/{QS}-P07", user="qs-village").status == 404
    assert api.get(f"/v1/units/{QS}", user="qs-village").json["counts"]["children"] == 2
    assert api.request("DELETE", f"/v1/units/{QS}", user="qs-village").status == 422  # her own scope root
