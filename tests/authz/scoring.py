"""Authorization-matrix cases of the 三比 scoring routes. Entries are claimed and reviewed by accounts other
than the one tested (nobody reviews their own claim): 张良科 (邻长) claims in the own scope, 资福镇 in the
foreign one."""

from __future__ import annotations

from typing import Any

from chalicelib.core.clock import china_today
from chalicelib.localstack.seed import DemoAccount
from tests.authz.common import OTHER_LEAF, OTHER_UNIT, OWN_LEAF, Case, Req, admin_post, member, own_unit
from tests.support import ApiClient

TODAY = china_today()  # the service counts days in 宁乡 (UTC+8)
PERIOD = f"{TODAY.year}-Q{(TODAY.month - 1) // 3 + 1}"
VILLAGE, OTHER_VILLAGE = "430182-DCQ-QS", OTHER_UNIT
POLICY: dict[str, Any] = {
    "base": 60, "floor": 0, "ceiling": 100, "notice_days": 7, "village_max_points": 5, "village_max_cap": 10,
    "tiers": [
        {"code": "excellent", "min_score": 90, "name_zh": "优秀", "name_en": "Excellent"},
        {"code": "good", "min_score": 80, "name_zh": "良好", "name_en": "Good"},
        {"code": "pass", "min_score": 60, "name_zh": "合格", "name_en": "Pass"},
        {"code": "fail", "min_score": None, "name_zh": "不合格", "name_en": "Fail"},
    ],
}  # fmt: skip


def _ok(answer: Any) -> dict[str, Any]:
    assert answer.status in (200, 201), answer.body
    result: dict[str, Any] = answer.json
    return result


def _claim(api: ApiClient, leaf: str) -> str:
    """An entry for a new member, claimed by 张良科 (own scope) or 资福镇 (foreign scope)."""
    body = {"member": member(api, leaf), "rule": "mediation_success", "quantity": 1, "occurred_on": TODAY.isoformat()}
    user = "zhang-liangke" if leaf == OWN_LEAF else "zf-town"
    return str(_ok(api.post("/v1/scoring/entries", user=user, body=body))["id"])


def _grouped(api: ApiClient, leaf: str) -> str:
    entry = _claim(api, leaf)
    user = "qs-group" if leaf == OWN_LEAF else "city-admin"
    _ok(api.post(f"/v1/scoring/entries/{entry}/group-review", user=user, body={"decision": "approve"}))
    return entry


def _on_notice(api: ApiClient, leaf: str, days: int = 7) -> str:
    _ok(api.request("PUT", "/v1/scoring/policy", user="city-admin", body=POLICY | {"notice_days": days}))
    entry = _grouped(api, leaf)
    user = "qs-village" if leaf == OWN_LEAF else "city-admin"
    _ok(api.post(f"/v1/scoring/entries/{entry}/branch-review", user=user, body={"decision": "approve"}))
    return entry


def _final(api: ApiClient, leaf: str) -> str:
    entry = _on_notice(api, leaf, days=0)
    _ok(api.post(f"/v1/scoring/entries/{entry}/finalise", user="city-admin"))
    return entry


def _village_rule(api: ApiClient, village: str, n: int) -> str:
    body = {
        "owner": village, "code": f"mx_item_{n}", "dimension": "dedication", "name_zh": "矩阵项目",
        "name_en": "Matrix item", "mode": "fixed", "points": 2, "cap": 4,
    }  # fmt: skip
    return str(admin_post(api, "/v1/scoring/rules", body)["code"])


def _rule_body(owner: str, n: int) -> dict[str, Any]:
    return {
        "owner": owner, "code": f"mx_new_{n}", "dimension": "achievement", "name_zh": "矩阵新项目",
        "name_en": "Matrix new item", "mode": "per_unit", "points": 1, "cap": 5,
    }  # fmt: skip


def _unit_get(suffix: str) -> tuple[Any, Any]:
    def own(api: ApiClient, a: DemoAccount, n: int) -> Req:
        return Req("GET", f"/v1/units/{own_unit(a)}/scoring/{suffix}")

    def other(api: ApiClient, a: DemoAccount, n: int) -> Req:
        return Req("GET", f"/v1/units/{OTHER_UNIT}/scoring/{suffix}")

    return own, other


