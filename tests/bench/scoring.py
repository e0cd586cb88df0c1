"""三比 rankings and approvals against a loaded county: items read for the top 20 of a village (鹊山村) and of a
town (大成桥镇), and for a unit's tier distribution, with a county of COUNTY_STEPS[0] members and then five times
as many (each with ENTRIES final entries); and per approval step of a real claim (group review, branch approval,
finalisation) its DynamoDB calls and the items of its one transaction.

The load is written straight through batch writes (entries, totals, a standing on every unit of each member's
chain, the unit figures), as the finalisations would have left it; the claim runs through the service. Items read
are counted at botocore (ScannedCount for a Query: tests/bench/dynamo.py `ReadCount`). Runs in a child process
(moto's in-process backend, `mock_aws`), so its backends are its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

from tests.bench.dynamo import child_env
from tests.bench.imports import ROOT

# Members in the county at each measurement (the second five times the first), and final entries per member.
# The county is 70,000 members with 20 entries each; moto costs about 15 ms per 30-attribute item on this
# shared machine (it re-measures the whole item for every attribute it sets), so the synthetic county is smaller.
# No measured read touches the entries table: boards read standings, tiers read the unit figures.
COUNTY_STEPS = (400, 2_000)
ENTRIES = 3
TOP = 20

CHILD = r"""
import json, sys, time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from moto import mock_aws
from chalicelib.core import jobs
from chalicelib.core.audit import Actor
from chalicelib.core.clock import china_today
from chalicelib.core.db import create_tables
from chalicelib.localstack.seed import DEMO_ACCOUNTS, seed_demo
from chalicelib.members.store import MemberModel
from chalicelib.scoring import rules
from chalicelib.scoring.schemas import ClaimIn, ReviewIn
from chalicelib.scoring.service import default_service
from chalicelib.scoring.store import EntryModel, StandingModel, TotalsModel, UnitStatModel
from tests.bench.dynamo import ReadCount, batch_load
from tests.conftest import TEST_API_KEY

steps, per_member, top = [int(a) for a in sys.argv[1].split(",")], int(sys.argv[2]), int(sys.argv[3])
TODAY = china_today()  # 宁乡's calendar, as the service
PERIOD = rules.period_of(TODAY)
POLICY = rules.Policy()
DIMS = rules.DIMENSIONS
VILLAGE, TOWN = "430182-DCQ-QS", "430182-DCQ"
LEAF = "430182/DCQ/QS/P01/Z01/L01"

def chain_of(k):
    # 10 % of the county in 鹊山村, about 22 % in 大成桥镇's other villages, the rest in 28 other towns
    if k % 10 == 0:
        path = f"430182/DCQ/QS/P{1 + k % 3:02d}/Z{1 + k % 4:02d}/L{1 + k % 2:02d}"
    elif k % 4 == 0:
        path = f"430182/DCQ/V{k % 17:02d}/P01/Z{k % 6:02d}/L01"
    else:
        path = f"430182/T{k % 28:02d}/V{k % 278:03d}/P01/Z{k % 9:02d}/L{k % 4:02d}"
    parts = path.split("/")
    return path, ["-".join(parts[:i]) for i in range(1, len(parts) + 1)]

load = batch_load

def member_load(k, stats):
    path, chain = chain_of(k)
    mid = f"b{k:07d}"
    entries, dims = [], dict.fromkeys(DIMS, 0)
    target = (k * 37) % 50 - 10  # -10 to 39 points: scores 50 to 99, every tier filled
    for i in range(per_member):
        points, dim = target // per_member + (1 if i < target % per_member else 0), DIMS[(k + i) % 3]
        dims[dim] += points
        eid = f"{mid}e{i:02d}"
        entries.append(EntryModel(
            eid, kind="claim", member_id=mid, member_name=f"党员{k}", rule_owner="430182", rule_code="road_dredging",
            rule_version=1, rule_name_zh="修路/清淤", rule_name_en="Road repair", explanation="x", dimension=dim,
            quantity=1, points=points, cap=20, period=PERIOD, occurred_on=TODAY.isoformat(), unit_code=chain[-1],
            unit_path=path, root="430182", chain=chain, claimed_by="bench", claimed_role="group_head",
            created_at="2026-01-01T00:00:00+00:00", status="final", step=5, history=[],
            member_key=f"{PERIOD}#2026-01-01T00:00:{i:02d}#{eid}", state_key="430182#final", path_key=f"{path}/#{eid}",
        ))
    total = sum(dims.values())
    score = rules.score_of(POLICY, total)
    tier = rules.tier_of(POLICY, score)
    totals = TotalsModel(mid, PERIOD, name=f"党员{k}", chain=chain, unit_path=path, points=total,
                         final_entries=per_member, pending=0, tier=tier.code, rev=per_member, **dims)
    standings = [
        StandingModel(f"{code}#{PERIOD}", mid, name=f"党员{k}", unit_path=path, points=total, score=score,
                      tier=tier.code, tier_label=tier.name_zh, rank_total=rules.rank_key(total, mid),
                      **dims, **{f"rank_{d}": rules.rank_key(v, mid) for d, v in dims.items()})
        for code in chain
    ]
    for code in chain:
        stats[(code, "_all")]["members"] += 1
        stats[(code, "_all")]["points"] += total
        stats[(code, "_all")]["entries"] += per_member
        stats[(code, tier.code)]["members"] += 1
    return entries, totals, standings

