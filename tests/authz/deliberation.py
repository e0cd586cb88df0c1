"""Authorization-matrix cases of the deliberation routes (民情三会, 责任清单, 四议两公开).

Records are made by the city administrator and advanced through the real workflows. Repeatable actions share
one record per test backend (a pool keyed by the API client); one-shot actions (freeze, consultation,
implementation...) get a fresh record. A role without the route's permission gets a dummy id: it is refused
before the record is read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

from chalicelib.core import workflows
from chalicelib.core.clock import china_today
from chalicelib.localstack.seed import DemoAccount
from tests.authz.common import OTHER_GROUP, OTHER_LEAF, OTHER_UNIT, OWN_GROUP, OWN_LEAF, Case, Req, own_unit
from tests.authz.common import admin_post as _admin_post
from tests.authz.common import household as _household
from tests.authz.common import member_body as _member_body
from tests.support import ApiClient

DUMMY = "0" * 32
OWN_VILLAGE = "430182-DCQ-QS"
BRANCH = "矩阵支部"
_POOLS: dict[tuple[int, str, str], tuple[ApiClient, dict[str, Any]]] = {}


def _may(a: DemoAccount, permission: str) -> bool:
    return a.principal().has(permission)


def _ok(api: ApiClient, method: str, path: str, body: Any = None) -> dict[str, Any]:
    answer = api.request(method, path, user="city-admin", body=body)
    assert answer.status in (200, 201), answer.body
    result: dict[str, Any] = answer.json
    return result


def _pooled(api: ApiClient, unit: str, what: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    key = (id(api), unit, what)
    hit = _POOLS.get(key)
    if hit is None or hit[0] is not api:  # a new test backend
        hit = (api, build())
        _POOLS[key] = hit
    return hit[1]


# -- builders --------------------------------------------------------------------------------------------
def concern(api: ApiClient, unit: str) -> str:
    return str(_admin_post(api, "/v1/concerns", {"text": "矩阵诉求", "category": "roads", "unit": unit})["id"])


def _deliberation(api: ApiClient, group: str, stage: str, concerns: int = 1) -> dict[str, Any]:
    """A deliberation of `group` waiting at `stage`, its concerns forwarded (and sent to the town) on the way."""
    ids = [concern(api, group) for _ in range(concerns)]
    body = {"unit": group, "title": "矩阵议事", "concerns": ids, "convened_on": "2026-11-01", "place": "矩阵屋场"}
    record = _admin_post(api, "/v1/deliberations", body)
    base = f"/v1/deliberations/{record['id']}"
    passes = {"courtyard_meeting": 0, "analysis_meeting": 1, "town_review": 2}[stage]
    for step in range(passes):
        if step == 0:
            _ok(api, "POST", f"{base}/answers", {"items": [{"concern": c, "outcome": "forwarded"} for c in ids]})
        else:
            grades = [{"concern": c, "grade": "important", "action": "town"} for c in ids]
            _ok(api, "POST", f"{base}/grades", {"items": grades})
        _ok(api, "POST", f"{base}/attendance", {"attendees": [{"kind": "cadre", "name": "矩阵"}]})
        _ok(api, "POST", f"{base}/minutes", {"text": "矩阵纪要"})
        _ok(api, "POST", f"{base}/minutes/freeze")
        if step == 0:  # the village's analysis meeting takes up what the courtyard meetings forwarded
            record = analysis(api, _village(group))
            base, ids = f"/v1/deliberations/{record['id']}", list(record["concerns"])
    return {"id": record["id"], "concerns": ids, "next": 0}


_SESSIONS: dict[tuple[int, str], int] = {}


def analysis(api: ApiClient, village: str) -> dict[str, Any]:
    """The village's next (called) analysis meeting: it takes whatever courtyard meetings have forwarded."""
    n = _SESSIONS[(id(api), village)] = _SESSIONS.get((id(api), village), 0) + 1
    body = {"village": village, "month": "2026-11", "session": n, "title": "矩阵分析会",
            "convened_on": "2026-11-20", "place": "矩阵村部"}  # fmt: skip
    return _admin_post(api, "/v1/analysis-meetings", body)


