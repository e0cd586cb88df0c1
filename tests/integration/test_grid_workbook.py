"""A grid in one workbook (kind=grid): a village's new 片 with its 组, 邻, households and 三长 in the sheets
单元, 住户 and 任职 (or a ZIP of CSV files), checked as a whole, each error named by sheet and row, and
counted exactly as the same rows in three separate files are."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import openpyxl
import pytest

from chalicelib.core import clock, jobs
from chalicelib.grid import imports
from chalicelib.grid.store import AppointmentModel, HouseholdModel, UnitModel
from tests.integration.test_grid_imports import HOUSEHOLD_HEADERS, XLSX, counts, csv_bytes, post
from tests.support import ApiClient

QS = "430182-DCQ-QS"
UNIT_HEADERS = ["上级编码", "本级编码", "名称"]
HEAD_HEADERS = ["单元编码", "姓名", "手机号", "是否党员", "任职日期"]


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_zip(files: dict[str, list[list[Any]]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, rows in files.items():
            z.writestr(name, csv_bytes(rows))
    return out.getvalue()


def area_rows(area: str) -> dict[str, list[list[Any]]]:
    """A new 片 under 鹊山村 with two 组 of two 邻, seven households (some tagged) and five heads."""
    p = f"{QS}-{area}"
    units = [[QS, area, "新片"], [p, "Z01", "第一组"], [p, "Z02", "第二组"]]
    units += [[f"{p}-{z}", n, f"第{n}邻"] for z in ("Z01", "Z02") for n in ("L01", "L02")]
    homes = [
        [f"{p}-{z}-{n}", f"{area}{z}{n}-{i}号", f"户主{z}{n}{i}", 1 + i, "", "独居老人" if i == 0 else "", ""]
        for z, n, many in (("Z01", "L01", 2), ("Z01", "L02", 1), ("Z02", "L01", 3), ("Z02", "L02", 1))
        for i in range(many)
    ]
    heads = [
        [p, "谢建华", "13973100001", "是", "2024-03-01"],
        [f"{p}-Z01", "周海林", "13973100002", "是", "2024-03-01"],
        [f"{p}-Z02", "彭建军", "13973100003", "否", "2024-03-01"],
        [f"{p}-Z01-L01", "周秀英", "13973100004", "否", "2024-03-01"],
        [f"{p}-Z02-L02", "胡明", "13973100005", "是", "2024-03-01"],
    ]
    return {"units": [UNIT_HEADERS, *units], "households": [HOUSEHOLD_HEADERS, *homes], "appointments": [
        HEAD_HEADERS, *heads]}  # fmt: skip


def subtree(api: ApiClient, area: str) -> dict[str, Any]:
    """What a cadre sees of each unit of the 片, by its code below the 片: counts and head."""
    out: dict[str, Any] = {}
    for below in ("", "-Z01", "-Z02", "-Z01-L01", "-Z01-L02", "-Z02-L01", "-Z02-L02"):
        unit = api.get(f"/v1/units/{QS}-{area}{below}", user="qs-village").json
        head = unit["head"]
        out[below] = (unit["counts"], head and (head["person_name"], head["role"], head["phone"]))
    return out


def test_a_new_area_in_one_workbook_counts_as_the_same_rows_in_three_files(api: ApiClient) -> None:
    before = counts(api, QS)
    for kind in ("units", "households", "appointments"):  # P07: three files, one after another
        answer = post(api, csv_bytes(area_rows("P07")[kind]), kind, content_type="text/csv")
        assert answer.status == 201, answer.body
    as_sheets = {label: area_rows("P08")[kind] for kind, label in imports.GRID_SHEETS}
    answer = post(api, workbook(as_sheets), "grid")  # P08: one workbook
    assert answer.status == 201, answer.body
    assert (answer.json["kind"], answer.json["rows_total"], answer.json["written"]) == ("grid", 19, 19)
    as_csvs = {f"{kind}.csv": rows for kind, rows in area_rows("P09").items()}
    answer = post(api, csv_zip(as_csvs), "grid", content_type="application/zip")  # P09: a ZIP of CSVs
    assert answer.status == 201, answer.body

    three_files = subtree(api, "P07")
    assert three_files[""] == (
        {"households": 7, "residents": 11, "members": 0, "heads": 5, "children": 2, "tags": {"elderly_alone": 4}},
        ("谢建华", "area_head", "139****0001"),
    )
    assert three_files["-Z02-L01"][0]["households"] == 3
    assert subtree(api, "P08") == three_files
    assert subtree(api, "P09") == three_files
    after = counts(api, QS)
    assert (after["households"], after["heads"], after["children"]) == (
        before["households"] + 21, before["heads"] + 15, before["children"] + 3,
    )  # fmt: skip
    assert counts(api, "430182-DCQ")["households"] == counts(api, "430182-DCQ", user="city-admin")["households"]
    homes = list(HouseholdModel.by_path.query("430182", HouseholdModel.path_key.startswith("430182/DCQ/QS/P08/")))
    heads = [a for code in (f"{QS}-P08", f"{QS}-P08-Z01") for a in AppointmentModel.query(code)]
    assert len(homes) == 7 and len({h.id for h in homes} | {a.id for a in heads}) == 9  # no id shared by sheets


def test_each_error_names_its_sheet_and_row_and_nothing_is_written(api: ApiClient) -> None:
    rows = area_rows("P06")
    rows["units"][3][1] = "z-2"  # 单元 row 4: a bad code, so Z02 and its 邻 do not exist
    rows["households"][2][3] = 0  # 住户 row 3: no residents
    before = counts(api, QS)
    refused = post(api, workbook({label: rows[kind] for kind, label in imports.GRID_SHEETS}), "grid")
    assert refused.status == 422
    errors = [(e["sheet"], e["row"], e["column"]) for e in refused.json["errors"]]
    assert errors == [
        ("单元", 4, "本级编码"),
        ("单元", 7, "上级编码"),  # Z02-L01: its parent's row is in error
        ("单元", 8, "上级编码"),
        ("住户", 3, "常住人口"),
        ("住户", 5, "所在邻编码"),  # the three households of Z02-L01
        ("住户", 6, "所在邻编码"),
        ("住户", 7, "所在邻编码"),
        ("住户", 8, "所在邻编码"),  # and the one of Z02-L02
        ("任职", 4, "单元编码"),  # Z02's head
        ("任职", 6, "单元编码"),  # Z02-L02's
    ]
    assert refused.json["error"]["fields"][3]["path"] == "住户/row 3/常住人口"
    assert "10 行有误" in refused.json["error"]["message"]
    assert counts(api, QS) == before
    assert UnitModel.count(f"{QS}-P06") == 0

    written = post(api, workbook({label: rows[kind] for kind, label in imports.GRID_SHEETS}), "grid",
                   mode="valid_rows_only")  # fmt: skip
    assert written.status == 201, written.body
    assert (written.json["written"], written.json["skipped"]) == (19 - 10, 10)
    p06 = api.get(f"/v1/units/{QS}-P06", user="qs-village").json
    assert (p06["counts"]["households"], p06["counts"]["heads"], p06["counts"]["children"]) == (2, 3, 1)


def test_heads_of_units_that_existed_keep_their_condition(api: ApiClient) -> None:
    taken = post(api, csv_bytes([HEAD_HEADERS, [f"{QS}-P01-Z01-L01", "张良科", "13800138000", "是", "2024-03-01"]]),
                 "appointments", content_type="text/csv")  # fmt: skip
    assert taken.status == 201
    rows = {
        "任职": [
            HEAD_HEADERS,
            [f"{QS}-P01-Z01-L01", "另一人", "13500135000", "否", "2024-04-01"],  # 2: L01 has its 邻长
            [f"{QS}-P01-Z01-L02", "李春华", "13900139000", "否", "2024-04-01"],  # 3: an existing unit, free
            [f"{QS}-P01-Z01-L03", "王五", "13700137000", "否", "2024-04-01"],  # 4: new in this workbook
        ],
        "单元": [UNIT_HEADERS, [f"{QS}-P01-Z01", "L03", "第三邻"]],
    }
    refused = post(api, workbook(rows), "grid")
    assert [(e["sheet"], e["row"]) for e in refused.json["errors"]] == [("任职", 2)]
    assert "已有在任邻长（张良科）" in refused.json["errors"][0]["message"]
    heads_before = counts(api, QS)["heads"]
    del rows["任职"][1]
    assert post(api, workbook(rows), "grid").status == 201
    assert counts(api, QS)["heads"] == heads_before + 2
    z01 = api.get(f"/v1/units/{QS}-P01-Z01", user="qs-village").json
    assert (z01["counts"]["heads"], z01["counts"]["children"]) == (3, 3)
    l03 = api.get(f"/v1/units/{QS}-P01-Z01-L03", user="qs-village").json
    assert (l03["head"]["person_name"], l03["head"]["phone"]) == ("王五", "137****7000")


@pytest.mark.parametrize("meanwhile", ["a new unit is created", "an existing unit gets a head"])
def test_a_race_with_a_cadre_leaves_her_change_and_nothing_of_the_workbook(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch, meanwhile: str
) -> None:
    """After the check and before the write, a cadre either creates the workbook's last unit (第五组 under the
    existing P01) through the API, or appoints a 邻长 to an existing 邻 the workbook also appoints
    (all_or_nothing). Units go out two a transaction here, so P07's first units are written before the race
    is met. Either way the workbook is a 409, its new units are deleted again, no household of it is
    written, and the counts move by the cadre's change only."""
    monkeypatch.setattr(imports, "TRANSACT_MAX", 2)
    checked = imports.Checker._grid_plan
    existing = f"{QS}-P01-Z01-L02"

    def then_the_cadre(self: imports.Checker, book: dict[str, imports.Sheet]) -> imports.Plan:
        plan = checked(self, book)
        if meanwhile == "a new unit is created":
            body = {"parent": f"{QS}-P01", "segment": "Z05", "name": "抢先建的第五组"}
            assert api.post("/v1/units", user="qs-village", body=body).status == 201
        else:
            body = {"person_name": "抢先", "phone": "13300133000", "start": "2024-02-01"}
            assert api.post(f"/v1/units/{existing}/appointments", user="qs-village", body=body).status == 201
        return plan

    monkeypatch.setattr(imports.Checker, "_grid_plan", then_the_cadre)
    rows = area_rows("P07")
    rows["units"].append([f"{QS}-P01", "Z05", "第五组"])  # row 9
    rows["appointments"].append([existing, "李春华", "13900139000", "否", "2024-04-01"])  # row 7
    before, p01_before = counts(api, QS), counts(api, f"{QS}-P01")
    mode = "valid_rows_only" if meanwhile == "a new unit is created" else "all_or_nothing"
    book = workbook({"单元": rows["units"], "住户": rows["households"], "任职": rows["appointments"]})
    answer = post(api, book, "grid", mode=mode)
    assert (answer.status, answer.error_code) == (409, "conflict"), answer.body
    assert [f["path"] for f in answer.json["error"]["fields"]] == (
        ["单元/row 9/本级编码"] if meanwhile == "a new unit is created" else ["任职/row 7/单元编码"]
    )
    below = ("", "-Z01", "-Z02", "-Z01-L01", "-Z01-L02", "-Z02-L01", "-Z02-L02")
    assert [c for c in below if UnitModel.count(f"{QS}-P07{c}")] == []  # written, then deleted again
    assert list(HouseholdModel.scan(HouseholdModel.unit_path.startswith("430182/DCQ/QS/P07"))) == []
    after, p01_after = counts(api, QS), counts(api, f"{QS}-P01")
    assert (after["households"], after["children"]) == (before["households"], before["children"])
    cadre = {"a new unit is created": (0, 1), "an existing unit gets a head": (1, 0)}[meanwhile]
    assert (after["heads"], p01_after["children"]) == (before["heads"] + cadre[0], p01_before["children"] + cadre[1])
    if meanwhile == "a new unit is created":
        assert api.get(f"/v1/units/{QS}-P01-Z05", user="qs-village").json["name"] == "抢先建的第五组"


