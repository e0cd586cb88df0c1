"""The rules of 四议两公开 and 民情三会 as pure functions: quorums and majorities in exact fractions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.core import workflows
from chalicelib.deliberation import rules


@pytest.mark.parametrize(
    ("entitled", "present", "met"),
    [(9, 6, True), (9, 5, False), (3, 2, True), (8, 5, False), (8, 6, True), (30, 20, True), (30, 19, False),
     (1, 1, True), (0, 0, False), (100000, 66667, True), (100000, 66666, False)],
)  # fmt: skip
def test_quorum_is_at_least_two_thirds_present(entitled: int, present: int, met: bool) -> None:
    assert rules.quorum_met(entitled, present) is met


@pytest.mark.parametrize(
    ("present", "in_favour", "adopted"),
    [(6, 3, False), (6, 4, True), (7, 4, True), (7, 3, False), (2, 2, True), (1, 1, True), (0, 0, False)],
)
def test_majority_is_more_than_half_of_those_present(present: int, in_favour: int, adopted: bool) -> None:
    assert rules.majority(present, in_favour) is adopted


def test_a_tally_needs_the_quorum_before_the_majority() -> None:
    assert rules.tally(3, 1, 1).outcome == "no_quorum"
    assert rules.tally(3, 2, 2).outcome == "adopted"
    assert rules.tally(3, 2, 1, against=1).outcome == "rejected"
    assert rules.tally(30, 20, 10, against=10).outcome == "rejected"  # exactly half is not more than half


@pytest.mark.parametrize(
    ("counts", "reason"),
    [((3, 4, 1, 0, 0), "more present"), ((3, 2, 2, 1, 0), "more votes"), ((3, -1, 0, 0, 0), "negative")],
)
def test_impossible_counts_are_refused(counts: tuple[int, int, int, int, int], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        rules.tally(*counts)


def test_a_deliberation_goes_up_only_when_a_concern_is_sent_up() -> None:
    assert rules.next_stage("courtyard_meeting", {"a": {"outcome": "answered"}}) == "closed"
    assert rules.next_stage("courtyard_meeting", {"a": {"outcome": "answered"}, "b": {"outcome": "forwarded"}}) == (
        "forwarded"  # waits for the village's analysis meeting of the month, a record of its own
    )
    assert rules.next_stage("analysis_meeting", {"a": {"action": "assign"}}) == "closed"
    assert rules.next_stage("analysis_meeting", {"a": {"action": "assign"}, "b": {"action": "town"}}) == "town_review"
    assert rules.next_stage("town_review", {"b": {"decision": "一事一策"}}) == "closed"


def test_the_minutes_hash_covers_the_text_and_who_confirmed_in_any_order() -> None:
    one = rules.minutes_hash("courtyard_meeting", "纪要", ["a", "b"])
    assert one == rules.minutes_hash("courtyard_meeting", "纪要", ["b", "a"])
    assert one != rules.minutes_hash("courtyard_meeting", "纪要。", ["a", "b"])
    assert one != rules.minutes_hash("courtyard_meeting", "纪要", ["a"])


@pytest.mark.parametrize("name", ["deliberation", "four_steps_two_publics"])
def test_the_workflows_render_with_every_table_and_duration(name: str, tmp_path: Path) -> None:
    import chalicelib.deliberation.routes  # noqa: F401, PLC0415 - registers the durations

    subs = {"Table_deliberation_runs": "ningxiang-test-deliberation_runs"} | workflows.duration_substitutions()
    definition = workflows.render(name, subs)
    states = definition["States"]
    assert definition["StartAt"] == "Route"
    waiting = [s for s in states.values() if str(s.get("Resource", "")).endswith(".waitForTaskToken")]
    assert waiting and all("$$.Task.Token" in json.dumps(s["Parameters"]) for s in waiting)
    timed = [s for s in waiting if "TimeoutSeconds" in s]
    assert timed and all(isinstance(s["TimeoutSeconds"], int) and s["Catch"] for s in timed)
    for state in states.values():  # only what moto and AWS both run: no JSONata, no variables, no nesting
        assert "Assign" not in state and "QueryLanguage" not in state
        assert "states:startExecution" not in str(state.get("Resource", ""))
        for target in [state.get("Next"), state.get("Default"), *(c["Next"] for c in state.get("Choices", []))]:
            assert target is None or target in states
    assert workflows.DURATIONS["objection_window"] == 7 * 86400


def test_the_objection_window_closes_by_the_clock() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from chalicelib.deliberation.decisions import effective_stage  # noqa: PLC0415
    from chalicelib.deliberation.store import VillageDecisionModel  # noqa: PLC0415

    item = VillageDecisionModel("d", stage="objection_window", objection_until="2026-11-27T00:00:00Z")
    assert effective_stage(item, datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC)) == "objection_window"
    assert effective_stage(item, datetime(2026, 11, 27, tzinfo=UTC)) == "implementation"
    item.stage = "party_meeting"
    assert effective_stage(item, datetime(2027, 1, 1, tzinfo=UTC)) == "party_meeting"