def deliberation(api: ApiClient, group: str, stage: str = "courtyard_meeting") -> dict[str, Any]:
    """One shared record per backend, group and stage (for actions that can be repeated)."""
    return _pooled(api, group, stage, lambda: _deliberation(api, group, stage, concerns=8))


def next_concern(record: dict[str, Any]) -> str:
    concern_id = str(record["concerns"][record["next"] % len(record["concerns"])])
    record["next"] += 1
    return concern_id


def drafted(api: ApiClient, group: str) -> str:
    record = _pooled(api, group, "drafted", lambda: _deliberation(api, group, "courtyard_meeting"))
    _ok(api, "POST", f"/v1/deliberations/{record['id']}/minutes", {"text": "矩阵纪要"})
    return str(record["id"])


def ready_to_freeze(api: ApiClient, group: str) -> str:
    record = _deliberation(api, group, "courtyard_meeting")
    base = f"/v1/deliberations/{record['id']}"
    answer = {"concern": record["concerns"][0], "outcome": "answered", "answer": "矩阵答复"}
    _ok(api, "POST", f"{base}/answers", {"items": [answer]})
    _ok(api, "POST", f"{base}/attendance", {"attendees": [{"kind": "cadre", "name": "矩阵"}]})
    _ok(api, "POST", f"{base}/minutes", {"text": "矩阵纪要"})
    return str(record["id"])


CORRECTION = {"stage": "courtyard_meeting", "text": "矩阵更正", "reason": "矩阵理由"}


def concluded(api: ApiClient, group: str) -> str:
    """A fresh courtyard deliberation whose minutes are frozen (it closed: the concern was answered)."""
    record_id = ready_to_freeze(api, group)
    _ok(api, "POST", f"/v1/deliberations/{record_id}/minutes/freeze")
    return record_id


def _correcting(api: ApiClient, group: str, window: int) -> str:
    record_id = concluded(api, group)
    with mock.patch.dict(workflows.DURATIONS, {"minutes_review": window}):
        _ok(api, "POST", f"/v1/deliberations/{record_id}/corrections", CORRECTION)
    base = f"/v1/deliberations/{record_id}/corrections/courtyard_meeting-v2"
    if window:
        _ok(api, "POST", f"{base}/objections", {"text": "矩阵异议"})
    else:
        _ok(api, "POST", f"{base}/confirm")
    return base


def correcting(api: ApiClient, group: str) -> str:
    """One shared correction in review (3 days) with one objection: confirm, object and reply repeat."""
    return str(_pooled(api, group, "correcting", lambda: {"base": _correcting(api, group, 86400)})["base"])


def _items(api: ApiClient, group: str, lead: str) -> dict[str, Any]:
    """A deliberation at the village's analysis meeting whose concerns are all put on the responsibility list."""
    record = _deliberation(api, group, "analysis_meeting", concerns=8)
    deadline = (china_today() + timedelta(days=30)).isoformat()
    grades = [
        {
            "concern": c,
            "grade": "urgent",
            "action": "assign",
            "task": "矩阵事项",
            "lead_unit": lead,
            "deadline": deadline,
        }
        for c in record["concerns"]
    ]
    graded = _ok(api, "POST", f"/v1/deliberations/{record['id']}/grades", {"items": grades})
    outcomes = next(m for m in graded["meetings"] if m["stage"] == "analysis_meeting")["outcomes"]
    return {"items": [o["item"] for o in outcomes], "next": 0}


def item(api: ApiClient, group: str, lead: str, *, done: bool = False) -> str:
    """The first item of the pool for reads and progress (repeatable); a fresh, done one to close."""
    pool = _pooled(api, group, "items", lambda: _items(api, group, lead))
    if not done:
        return str(pool["items"][0])
    pool["next"] += 1
    item_id = str(pool["items"][pool["next"]])
    _ok(api, "POST", f"/v1/responsibility-items/{item_id}/progress", {"kind": "done"})
    return item_id


