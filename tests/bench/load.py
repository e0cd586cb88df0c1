"""Read load against the local stack: CLIENTS concurrent clients (threads, keep-alive sessions) call read-heavy
routes for SECONDS each; p50/p95 latency and requests/s, reported as ratios to `GET /health` (a bare route on the
same stack, in the same run), so the figure holds on a busy or a quiet machine.

    python -m tests.bench.load     # or `make bench`, which prints it with the other figures

The stack runs in its own process (tests/e2e/stack_process.py) and serves one request at a time, as one Lambda
container would: throughput is one container's, and the ratio shows what a route costs over the bare gateway.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.e2e.stack_process import StackProcess

CLIENTS = 8
SECONDS = 6.0
L01 = "430182-DCQ-QS-P01-Z01-L01"
ROUTES = (
    ("GET /health (bare)", "/health", None),
    ("GET /v1/units/{village}", "/v1/units/430182-DCQ-QS", "qs-village"),
    ("GET /v1/units/{village}/children", "/v1/units/430182-DCQ-QS/children", "qs-village"),
    ("GET /v1/units/{neighbourhood}/households", f"/v1/units/{L01}/households", "qs-group"),
    ("GET /v1/households/{id}", "/v1/households/{household}", "qs-group"),
    ("GET /v1/units/{village}/members", "/v1/units/430182-DCQ-QS/members", "qs-village"),
)


@dataclass(frozen=True)
class Load:
    route: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float


def _drive(stack: StackProcess, path: str, token: str | None) -> Load:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def client() -> None:
        nonlocal errors
        with requests.Session() as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                status = http.get(stack.base_url + path, headers=headers, timeout=60).status_code
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += status != 200

    with requests.Session() as http:  # warm the route (first imports, caches) before measuring
        for _ in range(3):
            http.get(stack.base_url + path, headers=headers, timeout=60)
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    stop = time.monotonic() + SECONDS
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    cuts = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    return Load(path, len(latencies), errors, len(latencies) / wall, statistics.median(latencies), cuts[18])


def run() -> list[Load]:
    with tempfile.TemporaryDirectory(prefix="nx-load-") as tmp:
        stack = StackProcess(Path(tmp) / "state").start()
        try:
            body = {"unit": L01, "address": "压测1号", "head_name": "胡明", "residents": 3, "phone": "13807310001"}
            token = stack.token("qs-group")
            for i in range(20):  # a neighbourhood with a few households to list
                answer = stack.post("/v1/households", body | {"address": f"压测{i}号"}, token=token)
                assert answer.status_code == 201, answer.text
            household = answer.json()["id"]
            out = []
            for name, path, user in ROUTES:
                load = _drive(stack, path.replace("{household}", household), stack.token(user) if user else None)
                out.append(Load(name, load.requests, load.errors, load.rps, load.p50_ms, load.p95_ms))
            return out
        finally:
            stack.stop()


def main() -> None:
    loads = run()
    bare = loads[0]
    print(f"{CLIENTS} clients, {SECONDS:.0f} s a route")
    print(f"{'route':<42} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}  ratio p50 / rps to bare")
    for x in loads:
        print(
            f"{x.route:<42} {x.rps:7.1f} {x.p50_ms:8.1f} {x.p95_ms:8.1f} {x.errors:6d}"
            f"  {x.p50_ms / bare.p50_ms:.2f} / {x.rps / bare.rps:.2f}"
        )


if __name__ == "__main__":
    main()
