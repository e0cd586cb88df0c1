"""End to end: 夏铎铺's water dispute (scripts/water_dispute.py) over HTTP against the local stack. Two courtyard
meetings forward the two sides, the village's analysis meeting takes both and sends them to the town; the stack
is stopped in the middle of the analysis meeting and started again on the same .local state: the workflow is
resumed from DynamoDB and the dispute completes, every step on the timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.water_dispute import Walkthrough
from tests.e2e.stack_process import StackProcess

pytestmark = pytest.mark.e2e


def test_the_water_dispute_goes_from_two_courtyards_to_the_town_across_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_SECONDS_ANALYSIS_MEETING", "3600")  # no lapse while the stack is down
    state = tmp_path / "state"
    ids = tmp_path / "water_dispute.json"
    first = StackProcess(state).start()
    try:
        walk = Walkthrough(first.base_url, ids)
        walk.run("upstream_courtyard", "analysis_graded", say=lambda _: None)
        analysis = walk.state["analysis"]
        before = walk.waiting(analysis, "analysis_meeting")
        assert before["sources"] == [walk.state["upstream"], walk.state["downstream"]]
        assert len(before["concerns"]) == 2 and before["workflow"]["restarts"] == 0
        first.assert_stopped_cleanly(first.stop())  # in the middle of the village's analysis meeting
    finally:
        first.kill()

    second = StackProcess(state, port=first.port, moto_port=first.moto_port).start()
    try:
        assert "resumed" in second.output()
        walk = Walkthrough(second.base_url, ids)  # a fresh client: only the ids file carries over
        resumed = walk.waiting(walk.state["analysis"], "analysis_meeting")
        assert resumed["workflow"]["restarts"] == 1
        assert resumed["workflow"]["execution"] == f"{walk.state['analysis']}-analysis_meeting-r1"
        graded = next(m for m in resumed["meetings"] if m["stage"] == "analysis_meeting")["outcomes"]
        assert {o["action"] for o in graded} == {"town"}  # nothing lost across the restart
        walk.run("analysis_graded", "town_concluded", say=lambda _: None)

        closed = walk.record(walk.state["analysis"])
        assert closed["stage"] == "closed" and closed["workflow"]["step"] == "closed"
        whistle = next(m for m in closed["meetings"] if m["stage"] == "town_review")["outcomes"]
        assert any(o.get("whistle_requested") for o in whistle)
        tickets = walk.call("GET", "/v1/whistle/tickets", "water-bureau")["items"]
        assert [t["source"] for t in tickets] == [f"deliberation:{walk.state['analysis']}"]
        steps = [(e["kind"], e["stage"], e["deliberation"]) for e in walk.timeline()]
        upstream, downstream, analysis = walk.state["upstream"], walk.state["downstream"], walk.state["analysis"]
        for record, stage in ((upstream, "courtyard_meeting"), (analysis, "analysis_meeting"),
                              (analysis, "town_review")):  # fmt: skip
            assert ("concluded", stage, record) in steps
        assert ("forwarded", "analysis_meeting", upstream) in steps
        assert ("collected", "analysis_meeting", upstream) in steps
        assert steps[0] == ("started", "courtyard_meeting", upstream) and steps[-1] == ("closed", None, analysis)
        merged = walk.call("GET", f"/v1/deliberations/{analysis}/timeline", "xdp-village")["items"]
        assert ("concluded", "courtyard_meeting", downstream) in [
            (e["kind"], e["stage"], e["deliberation"]) for e in merged
        ]
        for concern in closed["concerns"]:
            assert walk.call("GET", f"/v1/concerns/{concern}", "xdp-village")["status"] == "closed"
        second.assert_stopped_cleanly(second.stop())
    finally:
        second.kill()