def _full_member(api: ApiClient, leaf: str) -> dict[str, Any]:
    body = _member_body(_household(api, leaf)) | {"status": "full", "branch": BRANCH}
    return _admin_post(api, "/v1/members", body)


def decision(api: ApiClient, village: str, leaf: str, stage: str = "consultation") -> str:
    """A 四议两公开 decision of `village` at `stage`; the branch has one full member (in `leaf`)."""
    _pooled(api, village, "member", lambda: _full_member(api, leaf))
    body = {"village": village, "title": "矩阵决策", "proposal": "矩阵提议", "branch": BRANCH}
    decision_id = str(_admin_post(api, "/v1/village-decisions", body)["id"])
    base = f"/v1/village-decisions/{decision_id}"
    order = ("consultation", "party_meeting", "villagers_meeting", "objection_window", IMPL, RESULT)
    window = 0 if order.index(stage) >= order.index("implementation") else 7 * 86400
    if order.index(stage) > 0:
        _ok(api, "POST", f"{base}/consultation", {"note": "矩阵商议"})
    if order.index(stage) > 1:
        _ok(
            api,
            "POST",
            f"{base}/votes",
            {"meeting": "party_meeting", "present": 1, "in_favour": 1, "held_on": "2026-11-01"},
        )
    if order.index(stage) > 2:
        vote = {"meeting": "villagers_meeting", "entitled": 1, "present": 1, "in_favour": 1, "held_on": "2026-11-01"}
        with mock.patch.dict(workflows.DURATIONS, {"objection_window": window}):  # 0: the window has passed
            _ok(api, "POST", f"{base}/votes", vote)
    if stage == "result_publication":
        _ok(api, "POST", f"{base}/implementation", {"note": "矩阵实施"})
    return decision_id


def published(api: ApiClient, village: str, leaf: str) -> str:
    return str(
        _pooled(api, village, "published", lambda: {"id": decision(api, village, leaf, "objection_window")})["id"]
    )


# -- requests ----------------------------------------------------------------------------------------------
def _forward(api: ApiClient, group: str) -> int:
    """A courtyard meeting of `group` that forwarded a concern, ready for the next analysis meeting; the session."""
    if group:
        made = _deliberation(api, group, "courtyard_meeting")
        base = f"/v1/deliberations/{made['id']}"
        _ok(api, "POST", f"{base}/answers", {"items": [{"concern": made["concerns"][0], "outcome": "forwarded"}]})
        _ok(api, "POST", f"{base}/attendance", {"attendees": [{"kind": "cadre", "name": "矩阵"}]})
        _ok(api, "POST", f"{base}/minutes", {"text": "矩阵纪要"})
        _ok(api, "POST", f"{base}/minutes/freeze")
        record = _POOLS.setdefault((id(api), group, "forwarding"), (api, {"n": 0}))[1]
        record["n"] += 1
        return int(record["n"])
    return 0


_FOREIGN: dict[tuple[int, int], tuple[ApiClient, Req]] = {}


def _case(permission: str, build: Callable[[ApiClient, str, str], Req], status: int = 404) -> Case:
    """`build(api, group, leaf)`: own scope in 鹊山村第一组, other scope in 清泉河村第一组."""

    def own(api: ApiClient, a: DemoAccount, n: int) -> Req:
        return build(api, OWN_GROUP, OWN_LEAF) if _may(a, permission) else build(api, "", "")

    def other(api: ApiClient, a: DemoAccount, n: int) -> Req:
        """The other-scope request is refused and so changes nothing: one per test serves every role (a wrongly
        accepted one fails the test at that role)."""
        if not _may(a, permission):
            return build(api, "", "")
        key = (id(api), id(build))
        hit = _FOREIGN.get(key)
        if hit is None or hit[0] is not api:  # a new test backend
            hit = _FOREIGN[key] = (api, build(api, OTHER_GROUP, OTHER_LEAF))
        return hit[1]

    return Case(own=own, other=other, other_status=status)


