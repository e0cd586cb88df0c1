"""Mediation tables: cases, teams, the case-number counters and the figures kept per unit and month.

- A case by id; a unit's subtree by the path index (root, "<unit path>/#<id>"); the open cases of a subtree
  by a sparse index holding only open cases (overdue lists read only those).
- Case numbers: one counter item per committee and year, moved from n to n+1 under the condition that it is
  still n, in the same transaction as the new case: no gap and no duplicate, whatever runs concurrently.
- Figures: one item per (unit, "<month>#<counter>"), incremented in the transaction of the change for every
  unit of the case's chain, so a unit's figures for a period are one key-range query, never a scan.
- Case details (summary, names, statements, agreement text, notes) are one AES-GCM sealed document.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.core.errors import Conflict, Unavailable
from chalicelib.grid.repath import PathTable, register_path_tables
from chalicelib.members.store import seal, unseal

NUMBER_ATTEMPTS = 40


def seal_details(doc: dict[str, Any]) -> str:
    return seal(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))


def unseal_details(sealed: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(unseal(sealed))
    return doc


class CasePathIndex(GlobalSecondaryIndex["MediationCaseModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


class OpenCaseIndex(GlobalSecondaryIndex["MediationCaseModel"]):  # type: ignore[no-untyped-call]
    """Sparse: only open cases carry `open_root`."""

    class Meta:
        index_name = "open_by_path"
        projection = AllProjection()

    open_root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class MediationCaseModel(Model):
    class Meta(BaseMeta):
        table_suffix = "mediation-cases"

    id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute()  # (2026)宁大人调字第12号
    committee_id = UnicodeAttribute()
    year = NumberAttribute()
    seq = NumberAttribute()
    status = UnicodeAttribute()
    source = UnicodeAttribute()
    category = UnicodeAttribute()
    causes = ListAttribute[str](default=list)
    risk = UnicodeAttribute()
    level = UnicodeAttribute()  # the level handling it now
    start_level = UnicodeAttribute()
    handling_code = UnicodeAttribute()  # the unit of that level on the chain (its path is read when needed)
    flag_code = UnicodeAttribute(null=True)  # the unit above the handling one: told when the case is overdue
    unit_code = UnicodeAttribute()  # where the dispute is: fixes who may read it
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()
    open_root = UnicodeAttribute(null=True)
    registered_on = UnicodeAttribute()
    due_on = UnicodeAttribute()
    rights_notified_on = UnicodeAttribute(null=True)
    parties = ListAttribute[dict[str, Any]](default=list)  # masked views; clear values in `sealed`
    party_keys = UnicodeSetAttribute(null=True)  # keyed hashes of names and ID numbers, for search
    mediators = ListAttribute[dict[str, Any]](default=list)
    mediator_ids = UnicodeSetAttribute(null=True)
    sessions = ListAttribute[dict[str, Any]](default=list)
    agreements = ListAttribute[dict[str, Any]](default=list)
    failed_route = UnicodeAttribute(null=True)
    follow_ups = ListAttribute[dict[str, Any]](default=list)
    extensions = ListAttribute[dict[str, Any]](default=list)
    judicial = ListAttribute[dict[str, Any]](default=list)  # at most one application
    closed_on = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)  # resolved, failed, withdrawn
    score_events = ListAttribute[dict[str, Any]](default=list)
    history = ListAttribute[dict[str, Any]](default=list)
    sealed = UnicodeAttribute()
    version = VersionAttribute()
    by_path = CasePathIndex()
    open_by_path = OpenCaseIndex()


class TeamPathIndex(GlobalSecondaryIndex["MediationTeamModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class MediationTeamModel(Model):
    class Meta(BaseMeta):
        table_suffix = "mediation-teams"

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    number_prefix = UnicodeAttribute(null=True)
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()
    mediators = ListAttribute[dict[str, Any]](default=list)  # {id, name, phone, member, title, active}
    version = VersionAttribute()
    by_path = TeamPathIndex()


# a unit move re-paths the cases (and the sparse open-case index) and teams below it (grid.repath)
register_path_tables(
    PathTable(MediationCaseModel, "mediation_case", roots=("root", "open_root")),
    PathTable(MediationTeamModel, "mediation_team"),
)


@register_model
class CaseCounterModel(Model):
    """The last case number issued by a committee in a year."""

    class Meta(BaseMeta):
        table_suffix = "mediation-counters"

    key = UnicodeAttribute(hash_key=True)  # "<committee id>#<year>"
    value = NumberAttribute()


@register_model
class MediationStatModel(Model):
    class Meta(BaseMeta):
        table_suffix = "mediation-stats"

    unit_code = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # "<YYYY-MM>#<counter>", e.g. "2026-03#closed_at:village"
    n = NumberAttribute(default=0)


def case_state(item: MediationCaseModel) -> dict[str, Any]:
    """What an audit event hashes: public fields and the sealed document (ciphertext), never clear text."""
    keys = (
        "id", "number", "status", "source", "category", "causes", "risk", "level", "handling_code", "unit_code",
        "registered_on", "due_on", "rights_notified_on", "failed_route", "closed_on", "outcome", "sealed",
    )  # fmt: skip
    state = {k: getattr(item, k) for k in keys}
    for k in ("parties", "mediators", "sessions", "agreements", "follow_ups", "extensions", "judicial"):
        state[k] = [dict(x) for x in getattr(item, k)]
    return state


def team_state(item: MediationTeamModel) -> dict[str, Any]:
    state = {k: getattr(item, k) for k in ("id", "name", "kind", "number_prefix", "unit_code")}
    state["mediators"] = [dict(m) for m in item.mediators]
    return state


# counters to move: (month, {counter name: delta}), for each unit code of the case's chain
StatDeltas = list[tuple[str, dict[str, int]]]


class MediationStore:
    def __init__(self, *, audit: AuditStore) -> None:
        self.audit = audit

    # -- cases ---------------------------------------------------------------------------------------
    def case(self, case_id: str) -> MediationCaseModel | None:
        try:
            return MediationCaseModel.get(case_id)
        except MediationCaseModel.DoesNotExist:
            return None

    def last_number(self, committee_id: str, year: int) -> int:
        try:
            return int(CaseCounterModel.get(f"{committee_id}#{year}").value)
        except CaseCounterModel.DoesNotExist:
            return 0

    def create(
        self,
        item: MediationCaseModel,
        actor: Actor,
        number_of: Callable[[int], str],
        chain: list[str],
        stats: StatDeltas,
    ) -> MediationCaseModel:
        """Take the committee's next number and write the case with it, its figures and its audit event in
        one transaction; a concurrent registration that took the number first makes this one retry."""
        key = f"{item.committee_id}#{int(item.year)}"
        for attempt in range(NUMBER_ATTEMPTS):
            last = self.last_number(item.committee_id, int(item.year))
            item.seq, item.number = last + 1, number_of(last + 1)
            try:
                with transaction() as tx:
                    counter = CaseCounterModel(key)
                    tx.update(
                        counter,
                        actions=[CaseCounterModel.value.set(last + 1)],
                        condition=CaseCounterModel.value == last if last else CaseCounterModel.key.does_not_exist(),
                    )
                    tx.save(item, condition=MediationCaseModel.id.does_not_exist())
                    self._stats(tx, chain, stats)
                    self._audit(tx, actor, "mediation_case.create", item, None)
                return item
            except Conflict:
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311 - jitter, not a secret
        raise Unavailable(
            "案号分配繁忙，请稍后重试", "Case numbering busy; retry shortly", headers={"Retry-After": "1"}
        )

    def save(
        self,
        item: MediationCaseModel,
        actor: Actor,
        action: str,
        before: dict[str, Any],
        *,
        chain: list[str] | None = None,
        stats: StatDeltas | None = None,
    ) -> MediationCaseModel:
        """Save under the case's version (a stale write is a 409), with its figures and audit event."""
        with transaction() as tx:
            tx.save(item)
            self._stats(tx, chain or [], stats or [])
            self._audit(tx, actor, action, item, before)
        return item

    @staticmethod
    def _stats(tx: TransactWrite, chain: Iterable[str], stats: StatDeltas) -> None:
        for code in chain:
            for month, deltas in stats:
                for name, delta in deltas.items():
                    if delta:
                        stat = MediationStatModel(code, f"{month}#{name}")
                        tx.update(stat, actions=[MediationStatModel.n.add(delta)])

    def _audit(
        self, tx: TransactWrite, actor: Actor, action: str, item: MediationCaseModel, before: dict[str, Any] | None
    ) -> None:
        self.audit.append(
            tx,
            actor,
            action=action,
            entity_type="mediation_case",
            entity_id=item.id,
            unit_path=item.unit_path,
            before=before,
            after=case_state(item),
        )

    def below(
        self,
        root: str,
        path: str,
        *,
        open_only: bool,
        condition: Any,
        limit: int,
        after: dict[str, Any] | None,
    ) -> tuple[list[MediationCaseModel], Any]:
        index = MediationCaseModel.open_by_path if open_only else MediationCaseModel.by_path
        result = index.query(
            root,
            MediationCaseModel.path_key.startswith(path + "/"),
            filter_condition=condition,
            limit=limit,
            last_evaluated_key=after,
        )
        items = list(result)
        return items, result.last_evaluated_key

    def count_open(self, root: str, path: str, condition: Any) -> int:
        total = 0
        for _ in MediationCaseModel.open_by_path.query(
            root, MediationCaseModel.path_key.startswith(path + "/"), filter_condition=condition
        ):
            total += 1
        return total

    def figures(self, unit_code: str, start: str, end: str) -> dict[str, int]:
        """Counter name -> sum over the months from `start` to `end` (YYYY-MM, inclusive)."""
        out: dict[str, int] = {}
        for item in MediationStatModel.query(unit_code, MediationStatModel.key.between(f"{start}#", f"{end}#\uffff")):
            name = item.key.split("#", 1)[1]
            out[name] = out.get(name, 0) + int(item.n)
        return out

    # -- teams ---------------------------------------------------------------------------------------
    def team(self, team_id: str) -> MediationTeamModel | None:
        try:
            return MediationTeamModel.get(team_id)
        except MediationTeamModel.DoesNotExist:
            return None

    def teams_below(
        self, root: str, path: str, *, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[MediationTeamModel], Any]:
        result = MediationTeamModel.by_path.query(
            root, MediationTeamModel.path_key.startswith(path + "/"), limit=limit, last_evaluated_key=after
        )
        items = list(result)
        return items, result.last_evaluated_key

    def save_team(
        self, item: MediationTeamModel, actor: Actor, action: str, before: dict[str, Any] | None
    ) -> MediationTeamModel:
        with transaction() as tx:
            if before is None:
                tx.save(item, condition=MediationTeamModel.id.does_not_exist())
            else:
                tx.save(item)
            self.audit.append(
                tx,
                actor,
                action=action,
                entity_type="mediation_team",
                entity_id=item.id,
                unit_path=item.unit_path,
                before=before,
                after=team_state(item),
            )
        return item
