"""Item-level rollback for moto's TransactWriteItems, for the local stack with county-size tables.

moto backs up every table a transaction touches with `copy.deepcopy` before applying it (its rollback,
moto/dynamodb/models/__init__.py, `transact_write_items`). With 420,000 households loaded, each write
transaction in `make run` would copy the whole households table. This keeps moto's own transaction code and
semantics (conditions, all-or-nothing, the same errors) but snapshots only the items the transaction names,
and puts exactly those back when it is cancelled. Installed by the local stack and the county benchmark;
`tests/integration/test_moto_tx.py` checks the rollback.
"""

from __future__ import annotations

import copy
import functools
import threading
import types
from collections.abc import Callable
from typing import Any

_installed = threading.Lock()
_done = False


def install() -> None:
    global _done  # noqa: PLW0603 - a process-wide, once-only patch
    with _installed:
        if _done:
            return
        _install()
        _done = True


def _install() -> None:
    from moto.dynamodb import models as dynamodb_models  # noqa: PLC0415 - moto only in the local stack
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
    from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    # the module's `copy` now copies everything as before but tables: those the wrapper below protects
    dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[attr-defined,assignment]
    original: Callable[[Any, list[dict[str, Any]]], None] = DynamoDBBackend.transact_write_items

    def key_of(table: Any, op_type: str, op: dict[str, Any]) -> tuple[Any, Any]:
        attrs = op["Item"] if op_type == "Put" else op["Key"]
        hash_key = DynamoType(attrs[table.hash_key_attr])
        range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        return hash_key, range_key

    def restore(table: Any, hash_key: Any, range_key: Any, saved: Any) -> None:
        if range_key is None:
            if saved is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = saved
        elif saved is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = saved

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None or op_type == "ConditionCheck":
                continue
            try:
                hash_key, range_key = key_of(table, op_type, op)
            except KeyError:
                continue  # a malformed operation: moto's own code reports it
            current = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(current)))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                restore(table, hash_key, range_key, item)
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
