"""Authorization-matrix cases of the whistle routes (吹哨报到). A department's own ticket is one dispatched
to it; its other-scope ticket is dispatched to another department, in another town."""

from __future__ import annotations

from typing import Any

from chalicelib.localstack.seed import DemoAccount
from tests.authz.common import OTHER_LEAF, OTHER_UNIT, OWN_LEAF, Case, Req, items_hidden, own_unit
from tests.support import ApiClient

BASE = "/v1/whistle"
PERIOD = "2026-11"
LIMITS = {k: {"report_in_seconds": 3600, "resolve_seconds": 7200, "grace_seconds": 600, "hours": "calendar"}
          for k in ("routine", "tough", "emergency")}  # fmt: skip
CATEGORY = {"name_zh": "矩阵类别", "name_en": "Matrix", "lead": "water", "co": [], "limits": LIMITS}
KIND = {"whistlers": ["area_head", "village_cadre", "town_cadre", "city_admin"], "auto_dispatch": True,
        "verify_seconds": 86400}  # fmt: skip
NONE = "W00000000000000000000"  # any id: a role without the permission is refused before the lookup


def body(unit: str, *, kind: str = "emergency", lead: str = "water") -> dict[str, Any]:
    return {"kind": kind, "category": "water_supply", "description": "矩阵", "lead": lead, "co": [],
            "location": {"unit": unit, "address": "矩阵"}}  # fmt: skip


def ticket(api: ApiClient, unit: str, *, lead: str = "water", kind: str = "emergency", by: str = "city-admin") -> str:
    answer = api.post(f"{BASE}/tickets", user=by, body=body(unit, kind=kind, lead=lead))
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def step(api: ApiClient, tid: str, action: str, user: str, data: dict[str, Any]) -> None:
    answer = api.post(f"{BASE}/tickets/{tid}/{action}", user=user, body=data)
    assert answer.status == 200, (action, answer.body)


def allowed(a: DemoAccount, permission: str) -> bool:
    return a.principal().has(permission)


def dept_of(a: DemoAccount) -> str:
    return a.scope if a.scope_kind == "department" else "water"


def responder(a: DemoAccount) -> str:
    return a.username if a.scope_kind == "department" else "water-bureau"


# tickets for a department's own actions: dispatched to it (and reported in, where the action needs it)
def dept_ticket(api: ApiClient, a: DemoAccount, *, reported: bool) -> str:
    if not allowed(a, "whistle:respond"):
        return NONE
    tid = ticket(api, OWN_LEAF, lead=dept_of(a))
    if reported:
        step(api, tid, "report-in", a.username, {})
    return tid


def foreign(api: ApiClient) -> str:
    """A routine ticket in another town, not yet dispatched (no workflow): out of every scope but the city's."""
    return ticket(api, OTHER_LEAF, lead="housing", kind="routine")


def foreign_ticket(api: ApiClient, a: DemoAccount, permission: str) -> str:
    return foreign(api) if allowed(a, permission) else NONE


def resolved(api: ApiClient, a: DemoAccount) -> str:
    """A resolved ticket the account itself whistled."""
    if not allowed(a, "whistle:verify"):
        return NONE
    tid = ticket(api, OWN_LEAF, by=a.username)
    step(api, tid, "report-in", "water-bureau", {})
    step(api, tid, "resolve", "water-bureau", {"note": "矩阵"})
    return tid


def verified(api: ApiClient, a: DemoAccount, *, evaluated: bool = False) -> str:
    tid = resolved(api, a)
    if tid != NONE:
        step(api, tid, "verify", "city-admin", {"ok": True})
        if evaluated:
            step(api, tid, "evaluate", "city-admin", {"satisfaction": 4})
    return tid


def asked_extension(api: ApiClient, a: DemoAccount) -> str:
    if not allowed(a, "whistle:dispatch"):
        return NONE
    tid = ticket(api, OWN_LEAF)
    step(api, tid, "report-in", "water-bureau", {})
    step(api, tid, "extension", "water-bureau", {"seconds": 3600, "reason": "矩阵"})
    return tid


def whistled(api: ApiClient, a: DemoAccount) -> str:
    return ticket(api, OWN_LEAF, kind="routine") if allowed(a, "whistle:dispatch") else NONE


def post(tid: str, action: str, data: dict[str, Any]) -> Req:
    return Req("POST", f"{BASE}/tickets/{tid}/{action}", data)


def listed(api: ApiClient, a: DemoAccount, n: int) -> Req:
    ticket(api, OTHER_LEAF, lead="housing")  # dispatched to another department, in another town
    return Req("GET", f"{BASE}/tickets")


def hotline(api: ApiClient, n: int, *, by: str = "agency-12345", unit: str = "430182-DCQ-QS") -> str:
    data = {"id": f"MX-{n}-{by}", "kind": "consult", "category": "road_traffic", "text": "矩阵", "unit": unit}
    answer = api.post("/v1/hotline-tickets", user=by, body=data)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def own_hotline(api: ApiClient, a: DemoAccount, n: int, *, answered: bool = False) -> str:
    """Posted by the account itself when it is an agency; by the hotline in the account's town otherwise."""
    hid = hotline(api, n, by=a.username if a.scope_kind == "department" else "agency-12345")
    if answered:
        step_h(api, hid, "dispatch", {"to": "concern", "concern_unit": "430182-DCQ-QS"})
        step_h(api, hid, "outcome", {"text": "矩阵"})
    return hid


