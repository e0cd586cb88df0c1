"""schemathesis in `make test`: a bounded run against the local stack (tests/e2e/fuzz.py has the details).

city_admin and one other role rotating by day (`NX_FUZZ_ROLES=a,b` picks others), EXAMPLES per operation, a
fixed seed. Bounded by examples, not by time: every operation is generated for whatever the machine's load, so
the same cases run on a quiet and on a busy machine (a `--max-time` bound once let a loaded run stop after 1 to
19 cases and pass, while a quiet run reached the Open311 route whose error shape the document did not declare).
ROLE_TIMEOUT only turns a hung run into a failure. `make fuzz` runs every role with many more examples.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.fuzz import bounded_roles, patient_stack, run_role, seed_records
from tests.e2e.stack_process import StackProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    with patient_stack(tmp_path_factory.mktemp("quality") / "state") as running:
        yield running


EXAMPLES = 1
ROLE_TIMEOUT = 900.0  # seconds; a role took 200 s with the machine at load 9 on 2 cores, about 40 s when quiet


def _roles() -> list[str]:
    chosen = os.environ.get("NX_FUZZ_ROLES")
    return chosen.split(",") if chosen else bounded_roles(date.today().toordinal())


def test_schemathesis_finds_no_server_error_schema_mismatch_or_accepted_bad_data(
    stack: StackProcess, tmp_path: Path
) -> None:
    seeded = seed_records(stack)
    failed = []
    for role in _roles():
        run = run_role(stack, role, seeded, examples=EXAMPLES, max_time=None, workdir=tmp_path, timeout=ROLE_TIMEOUT)
        print(f"== {role}: exit {run.returncode}, {run.seconds:.0f} s, {run.operations} operations\n{run.summary}")
        if run.returncode != 0:
            failed.append(f"== {role}\n{run.output[-6000:]}")
    assert failed == [], "\n".join(failed)
