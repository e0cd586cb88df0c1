"""The authorization matrix's cases, one module per slice; `all_cases()` merges them and refuses a route
declared twice."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.authz.common import Case


def all_cases() -> dict[str, Case]:
    merged: dict[str, Case] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "common":
            continue
        cases: dict[str, Case] = importlib.import_module(f"{__name__}.{info.name}").CASES
        twice = set(cases) & set(merged)
        assert not twice, f"routes with two cases: {sorted(twice)}"
        merged.update(cases)
    return merged
