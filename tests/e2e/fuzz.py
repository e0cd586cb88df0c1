"""schemathesis against `/openapi.json` of a running local stack, once per role.

    python -m tests.e2e.fuzz --examples 50            # `make fuzz`: every role, many examples
    python -m tests.e2e.fuzz --examples 2 --max-time 30   # what `make test` runs (tests/e2e/test_fuzz.py)

Generic over the declared routes: the path parameters of every operation in `ROUTES` get real values so the
generated requests get past 404. A parameter is named by the collection segment before it (`/v1/households/
{id}` -> the household created at start, `{code}` -> a unit code, `{member}` -> a member id); a route of a new
slice whose collection is not seeded here still runs, with generated values (so it mostly answers 404).
Destructive operations (DELETE, `.../move`) get spare records, so the other operations keep their targets.

Checks: not_a_server_error, response_schema_conformance, negative_data_rejection. Phases: examples, fuzzing
(the coverage phase crashes inside hypothesis on Python 3.11.7, "AST constructor recursion depth mismatch";
stateful needs links the document does not declare).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from chalicelib.localstack.seed import DEMO_ACCOUNTS
from tests.e2e import stack_process
from tests.e2e.stack_process import PROJECT_DIR, StackProcess

CHECKS = "not_a_server_error,response_schema_conformance,negative_data_rejection"
PHASES = "examples,fuzzing"
SEED = 20261126
# one demo account per role (chalicelib/localstack/seed.py DEMO_ACCOUNTS)
ROLES: dict[str, str] = {
    "neighbour_head": "zhang-liangke",
    "group_head": "qs-group",
    "area_head": "qs-area",
    "village_cadre": "qs-village",
    "town_cadre": "dcq-town",
    "city_admin": "city-admin",
    "department": "water-bureau",
    "auditor": "auditor",
}
VILLAGE = "430182-DCQ-QS"
L01 = "430182-DCQ-QS-P01-Z01-L01"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
DESTRUCTIVE = re.compile(r"/(move)$")


def id_number(first17: str) -> str:
    """A resident ID number with its check digit (GB 11643)."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


@contextlib.contextmanager
def patient_stack(
    state_dir: Path, start_timeout: float = 240.0, *, save_interval: float = 2.0
) -> Iterator[StackProcess]:
    """A stack for the quality checks on a busy machine: waits longer for /health, and a slow stop is not a
    failure here (tests/e2e/test_local_stack.py checks the clean stop)."""
    old = stack_process.START_TIMEOUT
    stack_process.START_TIMEOUT = start_timeout
    running = StackProcess(state_dir)
    running.save_interval = save_interval
    try:
        running.start()
    finally:
        stack_process.START_TIMEOUT = old
    try:
        yield running
    finally:
        with contextlib.suppress(AssertionError):
            running.stop()
        running.kill()


@dataclass
class Seeded:
    """Records created at start, by collection name (the path segment before a parameter)."""

    main: dict[str, str]
    spare: dict[str, str]


def _ok(answer: Any, *statuses: int) -> dict[str, Any]:
    assert answer.status_code in statuses, f"{answer.request.method} {answer.request.url}: {answer.text}"
    body: dict[str, Any] = answer.json()
    return body


def seed_records(stack: StackProcess, *, tag: str = "F") -> Seeded:
    """One record of each kind the routes of today name, and a spare one for destructive operations."""
    token = stack.token("city-admin")
    out = Seeded(main={"units": VILLAGE, "kind": "household_tag"}, spare={})

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return _ok(stack.post(path, body, token=token), 200, 201)

    for which in ("main", "spare"):
        n = 1 if which == "main" else 2
        household = post(
            "/v1/households",
            {"unit": L01, "address": f"鹊山村第一组{tag}{n}号", "head_name": "胡明", "residents": 3},
        )["id"]
        born = date(1980, 1, 1) + timedelta(days=hash((tag, n)) % 3000)
        member = post(
            "/v1/members",
            {
                "name": "胡明", "gender": "male", "id_number": id_number(f"430182{born:%Y%m%d}1{n}1"),
                "phone": f"1380731{n:04d}", "branch": "鹊山村党支部", "status": "full",
                "join_date": "2001-07-01", "household": household, "in_service": True,
            },
        )["id"]  # fmt: skip
        need = post(
            f"/v1/units/{L01}/needs",
            {"title": "清理水渠", "category": "environment", "slots": 5, "start": "2026-12-01", "end": "2026-12-31"},
        )
        unit = post("/v1/units", {"parent": L01[: -len("-L01")], "segment": f"{tag}{n}", "name": "临时邻"})["code"]
        target = out.main if which == "main" else out.spare
        target.update(households=household, members=member, needs=str(need.get("id", "")), unit=unit)
    appointment = post(
        f"/v1/units/{out.main['unit']}/appointments",
        {"person_name": "张良科", "phone": "13907310009", "start": "2026-01-01"},
    )
    out.main["appointments"] = str(appointment.get("id", ""))
    out.spare["units"] = out.spare["unit"]
    return out


