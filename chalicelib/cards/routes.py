"""Contact-card routes (明白卡): one household's card as JSON, a neighbourhood's or group's cards as a
printable A4 sheet."""

from __future__ import annotations

from chalicelib.cards.schemas import ContactCardOut
from chalicelib.cards.service import CardService, default_service
from chalicelib.core.api import ApiBlueprint, Reply, RequestContext

api = ApiBlueprint(__name__, tag="cards")
HTML = "text/html"


def _svc() -> CardService:
    return default_service()


@api.route(
    "/v1/households/{id}/contact-card",
    "GET",
    permission="households:read",
    response=ContactCardOut,
    summary="住户的联系服务群众明白卡（三长、联点干部、联户党员）/ A household's contact card",
)
def contact_card(ctx: RequestContext) -> ContactCardOut:
    return _svc().card(ctx.user, ctx.path["id"])


@api.route(
    "/v1/units/{code}/contact-cards",
    "GET",
    permission="households:read",
    content_type=HTML,
    summary="打印一个邻或组的明白卡（A4，每页 2×4 张）/ Printable contact cards of a neighbourhood or group",
)
def contact_card_sheet(ctx: RequestContext) -> Reply:
    from chalicelib.cards.sheet import render  # noqa: PLC0415 - only the print route needs it

    code = ctx.path["code"]
    return Reply(
        render(_svc().sheet(ctx.user, code)),
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Disposition": f'inline; filename="contact-cards-{code}.html"',
        },
    )
