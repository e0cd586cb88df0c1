"""宁乡's calendar: days, months and quarters are counted in Beijing time (UTC+8, no summer time), whatever
the clock of the machine (a Lambda's is UTC). Timestamps stay UTC ISO 8601; only the day they fall on is read
here. Every rule about a day (today, a deadline, a meeting's month, a score's quarter) asks this module."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def utc_now() -> datetime:
    """The present instant. `china_today` reads it here, so a test that fixes it (monkeypatch
    `chalicelib.core.clock.utc_now`) moves 宁乡's today for every rule at once."""
    return datetime.now(UTC)


def china_date(moment: datetime | str) -> date:
    """The day in 宁乡 of an instant: a datetime or an ISO 8601 timestamp (without an offset, UTC as stored)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).date()


def china_today() -> date:
    return china_date(utc_now())
