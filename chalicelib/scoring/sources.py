"""Automatic 三比 credits from what other slices record, each booked once under its source event id:

- `community_service:<record>`: a confirmed 服务登记卡 of an in-service member → `in_service_hours`, one
  quantity per whole hour (points are whole numbers; 1.5 h counts 1);
- `mediation_closed:<case>`: a case closed with an agreement → `mediation_success` for each mediator who is a
  party member, booked as `mediation_closed:<case>#<member>`.

The producing slices publish the event after their change commits (`core.events`); this runner resolves it
against their stores, so a replayed or duplicated message credits nothing twice (`record_automatic`).
"""

from __future__ import annotations

from datetime import date

from chalicelib.core import events, jobs
from chalicelib.core.audit import AuditStore
from chalicelib.core.observability import logger


def credit(source: str) -> None:
    from chalicelib.scoring.service import default_service  # noqa: PLC0415 - jobs only

    kind, _, ref = source.partition(":")
    scoring = default_service()
    if kind == "community_service":
        from chalicelib.community.store import CommunityStore  # noqa: PLC0415

        record = CommunityStore(audit=AuditStore()).service_record(ref)
        hours = int(record.half_hours) // 2 if record is not None else 0
        if record is None or record.state != "confirmed" or hours < 1:
            return
        scoring.record_automatic(
            source, record.member_id, "in_service_hours", hours, date.fromisoformat(record.date), note="服务登记卡"
        )
    elif kind == "mediation_closed":
        from chalicelib.mediation.store import MediationStore  # noqa: PLC0415

        case = MediationStore(audit=AuditStore()).case(ref)
        if case is None or not case.closed_on:
            return
        for event in case.score_events:
            scoring.record_automatic(
                f"{source}#{event['member']}",
                str(event["member"]),
                "mediation_success",
                1,
                date.fromisoformat(case.closed_on),
                note=case.number,
            )
    else:
        logger().warning("unknown scoring source", extra={"kind": kind})


jobs.register(events.SCORING_CREDIT, credit)
