"""Cold import: `import app` against `import boto3`, each in a fresh interpreter, timed inside the child."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = 7
CHILD_ENV = {
    "STAGE": "local",
    "TABLE_PREFIX": "bench",
    "JWKS_URL": "http://127.0.0.1:9/jwks",
    "JWT_ISSUER": "x",
    "JWT_AUDIENCE": "x",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def time_import(module: str) -> float:
    """Seconds spent in `import <module>` in a new interpreter, start-up excluded."""
    return time_code(f"import {module}")


def time_code(statements: str) -> float:
    """Seconds spent running `statements` in a new interpreter, start-up excluded."""
    code = f"import time\nt = time.perf_counter()\n{statements}\nprint(time.perf_counter() - t)"
    # byte-code is cached as a deployment ships it (this machine sets PYTHONDONTWRITEBYTECODE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, **CHILD_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def cold_import_ratio() -> tuple[float, float, float]:
    """(median app seconds, median boto3 seconds, ratio), alternating the two after one unrecorded warm-up each."""
    time_import("app")
    time_import("boto3")  # warm-up: byte-code compiled, file cache filled
    app_times: list[float] = []
    boto_times: list[float] = []
    for _ in range(RUNS):
        app_times.append(time_import("app"))
        boto_times.append(time_import("boto3"))
    app_s, boto_s = statistics.median(app_times), statistics.median(boto_times)
    return app_s, boto_s, app_s / boto_s


# What a cold Lambda loads before answering its first request to a slice: the entry module, then the slice's
# route module (its schemas, models and services). The deliberation slice is the heaviest; `all` is every slice.
FIRST_REQUEST = {
    "deliberation": "import app\nfrom chalicelib import slices\nslices.route_api('chalicelib.deliberation.routes')",
    "grid": "import app\nfrom chalicelib import slices\nslices.route_api('chalicelib.grid.routes')",
    "all": "import app\nfrom chalicelib import slices\nslices.import_models()",
}


def first_request_ratios(runs: int = 5) -> dict[str, float]:
    """Median seconds of each FIRST_REQUEST load over the median `import boto3`, alternating, in one run."""
    times: dict[str, list[float]] = {name: [] for name in (*FIRST_REQUEST, "boto3")}
    for code in FIRST_REQUEST.values():
        time_code(code)  # warm-up: byte-code compiled
    for _ in range(runs):
        for name, code in FIRST_REQUEST.items():
            times[name].append(time_code(code))
        times["boto3"].append(time_import("boto3"))
    boto_s = statistics.median(times["boto3"])
    return {name: statistics.median(times[name]) / boto_s for name in FIRST_REQUEST}
