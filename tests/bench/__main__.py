"""python -m tests.bench: print each figure against its target, and write them to bench-results/bench.json.

Targets are ratios and counts from one run on a shared machine; a missed target is marked MISS, never fatal.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass

from tests.bench import county, load, members, package, scoring, transitions
from tests.bench.dynamo import GET_MAX_CALLS, record_calls
from tests.bench.imports import ROOT, cold_import_ratio, first_request_ratios


@dataclass(frozen=True)
class Figure:
    name: str
    value: str
    target: str
    result: str  # ok, MISS, or "-" when there is nothing to judge


# a 50th and a tenth of 宁乡 (a town's file: about 290 and 1,450 households); the whole county: `make seed-county`
COUNTY_SCALES = (0.02, 0.1)


def county_figures() -> list[Figure]:
    small, large = (county.run(s) for s in COUNTY_SCALES)
    out = [
        Figure(
            f"county import / raw BatchWriteItem, same items (scale {large.scale}: {large.items} items)",
            f"{large.ratio:.2f} ({large.import_s:.1f} s / {large.raw_s:.1f} s raw; CPU {large.cpu_ratio:.2f}; "
            f"{large.import_calls} DynamoDB calls / {large.raw_calls} raw)",
            "≥ 0.8",
            "ok" if large.ratio >= 0.8 else "MISS",
        )
    ]
    for what, a, b in (("GET /v1/units/{village}", small.get_items, large.get_items),
                       ("GET /v1/units/{village}/children", small.children_items, large.children_items)):  # fmt: skip
        out.append(
            Figure(
                f"items read by {what}, county x{small.scale} vs x{large.scale}",
                f"{a} vs {b}",
                "independent of county size",
                "ok" if a == b else "MISS",
            )
        )
    return out


def members_figures() -> list[Figure]:
    """A group's members listed and exported: items read follow the group, not the county (tests/bench/members.py)."""
    few, many = members.run()
    out: list[Figure] = []
    for label, a, b in (("small", few.small, many.small), ("large", few.large, many.large)):
        out.append(
            Figure(
                f"items read by GET /v1/units/{{group}}/members ({label} group: {a.result} members), "
                f"county {few.county} vs {many.county} members",
                f"{a.items} vs {b.items}",
                f"independent of county size, ≤ {a.result} + 2",
                "ok" if a.items == b.items <= a.result + 2 else "MISS",
            )
        )
    a, b = few.large, many.large
    out.append(
        Figure(
            f"items read by GET /v1/units/{{group}}/members?status=full ({a.full_result} of {a.result}), "
            f"county {few.county} vs {many.county}",
            f"{a.full_items} vs {b.full_items}",
            f"≤ group size + 2 ({a.result + 2})",
            "ok" if a.full_items == b.full_items <= a.result + 2 else "MISS",
        )
    )
    out.append(
        Figure(
            f"items read by GET /v1/units/{{group}}/members/export ({a.result} members), "
            f"county {few.county} vs {many.county}",
            f"{a.export_items} vs {b.export_items} ({b.export_calls} calls)",
            f"independent of county size, ≤ 2 × {a.result} + 5",
            "ok" if a.export_items == b.export_items <= 2 * a.result + 5 else "MISS",
        )
    )
    for label, a, b in (("small", few.small, many.small), ("large", few.large, many.large)):
        out.append(
            Figure(
                f"items read by GET /v1/units/{{neighbourhood}}/contact-cards ({label}: {a.cards} cards), "
                f"county {few.county} vs {many.county} members",
                f"{a.cards_items} vs {b.cards_items} ({b.cards_calls} calls)",
                f"independent of county size, ≤ 5 × {a.cards} + 10",
                "ok" if a.cards_items == b.cards_items <= 5 * a.cards + 10 else "MISS",
            )
        )
    return out


