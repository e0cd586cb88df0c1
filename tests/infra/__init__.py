"""Tests of infra/ (the CDK app runs in its own virtualenv; plain-Python parts are loaded from their files)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

INFRA = Path(__file__).resolve().parents[2] / "infra"


def infra_module(name: str, package: str = "stacks") -> ModuleType:
    """A module of infra/ that needs no CDK (infra/stacks/asl.py, infra/functions/mfa_gate.py)."""
    key = f"_infra_{package}_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, INFRA / package / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]
