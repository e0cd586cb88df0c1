"""The slices of the service, in one list. Importing them registers every route, table, job runner and
hook (for the local stack, the tests, the OpenAPI document and infra/).

A Lambda does not import them at cold start: `app.py` registers each route from the generated
`chalicelib/route_manifest.py`, and `serve` imports a route's module on its first request. Hooks one slice
calls in another (`HOOK_MODULES`) are loaded by `load_hooks()` where they are called."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalice.app import Response

    from chalicelib.core.api import ApiBlueprint

ROUTE_MODULES: tuple[str, ...] = (
    "chalicelib.core.routes",
    "chalicelib.grid.routes",
    "chalicelib.grid.import_routes",
    "chalicelib.members.routes",
    "chalicelib.cards.routes",
    "chalicelib.community.routes",
    "chalicelib.showings.routes",
    "chalicelib.mediation.routes",
    "chalicelib.deliberation.routes",
    "chalicelib.scoring.routes",
    "chalicelib.whistle.routes",
    "chalicelib.open311.routes",
)

# Modules holding tables that no route module imports yet.
MODEL_MODULES: tuple[str, ...] = (
    "chalicelib.core.apikeys",
    "chalicelib.core.idempotency",
    "chalicelib.core.catalogue",
    "chalicelib.grid.imports",  # loaded by the import routes on first use, not at cold start
    "chalicelib.scoring.sources",  # no tables: registers the job runner of automatic 三比 credits
    "chalicelib.deliberation.moves",  # no tables: what follows a moved unit (grid.repath), per slice
    "chalicelib.whistle.moves",
    "chalicelib.scoring.moves",
)


# Modules registering hooks another slice calls in-process (deliberation.service's WHISTLE_HOOKS and
# CONCERN_OUTCOME_HOOKS): the caller runs `load_hooks()` first, so no route module has to be loaded before.
HOOK_MODULES: tuple[str, ...] = (
    "chalicelib.whistle.from_deliberation",
    "chalicelib.whistle.to_deliberation",
)

# One manifest row: (module, method, path, view name, public, file body).
ManifestRow = tuple[str, str, str, str, bool, bool]


def import_models() -> None:
    for name in (*ROUTE_MODULES, *MODEL_MODULES, *HOOK_MODULES):
        importlib.import_module(name)


def load_hooks() -> None:
    for name in HOOK_MODULES:
        importlib.import_module(name)


def route_api(module: str) -> ApiBlueprint:
    api: ApiBlueprint = importlib.import_module(module).api
    return api


def serve(module: str, route_id: str, request: Any, context: Any, path: dict[str, str]) -> Response:
    """A request for a route of `module`: imported on the first one (then cached by Python)."""
    return route_api(module).serve(route_id, request, context, path)


def manifest() -> list[ManifestRow]:
    """Every declared route as `app.py` registers it, in a stable order (what route_manifest.py must hold)."""
    from chalicelib.core.api import ROUTES  # noqa: PLC0415
    from chalicelib.core.auth import PUBLIC  # noqa: PLC0415

    import_models()
    rows = {(s.module, s.method, s.path, s.name, s.permission == PUBLIC, bool(s.raw_body)) for s in ROUTES}
    return sorted(rows, key=lambda r: (ROUTE_MODULES.index(r[0]), r[2], r[1]))
