"""Scoring through the service itself: 20 concurrent approvals of one entry apply once, automatic entries
credit a source event once and stop at the cap, and random sequences keep totals equal to final entries."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.core.audit import Actor
from chalicelib.core.errors import ApiError, Conflict
from chalicelib.localstack.seed import DEMO_ACCOUNTS
from chalicelib.scoring.rules import period_of
from chalicelib.scoring.schemas import ClaimIn, ObjectionIn, ReversalIn, ReviewIn
from chalicelib.scoring.service import ScoringService, default_service
from chalicelib.scoring.store import StandingModel, TotalsModel, UnitStatModel, UsageModel
from tests.integration.test_scoring import PHOTO, QQH_LEAF, TODAY, _member, _notice_days
from tests.support import ApiClient

PERIOD = period_of(TODAY)
ACCOUNTS = {a.username: a for a in DEMO_ACCOUNTS}
CHAIN = ["430182", "430182-DCQ", "430182-DCQ-QS", "430182-DCQ-QS-P01", "430182-DCQ-QS-P01-Z01",
         "430182-DCQ-QS-P01-Z01-L01"]  # fmt: skip


def _as(username: str, n: int = 0) -> tuple[Any, Actor]:
    account = ACCOUNTS[username]
    principal = account.principal()
    return principal, Actor(sub=principal.sub, role=principal.role, scope=principal.scope, request_id=f"r{n}")


def _claimed(svc: ScoringService, member: str, rule: str = "fire_fighting", quantity: int = 3) -> str:
    principal, actor = _as("qs-group")
    evidence = [PHOTO] if rule == "fire_fighting" else []
    body = ClaimIn(member=member, rule=rule, quantity=quantity, occurred_on=TODAY, evidence=evidence)
    return svc.claim(principal, actor, body).id


def _totals(member: str) -> TotalsModel:
    return TotalsModel.get(member, PERIOD)


def test_twenty_concurrent_approvals_and_finalisations_apply_once(api: ApiClient, atomic_dynamodb: None) -> None:
    _notice_days(api, 0)
    zhang = _member(api, "张良科")
    svc = default_service()
    entry = _claimed(svc, zhang)
    svc.review(*_as("qs-area"), entry, "group", ReviewIn(decision="approve"))

    def run(work: Any) -> list[str]:
        with ThreadPoolExecutor(max_workers=20) as pool:
            return list(pool.map(work, range(20)))

    def approve(n: int) -> str:
        try:
            default_service().review(*_as("qs-village", n), entry, "branch", ReviewIn(decision="approve"))
            return "ok"
        except Conflict:
            return "conflict"

    assert sorted(run(approve)) == ["conflict"] * 19 + ["ok"]
    assert int(UsageModel.get(f"{zhang}#{PERIOD}", "430182/fire_fighting").used) == 30
    assert int(_totals(zhang).pending) == 30

    def finalise(n: int) -> str:
        try:
            default_service().finalise(*_as("qs-village", n), entry)
            return "ok"
        except Conflict:
            return "conflict"

    assert sorted(run(finalise)) == ["conflict"] * 19 + ["ok"]
    totals = _totals(zhang)
    assert (int(totals.points), int(totals.pending), int(totals.final_entries)) == (30, 0, 1)
    assert int(StandingModel.get(f"430182-DCQ-QS#{PERIOD}", zhang).points) == 30
    assert int(UnitStatModel.get("430182-DCQ-QS", f"{PERIOD}#_all").points) == 30

    def reverse(n: int) -> str:
        try:
            default_service().reverse(*_as("qs-village", n), entry, ReversalIn(reason="并发冲正"))
            return "ok"
        except Conflict:
            return "conflict"

    assert sorted(run(reverse)) == ["conflict"] * 19 + ["ok"]
    assert int(_totals(zhang).points) == 0
    assert int(UnitStatModel.get("430182", f"{PERIOD}#_all").points) == 0


def test_automatic_entries_credit_each_source_event_once_and_stop_at_the_cap(api: ApiClient) -> None:
    zhang = _member(api, "张良科")
    svc = default_service()
    first = svc.record_automatic(
        "mediation:case-1:m1", zhang, "mediation_success", 1, TODAY, note="(2026)宁大人调字第1号"
    )
    again = svc.record_automatic("mediation:case-1:m1", zhang, "mediation_success", 1, TODAY)
    assert again.id == first.id and first.status == "public_notice" and first.kind == "automatic"
    assert [h.status for h in first.history] == ["claimed", "branch_approved", "public_notice"]
    assert int(_totals(zhang).pending) == 5
    for n in range(2, 5):  # three more cases: 20 points, the cap
        assert svc.record_automatic(f"mediation:case-{n}:m1", zhang, "mediation_success", 1, TODAY).points == 5
    full = svc.record_automatic("mediation:case-5:m1", zhang, "mediation_success", 1, TODAY)
    assert (full.status, full.points) == ("rejected", 0)
    assert int(UsageModel.get(f"{zhang}#{PERIOD}", "430182/mediation_success").used) == 20
    # a source event with more than the room left is cut to the cap
    svc.object(*_as("qs-group"), first.id, ObjectionIn(reason="当事人反映未履行"))  # frees 5
    cut = svc.record_automatic("mediation:case-6:m1", zhang, "mediation_success", 3, TODAY)
    assert cut.points == 5 and "达本期上限" in cut.explanation
    assert svc.record_automatic("mediation:case-6:m1", zhang, "mediation_success", 3, TODAY).id == cut.id


DUE = {
    "claimed": ["group", "group", "reject"],
    "group_reviewed": ["branch", "branch", "reject"],
    "public_notice": ["final", "final", "object"],
    "final": ["reverse", "claim", "claim"],
}
ANY = ["claim", "claim", "group", "branch", "object", "final", "reverse", "reject"]
RULES = ("fire_fighting", "mediation_success", "missed_duty")


def _random_step(svc: ScoringService, rng: random.Random, members: list[str], entries: list[str], n: int) -> None:
    """Mostly the step that is due for a random entry, sometimes any step (refused or not)."""
    action = rng.choice(ANY)
    target = rng.choice(entries) if entries else ""
    if entries and rng.random() < 0.8:
        entry = svc.store.entry(target)
        action = rng.choice(DUE.get(entry.status if entry else "", ["claim"]))
    if action == "claim" or not entries:
        entries.append(_claimed(svc, rng.choice(members), rng.choice(RULES), rng.randint(1, 2)))
    elif action in ("group", "branch", "reject"):
        decision = ReviewIn(decision="reject", reason="不符") if action == "reject" else ReviewIn(decision="approve")
        step = "group" if action == "group" or rng.random() < 0.5 else "branch"
        svc.review(*_as("qs-area" if step == "group" else "qs-village", n), target, step, decision)
    elif action == "object":
        svc.object(*_as("qs-group", n), target, ObjectionIn(reason="有异议"))
    elif action == "final":
        svc.finalise(*_as("qs-village", n), target)
    else:
        svc.reverse(*_as("qs-village", n), target, ReversalIn(reason="冲正"))


def _used(member: str, rule: str) -> int:
    try:
        return int(UsageModel.get(f"{member}#{PERIOD}", f"430182/{rule}").used)
    except UsageModel.DoesNotExist:
        return 0


def _check_figures(svc: ScoringService, members: list[str]) -> list[str]:
    statuses: list[str] = []
    village = 0
    for member in members:
        entries = svc.store.member_entries(member, PERIOD)
        statuses += [e.status for e in entries]
        points = sum(int(e.points) for e in entries if e.status == "final")
        village += points
        totals = svc.store.totals(member, PERIOD)
        assert (int(totals.points) if totals and totals.rev is not None else 0) == points
        pending = sum(int(e.points) for e in entries if e.status == "public_notice")
        assert (int(totals.pending) if totals else 0) == pending
        if totals is not None and totals.rev is not None:
            assert all(int(StandingModel.get(f"{unit}#{PERIOD}", member).points) == points for unit in CHAIN)
        reversed_ids = {e.reverses for e in entries if e.reverses}
        for rule in RULES:
            live = [e for e in entries if e.rule_code == rule and e.kind != "reversal" and e.id not in reversed_ids]
            used = sum(abs(int(e.points)) for e in live if e.status in ("public_notice", "final"))
            assert _used(member, rule) == used, (member, rule)
    try:
        stats_points = int(UnitStatModel.get("430182-DCQ-QS", f"{PERIOD}#_all").points)
    except UnitStatModel.DoesNotExist:
        stats_points = 0
    assert stats_points == village
    return statuses


def test_random_sequences_keep_totals_equal_to_the_final_entries(api: ApiClient) -> None:
    """A property: whatever the order of claims, approvals, objections, finalisations and reversals, the
    member's totals, the standings and the unit figures equal the sum of final entries, the pending points
    those on notice, and the cap's use the points approved and not released."""
    _notice_days(api, 0)
    members = [_member(api, n) for n in ("张良科", "杨志强")]
    svc = default_service()
    rng = random.Random(20261126)  # noqa: S311 - a reproducible sequence
    entries: list[str] = []
    for n in range(70):
        try:
            _random_step(svc, rng, members, entries, n)
        except ApiError:
            continue  # a step not due, or a cap: refused and nothing changed
        if n % 10 == 9:
            _check_figures(svc, members)
    statuses = _check_figures(svc, members)
    assert statuses.count("final") >= 3 and "rejected" in statuses, statuses  # the sequence went places


