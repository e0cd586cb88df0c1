"""DynamoDB calls per request, per route, recorded while the integration tests run (see tests/bench_plugin.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.bench.imports import ROOT

READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
GET_MAX_CALLS = 3


@dataclass(frozen=True)
class RouteCalls:
    route: str
    requests: int
    max_calls: int
    max_reads: int
    scans: int

    @property
    def is_get(self) -> bool:
        return self.route.startswith("GET ")

    @property
    def ok(self) -> bool:
        return self.scans == 0 and (not self.is_get or self.max_calls <= GET_MAX_CALLS)


@dataclass(frozen=True)
class CallsRun:
    routes: list[RouteCalls]
    returncode: int
    summary: str  # pytest's last line, or its tail when the suite failed


def record_calls(out: Path) -> CallsRun:
    out.unlink(missing_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/integration",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.bench_plugin",
        ],
        cwd=ROOT,
        env={**os.environ, "NX_CALLS_OUT": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = (done.stdout + done.stderr).strip().splitlines()
    summary = "\n".join(
        lines[-1:] if done.returncode == 0 else [ln for ln in lines if ln.startswith("FAILED")] + lines[-1:]
    )
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"routes": [], "requests": []}
    by_route: dict[str, list[list[str]]] = {r: [] for r in data["routes"]}
    for req in data["requests"]:
        by_route.setdefault(req["route"], []).append(req["calls"])
    routes = [
        RouteCalls(
            route=route,
            requests=len(calls),
            max_calls=max((len(c) for c in calls), default=0),
            max_reads=max((sum(op in READS for op in c) for c in calls), default=0),
            scans=sum(c.count("Scan") for c in calls),
        )
        for route, calls in sorted(by_route.items(), key=lambda kv: (kv[0].split(" ", 1)[1], kv[0]))
    ]
    return CallsRun(routes, done.returncode, summary)