def _d(api: ApiClient, group: str, make: Callable[[], str]) -> str:
    return make() if group else DUMMY


def _c(api: ApiClient, group: str, *, fresh: bool = False) -> str:
    """The path of a correction of `group` (shared, in review; or fresh, ready to freeze); a dummy without one."""
    if not group:
        return f"/v1/deliberations/{DUMMY}/corrections/courtyard_meeting-v2"
    return _correcting(api, group, 0) if fresh else correcting(api, group)


def _village(group: str) -> str:
    return OWN_VILLAGE if group == OWN_GROUP else OTHER_UNIT


def _concern_body(unit: str) -> dict[str, Any]:
    return {"text": "矩阵诉求", "category": "roads", "unit": unit or OWN_GROUP, "raised_by": "矩阵"}


def _start_body(api: ApiClient, group: str) -> dict[str, Any]:
    concerns = [concern(api, group)] if group == OWN_GROUP else ["0" * 8]
    body = {"unit": group or OWN_GROUP, "title": "矩阵议事", "concerns": concerns, "convened_on": "2026-11-01"}
    return body | {"place": "矩阵屋场"}


def _grades(api: ApiClient, group: str) -> Req:
    if not group:
        return Req(
            "POST",
            f"/v1/deliberations/{DUMMY}/grades",
            {"items": [{"concern": "x", "grade": "urgent", "action": "town"}]},
        )
    record = deliberation(api, group, "analysis_meeting")
    body = {"items": [{"concern": next_concern(record), "grade": "urgent", "action": "town"}]}
    return Req("POST", f"/v1/deliberations/{record['id']}/grades", body)


def _decisions(api: ApiClient, group: str) -> Req:
    if not group:
        return Req("POST", f"/v1/deliberations/{DUMMY}/decisions", {"items": [{"concern": "x", "decision": "d"}]})
    record = deliberation(api, group, "town_review")
    body = {"items": [{"concern": next_concern(record), "decision": "矩阵一事一策"}]}
    return Req("POST", f"/v1/deliberations/{record['id']}/decisions", body)


def _answers(api: ApiClient, group: str) -> Req:
    if not group:
        return Req("POST", f"/v1/deliberations/{DUMMY}/answers", {"items": [{"concern": "x", "outcome": "forwarded"}]})
    record = deliberation(api, group)
    body = {"items": [{"concern": next_concern(record), "outcome": "forwarded"}]}
    return Req("POST", f"/v1/deliberations/{record['id']}/answers", body)


IMPL, RESULT = "implementation", "result_publication"
ATTENDEES = {"attendees": [{"kind": "resident", "name": "矩阵"}]}
VOTE = {"meeting": "party_meeting", "present": 0, "in_favour": 0, "held_on": "2026-11-01"}  # no quorum: repeatable


