"""A 12345 hotline ticket the town forwards "to a village concern" becomes a concern of that village (source
`hotline`, linked both ways: the concern names the ticket, the ticket names the concern). The caller stays with
the hotline: the concern copies neither the masked caller nor anything else personal, only the ticket's text
and category. When the concern is answered, decided by the town, or its responsibility item is closed, the
deliberation slice calls its CONCERN_OUTCOME_HOOKS and this hook reports the outcome on the hotline ticket
(forwarded -> answered), ready for the hotline's callback (回访)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.core.audit import Actor
from chalicelib.deliberation.service import CONCERN_OUTCOME_HOOKS, ConcernOutcome

if TYPE_CHECKING:
    from chalicelib.whistle.hotline import HotlineModel

# the hotline's categories (whistle catalogue) -> the concern catalogue; anything else is `other`
CONCERN_CATEGORY: dict[str, str] = {
    "water_supply": "water",
    "flood_control": "water",
    "farmland": "water",
    "dangerous_building": "land",
    "land_use": "land",
    "road_traffic": "roads",
    "pollution": "environment",
    "public_security": "public_safety",
}
OUTCOME_PREFIX: dict[str, str] = {
    "answered": "村（社区）已答复",
    "decided": "镇民情研判会决定",
    "item_closed": "村（社区）办结",
    "closed": "议事办结",
}
DELIBERATION = ("system:deliberation", "system")


def forward(item: HotlineModel, unit: Any, actor: Actor) -> str:
    """The concern made (or found) for the ticket in the village `unit`; its id."""
    from chalicelib.deliberation.service import default_service  # noqa: PLC0415 - only when a ticket is forwarded

    concern = default_service().concern_from_hotline(
        actor, ticket_id=item.id, text=item.text, category=CONCERN_CATEGORY.get(item.category, "other"), unit=unit
    )
    return str(concern.id)


def report(outcome: ConcernOutcome) -> None:
    """Post the concern's outcome on its ticket, once: a ticket no longer `forwarded` (the town posted an
    outcome by hand, or this ran before) is left alone."""
    from chalicelib.whistle.hotline import HotlineModel, default_service  # noqa: PLC0415

    try:
        item = HotlineModel.get(outcome.hotline_ticket)
    except HotlineModel.DoesNotExist:
        return
    if item.status != "forwarded" or item.concern != outcome.concern_id:
        return
    actor = Actor(DELIBERATION[0], DELIBERATION[1], outcome.unit_path, outcome.concern_id)
    default_service().report_outcome(item, actor, f"{OUTCOME_PREFIX.get(outcome.kind, '')}：{outcome.text}")


if report not in CONCERN_OUTCOME_HOOKS:
    CONCERN_OUTCOME_HOOKS.append(report)
