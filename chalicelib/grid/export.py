"""Excel files out: a unit's subtree (units and households), a unit's party roster, and the import templates.

Phones are masked for every role (138****1234); `unmask=true&purpose=contact_card` gives clear phones to a
role holding `personal:unmask`, and writes an audit event first. Every text cell that a spreadsheet would run
as a formula (starting with = + - @, a tab or a carriage return) is written with a leading apostrophe.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.errors import FieldError, NotFound, ValidationFailed
from chalicelib.core.privacy import mask_phone
from chalicelib.grid.import_schemas import KIND_LABELS, KINDS, ExportQuery
from chalicelib.grid.imports import COLUMNS, GRID_SHEETS
from chalicelib.grid.schemas import HEAD_LABELS, LEVEL_LABELS
from chalicelib.grid.service import GridService, default_service
from chalicelib.grid.store import HouseholdModel, UnitModel

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
UNIT_SHEET = ("编码", "名称", "层级", "上级", "户数", "人口", "三长")
HOUSEHOLD_SHEET = ("所在邻编码", "所在单元", "地址", "户主姓名", "常住人口", "手机号", "标签", "备注")
PAGE = 500
# a Lambda answer is at most 6 MB (base64): about 60,000 households fit; a bigger subtree is exported in parts
MAX_EXPORT_HOUSEHOLDS = 50_000
ROSTER_SHEET = (
    "姓名", "性别", "出生日期", "身份证号", "手机号", "所在邻编码", "所在单元", "住户地址", "户主姓名",
    "党支部", "党员状态", "入党日期", "转正日期", "在职党员", "工作单位", "单位党组织",
)  # fmt: skip
MAX_EXPORT_MEMBERS = 50_000  # a roster row is wider than a household's: the same bound keeps it under 6 MB
GENDER_LABELS = {"male": "男", "female": "女"}


def safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _workbook_bytes(sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]]) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - 0.2 s to import: only imports and exports pay it

    book = Workbook(write_only=True)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        for row in rows:
            ws.append([safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _head(unit: UnitModel, reveal: bool) -> str:
    head = unit.head_info
    if head is None:
        return ""
    phone = head["phone"] if reveal else mask_phone(head["phone"])
    return f"{HEAD_LABELS.get(head['role'], '')} {head['person_name']} {phone or ''}".strip()


class Exporter:
    def __init__(self, *, service: GridService) -> None:
        self.service = service
        self.store = service.store

    def subtree(self, principal: Principal, actor: Actor, code: str, query: ExportQuery) -> bytes:
        unit = self.service.visible_unit(principal, code)
        if int(unit.households) > MAX_EXPORT_HOUSEHOLDS:
            raise ValidationFailed(
                f"该单元有 {int(unit.households)} 户，超过单次导出上限 {MAX_EXPORT_HOUSEHOLDS} 户，请按镇或村分别导出",
                f"The subtree has {int(unit.households)} households, over the export limit; export its parts",
                [FieldError("path.code", "导出范围过大 / subtree too large to export at once")],
            )
        reveal = query.unmask
        if reveal:
            principal.require("personal:unmask")
            self.store.audit_read(actor, "unit.export_unmask", ("unit", unit.code), unit.path, str(query.purpose))
        units = [unit, *self._all(lambda after: self.store.subtree(unit.root, unit.path, limit=PAGE, after=after))]
        names = {u.code: u.name for u in units}
        tag_names = {e.code: e.name_zh for e in CatalogueStore().entries("household_tag", active_only=False)}
        unit_rows = (
            (
                u.code,
                u.name,
                LEVEL_LABELS.get(u.level, u.level),
                u.parent or "",
                int(u.households),
                int(u.residents),
                _head(u, reveal),
            )
            for u in units
        )
        households: list[HouseholdModel] = self._all(
            lambda after: self.store.households_below(unit.root, unit.path, limit=PAGE, after=after)
        )
        household_rows = (
            (
                h.unit_code,
                names.get(h.unit_code, ""),
                h.address,
                h.head_name,
                int(h.residents),
                (h.phone if reveal else mask_phone(h.phone)) or "",
                "、".join(tag_names.get(t, t) for t in h.tags),
                h.note or "",
            )
            for h in households
        )
        return _workbook_bytes([("单元", [UNIT_SHEET, *unit_rows]), ("住户", [HOUSEHOLD_SHEET, *household_rows])])

    @staticmethod
    def _all(page: Any) -> list[Any]:
        items: list[Any] = []
        after = None
        while True:
            got, after = page(after)
            items += got
            if not after:
                return items


# kind=grid: one example that holds together: a new 组 and 邻 under 鹊山村第一片, a household, both heads
GRID_EXAMPLES: dict[str, list[list[str]]] = {
    "units": [["430182-DCQ-QS-P01", "Z09", "第九组"], ["430182-DCQ-QS-P01-Z09", "L01", "第一邻"]],
    "households": [["430182-DCQ-QS-P01-Z09-L01", "鹊山村第九组1号", "张良科", "4", "13800001234", "独居老人", ""]],
    "appointments": [
        ["430182-DCQ-QS-P01-Z09", "李春华", "13900005678", "是", "2024-03-01"],
        ["430182-DCQ-QS-P01-Z09-L01", "周秀英", "13900005679", "否", "2024-03-01"],
    ],
}


def template(kind: str) -> bytes:
    """The import template: the headers and an example row, and a 说明 sheet (columns, tag catalogue). A grid
    workbook's has its three sheets, 单元, 住户 and 任职, with an example that holds together."""
    if kind not in KINDS:
        names = "、".join(KINDS)
        raise NotFound(f"没有这种导入模板（可用：{names}）", "No such template")
    sheets = GRID_SHEETS if kind == "grid" else ((kind, KIND_LABELS[kind]),)
    notes: list[list[Any]] = []
    for part, title in sheets:
        notes += [[f"工作表“{title}”"]] if kind == "grid" else []
        notes += [["列名", "是否必填", "说明", "示例"]]
        notes += [[c.name, "必填" if c.required else "可空", c.help, c.example] for c in COLUMNS[part]]
        notes += [[]]
    notes += [
        ["第1行为表头，不要改动；从第2行起每行一条。有误的行会按行号列出。"],
        ["可保存为 .xlsx，或 CSV（UTF-8 或 WPS 默认的 GBK 编码均可），单个文件不超过 10 MB。"]
        if kind != "grid"
        else ["三张工作表可只填其中几张；住户和任职可以填本工作簿“单元”表中新建的单元。也可上传 CSV 的 ZIP 压缩包"
              "（units.csv、households.csv、appointments.csv）。有误的行按工作表和行号列出。"],
    ]  # fmt: skip
    if kind in ("households", "grid"):
        notes += [[], ["民情地图标签（填名称或编码）"], ["编码", "名称"]]
        notes += [[e.code, e.name_zh] for e in CatalogueStore().entries("household_tag")]
    books: list[tuple[str, Iterable[Iterable[Any]]]] = []
    for part, title in sheets:
        examples = GRID_EXAMPLES[part] if kind == "grid" else [[c.example for c in COLUMNS[part]]]
        books.append((title, [[c.name for c in COLUMNS[part]], *examples]))
    return _workbook_bytes([*books, ("说明", notes)])


