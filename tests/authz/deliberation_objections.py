"""Authorization-matrix cases of the replies to a 四议两公开 resolution's objections (reading them, replying).

One published resolution per backend and village, with one objection; a reply can be repeated (every reply is
kept), so every role replies to the same objection. A role without the permission gets a dummy id."""

from __future__ import annotations

from typing import Any

from tests.authz.common import Case, Req
from tests.authz.deliberation import _case, _d, _ok, _pooled, _village, decision
from tests.support import ApiClient


def objected(api: ApiClient, village: str, leaf: str) -> str:
    """A resolution of `village` in its public notice (7 days) with objection 1 recorded."""

    def build() -> dict[str, Any]:
        decision_id = decision(api, village, leaf, "objection_window")
        body = {"text": "矩阵异议", "raised_by": "矩阵"}
        _ok(api, "POST", f"/v1/village-decisions/{decision_id}/objections", body)
        return {"id": decision_id}

    return str(_pooled(api, village, "objected", build)["id"])


CASES: dict[str, Case] = {
    "GET /v1/village-decisions/{id}/objections": _case(
        "village_decisions:read",
        lambda api, g, leaf: Req(
            "GET", f"/v1/village-decisions/{_d(api, g, lambda: objected(api, _village(g), leaf))}/objections"
        ),
    ),
    "POST /v1/village-decisions/{id}/objections/{n}/replies": _case(
        "village_decisions:write",
        lambda api, g, leaf: Req(
            "POST",
            f"/v1/village-decisions/{_d(api, g, lambda: objected(api, _village(g), leaf))}/objections/1/replies",
            {"text": "矩阵答复"},
        ),
    ),
}
