"""The pure rules of 三比 scoring: periods, points, caps, scores, tiers, the year mean, rank keys."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.scoring.rules import (
    DEFAULT_RULES,
    DIMENSIONS,
    Policy,
    RuleError,
    RuleTerms,
    Tier,
    check_room,
    check_terms,
    check_tiers,
    parse_period,
    period_of,
    points_for,
    quarters_of,
    rank_key,
    room_under_cap,
    score_of,
    tier_of,
    year_score,
)

FIRE = RuleTerms(mode="per_unit", points=10, cap=30, evidence_required=True)
WALLS = RuleTerms(mode="fixed", points=10, cap=20)
MISSED = RuleTerms(mode="per_unit", points=-5, cap=20, negative=True)


def test_periods_are_quarters() -> None:
    assert [period_of(date(2026, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2026-Q1", "2026-Q1", "2026-Q2", "2026-Q2", "2026-Q3", "2026-Q3", "2026-Q4", "2026-Q4",
    ]  # fmt: skip
    assert parse_period("2026-Q4") == (2026, 4)
    with pytest.raises(RuleError):
        parse_period("2026-Q5")
    assert quarters_of(2025, date(2026, 11, 26)) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert quarters_of(2026, date(2026, 5, 1)) == ["2026-Q1", "2026-Q2"]
    assert quarters_of(2027, date(2026, 5, 1)) == []


def test_points_fixed_and_per_unit_within_the_cap() -> None:
    assert points_for(FIRE, 3) == 30
    assert points_for(WALLS, 1) == 10
    assert points_for(MISSED, 2) == -10
    with pytest.raises(RuleError) as over:
        points_for(FIRE, 4)
    assert over.value.field == "quantity" and "30" in over.value.zh
    with pytest.raises(RuleError):
        points_for(WALLS, 2)  # a fixed item counts once a claim
    with pytest.raises(RuleError):
        points_for(FIRE, 0)


def test_the_cap_counts_what_is_already_reserved() -> None:
    assert room_under_cap(FIRE, 20) == 10
    assert room_under_cap(FIRE, 35) == 0
    check_room(FIRE, 20, 10)
    with pytest.raises(RuleError):
        check_room(FIRE, 20, 20)
    check_room(MISSED, 10, -10)  # deductions count by their size
    with pytest.raises(RuleError):
        check_room(MISSED, 15, -10)


def test_a_rule_is_consistent() -> None:
    for terms in (FIRE, WALLS, MISSED):
        check_terms(terms)
    bad = [
        RuleTerms("per_unit", -5, 20),  # negative without being a deduction
        RuleTerms("per_unit", 5, 20, negative=True),  # a deduction with positive points
        RuleTerms("per_unit", 0, 20),
        RuleTerms("per_unit", 10, 5),  # one time is over the cap
        RuleTerms("per_day", 1, 5),
    ]
    for terms in bad:
        with pytest.raises(RuleError):
            check_terms(terms)


def test_scores_start_at_the_base_and_stay_within_bounds() -> None:
    policy = Policy()
    assert [score_of(policy, p) for p in (0, 30, 45, -5, -100)] == [60, 90, 100, 55, 0]


def test_tiers_are_data_with_inclusive_lower_bounds() -> None:
    policy = Policy()
    assert [tier_of(policy, s).name_zh for s in (100, 90, 89.9, 80, 79, 60, 59.5, 0)] == [
        "优秀", "优秀", "良好", "良好", "合格", "合格", "不合格", "不合格",
    ]  # fmt: skip
    strict = Policy(tiers=(Tier("top", 95, "优秀", "Top"), Tier("rest", float("-inf"), "其他", "Rest")))
    assert tier_of(strict, 94).code == "rest"
    with pytest.raises(RuleError):
        check_tiers((Tier("a", 80, "甲", "A"), Tier("b", 90, "乙", "B"), Tier("c", float("-inf"), "丙", "C")))
    with pytest.raises(RuleError):
        check_tiers((Tier("a", 80, "甲", "A"),))  # the last tier is open below
    assert Policy.from_dict(Policy().as_dict()) == Policy()


def test_the_year_is_the_mean_of_its_quarters() -> None:
    assert year_score([90, 60, 60, 60]) == 67.5
    assert year_score([85, 86]) == 85.5
    assert year_score([61, 60, 60]) == 60.3
    assert year_score([]) is None


def test_rank_keys_sort_by_points_then_stably_by_member() -> None:
    keys = [rank_key(p, m) for p, m in ((30, "b"), (-5, "a"), (30, "a"), (0, "c"), (100, "z"))]
    assert [k.split("#")[1] for k in sorted(keys, reverse=True)] == ["z", "b", "a", "c", "a"]
    assert sorted(keys, reverse=True)[-1] == rank_key(-5, "a")


def test_the_shipped_catalogue_is_consistent() -> None:
    codes = [r[0] for r in DEFAULT_RULES]
    assert len(codes) == len(set(codes))
    names = {r[2] for r in DEFAULT_RULES}
    for name in (
        "义务救火",
        "修路/清淤",
        "带头拆围墙",
        "调解成功",
        "帮扶困难户",
        "直播带货助农",
        "在职党员服务时长",
        "屋场会参会",
    ):
        assert name in names
    for code, dimension, _zh, _en, mode, points, _uz, _ue, cap, evidence, negative in DEFAULT_RULES:
        assert dimension in DIMENSIONS, code
        check_terms(RuleTerms(mode, points, cap, negative, evidence))
    assert any(r[10] for r in DEFAULT_RULES)  # a deduction
