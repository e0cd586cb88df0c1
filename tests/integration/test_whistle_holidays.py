"""Working-hours time limits follow the State Council's holiday schedule: a routine whistle blown before
国庆节 is due after the holiday, and the Saturday worked in exchange (调休上班日) counts as a working day.
The service runs on moto-backed stores with its clock fixed at the moment of the story."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.clock import CHINA
from chalicelib.grid.store import GridStore
from chalicelib.localstack.seed import DEMO_ACCOUNTS
from chalicelib.whistle.flow import FlowRunner
from chalicelib.whistle.schemas import DispatchIn, NoteIn, TicketIn
from chalicelib.whistle.service import WhistleService
from chalicelib.whistle.store import WhistleStore
from tests.support import ApiClient

GROUP = "430182-DCQ-QS-P01-Z01"


def service_at(moments: list[datetime]) -> WhistleService:
    """The real service and stores; its clock reads the last moment in `moments` (the test moves it on)."""
    audit = AuditStore()
    store = WhistleStore(audit=audit)
    clock: Callable[[], datetime] = lambda: moments[-1]  # noqa: E731
    return WhistleService(
        store=store, grid=GridStore(audit=audit), catalogue=CatalogueStore(audit=audit),
        flows=FlowRunner(store=store), clock=clock,
    )  # fmt: skip


def people(*usernames: str) -> list[tuple[Principal, Actor]]:
    out = []
    for name in usernames:
        account = next(a for a in DEMO_ACCOUNTS if a.username == name)
        out.append((account.principal(), Actor(account.sub, account.role, account.scope, f"test-{name}")))
    return out


def routine_wall() -> TicketIn:
    return TicketIn.model_validate({
        "kind": "routine", "category": "dangerous_building", "description": "鹊山村第一组一处围墙开裂外倾",
        "location": {"unit": GROUP, "address": "鹊山村第一组村道旁"},
    })  # fmt: skip


def test_a_routine_whistle_before_national_day_is_due_after_the_holiday(api: ApiClient) -> None:
    # GIVEN the village whistles at 16:00 on Wednesday 30 September 2026, the eve of 国庆节 (1-7 October)
    moments = [datetime(2026, 9, 30, 16, tzinfo=CHINA)]
    svc = service_at(moments)
    (village, village_actor), (town, town_actor) = people("qs-village", "dcq-town")
    ticket = svc.create(village, village_actor, routine_wall())
    # WHEN the town dispatches it to 住建局 at once
    t = svc.dispatch(town, town_actor, ticket.id, DispatchIn(co=[]), None)
    # THEN report in (1 working day) is due on Thursday 8 October, not on 1 October; resolve (3 working days)
    # on Saturday 10 October, a 调休上班日, not on Monday 12 October
    assert t.report_in_due is not None and t.resolve_due is not None
    assert datetime.fromisoformat(t.report_in_due) == datetime(2026, 10, 8, 16, tzinfo=CHINA)
    assert datetime.fromisoformat(t.resolve_due) == datetime(2026, 10, 10, 16, tzinfo=CHINA)
    # the API shows the same due times to the whistler
    seen = api.get(f"/v1/whistle/tickets/{t.id}", user="qs-village").json
    assert seen["resolve_due"] == t.resolve_due and seen["report_in_due"] == t.report_in_due


def test_an_adjusted_saturday_is_a_working_day(api: ApiClient) -> None:
    # GIVEN a routine whistle dispatched at 16:00 on Friday 9 October 2026
    moments = [datetime(2026, 10, 9, 16, tzinfo=CHINA)]
    svc = service_at(moments)
    (village, village_actor), (town, town_actor) = people("qs-village", "dcq-town")
    ticket = svc.create(village, village_actor, routine_wall())
    t = svc.dispatch(town, town_actor, ticket.id, DispatchIn(co=[]), None)
    # THEN the 7 working hours to report in run 1.5 h on Friday and 5.5 h on Saturday 10 October (调休上班)
    assert t.report_in_due is not None
    assert datetime.fromisoformat(t.report_in_due) == datetime(2026, 10, 10, 16, tzinfo=CHINA)
    # WHEN the department reports in at 15:00 that Saturday, it is on time
    moments.append(datetime(2026, 10, 10, 15, tzinfo=CHINA))
    ((dept, actor),) = people("housing-bureau")
    t = svc.report_in(dept, actor, t.id, NoteIn(note="已安排人员周六到场"), None)
    assert t.status == "reported_in"
    assert t.departments[0].department == "housing" and t.departments[0].on_time is True
