"""Excel out: a subtree's units and households with phones masked unless a purpose is named (and audited),
no cell a spreadsheet would run as a formula, and import templates that open and import as they are."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from chalicelib.core.audit import AuditEventModel
from chalicelib.grid import export
from chalicelib.grid.imports import HEADERS
from tests.integration.test_grid_imports import HOUSEHOLD_HEADERS, L01, L02, QS, XLSX, post
from tests.support import Answer, ApiClient

DOWNLOAD = {"Accept": XLSX}
RISKY = [
    [L01, '=HYPERLINK("http://evil.example","点我")', "张良科", 4, "13800138000", "独居老人", "@SUM(1+1)"],
    [L02, "鹊山村第一组3号", "+李四", 2, "13900139000", "", "-2+3"],
    [L02, "鹊山村第一组5号", "王五", 1, "", "", "=cmd|' /C calc'!A0"],
]


def _csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _seed(api: ApiClient) -> None:
    assert post(api, _csv([HOUSEHOLD_HEADERS, *RISKY]), content_type="text/csv").status == 201
    head = [list(HEADERS["appointments"]), [L01, "张良科", "13800138000", "是", "2024-03-01"]]
    assert post(api, _csv(head), "appointments", content_type="text/csv").status == 201


def _export(api: ApiClient, code: str, user: str = "qs-village", query: str = "") -> Answer:
    return api.get(f"/v1/units/{code}/export{query}", user=user, headers=DOWNLOAD)


def _book(answer: Answer) -> Workbook:
    assert answer.status == 200, answer.body[:300]
    assert answer.headers["content-type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(answer.body))


def _rows(book: Workbook, sheet: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]


def test_export_has_units_and_households_with_phones_masked_for_every_role(api: ApiClient) -> None:
    _seed(api)
    answer = _export(api, QS)
    assert "attachment" in answer.headers["content-disposition"]
    book = _book(answer)
    assert book.sheetnames == ["单元", "住户"]
    units = _rows(book, "单元")
    assert units[0] == ("编码", "名称", "层级", "上级", "户数", "人口", "三长")
    by_code = {r[0]: r for r in units[1:]}
    assert by_code[QS][1:6] == ("鹊山村", "村/社区", "430182-DCQ", 3, 7)
    assert by_code[L01][6] == "邻长 张良科 138****8000"
    people = _rows(book, "住户")
    assert people[0] == ("所在邻编码", "所在单元", "地址", "户主姓名", "常住人口", "手机号", "标签", "备注")
    phones = sorted(str(r[5] or "") for r in people[1:])
    assert phones == ["", "138****8000", "139****9000"]
    for user, code in (("city-admin", QS), ("zhang-liangke", L01)):
        other = _rows(_book(_export(api, code, user=user)), "住户")
        assert {r[5] or "" for r in other[1:]} <= {"", "138****8000", "139****9000"}


def test_no_cell_runs_as_a_formula(api: ApiClient) -> None:
    _seed(api)
    book = _book(_export(api, QS))
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)
    people = {r[3]: r for r in _rows(book, "住户")[1:]}
    assert people["张良科"][2] == '\'=HYPERLINK("http://evil.example","点我")'
    assert people["张良科"][7] == "'@SUM(1+1)"
    assert people["'+李四"][7] == "'-2+3"
    assert people["王五"][7] == "'=cmd|' /C calc'!A0"
    assert people["张良科"][6] == "独居老人"  # tags by their Chinese names


def test_clear_phones_only_with_a_purpose_and_an_audit_event(api: ApiClient) -> None:
    _seed(api)
    no_purpose = _export(api, QS, query="?unmask=true")
    assert no_purpose.status == 422
    assert no_purpose.json["error"]["fields"][0]["path"].startswith("query")
    assert not [e for e in AuditEventModel.query(f"unit#{QS}") if "export" in e.action]

    book = _book(_export(api, QS, query="?unmask=true&purpose=contact_card"))
    assert sorted(str(r[5] or "") for r in _rows(book, "住户")[1:]) == ["", "13800138000", "13900139000"]
    assert {r[0]: r[6] for r in _rows(book, "单元")[1:]}[L01] == "邻长 张良科 13800138000"
    events = [e for e in AuditEventModel.query(f"unit#{QS}") if "export" in e.action]
    assert [(e.action, e.actor_role, e.unit_path) for e in events] == [
        ("unit.export_unmask:contact_card", "village_cadre", "430182/DCQ/QS")
    ]


def test_export_refuses_other_scopes_a_missing_accept_and_a_subtree_too_big(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _export(api, QS, user="jiang-dan").status == 404
    answer = api.get(f"/v1/units/{QS}/export", user="qs-village")
    assert (answer.status, answer.error_code) == (406, "not_acceptable")
    assert answer.json["error"]["fields"][0]["path"] == "header.Accept"
    assert api.get(f"/v1/units/{QS}/export", user="qs-village", headers={"Accept": "*/*"}).status == 200
    _seed(api)
    monkeypatch.setattr(export, "MAX_EXPORT_HOUSEHOLDS", 2)  # stands for the 6 MB a Lambda answer may hold
    too_big = _export(api, QS)
    assert (too_big.status, too_big.json["error"]["fields"][0]["path"]) == (422, "path.code")
    assert "请按镇或村分别导出" in too_big.json["error"]["message"]
    assert _export(api, L01).status == 200


def test_templates_open_with_headers_notes_and_an_example_that_imports_as_is(api: ApiClient) -> None:
    for kind in ("units", "households", "appointments"):
        answer = api.get(f"/v1/imports/templates/{kind}", user="qs-village", headers=DOWNLOAD)
        book = _book(answer)
        data, notes = book.worksheets
        assert notes.title == "说明"
        rows = [tuple(r) for r in data.iter_rows(values_only=True)]
        assert rows[0] == HEADERS[kind]
        assert len(rows) == 2  # one example row
        explained = [r[0] for r in notes.iter_rows(values_only=True)]
        assert set(HEADERS[kind]) <= set(explained)
        if kind == "households":
            assert "elderly_alone" in explained  # the tag catalogue, codes and names
        imported = post(api, answer.body, kind)
        assert imported.status == 201, (kind, imported.body[:500])
    assert api.get("/v1/imports/templates/people", user="qs-village", headers=DOWNLOAD).status == 404
