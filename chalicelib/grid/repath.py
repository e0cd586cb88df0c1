"""Records that carry a unit path follow a moved unit: one helper for every slice.

A slice declares, once, how each of its tables carries the path (`PathTable`: the model, the index keyed on
(root, "<prefix><unit path>/#<id>"), the path attribute) and registers it with `register_path_tables`; a
move (`GridService.move_unit`, and its recovery) calls `repath_all`, which for every table:

- reads the records below the old path (one key-range query on the table's path index, never a scan);
- rewrites their path, root(s) and path key to the new prefix with a low-level UpdateItem that leaves the
  record's VersionAttribute alone (a cadre's If-Match stays valid: the move is not her edit), under the
  condition that the record still has the old path (a record that moved meanwhile is left as it is);
- writes them in bounded transactions (`BATCH` records, each with its audit event `<entity>.repath`).

It is idempotent: a record already re-pathed is no longer below the old path, so running a move again
after a crash only finishes what was left. Slices whose records need more than the prefix (a village or a
town taken from the new chain, aggregates per unit) add `more` actions or a hook (`register_move_hook`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import KEY
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.db import transaction
from chalicelib.core.errors import Conflict

BATCH = 25  # records per transaction: with their audit events, 50 of DynamoDB's 100 items
ATTEMPTS = 3  # a record whose own transaction fails (a racing audit event) is tried again this often


@dataclass(frozen=True)
class Move:
    """A unit moved from `old_path` (under `old_root`) to `new_path`; `chain` is the moved unit's new chain,
    city first: (code, level, path) of each ancestor, then of the unit itself."""

    actor: Actor
    old_root: str
    old_path: str
    new_root: str
    new_path: str
    chain: tuple[tuple[str, str, str], ...] = ()

    def within(self, path: str) -> bool:
        return path == self.old_path or path.startswith(self.old_path + "/")

    def rebase(self, path: str) -> str:
        """The new path of `path`, which lies at or below the old path."""
        return self.new_path + path[len(self.old_path) :]

    def above(self, level: str) -> tuple[str, str] | None:
        """(code, new path) of the unit of `level` on the moved unit's new chain, if there is one."""
        return next(((c, p) for c, lv, p in self.chain if lv == level), None)


# record, move -> further actions on the same record (typed with the model's own attributes)
More = Callable[[Any, Move], list[Action]]


@dataclass(frozen=True)
class PathTable:
    """How the records of one table carry a unit path."""

    model: type[Model]
    entity: str  # the audit entity type, e.g. "member"
    path: str | None = "unit_path"  # the attribute holding the path; None: the path is read from the key
    index: str = "by_path"  # a GSI of the model: hash `index_root`, range `key`
    index_root: str = "root"
    key: str = "path_key"  # "<prefix><unit path>/#<id>"
    roots: tuple[str, ...] = ("root",)  # attributes holding the root: set where the record has them
    key_prefixes: Callable[[], Iterable[str]] = field(default=lambda: ("",))  # pledges: one per year
    partitions: Callable[[str], Iterable[str]] = field(default=lambda root: (root,))  # index hash keys of a root
    also_if: Callable[[Any], Condition] | None = None  # a further condition: what `more` read is still true
    more: More | None = None  # further actions on the same record

    @property
    def name(self) -> str:
        return f"{self.model.Meta.table_suffix}.{self.index}"  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Repathed:
    """One record that followed the move."""

    id: str
    old_path: str
    new_path: str
    old_key: str
    new_key: str


PATH_TABLES: dict[str, PathTable] = {}
MOVE_HOOKS: dict[str, Callable[[Move], int]] = {}


def register_path_tables(*tables: PathTable) -> None:
    """Declare tables whose records follow a moved unit (again on a re-import: replaced, not doubled)."""
    for table in tables:
        PATH_TABLES[table.name] = table


def register_move_hook(name: str, hook: Callable[[Move], int]) -> None:
    """A function run after the tables are re-pathed, for what a prefix does not cover (aggregates)."""
    MOVE_HOOKS[name] = hook


def repath_all(move: Move, audit: AuditStore | None = None) -> dict[str, int]:
    """Every registered table, then every hook: the number of records moved, by table or hook."""
    audit = audit or AuditStore()
    counts = {name: len(repath(table, move, audit)) for name, table in PATH_TABLES.items()}
    counts |= {name: hook(move) for name, hook in MOVE_HOOKS.items()}
    return counts


