"""A town review (镇民情研判会) that decides "blow a whistle" for a department gets a whistle ticket: the
deliberation slice calls its WHISTLE_HOOKS after storing the decision, and this hook files the ticket,
dispatched at once to the department named, linked back with `source = deliberation:<id>`.

The ticket carries references, not the concern's text (which may hold residents' details): the department
reads the matter through the linked deliberation.
"""

from __future__ import annotations

from chalicelib.core.audit import Actor
from chalicelib.deliberation.service import WHISTLE_HOOKS, WhistleRequest
from chalicelib.whistle import rules
from chalicelib.whistle.schemas import TicketIn

TOWN_REVIEW = ("system:town_review", "town_cadre", "镇民情研判会")


def category_for(department: str, categories: dict[str, dict[str, object]]) -> str:
    """The first category the department leads (its limits apply); else the first category."""
    return next((code for code, c in categories.items() if c.get("lead") == department), next(iter(categories)))


def file_ticket(request: WhistleRequest) -> None:
    from chalicelib.whistle.service import default_service  # noqa: PLC0415 - the hook runs rarely

    service = default_service()
    unit_code = request.unit_path.replace("/", "-")
    unit = service.grid.unit(unit_code)
    data = TicketIn.model_validate(
        {
            "kind": request.kind if request.kind in rules.KIND_LABELS else "tough",
            "category": category_for(request.department, service.category_map()),
            "description": f"镇民情研判会一事一策决定吹哨，请报到办理（诉求 {request.concern_id}）",
            "location": {"unit": unit_code, "address": unit.name if unit is not None else unit_code},
            "lead": request.department,
            "source": f"deliberation:{request.deliberation_id}",
        }
    )
    actor = Actor(TOWN_REVIEW[0], TOWN_REVIEW[1], request.unit_path, request.id)
    service.whistle(
        actor, data, unit_code=unit_code, unit_path=request.unit_path, whistler=TOWN_REVIEW, auto_dispatch=True
    )


if file_ticket not in WHISTLE_HOOKS:
    WHISTLE_HOOKS.append(file_ticket)
