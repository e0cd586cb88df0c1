"""Load with locust against the local stack on loopback, holding a county-sized data set: a mix of cadre reads,
form submissions and agency (Open311) polling, reported as ratios to `GET /health` (a bare route of the same
stack, measured in the same run just before the mix).

    python -m tests.bench.load     # or `make bench`; NX_LOAD_SCALE (0.01) and NX_LOAD_SECONDS (60) tune it

Steps: the county at NX_LOAD_SCALE through the import path (`python -m chalicelib.grid.county`, the
`make seed-county` path) into a fresh state directory; the stack started on it (tests/e2e/stack_process.py);
locust headless, as a subprocess (`python -m locust`: gevent patches the process it runs in, so it never runs
inside pytest or this process), CLIENTS users: first BARE_SECONDS of `GET /health` only, then NX_LOAD_SECONDS of
the mix. The stack serves one request at a time, as one Lambda container would: requests/s are one
container's, and the ratios show what the mix costs over the bare gateway.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.bench.imports import ROOT
from tests.e2e.fuzz import patient_stack
from tests.e2e.stack_process import StackProcess, stack_env

CLIENTS = 8
BARE_SECONDS = 20
L01 = "430182-DCQ-QS-P01-Z01-L01"
Z01 = "430182-DCQ-QS-P01-Z01"
QS = "430182-DCQ-QS"

LOCUSTFILE = r'''
import itertools, json, os, random
from locust import HttpUser, constant, task

CONF = json.loads(os.environ["NX_LOAD_CONF"])
COUNTER = itertools.count()


def auth(user):
    return {"Authorization": "Bearer " + CONF["tokens"][user]}


class Bare(HttpUser):
    """Only for the bare phase (NX_LOAD_PHASE=bare)."""
    wait_time = constant(0)
    weight = 1 if CONF["phase"] == "bare" else 0

    @task
    def health(self):
        self.client.get("/health", name="GET /health (bare)")


class Cadre(HttpUser):
    """A village cadre reading the grid: the village, its children, a 邻's households, the members."""
    wait_time = constant(0)
    weight = 0 if CONF["phase"] == "bare" else 5

    @task(3)
    def village(self):
        self.client.get("/v1/units/" + CONF["village"], headers=auth("qs-village"), name="GET /v1/units/{village}")

    @task(2)
    def children(self):
        self.client.get("/v1/units/" + CONF["village"] + "/children", headers=auth("qs-village"),
                        name="GET /v1/units/{village}/children")

    @task(2)
    def households(self):
        self.client.get("/v1/units/" + CONF["leaf"] + "/households", headers=auth("qs-group"),
                        name="GET /v1/units/{leaf}/households")

    @task(1)
    def members(self):
        self.client.get("/v1/units/" + CONF["village"] + "/members", headers=auth("qs-village"),
                        name="GET /v1/units/{village}/members")


class Forms(HttpUser):
    """A 组长 filing forms: a household registered, a concern (民情) logged."""
    wait_time = constant(0)
    weight = 0 if CONF["phase"] == "bare" else 2

    @task
    def household(self):
        n = next(COUNTER)
        body = {"unit": CONF["leaf"], "address": "压测%d-%d号" % (os.getpid(), n), "head_name": "胡明", "residents": 3}
        headers = {**auth("qs-group"), "Idempotency-Key": "load-%d-%d" % (os.getpid(), n)}
        self.client.post("/v1/households", json=body, headers=headers, name="POST /v1/households")

    @task
    def concern(self):
        body = {"text": "路灯不亮，请求维修", "category": "environment", "unit": CONF["group"], "raised_by": "周建国"}
        self.client.post("/v1/concerns", json=body, headers=auth("qs-group"), name="POST /v1/concerns")


class Agency(HttpUser):
    """An agency's Open311 client polling for requests and updates."""
    wait_time = constant(0)
    weight = 0 if CONF["phase"] == "bare" else 2

    @task
    def requests(self):
        self.client.get("/open311/v2/requests.json?api_key=" + CONF["api_key"], name="GET /open311/v2/requests.json")

    @task
    def updates(self):
        self.client.get("/open311/v2/servicerequestupdates.json?api_key=" + CONF["api_key"],
                        name="GET /open311/v2/servicerequestupdates.json")
