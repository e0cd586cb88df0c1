"""Import and export request and answer models: light to import (the routes declare them at cold start;
the import and export machinery is loaded on first use)."""

from typing import Literal

from pydantic import Field, model_validator

from chalicelib.core.schemas import Out, Strict

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
XLS = "application/vnd.ms-excel"  # the type Windows gives a .csv file when Excel is installed
ZIP = "application/zip"  # kind=grid: a ZIP of CSV files, one per sheet
ZIP_WINDOWS = "application/x-zip-compressed"  # the type Windows browsers give a .zip file
MEDIA_TYPES = (XLSX, CSV, XLS, ZIP, ZIP_WINDOWS)

Kind = Literal["units", "households", "appointments", "members", "grid"]
Mode = Literal["all_or_nothing", "valid_rows_only", "validate_only"]
KINDS: tuple[str, ...] = ("units", "households", "appointments", "members", "grid")
KIND_LABELS: dict[str, str] = {
    "units": "网格单元",
    "households": "住户",
    "appointments": "三长任职",
    "members": "党员花名册",
    "grid": "网格工作簿",
}


class ImportQuery(Strict):
    kind: Kind = Field(
        description="units 网格单元 / households 住户 / appointments 三长任职 / members 党员花名册 (party roster) / "
        "grid 网格工作簿: units, households and appointments in one workbook (sheets 单元、住户、任职) or ZIP of CSVs"
    )
    mode: Mode = Field(
        "all_or_nothing",
        description="有错全不导入，或只导入无误的行，或只校验不写入 / all or nothing, valid rows only, or check only",
    )


class RowErrorOut(Out):
    sheet: str | None = Field(None, description="网格工作簿的工作表：单元、住户、任职 / kind=grid: the sheet")
    row: int
    column: str
    message: str


class ImportOut(Out):
    id: str
    kind: str
    mode: str
    status: Literal["queued", "running", "done", "failed"]
    rows_total: int
    rows_done: int
    written: int = Field(description="写入的行数 / rows written")
    skipped: int = Field(description="因有误跳过的行数 / rows skipped as invalid")
    errors: list[RowErrorOut]
    errors_total: int
    sha256: str
    message: str | None = None
    replayed: bool = Field(False, description="同一文件已导入过：返回首次结果，未再写入 / same file: first result")


class ExportQuery(Strict):
    unmask: bool = Field(False, description="显示完整电话（须同时说明用途，记入审计）/ clear phones, audited")
    purpose: Literal["contact_card"] | None = Field(None, description="用途：印制明白卡 / purpose: contact cards")

    @model_validator(mode="after")
    def _purpose_named(self) -> "ExportQuery":
        if self.unmask and self.purpose is None:
            raise ValueError("显示完整电话须说明用途 purpose=contact_card / unmask needs a purpose")
        return self


class RosterQuery(Strict):
    """`GET /v1/units/{code}/members/export`: which members go into the roster (left members only on request)."""

    status: Literal["probationary", "full", "left"] | None = Field(
        None, description="预备 / 正式 / 已离开；空为在册党员（预备和正式）/ empty: current members"
    )
    in_service: bool | None = Field(None, description="只导出在职党员，或只导出非在职 / in-service members or not")