def test_the_grid_template_imports_as_it_is_and_a_second_upload_replays(api: ApiClient) -> None:
    template = api.get("/v1/imports/templates/grid", user="qs-village", headers={"Accept": XLSX})
    assert template.status == 200
    book = openpyxl.load_workbook(io.BytesIO(template.body), read_only=True)
    assert book.sheetnames == ["单元", "住户", "任职", "说明"]
    first = post(api, template.body, "grid")
    assert first.status == 201, first.body
    assert first.json["written"] == 5
    z09 = api.get(f"{'/v1/units/'}{QS}-P01-Z09", user="qs-village").json
    assert (z09["name"], z09["head"]["person_name"], z09["counts"]["households"]) == ("第九组", "李春华", 1)
    again = post(api, template.body, "grid")
    assert (again.status, again.json["replayed"], again.headers.get("idempotent-replayed")) == (200, True, "true")
    assert counts(api, f"{QS}-P01-Z09")["households"] == 1


@pytest.mark.parametrize(
    ("data", "content_type", "says"),
    [
        (csv_bytes([UNIT_HEADERS, [QS, "P05", "第五片"]]), "text/csv", "网格工作簿须为 .xlsx"),
        (csv_zip({"units.csv": [UNIT_HEADERS], "notes.csv": [["x"]]}), "application/zip", "“notes”无法识别"),
        (workbook({"Sheet1": [UNIT_HEADERS, [QS, "P05", "第五片"]]}), XLSX, "“Sheet1”无法识别"),
        (csv_zip({"units.csv": [UNIT_HEADERS], "单元.csv": [UNIT_HEADERS]}), "application/zip", "“单元”重复"),
    ],
    ids=["csv", "zip-with-another-file", "sheet-not-named", "two-units-sheets"],
)
def test_a_file_that_is_not_a_grid_workbook_gets_a_clear_answer(
    api: ApiClient, data: bytes, content_type: str, says: str
) -> None:
    answer = post(api, data, "grid", content_type=content_type)
    assert answer.status == 400
    assert says in answer.json["error"]["message"]
    assert UnitModel.count(f"{QS}-P05") == 0