'''


@dataclass(frozen=True)
class Load:
    route: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class LoadRun:
    scale: float
    seed_s: float
    items: int
    bare: Load
    mix: Load  # the whole mix (locust's "Aggregated" row)
    routes: list[Load]


def seed_county(state: Path, scale: float) -> tuple[float, int]:
    started = time.monotonic()
    cmd = [sys.executable, "-m", "chalicelib.grid.county", "--scale", str(scale), "--state-dir", str(state)]
    done = subprocess.run(cmd, cwd=ROOT, env=stack_env(), capture_output=True, text=True, check=False, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tables = json.loads((state / "tables.json").read_text())
    return time.monotonic() - started, sum(len(v) for v in tables.values())


def _locust(stack: StackProcess, conf: Mapping[str, object], seconds: int, workdir: Path, phase: str) -> list[Load]:
    locustfile = workdir / "locustfile.py"
    locustfile.write_text(LOCUSTFILE, encoding="utf-8")
    prefix = workdir / phase
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", str(CLIENTS),
           "-r", str(CLIENTS), "-t", f"{seconds}s", "--host", stack.base_url, "--csv", str(prefix),
           "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"]  # fmt: skip
    env = {**os.environ, "NX_LOAD_CONF": json.dumps({**conf, "phase": phase})}
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, check=False, timeout=seconds + 120)
    stats = Path(f"{prefix}_stats.csv")
    assert stats.exists(), f"locust wrote no stats (exit {done.returncode}): {done.stderr[-3000:]}"
    out = []
    with stats.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if int(row["Request Count"]) == 0:
                continue
            out.append(
                Load(
                    route=row["Name"] if row["Name"] != "Aggregated" else "(mix)",
                    requests=int(row["Request Count"]),
                    errors=int(row["Failure Count"]),
                    rps=float(row["Requests/s"]),
                    p50_ms=float(row["50%"]),
                    p95_ms=float(row["95%"]),
                    p99_ms=float(row["99%"]),
                )
            )
    return out


def run(scale: float | None = None, seconds: int | None = None) -> LoadRun:
    scale = scale if scale is not None else float(os.environ.get("NX_LOAD_SCALE", "0.01"))
    seconds = seconds if seconds is not None else int(os.environ.get("NX_LOAD_SECONDS", "60"))
    with tempfile.TemporaryDirectory(prefix="nx-load-") as tmp:
        work = Path(tmp)
        seed_s, items = seed_county(work / "state", scale)
        # `make run`'s save interval: every save scans all tables under the request lock (the tests' 2 s would
        # measure the saver, not the routes)
        with patient_stack(work / "state", save_interval=120.0) as stack:
            tokens = {u: stack.token(u) for u in ("qs-village", "qs-group")}
            api_key = (work / "state" / "agency-api-key").read_text().strip()
            conf = {"tokens": tokens, "api_key": api_key, "village": QS, "leaf": L01, "group": Z01}
            bare = next(x for x in _locust(stack, conf, BARE_SECONDS, work, "bare") if x.route == "(mix)")
            loads = _locust(stack, conf, seconds, work, "mix")
    mix = next(x for x in loads if x.route == "(mix)")
    return LoadRun(scale, seed_s, items, bare, mix, [x for x in loads if x.route != "(mix)"])


def main() -> None:
    result = run()
    b = result.bare
    print(f"county x{result.scale}: {result.items} items loaded in {result.seed_s:.0f} s; {CLIENTS} locust users")
    print(f"{'route':<48} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'err %':>6}  ratios to bare p50/p95/p99")
    for x in [b, result.mix, *result.routes]:
        name = "GET /health (bare phase)" if x is b else x.route
        print(
            f"{name:<48} {x.rps:7.1f} {x.p50_ms:6.0f} {x.p95_ms:6.0f} {x.p99_ms:6.0f} {100 * x.error_rate:6.2f}"
            f"  {x.p50_ms / b.p50_ms:.2f} / {x.p95_ms / b.p95_ms:.2f} / {x.p99_ms / b.p99_ms:.2f}"
        )
    print(f"mix throughput / bare: {result.mix.rps / b.rps:.2f}")


if __name__ == "__main__":
    main()
