"""Tables of 在职党员到社区报到 and every write with its invariants and audit event.

- needs (需求表): one item per need; `taken` counts active claims and never passes `slots` (a condition on
  the counter in the claim's transaction, so racing claims cannot overfill a need);
- report-ins (报到单): one item per member per period, keyed `<member>#<period>` (`attribute_not_exists`);
- claims: (need, member), active or withdrawn;
- service records (服务登记卡) and per-member per-period totals of confirmed hours, moved in the same
  transaction as the confirmation. Hours are kept in half hours (integers): totals are exact.

Records carrying a unit path have a `by_path` index (root, "<unit path>/#<id>") for subtree lists and for
following a moved unit (grid.repath).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.grid.repath import Move, PathTable, register_path_tables


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def source_event_id(record_id: str) -> str:
    """The stable id under which a confirmed service record feeds the 三比 scoring (idempotent there)."""
    return f"community_service:{record_id}"


# -- needs -----------------------------------------------------------------------------------------
class NeedPathIndex(GlobalSecondaryIndex["NeedModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class NeedModel(Model):
    class Meta(BaseMeta):
        table_suffix = "community-needs"

    id = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    category = UnicodeAttribute()
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()  # "<unit path>/#<id>"
    slots = NumberAttribute()
    taken = NumberAttribute(default=0)
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    period = UnicodeAttribute()  # the year of the start
    state = UnicodeAttribute(default="open")  # open, closed
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    version = VersionAttribute()
    by_path = NeedPathIndex()


class NeedSystemModel(Model):
    """The needs table without its VersionAttribute: counters and state move by conditional updates that
    never overwrite the rest of the item."""

    class Meta(BaseMeta):
        table_suffix = "community-needs"

    id = UnicodeAttribute(hash_key=True)
    slots = NumberAttribute()
    taken = NumberAttribute()
    state = UnicodeAttribute()
    version = NumberAttribute()


def need_state(item: NeedModel) -> dict[str, Any]:
    keys = ("id", "title", "description", "category", "unit_code", "slots", "start", "end", "state")
    return {k: getattr(item, k) for k in keys}


# -- report-ins ------------------------------------------------------------------------------------
class ReportInPathIndex(GlobalSecondaryIndex["ReportInModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


class ReportInPeriodIndex(GlobalSecondaryIndex["ReportInModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_period"
        projection = AllProjection()

    period = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class ReportInModel(Model):
    class Meta(BaseMeta):
        table_suffix = "community-report-ins"

    id = UnicodeAttribute(hash_key=True)  # "<member id>#<period>": one per member per period
    member_id = UnicodeAttribute()
    member_name = UnicodeAttribute()
    workplace = UnicodeAttribute(null=True)
    period = UnicodeAttribute()
    date = UnicodeAttribute()
    community_code = UnicodeAttribute()  # the village of the member's home household
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()  # "<unit path>/#<id>"
    recorded_by = UnicodeAttribute()
    recorded_role = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    by_path = ReportInPathIndex()
    by_period = ReportInPeriodIndex()


def report_in_id(member_id: str, period: str) -> str:
    return f"{member_id}#{period}"


# -- claims ----------------------------------------------------------------------------------------
@register_model
class ClaimModel(Model):
    class Meta(BaseMeta):
        table_suffix = "community-claims"

    need_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute()  # active, withdrawn
    claimed_at = UnicodeAttribute()
    withdrawn_at = UnicodeAttribute(null=True)


# -- service records -------------------------------------------------------------------------------
class ServicePathIndex(GlobalSecondaryIndex["ServiceRecordModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


class ServiceMemberIndex(GlobalSecondaryIndex["ServiceRecordModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    member_key = UnicodeAttribute(range_key=True)  # "<date>#<id>": a period (year) is one begins_with


@register_model
class ServiceRecordModel(Model):
    class Meta(BaseMeta):
        table_suffix = "community-service"

    id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    member_key = UnicodeAttribute()
    period = UnicodeAttribute()
    date = UnicodeAttribute()
    half_hours = NumberAttribute()
    description = UnicodeAttribute()
    need_id = UnicodeAttribute(null=True)
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()
    state = UnicodeAttribute(default="pending")  # pending, confirmed, disputed
    recorded_by = UnicodeAttribute()
    recorded_role = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    reviewed_by = UnicodeAttribute(null=True)
    reviewed_role = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    dispute_reason = UnicodeAttribute(null=True)
    source_event_id = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_path = ServicePathIndex()
    by_member = ServiceMemberIndex()


@register_model
class ServiceTotalModel(Model):
    """Confirmed service per member per period, moved only with a confirmation (same transaction)."""

    class Meta(BaseMeta):
        table_suffix = "community-service-totals"

    member_id = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    half_hours = NumberAttribute(default=0)
    records = NumberAttribute(default=0)


def service_state(item: ServiceRecordModel) -> dict[str, Any]:
    keys = ("id", "member_id", "date", "half_hours", "description", "need_id", "unit_code", "state")
    return {k: getattr(item, k) for k in keys} | {"reason": item.dispute_reason, "source": item.source_event_id}


@dataclass(frozen=True)
class ConfirmedService:
    """One confirmed service record, as the 三比 scoring slice consumes it."""

    source_event_id: str
    record_id: str
    member_id: str
    period: str
    date: str
    hours: float
    half_hours: int
    need_id: str | None
    unit_code: str
    unit_path: str
    confirmed_at: str


def confirmed_service(member_id: str, period: str) -> list[ConfirmedService]:
    """Confirmed service records of a member in a period (a year), oldest first: one key-range query.
    Each carries `source_event_id` (`community_service:<record id>`), stable across calls, so a consumer
    that books it once under that id books it once whatever the number of calls."""
    items = ServiceRecordModel.by_member.query(
        member_id,
        ServiceRecordModel.member_key.startswith(f"{period}-"),
        filter_condition=ServiceRecordModel.state == "confirmed",
    )
    return [
        ConfirmedService(
            source_event_id=str(i.source_event_id or source_event_id(i.id)),
            record_id=i.id,
            member_id=i.member_id,
            period=i.period,
            date=i.date,
            hours=int(i.half_hours) / 2,
            half_hours=int(i.half_hours),
            need_id=i.need_id,
            unit_code=i.unit_code,
            unit_path=i.unit_path,
            confirmed_at=str(i.reviewed_at),
        )
        for i in items
    ]


class CommunityStore:
    def __init__(self, *, audit: AuditStore) -> None:
        self.audit = audit

    # -- needs -------------------------------------------------------------------------------------
    def need(self, need_id: str) -> NeedModel | None:
        try:
            return NeedModel.get(need_id)
        except NeedModel.DoesNotExist:
            return None

    def needs_below(
        self, root: str, path: str, *, state: str | None, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[NeedModel], Any]:
        result = NeedModel.by_path.query(
            root,
            NeedModel.path_key.startswith(path + "/"),
            filter_condition=None if state is None else NeedModel.state == state,
            limit=limit,
            last_evaluated_key=after,
        )
        items = list(result)
        return items, result.last_evaluated_key

    def create_need(self, item: NeedModel, actor: Actor) -> NeedModel:
        with transaction() as tx:
            tx.save(item, condition=NeedModel.id.does_not_exist())
            self._audit(tx, actor, "community_need.create", ("community_need", item.id), item.unit_path,
                        states=(None, need_state(item)))  # fmt: skip
        return item

    def close_need(self, item: NeedModel, actor: Actor) -> NeedModel:
        """Closed by a conditional update: a claim racing the close never loses its counter."""
        before = need_state(item)
        with transaction() as tx:
            tx.update(
                NeedSystemModel(item.id),
                actions=[NeedSystemModel.state.set("closed"), NeedSystemModel.version.add(1)],
                condition=(NeedSystemModel.version == int(item.version or 0)) & (NeedSystemModel.state == "open"),
            )
            item.state = "closed"
            self._audit(tx, actor, "community_need.close", ("community_need", item.id), item.unit_path,
                        states=(before, need_state(item)))  # fmt: skip
        item.version = int(item.version or 0) + 1
        return item

    # -- report-ins --------------------------------------------------------------------------------
    def report_in(self, member_id: str, period: str) -> ReportInModel | None:
        try:
            return ReportInModel.get(report_in_id(member_id, period))
        except ReportInModel.DoesNotExist:
            return None

    def reported(self, member_ids: list[str], period: str) -> set[str]:
        """Which of these members have reported in for the period (one batch read)."""
        if not member_ids:
            return set()
        keys = [report_in_id(m, period) for m in member_ids]
        return {r.member_id for r in ReportInModel.batch_get(keys)}

    def report_ins_below(
        self, period: str, path: str, *, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[ReportInModel], Any]:
        result = ReportInModel.by_period.query(
            period, ReportInModel.path_key.startswith(path + "/"), limit=limit, last_evaluated_key=after
        )
        items = list(result)
        return items, result.last_evaluated_key

    def create_report_in(self, item: ReportInModel, actor: Actor) -> ReportInModel:
        """One report-in per member per period: a second one fails its condition (409)."""
        with transaction() as tx:
            tx.save(item, condition=ReportInModel.id.does_not_exist())
            state = {k: getattr(item, k) for k in ("id", "member_id", "period", "date", "community_code", "note")}
            self._audit(tx, actor, "community_report_in.create", ("community_report_in", item.id), item.unit_path,
                        states=(None, state))  # fmt: skip
        return item

    # -- claims ------------------------------------------------------------------------------------
    def claim(self, need_id: str, member_id: str) -> ClaimModel | None:
        try:
            return ClaimModel.get(need_id, member_id)
        except ClaimModel.DoesNotExist:
            return None

    def create_claim(self, need: NeedModel, member_id: str, period: str, actor: Actor) -> ClaimModel:
        """The claim, the need's counter (only while a slot is free and the need open) and a check that the
        member has reported in, in one transaction: concurrent claims can never overfill a need."""
        item = ClaimModel(need.id, member_id, state="active", claimed_at=now_iso())
        with transaction() as tx:
            tx.save(item, condition=ClaimModel.need_id.does_not_exist() | (ClaimModel.state == "withdrawn"))
            tx.update(
                NeedSystemModel(need.id),
                actions=[NeedSystemModel.taken.add(1)],
                condition=(NeedSystemModel.taken < NeedSystemModel.slots) & (NeedSystemModel.state == "open"),
            )
            tx.condition_check(ReportInModel, report_in_id(member_id, period), condition=ReportInModel.id.exists())
            after = {"need": need.id, "member": member_id, "state": "active"}
            self._audit(tx, actor, "community_claim.create", ("community_claim", f"{need.id}/{member_id}"),
                        need.unit_path, states=(None, after))  # fmt: skip
        return item

    def withdraw_claim(self, need: NeedModel, item: ClaimModel, actor: Actor) -> ClaimModel:
        with transaction() as tx:
            tx.update(
                ClaimModel(item.need_id, item.member_id),
                actions=[ClaimModel.state.set("withdrawn"), ClaimModel.withdrawn_at.set(now_iso())],
                condition=ClaimModel.state == "active",
            )
            tx.update(NeedSystemModel(need.id), actions=[NeedSystemModel.taken.add(-1)],
                      condition=NeedSystemModel.taken > 0)  # fmt: skip
            before = {"need": need.id, "member": item.member_id, "state": "active"}
            self._audit(tx, actor, "community_claim.withdraw", ("community_claim", f"{need.id}/{item.member_id}"),
                        need.unit_path, states=(before, before | {"state": "withdrawn"}))  # fmt: skip
        return ClaimModel.get(item.need_id, item.member_id, consistent_read=True)

    # -- service records ---------------------------------------------------------------------------
    def service_record(self, record_id: str) -> ServiceRecordModel | None:
        try:
            return ServiceRecordModel.get(record_id)
        except ServiceRecordModel.DoesNotExist:
            return None

    def create_service(self, item: ServiceRecordModel, actor: Actor) -> ServiceRecordModel:
        """The record, with checks that the member has reported in for the period and, when a need is
        named, holds an active claim on it."""
        with transaction() as tx:
            tx.save(item, condition=ServiceRecordModel.id.does_not_exist())
            tx.condition_check(
                ReportInModel, report_in_id(item.member_id, item.period), condition=ReportInModel.id.exists()
            )
            if item.need_id:
                tx.condition_check(ClaimModel, item.need_id, item.member_id, condition=ClaimModel.state == "active")
            self._audit(tx, actor, "service_record.create", ("service_record", item.id), item.unit_path,
                        states=(None, service_state(item)))  # fmt: skip
        return item

    def review_service(self, item: ServiceRecordModel, actor: Actor, before: dict[str, Any]) -> ServiceRecordModel:
        """Confirm or dispute under the record's version; a confirmation moves the member's period total
        in the same transaction, so the total is exactly the sum of confirmed records."""
        with transaction() as tx:
            tx.save(item)
            if item.state == "confirmed":
                tx.update(
                    ServiceTotalModel(item.member_id, item.period),
                    actions=[ServiceTotalModel.half_hours.add(int(item.half_hours)), ServiceTotalModel.records.add(1)],
                )
            action = "service_record.confirm" if item.state == "confirmed" else "service_record.dispute"
            self._audit(tx, actor, action, ("service_record", item.id), item.unit_path,
                        states=(before, service_state(item)))  # fmt: skip
        return item

    def services_of(self, member_id: str, period: str) -> list[ServiceRecordModel]:
        return list(
            ServiceRecordModel.by_member.query(member_id, ServiceRecordModel.member_key.startswith(f"{period}-"))
        )

    def services_below(
        self,
        root: str,
        path: str,
        *,
        period: str,
        state: str | None,
        limit: int,
        after: dict[str, Any] | None,
    ) -> tuple[list[ServiceRecordModel], Any]:
        condition = ServiceRecordModel.period == period
        if state is not None:
            condition = condition & (ServiceRecordModel.state == state)
        result = ServiceRecordModel.by_path.query(
            root,
            ServiceRecordModel.path_key.startswith(path + "/"),
            filter_condition=condition,
            limit=limit,
            last_evaluated_key=after,
        )
        items = list(result)
        return items, result.last_evaluated_key

    def total(self, member_id: str, period: str) -> tuple[int, int]:
        """(confirmed half hours, confirmed records) of a member in a period."""
        try:
            item = ServiceTotalModel.get(member_id, period, consistent_read=True)
        except ServiceTotalModel.DoesNotExist:
            return 0, 0
        return int(item.half_hours), int(item.records)

    # -- shared ------------------------------------------------------------------------------------
    def _audit(
        self,
        tx: TransactWrite,
        actor: Actor,
        action: str,
        entity: tuple[str, str],
        unit_path: str,
        *,
        states: tuple[dict[str, Any] | None, dict[str, Any] | None],
    ) -> None:
        entity_type, entity_id = entity
        before, after = states
        self.audit.append(
            tx, actor, action=action, entity_type=entity_type, entity_id=entity_id, unit_path=unit_path,
            before=before, after=after,
        )  # fmt: skip


def community_follows(item: ReportInModel, move: Move) -> list[Action]:
    """A report-in names the village of the member's home: a group moved to another village takes it along."""
    village = move.above("village")
    return [ReportInModel.community_code.set(village[0])] if village and village[0] != item.community_code else []


# a unit move re-paths the needs, report-ins and service records below it (grid.repath)
register_path_tables(
    PathTable(NeedModel, "community_need"),
    PathTable(ReportInModel, "community_report_in", more=community_follows),
    PathTable(ServiceRecordModel, "service_record"),
)
