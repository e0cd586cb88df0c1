"""Ctrl-C on the local stack: the final save waits a bounded time for the request in the app, then names it
and saves without it (a CI run once hung 60 s in the stop with nothing in the log to say where)."""

from __future__ import annotations

import faulthandler
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from chalicelib.localstack import stack as stack_module
from chalicelib.localstack.stack import LocalStack


class Saves:
    """save_tables as the stop calls it: counts calls, and fails the first `fail` of them as moto's scan
    does when it meets a table written meanwhile."""

    def __init__(self, fail: int = 0) -> None:
        self.calls, self.fail = 0, fail

    def __call__(self, path: Path) -> int:
        self.calls += 1
        if self.calls <= self.fail:
            raise RuntimeError("dictionary changed size during iteration")
        return 7


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    monkeypatch.setattr(stack_module, "STOP_GRACE", 0.5)
    return LocalStack(state_dir=tmp_path, port=1, moto_port=2, serve_http=False)


def hold(local: LocalStack, what: str, release: threading.Event) -> threading.Thread:
    taken = threading.Event()

    def in_the_app() -> None:
        with local._lock.taken(what):
            taken.set()
            release.wait(10)

    t = threading.Thread(target=in_the_app, daemon=True)
    t.start()
    assert taken.wait(5)
    return t


def test_stop_waits_for_the_request_in_the_app_then_saves(local: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    saves = Saves()
    monkeypatch.setattr(stack_module, "save_tables", saves)
    release = threading.Event()
    hold(local, "POST /v1/whistle/tickets", release)
    threading.Timer(0.2, release.set).start()  # the request ends within the grace
    took = local.stop()
    assert saves.calls == 1
    assert "(7 items)" in took
    assert local._lock.holder() == ("", 0.0)


def test_a_request_stuck_past_the_grace_is_named_and_the_state_saved_anyway(
    local: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    saves = Saves(fail=2)
    monkeypatch.setattr(stack_module, "save_tables", saves)
    dumped: list[Any] = []
    monkeypatch.setattr(faulthandler, "dump_traceback", lambda **kw: dumped.append(kw))
    release = threading.Event()
    holder = hold(local, "GET /v1/mediation/cases", release)
    started = time.monotonic()
    took = local.stop()
    assert time.monotonic() - started < 5
    assert "(7 items)" in took
    assert saves.calls == 3  # two scans met the running request's writes and were retried
    assert "stopping: not waiting for GET /v1/mediation/cases" in capsys.readouterr().out
    assert dumped == [{"all_threads": True}]
    release.set()
    holder.join(5)
    assert local.stop() == "already stopped"


def test_a_step_that_hangs_is_left_behind_and_reported(
    local: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A save that never returns (a moto call that never answers) does not keep Ctrl-C from ending the process."""
    monkeypatch.setattr(stack_module, "STEP_LIMIT", 0.3)
    never = threading.Event()
    monkeypatch.setattr(stack_module, "save_tables", lambda path: never.wait(10))
    monkeypatch.setattr(faulthandler, "dump_traceback", lambda **kw: None)
    started = time.monotonic()
    took = local.stop()
    assert time.monotonic() - started < 3
    assert took == "save abandoned after 1 s"
    assert "stopping: save did not finish within 1 s" in capsys.readouterr().out
    never.set()


def test_a_step_that_fails_still_stops_moto(local: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(stack_module, "save_tables", broken)
    stopped: list[bool] = []
    local._moto = type("Moto", (), {"stop": lambda self: stopped.append(True)})()
    with pytest.raises(OSError, match="disk full"):
        local.stop()
    assert stopped == [True]
