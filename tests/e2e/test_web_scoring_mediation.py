"""三比 scoring and 人民调解 mediation pages in a real browser: node's test runner drives Debian's Chromium
(playwright-core) through web/tests/scoring_mediation.test.mjs against a local stack of this module's own. A 组长
claims points with a photo resized in the browser and uploaded by the presigned form, the party group and the
branch review, an objection on the public notice, the points made final and on the leaderboard; a mediation case
registered and taken to closure. Field errors at their fields, the 360 px layout, axe-core on every page;
screenshots in test-artifacts/web-scoring-mediation/."""

from __future__ import annotations

import pytest

from chalicelib.core.csp import directives
from tests.e2e.stack_process import PROJECT_DIR, StackProcess
from tests.e2e.test_web_browser import CHROMIUM, _node, _run

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_DIR / "test-artifacts" / "web-scoring-mediation"


def test_page_logic_under_node() -> None:
    """Quarters (the current one Beijing's), and which lifecycle actions a mediation case offers in which order,
    without a browser."""
    done = _run(_node(), "tests/pages_logic.test.mjs")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "ℹ fail 0" in done.stdout and "ℹ pass 3" in done.stdout, done.stdout[-3000:]


def test_scoring_and_mediation_pages_in_chromium(stack: StackProcess) -> None:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    done = _run(
        _node(),
        "tests/scoring_mediation.test.mjs",
        env={"BASE_URL": stack.base_url, "ARTIFACT_DIR": str(ARTIFACTS), "CHROMIUM": str(CHROMIUM)},
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-3000:] + stack.output()[-2000:]
    assert "ℹ fail 0" in done.stdout and "ℹ skipped 0" in done.stdout, done.stdout[-3000:]
    for name in ("s03-claimed", "s05-notice", "s07-leaderboard", "s08-member-score", "m04-case-closed", "m06-figures"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 0, name


def test_the_page_modules_are_served(stack: StackProcess) -> None:
    for path in ("/pages/scoring.js", "/pages/mediation.js"):
        answer = stack.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"].startswith("application/javascript")


def test_the_static_pages_may_upload_to_storage_only(stack: StackProcess) -> None:
    """Evidence photos go from the browser straight to S3 (moto here) and come back through presigned links:
    connect-src and img-src name it, nothing else."""
    csp = directives(stack.get("/").headers["Content-Security-Policy"])
    moto = f"http://127.0.0.1:{stack.moto_port}"
    assert csp["connect-src"] == ["'self'", moto]
    assert csp["img-src"] == ["'self'", "data:", "blob:", moto]
    assert csp["default-src"] == ["'self'"]
