"""PynamoDB plumbing shared by every store: lazy table names, the table registry, transactions, and one
botocore data loader for every model's connection.

Table definitions are derived from the PynamoDB models themselves (`table_definitions()`), so the local
stack, the tests and infra/ all create exactly the same tables from one source.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session
import pynamodb.connection.base as pynamodb_connection
from botocore.loaders import Loader
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.errors import Conflict
from chalicelib.core.settings import get_settings

_LOADER: list[Loader] = []
_LOADER_LOCK = threading.Lock()


def _session() -> botocore.session.Session:
    """A botocore session for one PynamoDB connection (PynamoDB makes one per model and thread), sharing the
    process's data loader: each new session otherwise parses DynamoDB's service model and the endpoint data
    again, about 0.2 s a model. Measured: the first call of the 51 models took 13.2 s, now 2.5 s (local stack
    start, each test worker, and a Lambda container's first request to each table)."""
    session = botocore.session.get_session()
    with _LOADER_LOCK:
        if not _LOADER:
            _LOADER.append(session.get_component("data_loader"))
    session.register_component("data_loader", _LOADER[0])
    return session


pynamodb_connection.get_session = _session  # type: ignore[attr-defined]  # PynamoDB's Connection.session calls the name in its module


class LazyMeta(type):
    """Metaclass for a model's ``Meta``: the table name and region come from settings when first used."""

    table_suffix: str

    @property
    def table_name(cls) -> str:
        return get_settings().table_name(cls.table_suffix)

    @property
    def region(cls) -> str | None:
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


class BaseMeta(metaclass=LazyMeta):
    table_suffix = ""
    billing_mode = "PAY_PER_REQUEST"


MODELS: list[type[Model]] = []


def register_model(model: type[Model]) -> type[Model]:
    """Class decorator: the model's table is part of the service (local stack, tests and infra create it)."""
    MODELS.append(model)
    return model


def ttl_attribute_of(model: type[Model]) -> str | None:
    from pynamodb.attributes import TTLAttribute

    for name, attr in model.get_attributes().items():
        if isinstance(attr, TTLAttribute):
            return str(attr.attr_name or name)
    return None


def all_models() -> list[type[Model]]:
    """Every registered model, after importing every slice (importing a slice registers its tables)."""
    from chalicelib.slices import import_models

    import_models()
    return list(MODELS)


def table_definitions() -> list[dict[str, Any]]:
    """Every table as plain data: name suffix, keys, attribute definitions, indexes, TTL, stream."""
    out: list[dict[str, Any]] = []
    for model in all_models():
        schema = model._get_schema()
        meta = model.Meta
        out.append(
            {
                "suffix": meta.table_suffix,  # type: ignore[attr-defined]
                "key_schema": schema["key_schema"],
                "attribute_definitions": schema["attribute_definitions"],
                "global_secondary_indexes": schema.get("global_secondary_indexes", []),
                "ttl_attribute": ttl_attribute_of(model),
                "stream": getattr(meta, "stream_view_type", None),
            }
        )
    return out


def create_tables() -> None:
    """Create every registered table that does not exist yet (local stack and tests; infra/ in AWS)."""
    existing = _table_names()
    for model in all_models():
        if model.Meta.table_name not in existing:
            model.create_table(wait=True)  # PynamoDB turns on its TTL attribute's expiry too


def _table_names() -> set[str]:
    """Every table of the account and region: one ListTables a hundred, not a DescribeTable each."""
    names: set[str] = set()
    after: str | None = None
    while True:
        page = _connection().list_tables(exclusive_start_table_name=after)
        names.update(page.get("TableNames", []))
        after = page.get("LastEvaluatedTableName")
        if not after:
            return names


_connections: dict[str | None, Connection] = {}


def _connection() -> Connection:
    """One connection (one botocore client) per region per process, as PynamoDB keeps one per model."""
    region = LazyMeta.region.fget(BaseMeta)  # type: ignore[attr-defined]
    if region not in _connections:
        _connections[region] = Connection(region=region)
    return _connections[region]


@contextmanager
def transaction() -> Iterator[TransactWrite]:
    """A DynamoDB transaction; a failed condition becomes a 409 Conflict (nothing was written)."""
    try:
        with TransactWrite(connection=_connection()) as tx:
            yield tx
    except TransactWriteError as e:
        reasons = [r.code for r in (e.cancellation_reasons or []) if r is not None]
        if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
            raise Conflict(
                "记录已被他人修改或已存在，请刷新后重试",
                "The record was changed by someone else or already exists; reload and retry",
            ) from e
        raise
