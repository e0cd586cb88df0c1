"""Step Functions definitions: one ASL file per workflow in chalicelib/workflows/, with ${Name}
substitutions filled from settings. The local stack, the tests and infra/ all read them from here."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

WORKFLOW_DIR = Path(__file__).resolve().parent.parent / "workflows"
_PLACEHOLDER = re.compile(r"\$\{([\w\-]+)\}")  # table suffixes may hold a hyphen

# Functions that restart executions which were waiting when the local stack stopped; each returns how
# many it resumed. Slices with workflows register theirs (deliberation, whistle).
RESUMERS: list[Callable[[], int]] = []

# Durations a definition waits (deadlines, review windows), by name: the ASL says ${Seconds_<name>}, and the
# value is WORKFLOW_SECONDS_<NAME> from the environment or the default a slice registers here at import.
# Tests and the local stack shorten them; moto runs waits in real time.
DURATIONS: dict[str, int] = {}


def seconds(name: str) -> int:
    raw = os.environ.get(f"WORKFLOW_SECONDS_{name.upper()}", "").strip()
    return int(raw) if raw else DURATIONS[name]


def duration_substitutions() -> dict[str, str]:
    return {f"Seconds_{name}": str(seconds(name)) for name in DURATIONS}


def workflow_names(directory: Path = WORKFLOW_DIR) -> list[str]:
    return sorted(p.name.removesuffix(".asl.json") for p in directory.glob("*.asl.json"))


def placeholders(name: str, directory: Path = WORKFLOW_DIR) -> set[str]:
    return set(_PLACEHOLDER.findall((directory / f"{name}.asl.json").read_text()))


def render(name: str, substitutions: dict[str, str], directory: Path = WORKFLOW_DIR) -> dict[str, Any]:
    """The definition with every ${Name} replaced; a missing substitution is an error, not an empty string."""
    text = (directory / f"{name}.asl.json").read_text()
    missing = set(_PLACEHOLDER.findall(text)) - substitutions.keys()
    if missing:
        raise KeyError(f"workflow {name}: no value for {sorted(missing)}")
    rendered = _PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
    result: dict[str, Any] = json.loads(rendered)
    return result


def resume_all() -> int:
    return sum(resume() for resume in RESUMERS)