def roster(principal: Principal, code: str, *, status: str | None, in_service: bool | None) -> bytes:
    """党员花名册 of a unit's subtree: one row per member, ID numbers and phones masked for every role.

    Reads are proportional to the roster: the members below the unit (the members' (root, path) index, in
    pages), then their households and units by BatchGetItem (distinct ones only)."""
    from chalicelib.members.schemas import STATUS_LABELS  # noqa: PLC0415 - members are loaded on first use
    from chalicelib.members.store import MemberModel, MemberStore  # noqa: PLC0415

    grid = default_service()
    unit = grid.visible_unit(principal, code)
    if int(unit.members) > MAX_EXPORT_MEMBERS:
        raise ValidationFailed(
            f"该单元有 {int(unit.members)} 名党员，超过单次导出上限 {MAX_EXPORT_MEMBERS} 名，请按镇或村分别导出",
            f"The subtree has {int(unit.members)} members, over the export limit; export its parts",
            [FieldError("path.code", "导出范围过大 / subtree too large to export at once")],
        )
    store = MemberStore(audit=AuditStore())
    members: list[MemberModel] = Exporter._all(
        lambda after: store.below(unit.root, unit.path, status=status, in_service=in_service, limit=PAGE, after=after)
    )
    if status is None:  # the roster of current members; those who left only when asked for
        members = [m for m in members if m.status != "left"]
    homes = {h.id: h for h in _batch(HouseholdModel, {m.household_id for m in members if m.household_id})}
    units = {u.code: u for u in _batch(UnitModel, {m.unit_code for m in members}, ["code", "name"])}
    rows = (
        (
            m.name,
            GENDER_LABELS.get(m.gender, m.gender),
            m.birth_date,
            m.id_masked,
            mask_phone(m.phone) or "",
            m.unit_code,
            u.name if (u := units.get(m.unit_code)) else "",
            h.address if (h := homes.get(m.household_id or "")) else "",
            h.head_name if h else "",
            m.branch,
            STATUS_LABELS.get(m.status, m.status),
            m.join_date,
            m.probation_end or "",
            "是" if m.in_service else "否",
            m.workplace or "",
            m.workplace_branch or "",
        )
        for m in sorted(members, key=lambda m: (m.unit_path, m.name, m.id))
    )
    return _workbook_bytes([("党员花名册", [ROSTER_SHEET, *rows])])


def _batch(model: Any, keys: set[str], attributes: list[str] | None = None) -> list[Any]:
    """BatchGetItem of the distinct keys (PynamoDB splits it into calls of 100)."""
    return list(model.batch_get(sorted(keys), attributes_to_get=attributes)) if keys else []
