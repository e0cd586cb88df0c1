"""Authorization-matrix cases of the grid routes."""

from __future__ import annotations

from tests.authz.common import (
    CSV,
    DOWNLOAD,
    HOUSEHOLD,
    OTHER_GROUP,
    OTHER_LEAF,
    OTHER_UNIT,
    OWN_GROUP,
    OWN_LEAF,
    ZF_TOWN,
    Case,
    Req,
    empty_child,
    end_request,
    fresh_leaf,
    household,
    import_of,
    items_hidden,
    own_unit,
    units_file,
)

CASES: dict[str, Case] = {
    "GET /v1/units": Case(
        own=lambda api, a, n: Req("GET", "/v1/units?q=d"),
        other=lambda api, a, n: Req("GET", "/v1/units?q=qqh"),
        hidden=items_hidden,
    ),
    "GET /v1/units/{code}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}"),
    ),
    "GET /v1/units/{code}/children": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/children"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/children"),
    ),
    "GET /v1/units/{code}/tree": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/tree?depth=2"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/tree"),
    ),
    "GET /v1/units/{code}/heads": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{OWN_LEAF}/heads"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_LEAF}/heads"),
    ),
    "GET /v1/units/{code}/map": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/map"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/map"),
    ),
    "GET /v1/units/{code}/households": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/households"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/households"),
    ),
    "GET /v1/units/{code}/appointments": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{OWN_LEAF}/appointments"),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_LEAF}/appointments"),
    ),
    "POST /v1/units": Case(
        own=lambda api, a, n: Req("POST", "/v1/units", {"parent": own_unit(a), "segment": f"MY{n}", "name": "矩阵"}),
        other=lambda api, a, n: Req("POST", "/v1/units", {"parent": OTHER_UNIT, "segment": f"MY{n}", "name": "矩阵"}),
    ),
    "PATCH /v1/units/{code}": Case(
        own=lambda api, a, n: Req("PATCH", f"/v1/units/{own_unit(a)}", {"name": "矩阵改名"}),
        other=lambda api, a, n: Req("PATCH", f"/v1/units/{OTHER_UNIT}", {"name": "矩阵改名"}),
    ),
    "DELETE /v1/units/{code}": Case(
        own=lambda api, a, n: Req("DELETE", f"/v1/units/{empty_child(api, a, n)}"),
        other=lambda api, a, n: Req("DELETE", f"/v1/units/{OTHER_LEAF}"),
    ),
    "POST /v1/units/{code}/move": Case(
        own=lambda api, a, n: Req(
            "POST", f"/v1/units/430182-DCQ-QS-P01-Z0{1 + n % 2}/move", {"parent": f"430182-DCQ-QS-P0{1 + (n + 1) % 2}"}
        ),
        other=lambda api, a, n: Req("POST", "/v1/units/430182-ZF-QQH-P01-Z01/move", {"parent": "430182-ZF-QQH-P01"}),
    ),
    "POST /v1/households": Case(
        own=lambda api, a, n: Req("POST", "/v1/households", {"unit": OWN_LEAF, **HOUSEHOLD}),
        other=lambda api, a, n: Req("POST", "/v1/households", {"unit": OTHER_LEAF, **HOUSEHOLD}),
        other_status=422,
    ),
    "GET /v1/households/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/households/{household(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("GET", f"/v1/households/{household(api, OTHER_LEAF)}"),
    ),
    "PUT /v1/households/{id}": Case(
        own=lambda api, a, n: Req("PUT", f"/v1/households/{household(api, OWN_LEAF)}", {"unit": OWN_LEAF, **HOUSEHOLD}),
        other=lambda api, a, n: Req(
            "PUT", f"/v1/households/{household(api, OTHER_LEAF)}", {"unit": OTHER_LEAF, **HOUSEHOLD}
        ),
    ),
    "DELETE /v1/households/{id}": Case(
        own=lambda api, a, n: Req("DELETE", f"/v1/households/{household(api, OWN_LEAF)}"),
        other=lambda api, a, n: Req("DELETE", f"/v1/households/{household(api, OTHER_LEAF)}"),
    ),
    "POST /v1/households/{id}/unmask": Case(
        own=lambda api, a, n: Req("POST", f"/v1/households/{household(api, OWN_LEAF)}/unmask", {"purpose": "visit"}),
        other=lambda api, a, n: Req(
            "POST", f"/v1/households/{household(api, OTHER_LEAF)}/unmask", {"purpose": "visit"}
        ),
    ),
    "POST /v1/units/{code}/appointments": Case(
        own=lambda api, a, n: Req(
            "POST",
            f"/v1/units/{fresh_leaf(api, OWN_GROUP, f'LA{n}')}/appointments",
            {"person_name": "矩阵", "phone": "13800000000", "start": "2021-01-01"},
        ),
        other=lambda api, a, n: Req(
            "POST",
            f"/v1/units/{fresh_leaf(api, OTHER_GROUP, f'LA{n}')}/appointments",
            {"person_name": "矩阵", "phone": "13800000000", "start": "2021-01-01"},
        ),
    ),
    "POST /v1/units/{code}/appointments/{id}/end": Case(
        own=lambda api, a, n: end_request(api, fresh_leaf(api, OWN_GROUP, f"LE{n}"), n),
        other=lambda api, a, n: end_request(api, fresh_leaf(api, OTHER_GROUP, f"LE{n}"), n),
    ),
    "GET /v1/catalogues/{kind}": Case(own=lambda api, a, n: Req("GET", "/v1/catalogues/household_tag")),
    "PUT /v1/catalogues/{kind}/{entry}": Case(
        own=lambda api, a, n: Req(
            "PUT", "/v1/catalogues/household_tag/matrix", {"name_zh": "矩阵", "name_en": "Matrix"}
        )
    ),
    "POST /v1/imports": Case(
        own=lambda api, a, n: Req("POST", "/v1/imports?kind=units", raw=units_file(own_unit(a), n), headers=CSV),
        other=lambda api, a, n: Req("POST", "/v1/imports?kind=units", raw=units_file(OTHER_UNIT, n), headers=CSV),
        other_status=422,
    ),
    "GET /v1/imports/{id}": Case(
        own=lambda api, a, n: Req("GET", f"/v1/imports/{import_of(api, a, own_unit(a), n)}"),
        other=lambda api, a, n: Req("GET", f"/v1/imports/{import_of(api, ZF_TOWN, OTHER_UNIT, n)}"),
    ),
    "GET /v1/imports/templates/{kind}": Case(
        own=lambda api, a, n: Req("GET", "/v1/imports/templates/households", headers=DOWNLOAD)
    ),
    "GET /v1/units/{code}/export": Case(
        own=lambda api, a, n: Req("GET", f"/v1/units/{own_unit(a)}/export", headers=DOWNLOAD),
        other=lambda api, a, n: Req("GET", f"/v1/units/{OTHER_UNIT}/export", headers=DOWNLOAD),
    ),
}
