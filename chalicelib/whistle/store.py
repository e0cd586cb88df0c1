"""Whistle tables: tickets, department assignments, the workflow's own record per ticket, scorecard
aggregates and the catalogue (categories and kind rules). Every ticket change is one transaction with its
assignments, aggregates and audit event."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.catalogue import DEFAULT_CATALOGUES
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.whistle.rules import DEPARTMENTS

T = TypeVar("T")

# departments are a plain catalogue (code and names), seeded with the others
DEFAULT_CATALOGUES.setdefault("department", DEPARTMENTS)


class TicketPathIndex(GlobalSecondaryIndex["TicketModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


class TicketMonthIndex(GlobalSecondaryIndex["TicketModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_month"
        projection = AllProjection()

    month = UnicodeAttribute(hash_key=True)
    time_key = UnicodeAttribute(range_key=True)


class TicketUpdateIndex(GlobalSecondaryIndex["TicketModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_update"
        projection = AllProjection()

    update_month = UnicodeAttribute(hash_key=True)
    update_key = UnicodeAttribute(range_key=True)


@register_model
class TicketModel(Model):
    class Meta(BaseMeta):
        table_suffix = "whistle-tickets"

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    category = UnicodeAttribute()
    description = UnicodeAttribute()
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()  # "<unit path>/#<id>"
    town = UnicodeAttribute()  # the town (镇/街道) code: it dispatches; Open311's jurisdiction_id
    address = UnicodeAttribute()
    lat = NumberAttribute(null=True)
    long = NumberAttribute(null=True)
    photos = ListAttribute[str](default=list)
    whistler_sub = UnicodeAttribute()
    whistler_role = UnicodeAttribute()
    whistler_name = UnicodeAttribute()
    lead = UnicodeAttribute(null=True)
    co = ListAttribute[str](default=list)
    acks = JSONAttribute(default=dict)  # dept -> {role, due, at, on_time}
    status = UnicodeAttribute()
    status_before = UnicodeAttribute(null=True)  # while an extension is asked
    phase = UnicodeAttribute(null=True)  # the deadline the workflow runs: report_in, resolve, handover, verify
    phase_due = UnicodeAttribute(null=True)
    grace_seconds = NumberAttribute(default=3600)
    report_in_due = UnicodeAttribute(null=True)
    resolve_due = UnicodeAttribute(null=True)
    dispatched_at = UnicodeAttribute(null=True)
    source = UnicodeAttribute(null=True)
    hotline_ticket = UnicodeAttribute(null=True)
    notes = ListAttribute[dict[str, Any]](default=list)
    returns = ListAttribute[dict[str, Any]](default=list)
    extensions = ListAttribute[dict[str, Any]](default=list)
    history = ListAttribute[dict[str, Any]](default=list)
    resolution = JSONAttribute(null=True)
    verification = JSONAttribute(null=True)
    evaluation = JSONAttribute(null=True)
    score_event = JSONAttribute(null=True)  # 三比: {member, unit, source_event_id} when closed on time
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    month = UnicodeAttribute()
    time_key = UnicodeAttribute()  # "<created_at>#<id>"
    update_month = UnicodeAttribute(null=True)  # of the latest change: Open311 agencies sync by it
    update_key = UnicodeAttribute(null=True)  # "<updated_at>#<id>"
    version = VersionAttribute()
    by_path = TicketPathIndex()
    by_month = TicketMonthIndex()
    by_update = TicketUpdateIndex()


@register_model
class AssignmentModel(Model):
    """A ticket dispatched to a department: what a department's list and scope read (one query)."""

    class Meta(BaseMeta):
        table_suffix = "whistle-assignments"

    department = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute(range_key=True)
    role = UnicodeAttribute()  # lead, co
    active = BooleanAttribute(default=True)  # false once the ticket was re-dispatched elsewhere (改派)
    assigned_at = UnicodeAttribute()
    unit_path = UnicodeAttribute()


