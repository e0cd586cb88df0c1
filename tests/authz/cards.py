"""Authorization-matrix cases of the contact-card routes."""

from __future__ import annotations

from tests.authz.common import OTHER_LEAF, OWN_LEAF, Case, Req, household

HTML = {"Accept": "text/html"}

CASES: dict[str, Case] = {
    "GET /v1/households/{id}/contact-card": Case(
        own=lambda api, a, n: Req("GET", f"/v1/households/{household(api, OWN_LEAF)}/contact-card"),
        other=lambda api, a, n: Req("GET", f"/v1/households/{household(api, OTHER_LEAF)}/contact-card"),
    ),
    "GET /v1/units/{code}/contact-cards": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{OWN_LEAF}/contact-cards", headers=HTML),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_LEAF}/contact-cards", headers=HTML),
    ),
}
