"""Deliberation tables: concerns, deliberations, responsibility-list items, 四议两公开 decisions, and the
workflow runs their state machines write to.

Every domain record carries its unit path (`root` + `path_key` = "<unit path>/#<id>", GSI `by_path`), so a
unit's subtree is one key-range query. The domain records are written only by Python, under their version
and with an audit event in the same transaction. A run item is shared with the state machine: the machine
sets `step`, `token`, `waiting_since` and appends `lapses`; Python sets the execution and claims tokens, always
through update expressions (never a whole-item put that would erase what the machine wrote).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.db import BaseMeta, register_model, transaction


# -- concerns ------------------------------------------------------------------------------------------
class ConcernPathIndex(GlobalSecondaryIndex["ConcernModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class ConcernModel(Model):
    class Meta(BaseMeta):
        table_suffix = "concerns"

    id = UnicodeAttribute(hash_key=True)
    text = UnicodeAttribute()
    category = UnicodeAttribute()
    household_id = UnicodeAttribute(null=True)
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()
    raised_by = UnicodeAttribute(null=True)  # a resident's name: masked in every answer
    level = UnicodeAttribute()
    source = UnicodeAttribute()
    status = UnicodeAttribute()
    answer = UnicodeAttribute(null=True)
    grade = UnicodeAttribute(null=True)
    deliberation_id = UnicodeAttribute(null=True)
    item_id = UnicodeAttribute(null=True)
    decision = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    logged_by_role = UnicodeAttribute()
    photos = ListAttribute[str](null=True)  # keys in the uploads bucket (concerns/<county>/...)
    hotline_ticket = UnicodeAttribute(null=True)  # the 12345 ticket it came from (source hotline)
    version = VersionAttribute()
    by_path = ConcernPathIndex()


# -- deliberations -------------------------------------------------------------------------------------
class DeliberationPathIndex(GlobalSecondaryIndex["DeliberationModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class DeliberationModel(Model):
    class Meta(BaseMeta):
        table_suffix = "deliberations"

    id = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    village_code = UnicodeAttribute()
    village_path = UnicodeAttribute()
    town_code = UnicodeAttribute()
    town_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()
    stage = UnicodeAttribute()  # courtyard_meeting, analysis_meeting, town_review, closed
    concern_ids = ListAttribute[str](default=list)
    convened_on = UnicodeAttribute()
    place = UnicodeAttribute()
    # stage -> {attendees: [...], outcomes: {concern: {...}}, minutes: {...}, concluded_at}
    meetings = JSONAttribute(default=dict)
    transitions = JSONAttribute(default=list)  # the timeline: [{at, kind, stage, by_role, note}]
    kind = UnicodeAttribute(null=True)  # None/courtyard: starts at a courtyard meeting; analysis: a village's month
    month = UnicodeAttribute(null=True)  # analysis: the month it takes up
    sources = ListAttribute[str](null=True)  # analysis: the courtyard deliberations it took up
    analysis_id = UnicodeAttribute(null=True)  # courtyard: the analysis that took its forwarded concerns
    created_at = UnicodeAttribute()
    version = VersionAttribute()
    by_path = DeliberationPathIndex()


# -- responsibility list -------------------------------------------------------------------------------
class ItemPathIndex(GlobalSecondaryIndex["ResponsibilityItemModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class ResponsibilityItemModel(Model):
    class Meta(BaseMeta):
        table_suffix = "responsibility-items"

    id = UnicodeAttribute(hash_key=True)
    deliberation_id = UnicodeAttribute()
    concern_id = UnicodeAttribute()
    task = UnicodeAttribute()
    grade = UnicodeAttribute()
    lead_unit_code = UnicodeAttribute()
    lead_unit_path = UnicodeAttribute()  # the record's unit: the lead unit and those above see it
    responsible_units = ListAttribute[str](default=list)
    accepted_by = ListAttribute[str](default=list)
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()
    deadline = UnicodeAttribute()
    status = UnicodeAttribute()  # registered (挂号), in_progress, done, closed (销号)
    progress = JSONAttribute(default=list)
    satisfaction = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    version = VersionAttribute()
    by_path = ItemPathIndex()


# -- 四议两公开 -----------------------------------------------------------------------------------------
class DecisionPathIndex(GlobalSecondaryIndex["VillageDecisionModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class VillageDecisionModel(Model):
    class Meta(BaseMeta):
        table_suffix = "village-decisions"

    id = UnicodeAttribute(hash_key=True)
    village_code = UnicodeAttribute()
    village_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()
    title = UnicodeAttribute()
    proposal = UnicodeAttribute()
    branch = UnicodeAttribute()
    stage = UnicodeAttribute()  # one of rules.DECISION_STEPS, then done or rejected
    consultation = UnicodeAttribute(null=True)
    votes = JSONAttribute(default=list)
    published_at = UnicodeAttribute(null=True)
    objection_until = UnicodeAttribute(null=True)
    objections = JSONAttribute(default=list)
    implementation = UnicodeAttribute(null=True)
    result = UnicodeAttribute(null=True)
    transitions = JSONAttribute(default=list)
    created_at = UnicodeAttribute()
    version = VersionAttribute()
    by_path = DecisionPathIndex()


# -- workflow runs -------------------------------------------------------------------------------------
class RunOpenIndex(GlobalSecondaryIndex["WorkflowRunModel"]):  # type: ignore[no-untyped-call]
    """Sparse: runs whose record is not finished, by workflow (the resumer's question)."""

    class Meta:
        index_name = "by_open"
        projection = AllProjection()

    open_kind = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


class RunLapseIndex(GlobalSecondaryIndex["WorkflowRunModel"]):  # type: ignore[no-untyped-call]
    """Sparse: runs with a lapsed stage (the state machine sets `lapsed_root`), by the record's unit path."""

    class Meta:
        index_name = "by_lapse"
        projection = AllProjection()

    lapsed_root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class WorkflowRunModel(Model):
    class Meta(BaseMeta):
        table_suffix = "deliberation_runs"  # no hyphen: the ASL names it ${Table_deliberation_runs}

    id = UnicodeAttribute(hash_key=True)  # the deliberation's or decision's id
    kind = UnicodeAttribute()  # the workflow: deliberation, four_steps_two_publics
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()
    open_kind = UnicodeAttribute(null=True)
    lapsed_root = UnicodeAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    execution_name = UnicodeAttribute(null=True)
    restarts = NumberAttribute(default=0)
    # 四议两公开: objections of the notice without a reply, kept with the record in one transaction; the state
    # machine, once the notice is over, waits for replies while it is above zero
    open_objections = NumberAttribute(null=True)
    # written by the state machine
    notice_closed = UnicodeAttribute(null=True)  # 四议两公开: when its CloseNotice door shut the objection window
    step = UnicodeAttribute(null=True)
    token = UnicodeAttribute(null=True)  # never leaves the service: not in answers, URLs or logs
    waiting_since = UnicodeAttribute(null=True)
    lapses = ListAttribute[dict[str, Any]](null=True)  # [{stage, at}]
    by_open = RunOpenIndex()
    by_lapse = RunLapseIndex()


@dataclass
class Change:
    """One record written in a transaction, with its audit event."""

    item: Model
    action: str
    entity_type: str
    unit_path: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    new: bool = False


Record = ConcernModel | DeliberationModel | ResponsibilityItemModel | VillageDecisionModel


class DeliberationStore:
    def __init__(self, *, audit: AuditStore) -> None:
        self.audit = audit

    # -- reads -----------------------------------------------------------------------------------------
    @staticmethod
    def _get(model: type[Any], key: str) -> Any:
        try:
            return model.get(key)
        except DoesNotExist:
            return None

    def concern(self, concern_id: str) -> ConcernModel | None:
        item: ConcernModel | None = self._get(ConcernModel, concern_id)
        return item

    def concerns(self, ids: list[str]) -> dict[str, ConcernModel]:
        return {c.id: c for c in ConcernModel.batch_get(list(dict.fromkeys(ids)))}

    def deliberation(self, deliberation_id: str) -> DeliberationModel | None:
        item: DeliberationModel | None = self._get(DeliberationModel, deliberation_id)
        return item

    def item(self, item_id: str) -> ResponsibilityItemModel | None:
        found: ResponsibilityItemModel | None = self._get(ResponsibilityItemModel, item_id)
        return found

    def decision(self, decision_id: str) -> VillageDecisionModel | None:
        item: VillageDecisionModel | None = self._get(VillageDecisionModel, decision_id)
        return item

    def run(self, record_id: str) -> WorkflowRunModel | None:
        item: WorkflowRunModel | None = self._get(WorkflowRunModel, record_id)
        return item

    def runs(self, ids: list[str]) -> dict[str, WorkflowRunModel]:
        return {r.id: r for r in WorkflowRunModel.batch_get(list(dict.fromkeys(ids)))} if ids else {}

    @staticmethod
    def below(
        model: type[Any],
        root: str,
        path: str,
        *,
        condition: Any = None,
        limit: int | None,
        after: dict[str, Any] | None,
    ) -> tuple[list[Any], Any]:
        """Records of `model` in the subtree of the unit at `path` (one key-range query on `by_path`)."""
        result = model.by_path.query(
            root,
            model.path_key.startswith(path + "/"),
            filter_condition=condition,
            limit=limit,
            last_evaluated_key=after,
        )
        items = list(result)
        return items, result.last_evaluated_key

    @staticmethod
    def at_unit(model: type[Any], root: str, path: str, *, condition: Any = None) -> list[Any]:
        """Records of `model` on the unit at `path` itself, not below it (key prefix "<path>/#")."""
        return list(model.by_path.query(root, model.path_key.startswith(path + "/#"), filter_condition=condition))

    def open_runs(self, kind: str) -> list[WorkflowRunModel]:
        return list(WorkflowRunModel.by_open.query(kind))

    def lapsed_below(self, root: str, path: str, *, limit: int) -> list[WorkflowRunModel]:
        return list(
            WorkflowRunModel.by_lapse.query(root, WorkflowRunModel.path_key.startswith(path + "/"), limit=limit)
        )

    # -- writes ----------------------------------------------------------------------------------------
    def write(
        self,
        actor: Actor,
        changes: list[Change],
        runs: list[WorkflowRunModel] | None = None,
        open_objections: dict[str, int] | None = None,
        notice_open: Collection[str] = (),
        *,
        steps: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        """Every change under its version (a new record must not exist), each with its audit event, any new
        run items, and changes to runs' count of open objections (record id -> delta), on condition that the
        runs named in `notice_open` have not closed their notice (the state machine's door), and the steps a
        change starts where the execution writes none (record id -> (step, since): the notice, a Wait state):
        all or nothing (a failed condition is a 409)."""
        with transaction() as tx:
            for change in changes:
                condition = type(change.item).id.does_not_exist() if change.new else None  # type: ignore[attr-defined]
                tx.save(change.item, condition=condition)
                self.audit.append(
                    tx,
                    actor,
                    action=change.action,
                    entity_type=change.entity_type,
                    entity_id=str(change.item.id),  # type: ignore[attr-defined]
                    unit_path=change.unit_path,
                    before=change.before,
                    after=change.after,
                )
            for run in runs or []:
                tx.save(run, condition=WorkflowRunModel.id.does_not_exist())
            deltas, started = open_objections or {}, steps or {}
            for record_id in [*deltas, *(r for r in started if r not in deltas)]:
                condition = WorkflowRunModel.id.exists()
                if record_id in notice_open:  # one operation per item in a transaction: the door goes here
                    condition &= WorkflowRunModel.notice_closed.does_not_exist()
                actions: list[Action] = []
                if record_id in deltas:
                    actions.append(WorkflowRunModel.open_objections.add(deltas[record_id]))
                if record_id in started:  # the waiting task's token stays: the API completes it after the commit
                    step, since = started[record_id]
                    actions += [WorkflowRunModel.step.set(step), WorkflowRunModel.waiting_since.set(since)]
                tx.update(WorkflowRunModel(record_id), actions=actions, condition=condition)
            for record_id in notice_open:
                if record_id not in deltas and record_id not in started:
                    tx.condition_check(
                        WorkflowRunModel, record_id, condition=WorkflowRunModel.notice_closed.does_not_exist()
                    )

    def retrying(self, attempts: int, fn: Callable[[], Any]) -> Any:
        """Run `fn` again when a concurrent writer won the version race (two attendees confirming at once)."""
        from chalicelib.core.errors import Conflict  # noqa: PLC0415 - keeps the import list of the module short

        for attempt in range(attempts):
            try:
                return fn()
            except Conflict:
                if attempt == attempts - 1:
                    raise
        return None

    # -- runs (shared with the state machine) --------------------------------------------------------
    def set_execution(self, record_id: str, arn: str, name: str, *, restarts: int | None = None) -> None:
        actions: list[Action] = [WorkflowRunModel.execution_arn.set(arn), WorkflowRunModel.execution_name.set(name)]
        if restarts is not None:
            actions.append(WorkflowRunModel.restarts.set(restarts))
        WorkflowRunModel(record_id).update(actions=actions)

    def claim_token(self, record_id: str, token: str) -> bool:
        """Take the waiting task's token off the run, if it is still the one read (a lapse may have replaced
        it): whoever claims it is the only one to complete that task."""
        try:
            WorkflowRunModel(record_id).update(
                actions=[WorkflowRunModel.token.remove()], condition=WorkflowRunModel.token == token
            )
        except UpdateError:
            return False
        return True

    def step_again(self, record_id: str, step: str, *, over: str) -> None:
        """Write `step` on the run if it still reads `over` (a lapse re-entered the step the API had left)."""
        try:
            WorkflowRunModel(record_id).update(
                actions=[WorkflowRunModel.step.set(step)], condition=WorkflowRunModel.step == over
            )
        except UpdateError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise

    def close_run(self, record_id: str, step: str = "closed") -> None:
        actions: list[Action] = [
            WorkflowRunModel.open_kind.remove(),
            WorkflowRunModel.token.remove(),
            WorkflowRunModel.step.set(step),
        ]
        WorkflowRunModel(record_id).update(actions=actions)
