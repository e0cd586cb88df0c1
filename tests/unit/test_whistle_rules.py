"""The whistle lifecycle's transition table and due times in working or calendar hours (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core.clock import CHINA
from chalicelib.whistle import rules
from chalicelib.whistle.rules import PREVIOUS, add_working_seconds, due_after, next_status, seconds_until


def china(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA)  # 2026-11-23 is a Monday


def test_the_happy_path_runs_from_whistle_to_close() -> None:
    status = "whistled"
    for action in ("dispatch", "report_in", "progress", "resolve", "verify", "evaluate", "close"):
        nxt = next_status(status, action)
        assert nxt is not None, (status, action)
        status = nxt
    assert status == "closed"


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("dispatched", "return", "returned"),
        ("returned", "dispatch", "dispatched"),  # 改派
        ("reported_in", "request_extension", "extension_requested"),
        ("extension_requested", "grant_extension", PREVIOUS),
        ("extension_requested", "refuse_extension", PREVIOUS),
        ("resolved", "reject", "reopened"),
        ("reopened", "resolve", "resolved"),
    ],
)
def test_side_paths(status: str, action: str, expected: str) -> None:
    assert next_status(status, action) == expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("whistled", "report_in"),  # not dispatched yet
        ("dispatched", "resolve"),  # nobody reported in
        ("in_progress", "return"),  # work started: no more 退单
        ("resolved", "evaluate"),  # verify first
        ("closed", "dispatch"),
        ("extension_requested", "resolve"),  # the town decides first
    ],
)
def test_refused_transitions(status: str, action: str) -> None:
    assert next_status(status, action) is None


def test_every_status_and_target_is_known_and_only_closed_is_final() -> None:
    assert set(rules.TRANSITIONS) == set(rules.STATUSES) == set(rules.STATUS_LABELS)
    for actions in rules.TRANSITIONS.values():
        assert set(actions) <= set(rules.ACTION_LABELS)
        assert set(actions.values()) <= {*rules.STATUSES, PREVIOUS}
    assert [s for s, actions in rules.TRANSITIONS.items() if not actions] == ["closed"]


def test_working_hours_skip_lunch_evenings_and_weekends() -> None:
    # Monday 11:30 + 1 h of working time: 30 min before lunch, 30 min after 14:00
    assert add_working_seconds(china(23, 11, 30), 3600) == china(23, 14, 30).astimezone(UTC)
    # Friday 17:00 + 1 h: 30 min on Friday, then Monday 08:30 + 30 min
    assert add_working_seconds(china(27, 17), 3600) == datetime(2026, 11, 30, 9, 0, tzinfo=CHINA)
    # Saturday night: counting starts on Monday morning
    assert add_working_seconds(china(28, 22), 7 * 3600) == datetime(2026, 11, 30, 17, 30, tzinfo=CHINA)
    # three working days from Monday 08:30 end on Wednesday 17:30
    assert add_working_seconds(china(23, 8, 30), 3 * rules.WORKING_DAY) == china(25, 17, 30).astimezone(UTC)


def test_calendar_hours_and_timeouts() -> None:
    start = china(28, 22)  # a Saturday night emergency: calendar hours
    assert due_after(start, 30 * 60, "calendar") == china(28, 22, 30).astimezone(UTC)
    assert due_after(start, 30 * 60, "working") == china(30, 9).astimezone(UTC)
    assert seconds_until(china(28, 22, 30), start) == 1800
    assert seconds_until(start, china(28, 23)) == 1  # already late: the workflow lapses at once


def test_default_catalogue_is_consistent() -> None:
    departments = {code for code, _, _ in rules.DEPARTMENTS}
    for category in rules.default_categories().values():
        assert category["lead"] in departments and set(category["co"]) <= departments
        assert set(category["limits"]) == set(rules.KINDS)
        emergency = category["limits"]["emergency"]
        assert emergency["report_in_seconds"] == 1800 and emergency["resolve_seconds"] == 4 * 3600
        assert emergency["hours"] == "calendar" and category["handover_seconds"] == 48 * 3600
    assert "area_head" in rules.default_kind_rules()["emergency"]["whistlers"]