def other_hotline(api: ApiClient, a: DemoAccount, n: int) -> str:
    """In another town, posted by an agency other than the account."""
    return hotline(api, n + 100, by="agency-12345" if a.username != "agency-12345" else "water-bureau",
                   unit="430182-ZF-QQH")  # fmt: skip


def step_h(api: ApiClient, hid: str, action: str, data: dict[str, Any]) -> None:
    answer = api.post(f"/v1/hotline-tickets/{hid}/{action}", user="city-admin", body=data)
    assert answer.status == 200, (action, answer.body)


def answered_first(api: ApiClient, n: int) -> str:
    """Posted by the hotline and forwarded to the village: ready for the town's outcome."""
    hid = hotline(api, n)
    step_h(api, hid, "dispatch", {"to": "concern", "concern_unit": "430182-DCQ-QS"})
    return hid


def hreq(hid: str, action: str, data: dict[str, Any]) -> Req:
    return Req("POST", f"/v1/hotline-tickets/{hid}/{action}", data)


def delivery(a: DemoAccount, n: int, *, own: bool) -> str:
    """A dead-lettered delivery of the account's agency (own) or of another one."""
    from chalicelib.whistle.webhooks import DeliveryModel  # noqa: PLC0415

    agency = dept_of(a) if own else ("housing" if dept_of(a) != "housing" else "water")
    msg_id = f"msg_mx{n}{'o' if own else 'x'}"
    DeliveryModel(msg_id, agency=agency, subscription="sub_mx", url="https://example.org/hook", event="whistle.create",
                  ticket_id=NONE, payload="{}", status="dead", attempts=5, log=[], dead_agency=agency,
                  created_at="2026-11-26T00:00:00+00:00").save()  # fmt: skip
    return msg_id


