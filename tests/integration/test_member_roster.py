"""A branch's party roster (党员花名册) in and out: 鹊山村党支部's spreadsheet, every bad row named by row and
column, the good rows registered through the members' rules (masked, counted, audited), a retry that writes
nothing, and the roster exported with ID numbers and phones masked and no cell run as a formula."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import boto3
import openpyxl
import pytest

from chalicelib.core import jobs
from chalicelib.grid import imports
from chalicelib.grid.imports import HEADERS
from chalicelib.localstack.seed import DEMO_PARTY_HEADS, seed_demo_people
from tests.integration.test_grid_imports import XLSX, post
from tests.support import Answer, ApiClient

QS = "430182-DCQ-QS"
L01, L02 = f"{QS}-P01-Z01-L01", f"{QS}-P01-Z01-L02"
QQH_LEAF = "430182-ZF-QQH-P01-Z01-L01"
DOWNLOAD = {"Accept": XLSX}
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
FORMULA = '=HYPERLINK("http://evil.example","点我")'


def with_check(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


HU = with_check("43018219620304001")  # 胡明, a man (17th digit odd)
ZHANG = with_check("43018219700812003")  # 张良科
LI = with_check("43018219880520002")  # 李桂香, a woman
CHEN = with_check("43018219921111005")  # 陈志强
REGISTERED_HERE = with_check("43018219750101007")  # already a member in 鹊山村
REGISTERED_AWAY = with_check("43018219800202009")  # already a member in 清泉河村 (out of the cadre's scope)
BAD_CHECK = HU[:17] + ("0" if HU[17] != "0" else "1")


def person(name: str, gender: str, number: str, phone: str, home: tuple[str, str], **more: str) -> list[str]:
    """A roster row of 鹊山村党支部 (a full member since 2000 unless told otherwise); home: 邻 and address."""
    values = {"姓名": name, "性别": gender, "身份证号": number, "手机号": phone, "所在邻编码": home[0]}
    values |= {"住户地址": home[1], "党支部": "鹊山村党支部", "党员状态": "正式", "入党日期": "2000-07-01"}
    values |= more
    return [values.get(h, "") for h in HEADERS["members"]]


GOOD = [
    person(
        "胡明", "男", HU, "13807310001", (L01, "鹊山村第一组1号"), 出生日期="1962-03-04",
        入党日期="1990-07-01", 转正日期="1991-07-01",
    ),
    person("张良科", "男", ZHANG, "13807310002", (L01, "鹊山村第一组2号"), 户主姓名="张良科"),
    person("李桂香", "女", LI, "13807310003", (L01, "鹊山村第一组3号"), 党员状态="预备", 入党日期="2025-07-01"),
    person(
        "陈志强", "男", CHEN, "13807310006", (L02, "鹊山村第一组6号"), 党员状态="预备", 入党日期="2025-06-01",
        在职党员="是", 工作单位=FORMULA, 单位党组织="@SUM(1+1)",
    ),
]  # fmt: skip


def _bad() -> list[list[str]]:
    def row(**changes: str) -> list[str]:
        values = dict(zip(HEADERS["members"], GOOD[0], strict=True)) | changes
        return [values[h] for h in HEADERS["members"]]

    return [
        row(身份证号=BAD_CHECK, 出生日期=""),  # row 6: a wrong check digit
        row(身份证号=with_check("43018219620304011"), 出生日期="1962-03-05"),  # row 7: birth date disagrees
        row(身份证号=with_check("43018219620304021"), 性别="女", 出生日期=""),  # row 8: gender disagrees
        row(身份证号=ZHANG, 出生日期=""),  # row 9: the same person as row 3
        row(身份证号=REGISTERED_HERE, 出生日期=""),  # row 10: registered in the village already
        row(身份证号=REGISTERED_AWAY, 出生日期=""),  # row 11: registered in another town
        row(身份证号=with_check("43018219620304031"), 出生日期="", 所在邻编码=QQH_LEAF),  # row 12: out of scope
        row(身份证号=with_check("43018219620304041"), 出生日期="", 住户地址="鹊山村第一组99号"),  # row 13
        row(身份证号=with_check("43018219620304051"), 出生日期="", 党员状态="积极分子"),  # row 14
    ]


def roster_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([list(HEADERS["members"]), *rows])
    return out.getvalue().encode()


def _household(api: ApiClient, unit: str, address: str) -> str:
    body = {"unit": unit, "address": address, "head_name": "已登记", "residents": 2}
    answer = api.post("/v1/households", user="city-admin", body=body)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def _register(api: ApiClient, unit: str, number: str) -> None:
    body = {
        "name": "已登记", "gender": "male", "id_number": number, "phone": "13900000000", "branch": "某支部",
        "status": "full", "join_date": "2001-07-01", "household": _household(api, unit, f"{unit}号"),
    }  # fmt: skip
    assert api.post("/v1/members", user="city-admin", body=body).status == 201


@pytest.fixture
def village(api: ApiClient) -> ApiClient:
    """鹊山村 with its demo households, one member already registered there and one in 清泉河村."""
    seed_demo_people()
    _register(api, L02, REGISTERED_HERE)
    _register(api, QQH_LEAF, REGISTERED_AWAY)
    return api


def _members(api: ApiClient, code: str = QS, user: str = "qs-village") -> list[dict[str, Any]]:
    answer = api.get(f"/v1/units/{code}/members?limit=100", user=user)
    assert answer.status == 200, answer.body
    items: list[dict[str, Any]] = answer.json["items"]
    return items


def _count(api: ApiClient, code: str) -> int:
    return int(api.get(f"/v1/units/{code}", user="city-admin").json["counts"]["members"])


def test_the_report_names_every_bad_row_and_column_and_nothing_is_written(village: ApiClient) -> None:
    answer = post(village, roster_csv(GOOD + _bad()), "members", content_type="text/csv")
    assert answer.status == 422, answer.body
    errors = [(e["row"], e["column"]) for e in answer.json["errors"]]
    assert errors == [
        (6, "身份证号"),
        (7, "出生日期"),
        (8, "性别"),
        (9, "身份证号"),
        (10, "身份证号"),
        (11, "身份证号"),
        (12, "所在邻编码"),
        (13, "住户地址"),
        (14, "党员状态"),
    ]
    messages = {e["row"]: e["message"] for e in answer.json["errors"]}
    assert messages[6] == "校验位不正确 / wrong check digit"
    assert messages[7].startswith("出生日期与身份证号码不一致 / ")
    assert messages[8].startswith("性别与身份证号码不一致 / ")
    assert messages[9].startswith("与第3行的身份证号重复 / ")
    assert messages[10] == f"该党员已登记（{L02}） / already registered ({L02})"
    assert messages[11] == "该党员已在其他单位登记 / already registered in another unit"  # nothing of 资福镇
    assert "管辖范围" in messages[12]
    assert "该邻没有这户" in messages[13]
    assert all(n not in answer.body.decode() for n in (HU, ZHANG, REGISTERED_AWAY, "QQH", "资福"))
    assert answer.json["error"]["message"].startswith("文件中有 9 行有误，未写入任何数据")
    assert len(_members(village)) == 1  # the one registered before
    assert _count(village, QS) == 1


def test_validate_only_checks_and_writes_nothing(village: ApiClient) -> None:
    refused = post(village, roster_csv(GOOD + _bad()[:1]), "members", mode="validate_only", content_type="text/csv")
    assert (refused.status, [e["row"] for e in refused.json["errors"]]) == (422, [6])
    checked = post(village, roster_csv(GOOD), "members", mode="validate_only", content_type="text/csv")
    assert checked.status == 200, checked.body
    assert (checked.json["rows_total"], checked.json["written"], checked.json["errors"]) == (4, 0, [])
    assert "idempotent-replayed" not in checked.headers
    assert _count(village, QS) == 1
    # the real import of the same file is not taken for a replay of the check
    assert post(village, roster_csv(GOOD), "members", content_type="text/csv").json["written"] == 4


def test_commit_registers_the_good_rows_masked_counted_and_audited_and_a_retry_writes_nothing(
    village: ApiClient,
) -> None:
    data = roster_csv(GOOD + _bad())
    answer = post(village, data, "members", mode="valid_rows_only", content_type="text/csv")
    assert answer.status == 201, answer.body
    assert (answer.json["written"], answer.json["skipped"]) == (4, 9)
    members = {m["name"]: m for m in _members(village) if m["branch"] == "鹊山村党支部"}
    assert set(members) == {"胡明", "张良科", "李桂香", "陈志强"}
    hu = members["胡明"]
    assert hu["id_number"] == f"430182********{HU[-4:]}" and hu["phone"] == "138****0001"
    assert (hu["gender"], hu["birth_date"], hu["status"], hu["probation_end"]) == (
        "male",
        "1962-03-04",
        "full",
        "1991-07-01",
    )
    assert members["李桂香"]["probation_end"] == "2026-07-01"  # a year after joining
    assert members["陈志强"]["in_service"] and members["陈志强"]["workplace"] == FORMULA
    assert members["陈志强"]["unit"] == L02
    assert (_count(village, QS), _count(village, L01), _count(village, L02)) == (5, 3, 2)
    # the city counts the one in 清泉河村 too, and the demo's party-member 三长 of 梅家田社区 and 新塘村
    assert _count(village, "430182") == 6 + len(DEMO_PARTY_HEADS)
    household = boto3.client("dynamodb").get_item(TableName="test-households", Key={"id": {"S": hu["household"]}})
    assert household["Item"]["members"]["N"] == "1"
    # one member.create event per member, and one event for the file
    events = village.get(f"/v1/audit?entity_type=member&entity_id={hu['id']}", user="auditor").json["items"]
    assert [e["action"] for e in events] == ["member.create"]
    file_events = village.get(f"/v1/audit?entity_type=import&entity_id={answer.json['id']}", user="auditor")
    assert [e["action"] for e in file_events.json["items"]] == ["import.members"]
    # no clear ID number stored anywhere
    dynamo = boto3.client("dynamodb")
    for table in ("test-members", "test-member-ids", "test-audit", "test-imports"):
        dumped = json.dumps(dynamo.scan(TableName=table)["Items"], ensure_ascii=False)
        assert all(n not in dumped for n in (HU, ZHANG, LI, CHEN)), table

    # the same file again: the first answer, nothing written
    replay = post(village, data, "members", mode="valid_rows_only", content_type="text/csv")
    assert (replay.status, replay.json["replayed"], replay.headers.get("idempotent-replayed")) == (200, True, "true")
    # the same people by another cadre, or a fixed file: every good row is now "already registered"
    again = post(village, data, "members", mode="valid_rows_only", user="dcq-town", content_type="text/csv")
    assert again.status == 422
    assert {e["row"] for e in again.json["errors"]} == set(range(2, 15))
    assert [e["message"] for e in again.json["errors"] if e["row"] == 2] == [
        f"该党员已登记（{L01}） / already registered ({L01})"
    ]
    assert _count(village, QS) == 5 and len(_members(village)) == 5


def test_a_group_head_registers_members_one_by_one_but_does_not_import_rosters(village: ApiClient) -> None:
    assert post(village, roster_csv(GOOD), "members", user="qs-group", content_type="text/csv").status == 403


def test_the_roster_exports_masked_with_formulas_neutralised_and_scoped(village: ApiClient) -> None:
    assert post(village, roster_csv(GOOD), "members", content_type="text/csv").status == 201
    answer = village.get(f"/v1/units/{QS}/members/export", user="qs-village", headers=DOWNLOAD)
    assert answer.status == 200, answer.body[:300]
    assert answer.headers["content-type"] == XLSX
    assert "attachment" in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.body))
    assert book.sheetnames == ["党员花名册"]
    rows = [tuple(r) for r in book["党员花名册"].iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    assert header[:5] == ("姓名", "性别", "出生日期", "身份证号", "手机号")
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert set(by_name) == {"胡明", "张良科", "李桂香", "陈志强", "已登记"}
    hu = by_name["胡明"]
    assert (hu["身份证号"], hu["手机号"], hu["性别"]) == (f"430182********{HU[-4:]}", "138****0001", "男")
    assert (hu["住户地址"], hu["户主姓名"], hu["所在单元"], hu["党员状态"]) == (
        "鹊山村第一组1号",
        "胡明",
        "第一邻",
        "正式党员",
    )
    chen = by_name["陈志强"]
    assert (chen["工作单位"], chen["单位党组织"], chen["在职党员"]) == ("'" + FORMULA, "'@SUM(1+1)", "是")
    assert not any(c.data_type == "f" for row in book["党员花名册"].iter_rows() for c in row)
    cells = json.dumps(rows, ensure_ascii=False, default=str)
    assert all(n not in cells for n in (HU, ZHANG, LI, CHEN, "13807310001"))
    # filters, and the scope: a group sees its own, another town sees nothing
    full = _export_names(village, f"{QS}/members/export?status=full")
    assert full == {"胡明", "张良科", "已登记"}
    assert _export_names(village, f"{L02}/members/export", user="qs-group") == {"陈志强", "已登记"}
    assert village.get(f"/v1/units/{QS}/members/export", user="zf-town", headers=DOWNLOAD).status == 404
    assert village.get(f"/v1/units/{QQH_LEAF}/members/export", user="qs-village", headers=DOWNLOAD).status == 404


def _export_names(api: ApiClient, tail: str, user: str = "qs-village") -> set[str]:
    answer: Answer = api.get(f"/v1/units/{tail}", user=user, headers=DOWNLOAD)
    assert answer.status == 200, answer.body[:300]
    book = openpyxl.load_workbook(io.BytesIO(answer.body))
    return {str(r[0]) for r in list(book.worksheets[0].iter_rows(values_only=True))[1:]}


def test_the_members_template_opens_and_its_example_row_imports_as_is(village: ApiClient) -> None:
    answer = village.get("/v1/imports/templates/members", user="qs-village", headers=DOWNLOAD)
    assert answer.status == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.body))
    data, notes = book.worksheets
    rows = [tuple(r) for r in data.iter_rows(values_only=True)]
    assert (data.title, notes.title, rows[0]) == ("党员花名册", "说明", HEADERS["members"])
    imported = post(village, answer.body, "members")
    assert imported.status == 201, imported.body[:500]
    assert any(m["name"] == "胡明" for m in _members(village, L01))


def test_a_long_roster_runs_as_a_job_with_the_same_rules(village: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "JOB_THRESHOLD", 2)
    answer = post(village, roster_csv(GOOD), "members", content_type="text/csv")
    assert (answer.status, answer.json["status"]) == (202, "queued")
    assert jobs.drain() == 1
    done = village.get(f"/v1/imports/{answer.json['id']}", user="qs-village").json
    assert (done["status"], done["written"], done["skipped"]) == ("done", 4, 0)
    assert _count(village, QS) == 5
    events = village.get(f"/v1/audit?entity_type=import&entity_id={answer.json['id']}", user="auditor").json
    assert [e["action"] for e in events["items"]] == ["import.members"]