def test_a_rule_change_is_a_new_version_and_old_entries_keep_theirs(api: ApiClient) -> None:
    zhang = _member(api, "张良科")
    svc = default_service()
    old = _claimed(svc, zhang, quantity=1)
    changed = api.patch(
        "/v1/scoring/rules/430182/fire_fighting", user="city-admin", body={"points": 8}, headers={"If-Match": "1"}
    )
    assert changed.status == 200 and changed.json["version"] == 2
    stale = api.patch(
        "/v1/scoring/rules/430182/fire_fighting", user="city-admin", body={"points": 9}, headers={"If-Match": "1"}
    )
    assert stale.status == 409
    new = svc.store.entry(_claimed(svc, zhang, quantity=1))
    assert new is not None and (int(new.rule_version), int(new.points)) == (2, 8)
    kept = svc.get(*_as("qs-village")[:1], old)
    assert (kept.rule_version, kept.points, kept.explanation) == (1, 10, "义务救火（第1版）：1次 × 10分 = 10分")
    detail = api.get("/v1/scoring/rules/430182/fire_fighting", user="qs-village").json
    assert [(v["version"], v["points"]) for v in detail["versions"]] == [(1, 10), (2, 8)]


def test_villages_add_items_within_the_county_limits(api: ApiClient) -> None:
    body = {
        "owner": "430182-DCQ-QS", "code": "courtyard_cleanup", "dimension": "dedication", "name_zh": "屋场环境整治",
        "name_en": "Courtyard clean-up", "mode": "per_unit", "points": 3, "cap": 9,
    }  # fmt: skip
    made = api.post("/v1/scoring/rules", user="qs-village", body=body)
    assert made.status == 201, made.body

    def field(answer: Any) -> str:
        assert answer.status == 422, answer.body
        return str(answer.json["error"]["fields"][0]["path"])

    assert (
        field(api.post("/v1/scoring/rules", user="qs-village", body=body | {"code": "x_big", "points": 6}))
        == "body.points"
    )
    assert (
        field(api.post("/v1/scoring/rules", user="qs-village", body=body | {"code": "x_cap", "cap": 20})) == "body.cap"
    )
    assert field(api.post("/v1/scoring/rules", user="qs-village", body=body | {"code": "fire_fighting"})) == "body.code"
    assert field(api.post("/v1/scoring/rules", user="qs-village", body=body | {"owner": "430182"})) == "body.owner"
    assert (
        field(api.post("/v1/scoring/rules", user="qs-village", body=body | {"owner": "430182-DCQ-SS"})) == "body.owner"
    )
    assert field(api.post("/v1/scoring/rules", user="dcq-town", body=body | {"owner": "430182-DCQ"})) == "body.owner"
    assert api.post("/v1/scoring/rules", user="qs-village", body=body).status == 409
    neg = body | {"code": "x_neg", "points": -2}
    assert field(api.post("/v1/scoring/rules", user="qs-village", body=neg)) == "body.points"
    assert api.post("/v1/scoring/rules", user="qs-village", body=neg | {"negative": True}).status == 201
    listed = api.get("/v1/units/430182-DCQ-QS-P01-Z01-L01/scoring/rules", user="zhang-liangke").json["items"]
    codes = {(r["owner"], r["code"]) for r in listed}
    assert ("430182-DCQ-QS", "courtyard_cleanup") in codes and ("430182", "fire_fighting") in codes
    elsewhere = api.get("/v1/units/430182-DCQ-SS/scoring/rules", user="jiang-dan").json["items"]
    assert all(r["owner"] != "430182-DCQ-QS" for r in elsewhere)
    zhang = _member(api, "张良科")
    svc = default_service()
    assert svc.store.entry(_claimed(svc, zhang, "courtyard_cleanup", 2)) is not None
    far = _member(api, "清泉河党员", unit=QQH_LEAF)
    claim = ClaimIn(member=far, rule="courtyard_cleanup", quantity=1, occurred_on=TODAY)
    with pytest.raises(ApiError) as refused:
        svc.claim(*_as("city-admin"), claim)
    assert refused.value.fields[0].path == "body.rule"