CASES: dict[str, Case] = {
    # concerns
    "POST /v1/concerns": Case(
        own=lambda api, a, n: Req("POST", "/v1/concerns", _concern_body(OWN_LEAF)),
        other=lambda api, a, n: Req("POST", "/v1/concerns", _concern_body(OTHER_LEAF)),
        other_status=422,
    ),
    "GET /v1/concerns/{id}": _case(
        "concerns:read", lambda api, g, leaf: Req("GET", f"/v1/concerns/{_d(api, g, lambda: concern(api, leaf))}")
    ),
    "POST /v1/concerns/{id}/answer": _case(
        "concerns:write",
        lambda api, g, leaf: Req(
            "POST", f"/v1/concerns/{_d(api, g, lambda: concern(api, leaf))}/answer", {"answer": "矩阵答复"}
        ),
    ),
    "POST /v1/concern-photos": Case(
        own=lambda api, a, n: Req("POST", "/v1/concern-photos", {"content_type": "image/jpeg", "size": 1000})
    ),
    "GET /v1/units/{code}/concerns": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/concerns"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/concerns"),
    ),
    # deliberations
    "POST /v1/deliberations": Case(
        own=lambda api, a, n: Req(
            "POST", "/v1/deliberations", _start_body(api, OWN_GROUP if _may(a, "deliberations:convene") else "")
        ),
        other=lambda api, a, n: Req("POST", "/v1/deliberations", _start_body(api, OTHER_GROUP)),
        other_status=422,
    ),
    "POST /v1/analysis-meetings": _case(
        "deliberations:analyse",
        lambda api, g, leaf: Req(
            "POST",
            "/v1/analysis-meetings",
            {
                "village": _village(g) if g else OWN_VILLAGE,
                "month": "2026-10",
                "session": 1 + _forward(api, g),
                "title": "矩阵分析会",
                "convened_on": "2026-10-30",
                "place": "矩阵村部",
            },
        ),
        status=422,
    ),
    "GET /v1/deliberations/{id}": _case(
        "deliberations:read",
        lambda api, g, leaf: Req("GET", f"/v1/deliberations/{_d(api, g, lambda: deliberation(api, g)['id'])}"),
    ),
    "GET /v1/deliberations/{id}/timeline": _case(
        "deliberations:read",
        lambda api, g, leaf: Req("GET", f"/v1/deliberations/{_d(api, g, lambda: deliberation(api, g)['id'])}/timeline"),
    ),
    "GET /v1/units/{code}/deliberations": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/deliberations"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/deliberations"),
    ),
    "POST /v1/deliberations/{id}/attendance": _case(
        "deliberations:convene",
        lambda api, g, leaf: Req(
            "POST", f"/v1/deliberations/{_d(api, g, lambda: deliberation(api, g)['id'])}/attendance", ATTENDEES
        ),
    ),
    "POST /v1/deliberations/{id}/answers": _case("deliberations:convene", lambda api, g, leaf: _answers(api, g)),
    "POST /v1/deliberations/{id}/grades": _case("deliberations:analyse", lambda api, g, leaf: _grades(api, g)),
    "POST /v1/deliberations/{id}/decisions": _case("deliberations:review", lambda api, g, leaf: _decisions(api, g)),
    "POST /v1/deliberations/{id}/minutes": _case(
        "deliberations:convene",
        lambda api, g, leaf: Req(
            "POST", f"/v1/deliberations/{_d(api, g, lambda: deliberation(api, g)['id'])}/minutes", {"text": "矩阵"}
        ),
    ),
    "POST /v1/deliberations/{id}/minutes/confirm": _case(
        "deliberations:confirm",
        lambda api, g, leaf: Req("POST", f"/v1/deliberations/{_d(api, g, lambda: drafted(api, g))}/minutes/confirm"),
    ),
    "POST /v1/deliberations/{id}/minutes/freeze": _case(
        "deliberations:convene",
        lambda api, g, leaf: Req(
            "POST", f"/v1/deliberations/{_d(api, g, lambda: ready_to_freeze(api, g))}/minutes/freeze"
        ),
    ),
    "POST /v1/deliberations/{id}/corrections": _case(
        "deliberations:convene",
        lambda api, g, leaf: Req(
            "POST", f"/v1/deliberations/{_d(api, g, lambda: concluded(api, g))}/corrections", CORRECTION
        ),
    ),
    "POST /v1/deliberations/{id}/corrections/{correction}/confirm": _case(
        "deliberations:confirm",
        lambda api, g, leaf: Req("POST", f"{_c(api, g)}/confirm"),
    ),
    "POST /v1/deliberations/{id}/corrections/{correction}/objections": _case(
        "deliberations:confirm",
        lambda api, g, leaf: Req("POST", f"{_c(api, g)}/objections", {"text": "矩阵异议"}),
    ),
    "POST /v1/deliberations/{id}/corrections/{correction}/objections/{n}/replies": _case(
        "deliberations:convene",
        lambda api, g, leaf: Req("POST", f"{_c(api, g)}/objections/1/replies", {"text": "矩阵答复"}),
    ),
    "POST /v1/deliberations/{id}/corrections/{correction}/freeze": _case(
        "deliberations:convene",
        lambda api, g, leaf: Req("POST", f"{_c(api, g, fresh=True)}/freeze"),
    ),
    # responsibility list
    "GET /v1/responsibility-items/{id}": _case(
        "responsibility:read",
        lambda api, g, leaf: Req("GET", f"/v1/responsibility-items/{_d(api, g, lambda: item(api, g, leaf))}"),
    ),
    "POST /v1/responsibility-items/{id}/progress": _case(
        "responsibility:write",
        lambda api, g, leaf: Req(
            "POST", f"/v1/responsibility-items/{_d(api, g, lambda: item(api, g, leaf))}/progress", {"kind": "progress"}
        ),
    ),
    "POST /v1/responsibility-items/{id}/close": _case(
        "responsibility:write",
        lambda api, g, leaf: Req(
            "POST",
            f"/v1/responsibility-items/{_d(api, g, lambda: item(api, g, leaf, done=True))}/close",
            {"satisfaction": "satisfied"},
        ),
    ),
    "GET /v1/units/{code}/responsibility-items": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/responsibility-items?overdue=true"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/responsibility-items"),
    ),
    "GET /v1/units/{code}/supervision": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/supervision"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/supervision"),
    ),
    # 四议两公开
    "POST /v1/village-decisions": Case(
        own=lambda api, a, n: Req(
            "POST",
            "/v1/village-decisions",
            {"village": OWN_VILLAGE, "title": "矩阵", "proposal": "矩阵", "branch": BRANCH},
        ),
        other=lambda api, a, n: Req(
            "POST",
            "/v1/village-decisions",
            {"village": OTHER_UNIT, "title": "矩阵", "proposal": "矩阵", "branch": BRANCH},
        ),
        other_status=422,
    ),
    "GET /v1/village-decisions/{id}": _case(
        "village_decisions:read",
        lambda api, g, leaf: Req(
            "GET", f"/v1/village-decisions/{_d(api, g, lambda: published(api, _village(g), leaf))}"
        ),
    ),
    "POST /v1/village-decisions/{id}/consultation": _case(
        "village_decisions:write",
        lambda api, g, leaf: Req(
            "POST",
            f"/v1/village-decisions/{_d(api, g, lambda: decision(api, _village(g), leaf))}/consultation",
            {"note": "矩阵"},
        ),
    ),
    "POST /v1/village-decisions/{id}/votes": _case(
        "village_decisions:write",
        lambda api, g, leaf: Req(
            "POST",
            f"/v1/village-decisions/{_d(api, g, lambda: decision(api, _village(g), leaf, 'party_meeting'))}/votes",
            VOTE,
        ),
    ),
    "POST /v1/village-decisions/{id}/objections": _case(
        "village_decisions:write",
        lambda api, g, leaf: Req(
            "POST",
            f"/v1/village-decisions/{_d(api, g, lambda: published(api, _village(g), leaf))}/objections",
            {"text": "矩阵异议"},
        ),
    ),
    "POST /v1/village-decisions/{id}/implementation": _case(
        "village_decisions:write",
        lambda api, g, leaf: Req(
            "POST",
            f"/v1/village-decisions/{_d(api, g, lambda: decision(api, _village(g), leaf, IMPL))}/implementation",
            {"note": "矩阵"},
        ),
    ),
    "POST /v1/village-decisions/{id}/result": _case(
        "village_decisions:write",
        lambda api, g, leaf: Req(
            "POST",
            f"/v1/village-decisions/{_d(api, g, lambda: decision(api, _village(g), leaf, RESULT))}/result",
            {"note": "矩阵"},
        ),
    ),
}
