"""Bulk imports as a cadre uses them: a spreadsheet in, every bad row named by its row number and column,
nothing written unless asked for the valid rows, counts moved once, one audit event per file."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from chalicelib.core import jobs
from chalicelib.core.audit import AuditEventModel
from chalicelib.grid import imports
from chalicelib.grid.store import AppointmentModel, UnitModel
from tests.support import Answer, ApiClient

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QS = "430182-DCQ-QS"
L01, L02 = f"{QS}-P01-Z01-L01", f"{QS}-P01-Z01-L02"
HOUSEHOLD_HEADERS = ["所在邻编码", "地址", "户主姓名", "常住人口", "手机号", "标签", "备注"]


def xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    return "\r\n".join(",".join(str(v) for v in row) for row in rows).encode(encoding)


def households(n: int, *, start: int = 0) -> list[list[Any]]:
    """n valid households, alternating between the two demo neighbourhoods; every third lives alone."""
    return [
        [
            L01 if i % 2 == 0 else L02,
            f"鹊山村第一组{i}号",
            f"户主{i}",
            1 + i % 4,
            13800000000 + i,  # Excel keeps phones as numbers
            "独居老人" if i % 3 == 0 else "",
            "",
        ]
        for i in range(start, start + n)
    ]


def post(
    api: ApiClient,
    data: bytes,
    kind: str = "households",
    *,
    mode: str = "all_or_nothing",
    user: str = "qs-village",
    content_type: str = XLSX,
    headers: dict[str, str] | None = None,
) -> Answer:
    all_headers = {"Content-Type": content_type, **(headers or {})}
    return api.post(f"/v1/imports?kind={kind}&mode={mode}", user=user, raw=data, headers=all_headers)


def counts(api: ApiClient, code: str, user: str = "city-admin") -> dict[str, Any]:
    answer = api.get(f"/v1/units/{code}", user=user)
    assert answer.status == 200
    result: dict[str, Any] = answer.json["counts"]
    return result


def import_events(import_id: str) -> list[AuditEventModel]:
    return list(AuditEventModel.query(f"import#{import_id}"))


# -- the 5,000-household file with three bad rows -------------------------------------------------------
@pytest.fixture
def file_with_three_bad_rows() -> bytes:
    rows = households(5000)
    rows[5][4] = "1380013"  # spreadsheet row 7: a phone too short
    rows[1998][5] = "独居老人、困难户"  # row 2000: a tag not in the catalogue
    rows[4997][3] = "0"  # row 4999: no residents
    return xlsx([HOUSEHOLD_HEADERS, *rows])


def test_three_bad_rows_among_5000_are_listed_by_row_and_column_and_nothing_is_written(
    api: ApiClient, file_with_three_bad_rows: bytes
) -> None:
    answer = post(api, file_with_three_bad_rows)
    assert answer.status == 422
    body = answer.json
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(7, "手机号"), (2000, "标签"), (4999, "常住人口")]
    assert body["errors"][0]["message"].startswith("须为11位手机号")
    assert "困难户" in body["errors"][1]["message"]
    assert body["error"]["code"] == "validation_failed"
    assert body["error"]["message"].startswith("文件中有 3 行有误，未写入任何数据")
    assert body["rows_total"] == 5000
    assert counts(api, QS)["households"] == 0
    assert api.get(f"/v1/units/{L01}/households", user="qs-village").json["items"] == []


def test_valid_rows_only_writes_the_rest_and_the_village_counts_follow(
    api: ApiClient, file_with_three_bad_rows: bytes
) -> None:
    answer = post(api, file_with_three_bad_rows, mode="valid_rows_only")
    assert answer.status == 202  # more than 2,000 rows: a background job
    assert answer.json["status"] == "queued"
    assert jobs.drain() == 1
    done = api.get(f"/v1/imports/{answer.json['id']}", user="qs-village").json
    assert (done["status"], done["written"], done["skipped"]) == ("done", 4997, 3)
    assert [e["row"] for e in done["errors"]] == [7, 2000, 4999]
    village = counts(api, QS)
    assert village["households"] == 4997
    expected = [r for i, r in enumerate(households(5000)) if i not in (5, 1998, 4997)]
    assert village["residents"] == sum(r[3] for r in expected)
    assert village["tags"] == {"elderly_alone": sum(1 for r in expected if r[5])}
    assert counts(api, L01)["households"] + counts(api, L02)["households"] == 4997
    assert counts(api, "430182")["households"] == 4997  # every unit up the chain moved
    page = api.get(f"/v1/units/{L01}/households?limit=1", user="qs-village").json["items"][0]
    assert page["phone"].count("*") == 4  # stored clear, shown masked


def test_gbk_csv_with_chinese_headers_imports(api: ApiClient) -> None:
    rows: list[list[Any]] = [
        HOUSEHOLD_HEADERS,
        [L01, "鹊山村第一组1号", "张良科", 4, "138 0013 8000", "独居老人、党员户", "腿脚不便"],
    ]
    answer = post(api, csv_bytes(rows, "gbk"), content_type="text/csv")
    assert answer.status == 201, answer.body
    assert (answer.json["status"], answer.json["written"], answer.json["errors"]) == ("done", 1, [])
    item = api.get(f"/v1/units/{L01}/households", user="qs-village").json["items"][0]
    assert (item["head_name"], item["address"], item["note"]) == ("张良科", "鹊山村第一组1号", "腿脚不便")
    assert item["tags"] == ["elderly_alone", "party_member_household"]
    assert counts(api, L01)["tags"] == {"elderly_alone": 1, "party_member_household": 1}


def test_utf8_csv_with_bom_as_excel_saves_it_imports(api: ApiClient) -> None:
    rows: list[list[Any]] = [HOUSEHOLD_HEADERS, [L02, "二号", "李四", 2, "", "elderly_alone", ""]]
    answer = post(api, "\ufeff".encode() + csv_bytes(rows), content_type="text/csv; charset=utf-8")
    assert answer.status == 201, answer.body
    assert counts(api, L02)["households"] == 1


def test_the_same_file_twice_writes_once(api: ApiClient) -> None:
    data = xlsx([HOUSEHOLD_HEADERS, *households(10)])
    first = post(api, data)
    again = post(api, data)
    assert (first.status, again.status) == (201, 200)
    assert again.json["replayed"] is True and again.json["id"] == first.json["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert counts(api, QS)["households"] == 10
    assert len(api.get(f"/v1/units/{QS}/households", user="qs-village").json["items"]) == 10
    assert len(import_events(first.json["id"])) == 1  # audited per file, not per row

    key = {"Idempotency-Key": "upload-1"}  # a client retry with a key replays too; another file is refused
    two_more = xlsx([HOUSEHOLD_HEADERS, *households(2, start=10)])
    keyed = post(api, two_more, headers=key)
    retried = post(api, two_more, headers=key)
    assert (keyed.status, retried.status, retried.json) == (201, 201, keyed.json)
    other_file = post(api, xlsx([HOUSEHOLD_HEADERS, *households(1, start=20)]), headers=key)
    assert (other_file.status, other_file.error_code) == (422, "idempotency_key_reused")
    assert counts(api, QS)["households"] == 12


def test_a_refused_file_may_be_imported_again_once_fixed_in_the_grid(api: ApiClient) -> None:
    data = xlsx([["上级编码", "本级编码", "名称"], [f"{QS}-P01-Z09", "L01", "第九组第一邻"]])
    refused = post(api, data, "units")
    assert refused.status == 422
    assert refused.json["errors"][0]["column"] == "上级编码"
    created = post(api, xlsx([["上级编码", "本级编码", "名称"], [f"{QS}-P01", "Z09", "第九组"]]), "units")
    assert created.status == 201, created.body
    assert post(api, data, "units").status == 201


def test_a_2500_row_file_runs_as_a_job_with_progress(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    update = imports.ImportModel.update

    def spy(self: imports.ImportModel, actions: list[Any], condition: Any = None, **kw: Any) -> Any:
        result = update(self, actions, condition, **kw)
        seen.append(int(self.rows_done))
        return result

    monkeypatch.setattr(imports.ImportModel, "update", spy)
    answer = post(api, xlsx([HOUSEHOLD_HEADERS, *households(2500)]))
    assert answer.status == 202
    assert answer.json["rows_total"] == 2500
    job = answer.json["id"]
    queued = api.get(f"/v1/imports/{job}", user="qs-village").json
    assert (queued["status"], queued["rows_done"], queued["written"]) == ("queued", 0, 0)
    assert counts(api, QS)["households"] == 0  # nothing written before the job runs

    jobs.enqueue("import", job)  # SQS delivers at least once: the second delivery finds the job taken
    assert jobs.drain() == 2
    assert seen == [0, 0, 500, 1000, 1500, 2000, 2500]  # upload key, claim, then every 500 rows
    done = api.get(f"/v1/imports/{job}", user="qs-village").json
    assert (done["status"], done["rows_done"], done["written"], done["errors"]) == ("done", 2500, 2500, [])
    assert counts(api, QS)["households"] == 2500
    assert jobs.drain() == 0
    assert [e.action for e in import_events(job)] == ["import.households"]


# -- units and appointments -------------------------------------------------------------------------------
def test_units_file_builds_a_subtree_parents_first_and_names_each_bad_row(api: ApiClient) -> None:
    rows = [
        ["上级编码", "本级编码", "名称"],
        [f"{QS}-P01", "Z03", "第三组"],  # 2
        [f"{QS}-P01-Z03", "L01", "第三组第一邻"],  # 3: its parent is row 2
        [f"{QS}-P01-Z03", "l02", "第三组第二邻"],  # 4: lower case is accepted
        [f"{QS}-P01-Z01-L01", "X1", "邻下不能再分"],  # 5: wrong level
        [f"{QS}-P01", "Z01", "第一组重复"],  # 6: exists already
        [f"{QS}-P01-Z03", "L01", "又一个第一邻"],  # 7: duplicate of row 3
        [f"{QS}-P01-Z04", "L01", "第四组第一邻"],  # 8: parent defined later, in row 9
        [f"{QS}-P01", "Z04", "第四组"],  # 9
        ["430182-ZF-QQH-P01", "Z01", "别人的组"],  # 10: outside the caller's scope
        [f"{QS}-P01", f"{QS}-P01", "自己"],  # 11: its own parent
        [f"{QS}-P01", "Z-5", ""],  # 12: bad code, no name
    ]
    refused = post(api, xlsx(rows), "units")
    assert refused.status == 422
    assert [(e["row"], e["column"]) for e in refused.json["errors"]] == [
        (5, "上级编码"),
        (6, "本级编码"),
        (7, "本级编码"),
        (8, "上级编码"),
        (10, "上级编码"),
        (11, "上级编码"),
        (12, "本级编码"),
        (12, "名称"),
    ]
    assert "第9行" in refused.json["errors"][3]["message"]
    assert UnitModel.count(f"{QS}-P01-Z03") == 0

    answer = post(api, xlsx(rows), "units", mode="valid_rows_only")
    assert answer.status == 201, answer.body
    assert (answer.json["written"], answer.json["skipped"]) == (4, 7)
    z03 = api.get(f"/v1/units/{QS}-P01-Z03", user="qs-village").json
    assert (z03["level"], z03["path"], z03["counts"]["children"], z03["version"]) == (
        "group", "430182/DCQ/QS/P01/Z03", 2, 1,
    )  # fmt: skip
    assert api.get(f"/v1/units/{QS}-P01-Z03-L02", user="qs-village").json["level"] == "neighbourhood"
    assert counts(api, f"{QS}-P01")["children"] == 4  # Z01, Z02 and the new Z03, Z04
    found = api.get("/v1/units?q=dsz", user="qs-village").json["items"]  # 第三组: pinyin initials
    assert f"{QS}-P01-Z03" in [u["code"] for u in found]


@pytest.mark.parametrize("mode", ["all_or_nothing", "valid_rows_only"])
def test_a_unit_created_while_the_file_is_written_is_kept_and_the_file_is_a_409(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Units go out two a transaction here (100 in production). After the check, a cadre creates 第五组 (Z05)
    through the API. The file's first chunk (Z03 and its 邻) is written, the second meets Z05: the file is a
    409 in either mode, its units are deleted again, and the cadre's 第五组 stays as she made it."""
    monkeypatch.setattr(imports, "TRANSACT_MAX", 2)
    checked = imports.Checker._units_plan

    def then_someone_creates(self: imports.Checker, sheet: imports.Sheet) -> imports.Plan:
        plan = checked(self, sheet)
        body = {"parent": f"{QS}-P01", "segment": "Z05", "name": "抢先建的第五组"}
        assert api.post("/v1/units", user="qs-village", body=body).status == 201
        return plan

    monkeypatch.setattr(imports.Checker, "_units_plan", then_someone_creates)
    children_before = counts(api, f"{QS}-P01")["children"]
    rows = [
        ["上级编码", "本级编码", "名称"],
        [f"{QS}-P01", "Z03", "第三组"],  # 2
        [f"{QS}-P01-Z03", "L01", "第三组第一邻"],  # 3
        [f"{QS}-P01", "Z04", "第四组"],  # 4
        [f"{QS}-P01", "Z05", "第五组"],  # 5: created meanwhile
    ]
    answer = post(api, xlsx(rows), "units", mode=mode)
    assert (answer.status, answer.error_code) == (409, "conflict"), answer.body
    assert answer.json["error"]["message"].startswith("第5行的单元刚刚已被他人创建")
    assert [f["path"] for f in answer.json["error"]["fields"]] == ["row 5/本级编码"]
    assert [UnitModel.count(f"{QS}-P01-{z}") for z in ("Z03", "Z03-L01", "Z04")] == [0, 0, 0]  # undone
    z05 = api.get(f"/v1/units/{QS}-P01-Z05", user="qs-village").json
    assert (z05["name"], z05["version"], z05["counts"]["children"]) == ("抢先建的第五组", 1, 0)
    assert counts(api, f"{QS}-P01")["children"] == children_before + 1  # the cadre's unit only
    assert api.get("/v1/units?q=dsz", user="qs-village").json["items"] == []  # no search term of 第三组
    monkeypatch.setattr(imports.Checker, "_units_plan", checked)
    again = post(api, xlsx(rows), "units", mode="valid_rows_only")  # uploaded again: Z05 is now a plain error
    assert again.status == 201, again.body
    assert (again.json["written"], [(e["row"], e["column"]) for e in again.json["errors"]]) == (3, [(5, "本级编码")])
    assert counts(api, f"{QS}-P01")["children"] == children_before + 3