CASES: dict[str, Case] = {
    "GET /v1/whistle/departments": Case(own=lambda api, a, n: Req("GET", f"{BASE}/departments")),
    "GET /v1/whistle/categories": Case(own=lambda api, a, n: Req("GET", f"{BASE}/categories")),
    "PUT /v1/whistle/categories/{code}": Case(own=lambda api, a, n: Req("PUT", f"{BASE}/categories/matrix", CATEGORY)),
    "GET /v1/whistle/kinds": Case(own=lambda api, a, n: Req("GET", f"{BASE}/kinds")),
    "PUT /v1/whistle/kinds/{kind}": Case(own=lambda api, a, n: Req("PUT", f"{BASE}/kinds/emergency", KIND)),
    "POST /v1/whistle/tickets": Case(
        own=lambda api, a, n: Req("POST", f"{BASE}/tickets", body(OWN_LEAF)),
        other=lambda api, a, n: Req("POST", f"{BASE}/tickets", body(OTHER_LEAF)),
        other_status=422,
    ),
    "GET /v1/whistle/tickets": Case(
        own=lambda api, a, n: Req("GET", f"{BASE}/tickets"),
        other=listed,
        hidden=items_hidden,
    ),
    "GET /v1/whistle/tickets/{id}": Case(
        own=lambda api, a, n: Req("GET", f"{BASE}/tickets/{ticket(api, OWN_LEAF, lead=dept_of(a))}"),
        other=lambda api, a, n: Req("GET", f"{BASE}/tickets/{ticket(api, OTHER_LEAF, lead='housing')}"),
    ),
    "POST /v1/whistle/tickets/{id}/dispatch": Case(
        own=lambda api, a, n: post(whistled(api, a), "dispatch", {"co": []}),
        other=lambda api, a, n: post(foreign_ticket(api, a, "whistle:dispatch"), "dispatch", {"co": []}),
    ),
    "POST /v1/whistle/tickets/{id}/report-in": Case(
        own=lambda api, a, n: post(dept_ticket(api, a, reported=False), "report-in", {}),
        other=lambda api, a, n: post(foreign_ticket(api, a, "whistle:respond"), "report-in", {}),
    ),
    "POST /v1/whistle/tickets/{id}/progress": Case(
        own=lambda api, a, n: post(dept_ticket(api, a, reported=True), "progress", {"note": "矩阵"}),
        other=lambda api, a, n: post(foreign_ticket(api, a, "whistle:respond"), "progress", {"note": "矩阵"}),
    ),
    "POST /v1/whistle/tickets/{id}/resolve": Case(
        own=lambda api, a, n: post(dept_ticket(api, a, reported=True), "resolve", {"note": "矩阵"}),
        other=lambda api, a, n: post(foreign_ticket(api, a, "whistle:respond"), "resolve", {"note": "矩阵"}),
    ),
    "POST /v1/whistle/tickets/{id}/return": Case(
        own=lambda api, a, n: post(dept_ticket(api, a, reported=False), "return", {"reason": "矩阵"}),
        other=lambda api, a, n: post(foreign_ticket(api, a, "whistle:respond"), "return", {"reason": "矩阵"}),
    ),
    "POST /v1/whistle/tickets/{id}/extension": Case(
        own=lambda api, a, n: post(dept_ticket(api, a, reported=True), "extension", {"seconds": 600, "reason": "矩阵"}),
        other=lambda api, a, n: post(
            foreign_ticket(api, a, "whistle:respond"), "extension", {"seconds": 600, "reason": "矩阵"}
        ),
    ),
    "POST /v1/whistle/tickets/{id}/extension/decision": Case(
        own=lambda api, a, n: post(asked_extension(api, a), "extension/decision", {"grant": True}),
        other=lambda api, a, n: post(
            foreign_ticket(api, a, "whistle:dispatch"), "extension/decision", {"grant": False}
        ),
    ),
    "POST /v1/whistle/tickets/{id}/verify": Case(
        own=lambda api, a, n: post(resolved(api, a), "verify", {"ok": True}),
        other=lambda api, a, n: post(foreign_ticket(api, a, "whistle:verify"), "verify", {"ok": True}),
    ),
    "POST /v1/whistle/tickets/{id}/evaluate": Case(
        own=lambda api, a, n: post(verified(api, a), "evaluate", {"satisfaction": 5}),
        other=lambda api, a, n: post(foreign_ticket(api, a, "whistle:verify"), "evaluate", {"satisfaction": 5}),
    ),
    "POST /v1/whistle/tickets/{id}/close": Case(
        own=lambda api, a, n: post(verified(api, a, evaluated=True), "close", {}),
        other=lambda api, a, n: post(foreign_ticket(api, a, "whistle:verify"), "close", {}),
    ),
    "GET /v1/whistle/scorecards/departments/{code}": Case(
        own=lambda api, a, n: Req("GET", f"{BASE}/scorecards/departments/{dept_of(a)}?period={PERIOD}"),
    ),
    "GET /v1/whistle/scorecards/towns/{code}": Case(
        own=lambda api, a, n: Req("GET", f"{BASE}/scorecards/towns/430182-DCQ?period={PERIOD}"),
        other=lambda api, a, n: Req("GET", f"{BASE}/scorecards/towns/430182-ZF?period={PERIOD}"),
    ),
    "POST /v1/hotline-tickets": Case(
        own=lambda api, a, n: Req(
            "POST",
            "/v1/hotline-tickets",
            {"id": f"MX-{n}", "kind": "consult", "category": "road_traffic", "text": "矩阵", "unit": "430182-DCQ-QS"},
        ),
    ),
    "GET /v1/hotline-tickets/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/hotline-tickets/{own_hotline(api, a, n)}"),
        other=lambda api, a, n: Req("GET", f"/v1/hotline-tickets/{other_hotline(api, a, n)}"),
    ),
    "POST /v1/hotline-tickets/{id}/dispatch": Case(
        own=lambda api, a, n: hreq(own_hotline(api, a, n), "dispatch", {"to": "whistle"}),
        other=lambda api, a, n: hreq(other_hotline(api, a, n), "dispatch", {"to": "whistle"}),
    ),
    "POST /v1/hotline-tickets/{id}/outcome": Case(
        own=lambda api, a, n: hreq(
            own_hotline(api, a, n) if not allowed(a, "whistle:dispatch") else answered_first(api, n),
            "outcome",
            {"text": "矩阵"},
        ),
        other=lambda api, a, n: hreq(other_hotline(api, a, n), "outcome", {"text": "矩阵"}),
    ),
    "POST /v1/hotline-tickets/{id}/callback": Case(
        own=lambda api, a, n: hreq(
            own_hotline(api, a, n, answered=True), "callback", {"resolved": True, "satisfied": False}
        ),
        other=lambda api, a, n: hreq(other_hotline(api, a, n), "callback", {"resolved": True, "satisfied": True}),
    ),
    "GET /v1/units/{code}/hotline-trends": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/hotline-trends?bucket=week"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/hotline-trends"),
    ),
    "POST /v1/webhooks": Case(own=lambda api, a, n: Req("POST", "/v1/webhooks", {"url": f"https://example.org/h{n}"})),
    "GET /v1/webhooks": Case(own=lambda api, a, n: Req("GET", "/v1/webhooks")),
    "GET /v1/webhooks/dead-letters": Case(own=lambda api, a, n: Req("GET", "/v1/webhooks/dead-letters")),
    "GET /v1/webhooks/deliveries/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/webhooks/deliveries/{delivery(a, n, own=True)}"),
        other=lambda api, a, n: Req("GET", f"/v1/webhooks/deliveries/{delivery(a, n, own=False)}"),
    ),
    "POST /v1/webhooks/deliveries/{id}/replay": Case(
        own=lambda api, a, n: Req("POST", f"/v1/webhooks/deliveries/{delivery(a, n, own=True)}/replay"),
        other=lambda api, a, n: Req("POST", f"/v1/webhooks/deliveries/{delivery(a, n, own=False)}/replay"),
    ),
}
