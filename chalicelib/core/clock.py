"""宁乡's calendar: days, months and quarters are counted in Beijing time (UTC+8, no summer time), whatever
the clock of the machine (a Lambda's is UTC)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def china_today() -> date:
    return datetime.now(CHINA).date()
