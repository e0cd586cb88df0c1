"""The slices of the service, in one list: app.py registers their routes, and importing them registers
every table (for the local stack, the tests and infra/)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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


def import_models() -> None:
    for name in (*ROUTE_MODULES, *MODEL_MODULES):
        importlib.import_module(name)


def blueprints() -> list[ApiBlueprint]:
    return [importlib.import_module(name).api for name in ROUTE_MODULES]
