"""12345 hotline tickets (工单): the hotline posts one (its own number, category, text, the caller masked, a
time limit); the town dispatches it as a whistle or forwards it to a village concern and reports the
outcome; the hotline records its callback (回访: resolved? satisfied?) on the same resource."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal
from chalicelib.core.clock import china_date, china_today
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.core.errors import Conflict, Forbidden, check_version, field_error, not_found
from chalicelib.core.privacy import mask_name, mask_phone, normalise_phone
from chalicelib.grid.store import GridStore
from chalicelib.whistle import rules, to_deliberation  # to_deliberation registers the concern outcome hook
from chalicelib.whistle.schemas import (
    CallbackIn,
    HotlineDispatchIn,
    HotlineIn,
    HotlineOut,
    HotlineTrendOut,
    HotlineTrendPoint,
    LocationIn,
    OutcomeIn,
    TicketIn,
)
from chalicelib.whistle.service import WhistleService, iso, now
from chalicelib.whistle.service import default_service as whistle_service
from chalicelib.whistle.store import TicketModel

# 12345 limits: 应急 the same day, 咨询/求助 3 working days, 投诉 13 working days
LIMIT_SECONDS: dict[str, tuple[int, str]] = {
    "emergency": (8 * 3600, "calendar"),
    "consult": (3 * rules.WORKING_DAY, "working"),
    "help": (3 * rules.WORKING_DAY, "working"),
    "complaint": (13 * rules.WORKING_DAY, "working"),
}
TRANSITIONS: dict[str, dict[str, str]] = {
    "received": {"whistle": "dispatched", "concern": "forwarded"},
    "dispatched": {"outcome": "answered"},
    "forwarded": {"outcome": "answered"},
    "answered": {"callback": "visited"},
    "visited": {},
}


@register_model
class HotlineModel(Model):
    class Meta(BaseMeta):
        table_suffix = "hotline-tickets"

    id = UnicodeAttribute(hash_key=True)  # the hotline's own ticket number
    agency = UnicodeAttribute()  # the posting agency's scope (hotline12345)
    kind = UnicodeAttribute()  # emergency, consult, help, complaint
    category = UnicodeAttribute()
    text = UnicodeAttribute()
    caller = UnicodeAttribute(null=True)  # masked name and phone only: the clear values stay with the hotline
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    received_at = UnicodeAttribute()
    due = UnicodeAttribute()
    status = UnicodeAttribute()
    whistle_ticket = UnicodeAttribute(null=True)
    concern_unit = UnicodeAttribute(null=True)
    concern = UnicodeAttribute(null=True)  # the village concern it became (deliberation slice)
    outcome = UnicodeAttribute(null=True)
    resolved = BooleanAttribute(null=True)
    satisfied = BooleanAttribute(null=True)
    history = ListAttribute[dict[str, Any]](default=list)
    version = VersionAttribute()


@register_model
class HotlineCountModel(Model):
    """Hotline tickets counted per unit and Beijing day of receipt, for trends: one item per (unit path, day,
    dimension, value) for the ticket's unit and each unit above it, kept in the ticket's own transactions (a
    create adds its category, kind and status; a transition moves one from the old status to the new). A trend
    reads one item per non-zero bucket of one unit: never the tickets, never a scan."""

    class Meta(BaseMeta):
        table_suffix = "hotline-counts"

    subject = UnicodeAttribute(hash_key=True)  # a unit path: the ticket's unit or one of its ancestors
    bucket = UnicodeAttribute(range_key=True)  # "<YYYY-MM-DD>#<category|kind|status>#<value>"
    n = NumberAttribute(default=0)


TREND_DIMENSIONS = ("category", "kind", "status")
TREND_MAX_DAYS = 366
TREND_DEFAULT_DAYS = 30


def received_day(item: HotlineModel) -> str:
    return china_date(item.received_at).isoformat()


def count_deltas(item: HotlineModel, before: dict[str, Any] | None) -> dict[tuple[str, str], int]:
    """What a write changes in the counts: a new ticket adds one of each dimension; a new status moves one."""
    if before is None:
        return {("category", item.category): 1, ("kind", item.kind): 1, ("status", item.status): 1}
    if before["status"] == item.status:
        return {}
    return {("status", str(before["status"])): -1, ("status", item.status): 1}


def hotline_out(item: HotlineModel) -> HotlineOut:
    return HotlineOut(
        id=item.id, agency=item.agency, kind=item.kind, category=item.category, text=item.text, caller=item.caller,
        unit=item.unit_code, unit_path=item.unit_path, received_at=item.received_at, due=item.due,
        status=item.status, whistle_ticket=item.whistle_ticket, concern_unit=item.concern_unit, outcome=item.outcome,
        concern=item.concern,
        resolved=item.resolved, satisfied=item.satisfied, history=[dict(h) for h in item.history or []],
        version=int(item.version or 0),
    )  # fmt: skip


def _state(item: HotlineModel) -> dict[str, Any]:
    return {k: getattr(item, k) for k in ("id", "agency", "status", "unit_code", "whistle_ticket", "outcome")}


class HotlineService:
    def __init__(self, *, whistle: WhistleService, audit: AuditStore) -> None:
        self.whistle = whistle
        self.audit = audit

    def _save(self, item: HotlineModel, actor: Actor, action: str, before: dict[str, Any] | None) -> None:
        with transaction() as tx:
            self._write(tx, item, actor, action, before)

    def _write(
        self, tx: TransactWrite, item: HotlineModel, actor: Actor, action: str, before: dict[str, Any] | None
    ) -> None:
        if before is None:
            tx.save(item, condition=HotlineModel.id.does_not_exist())
        else:
            tx.save(item)
        day, segments, deltas = received_day(item), item.unit_path.split("/"), count_deltas(item, before)
        for depth in range(1, len(segments) + 1):
            subject = "/".join(segments[:depth])
            for (dimension, value), delta in deltas.items():
                bucket = HotlineCountModel(subject, f"{day}#{dimension}#{value}")
                tx.update(bucket, actions=[HotlineCountModel.n.add(delta)])
        self.audit.append(
            tx, actor, action=action, entity_type="hotline_ticket", entity_id=item.id, unit_path=item.unit_path,
            before=before, after=_state(item),
        )  # fmt: skip

    def _step(self, item: HotlineModel, actor: Actor, action: str, moment: datetime) -> None:
        target = TRANSITIONS.get(item.status, {}).get(action)
        if target is None:
            raise Conflict(
                f"工单当前状态为 {item.status}，不能执行 {action}", f"A {item.status} ticket cannot {action}"
            )
        item.history = [*(item.history or []), {"at": iso(moment), "action": action, "from": item.status,
                                                 "to": target, "by_role": actor.role}]  # fmt: skip
        item.status = target

    def create(self, principal: Principal, actor: Actor, data: HotlineIn) -> HotlineOut:
        if principal.scope_kind != "department":
            raise Forbidden("只有热线等机构可以提交工单", "Only an agency may post hotline tickets")
        unit = self.whistle.grid.unit(data.unit)
        if unit is None or len(unit.path.split("/")) < 2:
            raise field_error("body.unit", "须为已知的镇（街道）或以下单元", "Unknown unit, or above a town")
        self.whistle.category(data.category)
        moment = now()
        seconds, hours = LIMIT_SECONDS[data.kind]
        if data.limit_days is not None:
            seconds, hours = data.limit_days * rules.WORKING_DAY, "working"
        caller = None
        if data.caller_name or data.caller_phone:
            phone = mask_phone(normalise_phone(data.caller_phone)) if data.caller_phone else None
            caller = " ".join(p for p in (mask_name(data.caller_name), phone) if p)
        item = HotlineModel(
            data.id, agency=principal.scope, kind=data.kind, category=data.category, text=data.text, caller=caller,
            unit_code=unit.code, unit_path=unit.path, received_at=iso(moment),
            due=iso(rules.due_after(moment, seconds, hours)), status="received", history=[],
        )  # fmt: skip
        self._save(item, actor, "hotline.create", None)
        return hotline_out(item)

    def visible(self, principal: Principal, hotline_id: str) -> HotlineModel:
        try:
            item = HotlineModel.get(hotline_id)
        except HotlineModel.DoesNotExist as e:
            raise not_found("热线工单", "Hotline ticket") from e
        if principal.scope_kind == "department":
            if item.agency != principal.scope:
                raise not_found("热线工单", "Hotline ticket")
        elif not principal.sees_unit(item.unit_path):
            raise not_found("热线工单", "Hotline ticket")
        return item

    def get(self, principal: Principal, hotline_id: str) -> HotlineOut:
        return hotline_out(self.visible(principal, hotline_id))

    def dispatch(
        self, principal: Principal, actor: Actor, hotline_id: str, data: HotlineDispatchIn, if_match: int | None
    ) -> HotlineOut:
        item = self.visible(principal, hotline_id)
        check_version(if_match, item.version)
        before = _state(item)
        moment = now()
        self._step(item, actor, data.to, moment)
        if data.to == "whistle":
            ticket = TicketIn(
                kind=data.kind, category=item.category, description=item.text,
                location=LocationIn(unit=item.unit_code, address=data.address or "12345来电"),
                lead=data.lead, co=data.co, source=f"hotline:{item.id}", hotline_ticket=item.id,
            )  # fmt: skip

            def link(tx: TransactWrite, whistle: TicketModel) -> None:
                # the hotline ticket is saved, under its version, in the whistle's own transaction: a failed
                # save (a racing dispatch, a lost answer retried) leaves no whistle behind, nor a second one
                item.whistle_ticket = whistle.id
                self._write(tx, item, actor, "hotline.whistle", before)

            self.whistle.whistle(
                actor, ticket, unit_code=item.unit_code, unit_path=item.unit_path,
                whistler=(principal.sub, principal.role, principal.display_name), auto_dispatch=True, extra=link,
            )  # fmt: skip
            return hotline_out(item)
        unit = self.whistle.grid.unit(data.concern_unit or "")
        if unit is None or not principal.sees_unit(unit.path):
            raise field_error("body.concern_unit", "须为您辖区内的村（社区）", "A village in your scope is required")
        item.concern_unit = unit.code
        item.concern = to_deliberation.forward(item, unit, actor)
        self._save(item, actor, f"hotline.{data.to}", before)
        return hotline_out(item)

    def outcome(
        self, principal: Principal, actor: Actor, hotline_id: str, data: OutcomeIn, if_match: int | None
    ) -> HotlineOut:
        item = self.visible(principal, hotline_id)
        check_version(if_match, item.version)
        before = _state(item)
        self._step(item, actor, "outcome", now())
        item.outcome = data.text
        self._save(item, actor, "hotline.outcome", before)
        return hotline_out(item)

    def report_outcome(self, item: HotlineModel, actor: Actor, text: str) -> None:
        """The outcome of the village concern a forwarded ticket became (to_deliberation's hook)."""
        before = _state(item)
        self._step(item, actor, "outcome", now())
        item.outcome = text
        self._save(item, actor, "hotline.outcome", before)

    def callback(
        self, principal: Principal, actor: Actor, hotline_id: str, data: CallbackIn, if_match: int | None
    ) -> HotlineOut:
        item = self.visible(principal, hotline_id)
        if principal.scope != item.agency:
            raise Forbidden("回访由提交工单的机构记录", "The posting agency records the callback")
        check_version(if_match, item.version)
        before = _state(item)
        self._step(item, actor, "callback", now())
        item.resolved, item.satisfied = data.resolved, data.satisfied
        self._save(item, actor, "hotline.callback", before)
        return hotline_out(item)


def trend_window(start: str | None, end: str | None, *, today: date) -> tuple[date, date]:
    """The days asked for (default: the 30 days to today), checked: real dates, in order, at most 366 days."""

    def day(value: str | None, field: str) -> date | None:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError as e:
            raise field_error(f"query.{field}", "日期无效", "Not a valid date") from e

    last = day(end, "to") or today
    first = day(start, "from") or last - timedelta(days=TREND_DEFAULT_DAYS - 1)
    if last < first:
        raise field_error("query.to", "截止日不能早于起始日", "to must not precede from")
    if (last - first).days + 1 > TREND_MAX_DAYS:
        raise field_error(
            "query.from", f"时间窗口不能超过{TREND_MAX_DAYS}天", f"The window is at most {TREND_MAX_DAYS} days"
        )
    return first, last


def _point(period: str, counts: dict[str, dict[str, int]]) -> HotlineTrendPoint:
    return HotlineTrendPoint(
        period=period, total=sum(counts["category"].values()), by_category=dict(sorted(counts["category"].items())),
        by_kind=dict(sorted(counts["kind"].items())), by_status=dict(sorted(counts["status"].items())),
    )  # fmt: skip


def trends(
    principal: Principal, code: str, *, start: str | None, end: str | None, bucket: str, grid: GridStore
) -> HotlineTrendOut:
    """Hotline tickets received in a unit (and below) per day or week, by category, kind and current status:
    one query on the unit's counts, one item read per non-zero (day, dimension, value)."""
    unit = grid.unit(code)
    if unit is None or not principal.sees_unit(unit.path):
        raise not_found("网格单元", "Unit")
    first, last = trend_window(start, end, today=china_today())

    def period_of(day: date) -> str:
        return (day - timedelta(days=day.weekday()) if bucket == "week" else day).isoformat()

    periods: dict[str, dict[str, dict[str, int]]] = {}
    day = first
    while day <= last:
        periods.setdefault(period_of(day), {d: {} for d in TREND_DIMENSIONS})
        day += timedelta(days=1)
    totals: dict[str, dict[str, int]] = {d: {} for d in TREND_DIMENSIONS}
    query = HotlineCountModel.query(
        unit.path, HotlineCountModel.bucket.between(first.isoformat(), f"{last.isoformat()}#\uffff")
    )
    for item in query:
        n = int(item.n or 0)
        day_text, dimension, value = item.bucket.split("#", 2)
        if n == 0 or dimension not in totals:
            continue
        counts = periods[period_of(date.fromisoformat(day_text))][dimension]
        counts[value] = counts.get(value, 0) + n
        totals[dimension][value] = totals[dimension].get(value, 0) + n
    return HotlineTrendOut(
        unit=unit.code, unit_path=unit.path, start=first.isoformat(), end=last.isoformat(), bucket=bucket,
        points=[_point(p, c) for p, c in periods.items()], totals=_point(first.isoformat(), totals),
    )  # fmt: skip


def default_service() -> HotlineService:
    return HotlineService(whistle=whistle_service(), audit=AuditStore())