def scoring_figures() -> list[Figure]:
    """三比: top-k boards and tier counts read the same items whatever the county holds; an approval step is one
    transaction (tests/bench/scoring.py)."""
    few, many = scoring.run()
    county_sizes = f"county {few.members} vs {many.members} members"
    out: list[Figure] = []
    for label, unit in (("village", "鹊山村"), ("town", "大成桥镇")):
        for board in ("board", "board_dedication"):
            a, b = getattr(few, f"{label}_{board}"), getattr(many, f"{label}_{board}")
            by = "total" if board == "board" else "dedication"
            out.append(
                Figure(
                    f"items read by top-{scoring.TOP} of a {label} ({unit}, by {by}), {county_sizes}",
                    f"{a.items} vs {b.items} ({b.calls} calls; {getattr(few, f'{label}_board').on_board} vs "
                    f"{getattr(many, f'{label}_board').on_board} on the board)",
                    f"independent of county size, ≤ {scoring.TOP} + 1",
                    "ok" if a.items == b.items <= scoring.TOP + 1 else "MISS",
                )
            )
        a, b = getattr(few, f"{label}_tiers"), getattr(many, f"{label}_tiers")
        out.append(
            Figure(
                f"items read by the tier distribution of a {label} ({unit}), {county_sizes}",
                f"{a.items} vs {b.items} ({b.calls} calls: unit, policy, one Query)",
                "independent of county size, ≤ 4 tiers + the unit's sum + unit + policy (7)",
                "ok" if a.items == b.items <= 7 else "MISS",
            )
        )
    for step in ("claim", "group_review", "branch_approval", "finalise"):
        a, b = getattr(few, step), getattr(many, step)
        out.append(
            Figure(
                f"三比 {step.replace('_', ' ')}: DynamoDB calls and transaction items, {county_sizes}",
                f"{a.calls} calls, tx {a.tx_items} vs {b.calls} calls, tx {b.tx_items}",
                "one transaction, same at both sizes",
                "ok" if len(a.tx_items) == 1 and (a.calls, a.tx_items) == (b.calls, b.tx_items) else "MISS",
            )
        )
    return out


def load_figures() -> list[Figure]:
    """locust against the local stack with the county loaded (tests/bench/load.py): ratios to GET /health."""
    result = load.run()
    b, mix = result.bare, result.mix
    out = [
        Figure(
            f"load: county x{result.scale} ({result.items} items, loaded in {result.seed_s:.0f} s), "
            f"{load.CLIENTS} users, bare GET /health",
            f"{b.rps:.1f} req/s, p50 {b.p50_ms:.0f} / p95 {b.p95_ms:.0f} / p99 {b.p99_ms:.0f} ms",
            "baseline",
            "-",
        ),
        Figure(
            "load: the mix (cadre reads, forms, Open311 polling) / bare",
            f"req/s {mix.rps / b.rps:.2f}, p50 {mix.p50_ms / b.p50_ms:.2f}, p95 {mix.p95_ms / b.p95_ms:.2f}, "
            f"p99 {mix.p99_ms / b.p99_ms:.2f}; errors {100 * mix.error_rate:.2f} % of {mix.requests}",
            "no errors",
            "ok" if mix.errors == 0 else "MISS",
        ),
    ]
    for x in result.routes:
        out.append(
            Figure(
                f"load: {x.route} / bare",
                f"p50 {x.p50_ms / b.p50_ms:.2f}, p95 {x.p95_ms / b.p95_ms:.2f}, p99 {x.p99_ms / b.p99_ms:.2f} "
                f"({x.rps:.1f} req/s, {x.errors} errors of {x.requests})",
                "no errors",
                "ok" if x.errors == 0 else "MISS",
            )
        )
    return out


def package_figures() -> list[Figure]:
    p = package.measure()
    return [
        Figure(
            "deployment package (requirements.txt closure + app, zipped; tests/bench/package.py)",
            f"{p.zipped / 2**20:.1f} MB zipped, {p.unzipped / 2**20:.1f} MB unzipped, dev tools: "
            + (", ".join(p.dev_in_package) or "none"),
            "< 50 MB zipped, < 250 MB unzipped, no dev tools",
            "ok" if p.zipped < 50 * 2**20 and p.unzipped < 250 * 2**20 and not p.dev_in_package else "MISS",
        )
    ]


