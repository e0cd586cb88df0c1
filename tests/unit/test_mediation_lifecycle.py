"""The mediation lifecycle table: every status reachable, the ends final, the law's order kept."""

from __future__ import annotations

import pytest

from chalicelib.core.errors import Conflict
from chalicelib.mediation import lifecycle
from chalicelib.mediation.schemas import STATUS_LABELS
from chalicelib.mediation.service import median_days


def _reachable(start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in lifecycle.TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_status_is_labelled_and_reachable_from_registration() -> None:
    assert set(lifecycle.TRANSITIONS) == set(STATUS_LABELS)
    assert _reachable("registered") == set(STATUS_LABELS)


def test_closed_and_withdrawn_are_final_and_every_open_case_can_end() -> None:
    assert lifecycle.TRANSITIONS["closed"] == lifecycle.TRANSITIONS["withdrawn"] == frozenset()
    assert set(STATUS_LABELS) - {"closed", "withdrawn"} == lifecycle.OPEN_STATUSES
    for status in lifecycle.OPEN_STATUSES:
        assert "closed" in _reachable(status), status


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        ("registered", "investigating"),  # rights are notified first
        ("registered", "mediating"),
        ("investigating", "agreement_reached"),  # an agreement comes out of a session
        ("agreement_reached", "withdrawn"),  # a signed agreement binds; it is not withdrawn
        ("agreement_reached", "escalated"),
        ("performing", "closed"),  # a follow-up visit comes before closing
        ("mediating", "closed"),
        ("closed", "registered"),
        ("withdrawn", "mediating"),
    ],
)
def test_transitions_outside_the_table_name_both_states_and_what_may_follow(current: str, requested: str) -> None:
    with pytest.raises(Conflict) as caught:
        lifecycle.check(current, requested)
    error = caught.value
    assert current in error.message_en and requested in error.message_en
    assert STATUS_LABELS[current] in error.message and STATUS_LABELS[requested] in error.message
    for allowed in lifecycle.allowed_next(current):
        assert allowed in error.message_en


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        ("registered", "rights_notified"),
        ("rights_notified", "investigating"),
        ("investigating", "mediating"),
        ("mediating", "mediating"),  # another session
        ("mediating", "agreement_reached"),
        ("mediating", "failed"),
        ("failed", "escalated"),  # the next level tries
        ("failed", "closed"),
        ("agreement_reached", "performing"),
        ("performing", "follow_up"),
        ("follow_up", "follow_up"),  # another visit
        ("follow_up", "closed"),
        ("escalated", "investigating"),
        ("escalated", "escalated"),  # 组 → 村 → 镇
        ("registered", "withdrawn"),
    ],
)
def test_the_lawful_steps_pass(current: str, requested: str) -> None:
    lifecycle.check(current, requested)


def test_allowed_next_follows_the_order_of_the_lifecycle_and_leaves_out_staying() -> None:
    assert lifecycle.allowed_next("mediating") == ["agreement_reached", "failed", "escalated", "withdrawn"]
    assert lifecycle.allowed_next("closed") == []


def test_median_days_from_the_histogram() -> None:
    assert median_days({}) is None
    assert median_days({"days:3": 1, "days:10": 1, "closed": 2}) == 6.5
    assert median_days({"days:3": 2, "days:10": 1}) == 3.0
