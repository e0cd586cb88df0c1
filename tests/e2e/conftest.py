"""One local stack (a subprocess on free loopback ports) shared by a module's read-only checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack_process import StackProcess


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """A running stack; on teardown it must stop on SIGINT with exit code 0 and leave nothing behind."""
    running = StackProcess(tmp_path_factory.mktemp("e2e") / "state").start()
    try:
        yield running
        running.assert_stopped_cleanly(running.stop())
    finally:
        running.kill()  # no-op after a clean stop
