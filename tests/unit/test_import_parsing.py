"""Reading what Excel and WPS actually save: encodings, numbers for phones, date cells, blank rows, and the
cell text that would run as a formula when a file goes back out."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import openpyxl
import pytest

from chalicelib.core.errors import BadRequest
from chalicelib.grid.export import safe
from chalicelib.grid.import_schemas import CSV, XLSX, ExportQuery
from chalicelib.grid.imports import HEADERS, cell_text, read_book, read_file

HEADER = ",".join(HEADERS["households"])


def test_gbk_utf8_and_utf8_with_bom_csv_read_the_same() -> None:
    text = f"{HEADER}\r\n430182-DCQ-QS-P01-Z01-L01,鹊山村1号,张良科,4,13800138000,独居老人、党员户,\r\n"
    sheets = [read_file(data, CSV) for data in (text.encode("gbk"), text.encode(), "\ufeff".encode() + text.encode())]
    assert all(s.headers == list(HEADERS["households"]) for s in sheets)
    assert all(s.rows == sheets[0].rows for s in sheets)
    number, cells = sheets[0].rows[0]
    assert number == 2
    assert (cells["户主姓名"], cells["标签"], cells["备注"]) == ("张良科", "独居老人、党员户", "")


def test_row_numbers_are_the_spreadsheets_even_across_blank_rows() -> None:
    text = f"{HEADER}\n,,,,,,\nL,地址,甲,1,,,\n\nL,地址,乙,1,,,\n"
    assert [n for n, _ in read_file(text.encode(), CSV).rows] == [3, 5]


def test_headers_tolerate_stars_spaces_and_a_byte_order_mark() -> None:
    sheet = read_file("\ufeff 所在邻编码* ,\u3000地址＊\n".encode(), CSV)
    assert sheet.headers == ["所在邻编码", "地址"]


def _xlsx(*rows: list[object]) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_numbers_and_dates_read_as_a_cadre_typed_them() -> None:
    data = _xlsx(["手机号", "常住人口", "任职日期", "是否党员"], [13800138000, 4.0, datetime(2024, 3, 1), True])
    sheet = read_file(data, XLSX)
    assert sheet.rows == [(2, {"手机号": "13800138000", "常住人口": "4", "任职日期": "2024-03-01", "是否党员": "是"})]


def test_an_xlsx_sent_as_csv_is_still_read_as_a_workbook() -> None:
    assert read_file(_xlsx(["名称"], ["第一组"]), CSV).rows == [(2, {"名称": "第一组"})]


@pytest.mark.parametrize(
    ("data", "media", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, XLSX, "不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV"),
        (b"plain text", XLSX, "文件不是有效的 .xlsx 工作簿"),
        (b"PK\x03\x04broken", XLSX, "文件不是有效的 .xlsx 工作簿"),
    ],
)
def test_unreadable_files_are_a_400_saying_why(data: bytes, media: str, message: str) -> None:
    with pytest.raises(BadRequest) as e:
        read_file(data, media)
    assert e.value.message == message


def test_cell_text() -> None:
    assert [cell_text(v) for v in (None, " 张三 ", 3.0, 3.5, 7, False, "\u3000甲\u3000")] == [
        "", "张三", "3", "3.5", "7", "否", "甲",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["=1+2", "+8613800138000", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_text_that_would_run_as_a_formula_gets_an_apostrophe(text: str) -> None:
    assert safe(text) == "'" + text


@pytest.mark.parametrize("value", ["张良科", "430182-DCQ-QS", "138****8000", 42, None, ""])
def test_other_values_pass_unchanged(value: object) -> None:
    assert safe(value) == value


def test_unmasking_an_export_needs_a_purpose() -> None:
    assert ExportQuery.model_validate({"unmask": "true", "purpose": "contact_card"}).unmask is True
    assert ExportQuery.model_validate({}).unmask is False
    with pytest.raises(ValueError, match="须说明用途"):
        ExportQuery.model_validate({"unmask": "true"})


def _zip(files: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


UNITS_CSV = "上级编码,本级编码,名称\r\n430182-DCQ-QS,P05,第五片\r\n".encode()


def test_a_grid_zip_reads_its_csv_files_by_name_in_any_folder_and_encoding() -> None:
    households = (HEADER + "\r\n430182-DCQ-QS-P01-Z01-L01,鹊山村1号,张良科,3,,,\r\n").encode("gbk")
    book = read_book(_zip({"宁乡/单元.csv": UNITS_CSV, "宁乡/Households.csv": households,
                           "__MACOSX/宁乡/._单元.csv": b"\0"}, zipfile.ZIP_DEFLATED))  # fmt: skip
    assert set(book) == {"units", "households"}
    assert book["units"].rows == [(2, {"上级编码": "430182-DCQ-QS", "本级编码": "P05", "名称": "第五片"})]
    assert book["households"].rows[0][1]["户主姓名"] == "张良科"


def test_a_damaged_grid_zip_is_a_400_not_a_500() -> None:
    data = bytearray(_zip({"units.csv": UNITS_CSV}))
    at = data.find("第五片".encode())
    data[at] ^= 1  # the CRC no longer matches
    with pytest.raises(BadRequest) as e:
        read_book(bytes(data))
    assert e.value.message == "压缩包已损坏、加密或无法解压"


def test_a_workbook_broken_inside_a_sheet_is_a_400_not_a_500() -> None:
    """openpyxl opens it and raises only while reading the rows (a number cell holding text)."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx(["上级编码", "本级编码", "名称"], ["430182-DCQ-QS", "P05", "第五片"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("sheet1.xml"):
                data = data.replace(b'<c r="A2"', b'<c r="A2" t="n"><v>abc</v></c><c r="Z"', 1)
            z.writestr(info, data)
    for read in (lambda d: read_file(d, XLSX), read_book):
        with pytest.raises(BadRequest) as e:
            read(out.getvalue())
        assert e.value.message == "无法读取的 .xlsx 工作簿"