def measure(fn):
    result, reads = ReadCount.measure(fn)
    return result, reads.as_dict()

def who(username, n):
    account = next(a for a in DEMO_ACCOUNTS if a.username == username)
    p = account.principal()
    return p, Actor(sub=p.sub, role=p.role, scope=p.scope, request_id=f"bench-{username}-{n}")

out = {"steps": []}
with mock_aws():
    create_tables(); jobs.create_queues_and_buckets(); seed_demo(TEST_API_KEY)
    admin = who("city-admin", 0)[0]
    svc = default_service()
    later = default_service()
    later.clock = lambda: datetime.now(UTC) + timedelta(days=POLICY.notice_days + 1)  # the notice has run
    loaded, stats = 0, defaultdict(lambda: {"members": 0, "points": 0, "entries": 0})
    for n, total_members in enumerate(steps):
        started = time.perf_counter()
        entries, totals, standings = [], [], []
        for k in range(loaded, total_members):
            e, t, s = member_load(k, stats)
            entries += e; totals.append(t); standings += s
        load(entries, EntryModel); load(totals, TotalsModel); load(standings, StandingModel)
        load([UnitStatModel(code, f"{PERIOD}#{key}", **v) for (code, key), v in stats.items()], UnitStatModel)
        loaded = total_members
        step = {"members": total_members, "entries": total_members * per_member,
                "load_s": time.perf_counter() - started}
        for name, code in (("village", VILLAGE), ("town", TOWN)):
            board, reads = measure(lambda: svc.leaderboard(admin, code, PERIOD, "total", limit=top, cursor=None))
            assert len(board.items) == top, (name, len(board.items))
            step[f"{name}_board"] = reads | {"on_board": stats[(code, "_all")]["members"]}
            dims, reads = measure(lambda: svc.leaderboard(admin, code, PERIOD, "dedication", limit=top, cursor=None))
            step[f"{name}_board_dedication"] = reads
            tiers, reads = measure(lambda: svc.tiers(admin, code, PERIOD))
            assert tiers.scored >= stats[(code, "_all")]["members"], name
            step[f"{name}_tiers"] = reads
        # a real claim of a member of 鹊山村第一组第一邻, reviewed, approved and finalised through the service
        mid = f"real{n}"
        MemberModel(mid, name="张良科", gender="male", birth_date="1970-01-01", id_hash=f"{n:064x}", id_sealed="-",
                    id_masked="430182********0000", phone="13800000000", branch="鹊山村党支部", status="full",
                    join_date="2000-07-01", household_id=None, unit_code=LEAF.replace("/", "-"), unit_path=LEAF,
                    root="430182", path_key=f"{LEAF}/#{mid}", in_service=False, history=[]).save()
        claim = ClaimIn(member=mid, rule="fire_fighting", quantity=3, occurred_on=TODAY,
                        evidence=["evidence/430182/202611/fire.jpg"])
        entry, step["claim"] = measure(lambda: svc.claim(*who("qs-group", n), claim))
        approve = ReviewIn(decision="approve")
        _, step["group_review"] = measure(lambda: svc.review(*who("qs-area", n), entry.id, "group", approve))
        _, step["branch_approval"] = measure(lambda: svc.review(*who("qs-village", n), entry.id, "branch", approve))
        final, step["finalise"] = measure(lambda: later.finalise(*who("qs-village", n), entry.id))
        assert final.status == "final", final.status
        step["finalised_on_board"] = int(StandingModel.get(f"{VILLAGE}#{PERIOD}", mid).points) == 30
        out["steps"].append(step)
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Reads:
    items: int
    calls: int
    tx_items: list[int]  # items of each TransactWriteItems call
    on_board: int = 0  # members on the board (for the boards)


@dataclass(frozen=True)
class Step:
    members: int
    entries: int
    load_s: float
    village_board: Reads
    village_board_dedication: Reads
    village_tiers: Reads
    town_board: Reads
    town_board_dedication: Reads
    town_tiers: Reads
    claim: Reads
    group_review: Reads
    branch_approval: Reads
    finalise: Reads
    finalised_on_board: bool  # the finalised claim's 30 points stand on the village's board


def run() -> list[Step]:
    env = child_env()
    args = [",".join(str(s) for s in COUNTY_STEPS), str(ENTRIES), str(TOP)]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"scoring bench failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    steps = []
    for s in data["steps"]:
        reads = {k: Reads(**v) for k, v in s.items() if isinstance(v, dict)}
        steps.append(Step(s["members"], s["entries"], s["load_s"], finalised_on_board=s["finalised_on_board"], **reads))
    return steps


if __name__ == "__main__":  # python -m tests.bench.scoring: this bench alone
    for step in run():
        print(step)