def test_a_units_file_that_breaks_after_its_units_says_every_row_may_be_written(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The units are created, then the counters fail: the record says all 3 rows may be in the tables (each
    row counted once, though its unit and its search terms went out in two steps)."""

    def broken(self: imports.BulkWriter, plan: imports.Plan, rows: list[imports.Planned]) -> None:
        raise RuntimeError("DynamoDB went away")

    monkeypatch.setattr(imports.BulkWriter, "_counters", broken)
    rows = [["上级编码", "本级编码", "名称"], [f"{QS}-P01", "Z03", "第三组"], [f"{QS}-P01", "Z04", "第四组"],
            [f"{QS}-P01-Z03", "L01", "第三组第一邻"]]  # fmt: skip
    assert post(api, xlsx(rows), "units").status == 500
    (record,) = [r for r in imports.ImportModel.scan() if r.kind == "units"]
    assert (record.status, record.written) == ("failed", 3)
    assert record.message.startswith("导入中断，前 3 行可能已写入")


def test_appointments_file_sets_heads_once_per_unit(api: ApiClient) -> None:
    rows = [
        ["单元编码", "姓名", "手机号", "是否党员", "任职日期"],
        [L01, "张良科", "13800138000", "是", "2024-03-01"],
        [L02, "李春华", "13900139000", "否", "2024/3/5"],
        [L02, "王五", "13700137000", "否", "2024-03-05"],  # 4: a second head for L02
        [QS, "赵六", "13600136000", "否", "2024-03-05"],  # 5: a village has no 三长
        [f"{QS}-P01", "钱七", "1360013", "也许", "3月5日"],  # 6: bad phone, member flag and date
    ]
    refused = post(api, xlsx(rows), "appointments")
    assert [(e["row"], e["column"]) for e in refused.json["errors"]] == [
        (4, "单元编码"),
        (5, "单元编码"),
        (6, "手机号"),
        (6, "是否党员"),
        (6, "任职日期"),
    ]
    answer = post(api, xlsx(rows), "appointments", mode="valid_rows_only")
    assert answer.status == 201, answer.body
    heads = {c["code"]: c["head"] for c in api.get(f"/v1/units/{QS}-P01-Z01/heads", user="qs-village").json["chain"]}
    l01 = api.get(f"/v1/units/{L01}", user="qs-village").json
    assert (l01["head"]["person_name"], l01["head"]["role"], l01["head"]["phone"]) == (
        "张良科", "neighbour_head", "138****8000",
    )  # fmt: skip
    assert heads[QS] is None
    assert counts(api, QS)["heads"] == 2
    assert sorted(a.start for a in AppointmentModel.query(L02)) == ["2024-03-05"]

    again = post(api, xlsx([rows[0], [L01, "另一人", "13500135000", "否", "2024-04-01"]]), "appointments")
    assert again.status == 422
    assert "已有在任邻长（张良科）" in again.json["errors"][0]["message"]


# -- scope, size, types -----------------------------------------------------------------------------------
def test_rows_outside_the_callers_scope_are_refused(api: ApiClient) -> None:
    rows = [HOUSEHOLD_HEADERS, *households(1), ["430182-ZF-QQH-P01", "资福镇", "外人", 2, "", "", ""]]
    answer = post(api, xlsx(rows), user="jiang-dan")  # 石山村: neither row is hers
    assert answer.status == 422
    assert [(e["row"], e["column"]) for e in answer.json["errors"]] == [(2, "所在邻编码"), (3, "所在邻编码")]
    assert "不在您的管辖范围内" in answer.json["errors"][0]["message"]
    assert counts(api, QS)["households"] == 0


def test_missing_columns_are_named_and_nothing_is_imported_in_any_mode(api: ApiClient) -> None:
    answer = post(api, xlsx([["所在邻编码", "地址", "姓名"], [L01, "一号", "张三"]]), mode="valid_rows_only")
    assert answer.status == 422
    assert answer.json["errors"] == [
        {"row": 1, "column": "户主姓名", "message": "缺少必填列 / required column missing"},
        {"row": 1, "column": "常住人口", "message": "缺少必填列 / required column missing"},
    ]


def test_requests_that_are_not_a_readable_spreadsheet_get_clear_answers(api: ApiClient) -> None:
    too_big = post(api, b"a" * (10 * 1024 * 1024 + 1), content_type="text/csv")
    assert (too_big.status, too_big.error_code) == (413, "payload_too_large")

    json_body = api.post("/v1/imports?kind=households", user="qs-village", body={"rows": []})
    assert (json_body.status, json_body.error_code) == (415, "unsupported_media_type")
    error = json_body.json["error"]
    assert "text/csv" in error["message"] and XLSX in error["message"]
    assert error["fields"][0]["path"] == "header.Content-Type"

    broken = post(api, b"this is not a workbook")
    assert (broken.status, broken.json["error"]["message"]) == (400, "文件不是有效的 .xlsx 工作簿")

    unknown_kind = post(api, xlsx([HOUSEHOLD_HEADERS]), kind="people")
    assert unknown_kind.status == 422
    assert unknown_kind.json["error"]["fields"][0]["path"] == "query.kind"

    no_rows = post(api, xlsx([HOUSEHOLD_HEADERS]))
    assert no_rows.status == 422
    assert no_rows.json["errors"][0]["message"].startswith("文件中没有数据行")


def test_the_import_is_one_audit_event_and_visible_to_its_author_and_scopes_above(api: ApiClient) -> None:
    answer = post(api, xlsx([HOUSEHOLD_HEADERS, *households(3)]))
    events = import_events(answer.json["id"])
    assert len(events) == 1
    event = events[0]
    assert (event.action, event.entity_type, event.unit_path, event.actor_role) == (
        "import.households", "import", "430182/DCQ/QS", "village_cadre",
    )  # fmt: skip
    assert event.after_hash  # counts and the file's sha256, hashed like every audited state
    path = f"/v1/imports/{answer.json['id']}"
    assert api.get(path, user="qs-village").status == 200
    assert api.get(path, user="dcq-town").status == 200  # the town above sees its villages' imports
    assert api.get(path, user="jiang-dan").status == 404  # another village does not
    assert api.get(path, user="qs-area").status == 403  # an area head does not import at all


@pytest.mark.parametrize("mode", ["all_or_nothing", "valid_rows_only"])
def test_a_head_appointed_while_the_file_is_written_loses_only_its_row(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    checked = imports.Checker._appointments_plan

    def then_someone_appoints(self: imports.Checker, sheet: imports.Sheet) -> imports.Plan:
        plan = checked(self, sheet)
        body = {"person_name": "抢先", "phone": "13300133000", "start": "2024-02-01"}
        assert api.post(f"/v1/units/{L02}/appointments", user="qs-village", body=body).status == 201
        return plan

    monkeypatch.setattr(imports.Checker, "_appointments_plan", then_someone_appoints)
    rows = [
        list(imports.HEADERS["appointments"]),
        [f"{QS}-P01", "片长甲", "13800138001", "是", "2024-03-01"],
        [f"{QS}-P01-Z01", "组长乙", "13800138002", "否", "2024-03-01"],
        [L02, "邻长丙", "13800138003", "否", "2024-03-01"],  # row 4: L02 is taken meanwhile
    ]
    answer = post(api, xlsx(rows), "appointments", mode=mode)
    heads = {code: api.get(f"/v1/units/{code}", user="qs-village").json["head"] for code in (f"{QS}-P01", L02)}
    assert heads[L02]["person_name"] == "抢先"
    if mode == "all_or_nothing":
        assert (answer.status, answer.error_code) == (409, "conflict")
        assert answer.json["error"]["fields"][0]["path"] == "row 4/单元编码"
        assert heads[f"{QS}-P01"] is None  # undone
        assert counts(api, QS)["heads"] == 1  # only the one appointed meanwhile
    else:
        assert answer.status == 201, answer.body
        assert (answer.json["written"], [e["row"] for e in answer.json["errors"]]) == (2, [4])
        assert heads[f"{QS}-P01"]["person_name"] == "片长甲"
        assert counts(api, QS)["heads"] == 3
        assert counts(api, f"{QS}-P01-Z01")["heads"] == 2  # the group's head and 抢先 below it


def test_a_taken_unit_in_one_chunk_of_heads_leaves_the_other_chunks_and_every_count_right(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Heads go out two units a transaction here (100 in production): L01 and L02 share the first chunk, L02
    is taken meanwhile and cancels it; the chunk goes again with L01 alone, then the group and the area."""
    monkeypatch.setattr(imports, "TRANSACT_MAX", 2)
    checked = imports.Checker._appointments_plan

    def then_someone_appoints(self: imports.Checker, sheet: imports.Sheet) -> imports.Plan:
        plan = checked(self, sheet)
        body = {"person_name": "抢先", "phone": "13300133000", "start": "2024-02-01"}
        assert api.post(f"/v1/units/{L02}/appointments", user="qs-village", body=body).status == 201
        return plan

    monkeypatch.setattr(imports.Checker, "_appointments_plan", then_someone_appoints)
    rows = [
        list(imports.HEADERS["appointments"]),
        [f"{QS}-P01", "片长甲", "13800138001", "是", "2024-03-01"],
        [f"{QS}-P01-Z01", "组长乙", "13800138002", "否", "2024-03-01"],
        [L01, "邻长丁", "13800138004", "否", "2024-03-01"],
        [L02, "邻长丙", "13800138003", "否", "2024-03-01"],  # row 5: L02 is taken meanwhile
    ]
    answer = post(api, xlsx(rows), "appointments", mode="valid_rows_only")
    assert answer.status == 201, answer.body
    assert (answer.json["written"], [(e["row"], e["column"]) for e in answer.json["errors"]]) == (3, [(5, "单元编码")])
    names = {c: api.get(f"/v1/units/{c}", user="qs-village").json["head"]["person_name"] for c in (L01, L02)}
    assert names == {L01: "邻长丁", L02: "抢先"}
    assert [a.person_name for a in AppointmentModel.query(L02)] == ["抢先"]  # the lost row wrote no appointment
    expected = {L01: 1, L02: 1, f"{QS}-P01-Z01": 3, f"{QS}-P01": 4, QS: 4, "430182-DCQ": 4}
    assert {code: counts(api, code)["heads"] for code in expected} == expected


def test_the_same_appointments_file_again_changes_nothing(api: ApiClient) -> None:
    rows = [
        list(imports.HEADERS["appointments"]),
        [f"{QS}-P01-Z01", "组长乙", "13800138002", "否", "2024-03-01"],
        [L01, "邻长丁", "13800138004", "是", "2024-03-01"],
    ]
    book = xlsx(rows)  # once: a workbook's bytes carry the second it was saved, so a rebuilt file is another file
    first = post(api, book, "appointments")
    assert first.status == 201, first.body
    units_before = {c: UnitModel.get(c).serialize() for c in (L01, f"{QS}-P01-Z01", QS)}
    again = post(api, book, "appointments")
    assert (again.status, again.json["replayed"], again.json["id"]) == (200, True, first.json["id"])
    assert {c: UnitModel.get(c).serialize() for c in units_before} == units_before  # no count moved twice
    assert (counts(api, QS)["heads"], counts(api, f"{QS}-P01-Z01")["heads"]) == (2, 2)
    assert [a.person_name for a in AppointmentModel.query(L01)] == ["邻长丁"]
    assert len(import_events(first.json["id"])) == 1
