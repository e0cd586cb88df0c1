"""Bulk import of units, households, 三长 appointments and party rosters (党员花名册) from the spreadsheets
cadres keep in Excel or WPS.

A file is an .xlsx workbook (first sheet) or a CSV (UTF-8, UTF-8 with BOM, or GBK as WPS saves it). Row 1 holds
the Chinese column headers below (`COLUMNS`; `GET /v1/imports/templates/{kind}` gives a workbook with them, a
说明 sheet and an example row). Row numbers in every answer are the ones the spreadsheet shows (header = 1).

The whole file is checked first and every bad row is reported, `{"row", "column", "message"}`. With any error
nothing is written (`mode=all_or_nothing`, 422), unless `mode=valid_rows_only`: then the valid rows are
written and the bad ones listed as skipped; `mode=validate_only` checks and reports, and writes nothing.

Writing is a bulk path, not N single writes: new units go out first, 100 a TransactWriteItems, each under
`attribute_not_exists(code)` (a unit created through the API since the check makes the file a 409, and the
units it wrote are deleted again); the other new items go out with BatchWriteItem, then the subtree
counters move with one ADD per affected unit, aggregated over the whole file, 100 units a TransactWriteItems;
heads are set the same way, 100 a transaction, each under a condition (`attribute_not_exists(head)`). An
import is audited per file, not per row: one audit event (entity type "import", the import id) records who
imported which file (its SHA-256) with what counts.
Members are the exception: one person, one record is a DynamoDB condition, so each roster row is one
transaction of the members store (member, identity item, counters, its own member.create event).

`kind=grid` (网格工作簿) takes a village's or a town's grid in one file: an .xlsx with the sheets 单元, 住户 and
任职 (any of them; the templates' sheet names and the English kinds are read too), or a ZIP of CSV files named
units.csv, households.csv and appointments.csv (or 单元.csv …). Households and heads may name units the same
file creates. Those new units are written once, with their counters and head already in the item; only units
that existed before get ADDs and conditional heads. Each error names its sheet.

The same file imported again by the same caller replays the first result and writes nothing (the import id
is derived from caller, kind and the file's SHA-256). A file that was refused, or wrote nothing, may be
imported again (e.g. once the missing units exist). Files of more than `JOB_THRESHOLD` data rows are checked
in the request, then written by a background job (core/jobs.py): 202 and `GET /v1/imports/{id}` for progress.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import time
import uuid
import warnings
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from chalicelib.core import clock, jobs
from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal
from chalicelib.core.catalogue import CatalogueEntryModel, CatalogueStore
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.core.db import _connection as db_connection
from chalicelib.core.errors import BadRequest, Conflict, FieldError, not_found
from chalicelib.core.observability import logger
from chalicelib.core.privacy import is_mobile, mask_id_number, normalise_phone
from chalicelib.core.profiles import ProfileStore
from chalicelib.grid import search_terms
from chalicelib.grid.import_schemas import (
    KIND_LABELS,
    XLSX,
    ImportOut,
    RowErrorOut,
)
from chalicelib.grid.schemas import HEAD_LABELS, HEAD_ROLE_OF_LEVEL, LEVEL_LABELS, LEVELS
from chalicelib.grid.store import (
    AppointmentModel,
    HouseholdModel,
    SearchTermModel,
    UnitModel,
    UnitSystemModel,
    counter_actions,
)
from chalicelib.members import idcard
from chalicelib.members.store import MemberIdentityModel, MemberModel, MemberStore, id_hash, seal

JOB_THRESHOLD = 2000  # more data rows than this: checked in the request, written by a background job
PROGRESS_EVERY = 500  # a job records its progress after every this many rows
# A job runs in the jobs function (timeout 900 s in infra/) and a small file in the API function (29 s): an
# import still `running` this long after its last update was stopped by its timeout (or a crash) mid-way.
STALLED_AFTER = 900 + 60
MAX_STORED_ERRORS = 1000  # the import record keeps the first errors (a DynamoDB item is at most 400 KB)
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # a 10 MB .xlsx that unpacks to more is refused (zip bomb)
SEGMENT = re.compile(r"^[A-Z0-9]{1,12}$")
CODE = re.compile(r"^[A-Z0-9]{1,12}(-[A-Z0-9]{1,12}){0,7}$")
TAG_SEPARATORS = re.compile(r"[、,，;；\s]+")
# what checking a row needs of the units it names: place in the tree, level, head, household count
LOOKUP = ("code", "path", "root", "depth", "level", "ancestors", "moving_from", "head", "households")
ID_NAMESPACE = uuid.UUID("5d3c1f0e-7a61-4c1b-9a55-2b8f6d0e4a11")
KIND_PERMISSIONS = {"members": "members:write"}  # kinds that need more than imports:write


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str  # shown on the template's 说明 sheet
    example: str  # the template's example row, from the demo data


COLUMNS: dict[str, tuple[Column, ...]] = {
    "units": (
        Column(
            "上级编码",
            True,
            "上级单元的编码，须已存在或在本文件中更靠前的行里新建，如 430182-DCQ-QS",
            "430182-DCQ-QS-P01",
        ),
        Column("本级编码", True, "本级编码：大写字母或数字，1–12位，如 Z03；新单元编码 = 上级编码-本级编码", "Z03"),
        Column("名称", True, "中文名称，1–40字，如 第三组", "第三组"),
    ),
    "households": (
        Column("所在邻编码", True, "住户所在的邻的编码（住户只能登记在邻之下）", "430182-DCQ-QS-P01-Z01-L01"),
        Column("地址", True, "门牌地址，1–100字", "鹊山村第一组12号"),
        Column("户主姓名", True, "户主姓名，1–20字", "张良科"),
        Column("常住人口", True, "常住人口，1–50的整数", "4"),
        Column("手机号", False, "11位手机号，可空；导出和页面上脱敏显示", "13800001234"),
        Column("标签", False, "民情地图标签，多个用 、 或 , 分隔，填标签名称或编码，可空", "独居老人、党员户"),
        Column("备注", False, "备注，最多200字，可空", ""),
    ),
    "appointments": (
        Column("单元编码", True, "片、组或邻的编码：片设片长，组设组长，邻设邻长", "430182-DCQ-QS-P01-Z01-L02"),
        Column("姓名", True, "姓名，1–20字", "李春华"),
        Column("手机号", True, "11位手机号", "13900005678"),
        Column("是否党员", False, "是 或 否，空为否", "是"),
        Column("任职日期", True, "YYYY-MM-DD，如 2024-03-01", "2024-03-01"),
    ),
    # 党员花名册: a branch's roster; each member is placed in an existing household, named as a cadre knows it
    # (the neighbourhood's code and the household's address, as the grid export lists them)
    "members": (
        Column("姓名", True, "姓名，1–20字", "胡明"),
        Column("性别", True, "男 或 女，须与身份证号一致", "男"),
        Column(
            "身份证号",
            True,
            "18位居民身份证号码（末位可为X），校验位须正确；请将此列设为文本，否则 Excel 会改掉后几位；导出时脱敏",
            "43018219850101001X",
        ),
        Column("出生日期", False, "YYYY-MM-DD，可空；填写时须与身份证号一致", "1985-01-01"),
        Column("手机号", True, "11位手机号；导出和页面上脱敏显示", "13807310001"),
        Column("所在邻编码", True, "党员居住户所在的邻的编码（见网格导出的住户表）", "430182-DCQ-QS-P01-Z01-L01"),
        Column("住户地址", True, "居住户的门牌地址，与住户登记的地址相同", "鹊山村第一组1号"),
        Column("户主姓名", False, "同一地址有多户时填写，用于区分", "胡明"),
        Column("党支部", True, "所在党支部，1–60字", "鹊山村党支部"),
        Column("党员状态", True, "正式 或 预备", "正式"),
        Column("入党日期", True, "YYYY-MM-DD", "2010-07-01"),
        Column("转正日期", False, "正式党员的转正日期；预备党员填预备期满日期，空为入党满一年；可空", "2011-07-01"),
        Column("在职党员", False, "是 或 否，空为否", "否"),
        Column("工作单位", False, "在职党员的工作单位，最多60字，可空", ""),
        Column("单位党组织", False, "工作单位的党组织，最多60字，可空", ""),
    ),
}
HEADERS: dict[str, tuple[str, ...]] = {kind: tuple(c.name for c in cols) for kind, cols in COLUMNS.items()}
# kind=grid: its sheets in the order they are checked and written (units first: the others may name them)
GRID_SHEETS: tuple[tuple[str, str], ...] = (("units", "单元"), ("households", "住户"), ("appointments", "任职"))
GRID_NAMES: dict[str, str] = {
    name.lower(): kind for kind, label in GRID_SHEETS for name in (kind, label, KIND_LABELS[kind])
}  # a sheet's or CSV file's name -> the kind of its rows


# -- request and answer models -------------------------------------------------------------------------
# -- the import record -----------------------------------------------------------------------------------
@register_model
class ImportModel(Model):
    """One imported file per caller: its hash, status and counts (and, while queued, where the file is)."""

    class Meta(BaseMeta):
        table_suffix = "imports"

    id = UnicodeAttribute(hash_key=True)  # sha256(caller | kind | file sha256), 32 hex digits
    kind = UnicodeAttribute()
    mode = UnicodeAttribute()
    sha256 = UnicodeAttribute()
    media_type = UnicodeAttribute()
    sub = UnicodeAttribute()
    role = UnicodeAttribute()
    scope = UnicodeAttribute()  # the caller's scope when importing: who else may see the import
    request_id = UnicodeAttribute()
    status = UnicodeAttribute()  # queued, running, done, failed
    rows_total = NumberAttribute(default=0)
    rows_done = NumberAttribute(default=0)
    written = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    errors = UnicodeAttribute(default="[]")  # JSON list of the first MAX_STORED_ERRORS row errors
    errors_total = NumberAttribute(default=0)
    message = UnicodeAttribute(null=True)  # why a job failed
    upload_key = UnicodeAttribute(null=True)  # the file in the uploads bucket, until its job is done
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


def import_id(sub: str, kind: str, sha256: str) -> str:
    return hashlib.sha256(f"{sub}|{kind}|{sha256}".encode()).hexdigest()[:32]


def _now() -> str:
    return clock.utc_now().isoformat(timespec="milliseconds")


# -- reading the file ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str
    sheet: str = ""  # kind=grid: the sheet the row is on (单元, 住户, 任职)

    def as_dict(self) -> dict[str, Any]:
        where = {"sheet": self.sheet} if self.sheet else {}
        return where | {"row": self.row, "column": self.column, "message": self.message}

    @property
    def path(self) -> str:
        """The field path of the error envelope: row 5/地址, or 住户/row 5/地址 in a grid workbook."""
        return f"{self.sheet + '/' if self.sheet else ''}row {self.row}/{self.column}"


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number as the spreadsheet shows it, header -> text)


def _unreadable(zh: str, en: str) -> BadRequest:
    return BadRequest(zh, en, [FieldError("body", f"{zh} / {en}")])


def _header(value: Any) -> str:
    return str(value or "").replace("\ufeff", "").replace("\u3000", " ").strip().rstrip("*＊").strip()


def cell_text(value: Any) -> str:
    """A cell as text: 13800001234.0 -> 13800001234, a date cell -> 2024-03-01, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\u3000", " ").strip()


