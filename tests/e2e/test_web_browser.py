"""The web frontend in a real browser: node's test runner drives Debian's Chromium (playwright-core, from
web/package.json) against the local stack started by the `stack` fixture. Screenshots of every main page are
saved to test-artifacts/web/. `make test` installs node packages (`npm ci` in web/) and Chromium first."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.stack_process import PROJECT_DIR, StackProcess

pytestmark = pytest.mark.e2e

WEB = PROJECT_DIR / "web"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = PROJECT_DIR / "test-artifacts" / "web"
BROWSER_TIMEOUT = 300


def _node() -> str:
    node = shutil.which("node")
    assert node is not None, "node is not installed: run `make test` (it installs node, npm packages and chromium)"
    assert (WEB / "node_modules" / "playwright-core").is_dir(), "web/node_modules is missing: run `make test`"
    return node


def _run(node: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, "--test", "--test-concurrency=1", "--test-reporter=spec", *args],
        cwd=WEB,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        check=False,
    )


def test_frontend_logic_under_node() -> None:
    """Schema checks, language picking, the outbox and the photo sizing, without a browser."""
    done = _run(_node(), "tests/logic.test.mjs")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "ℹ fail 0" in done.stdout, done.stdout[-3000:]


def test_frontend_in_chromium(stack: StackProcess) -> None:
    """Sign-in, grid, map, a generated form with a server field error, registering a member, the offline outbox,
    contact cards, the English toggle, several roles, photo resizing; axe-core on every main page at 360 px."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    done = _run(
        _node(),
        "tests/browser.test.mjs",
        env={"BASE_URL": stack.base_url, "ARTIFACT_DIR": str(ARTIFACTS), "CHROMIUM": str(CHROMIUM)},
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-3000:] + stack.output()[-2000:]
    assert "ℹ fail 0" in done.stdout and "ℹ skipped 0" in done.stdout, done.stdout[-3000:]
    assert (ARTIFACTS / "02-home.png").stat().st_size > 0


@pytest.mark.parametrize(
    "path",
    [
        "/package.json",
        "/package-lock.json",
        "/tests/browser.test.mjs",
        "/node_modules/playwright-core/package.json",
        "/node_modules/echarts/package.json",
        "/node_modules/echarts/dist/../../playwright-core/index.js",
    ],
)
def test_only_the_pages_vendor_files_are_served(stack: StackProcess, path: str) -> None:
    assert stack.get(path).status_code == 404


def test_echarts_is_served_as_a_module(stack: StackProcess) -> None:
    answer = stack.get("/node_modules/echarts/dist/echarts.esm.min.js")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/javascript")
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