def repath(table: PathTable, move: Move, audit: AuditStore | None = None) -> list[Repathed]:
    """The records of `table` below the old path get the new one, in transactions of `BATCH` records."""
    run = _Run(table, move, audit or AuditStore())
    attrs = table.model.get_attributes()
    index: Any = getattr(table.model, table.index)
    done: list[Repathed] = []
    batch: list[tuple[Model, Repathed]] = []
    for prefix in table.key_prefixes():
        condition = attrs[table.key].startswith(prefix + move.old_path + "/")
        for partition in table.partitions(move.old_root):
            for record in index.query(partition, condition):
                batch.append((record, run.plan(prefix, record)))
                if len(batch) == BATCH:
                    done += run.write(batch)
                    batch = []
    if batch:
        done += run.write(batch)
    return done


@dataclass(frozen=True)
class _Run:
    table: PathTable
    move: Move
    audit: AuditStore

    def write(self, batch: Sequence[tuple[Model, Repathed]]) -> list[Repathed]:
        try:
            with transaction() as tx:
                for record, plan in batch:
                    self.append(tx, record, plan)
            return [plan for _, plan in batch]
        except Conflict:  # one record changed meanwhile: each on its own, so the others still follow
            return [plan for record, plan in batch if self.write_one(record, plan)]

    def write_one(self, record: Model, plan: Repathed) -> bool:
        for _ in range(ATTEMPTS):
            try:
                with transaction() as tx:
                    self.append(tx, record, plan)
                return True
            except Conflict:
                try:
                    record.refresh(consistent_read=True)
                except self.table.model.DoesNotExist:
                    return False
                if self.current(record) != plan.old_path:
                    return False  # it moved elsewhere (or was re-pathed already): leave it as it is
        return False

    def current(self, record: Model) -> str:
        if self.table.path is not None:
            return str(getattr(record, self.table.path))
        return str(getattr(record, self.table.key)).rsplit("/#", 1)[0].split("|")[-1]

    def plan(self, prefix: str, record: Model) -> Repathed:
        old_key = str(getattr(record, self.table.key))
        new_key = prefix + self.move.rebase(old_key[len(prefix) :])
        old_path = self.current(record)
        hash_key, range_key = record._get_hash_range_key_serialized_values()
        entity_id = str(hash_key) if range_key is None else f"{hash_key}/{range_key}"
        return Repathed(entity_id, old_path, self.move.rebase(old_path), old_key, new_key)

    def append(self, tx: TransactWrite, record: Model, plan: Repathed) -> None:
        table, move = self.table, self.move
        attrs = table.model.get_attributes()
        actions: list[Action] = [attrs[table.key].set(plan.new_key)]
        if table.path is not None:
            actions.append(attrs[table.path].set(plan.new_path))
        actions += [attrs[r].set(move.new_root) for r in table.roots if getattr(record, r, None) is not None]
        if table.more is not None:
            actions += table.more(record, move)
        guard: Attribute[Any] = attrs[table.path] if table.path is not None else attrs[table.key]
        condition: Condition = guard == (plan.old_path if table.path is not None else plan.old_key)
        if table.also_if is not None:
            condition &= table.also_if(record)
        update_unversioned(tx, record, actions, condition)
        self.audit.append(
            tx, move.actor, action=f"{table.entity}.repath", entity_type=table.entity, entity_id=plan.id,
            unit_path=plan.new_path, before={"unit_path": plan.old_path}, after={"unit_path": plan.new_path},
        )  # fmt: skip


def update_unversioned(tx: TransactWrite, record: Model, actions: list[Action], condition: Condition | None) -> None:
    """An UpdateItem of `record` in `tx` that neither checks nor moves its VersionAttribute: a system change
    (a re-path) that must not make a cadre's If-Match stale. PynamoDB's own update always moves the
    version, hence the table connection's low-level operation, with the model's typed attributes."""
    hash_key, range_key = record._get_hash_range_key_serialized_values()
    kwargs = record._get_connection().get_operation_kwargs(
        hash_key, range_key=range_key, key=KEY, actions=actions, condition=condition
    )
    tx._update_items.append(kwargs)