def _sheet(lines: Iterable[tuple[int, list[Any]]]) -> Sheet:
    headers: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in lines:
        if headers is None:
            headers = [_header(v) for v in values]
            continue
        texts = [cell_text(v) for v in values]
        if not any(texts):
            continue  # blank rows are skipped, the numbering keeps counting them
        cells: dict[str, str] = {}
        for name, text in zip(headers, texts, strict=False):
            if name and name not in cells:
                cells[name] = text
        rows.append((number, cells))
    return Sheet(headers or [], rows)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")  # GBK, as WPS and older Excel save CSV


def _read_csv(data: bytes) -> Sheet:
    text = _decode(data)
    try:
        return _sheet(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    except csv.Error as e:
        raise _unreadable("无法读取的 CSV 文件", "Unreadable CSV file") from e


def _zip_names(data: bytes, what: tuple[str, str]) -> list[str]:
    """The member names of a ZIP (an .xlsx is one), refused when it is not one or unpacks to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as e:
        raise _unreadable(f"文件不是有效的{what[0]}", f"Not a valid {what[1]}") from e
    if sum(i.file_size for i in infos) > MAX_XLSX_UNPACKED:
        raise _unreadable("文件解压后过大", "The file unpacks to too much data")
    return [i.filename for i in infos]


def _worksheets(data: bytes, *, first_only: bool = False) -> dict[str, Sheet]:
    """Every sheet of an .xlsx (or the first) but the templates' 说明, by title, in the workbook's order."""
    import openpyxl  # noqa: PLC0415 - 0.2 s to import: only imports and exports pay it

    _zip_names(data, (" .xlsx 工作簿", ".xlsx workbook"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # styles and extensions other tools write are not our concern
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on a broken workbook
        raise _unreadable("无法读取的 .xlsx 工作簿", "Unreadable .xlsx workbook") from e
    try:
        sheets = [ws for ws in book.worksheets if ws.title != "说明"] or list(book.worksheets)
        out: dict[str, Sheet] = {}
        sheets = sheets[:1] if first_only else sheets
        for ws in sheets:
            ws.reset_dimensions()  # some tools write a wrong <dimension>: read every row there is
            lines = enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)
            out[str(ws.title).strip()] = _sheet((n, list(values)) for n, values in lines)
        return out
    except Exception as e:  # a sheet's XML broken past its header: openpyxl raises while rows are read
        raise _unreadable("无法读取的 .xlsx 工作簿", "Unreadable .xlsx workbook") from e
    finally:
        book.close()


def _read_xlsx(data: bytes) -> Sheet:
    return next(iter(_worksheets(data, first_only=True).values()))


def _is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" and "[Content_Types].xml" in _zip_names(data, ("压缩文件", "ZIP file"))


def read_book(data: bytes) -> dict[str, Sheet]:
    """kind=grid: the sheets by kind, from an .xlsx (sheet titles) or a ZIP of CSV files (file names).
    A sheet or file whose name is no kind is refused, so that a misnamed one is not silently left out."""
    if data[:4] != b"PK\x03\x04":
        raise _unreadable(
            "网格工作簿须为 .xlsx（工作表：单元、住户、任职）或 CSV 文件的 ZIP 压缩包",
            "A grid workbook is an .xlsx (sheets 单元, 住户, 任职) or a ZIP of CSV files",
        )
    named = _worksheets(data) if _is_xlsx(data) else _csv_files(data)
    book: dict[str, Sheet] = {}
    for name, sheet in named.items():
        kind = GRID_NAMES.get(name.strip().lower())
        if kind is None or kind in book:
            known = "、".join(label for _, label in GRID_SHEETS)
            why = "重复" if kind else "无法识别"
            raise _unreadable(
                f"工作表或文件名“{name}”{why}：网格工作簿只含 {known} 各一张",
                f"Sheet or file {name!r} is {'a duplicate' if kind else 'not one of units, households, appointments'}",
            )
        book[kind] = sheet
    return book


def _csv_files(data: bytes) -> dict[str, Sheet]:
    """The CSV files of a ZIP by name (folders and macOS metadata left out); a damaged, encrypted or
    unsupported member is refused as unreadable, never a 500."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            files = [i for i in z.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
            return {i.filename.rsplit("/", 1)[-1].removesuffix(".csv"): _read_csv(z.read(i)) for i in files}
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as e:
        raise _unreadable("压缩包已损坏、加密或无法解压", "The ZIP file is damaged, encrypted or unsupported") from e


def read_upload(kind: str, data: bytes, media: str) -> Sheet | dict[str, Sheet]:
    """What a file of this kind holds: one sheet, or a grid workbook's sheets by kind."""
    return read_book(data) if kind == "grid" else read_file(data, media)


def read_file(data: bytes, media: str) -> Sheet:
    """The rows of an .xlsx or CSV file; the content decides (a mislabelled .xlsx is still read as one)."""
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _unreadable("不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV", "Legacy .xls is not supported; save as .xlsx")
    if media == XLSX:
        raise _unreadable("文件不是有效的 .xlsx 工作簿", "Not a valid .xlsx workbook")
    return _read_csv(data)


# -- checking ----------------------------------------------------------------------------------------------
@dataclass
class Planned:
    """A valid row and the items it writes."""

    row: int
    item: Model
    unit: UnitModel | None = None  # households and appointments: the unit they go to
    terms: list[str] = field(default_factory=list)  # units: search terms
    head: dict[str, Any] | None = None  # appointments: the unit's new head
    household: tuple[str, str] | None = None  # members: the home household's id and unit path
    sheet: str = ""  # kind=grid: the sheet of the row


@dataclass
class Plan:
    kind: str
    rows_total: int
    errors: list[RowError]
    rows: list[Planned]
    fatal: bool = False  # a problem with the file itself (missing columns, no rows): nothing can be imported
    # existing units whose direct child count grows (units import)
    children: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        return _rows_in_error(self.errors)


def _rows_in_error(errors: Iterable[RowError]) -> int:
    """Data rows with at least one error (a sheet's header row, 1, is not a data row)."""
    return len({(e.sheet, e.row) for e in errors if e.row > 1})


class _Row:
    """One data row being checked: reads cells and collects its errors."""

    def __init__(self, number: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.number, self.cells, self._errors = number, cells, errors
        self.bad = False

    def error(self, column: str, zh: str, en: str) -> None:
        self._errors.append(RowError(self.number, column, f"{zh} / {en}"))
        self.bad = True

    def text(self, column: str, *, required: bool, max_len: int) -> str:
        value = self.cells.get(column, "")
        if required and not value:
            self.error(column, "必填", "required")
        elif len(value) > max_len:
            self.error(column, f"最多{max_len}字", f"at most {max_len} characters")
        return value

    def code(self, column: str) -> str:
        value = self.text(column, required=True, max_len=120).upper()
        if value and not CODE.fullmatch(value):
            self.error(column, "编码格式不正确（大写字母或数字，用 - 连接）", "malformed unit code")
            return ""
        return value

    def phone(self, column: str, *, required: bool) -> str | None:
        raw = self.text(column, required=required, max_len=20)
        if not raw:
            return None
        phone = normalise_phone(raw)
        if not is_mobile(phone):
            self.error(column, "须为11位手机号", "must be an 11-digit mainland mobile number")
            return None
        return phone


def _missing_columns(kind: str, sheet: Sheet) -> list[RowError]:
    present = set(sheet.headers)
    return [
        RowError(1, c.name, "缺少必填列 / required column missing")
        for c in COLUMNS[kind]
        if c.required and c.name not in present
    ]


def _outside(column: str, row: _Row, what: str = "单元") -> None:
    row.error(column, f"{what}不存在或不在您的管辖范围内", "unit not found or outside your scope")


class Checker:
    """Checks a whole file against the grid and the caller's scope; builds the items of the valid rows."""

    def __init__(self, principal: Principal, import_key: str, *, catalogue: CatalogueStore | None = None) -> None:
        self.principal = principal
        self.import_key = import_key
        self.catalogue = catalogue or CatalogueStore()
        self.known: dict[str, UnitModel] = {}  # kind=grid: the valid new units of the units sheet, by code
        self.sheet_kind = ""  # kind=grid: "households/" etc. while that sheet is checked (row 2 is on each)

    def check(self, kind: str, sheet: Sheet | dict[str, Sheet]) -> Plan:
        if isinstance(sheet, dict):
            return self._grid_plan(sheet)
        missing = _missing_columns(kind, sheet)
        if missing:
            return Plan(kind, len(sheet.rows), missing, [], fatal=True)
        if not sheet.rows:
            return Plan(kind, 0, [RowError(1, "", "文件中没有数据行 / the file has no data rows")], [], fatal=True)
        check: Callable[[Sheet], Plan] = getattr(self, f"_{kind}_plan")
        plan = check(sheet)
        order = {name: i for i, name in enumerate(HEADERS[kind])}
        plan.errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
        return plan

    def _grid_plan(self, book: dict[str, Sheet]) -> Plan:
        """A grid workbook: its sheets checked in order, units first; the households and heads sheets see the
        units sheet's valid new units as if they existed (`known`). Empty sheets are left out."""
        plan = Plan("grid", sum(len(s.rows) for s in book.values()), [], [])
        for kind, label in GRID_SHEETS:
            sheet = book.get(kind)
            if sheet is None or (not sheet.rows and not _missing_columns(kind, sheet)):
                continue
            self.sheet_kind = f"{kind}/"
            part = self.check(kind, sheet)
            plan.errors += [replace(e, sheet=label) for e in part.errors]
            plan.fatal = plan.fatal or part.fatal
            for planned in part.rows:
                planned.sheet = label
            plan.rows += part.rows
            plan.children.update(part.children)
            if kind == "units":
                self.known = {p.item.code: p.item for p in part.rows if isinstance(p.item, UnitModel)}
        if not plan.rows_total and not plan.errors:
            names = "、".join(label for _, label in GRID_SHEETS)
            plan.errors.append(RowError(1, "", f"工作簿中没有数据行（工作表：{names}）/ the workbook has no data rows"))
            plan.fatal = True
        return plan

    def _id(self, row: int) -> str:
        """Deterministic per (import, sheet, row): a job that runs again rewrites the same items."""
        return str(uuid.uuid5(ID_NAMESPACE, f"{self.import_key}/{self.sheet_kind}{row}"))

    def _lookup(self, codes: Iterable[str]) -> dict[str, UnitModel]:
        """The units a file names (BatchGetItem, only the attributes the checks read); a grid workbook's new
        units are known already and cost no read."""
        wanted = list(dict.fromkeys(c for c in codes if c))
        known = {c: self.known[c] for c in wanted if c in self.known}
        rest = [c for c in wanted if c not in known]
        return known | ({u.code: u for u in UnitModel.batch_get(rest, attributes_to_get=list(LOOKUP))} if rest else {})

    def _visible(self, unit: UnitModel | None) -> UnitModel | None:
        return unit if unit is not None and self.principal.sees_unit(unit.path) else None

    # -- units ------------------------------------------------------------------------------------------
    def _units_plan(self, sheet: Sheet) -> Plan:
        plan = Plan("units", len(sheet.rows), [], [])
        parsed = [_parse_unit(_Row(n, cells, plan.errors)) for n, cells in sheet.rows]
        codes = [u.code for u in parsed if u.code]
        existing = self._lookup([u.parent_code for u in parsed] + codes)
        state = _UnitsState(existing, first_row={u.code: u.row.number for u in reversed(parsed) if u.code})
        for unit in parsed:
            parent = self._unit_parent(unit, state)
            if parent is not None:  # a code under a parent the caller cannot see is not looked at
                _check_unit_code(unit, state)
            if unit.row.bad or parent is None:
                if (
                    unit.code
                    and unit.code not in state.new
                    and unit.code not in state.bad
                    and unit.code not in existing
                ):
                    state.bad[unit.code] = unit.row.number
                continue
            item = UnitModel(
                unit.code,
                segment=unit.segment,
                name=unit.name,
                level=LEVELS[LEVELS.index(parent.level) + 1],
                parent=parent.code,
                ancestors=parent.chain,
                root=parent.root,
                path=f"{parent.path}/{unit.segment}",
                depth=int(parent.depth) + 1,
                initials=search_terms.initials(unit.name),
                households=0,
                residents=0,
                members=0,
                heads=0,
                children=0,
                tag_counts={},  # no version: the put writes 1, under `attribute_not_exists(version)`
            )
            state.new[unit.code] = item
            if parent.code in existing:
                plan.children[parent.code] = plan.children.get(parent.code, 0) + 1
            else:  # a unit of this file: its child count is written with it
                parent.children = int(parent.children) + 1
            plan.rows.append(Planned(unit.row.number, item, terms=search_terms.terms(unit.name)))
        return plan

    def _unit_parent(self, unit: _UnitRow, state: _UnitsState) -> UnitModel | None:
        row, code = unit.row, unit.parent_code
        if not code:
            return None
        if code in state.new:
            parent: UnitModel | None = state.new[code]
        elif code in state.bad:
            line = state.bad[code]
            row.error("上级编码", f"上级单元（第{line}行）有误，本行也未导入", f"the parent's row {line} is in error")
            return None
        else:
            parent = self._visible(state.existing.get(code))
        if parent is None:
            later = state.first_row.get(code, 0)
            if later > row.number:
                row.error(
                    "上级编码", f"上级单元在第{later}行，须排在下级之前", f"define the parent (row {later}) first"
                )
            else:
                _outside("上级编码", row, "上级单元")
        elif parent.level == LEVELS[-1]:
            row.error("上级编码", "邻是最小网格单元，不能再分", "a neighbourhood has no child units")
        elif parent.moving_from is not None:
            row.error("上级编码", "上级单元正在调整，请稍后再导入", "the parent unit is being moved")
        else:
            return parent
        return None

    # -- households -------------------------------------------------------------------------------------
    def _households_plan(self, sheet: Sheet) -> Plan:
        plan = Plan("households", len(sheet.rows), [], [])
        entries = self.catalogue.entries("household_tag")
        tags = _Tags({e.code.lower(): e.code for e in entries} | {e.name_zh: e.code for e in entries}, entries)
        parsed = [_parse_household(_Row(n, cells, plan.errors), tags) for n, cells in sheet.rows]
        units = self._lookup(code for _, code, _ in parsed)
        existing = _existing_households(units[c] for c in {code for _, code, _ in parsed if code in units})
        seen: dict[tuple[str, str, str], int] = {}
        for row, unit_code, data in parsed:
            unit = self._neighbourhood(row, unit_code, units)
            if unit is not None and data["address"] and data["head_name"]:
                key = (unit.code, data["address"], data["head_name"])
                if key in existing:
                    row.error("户主姓名", "该住户已登记（同一邻、地址、户主）", "this household is already registered")
                elif key in seen:
                    row.error("户主姓名", f"与第{seen[key]}行重复（同一邻、地址、户主）", f"duplicates row {seen[key]}")
                else:
                    seen[key] = row.number
            if row.bad or unit is None:
                continue
            household_id = self._id(row.number)
            item = HouseholdModel(
                household_id,
                unit_code=unit.code,
                unit_path=unit.path,
                root=unit.root,
                path_key=f"{unit.path}/#{household_id}",
                members=0,
                version=1,
                **data,
            )
            plan.rows.append(Planned(row.number, item, unit=unit))
        return plan

    def _neighbourhood(self, row: _Row, code: str, units: dict[str, UnitModel]) -> UnitModel | None:
        if not code:
            return None
        unit = self._visible(units.get(code))
        if unit is None:
            _outside("所在邻编码", row, "所在邻")
        elif unit.level != "neighbourhood":
            label = LEVEL_LABELS[unit.level]
            row.error("所在邻编码", f"住户须登记在邻之下（{code} 是{label}）", "a household belongs to a neighbourhood")
        elif unit.moving_from is not None:
            row.error("所在邻编码", "该邻正在调整，请稍后再导入", "the neighbourhood is being moved")
        else:
            return unit
        return None

    # -- appointments -----------------------------------------------------------------------------------
    def _appointments_plan(self, sheet: Sheet) -> Plan:
        plan = Plan("appointments", len(sheet.rows), [], [])
        parsed = [_parse_appointment(_Row(n, cells, plan.errors)) for n, cells in sheet.rows]
        units = self._lookup(code for _, code, _ in parsed)
        seen: dict[str, int] = {}
        for row, unit_code, data in parsed:
            unit = self._head_unit(row, unit_code, units, seen)
            if row.bad or unit is None:
                continue
            role = HEAD_ROLE_OF_LEVEL[unit.level]
            appointment_id = self._id(row.number)
            item = AppointmentModel(
                unit.code,
                f"{data['start']}#{appointment_id}",
                id=appointment_id,
                role=role,
                person_name=data["person_name"],
                phone=data["phone"],
                is_member=data["is_member"],
                start=data["start"],
                version=1,
            )
            head = {
                "appointment_id": appointment_id,
                "role": role,
                "person_name": data["person_name"],
                "phone": data["phone"],
                "is_member": data["is_member"],
                "since": data["start"],
            }
            plan.rows.append(Planned(row.number, item, unit=unit, head=head))
        return plan

    def _head_unit(self, row: _Row, code: str, units: dict[str, UnitModel], seen: dict[str, int]) -> UnitModel | None:
        if not code:
            return None
        unit = self._visible(units.get(code))
        role = HEAD_ROLE_OF_LEVEL.get(unit.level) if unit is not None else None
        if unit is None:
            _outside("单元编码", row)
        elif role is None:
            label = LEVEL_LABELS[unit.level]
            row.error(
                "单元编码",
                f"三长只设在片、组、邻（{code} 是{label}）",
                "heads are appointed to an area, group or neighbourhood",
            )
        elif unit.head is not None:
            current = (unit.head_info or {}).get("person_name", "")
            row.error(
                "单元编码",
                f"该单元已有在任{HEAD_LABELS[role]}（{current}），请先办理离任",
                "the unit already has a current head; end that appointment first",
            )
        elif unit.code in seen:
            line = seen[unit.code]
            row.error(
                "单元编码",
                f"与第{line}行为同一单元，一个单元只能有一位在任{HEAD_LABELS[role]}",
                f"row {line} appoints the same unit; one current head per unit",
            )
        else:
            seen[unit.code] = row.number
            return unit
        return None

    # -- members (党员花名册) -------------------------------------------------------------------------------
    def _members_plan(self, sheet: Sheet) -> Plan:
        plan = Plan("members", len(sheet.rows), [], [])
        parsed = [_parse_member(_Row(n, cells, plan.errors)) for n, cells in sheet.rows]
        units = self._lookup(m.unit_code for m in parsed)
        homes = _households_at(u for c in {m.unit_code for m in parsed} if (u := self._visible(units.get(c))))
        holders = _registered(m.card.number for m in parsed if m.card is not None)
        first: dict[str, int] = {}
        for m in parsed:
            row = m.row
            if m.card is not None:
                line = first.setdefault(m.card.number, row.number)
                if line != row.number:
                    row.error("身份证号", f"与第{line}行的身份证号重复", f"same ID number as row {line}")
                elif (holder := holders.get(m.card.number)) is not None:
                    if self.principal.sees_unit(holder.unit_path):
                        where = holder.unit_code
                        row.error("身份证号", f"该党员已登记（{where}）", f"already registered ({where})")
                    else:  # out of scope: neither the record nor its unit is named
                        row.error("身份证号", "该党员已在其他单位登记", "already registered in another unit")
            unit = self._neighbourhood(row, m.unit_code, units)
            home = _home(row, m, homes.get(unit.code, [])) if unit is not None else None
            if row.bad or unit is None or home is None or m.card is None:
                continue
            item = MemberModel(
                self._id(row.number),
                name=m.data["name"],
                gender=m.card.gender,
                birth_date=m.card.birth_date.isoformat(),
                id_hash=id_hash(m.card.number),
                id_sealed=seal(m.card.number),
                id_masked=mask_id_number(m.card.number),
                household_id=home.id,
                unit_code=home.unit_code,
                unit_path=home.unit_path,
                root=home.root,
                history=[],
                **{k: v for k, v in m.data.items() if k != "name"},
            )
            item.path_key = f"{item.unit_path}/#{item.id}"
            plan.rows.append(Planned(row.number, item, unit=unit, household=(home.id, home.unit_path)))
        return plan


@dataclass
class _UnitRow:
    row: _Row
    parent_code: str
    segment: str
    name: str

    @property
    def code(self) -> str:
        return f"{self.parent_code}-{self.segment}" if self.parent_code and self.segment else ""


@dataclass
class _UnitsState:
    existing: dict[str, UnitModel]
    first_row: dict[str, int]  # code -> the first row defining it
    new: dict[str, UnitModel] = field(default_factory=dict)  # valid new units so far
    bad: dict[str, int] = field(default_factory=dict)  # code -> row of a new unit that is itself in error


def _parse_unit(row: _Row) -> _UnitRow:
    parent = row.code("上级编码")
    segment = row.text("本级编码", required=True, max_len=120).upper()
    if segment and parent and segment.startswith(parent + "-"):
        segment = segment[len(parent) + 1 :]  # the full code was given
    if segment and segment == parent:
        row.error("上级编码", "上级编码不能是本单元自己", "a unit cannot be its own parent")
        segment = ""
    elif segment and not SEGMENT.fullmatch(segment):
        row.error("本级编码", "须为1–12位大写字母或数字", "must be 1-12 capital letters or digits")
        segment = ""
    return _UnitRow(row, parent, segment, row.text("名称", required=True, max_len=40))


def _check_unit_code(unit: _UnitRow, state: _UnitsState) -> None:
    code = unit.code
    if not code:
        return
    if code in state.existing:
        unit.row.error("本级编码", f"编码 {code} 已存在", f"code {code} already exists")
    elif code in state.new or code in state.bad:
        first = state.first_row[code]
        unit.row.error("本级编码", f"与第{first}行重复", f"duplicates row {first}")


@dataclass
class _Tags:
    codes: dict[str, str]  # a code (lower case) or a Chinese name -> the code
    entries: list[Any]


def _parse_household(row: _Row, tags: _Tags) -> tuple[_Row, str, dict[str, Any]]:
    unit_code = row.code("所在邻编码")
    data: dict[str, Any] = {
        "address": row.text("地址", required=True, max_len=100),
        "head_name": row.text("户主姓名", required=True, max_len=20),
        "phone": row.phone("手机号", required=False),
        "note": row.text("备注", required=False, max_len=200) or None,
    }
    raw = row.text("常住人口", required=True, max_len=10)
    if raw:
        residents = int(raw) if raw.isdigit() else 0
        if not 1 <= residents <= 50:
            row.error("常住人口", "须为1–50的整数", "must be a whole number from 1 to 50")
        data["residents"] = residents
    found: list[str] = []
    unknown: list[str] = []
    for token in TAG_SEPARATORS.split(row.cells.get("标签", "")):
        if token:
            code = tags.codes.get(token) or tags.codes.get(token.lower())
            (found if code else unknown).append(code or token)
    if unknown:
        names = "、".join(e.name_zh for e in tags.entries)
        row.error("标签", f"未知标签：{'、'.join(unknown)}（可用：{names}）", f"unknown tags: {', '.join(unknown)}")
    data["tags"] = sorted(set(found))
    return row, unit_code, data


def _existing_households(units: Iterable[UnitModel]) -> set[tuple[str, str, str]]:
    """(neighbourhood, address, head) of the households already registered where the file adds some;
    a neighbourhood whose count is 0 costs no query (a first load reads nothing)."""
    out: set[tuple[str, str, str]] = set()
    for unit in units:
        if int(unit.households) <= 0:
            continue
        for h in HouseholdModel.by_path.query(unit.root, HouseholdModel.path_key.startswith(unit.path + "/")):
            out.add((h.unit_code, h.address, h.head_name))
    return out


YES = frozenset({"是", "y", "yes", "true", "1", "党员"})
NO = frozenset({"", "否", "n", "no", "false", "0"})


def _parse_date(raw: str) -> str | None:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _parse_appointment(row: _Row) -> tuple[_Row, str, dict[str, Any]]:
    unit_code = row.code("单元编码")
    data: dict[str, Any] = {
        "person_name": row.text("姓名", required=True, max_len=20),
        "phone": row.phone("手机号", required=True),
    }
    member = row.text("是否党员", required=False, max_len=5).lower()
    if member in YES or member in NO:
        data["is_member"] = member in YES
    else:
        row.error("是否党员", "须填 是 或 否", "must be 是 (yes) or 否 (no)")
    raw = row.text("任职日期", required=True, max_len=20)
    if raw:
        start = _parse_date(raw)
        if start is None:
            row.error("任职日期", "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD")
        data["start"] = start
    return row, unit_code, data


GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female", "m": "male", "f": "female"}
MEMBER_STATUSES = {
    "正式": "full",
    "正式党员": "full",
    "full": "full",
    "预备": "probationary",
    "预备党员": "probationary",
    "probationary": "probationary",
}


@dataclass
class _MemberRow:
    row: _Row
    unit_code: str
    address: str
    head_name: str
    card: idcard.IdCard | None
    data: dict[str, Any]  # the member's own fields, as MemberModel names them


def _date_cell(row: _Row, column: str, *, required: bool) -> date | None:
    raw = row.text(column, required=required, max_len=20)
    if not raw:
        return None
    parsed = _parse_date(raw)
    if parsed is None:
        row.error(column, "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD")
        return None
    return date.fromisoformat(parsed)


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _parse_member(row: _Row) -> _MemberRow:
    name = row.text("姓名", required=True, max_len=20)
    raw_gender = row.text("性别", required=True, max_len=10)
    gender = GENDERS.get(raw_gender.lower())
    if raw_gender and gender is None:
        row.error("性别", "须填 男 或 女", "must be 男 (male) or 女 (female)")
    card: idcard.IdCard | None = None
    raw_id = row.text("身份证号", required=True, max_len=30)
    if raw_id:
        try:
            card = idcard.parse(raw_id)
        except ValueError as e:
            zh, _, en = str(e).partition(" / ")
            row.error("身份证号", zh, en)
    born = _date_cell(row, "出生日期", required=False)
    if card is not None and born is not None and born != card.birth_date:
        row.error("出生日期", "出生日期与身份证号码不一致", "the birth date does not match the ID number")
    if card is not None and gender is not None and gender != card.gender:
        row.error("性别", "性别与身份证号码不一致", "the gender does not match the ID number")
    phone = row.phone("手机号", required=True)
    unit_code = row.code("所在邻编码")
    address = row.text("住户地址", required=True, max_len=100)
    head_name = row.text("户主姓名", required=False, max_len=20)
    branch = row.text("党支部", required=True, max_len=60)
    raw_status = row.text("党员状态", required=True, max_len=10)
    status = MEMBER_STATUSES.get(raw_status.lower())
    if raw_status and status is None:
        row.error("党员状态", "须填 正式 或 预备", "must be 正式 (full) or 预备 (probationary)")
    joined = _date_cell(row, "入党日期", required=True)
    probation_end = _date_cell(row, "转正日期", required=False)
    if joined is not None and probation_end is not None and probation_end < joined:
        row.error("转正日期", "转正日期不能早于入党日期", "probation cannot end before joining")
    if joined is not None and probation_end is None and status == "probationary":
        probation_end = _one_year_later(joined)
    in_service = row.text("在职党员", required=False, max_len=5).lower()
    if in_service not in YES and in_service not in NO:
        row.error("在职党员", "须填 是 或 否", "must be 是 (yes) or 否 (no)")
    data: dict[str, Any] = {
        "name": name,
        "phone": phone,
        "branch": branch,
        "status": status,
        "join_date": joined.isoformat() if joined else None,
        "probation_end": probation_end.isoformat() if probation_end else None,
        "in_service": in_service in YES,
        "workplace": row.text("工作单位", required=False, max_len=60) or None,
        "workplace_branch": row.text("单位党组织", required=False, max_len=60) or None,
    }
    return _MemberRow(row, unit_code, address, head_name, card, data)


def _households_at(units: Iterable[UnitModel]) -> dict[str, list[HouseholdModel]]:
    """The households of the neighbourhoods a roster names (one query each; an empty one costs none)."""
    out: dict[str, list[HouseholdModel]] = {}
    for unit in units:
        if unit.level != "neighbourhood" or int(unit.households) <= 0:
            continue
        query = HouseholdModel.by_path.query(unit.root, HouseholdModel.path_key.startswith(unit.path + "/"))
        out[unit.code] = [h for h in query if h.unit_code == unit.code]
    return out


def _home(row: _Row, member: _MemberRow, households: list[HouseholdModel]) -> HouseholdModel | None:
    """The household a roster row names by address (and head, where an address has several)."""
    if not member.address:
        return None
    at = [h for h in households if h.address == member.address]
    if member.head_name:
        at = [h for h in at if h.head_name == member.head_name]
    if len(at) == 1:
        return at[0]
    if not at:
        column = "户主姓名" if member.head_name else "住户地址"
        row.error(column, "该邻没有这户（请先登记住户，或核对地址和户主）", "no such household in this neighbourhood")
    else:
        row.error("户主姓名", "该地址有多户，请填写户主姓名", "several households at this address: name the head")
    return None


def _registered(numbers: Iterable[str]) -> dict[str, MemberModel]:
    """ID number -> the member already holding it (BatchGetItem on the identity items, then the holders)."""
    by_hash = {id_hash(n): n for n in dict.fromkeys(numbers)}
    if not by_hash:
        return {}
    held = {i.member_id: by_hash[i.id_hash] for i in MemberIdentityModel.batch_get(list(by_hash))}
    if not held:
        return {}
    holders = MemberModel.batch_get(list(held), attributes_to_get=["id", "unit_code", "unit_path"])
    return {held[m.id]: m for m in holders}


# -- writing -----------------------------------------------------------------------------------------------
BATCH = 25  # items per BatchWriteItem (the DynamoDB limit)
WRITE_THREADS = 8  # BatchWriteItem calls in flight at once: a county load is network-bound, not CPU-bound


def _batch_put(items: list[Model]) -> None:
    """One BatchWriteItem of up to 25 items of one table (PynamoDB retries unprocessed items)."""
    with type(items[0]).batch_write() as batch:
        for item in items:
            batch.save(item)


_POOL: list[ThreadPoolExecutor] = []  # one pool a process: starting 8 threads a call waited on the GIL each time


def _in_parallel(calls: list[tuple[Any, ...]]) -> None:
    """Independent DynamoDB calls, WRITE_THREADS at a time (each is a network round trip); the first error
    is raised once all have finished."""
    if len(calls) <= 1:
        for fn, *args in calls:
            fn(*args)
        return
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=WRITE_THREADS, thread_name_prefix="import-write"))
    futures = [_POOL[0].submit(fn, *args) for fn, *args in calls]
    wait(futures)
    for done in futures:
        done.result()


