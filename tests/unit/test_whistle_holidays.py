"""China's official holidays and adjusted workdays (holidays_cn.json) in the working-hours arithmetic."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from chalicelib.core.clock import CHINA
from chalicelib.whistle import rules
from chalicelib.whistle.rules import add_working_seconds, is_working_day, official_calendar


def china(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CHINA)


def test_the_2026_schedule_is_the_state_councils() -> None:
    calendar = official_calendar()
    assert 2026 in calendar.years
    days: dict[str, int] = {}
    for name in calendar.holidays.values():
        days[name] = days.get(name, 0) + 1
    assert days == {"元旦": 3, "春节": 9, "清明节": 3, "劳动节": 5, "端午节": 3, "中秋节": 3, "国庆节": 7}
    assert sorted(calendar.workdays) == [
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
        date(2026, 10, 10),
    ]  # fmt: skip
    assert all(day.weekday() >= 5 for day in calendar.workdays)  # 调休上班日 fall on weekends


def test_every_year_in_the_file_is_well_formed() -> None:
    data = json.loads(rules.HOLIDAYS_FILE.read_text(encoding="utf-8"))
    for year, spec in data["years"].items():
        assert spec["notice"].startswith("国务院办公厅"), year
        assert {h["name"] for h in spec["holidays"]} >= {"元旦", "春节", "国庆节"}, year
        assert {w["for"] for w in spec["workdays"]} <= {h["name"] for h in spec["holidays"]}, year


def test_holidays_are_skipped_and_adjusted_saturdays_count() -> None:
    assert not is_working_day(date(2026, 10, 1))  # 国庆节, a Thursday
    assert not is_working_day(date(2026, 10, 5))  # a Monday inside the holiday
    assert is_working_day(date(2026, 10, 10))  # Saturday, worked for 国庆节
    assert is_working_day(date(2026, 9, 20))  # Sunday, worked for 国庆节
    assert not is_working_day(date(2026, 10, 17))  # an ordinary Saturday
    assert is_working_day(date(2026, 10, 8))
    # Wednesday 30 September 16:00 + one working day (7 h): 1.5 h that day, then Thursday 8 October 14:00 + 2 h
    assert add_working_seconds(china(2026, 9, 30, 16), rules.WORKING_DAY) == china(2026, 10, 8, 16).astimezone(UTC)
    # + three working days: 30 Sep, 8 Oct, 9 Oct, and the adjusted Saturday 10 Oct until 16:00
    assert add_working_seconds(china(2026, 9, 30, 16), 3 * rules.WORKING_DAY) == china(2026, 10, 10, 16).astimezone(UTC)
    # Friday 9 Oct 17:00 + 1 h: 30 min on Friday, then the adjusted Saturday morning
    assert add_working_seconds(china(2026, 10, 9, 17), 3600) == china(2026, 10, 10, 9).astimezone(UTC)


def test_spring_festival_and_a_year_not_in_the_file() -> None:
    # Friday 13 Feb 2026 17:00 + 1 h: Saturday 14 Feb is worked for 春节
    assert add_working_seconds(china(2026, 2, 13, 17), 3600) == china(2026, 2, 14, 9).astimezone(UTC)
    # Saturday 14 Feb 17:00 + 1 h: 30 min that day, 15-23 Feb is the holiday, then Tuesday 24 Feb 09:00
    assert add_working_seconds(china(2026, 2, 14, 17), 3600) == china(2026, 2, 24, 9).astimezone(UTC)
    # a year without a published schedule: Monday to Friday only (1 January 2030 is a Tuesday)
    assert 2030 not in official_calendar().years
    assert is_working_day(date(2030, 1, 1)) and not is_working_day(date(2030, 1, 5))
    assert add_working_seconds(china(2030, 1, 4, 17), 3600) - china(2030, 1, 7, 9) == timedelta(0)
