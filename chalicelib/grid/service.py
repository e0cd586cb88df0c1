"""Grid rules: which unit may hold which child, and who may see or change it (scope checks)."""

from __future__ import annotations

from chalicelib.core.audit import Actor
from chalicelib.core.auth import Principal
from chalicelib.core.errors import Conflict, FieldError, ValidationFailed, not_found
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.grid.schemas import LEVEL_LABELS, LEVELS, UnitCreate, UnitOut, UnitPage, UnitUpdate
from chalicelib.grid.store import UnitModel, UnitStore, unit_state


def unit_out(item: UnitModel) -> UnitOut:
    return UnitOut(
        path=item.path,
        code=item.code,
        name=item.name,
        level=item.level,
        level_label=LEVEL_LABELS[item.level],
        parent=item.parent,
        version=int(item.version or 0),
    )


class GridService:
    def __init__(self, *, units: UnitStore) -> None:
        self.units = units

    def _visible(self, principal: Principal, path: str) -> UnitModel:
        """The unit, if it lies in the caller's scope; otherwise 404 (never says it exists)."""
        if not principal.sees_unit(path):
            raise not_found("网格单元", "Unit")
        item = self.units.get(path)
        if item is None:
            raise not_found("网格单元", "Unit")
        return item

    def get(self, principal: Principal, path: str) -> UnitOut:
        return unit_out(self._visible(principal, path))

    def children(self, principal: Principal, path: str, *, limit: int, cursor: str | None) -> UnitPage:
        self._visible(principal, path)
        items, last = self.units.children(path, limit=limit, after=decode_cursor(cursor))
        return UnitPage(items=[unit_out(i) for i in items], next_cursor=encode_cursor(last))

    def create(self, principal: Principal, actor: Actor, data: UnitCreate) -> UnitOut:
        parent = self._visible(principal, data.parent)
        if parent.level == LEVELS[-1]:
            raise ValidationFailed(
                "邻是最小网格单元，不能再分",
                "A neighbourhood has no child units",
                [FieldError("body.parent", "邻下不能再设单元 / no units below a neighbourhood")],
            )
        level = LEVELS[LEVELS.index(parent.level) + 1]
        item = UnitModel(f"{parent.path}/{data.code}", code=data.code, name=data.name, level=level, parent=parent.path)
        try:
            return unit_out(self.units.create(item, actor))
        except Conflict as e:
            raise Conflict(
                "该编码在上级单元下已存在",
                "A unit with this code already exists under the parent",
                [FieldError("body.code", "编码重复 / duplicate code")],
            ) from e

    def update(self, principal: Principal, actor: Actor, path: str, data: UnitUpdate, if_match: int | None) -> UnitOut:
        item = self._visible(principal, path)
        if if_match is not None and if_match != int(item.version or 0):
            raise Conflict(
                f"记录已被修改（当前版本 {item.version}），请刷新后重试",
                f"Stale version: the record is now at version {item.version}; reload and retry",
            )
        before = unit_state(item)
        item.name = data.name
        return unit_out(self.units.update(item, before, actor))