def test_evidence_uploads_are_presigned_with_type_and_size_bound(api: ApiClient) -> None:
    import base64  # noqa: PLC0415
    import json  # noqa: PLC0415

    answer = api.post("/v1/scoring/evidence", user="qs-group", body={"content_type": "image/jpeg", "size": 2_000_000})
    assert answer.status == 201, answer.body
    upload = answer.json
    assert upload["key"].startswith("evidence/430182/") and upload["key"].endswith(".jpg")
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", 1, 2_000_000] in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert (
        api.post("/v1/scoring/evidence", user="qs-group", body={"content_type": "application/pdf", "size": 10}).status
        == 422
    )
    too_big = api.post("/v1/scoring/evidence", user="qs-group", body={"content_type": "image/png", "size": 6_000_000})
    assert too_big.status == 422
    zhang = _member(api, "张良科")
    svc = default_service()
    principal, actor = _as("qs-group")
    body = ClaimIn(member=zhang, rule="fire_fighting", quantity=1, occurred_on=TODAY, evidence=[upload["key"]])
    assert svc.claim(principal, actor, body).evidence == [upload["key"]]


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every DynamoDB call made while a test runs: (operation, parameters)."""
    from botocore.client import BaseClient  # noqa: PLC0415

    calls: list[tuple[str, dict[str, Any]]] = []
    original = BaseClient._make_api_call

    def recording(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            calls.append((operation, params))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return calls


def test_numbers_finalising_is_one_transaction_and_top_k_reads_k_items(
    api: ApiClient, dynamodb_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    """The figures the README reports: a finalisation is one TransactWriteItems (its item count), its calls
    per request; a top-k leaderboard query asks for k items of one board, whatever the county holds."""
    _notice_days(api, 0)
    members = [_member(api, n) for n in ("张良科", "杨志强", "胡明")]
    svc = default_service()
    entries = []
    for member in members:
        entry = _claimed(svc, member)
        svc.review(*_as("qs-area"), entry, "group", ReviewIn(decision="approve"))
        svc.review(*_as("qs-village"), entry, "branch", ReviewIn(decision="approve"))
        entries.append(entry)
    dynamodb_calls.clear()
    final = api.post(f"/v1/scoring/entries/{entries[0]}/finalise", user="qs-village")
    assert final.status == 200
    writes = [p for op, p in dynamodb_calls if op == "TransactWriteItems"]
    assert len(writes) == 1  # one transaction: entry, totals, 6 standings, 6 unit sums, 6 tier counts, audit
    assert len(writes[0]["TransactItems"]) == 1 + 1 + 6 + 6 + 6 + 1
    finalise_calls = [op for op, _ in dynamodb_calls]
    assert len(finalise_calls) == 6, finalise_calls  # profile, entry, policy, totals, audit head, the write
    dynamodb_calls.clear()
    approved = _claimed(svc, members[0], "mediation_success", 1)
    svc.review(*_as("qs-area"), approved, "group", ReviewIn(decision="approve"))
    dynamodb_calls.clear()
    svc.review(*_as("qs-village"), approved, "branch", ReviewIn(decision="approve"))
    writes = [p for op, p in dynamodb_calls if op == "TransactWriteItems"]
    assert len(writes) == 1 and len(writes[0]["TransactItems"]) == 4  # entry, cap, pending, audit
    for entry in entries[1:]:
        svc.finalise(*_as("qs-village"), entry)
    dynamodb_calls.clear()
    board = api.get(f"/v1/units/430182-DCQ/scoring/leaderboard?period={PERIOD}&limit=2", user="dcq-town")
    assert board.status == 200 and len(board.json["items"]) == 2
    queries = [p for op, p in dynamodb_calls if op == "Query"]
    assert len(queries) == 1 and queries[0]["Limit"] == 2 and queries[0]["IndexName"] == "by_total"
    assert len(dynamodb_calls) == 3  # profile, unit, the board
    dynamodb_calls.clear()
    tiers = api.get(f"/v1/units/430182-DCQ/scoring/tiers?period={PERIOD}", user="dcq-town")
    assert tiers.status == 200 and tiers.json["scored"] == 3
    queries = [p for op, p in dynamodb_calls if op == "Query"]
    assert len(queries) == 1  # the tier distribution is one read of the unit's figures
    assert len(dynamodb_calls) == 4  # profile, unit, policy, the figures


def test_the_hourly_sweep_finalises_entries_whose_notice_ended(api: ApiClient) -> None:
    from chalice.test import Client  # noqa: PLC0415

    import app as app_module  # noqa: PLC0415

    _notice_days(api, 0)
    zhang = _member(api, "张良科")
    svc = default_service()
    ended = _claimed(svc, zhang)
    svc.review(*_as("qs-area"), ended, "group", ReviewIn(decision="approve"))
    svc.review(*_as("qs-village"), ended, "branch", ReviewIn(decision="approve"))
    _notice_days(api, 7)
    running = _claimed(svc, zhang, "mediation_success", 1)
    svc.review(*_as("qs-area"), running, "group", ReviewIn(decision="approve"))
    svc.review(*_as("qs-village"), running, "branch", ReviewIn(decision="approve"))
    with Client(app_module.app) as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        client.lambda_.invoke("scoring_notice_sweep", event)
    assert svc.store.entry(ended).status == "final"  # type: ignore[union-attr]
    assert svc.store.entry(running).status == "public_notice"  # type: ignore[union-attr]
    assert int(_totals(zhang).points) == 30 and int(_totals(zhang).pending) == 5
    assert svc.finalise_due("430182") == 0  # nothing more is due