def scope_code(username: str) -> str:
    """The unit code of an account's scope (the village for a department or a city-wide role)."""
    account = next(a for a in DEMO_ACCOUNTS if a.username == username)
    if account.scope_kind != "unit" or account.scope.count("/") < 2:
        return VILLAGE
    return account.scope.replace("/", "-")


def parameter_values(path: str, method: str, seeded: Seeded, unit: str = VILLAGE) -> dict[str, str]:
    """`path.<name>` values for one operation, from the segment before each parameter; `{code}` is `unit`."""
    records = seeded.spare if method == "DELETE" or DESTRUCTIVE.search(path) else seeded.main
    values: dict[str, str] = {}
    segments = path.strip("/").split("/")
    for i, segment in enumerate(segments):
        if not (segment.startswith("{") and segment.endswith("}")):
            continue
        name = segment[1:-1]
        collection = segments[i - 1] if i else ""
        if name == "code":
            # a destructive operation on a unit targets the spare leaf, never the demo village
            values[name] = seeded.spare["unit"] if records is seeded.spare else unit
        elif name == "member":
            values[name] = seeded.main["members"]
        elif name == "kind":
            values[name] = "households" if collection == "templates" else seeded.main["kind"]
        elif collection in records:
            values[name] = records[collection]
    return values


def write_config(directory: Path, token: str, seeded: Seeded, routes: list[tuple[str, str]], unit: str) -> Path:
    """A schemathesis.toml: the caller's token, and per operation the path parameters above."""
    lines = ["[headers]", f'Authorization = "Bearer {token}"', ""]
    for path, method in routes:
        values = parameter_values(path, method, seeded, unit)
        if not values:
            continue
        inline = ", ".join(f'"path.{k}" = {json.dumps(v)}' for k, v in values.items())
        # one filter per entry: several include-* keys would match an operation that meets any of them
        lines += ["[[operations]]", f'include-name = "{method} {path}"']
        lines += [f"parameters = {{ {inline} }}", ""]
    config = directory / "schemathesis.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    return config


@dataclass
class RoleRun:
    role: str
    returncode: int
    seconds: float
    operations: int
    output: str

    @property
    def summary(self) -> str:
        tail = [line for line in self.output.splitlines() if line.strip()][-6:]
        return "\n".join(tail)


def run_role(
    stack: StackProcess,
    role: str,
    seeded: Seeded,
    *,
    examples: int,
    max_time: float | None,
    workdir: Path,
    timeout: float | None = None,
) -> RoleRun:
    doc = stack.get("/openapi.json").json()
    routes = [(p, m.upper()) for p, ops in doc["paths"].items() for m in ops if m.upper() in HTTP_METHODS]
    directory = workdir / role
    directory.mkdir(parents=True, exist_ok=True)
    config = write_config(directory, stack.token(ROLES[role]), seeded, routes, scope_code(ROLES[role]))
    cmd = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        f"{stack.base_url}/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        PHASES,
        "--max-examples",
        str(examples),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        str(directory / "report"),
    ]
    if max_time is not None:
        cmd += ["--max-time", str(max(1, int(max_time)))]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""}
    started = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=directory, env=env, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired as e:  # a bound that failed loudly, never a run silently cut short
        seen = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return RoleRun(role, -1, time.monotonic() - started, len(routes), f"{seen}\ntimed out after {timeout:.0f} s")
    return RoleRun(role, done.returncode, time.monotonic() - started, len(routes), done.stdout + done.stderr)


HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def bounded_roles(day: int) -> list[str]:
    """What `make test` fuzzes: city_admin (it reaches every handler) and one other role, rotating by day."""
    others = [r for r in ROLES if r != "city_admin"]
    return ["city_admin", others[day % len(others)]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="max examples per operation")
    parser.add_argument("--max-time", type=float, default=None, help="seconds per role (default: no limit)")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles")
    parser.add_argument("--url", default=None, help="a running stack (default: start one on free ports)")
    args = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="nx-fuzz-") as tmp, contextlib.ExitStack() as stop:
        work = Path(tmp)
        if args.url:
            stack = StackProcess(work / "state")
            stack.base_url = args.url.rstrip("/")
        else:
            stack = stop.enter_context(patient_stack(work / "state", start_timeout=300.0))
        seeded = seed_records(stack, tag=f"F{os.getpid() % 90 + 10}")
        for role in args.roles.split(","):
            run = run_role(stack, role, seeded, examples=args.examples, max_time=args.max_time, workdir=work)
            print(f"== {role}: exit {run.returncode}, {run.seconds:.0f} s, {run.operations} operations")
            print(run.output, flush=True)
            failed += run.returncode != 0
    print(f"{len(args.roles.split(','))} roles, {failed} with failures")
    return 1 if failed else 0


if __name__ == "__main__":
    os.chdir(PROJECT_DIR)
    raise SystemExit(main())