ENTRIES = _unit_get("entries?status=claimed")
BOARD = _unit_get(f"leaderboard?period={PERIOD}")
TIERS = _unit_get(f"tiers?period={PERIOD}")
RULES = _unit_get("rules")
XLSX = {"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
HTML = {"Accept": "text/html"}

CASES: dict[str, Case] = {
    "GET /v1/scoring/policy": Case(own=lambda api, a, n: Req("GET", "/v1/scoring/policy")),
    "PUT /v1/scoring/policy": Case(own=lambda api, a, n: Req("PUT", "/v1/scoring/policy", POLICY)),
    "GET /v1/units/{code}/scoring/rules": Case(own=RULES[0], other=RULES[1]),
    "POST /v1/scoring/rules": Case(
        own=lambda api, a, n: Req("POST", "/v1/scoring/rules", _rule_body(VILLAGE, n)),
        other=lambda api, a, n: Req("POST", "/v1/scoring/rules", _rule_body(OTHER_VILLAGE, n)),
        other_status=422,
    ),
    "GET /v1/scoring/rules/{owner}/{code}": Case(
        own=lambda api, a, n: Req("GET", "/v1/scoring/rules/430182/fire_fighting"),
        other=lambda api, a, n: Req("GET", f"/v1/scoring/rules/{OTHER_VILLAGE}/{_village_rule(api, OTHER_VILLAGE, n)}"),
    ),
    "PATCH /v1/scoring/rules/{owner}/{code}": Case(
        own=lambda api, a, n: Req("PATCH", f"/v1/scoring/rules/{VILLAGE}/{_village_rule(api, VILLAGE, n)}", {"cap": 6}),
        other=lambda api, a, n: Req(
            "PATCH", f"/v1/scoring/rules/{OTHER_VILLAGE}/{_village_rule(api, OTHER_VILLAGE, n)}", {"cap": 6}
        ),
    ),
    "POST /v1/scoring/entries": Case(
        own=lambda api, a, n: Req(
            "POST",
            "/v1/scoring/entries",
            {"member": member(api, OWN_LEAF), "rule": "mediation_success", "occurred_on": TODAY.isoformat()},
        ),
        other=lambda api, a, n: Req(
            "POST",
            "/v1/scoring/entries",
            {"member": member(api, OTHER_LEAF), "rule": "mediation_success", "occurred_on": TODAY.isoformat()},
        ),
        other_status=422,
    ),
    "GET /v1/scoring/entries/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/scoring/entries/{_claim(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("GET", f"/v1/scoring/entries/{_claim(api, OTHER_LEAF)}"),
    ),
    "POST /v1/scoring/entries/{id}/group-review": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/scoring/entries/{_claim(api, OWN_LEAF)}/group-review", {"decision": "approve"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/scoring/entries/{_claim(api, OTHER_LEAF)}/group-review", {"decision": "approve"}
        ),
    ),
    "POST /v1/scoring/entries/{id}/branch-review": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/scoring/entries/{_grouped(api, OWN_LEAF)}/branch-review", {"decision": "approve"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/scoring/entries/{_grouped(api, OTHER_LEAF)}/branch-review", {"decision": "approve"}
        ),
    ),
    "POST /v1/scoring/entries/{id}/objections": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/scoring/entries/{_on_notice(api, OWN_LEAF)}/objections", {"reason": "矩阵异议"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/scoring/entries/{_on_notice(api, OTHER_LEAF)}/objections", {"reason": "矩阵异议"}
        ),
    ),
    "POST /v1/scoring/entries/{id}/finalise": Case(
        own=lambda api, a, n: Req("POST", f"/v1/scoring/entries/{_on_notice(api, OWN_LEAF, 0)}/finalise"),
        other=lambda api, a, n: Req("POST", f"/v1/scoring/entries/{_on_notice(api, OTHER_LEAF, 0)}/finalise"),
    ),
    "POST /v1/scoring/entries/{id}/reversal": Case(
        own=lambda api, a, n: Req("POST", f"/v1/scoring/entries/{_final(api, OWN_LEAF)}/reversal", {"reason": "矩阵"}),
        other=lambda api, a, n: Req(
            "POST", f"/v1/scoring/entries/{_final(api, OTHER_LEAF)}/reversal", {"reason": "矩阵"}
        ),
    ),
    "GET /v1/units/{code}/scoring/entries": Case(own=ENTRIES[0], other=ENTRIES[1]),
    "GET /v1/members/{id}/scorecard": Case(
        own=lambda api, a, n: Req("GET", f"/v1/members/{member(api, OWN_LEAF)}/scorecard?year={TODAY.year}"),
        other=lambda api, a, n: Req("GET", f"/v1/members/{member(api, OTHER_LEAF)}/scorecard?year={TODAY.year}"),
    ),
    "GET /v1/units/{code}/scoring/leaderboard": Case(own=BOARD[0], other=BOARD[1]),
    "GET /v1/units/{code}/scoring/tiers": Case(own=TIERS[0], other=TIERS[1]),
    "GET /v1/units/{code}/scoring/export": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/scoring/export?period={PERIOD}", headers=XLSX),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/scoring/export?period={PERIOD}", headers=XLSX),
    ),
    "GET /v1/units/{code}/scoring/notice": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/scoring/notice", headers=HTML),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/scoring/notice", headers=HTML),
    ),
    "POST /v1/scoring/evidence": Case(
        own=lambda api, a, n: Req("POST", "/v1/scoring/evidence", {"content_type": "image/jpeg", "size": 1000})
    ),
}
