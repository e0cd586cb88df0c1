"""Authorization-matrix cases of the mediation routes (人民调解)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.clock import china_today
from chalicelib.localstack.seed import DemoAccount
from tests.authz.common import DOWNLOAD, OTHER_LEAF, OTHER_UNIT, OWN_LEAF, Case, Req, admin_post, own_unit
from tests.support import ApiClient

TOWN_OF = {OWN_LEAF: "430182-DCQ", OTHER_LEAF: "430182-ZF"}


def _day() -> str:
    return china_today().isoformat()


def team(api: ApiClient, unit: str, kind: str = "elders_panel") -> str:
    body: dict[str, Any] = {"unit": unit, "name": "矩阵调解组织", "kind": kind}
    if kind == "committee":
        body["number_prefix"] = "矩阵调"
    return str(admin_post(api, "/v1/mediation-teams", body)["id"])


def case_body(api: ApiClient, leaf: str) -> dict[str, Any]:
    return {
        "committee": team(api, TOWN_OF[leaf], "committee"), "unit": leaf, "level": "group",
        "source": "proactive", "category": "neighbour", "causes": ["gossip"], "risk": "green", "summary": "矩阵",
        "parties": [{"kind": "person", "side": "applicant", "name": "甲"},
                    {"kind": "person", "side": "respondent", "name": "乙"}],
    }  # fmt: skip


SESSION = {"place": "村部", "attendees": ["甲", "乙"], "statements": [{"party": 0, "text": "矩阵"}], "result": "矩阵"}
AGREEMENT = {
    "form": "oral", "facts": "矩阵", "duties": [{"party": 0, "duty": "矩阵"}], "signatures": "oral_record",
}  # fmt: skip
# the steps that bring a new case to each status (city_admin acting), in order
STEPS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("rights_notified", "status", {"to": "rights_notified"}),
    ("investigating", "status", {"to": "investigating"}),
    ("mediating", "sessions", SESSION | {"outcome": "agreed"}),
    ("agreement_reached", "agreement", AGREEMENT),
    ("performing", "status", {"to": "performing"}),
)


def case_in(api: ApiClient, leaf: str, status: str = "registered") -> str:
    """A new case at `leaf`, brought to `status` (failed: after one session)."""
    case = admin_post(api, "/v1/mediation-cases", case_body(api, leaf))["id"]
    day = _day()
    for reached, action, body in STEPS:
        if status == "registered" or (status == "failed" and reached == "agreement_reached"):
            break
        data = body | {"date": day}
        if action == "agreement":
            data = body | {"signed_on": day, "performance": {"how": "矩阵", "place": "矩阵", "due": day}}
        answer = api.post(f"/v1/mediation-cases/{case}/{action}", user="city-admin", body=data)
        assert answer.status in (200, 201), answer.body
        if reached == status:
            break
    if status == "failed":
        answer = api.post(f"/v1/mediation-cases/{case}/fail", user="city-admin", body={"date": day, "route": "court"})
        assert answer.status == 200, answer.body
    return str(case)


def _cache(api: ApiClient) -> dict[str, str]:
    """Records shared by the calls of one test (one client, one moto backend)."""
    cache: dict[str, str] | None = getattr(api, "mediation_records", None)
    if cache is None:
        cache = {}
        setattr(api, "mediation_records", cache)  # noqa: B010 - a test-only attribute on the client
    return cache


def shared_case(api: ApiClient, leaf: str) -> str:
    """One case per test and place for the routes that read (or change nothing the next call needs)."""
    cache = _cache(api)
    if f"case:{leaf}" not in cache:
        cache[f"case:{leaf}"] = case_in(api, leaf)
    return cache[f"case:{leaf}"]


def shared_team(api: ApiClient, unit: str) -> str:
    cache = _cache(api)
    if f"team:{unit}" not in cache:
        cache[f"team:{unit}"] = team(api, unit)
    return cache[f"team:{unit}"]


def on(api: ApiClient, a: DemoAccount, leaf: str, action: str, body: dict[str, Any], *, status: str) -> Req:
    """A write on a case brought to `status` (a role that may not write gets any id: it is refused first)."""
    case = case_in(api, leaf, status) if a.principal().has("mediation:write") else "0" * 32
    return Req("POST", f"/v1/mediation-cases/{case}/{action}", body)


def foreign_on(api: ApiClient, a: DemoAccount, action: str, body: dict[str, Any], *, status: str) -> Req:
    """The other-scope write: refused (404) and so changing nothing, one foreign case per test serves every role
    (a wrongly accepted write fails the test at that role)."""
    if not a.principal().has("mediation:write"):
        return Req("POST", f"/v1/mediation-cases/{'0' * 32}/{action}", body)
    cache = _cache(api)
    key = f"foreign:{action}:{status}"
    if key not in cache:
        cache[key] = case_in(api, OTHER_LEAF, status)
    return Req("POST", f"/v1/mediation-cases/{cache[key]}/{action}", body)


def _consents() -> dict[str, Any]:
    day = _day()
    consents = [{"party": 0, "consented_on": day, "how": "signed"}, {"party": 1, "consented_on": day, "how": "signed"}]
    return {"consents": consents, "new_due": "2099-12-31"}


def _session() -> dict[str, Any]:
    return SESSION | {"date": _day(), "outcome": "adjourned"}


def _agreement() -> dict[str, Any]:
    day = _day()
    return AGREEMENT | {"signed_on": day, "performance": {"how": "矩阵", "place": "矩阵", "due": day}}


def _follow_up() -> dict[str, Any]:
    return {"date": _day(), "performed": "full", "satisfaction": 4, "recurrence": False}


def _case_route(action: str, body: Any, status: str = "registered") -> Case:
    return Case(
        own=lambda api, a, n: on(api, a, OWN_LEAF, action, body(), status=status),
        other=lambda api, a, n: foreign_on(api, a, action, body(), status=status),
    )


STATS = "?from=2026-01&to=2026-12"
HTML = {"Accept": "text/html"}


def agreed_case(api: ApiClient, a: DemoAccount, leaf: str) -> str:
    key = f"agreed:{leaf}"
    cache = _cache(api)
    if not a.principal().has("mediation:read"):
        return "0" * 32
    if key not in cache:
        cache[key] = case_in(api, leaf, "agreement_reached")
    return cache[key]


def document(api: ApiClient, a: DemoAccount, leaf: str) -> Req:
    path = f"/v1/mediation-cases/{agreed_case(api, a, leaf)}/agreement/document?purpose=judicial_confirmation"
    return Req("GET", path, headers=HTML)


CASES: dict[str, Case] = {
    "POST /v1/mediation-teams": Case(
        own=lambda api, a, n: Req(
            "POST", "/v1/mediation-teams", {"unit": own_unit(a), "name": "矩阵银龄裁判团", "kind": "elders_panel"}
        ),
        other=lambda api, a, n: Req(
            "POST", "/v1/mediation-teams", {"unit": OTHER_UNIT, "name": "矩阵银龄裁判团", "kind": "elders_panel"}
        ),
        other_status=422,
    ),
    "GET /v1/mediation-teams/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/mediation-teams/{shared_team(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("GET", f"/v1/mediation-teams/{shared_team(api, OTHER_LEAF)}"),
    ),
    "POST /v1/mediation-teams/{id}/mediators": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/mediation-teams/{shared_team(api, OWN_LEAF)}/mediators", {"name": f"矩阵{n}"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/mediation-teams/{shared_team(api, OTHER_LEAF)}/mediators", {"name": f"矩阵{n}"}
        ),
    ),
    "GET /v1/units/{code}/mediation-teams": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/mediation-teams"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/mediation-teams"),
    ),
    "POST /v1/mediation-cases": Case(
        own=lambda api, a, n: Req("POST", "/v1/mediation-cases", case_body(api, OWN_LEAF)),
        other=lambda api, a, n: Req("POST", "/v1/mediation-cases", case_body(api, OTHER_LEAF)),
        other_status=422,
    ),
    "GET /v1/mediation-cases/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/mediation-cases/{shared_case(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("GET", f"/v1/mediation-cases/{shared_case(api, OTHER_LEAF)}"),
    ),
    "PATCH /v1/mediation-cases/{id}": Case(
        own=lambda api, a, n: Req("PATCH", f"/v1/mediation-cases/{shared_case(api, OWN_LEAF)}", {"risk": "red"}),
        other=lambda api, a, n: Req("PATCH", f"/v1/mediation-cases/{shared_case(api, OTHER_LEAF)}", {"risk": "red"}),
    ),
    "POST /v1/mediation-cases/{id}/status": _case_route("status", lambda: {"to": "rights_notified", "date": _day()}),
    "POST /v1/mediation-cases/{id}/sessions": _case_route("sessions", _session, "investigating"),
    "POST /v1/mediation-cases/{id}/agreement": _case_route("agreement", _agreement, "mediating"),
    "POST /v1/mediation-cases/{id}/fail": _case_route("fail", lambda: {"date": _day(), "route": "court"}, "mediating"),
    "POST /v1/mediation-cases/{id}/follow-ups": _case_route("follow-ups", _follow_up, "performing"),
    "POST /v1/mediation-cases/{id}/close": _case_route("close", lambda: {"date": _day()}, "failed"),
    "POST /v1/mediation-cases/{id}/escalate": _case_route("escalate", lambda: {"date": _day(), "reason": "矩阵"}),
    "POST /v1/mediation-cases/{id}/extend": _case_route("extend", _consents),
    "POST /v1/mediation-cases/{id}/withdraw": _case_route("withdraw", lambda: {"date": _day(), "parties": [0]}),
    "POST /v1/mediation-cases/{id}/judicial-confirmation": _case_route(
        "judicial-confirmation", lambda: {"applied_on": _day(), "court": "宁乡市人民法院"}, "agreement_reached"
    ),
    "POST /v1/mediation-cases/{id}/reveal": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/mediation-cases/{shared_case(api, OWN_LEAF)}/reveal", {"purpose": "review"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/mediation-cases/{shared_case(api, OTHER_LEAF)}/reveal", {"purpose": "review"}
        ),
    ),
    "GET /v1/units/{code}/mediation-cases": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/mediation-cases"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/mediation-cases"),
    ),
    "GET /v1/units/{code}/mediation-register": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/mediation-register", headers=DOWNLOAD),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/mediation-register", headers=DOWNLOAD),
    ),
    "GET /v1/mediation-cases/{id}/agreement/document": Case(
        own=lambda api, a, n: document(api, a, OWN_LEAF),
        other=lambda api, a, n: document(api, a, OTHER_LEAF),
    ),
    "GET /v1/units/{code}/mediation-stats": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/mediation-stats{STATS}"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/mediation-stats{STATS}"),
    ),
}
