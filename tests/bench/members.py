"""Items read to list a group's party members and to export its roster, with few and with many members in the
county: the answer must cost reads proportional to the group, not to the county.

Two villages of different sizes: 鹊山村 (a group of SMALL_GROUP members) and 石山村 (a group of LARGE_GROUP),
with the rest of the county's members loaded around them in two steps (COUNTY_STEPS). Items read are counted
at botocore (ScannedCount for a Query, so a filter does not hide what was read: tests/bench/dynamo.py `ReadCount`).
Runs in a child process (moto's in-process backend, `mock_aws`), so its backends are its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

from tests.bench.dynamo import child_env
from tests.bench.imports import ROOT

SMALL_GROUP = 12
LARGE_GROUP = 120
# members in the county around the two groups, before each measurement (moto's Query reads its whole table
# in Python: a larger county makes this bench take minutes, not the reads it counts)
COUNTY_STEPS = (800, 5_000)

CHILD = r"""
import json, sys, time
from moto import mock_aws
from chalicelib.core import jobs
from chalicelib.core.audit import AuditStore
from chalicelib.core.db import create_tables
from chalicelib.grid.export import roster
from chalicelib.grid.store import GridStore, HouseholdModel
from chalicelib.localstack.seed import DEMO_ACCOUNTS, SYSTEM_ACTOR, demo_unit, seed_demo
from chalicelib.members.service import default_service
from chalicelib.cards.service import default_service as card_service
from chalicelib.showings.store import CoverageModel
from chalicelib.members.store import MemberModel
from tests.bench.dynamo import ReadCount, batch_load
from tests.conftest import TEST_API_KEY

small, large, steps = int(sys.argv[1]), int(sys.argv[2]), [int(a) for a in sys.argv[3:]]
SMALL = "430182/DCQ/QS/P01/Z01"  # 鹊山村第一组 (demo units)
LARGE = "430182/DCQ/SS/P02/Z01"  # 石山村第二片区第一组 (added here)

def member(n, path, status="full", household=None):
    item = MemberModel(
        f"m{n:07d}", name=f"党员{n}", gender="male", birth_date="1980-01-01", id_hash=f"{n:064x}",
        id_sealed="-", id_masked="430182********0000", phone="13800000000", branch="支部", status=status,
        join_date="2000-07-01", household_id=household, unit_code=path.replace("/", "-"), unit_path=path,
        root="430182", path_key=f"{path}/#m{n:07d}", in_service=n % 5 == 0, history=[],
    )
    item.version = 1
    return item

def load(items, model=MemberModel):
    batch_load(items, model)

out = {"steps": []}
with mock_aws():
    create_tables(); jobs.create_queues_and_buckets(); seed_demo(TEST_API_KEY)
    GridStore(audit=AuditStore()).create_unit(demo_unit(LARGE, "第一组", "group"), SYSTEM_ACTOR, [])
    GridStore(audit=AuditStore()).create_unit(demo_unit(LARGE + "/L01", "第一邻", "neighbourhood"), SYSTEM_ACTOR, [])
    n = 0
    groups = []
    for path, size in ((SMALL + "/L01", small // 2), (SMALL + "/L02", small - small // 2), (LARGE + "/L01", large)):
        for i in range(size):
            groups.append(member(n + i, path, "probationary" if i % 4 == 0 else "full", f"h{(n + i) // 2}"))
        n += size
    load(groups)
    homes = {m.household_id: m for m in groups}  # two members a household, as a household of a party couple
    load([HouseholdModel(h, unit_code=m.unit_code, unit_path=m.unit_path, root="430182", path_key=f"{m.unit_path}/#{h}",
                         address=f"{h}号", head_name="户主", residents=3, tags=[], members=2, version=1)
          for h, m in homes.items()], HouseholdModel)
    # every household of the groups covered by one of its members (联户), as the cards show them
    load([CoverageModel(h, m.id, since="2026-01-01") for h, m in homes.items()], CoverageModel)
    admin = next(a for a in DEMO_ACCOUNTS if a.role == "city_admin").principal()
    service = default_service()
    def measure(fn):
        result, reads = ReadCount.measure(fn)
        return result, reads.items, reads.calls
    loaded = 0
    for total in steps:
        # the rest of the county: 5 % in 鹊山村's other groups and 石山村's other areas, the rest in other towns
        started = time.perf_counter()
        background = []
        for i in range(total - loaded):
            k = n + i
            if k % 20 == 0:
                path = f"430182/DCQ/QS/P02/Z{k % 7:02d}/L01"
                if k % 40:
                    path = f"430182/DCQ/SS/P{3 + k % 5:02d}/Z01/L01"
            else:
                path = f"430182/T{k % 29:02d}/V{k % 278:03d}/P01/Z{k % 9:02d}/L{k % 4:02d}"
            background.append(member(k, path))
        load(background)
        n += total - loaded
        loaded = total
        step = {"county": total + small + large, "load_s": time.perf_counter() - started}
        for name, code, size in (("small", SMALL, small), ("large", LARGE, large)):
            code = code.replace("/", "-")
            listing = lambda status: service.list_below(
                admin, code, status=status, in_service=None, limit=500, cursor=None
            )
            page, items, calls = measure(lambda: listing(None))
            assert len(page.items) == size, (name, len(page.items))
            full, f_items, _ = measure(lambda: listing("full"))
            data, x_items, x_calls = measure(lambda: roster(admin, code, status=None, in_service=None))
            card_service().sheet(admin, code + "-L01")  # warm: post names come from a per-minute catalogue cache
            sheet, c_items, c_calls = measure(lambda: card_service().sheet(admin, code + "-L01"))
            assert all(card.members for card in sheet.cards), name
            step[name] = {"result": size, "items": items, "calls": calls, "full_result": len(full.items),
                          "full_items": f_items, "export_items": x_items, "export_calls": x_calls,
                          "cards": len(sheet.cards), "cards_items": c_items, "cards_calls": c_calls}
        out["steps"].append(step)
print(json.dumps(out))
"""


@dataclass(frozen=True)
class GroupReads:
    result: int  # members listed
    items: int  # items read by the list
    calls: int
    full_result: int  # members listed with status=full
    full_items: int
    export_items: int  # items read by the roster export
    export_calls: int
    cards: int  # contact cards on the sheet of the group's first neighbourhood
    cards_items: int
    cards_calls: int


@dataclass(frozen=True)
class Step:
    county: int  # members in the county
    load_s: float
    small: GroupReads
    large: GroupReads


def run() -> list[Step]:
    env = child_env()
    args = [str(SMALL_GROUP), str(LARGE_GROUP), *(str(s) for s in COUNTY_STEPS)]
    command = [sys.executable, "-c", CHILD, *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"members bench failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return [Step(s["county"], s["load_s"], GroupReads(**s["small"]), GroupReads(**s["large"])) for s in data["steps"]]


if __name__ == "__main__":  # python -m tests.bench.members: this bench alone
    for step in run():
        print(step)
