"""Units of the grid: request and response models (they also drive the web forms)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.schemas import Out, Strict

LEVELS: tuple[str, ...] = ("city", "town", "village", "area", "group", "neighbourhood")
LEVEL_LABELS: dict[str, str] = {
    "city": "市",
    "town": "镇/乡/街道",
    "village": "村/社区",
    "area": "片",
    "group": "组",
    "neighbourhood": "邻",
}
Level = Literal["city", "town", "village", "area", "group", "neighbourhood"]
CODE_PATTERN = r"^[A-Z0-9]{1,12}$"


class UnitCreate(Strict):
    parent: str = Field(
        description="上级单元路径 / parent unit path", max_length=200, pattern=r"^[A-Z0-9]+(/[A-Z0-9]+)*$"
    )
    code: str = Field(description="本级编码（大写字母或数字）/ code within the parent", pattern=CODE_PATTERN)
    name: str = Field(description="中文名称 / Chinese name", min_length=1, max_length=40)


class UnitUpdate(Strict):
    name: str = Field(description="中文名称 / Chinese name", min_length=1, max_length=40)


class UnitOut(Out):
    path: str
    code: str
    name: str
    level: Level
    level_label: str
    parent: str | None
    version: int


class UnitPage(Out):
    items: list[UnitOut]
    next_cursor: str | None


class ChildrenQuery(Strict):
    limit: int = Field(100, ge=1, le=500)
    cursor: str | None = Field(None, max_length=2000)