def test_an_empty_workbook_is_refused_and_a_big_one_runs_as_a_job(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = post(api, workbook({"单元": [UNIT_HEADERS], "住户": [HOUSEHOLD_HEADERS]}), "grid")
    assert empty.status == 422
    assert "工作簿中没有数据行" in empty.json["errors"][0]["message"]

    monkeypatch.setattr(imports, "JOB_THRESHOLD", 10)
    queued = post(api, workbook({label: area_rows("P04")[kind] for kind, label in imports.GRID_SHEETS}), "grid")
    assert queued.status == 202, queued.body
    jobs.drain()
    done = api.get(f"/v1/imports/{queued.json['id']}", user="qs-village").json
    assert (done["status"], done["written"], done["rows_total"]) == ("done", 19, 19)
    assert subtree(api, "P04")[""][0]["households"] == 7


class Killed(BaseException):
    """The jobs function stopped by its timeout: no `except Exception` of the job runs."""


def test_a_job_stopped_by_its_timeout_is_reported_failed_once_it_cannot_be_running(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job dies after creating P04's units and before its households: it stays `running` while the jobs
    function could still be at work (15 minutes), then reads as failed, with how many rows may have been
    written; the same file uploaded again replays that, instead of running a second time over the first."""
    monkeypatch.setattr(imports, "JOB_THRESHOLD", 10)
    book = workbook({label: area_rows("P04")[kind] for kind, label in imports.GRID_SHEETS})
    queued = post(api, book, "grid")
    assert queued.status == 202, queued.body
    path = f"/v1/imports/{queued.json['id']}"

    def killed(self: imports.BulkWriter, rows: list[imports.Planned]) -> None:
        raise Killed

    monkeypatch.setattr(imports.BulkWriter, "_put_all", killed)
    with pytest.raises(Killed):
        jobs.drain()
    assert UnitModel.count(f"{QS}-P04") == 1  # its units were written before it died
    assert api.get(path, user="qs-village").json["status"] == "running"

    started = clock.utc_now()
    monkeypatch.setattr(clock, "utc_now", lambda: started + timedelta(minutes=15))
    assert api.get(path, user="qs-village").json["status"] == "running"  # the function may still be at work
    monkeypatch.setattr(clock, "utc_now", lambda: started + timedelta(minutes=17))
    stopped = api.get(path, user="dcq-town").json  # whoever reads it first
    assert (stopped["status"], stopped["written"], stopped["rows_total"]) == ("failed", 19, 19)
    assert stopped["message"].startswith("导入中断（17 分钟无进展），前 19 行可能已写入，请联系管理员核对")
    assert api.get(path, user="qs-village").json == stopped  # settled once
    again = post(api, book, "grid")
    assert (again.status, again.json["status"], again.json["replayed"]) == (200, "failed", True)
