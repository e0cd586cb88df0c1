"""宁乡's calendar: every rule about a day reads it from chalicelib/core/clock.py. At 2026-11-26T17:30Z it is
already 01:30 on the 27th in Beijing, so each rule below must answer for the 27th (or, on New Year's Eve, for
the new year), not for the UTC day. The instant is fixed once, at the clock's `utc_now`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.core import clock
from chalicelib.deliberation.service import item_out, item_overdue
from chalicelib.deliberation.store import ResponsibilityItemModel
from chalicelib.mediation.service import _is_overdue
from chalicelib.mediation.store import MediationCaseModel
from chalicelib.scoring import moves
from chalicelib.scoring.rules import period_of
from chalicelib.showings.store import pledge_years
from chalicelib.whistle.hotline import HotlineModel, received_day
from chalicelib.whistle.rules import add_working_seconds
from chalicelib.whistle.service import new_ticket_id
from chalicelib.whistle.service import period_of as whistle_month

NIGHT = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)  # 01:30 on Friday 27 November in 宁乡
NEW_YEAR = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 01:30 on 1 January 2027 in 宁乡


@pytest.fixture
def fix_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    def fix(moment: datetime) -> None:
        monkeypatch.setattr(clock, "utc_now", lambda: moment)

    return fix


def test_the_clock_counts_beijing_days() -> None:
    assert clock.china_date(NIGHT) == date(2026, 11, 27) != NIGHT.date()
    assert clock.china_date("2026-11-26T17:30:00Z") == date(2026, 11, 27)
    assert clock.china_date("2026-11-26T15:59:59+00:00") == date(2026, 11, 26)
    assert clock.china_date("2026-11-26T17:30:00") == date(2026, 11, 27)  # a stored timestamp without offset is UTC
    assert clock.china_date(datetime(2026, 11, 27, 1, 30, tzinfo=clock.CHINA)) == date(2026, 11, 27)
    assert clock.utc_now().tzinfo is not None


def test_china_today_reads_the_one_clock(fix_clock: Callable[[datetime], None]) -> None:
    fix_clock(NIGHT)
    assert clock.china_today() == date(2026, 11, 27)
    fix_clock(NIGHT - timedelta(hours=2))  # 23:30 in Beijing: still the 26th
    assert clock.china_today() == date(2026, 11, 26)


def _item(deadline: str) -> ResponsibilityItemModel:
    return ResponsibilityItemModel(
        "item-1", deliberation_id="d-1", concern_id="c-1", task="清淤村口水渠", grade="urgent",
        lead_unit_code="430182-DCQ-QS", lead_unit_path="430182/DCQ/QS", responsible_units=[], accepted_by=[],
        root="430182", path_key="430182/DCQ/QS/#item-1", deadline=deadline, status="in_progress", progress=[],
        created_at="2026-11-20T02:00:00+00:00",
    )  # fmt: skip


def test_a_responsibility_item_is_overdue_from_the_first_minute_of_beijings_next_day(
    fix_clock: Callable[[datetime], None],
) -> None:
    # GIVEN an item of the responsibility list due on the 26th, read at 01:30 on the 27th in 宁乡
    fix_clock(NIGHT)
    item = _item("2026-11-26")
    # THEN it is overdue (挂牌督办), though the UTC day is still the 26th
    assert item_out(item).overdue is True
    assert item_overdue(item, NIGHT.date()) is False  # what a UTC day would have said
    # AND one due on the 27th is not overdue yet
    assert item_out(_item("2026-11-27")).overdue is False


def _case(due_on: str, status: str = "mediating") -> MediationCaseModel:
    return MediationCaseModel("case-1", status=status, due_on=due_on)


def test_a_mediation_case_is_late_by_beijings_day(fix_clock: Callable[[datetime], None]) -> None:
    # GIVEN a case registered on 27 October, due 30 days later on the 26th
    fix_clock(NIGHT - timedelta(hours=2))  # 23:30 on the 26th in 宁乡 (15:30 UTC)
    assert _is_overdue(_case("2026-11-26")) is False
    # WHEN 宁乡's day turns, while the UTC day is still the 26th
    fix_clock(NIGHT)
    # THEN the open case is overdue; a closed one never is
    assert _is_overdue(_case("2026-11-26")) is True
    assert _is_overdue(_case("2026-11-26", status="closed")) is False


def test_a_whistles_working_hours_and_its_days_are_beijings() -> None:
    # a routine whistle blown at 01:30 on Friday in 宁乡: one working hour is 08:30-09:30 that Friday morning
    due = add_working_seconds(NIGHT, 3600)
    assert due == datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # 09:30 in Beijing
    # (counted in UTC hours it would be Thursday 17:30, after work, and run to 09:30Z: 17:30 in Beijing)
    assert due != datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    # its id carries 宁乡's day, its score the month of that day (the last evening of November is December's)
    assert new_ticket_id(NIGHT)[0].startswith("W20261127")
    assert whistle_month(datetime(2026, 11, 30, 17, 30, tzinfo=UTC)) == "2026-12"
    # a 12345 call received at that moment counts in the 27th's trend
    call = HotlineModel("12345-1", received_at=NIGHT.isoformat())
    assert received_day(call) == "2026-11-27"


def test_the_current_quarter_and_pledge_years_turn_with_beijings_new_year(
    fix_clock: Callable[[datetime], None],
) -> None:
    # GIVEN 01:30 on New Year's Day 2027 in 宁乡, still 31 December in UTC
    fix_clock(NEW_YEAR)
    assert period_of(NEW_YEAR.date()) == "2026-Q4"  # the UTC answer
    # THEN a moved member's score follows the group from 2027's first quarter
    assert moves.current_period() == "2027-Q1"
    # AND a published pledge can carry 2028 (next year, counted from 2027)
    assert pledge_years()[-1] == 2028
