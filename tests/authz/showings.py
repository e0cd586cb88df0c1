"""Authorization-matrix cases of the showings routes (三亮: plaques, stickers, pledges, posts, coverage)."""

from __future__ import annotations

from chalicelib.core.clock import china_today
from tests.authz.common import (
    OTHER_LEAF,
    OTHER_UNIT,
    OWN_LEAF,
    Case,
    Req,
    admin_post,
    household,
    member,
    member_body,
    own_unit,
)
from tests.support import ApiClient

YEAR = china_today().year
PLEDGE = {"year": YEAR, "text": "带头清理屋场环境，每月走访联系户一次。"}


def _admin(api: ApiClient, path: str, body: object) -> None:
    answer = api.post(path, user="city-admin", body=body)
    assert answer.status in (200, 201), answer.body


def full_household(api: ApiClient, unit: str) -> str:
    """A household with a full party member living in it."""
    home = household(api, unit)
    admin_post(api, "/v1/members", member_body(home) | {"status": "full"})
    return home


def plaqued(api: ApiClient, unit: str) -> str:
    home = full_household(api, unit)
    _admin(api, f"/v1/households/{home}/plaque", {})
    return home


def with_sticker(api: ApiClient, unit: str, n: int) -> str:
    someone = member(api, unit)
    _admin(api, f"/v1/members/{someone}/sticker", {"plate": f"湘C{n:05d}"})
    return someone


def pledged(api: ApiClient, unit: str) -> str:
    someone = member(api, unit)
    _admin(api, f"/v1/members/{someone}/pledges", PLEDGE)
    return someone


def covering(api: ApiClient, unit: str) -> tuple[str, str]:
    someone, home = member(api, unit), household(api, unit)
    _admin(api, f"/v1/members/{someone}/coverage", {"household": home})
    return someone, home


def _uncover(api: ApiClient, unit: str) -> Req:
    someone, home = covering(api, unit)
    return Req("DELETE", f"/v1/members/{someone}/coverage/{home}")


CASES: dict[str, Case] = {
    "POST /v1/households/{id}/plaque": Case(
        own=lambda api, a, n: Req("POST", f"/v1/households/{full_household(api, OWN_LEAF)}/plaque", {}),
        other=lambda api, a, n: Req("POST", f"/v1/households/{full_household(api, OTHER_LEAF)}/plaque", {}),
    ),
    "GET /v1/households/{id}/plaque": Case(
        own=lambda api, a, n: Req("GET", f"/v1/households/{plaqued(api, OWN_LEAF)}/plaque"),
        other=lambda api, a, n: Req("GET", f"/v1/households/{plaqued(api, OTHER_LEAF)}/plaque"),
    ),
    "POST /v1/households/{id}/plaque/revoke": Case(
        own=lambda api, a, n: Req("POST", f"/v1/households/{plaqued(api, OWN_LEAF)}/plaque/revoke", {"reason": "迁出"}),
        other=lambda api, a, n: Req(
            "POST", f"/v1/households/{plaqued(api, OTHER_LEAF)}/plaque/revoke", {"reason": "迁出"}
        ),
    ),
    "GET /v1/units/{code}/plaques": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/plaques"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/plaques"),
    ),
    "GET /v1/households/{id}/covering": Case(
        own=lambda api, a, n: Req("GET", f"/v1/households/{covering(api, OWN_LEAF)[1]}/covering"),
        other=lambda api, a, n: Req("GET", f"/v1/households/{covering(api, OTHER_LEAF)[1]}/covering"),
    ),
    "POST /v1/members/{id}/sticker": Case(
        own=lambda api, a, n: Req("POST", f"/v1/members/{member(api, OWN_LEAF)}/sticker", {"plate": f"湘A{n:05d}"}),
        other=lambda api, a, n: Req("POST", f"/v1/members/{member(api, OTHER_LEAF)}/sticker", {"plate": f"湘B{n:05d}"}),
    ),
    "POST /v1/members/{id}/sticker/revoke": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/members/{with_sticker(api, OWN_LEAF, 2 * n)}/sticker/revoke", {"reason": "换车"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/members/{with_sticker(api, OTHER_LEAF, 2 * n + 1)}/sticker/revoke", {"reason": "换车"}
        ),
    ),
    "GET /v1/units/{code}/stickers": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/stickers"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/stickers"),
    ),
    "POST /v1/members/{id}/pledges": Case(
        own=lambda api, a, n: Req("POST", f"/v1/members/{member(api, OWN_LEAF)}/pledges", PLEDGE),
        other=lambda api, a, n: Req("POST", f"/v1/members/{member(api, OTHER_LEAF)}/pledges", PLEDGE),
    ),
    "POST /v1/members/{id}/pledges/{year}/approve": Case(
        own=lambda api, a, n: Req("POST", f"/v1/members/{pledged(api, OWN_LEAF)}/pledges/{YEAR}/approve"),
        other=lambda api, a, n: Req("POST", f"/v1/members/{pledged(api, OTHER_LEAF)}/pledges/{YEAR}/approve"),
    ),
    "POST /v1/members/{id}/pledges/{year}/reject": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/members/{pledged(api, OWN_LEAF)}/pledges/{YEAR}/reject", {"reason": "请写具体"}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/members/{pledged(api, OTHER_LEAF)}/pledges/{YEAR}/reject", {"reason": "请写具体"}
        ),
    ),
    "GET /v1/units/{code}/pledges": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/pledges?year={YEAR}"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/pledges?year={YEAR}"),
    ),
    "PUT /v1/members/{id}/posts": Case(
        own=lambda api, a, n: Req("PUT", f"/v1/members/{member(api, OWN_LEAF)}/posts", {"posts": ["assistance"]}),
        other=lambda api, a, n: Req("PUT", f"/v1/members/{member(api, OTHER_LEAF)}/posts", {"posts": ["assistance"]}),
    ),
    "POST /v1/members/{id}/coverage": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/members/{member(api, OWN_LEAF)}/coverage", {"household": household(api, OWN_LEAF)}
        ),
        other=lambda api, a, n: Req(
            "POST", f"/v1/members/{member(api, OTHER_LEAF)}/coverage", {"household": household(api, OTHER_LEAF)}
        ),
    ),
    "DELETE /v1/members/{id}/coverage/{household}": Case(
        own=lambda api, a, n: _uncover(api, OWN_LEAF),
        other=lambda api, a, n: _uncover(api, OTHER_LEAF),
    ),
    "GET /v1/members/{id}/showings": Case(
        own=lambda api, a, n: Req("GET", f"/v1/members/{member(api, OWN_LEAF)}/showings"),
        other=lambda api, a, n: Req("GET", f"/v1/members/{member(api, OTHER_LEAF)}/showings"),
    ),
}
