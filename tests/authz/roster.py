"""Authorization-matrix cases of the party roster export (the roster import is `POST /v1/imports`, whose
cases are the grid's)."""

from __future__ import annotations

from tests.authz.common import DOWNLOAD, OTHER_UNIT, Case, Req, own_unit

CASES: dict[str, Case] = {
    "GET /v1/units/{code}/members/export": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/members/export", headers=DOWNLOAD),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/members/export", headers=DOWNLOAD),
    ),
}
