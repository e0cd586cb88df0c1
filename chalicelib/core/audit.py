"""Audit events: written in the same transaction as the change they describe, hash-chained per entity.

An event stores who (subject, role, scope), when, what (action, entity type and id, unit path), the request
id and hashes of the state before and after: never the personal data itself. Each event's hash covers the
previous event's hash, so editing or deleting an event breaks the chain (`verify`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.auth import Principal, path_within
from chalicelib.core.db import BaseMeta, register_model
from chalicelib.core.errors import BadRequest, FieldError, not_found
from chalicelib.core.paging import decode_cursor, encode_cursor

GENESIS = "0" * 64


def state_hash(state: dict[str, Any] | None) -> str:
    if state is None:
        return ""
    canonical = json.dumps(state, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class TimeIndex(GlobalSecondaryIndex["AuditEventModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_time"
        projection = AllProjection()

    month = UnicodeAttribute(hash_key=True)
    at_key = UnicodeAttribute(range_key=True)


@register_model
class AuditEventModel(Model):
    class Meta(BaseMeta):
        table_suffix = "audit"
        stream_view_type = "NEW_IMAGE"

    entity = UnicodeAttribute(hash_key=True)  # "<type>#<id>"
    seq = NumberAttribute(range_key=True)
    at = UnicodeAttribute()
    month = UnicodeAttribute()
    at_key = UnicodeAttribute()
    actor_sub = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    actor_scope = UnicodeAttribute()
    action = UnicodeAttribute()
    entity_type = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    request_id = UnicodeAttribute()
    before_hash = UnicodeAttribute()
    after_hash = UnicodeAttribute()
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()
    by_time = TimeIndex()


@dataclass(frozen=True)
class Actor:
    sub: str
    role: str
    scope: str
    request_id: str


CHAINED_FIELDS = (
    "entity",
    "seq",
    "at",
    "actor_sub",
    "actor_role",
    "actor_scope",
    "action",
    "entity_type",
    "entity_id",
    "unit_path",
    "request_id",
    "before_hash",
    "after_hash",
)


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    body = json.dumps({k: fields[k] for k in CHAINED_FIELDS}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + "|" + body).encode()).hexdigest()


def to_dict(item: AuditEventModel) -> dict[str, Any]:
    return {
        "entity_type": item.entity_type,
        "entity_id": item.entity_id,
        "seq": int(item.seq),
        "at": item.at,
        "action": item.action,
        "actor": {"sub": item.actor_sub, "role": item.actor_role, "scope": item.actor_scope},
        "unit_path": item.unit_path,
        "request_id": item.request_id,
        "before_hash": item.before_hash,
        "after_hash": item.after_hash,
        "hash": item.hash,
    }


class AuditStore:
    def _head(self, entity: str) -> tuple[int, str]:
        for item in AuditEventModel.query(entity, scan_index_forward=False, limit=1):
            return int(item.seq), str(item.hash)
        return 0, GENESIS

    def append(
        self,
        tx: TransactWrite,
        actor: Actor,
        *,
        action: str,
        entity_type: str,
        entity_id: str,
        unit_path: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """Add the event to `tx`; the condition on (entity, seq) makes two racing writers fail, not fork."""
        entity = f"{entity_type}#{entity_id}"
        seq, prev = self._head(entity)
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        fields: dict[str, Any] = {
            "entity": entity,
            "seq": seq + 1,
            "at": now,
            "actor_sub": actor.sub,
            "actor_role": actor.role,
            "actor_scope": actor.scope,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "unit_path": unit_path,
            "request_id": actor.request_id,
            "before_hash": state_hash(before),
            "after_hash": state_hash(after),
        }
        item = AuditEventModel(
            **fields,
            month=now[:7],
            at_key=f"{now}#{entity}#{seq + 1:010d}",
            prev_hash=prev,
            hash=event_hash(prev, fields),
        )
        tx.save(item, condition=AuditEventModel.entity.does_not_exist())

    def for_entity(
        self, entity_type: str, entity_id: str, *, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[AuditEventModel], dict[str, Any] | None]:
        result = AuditEventModel.query(f"{entity_type}#{entity_id}", limit=limit, last_evaluated_key=after)
        items = list(result)
        return items, result.last_evaluated_key

    def in_month(
        self, month: str, start: str, end: str, *, scope: str, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[AuditEventModel], dict[str, Any] | None]:
        """Events of one month between two ISO instants whose unit lies in `scope` (a key-range query)."""
        result = AuditEventModel.by_time.query(
            month,
            AuditEventModel.at_key.between(start, end + "\uffff"),
            filter_condition=(AuditEventModel.unit_path == scope) | AuditEventModel.unit_path.startswith(scope + "/"),
            limit=limit,
            last_evaluated_key=after,
        )
        items = list(result)
        return items, result.last_evaluated_key

    def chain(self, entity_type: str, entity_id: str) -> Iterator[AuditEventModel]:
        yield from AuditEventModel.query(f"{entity_type}#{entity_id}")


def verify_chain(events: Iterator[AuditEventModel]) -> dict[str, Any]:
    """Recompute every hash; report the first event whose hash, link or sequence does not hold."""
    prev, expected_seq, count = GENESIS, 1, 0
    for item in events:
        count += 1
        fields = {k: getattr(item, k) for k in CHAINED_FIELDS}
        fields["seq"] = int(item.seq)
        if int(item.seq) != expected_seq or item.prev_hash != prev or event_hash(prev, fields) != item.hash:
            return {"ok": False, "events": count, "broken_at_seq": int(item.seq)}
        prev, expected_seq = item.hash, expected_seq + 1
    return {"ok": True, "events": count, "broken_at_seq": None}


def _months(start: datetime, end: datetime) -> list[str]:
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


class AuditService:
    """Who may read which events: only those whose unit lies in the caller's scope."""

    def __init__(self, *, store: AuditStore) -> None:
        self.store = store

    def for_entity(
        self, principal: Principal, entity_type: str, entity_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        items, last = self.store.for_entity(entity_type, entity_id, limit=limit, after=decode_cursor(cursor))
        return [to_dict(i) for i in items if path_within(i.unit_path, principal.scope)], encode_cursor(last)

    def in_range(
        self, principal: Principal, start: datetime, end: datetime, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        months = _months(start, end)
        state = decode_cursor(cursor) or {"m": months[0], "k": None}
        if state.get("m") not in months:
            raise BadRequest("分页游标无效", "Invalid page cursor", [FieldError("query.cursor", "无效 / invalid")])
        out: list[dict[str, Any]] = []
        after = state.get("k")
        for month in months[months.index(state["m"]) :]:
            items, after = self.store.in_month(
                month,
                start.isoformat(timespec="milliseconds"),
                end.isoformat(timespec="milliseconds"),
                scope=principal.scope,
                limit=limit - len(out),
                after=after,
            )
            out += [to_dict(i) for i in items]
            if after is not None:
                return out, encode_cursor({"m": month, "k": after})
            if len(out) >= limit:
                nxt = months.index(month) + 1
                return out, encode_cursor({"m": months[nxt], "k": None}) if nxt < len(months) else None
        return out, None

    def verify(self, principal: Principal, entity_type: str, entity_id: str) -> dict[str, Any]:
        events = list(self.store.chain(entity_type, entity_id))
        if not events or not path_within(events[0].unit_path, principal.scope):
            raise not_found("审计记录", "Audit trail")
        return verify_chain(iter(events))
