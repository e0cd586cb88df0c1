"""DynamoDB calls per request, per route, recorded while the integration tests run (see tests/bench_plugin.py);
and what the moto benches (county, members, scoring) share: their child process's environment, and the count of
DynamoDB calls and items read around one measured call (`ReadCount.measure`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tests.bench.imports import ROOT

T = TypeVar("T")


def child_env() -> dict[str, str]:
    """The environment of a bench child process that runs moto in-process (`mock_aws`): no endpoint of the
    local stack, settings and fake credentials of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env |= {
        "STAGE": "test", "TABLE_PREFIX": "bench", "JWKS_URL": "http://127.0.0.1:9/j", "JWT_ISSUER": "x",
        "JWT_AUDIENCE": "x", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR",
    }  # fmt: skip
    return env


@dataclass
class ReadCount:
    """DynamoDB calls and items read by one measured call, counted at botocore: a Query or Scan counts its
    ScannedCount (a filter does not hide what was read), a GetItem its item, a BatchGetItem its responses;
    and the items of each TransactWriteItems it sent."""

    items: int = 0
    calls: int = 0
    tx_items: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "calls": self.calls, "tx_items": list(self.tx_items)}

    @classmethod
    def measure(cls, fn: Callable[[], T]) -> tuple[T, ReadCount]:
        import botocore.client  # noqa: PLC0415 - only in a bench's child process

        reads = cls()
        real = botocore.client.BaseClient._make_api_call
        lock = threading.Lock()  # the import path calls from a pool of threads

        def counting(client: Any, op: str, params: dict[str, Any]) -> Any:
            result = real(client, op, params)
            if client.meta.service_model.service_name != "dynamodb":
                return result
            with lock:
                reads.calls += 1
                reads.items += result.get("ScannedCount", len(result.get("Items", []))) + (1 if "Item" in result else 0)
                reads.items += sum(len(v) for v in result.get("Responses", {}).values())
                if op == "TransactWriteItems":
                    reads.tx_items.append(len(params["TransactItems"]))
            return result

        botocore.client.BaseClient._make_api_call = counting
        try:
            return fn(), reads
        finally:
            botocore.client.BaseClient._make_api_call = real


def batch_load(items: Iterable[Any], model: Any) -> None:
    """Items written straight with BatchWriteItem (a bench's synthetic county, not a path under test)."""
    with model.batch_write() as batch:
        for item in items:
            batch.save(item)


READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
GET_MAX_CALLS = 3  # a single record's GET: profile, record, one more; reported (how many GETs keep to it), not a target


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
        """The issue's target for every route: no Scan. That reads follow the result, not the county, is
        measured at two county sizes for the routes that list (county, members, scoring benches)."""
        return self.scans == 0


@dataclass(frozen=True)
class CallsRun:
    routes: list[RouteCalls]
    returncode: int
    summary: str  # pytest's last line, or its tail when the suite failed


def record_calls(out: Path) -> CallsRun:
    for old in (out, *out.parent.glob(f"{out.name}.gw*")):
        old.unlink(missing_ok=True)
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
            "-n",
            "2",
            "--dist",
            "worksteal",
            "-m",
            "not long",
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
    data: dict[str, list[Any]] = {"routes": [], "requests": []}
    for part in sorted(out.parent.glob(f"{out.name}.gw*")):  # one file per xdist worker
        got = json.loads(part.read_text(encoding="utf-8"))
        data["routes"] = sorted({*data["routes"], *got["routes"]})
        data["requests"] += got["requests"]
        part.unlink()
    out.write_text(json.dumps(data, indent=1), encoding="utf-8")
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