def transition_figures() -> list[Figure]:
    flows = transitions.run()
    out = [
        Figure(f"state transitions: {f.name}", f"{f.transitions} in {f.executions} execution(s), {f.requests} requests",
               "counted", "-")
        for f in flows
    ]  # fmt: skip
    cost = transitions.monthly_cost(flows)
    out.append(
        Figure(
            f"monthly cost of the flows for 宁乡 ({transitions.VOLUMES})",
            ", ".join(f"{k} ${v:.2f}" for k, v in cost.items()),
            "model",
            "-",
        )
    )
    return out


def staged(stage: Callable[[], list[Figure]]) -> list[Figure]:
    """A stage's figures; a stage that fails is one MISS with its error, and the others still run."""
    try:
        return stage()
    except Exception as e:  # the report names the failure; the traceback goes to stderr
        traceback.print_exc()
        what = stage.__name__.removesuffix("_figures")
        return [Figure(f"{what} bench", f"failed: {type(e).__name__}: {str(e)[:200]}", "runs", "MISS")]


def main() -> int:
    results = ROOT / "bench-results"
    results.mkdir(exist_ok=True)
    figures: list[Figure] = []

    app_s, boto_s, ratio = cold_import_ratio()
    figures.append(
        Figure(
            "cold import app/boto3 (median of 7)",
            f"{ratio:.2f} ({app_s * 1000:.0f} ms / {boto_s * 1000:.0f} ms)",
            "≤ 1.3",
            "ok" if ratio <= 1.3 else "MISS",
        )
    )
    for slice_name, first in first_request_ratios().items():
        figures.append(
            Figure(f"cold import + {slice_name} route modules / boto3 (median of 5)", f"{first:.2f}", "report", "-")
        )

    run = record_calls(results / "calls.json")
    scans = sum(r.scans for r in run.routes)
    figures.append(Figure("DynamoDB Scan calls, all routes", str(scans), "0", "ok" if scans == 0 else "MISS"))
    gets = [r for r in run.routes if r.is_get and r.requests]
    over = sorted(gets, key=lambda r: -r.max_calls)[:3]
    figures.append(
        Figure(
            f"GET routes answered in ≤ {GET_MAX_CALLS} DynamoDB calls",
            f"{sum(r.max_calls <= GET_MAX_CALLS for r in gets)} of {len(gets)} (most: "
            + ", ".join(f"{r.route} {r.max_calls}" for r in over)
            + ")",
            "report",
            "-",
        )
    )
    for r in run.routes:
        name = f"DynamoDB calls/request {r.route}"
        target = "no Scan"
        if r.requests == 0:
            figures.append(Figure(name, "not exercised", target, "-"))
            continue
        value = f"max {r.max_calls}" + (f" (reads {r.max_reads})" if r.is_get else "") + f", n={r.requests}"
        value += f", {r.scans} Scan" if r.scans else ""
        figures.append(Figure(name, value, target, "ok" if r.ok else "MISS"))

    for stage in (county_figures, members_figures, scoring_figures, package_figures, transition_figures,
                  load_figures):  # fmt: skip
        figures += staged(stage)

    widths = [max(len(getattr(f, col)) for f in figures) for col in ("name", "value", "target")]
    print(f"{'figure':<{widths[0]}}  {'value':<{widths[1]}}  {'target':<{widths[2]}}  result")
    for f in figures:
        print(f"{f.name:<{widths[0]}}  {f.value:<{widths[1]}}  {f.target:<{widths[2]}}  {f.result}")
    missed = [f for f in figures if f.result == "MISS"]
    unexercised = sum(f.value == "not exercised" for f in figures)
    print(f"\n{len(figures) - len(missed) - unexercised} ok, {len(missed)} MISS, {unexercised} not exercised")
    if run.returncode != 0:
        print(f"integration tests exited {run.returncode}; figures above are from what was recorded:\n{run.summary}")

    report = {
        "figures": [asdict(f) for f in figures],
        "routes": [asdict(r) for r in run.routes],
        "integration": {"returncode": run.returncode, "summary": run.summary},
    }
    (results / "bench.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"written to {(results / 'bench.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
