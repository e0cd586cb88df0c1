"""PynamoDB models and queries for grid units. Errors leave as domain errors."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.db import BaseMeta, register_model, transaction


class ParentIndex(GlobalSecondaryIndex["UnitModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_parent"
        projection = AllProjection()

    parent = UnicodeAttribute(hash_key=True)
    path = UnicodeAttribute(range_key=True)


@register_model
class UnitModel(Model):
    class Meta(BaseMeta):
        table_suffix = "units"

    path = UnicodeAttribute(hash_key=True)  # materialised path, e.g. 430182/DCQ/QS/P03
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    level = UnicodeAttribute()
    parent = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_parent = ParentIndex()


def unit_state(item: UnitModel) -> dict[str, Any]:
    return {"path": item.path, "code": item.code, "name": item.name, "level": item.level, "parent": item.parent}


class UnitStore:
    def __init__(self, *, audit: AuditStore) -> None:
        self.audit = audit

    def get(self, path: str) -> UnitModel | None:
        try:
            return UnitModel.get(path)
        except UnitModel.DoesNotExist:
            return None

    def children(self, parent: str, *, limit: int, after: dict[str, Any] | None) -> tuple[list[UnitModel], Any]:
        result = UnitModel.by_parent.query(parent, limit=limit, last_evaluated_key=after)
        items = list(result)
        return items, result.last_evaluated_key

    def create(self, item: UnitModel, actor: Actor) -> UnitModel:
        """Create the unit if its path is new and its parent still exists, with its audit event."""
        with transaction() as tx:
            tx.save(item, condition=UnitModel.path.does_not_exist())
            if item.parent is not None:
                tx.condition_check(UnitModel, item.parent, condition=UnitModel.path.exists())
            self._audit(tx, actor, "unit.create", item, None)
        return item

    def update(self, item: UnitModel, before: dict[str, Any], actor: Actor) -> UnitModel:
        """Save with the version condition PynamoDB adds: a stale write fails and nothing is overwritten."""
        with transaction() as tx:
            tx.save(item)
            self._audit(tx, actor, "unit.update", item, before)
        return item

    def _audit(
        self, tx: TransactWrite, actor: Actor, action: str, item: UnitModel, before: dict[str, Any] | None
    ) -> None:
        self.audit.append(
            tx,
            actor,
            action=action,
            entity_type="unit",
            entity_id=item.path,
            unit_path=item.path,
            before=before,
            after=unit_state(item),
        )
