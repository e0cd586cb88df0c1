"""schemathesis in `make test`: a bounded run against the local stack (tests/e2e/fuzz.py has the details).

city_admin and two other roles rotating by day (`NX_FUZZ_ROLES=a,b` picks others), 3 examples per operation,
a fixed seed, at most FUZZ_SECONDS of fuzzing per role. `make fuzz` runs every role with many more examples.
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


EXAMPLES = 3
FUZZ_SECONDS = 30


def _roles() -> list[str]:
    chosen = os.environ.get("NX_FUZZ_ROLES")
    return chosen.split(",") if chosen else bounded_roles(date.today().toordinal())


def test_schemathesis_finds_no_server_error_schema_mismatch_or_accepted_bad_data(
    stack: StackProcess, tmp_path: Path
) -> None:
    seeded = seed_records(stack)
    failed = []
    for role in _roles():
        run = run_role(stack, role, seeded, examples=EXAMPLES, max_time=FUZZ_SECONDS, workdir=tmp_path)
        print(f"== {role}: exit {run.returncode}, {run.seconds:.0f} s\n{run.summary}")
        if run.returncode != 0:
            failed.append(f"== {role}\n{run.output[-6000:]}")
    assert failed == [], "\n".join(failed)
