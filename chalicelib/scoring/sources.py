"""Automatic 三比 credits from what other slices record, each booked once under its source event id:

- `community_service:<record>`: a confirmed 服务登记卡 of an in-service member → `in_service_hours`, one
  quantity per whole hour (points are whole numbers; 1.5 h counts 1);
- `mediation_closed:<case>`: a case closed with an agreement → `mediation_success` for each mediator who is a
  party member, booked as `mediation_closed:<case>#<member>`;
- `whistle_closed:<ticket>`: a whistle resolved by its due time and closed (销号) → `whistle_on_time` for the
  head of the unit it came from (the 组长, or else the 片长, who is a party member), chosen when it closed;
- `courtyard_meeting:<deliberation>`: a 屋场恳谈会 whose minutes are frozen (its sign-in is final) →
  `courtyard_meeting` for each party member signed in, booked as `courtyard_meeting:<deliberation>#<member>`.

The producing slices publish the event after their change commits (`core.events`); this runner resolves it
against their stores, so a replayed or duplicated message credits nothing twice (`record_automatic`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from chalicelib.core import events, jobs
from chalicelib.core.audit import AuditStore
from chalicelib.core.clock import china_date
from chalicelib.core.errors import ApiError
from chalicelib.core.observability import logger

if TYPE_CHECKING:
    from chalicelib.scoring.service import ScoringService


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
    elif kind == "whistle_closed":
        from chalicelib.whistle.store import TicketModel  # noqa: PLC0415

        try:
            ticket = TicketModel.get(ref)
        except TicketModel.DoesNotExist:
            return
        head = dict(ticket.score_event or {})
        if ticket.status != "closed" or not head.get("member"):
            return
        closed_on = china_date(str(head["at"]))
        _book(scoring, source, str(head["member"]), "whistle_on_time", day=closed_on, note=ticket.id)
    elif kind == "courtyard_meeting":
        from chalicelib.deliberation.store import DeliberationStore  # noqa: PLC0415

        item = DeliberationStore(audit=AuditStore()).deliberation(ref)
        meeting = dict(item.meetings.get("courtyard_meeting") or {}) if item is not None else {}
        if item is None or not meeting.get("minutes", {}).get("frozen"):
            return
        held = china_date(str(meeting["concluded_at"]))
        for member in meeting.get("score_members") or []:
            _book(scoring, f"{source}#{member}", str(member), "courtyard_meeting", day=held, note=item.title)
    else:
        logger().warning("unknown scoring source", extra={"kind": kind})


def _book(scoring: ScoringService, source: str, member: str, rule: str, *, day: date, note: str) -> None:
    """One credit; a member gone from the roll is skipped (logged) so the others of the event still count."""
    try:
        scoring.record_automatic(source, member, rule, 1, day, note=note)
    except ApiError as e:
        logger().warning("scoring source not booked", extra={"source": source, "error": e.code})


jobs.register(events.SCORING_CREDIT, credit)