TRANSACT_MAX = 100  # actions per TransactWriteItems (the DynamoDB limit)
CONFLICT_RETRIES = 5


def _transact(build: Callable[[Any], None]) -> set[int]:
    """One TransactWriteItems of up to 100 actions, which `build(tx)` adds: applied whole, or not at all.
    Returns the positions whose condition failed (nothing was applied then), or an empty set once applied.
    Each attempt has its own ClientRequestToken (botocore's retries of one attempt apply it once); a
    conflict with a concurrent write of one of the items is retried after a pause."""
    from pynamodb.exceptions import TransactWriteError  # noqa: PLC0415 - the import path only
    from pynamodb.transactions import TransactWrite  # noqa: PLC0415

    for attempt in range(CONFLICT_RETRIES):
        try:
            with TransactWrite(connection=db_connection(), client_request_token=uuid.uuid4().hex) as tx:
                build(tx)
            return set()
        except TransactWriteError as e:
            reasons = [r.code if r is not None else None for r in (e.cancellation_reasons or [])]
            failed = {i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
            if failed:
                return failed
            if "TransactionConflict" not in reasons or attempt == CONFLICT_RETRIES - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises


def _transact_units(ops: list[tuple[str, list[Any], Any]]) -> set[int]:
    """Up to 100 UpdateItems of units (code, actions, condition or None) in one TransactWriteItems."""

    def build(tx: Any) -> None:
        for code, actions, condition in ops:
            tx.update(UnitSystemModel(code), actions=actions, condition=condition)

    return _transact(build)


def _create_units(units: list[UnitModel]) -> set[int]:
    """Up to 100 new units in one TransactWriteItems, each put under `attribute_not_exists(code)` (and
    PynamoDB's own condition on the version it starts at 1): a unit created through the API since the check
    is never overwritten. Returns the positions of such units (nothing was written then)."""

    def build(tx: Any) -> None:
        for unit in units:
            tx.save(unit, condition=UnitModel.code.does_not_exist())

    return _transact(build)


def _delete_units(units: list[UnitModel]) -> None:
    """Undo `_create_units`: delete them, each only while it is still the version this file wrote (a unit a
    cadre changed in the meantime is left as it is)."""

    for start in range(0, len(units), TRANSACT_MAX):
        chunk = units[start : start + TRANSACT_MAX]
        while chunk and (failed := _transact(functools.partial(_delete_each, chunk))):
            chunk = [u for i, u in enumerate(chunk) if i not in failed]


def _delete_each(units: list[UnitModel], tx: Any) -> None:
    for unit in units:
        tx.delete(unit)  # under PynamoDB's condition on the version


def _add_counters(chunk: list[tuple[str, list[Any]]]) -> None:
    """Up to 100 units' counter updates (ADD, no condition) in one TransactWriteItems instead of one UpdateItem
    each."""
    if _transact_units([(code, actions, None) for code, actions in chunk]):
        raise AssertionError("an update without a condition failed its condition")  # pragma: no cover


def _update_unit(code: str, actions: list[Any], condition: Any = None) -> None:
    """UpdateItem on the units table without its edit version: counters and heads never make a cadre's
    If-Match stale (the store's UnitSystemModel view of the table)."""
    UnitSystemModel._get_connection().update_item(code, actions=actions, condition=condition)


class BulkWriter:
    """Writes a checked plan: new units 100 a TransactWriteItems under `attribute_not_exists(code)`,
    BatchWriteItem for the other items, TransactWriteItems of 100 units for counters.

    Households and units: the items first, then the counters. Appointments: the counters first, as the
    appointed unit's update also sets its head under `attribute_not_exists(head)` (100 units a transaction);
    a unit that got a head meanwhile loses its row (in all_or_nothing, everything set is undone and the
    import is a 409).

    Members: one transaction per row through the members store (`MemberStore.create`: the member, its
    identity item under `attribute_not_exists`, the household's and chain's counters, a member.create audit
    event), because one person, one record is a condition that BatchWriteItem cannot carry. A row whose
    person was registered meanwhile (or whose household was moved) is lost and reported; rows already
    written stay (a roster has no head to give back, and retrying the file skips them as registered)."""

    def __init__(
        self,
        *,
        mode: str,
        progress: Callable[[int], None] | None = None,
        actor: Actor | None = None,
        audit: AuditStore | None = None,
    ) -> None:
        self.mode = mode
        self.progress = progress
        self.actor = actor
        self.audit = audit
        self.sent = 0  # rows whose items or heads were sent: after a crash, how much may be in the tables

    def write(self, plan: Plan) -> list[RowError]:
        """Write the plan's rows; returns rows that could not be written (a head appointed meanwhile)."""
        if plan.kind == "members":
            return self._members(plan.rows)
        if plan.kind == "grid":
            return self._grid(plan)
        if plan.kind != "appointments":
            self._new_units(plan.rows)
            self._put_all(plan.rows)
            self._counters(plan, plan.rows)
            return []
        self.sent = len(plan.rows)
        lost = self._counters(plan, plan.rows)
        lost_rows = {e.row for e in lost}
        self.sent = 0
        self._put_all([p for p in plan.rows if p.row not in lost_rows])
        return lost

    def _grid(self, plan: Plan) -> list[RowError]:
        """A grid workbook. The new units take their counters and heads into their own items and are created
        first, each once and only if its code is still free; then the heads of units that existed before, under
        their conditions (as an appointments file's: in all_or_nothing a lost one deletes the new units again);
        then the other items, by BatchWriteItem; last, one ADD for each existing unit above them."""
        deltas, tags = _aggregate(plan, plan.rows)
        new = {p.item.code: p.item for p in plan.rows if isinstance(p.item, UnitModel)}
        heads = [p for p in plan.rows if p.head is not None]
        for planned in heads:
            if (unit := new.get(_unit(planned).code)) is not None:
                unit.head = planned.head
        for code, unit in new.items():  # the chains of the existing units hold no new unit: their heads
            delta, counts = deltas.pop(code, {}), tags.pop(code, {})  # lost below change none of these counts
            for counter in ("households", "residents", "heads"):
                setattr(unit, counter, int(getattr(unit, counter)) + delta.get(counter, 0))
            unit.tag_counts = {t: n for t, n in counts.items() if n}
        created = self._new_units(plan.rows)
        self.sent = len(plan.rows)
        try:
            lost = self._heads([p for p in heads if _unit(p).code not in new], deltas)
        except Conflict:  # all_or_nothing: the new units go too
            _delete_units(created)
            raise
        lost_rows = {(e.sheet, e.row) for e in lost}
        self.sent = 0
        self._put_all([p for p in plan.rows if (p.sheet, p.row) not in lost_rows])
        self._add(deltas, tags)
        return lost

    def _members(self, rows: list[Planned]) -> list[RowError]:
        if self.actor is None:
            raise ValueError("a members import needs the importing actor (audit)")
        store = MemberStore(audit=self.audit or AuditStore())
        lost: list[RowError] = []
        for done, planned in enumerate(rows, start=1):
            item = planned.item
            if not isinstance(item, MemberModel) or planned.household is None:
                raise ValueError(f"row {planned.row} is not a member")
            self.sent += 1
            try:
                store.create(item, self.actor, dict.fromkeys(_unit(planned).chain, 1), (*planned.household, 1))
            except Conflict:
                holder = store.holder_of(item.id_hash)
                if holder is not None and holder.id == item.id:
                    pass  # this import's own row, written by an earlier run of the same job
                elif holder is not None:
                    lost.append(RowError(planned.row, "身份证号", "该党员刚刚已被登记 / registered meanwhile"))
                else:
                    lost.append(RowError(planned.row, "住户地址", "该住户刚刚被调整 / the household changed meanwhile"))
            if self.progress is not None and done % PROGRESS_EVERY == 0:
                self.progress(done)
        return lost

    def _new_units(self, rows: list[Planned]) -> list[UnitModel]:
        """Create the file's new units first, 100 a transaction, each only if its code is still free. A unit
        created through the API since the check makes the file a 409 in either mode (its rows, the rows
        under it and the counts of the units above all assumed it new): the units this file created are
        deleted again and nothing else is written."""
        planned = [p for p in rows if isinstance(p.item, UnitModel)]
        created: list[UnitModel] = []
        for start in range(0, len(planned), TRANSACT_MAX):
            chunk = planned[start : start + TRANSACT_MAX]
            units = [p.item for p in chunk if isinstance(p.item, UnitModel)]
            self.sent += len(chunk)
            failed = _create_units(units)
            if failed:
                _delete_units(created)
                self.sent = 0
                meanwhile = "该编码的单元刚刚已被创建 / a unit with this code was created meanwhile"
                taken = [RowError(chunk[i].row, "本级编码", meanwhile, chunk[i].sheet) for i in sorted(failed)]
                raise Conflict(
                    f"第{taken[0].row}行的单元刚刚已被他人创建，未写入任何数据，请刷新后重试",
                    "A unit in the file was created meanwhile; nothing was written",
                    [FieldError(e.path, e.message) for e in taken],
                )
            created += units
        return created

    def _put_all(self, rows: list[Planned]) -> None:
        done = 0
        for start in range(0, len(rows), PROGRESS_EVERY):
            chunk = rows[start : start + PROGRESS_EVERY]
            self.sent = max(self.sent, done + len(chunk))  # a units file's rows count from their creation on
            self._put(chunk)
            done += len(chunk)
            if self.progress is not None:
                self.progress(done)

    @staticmethod
    def _put(chunk: list[Planned]) -> None:
        by_model: dict[type[Model], list[Model]] = defaultdict(list)
        for planned in chunk:
            if not isinstance(planned.item, UnitModel):  # units are created first (`_new_units`)
                by_model[type(planned.item)].append(planned.item)
            else:
                unit = planned.item
                by_model[SearchTermModel] += [
                    SearchTermModel(t, unit.path, unit_code=unit.code, name=unit.name, level=unit.level)
                    for t in planned.terms
                ]
        groups = [items[i : i + BATCH] for items in by_model.values() for i in range(0, len(items), BATCH)]
        _in_parallel([(_batch_put, g) for g in groups])

    def _counters(self, plan: Plan, rows: list[Planned]) -> list[RowError]:
        deltas, tags = _aggregate(plan, rows)
        lost: list[RowError] = []
        if plan.kind == "appointments":
            lost = self._heads(rows, deltas)
        self._add(deltas, tags)
        return lost

    @staticmethod
    def _add(deltas: dict[str, dict[str, int]], tags: dict[str, dict[str, int]]) -> None:
        """One ADD per unit for the whole file, 100 units a TransactWriteItems."""
        updates = [
            (code, counter_actions(deltas.get(code, {}), tags.get(code, {}))) for code in sorted({*deltas, *tags})
        ]
        updates = [(code, actions) for code, actions in updates if actions]
        _in_parallel([(_add_counters, updates[i : i + TRANSACT_MAX]) for i in range(0, len(updates), TRANSACT_MAX)])

    def _heads(self, rows: list[Planned], deltas: dict[str, dict[str, int]]) -> list[RowError]:
        """Set the appointed units' heads with their counters, up to 100 units a TransactWriteItems, each update
        under `attribute_not_exists(head)` (and the path the check saw). Deepest first: a unit's descendants
        are in its chunk or an earlier one. A unit that got a head meanwhile fails its condition and cancels
        its chunk; its row is lost, it and its ancestors count one head less, and the chunk goes again
        without it (its descendants' heads still reach it through the counters that follow)."""
        done: list[tuple[Planned, dict[str, int]]] = []
        lost: list[RowError] = []
        pending = sorted(rows, key=lambda p: -len(_unit(p).chain))
        for start in range(0, len(pending), TRANSACT_MAX):
            chunk = pending[start : start + TRANSACT_MAX]
            while chunk:
                ops = [
                    (
                        _unit(p).code,
                        [UnitSystemModel.head.set(p.head or {}), *counter_actions(deltas.get(_unit(p).code, {}), {})],
                        UnitSystemModel.head.does_not_exist() & (UnitSystemModel.path == _unit(p).path),
                    )
                    for p in chunk
                ]
                failed = _transact_units(ops)
                if not failed:
                    done += [(p, deltas.pop(_unit(p).code, {})) for p in chunk]
                    break
                for i in sorted(failed):
                    meanwhile = "该单元刚刚已有人任职 / someone was appointed meanwhile"
                    lost.append(RowError(chunk[i].row, "单元编码", meanwhile, chunk[i].sheet))
                    for code in _unit(chunk[i]).chain:
                        deltas.setdefault(code, {})["heads"] = deltas.get(code, {}).get("heads", 0) - 1
                chunk = [p for i, p in enumerate(chunk) if i not in failed]
        lost.sort(key=lambda e: (e.sheet, e.row))
        if lost and self.mode == "all_or_nothing":
            for planned, delta in reversed(done):  # undo: nothing of this file stays
                _update_unit(
                    _unit(planned).code,
                    [UnitSystemModel.head.remove(), *counter_actions({k: -v for k, v in delta.items()}, {})],
                    UnitSystemModel.head["appointment_id"] == (planned.head or {}).get("appointment_id"),
                )
            self.sent = 0
            raise Conflict(
                f"第{lost[0].row}行的单元刚刚已有人任职，未写入任何数据，请刷新后重试",
                "A unit in the file got a head meanwhile; nothing was written",
                [FieldError(e.path, e.message) for e in lost],
            )
        return lost


def _unit(planned: Planned) -> UnitModel:
    if planned.unit is None:
        raise ValueError(f"row {planned.row} has no unit")
    return planned.unit


def _aggregate(plan: Plan, rows: list[Planned]) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Counter and tag deltas per unit code: each row's change rolled up its unit's whole chain."""
    deltas: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    tags: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code, n in plan.children.items():
        deltas[code]["children"] += n
    for planned in rows:
        if planned.unit is None:
            continue
        for code in planned.unit.chain:
            if isinstance(planned.item, HouseholdModel):
                deltas[code]["households"] += 1
                deltas[code]["residents"] += int(planned.item.residents)
                for t in planned.item.tags:
                    tags[code][t] += 1
            else:
                deltas[code]["heads"] += 1
    return {c: dict(d) for c, d in deltas.items()}, {c: dict(t) for c, t in tags.items()}


# -- the use case ------------------------------------------------------------------------------------------
def _view(record: ImportModel, errors: list[RowError] | None = None, *, replayed: bool = False) -> ImportOut:
    stored = [RowErrorOut(**e) for e in json.loads(record.errors or "[]")]
    return ImportOut(
        id=record.id,
        kind=record.kind,
        mode=record.mode,
        status=record.status,
        rows_total=int(record.rows_total),
        rows_done=int(record.rows_done),
        written=int(record.written),
        skipped=int(record.skipped),
        errors=stored if errors is None else [RowErrorOut(**e.as_dict()) for e in errors],
        errors_total=int(record.errors_total),
        sha256=record.sha256,
        message=record.message,
        replayed=replayed,
    )


def rejection(plan: Plan, kind: str, mode: str, request_id: str) -> dict[str, Any]:
    """The 422 body: the usual error envelope, and every bad row."""
    rows = len({(e.sheet, e.row) for e in plan.errors})
    if plan.fatal:
        zh, en = "文件无法导入：请检查表头（第1行）", "The file cannot be imported: check the header row"
    elif plan.rows:
        zh = f"文件中有 {rows} 行有误，未写入任何数据；请改正后重新导入，或选择只导入无误的行"
        en = f"{rows} rows have errors; nothing was written. Fix them, or import with mode=valid_rows_only"
    else:
        zh, en = f"文件中 {rows} 行全部有误，未写入任何数据", f"All {rows} rows have errors; nothing was written"
    return {
        "error": {
            "code": "validation_failed",
            "message": zh,
            "message_en": en,
            "fields": [{"path": e.path, "message": e.message} for e in plan.errors[:100]],
            "request_id": request_id,
        },
        "kind": kind,
        "mode": mode,
        "rows_total": plan.rows_total,
        "errors_total": len(plan.errors),
        "errors": [e.as_dict() for e in plan.errors],
    }


@dataclass
class Submitted:
    status: int  # 201 written, 202 queued, 200 a replay, 422 refused
    body: dict[str, Any]


class _CatalogueOnce(CatalogueStore):
    """The catalogue as first read by one service: a request, a job or a county load reads each kind once
    (a county load checks 29 files against the same household tags)."""

    def __init__(self) -> None:
        super().__init__()
        self._read: dict[tuple[str, bool], list[CatalogueEntryModel]] = {}

    def entries(self, kind: str, *, active_only: bool = True) -> list[CatalogueEntryModel]:
        key = (kind, active_only)
        if key not in self._read:
            self._read[key] = super().entries(kind, active_only=active_only)
        return self._read[key]


class ImportService:
    def __init__(
        self,
        *,
        audit: AuditStore | None = None,
        profiles: ProfileStore | None = None,
        catalogue: CatalogueStore | None = None,
    ) -> None:
        self.audit = audit or AuditStore()
        self.profiles = profiles or ProfileStore()
        self.catalogue = catalogue or _CatalogueOnce()

    # -- submit -----------------------------------------------------------------------------------------
    def submit(self, principal: Principal, actor: Actor, *, kind: str, mode: str, data: bytes, media: str) -> Submitted:
        if kind in KIND_PERMISSIONS:
            principal.require(KIND_PERMISSIONS[kind])
        sha = hashlib.sha256(data).hexdigest()
        key = import_id(principal.sub, kind, sha)
        if mode == "validate_only":
            return self._validate(principal, actor, key=key, kind=kind, sha=sha, sheet=read_upload(kind, data, media))
        previous = self._record(key)
        if previous is not None:
            previous = _settle(previous)
        if previous is not None and not _may_run_again(previous):
            return Submitted(200, _view(previous, replayed=True).model_dump(mode="json"))
        plan = Checker(principal, key, catalogue=self.catalogue).check(kind, read_upload(kind, data, media))
        if plan.fatal or not plan.rows or (plan.errors and mode == "all_or_nothing"):
            return Submitted(422, rejection(plan, kind, mode, actor.request_id))
        now = _now()
        record = ImportModel(
            key,
            kind=kind,
            mode=mode,
            sha256=sha,
            media_type=media,
            sub=principal.sub,
            role=principal.role,
            scope=principal.scope,
            request_id=actor.request_id,
            status="queued" if plan.rows_total > JOB_THRESHOLD else "running",
            rows_total=plan.rows_total,
            skipped=plan.skipped,
            errors_total=len(plan.errors),
            errors=_stored(plan.errors),
            created_at=now,
            updated_at=now,
        )
        if not self._claim(record, previous):
            current = self._record(key)
            return Submitted(200, _view(current or record, replayed=True).model_dump(mode="json"))
        if record.status == "queued":
            try:
                record.upload_key = f"imports/{key}"
                jobs.put_upload(record.upload_key, data, media)
                record.update(actions=[ImportModel.upload_key.set(record.upload_key)])
                jobs.enqueue("import", key)
            except Exception:
                self._fail(record, "排队失败，未写入数据，请重新导入 / could not queue the import; nothing written", [])
                raise
            return Submitted(202, _view(record, plan.errors).model_dump(mode="json"))
        lost = self._write(record, plan, actor)
        return Submitted(201, _view(record, plan.errors + lost).model_dump(mode="json"))

    def _validate(
        self, principal: Principal, actor: Actor, *, key: str, kind: str, sha: str, sheet: Sheet | dict[str, Sheet]
    ) -> Submitted:
        """mode=validate_only: the same checks and report, no record, nothing written (200 when clean)."""
        plan = Checker(principal, key, catalogue=self.catalogue).check(kind, sheet)
        if plan.fatal or not plan.rows or plan.errors:
            return Submitted(422, rejection(plan, kind, "validate_only", actor.request_id))
        checked = ImportOut(
            id=key,
            kind=kind,
            mode="validate_only",
            status="done",
            rows_total=plan.rows_total,
            rows_done=plan.rows_total,
            written=0,
            skipped=0,
            errors=[],
            errors_total=0,
            sha256=sha,
            message="全部行校验通过，未写入任何数据 / every row is valid; nothing was written",
        )
        return Submitted(200, checked.model_dump(mode="json"))

    @staticmethod
    def _record(key: str) -> ImportModel | None:
        try:
            return ImportModel.get(key)
        except ImportModel.DoesNotExist:
            return None

    @staticmethod
    def _claim(record: ImportModel, previous: ImportModel | None) -> bool:
        """Save the record unless another request holds this file (the same file twice at once)."""
        condition = (
            ImportModel.id.does_not_exist() if previous is None else ImportModel.updated_at == previous.updated_at
        )
        try:
            record.save(condition=condition)
        except PutError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    # -- write ------------------------------------------------------------------------------------------
    def _write(
        self, record: ImportModel, plan: Plan, actor: Actor, progress: Callable[[int], None] | None = None
    ) -> list[RowError]:
        writer = BulkWriter(mode=record.mode, progress=progress, actor=actor, audit=self.audit)
        try:
            lost = writer.write(plan)
        except Conflict as e:
            self._fail(record, f"{e.message} / {e.message_en}", [])
            raise
        except Exception:
            # what may be in the tables is recorded: the same file is then not run again on its own
            record.update(
                actions=[
                    ImportModel.status.set("failed"),
                    ImportModel.written.set(writer.sent),
                    ImportModel.message.set(
                        f"导入中断，前 {writer.sent} 行可能已写入，请联系管理员核对 / "
                        f"the import stopped; up to {writer.sent} rows may have been written"
                    ),
                    ImportModel.updated_at.set(_now()),
                ]
            )
            raise
        errors = plan.errors + lost
        written = len(plan.rows) - len(lost)
        record.status = "done"
        record.rows_done = plan.rows_total
        record.written = written
        record.skipped = _rows_in_error(errors)
        record.errors_total = len(errors)
        record.errors = _stored(errors)
        record.updated_at = _now()
        with transaction() as tx:
            tx.save(record)
            self.audit.append(
                tx,
                actor,
                action=f"import.{record.kind}",
                entity_type="import",
                entity_id=record.id,
                unit_path=record.scope,
                before=None,
                after={
                    "kind": record.kind,
                    "mode": record.mode,
                    "sha256": record.sha256,
                    "rows_total": int(record.rows_total),
                    "written": written,
                    "skipped": int(record.skipped),
                },
            )
        return lost

    # -- jobs -------------------------------------------------------------------------------------------
    def run_job(self, key: str) -> None:
        """Run a queued import (SQS handler or drain): claim it, check the file again, write with progress."""
        record = self._record(key)
        if record is None:
            return
        try:
            record.update(
                actions=[ImportModel.status.set("running"), ImportModel.updated_at.set(_now())],
                condition=ImportModel.status == "queued",
            )
        except UpdateError:
            return  # a second delivery of the message, or the job already ran
        try:
            self._run(record)
        except Exception:
            logger().exception("import job failed", extra={"import_id": key})
            if record.status != "failed":  # not yet recorded by _write
                record.update(
                    actions=[
                        ImportModel.status.set("failed"),
                        ImportModel.message.set("导入中断，未写入数据，请重新导入 / the import stopped before writing"),
                        ImportModel.updated_at.set(_now()),
                    ]
                )

    def _run(self, record: ImportModel) -> None:
        principal = self.profiles.get_principal(record.sub)
        needed = ("imports:write", KIND_PERMISSIONS.get(record.kind, "imports:write"))
        if principal is None or not all(principal.has(p) for p in needed):
            self._fail(record, "导入人的账号已停用或无导入权限 / the importing account is no longer allowed", [])
            return
        actor = Actor(sub=record.sub, role=record.role, scope=record.scope, request_id=record.request_id)
        data = jobs.get_upload(str(record.upload_key))
        sheets = read_upload(record.kind, data, record.media_type)
        plan = Checker(principal, record.id, catalogue=self.catalogue).check(record.kind, sheets)
        if plan.fatal or not plan.rows or (plan.errors and record.mode == "all_or_nothing"):
            self._fail(record, "文件有误，未写入任何数据 / the file has errors; nothing was written", plan.errors)
            return

        def progress(done: int) -> None:
            record.update(actions=[ImportModel.rows_done.set(done), ImportModel.updated_at.set(_now())])

        self._write(record, plan, actor, progress)
        jobs.delete_upload(str(record.upload_key))

    @staticmethod
    def _fail(record: ImportModel, message: str, errors: list[RowError]) -> None:
        record.status = "failed"
        record.message = message
        record.errors = _stored(errors)
        record.errors_total = len(errors)
        record.updated_at = _now()
        record.save()

    # -- read -------------------------------------------------------------------------------------------
    def get(self, principal: Principal, key: str) -> ImportOut:
        record = self._record(key)
        if record is None or not (record.sub == principal.sub or principal.sees_unit(record.scope)):
            raise not_found("导入记录", "Import")
        return _view(_settle(record))


def _settle(record: ImportModel) -> ImportModel:
    """An import `running` for longer than its function may run was stopped mid-way (a Lambda timeout, a
    crash) and no code of it is left to say so: record it as failed, with how many rows may have been written
    (the rows done and the batch in flight), so the cadre sees it and the same file is not run again on its
    own. Conditional on the update it saw: a job that is still alive (it just wrote its progress) stays."""
    if record.status != "running":
        return record
    idle = clock.utc_now() - datetime.fromisoformat(record.updated_at)
    if idle.total_seconds() <= STALLED_AFTER:
        return record
    sent = min(int(record.rows_total), int(record.rows_done) + PROGRESS_EVERY)
    minutes = round(idle.total_seconds() / 60)
    try:
        record.update(
            actions=[
                ImportModel.status.set("failed"),
                ImportModel.written.set(sent),
                ImportModel.message.set(
                    f"导入中断（{minutes} 分钟无进展），前 {sent} 行可能已写入，请联系管理员核对 / "
                    f"the import stopped ({minutes} minutes without progress); up to {sent} rows may have been written"
                ),
                ImportModel.updated_at.set(_now()),
            ],
            condition=(ImportModel.status == "running") & (ImportModel.updated_at == record.updated_at),
        )
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        record.refresh()  # settled by another reader, or the job moved on
    return record


def _may_run_again(record: ImportModel) -> bool:
    """A file that wrote nothing (refused by a job, or every row invalid) may be imported again."""
    return record.status in ("done", "failed") and int(record.written) == 0


def _stored(errors: list[RowError]) -> str:
    return json.dumps([e.as_dict() for e in errors[:MAX_STORED_ERRORS]], ensure_ascii=False)


def run_import_job(key: str) -> None:
    ImportService().run_job(key)


jobs.register("import", run_import_job)
