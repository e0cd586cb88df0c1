"""四议两公开 village decisions in a real browser: node's test runner drives Debian's Chromium (playwright-core)
through web/tests/decisions.test.mjs against a local stack of this module's own, whose public notice lasts
OBJECTION_WINDOW seconds (WORKFLOW_SECONDS_OBJECTION_WINDOW, as tests/integration/test_village_decisions.py sets
it; no API changes it). The village cadre proposes, records both meetings' votes with the quorum shown live,
publishes, records an objection and answers it through the page (a stale If-Match refused in place), and after
the notice sees the step the workflow is at and takes the decision to its end; axe-core at 360 px, screenshots in
test-artifacts/web-decisions/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack_process import PROJECT_DIR, StackProcess
from tests.e2e.test_web_browser import CHROMIUM, _node, _run

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_DIR / "test-artifacts" / "web-decisions"
OBJECTION_WINDOW = 40  # seconds: long enough to object and reply on the page, short enough to wait out


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WORKFLOW_SECONDS_OBJECTION_WINDOW", str(OBJECTION_WINDOW))  # read when a resolution is published
        running = StackProcess(tmp_path_factory.mktemp("e2e-decisions") / "state").start()
    try:
        yield running
        running.assert_stopped_cleanly(running.stop())
    finally:
        running.kill()  # no-op after a clean stop


def test_village_decision_page_in_chromium(stack: StackProcess) -> None:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    done = _run(
        _node(),
        "tests/decisions.test.mjs",
        env={"BASE_URL": stack.base_url, "ARTIFACT_DIR": str(ARTIFACTS), "CHROMIUM": str(CHROMIUM)},
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-3000:] + stack.output()[-2000:]
    assert "ℹ fail 0" in done.stdout and "ℹ skipped 0" in done.stdout and "ℹ pass 5" in done.stdout, done.stdout[-3000:]
    for name in ("d01-villagers-vote", "d02-objection-open", "d03-objections-answered", "d04-implementation"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 0, name