class WaitingIndex(GlobalSecondaryIndex["FlowModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_waiting"
        projection = KeysOnlyProjection()

    waiting = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute(range_key=True)


@register_model
class FlowModel(Model):
    """The workflow's record of a ticket: its execution, the task token it waits on, the stage of the
    current deadline and every lapse (催办, 挂牌督办). The state machine writes token, stage and lapses;
    Python writes the rest. Kept apart from the ticket so the engine never touches the ticket's version."""

    class Meta(BaseMeta):
        table_suffix = "whistle-flows"

    ticket_id = UnicodeAttribute(hash_key=True)
    execution_arn = UnicodeAttribute()
    runs = NumberAttribute(default=1)
    token = UnicodeAttribute(null=True)
    phase = UnicodeAttribute(null=True)
    stage = UnicodeAttribute(null=True)  # waiting, reminded, escalated
    lapses = ListAttribute[dict[str, Any]](default=list)
    supervised_by = UnicodeAttribute(null=True)
    waiting = UnicodeAttribute(null=True)  # "1" while the ticket is open: the resumer's sparse index
    by_waiting = WaitingIndex()


SCORE_COUNTERS = (
    "received", "reported_in", "reported_in_on_time", "resolved", "resolved_on_time", "returns", "extensions",
    "evaluations", "satisfaction_sum", "reopened", "routine", "tough", "emergency",
)  # fmt: skip
SCORE_LISTS = ("report_in_minutes", "resolve_minutes")


@register_model
class ScoreModel(Model):
    """Aggregates per subject (`dept#<code>` or `town#<code>`) and month, kept in the transitions' transaction."""

    class Meta(BaseMeta):
        table_suffix = "whistle-scores"

    subject = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    received = NumberAttribute(default=0)
    reported_in = NumberAttribute(default=0)
    reported_in_on_time = NumberAttribute(default=0)
    resolved = NumberAttribute(default=0)
    resolved_on_time = NumberAttribute(default=0)
    returns = NumberAttribute(default=0)
    extensions = NumberAttribute(default=0)
    evaluations = NumberAttribute(default=0)
    satisfaction_sum = NumberAttribute(default=0)
    reopened = NumberAttribute(default=0)
    routine = NumberAttribute(default=0)
    tough = NumberAttribute(default=0)
    emergency = NumberAttribute(default=0)
    report_in_minutes = ListAttribute[float](default=list)
    resolve_minutes = ListAttribute[float](default=list)


@register_model
class WhistleCatalogueModel(Model):
    """Edited categories (section `category`) and kind rules (section `kind`); the shipped defaults in
    rules.py apply where no entry is stored."""

    class Meta(BaseMeta):
        table_suffix = "whistle-catalogue"

    section = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)
    data = JSONAttribute()


@dataclass
class ScoreDelta:
    subject: str
    period: str
    counters: dict[str, int] = field(default_factory=dict)
    lists: dict[str, float] = field(default_factory=dict)


def engine_safe(fn: Callable[[], T]) -> T:
    """Run a call on the workflow table, retried when moto's in-process DynamoDB (not thread-safe) sees the
    Step Functions engine's thread write the same table meanwhile. On AWS the first call answers."""
    for attempt in range(5):
        try:
            return fn()
        except RuntimeError:
            if attempt == 4:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def ticket_state(item: TicketModel) -> dict[str, Any]:
    """What an audit event hashes."""
    keys = ("id", "kind", "category", "unit_code", "status", "lead", "co", "phase", "phase_due", "whistler_sub")
    return {k: getattr(item, k) for k in keys} | {"history": len(item.history or [])}


class WhistleStore:
    def __init__(self, *, audit: AuditStore) -> None:
        self.audit = audit

    # -- reads ---------------------------------------------------------------------------------------
    def ticket(self, ticket_id: str) -> TicketModel | None:
        try:
            return TicketModel.get(ticket_id)
        except TicketModel.DoesNotExist:
            return None

    def tickets(self, ids: Iterable[str]) -> dict[str, TicketModel]:
        return {t.id: t for t in TicketModel.batch_get(list(ids))}

    def assignment(self, department: str, ticket_id: str) -> AssignmentModel | None:
        try:
            return AssignmentModel.get(department, ticket_id)
        except AssignmentModel.DoesNotExist:
            return None

    def below(
        self, root: str, path: str, *, status: str | None, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[TicketModel], Any]:
        result = TicketModel.by_path.query(
            root,
            TicketModel.path_key.startswith(path + "/"),
            filter_condition=(TicketModel.status == status) if status else None,
            limit=limit,
            last_evaluated_key=after,
        )
        items = list(result)
        return items, result.last_evaluated_key

    def of_department(self, department: str, *, limit: int, after: dict[str, Any] | None) -> tuple[list[str], Any]:
        result = AssignmentModel.query(
            department,
            filter_condition=AssignmentModel.active == True,  # noqa: E712 - a PynamoDB condition
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=after,
        )
        ids = [a.ticket_id for a in result]
        return ids, result.last_evaluated_key

    def in_month(self, month: str, start: str, end: str, *, limit: int) -> list[TicketModel]:
        return list(TicketModel.by_month.query(month, TicketModel.time_key.between(start, end + "\uffff"), limit=limit))

    def updated_in_month(self, month: str, start: str, end: str, *, limit: int) -> list[TicketModel]:
        return list(
            TicketModel.by_update.query(month, TicketModel.update_key.between(start, end + "\uffff"), limit=limit)
        )

    def flow(self, ticket_id: str) -> FlowModel | None:
        def get() -> FlowModel | None:
            try:
                return FlowModel.get(ticket_id, consistent_read=True)
            except FlowModel.DoesNotExist:
                return None

        return engine_safe(get)

    def flows(self, ids: Iterable[str]) -> dict[str, FlowModel]:
        return engine_safe(lambda: {f.ticket_id: f for f in FlowModel.batch_get(list(ids))})

    def put_flow(self, flow: FlowModel) -> None:
        """Written ahead of the dispatching transaction: if that fails, the resumer finds no open phase."""
        engine_safe(flow.save)

    def end_flow(self, ticket_id: str) -> None:
        engine_safe(lambda: FlowModel(ticket_id).update(actions=[FlowModel.waiting.remove()]))

    def waiting_flows(self) -> list[str]:
        return [f.ticket_id for f in FlowModel.by_waiting.query("1")]

    def score(self, subject: str, period: str) -> ScoreModel | None:
        try:
            return ScoreModel.get(subject, period)
        except ScoreModel.DoesNotExist:
            return None

    def catalogue(self, section: str) -> dict[str, dict[str, Any]]:
        return {e.code: dict(e.data) for e in WhistleCatalogueModel.query(section)}

    # -- writes --------------------------------------------------------------------------------------
    def put_catalogue(self, actor: Actor, section: str, code: str, data: dict[str, Any]) -> None:
        before = self.catalogue(section).get(code)
        with transaction() as tx:
            tx.save(WhistleCatalogueModel(section, code, data=data))
            self.audit.append(
                tx, actor, action=f"whistle.{section}.put", entity_type="whistle_catalogue",
                entity_id=f"{section}/{code}", unit_path=actor.scope, before=before, after=data,
            )  # fmt: skip

    def write(
        self,
        item: TicketModel,
        actor: Actor,
        action: str,
        before: dict[str, Any] | None,
        *,
        assignments: Iterable[AssignmentModel] = (),
        scores: Iterable[ScoreDelta] = (),
        extra: Callable[[TransactWrite, TicketModel], None] | None = None,
    ) -> TicketModel:
        """The ticket (created, or saved under its version), its assignments, aggregates and the audit event:
        all or nothing. The workflow record stays out: the engine writes it at any moment, and moto copies
        every table a transaction touches."""
        item.update_month, item.update_key = item.updated_at[:7], f"{item.updated_at}#{item.id}"
        with transaction() as tx:
            if before is None:
                tx.save(item, condition=TicketModel.id.does_not_exist())
            else:
                tx.save(item)
            for assignment in assignments:
                tx.save(assignment)
            for delta in scores:
                actions: list[Any] = [getattr(ScoreModel, k).add(v) for k, v in delta.counters.items() if v]
                actions += [
                    getattr(ScoreModel, k).set((getattr(ScoreModel, k) | []).append([v]))
                    for k, v in delta.lists.items()
                ]
                if actions:
                    tx.update(ScoreModel(delta.subject, delta.period), actions=actions)
            if extra is not None:
                extra(tx, item)
            self.audit.append(
                tx, actor, action=action, entity_type="whistle_ticket", entity_id=item.id,
                unit_path=item.unit_path, before=before, after=ticket_state(item),
            )  # fmt: skip
        return item

    def clear_token(self, ticket_id: str, token: str) -> None:
        """Forget a token once used (only if the workflow has not already written the next one)."""
        from pynamodb.exceptions import UpdateError  # noqa: PLC0415

        def clear() -> None:
            with contextlib.suppress(UpdateError):
                FlowModel(ticket_id).update(actions=[FlowModel.token.remove()], condition=FlowModel.token == token)

        engine_safe(clear)

    def restarted(self, ticket_id: str, execution_arn: str, runs: int) -> None:
        actions: list[Action] = [
            FlowModel.execution_arn.set(execution_arn),
            FlowModel.runs.set(runs),
            FlowModel.token.remove(),
        ]
        engine_safe(lambda: FlowModel(ticket_id).update(actions=actions))
