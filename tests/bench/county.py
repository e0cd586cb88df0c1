"""The county through the import path, against raw BatchWriteItem of the same items on the same backend,
and the DynamoDB items read to answer a village's GET and /children at two county sizes.

Both sides keep the same number of calls in flight (`imports.WRITE_THREADS`): with moto in this process, a
thread waits on the GIL, not on the network, and that cost is paid on both sides alike.

Runs in a child process (moto's in-process backend, `mock_aws`), so its backends are its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

from tests.bench.dynamo import child_env
from tests.bench.imports import ROOT

CHILD = r"""
import json, os, sys, time
import boto3
from moto import mock_aws
from chalicelib.core import jobs
from chalicelib.core.db import all_models, create_tables
from chalicelib.grid import county
from chalicelib.localstack.seed import seed_demo, DEMO_ACCOUNTS
from tests.bench.dynamo import ReadCount
from tests.conftest import TEST_API_KEY

from chalicelib.localstack import moto_tx
moto_tx.install()  # the local stack's backend: item-level transaction rollback
scale = float(sys.argv[1])
out = {}
with mock_aws():
    create_tables(); jobs.create_queues_and_buckets(); seed_demo(TEST_API_KEY)
    client = boto3.client("dynamodb")
    tables = [m.Meta.table_name for m in all_models()]
    def items():
        got = {}
        for t in tables:
            got[t] = [i for p in client.get_paginator("scan").paginate(TableName=t) for i in p["Items"]]
        return got
    before = items()
    started, cpu = time.perf_counter(), time.process_time()
    report, calls = ReadCount.measure(lambda: county.load(scale))
    out["import_s"], out["import_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
    out["import_calls"] = calls.calls
    after = items()
    new = {t: [i for i in after[t] if i not in before[t]] for t in tables}
    out["items"] = sum(len(v) for v in new.values())
    out["rows"] = report.written
    # items read by GET /v1/units/{village} and /children (PynamoDB calls, counted at botocore)
    from chalicelib.grid.service import default_service
    admin = next(a for a in DEMO_ACCOUNTS if a.role == "city_admin").principal()
    service = default_service()
    village = "430182-DCQ-QS"
    out["get_items"] = ReadCount.measure(lambda: service.get(admin, village))[1].items
    out["children_items"] = ReadCount.measure(lambda: service.children(admin, village, limit=100, cursor=None))[1].items
with mock_aws():  # a fresh backend: the same items by raw BatchWriteItem, as many calls in flight as the import
    create_tables()
    client = boto3.client("dynamodb")
    from concurrent.futures import ThreadPoolExecutor
    from chalicelib.grid.imports import WRITE_THREADS
    def put(table, rows):
        pending = {table: [{"PutRequest": {"Item": r}} for r in rows]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    def raw():
        with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
            for done in [pool.submit(put, table, rows[i:i + 25]) for table, rows in new.items()
                         for i in range(0, len(rows), 25)]:
                done.result()
    started, cpu = time.perf_counter(), time.process_time()
    _, calls = ReadCount.measure(raw)
    out["raw_s"], out["raw_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
    out["raw_calls"] = calls.calls
print(json.dumps(out))
"""


@dataclass(frozen=True)
class CountyRun:
    scale: float
    import_s: float
    raw_s: float
    import_cpu_s: float  # CPU time of this process (moto runs in it): steadier than wall time on a busy machine
    raw_cpu_s: float
    import_calls: int  # DynamoDB calls (round trips on a real table) of the import path, file checks included
    raw_calls: int
    items: int
    rows: int  # data rows written (units, households, heads)
    get_items: int
    children_items: int

    @property
    def ratio(self) -> float:
        """Import throughput over raw BatchWriteItem throughput (same items): raw time / import time."""
        return self.raw_s / self.import_s

    @property
    def cpu_ratio(self) -> float:
        """The same ratio in CPU time of the process that runs both sides and moto."""
        return self.raw_cpu_s / self.import_cpu_s


def run(scale: float) -> CountyRun:
    env = child_env()
    command = [sys.executable, "-c", CHILD, str(scale)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return CountyRun(scale=scale, **data)


if __name__ == "__main__":  # python -m tests.bench.county [scale]: this bench alone (default 0.02, as make bench)
    result = run(float(sys.argv[1]) if len(sys.argv) > 1 else 0.02)
    print(result)
    calls = (
        f"{result.raw_calls / result.import_calls:.2f} in DynamoDB calls ({result.import_calls} vs {result.raw_calls})"
    )
    print(f"import / raw BatchWriteItem: {result.ratio:.2f} wall, {result.cpu_ratio:.2f} CPU, {calls}")
