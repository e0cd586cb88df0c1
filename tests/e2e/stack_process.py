"""The local stack (`python -m chalicelib.localstack`) as a subprocess on free loopback ports.

moto's backends are process-global and the other test tiers run `mock_aws` inside the pytest process, so the
stack always runs in a process of its own. Its output goes to a file that is printed when something goes wrong.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import requests

PROJECT_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0  # a loaded 2-core machine has needed ~90 s
STOP_TIMEOUT = 60.0  # the final state save scans every table; on a loaded 2-core machine that has taken over 20 s


def free_port() -> int:
    """A port the kernel hands out for 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Nobody listens on 127.0.0.1:port and a server could bind it (SO_REUSEADDR, as servers do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def stack_env() -> dict[str, str]:
    """The caller's environment without AWS endpoint overrides (the stack points boto3 at its own moto)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env["PYTHONUNBUFFERED"] = "1"  # the log file shows progress even if the stack hangs
    return env


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces or parentheses, so split after the last ")"
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[1])


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (Linux /proc; an empty set where /proc is absent)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return set()
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            ppid = _parent_of(int(entry.name))
            if ppid is not None:
                parents[int(entry.name)] = ppid
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but belongs to someone else (a recycled pid)
        return True
    return True


class StackProcess:
    """One run of the local stack; `start()` waits for /health, `stop()` sends SIGINT and returns the exit code."""

    def __init__(self, state_dir: Path, *, port: int | None = None, moto_port: int | None = None) -> None:
        self.state_dir = state_dir
        self.port = port if port is not None else free_port()
        self.moto_port = moto_port if moto_port is not None else free_port()
        while self.moto_port == self.port:
            self.moto_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = state_dir.parent / f"{state_dir.name}-stack-{self.port}.log"
        self.http = requests.Session()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self.children_seen: set[int] = set()
        self.save_interval = 2.0  # tests want state on disk soon; a load run sets `make run`'s 120 s

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        assert self._proc is not None, "stack not started"
        return self._proc.pid

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def start(self) -> StackProcess:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        cmd = [
            sys.executable,
            "-m",
            "chalicelib.localstack",
            "--port",
            str(self.port),
            "--moto-port",
            str(self.moto_port),
            "--state-dir",
            str(self.state_dir),
            "--save-interval",
            str(self.save_interval),
        ]
        self._proc = subprocess.Popen(
            cmd, cwd=PROJECT_DIR, env=stack_env(), stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                self._fail(f"the stack exited with code {self._proc.returncode} before /health answered")
            try:
                if self.http.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.kill()
                self._fail(f"/health on {self.base_url} did not answer 200 within {START_TIMEOUT:.0f} s")
            time.sleep(0.2)

    def _fail(self, why: str) -> None:
        output = self.output()
        print(f"--- local stack output ({self.log_path}) ---\n{output}\n--- end of stack output ---")
        raise AssertionError(f"{why}\n{output[-4000:]}")

    def stop(self) -> int:
        """SIGINT, as Ctrl-C would; return the exit code (raise if it does not exit within STOP_TIMEOUT)."""
        assert self._proc is not None, "stack not started"
        self.http.close()
        if self._proc.poll() is None:
            self.children_seen = descendants(self._proc.pid)
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.send_signal(signal.SIGUSR1)  # the stack writes every thread's stack to its log
                time.sleep(2)
                self.kill()
                self._fail(f"the stack did not exit within {STOP_TIMEOUT:.0f} s of SIGINT")
        self._close_log()
        return self._proc.returncode

    def kill(self) -> None:
        """Last resort for a stack that would not stop: SIGKILL this process (only) and reap it."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=10)
        self.http.close()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def assert_stopped_cleanly(self, returncode: int) -> None:
        """Exit code 0, no process left behind, both ports free again."""
        assert returncode == 0, f"exit code {returncode}\n{self.output()[-4000:]}"
        if "stopping: " in (log := self.output()):  # what the stack prints of a step it did not wait for
            # the stop still ended in time with the state saved; what overran is worth a look, not a red run
            overran = log[log.find("stopping") :][:4000]
            warnings.warn(f"the local stack overran a step of its stop:\n{overran}", stacklevel=2)  # listed by -ra
        assert not process_exists(self.pid), f"pid {self.pid} still exists after exit"
        left = {pid for pid in self.children_seen if process_exists(pid)}
        assert left == set(), f"child processes left behind: {left}"
        assert self.children_seen == set(), f"the stack is one process, but it had children {self.children_seen}"
        assert port_is_free(self.port), f"port {self.port} still in use"
        assert port_is_free(self.moto_port), f"moto port {self.moto_port} still in use"

    # -- calls -------------------------------------------------------------------------------------
    def get(self, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.http.get(self.base_url + path, headers=_auth(token), timeout=30, **kwargs)

    def post(self, path: str, json: Any, *, token: str | None = None) -> requests.Response:
        return self.http.post(self.base_url + path, json=json, headers=_auth(token), timeout=30)

    def token(self, username: str) -> str:
        answer = self.post("/local-auth/token", {"username": username})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["token_type"] == "Bearer"
        return str(body["access_token"])


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token is not None else {}
