"""The Lambda deployment package, measured offline: requirements.txt's distributions and everything they pull in
(markers evaluated for Linux, Python 3.11), zipped as `chalice package` zips them, with app.py, chalicelib/
and Chalice's runtime module. `chalice package` itself needs pip to fetch manylinux wheels from the registry,
so it is not run here; the installed files of the same pinned versions stand in for the wheels.

    python -m tests.bench.package     # or `make bench`
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from tests.bench.imports import ROOT

# dev and bench tools that must never reach the package (requirements-dev.txt, requirements-bench.txt)
DEV_ONLY = {"chalice", "moto", "pytest", "schemathesis", "locust", "ruff", "mypy", "hypothesis", "gevent", "requests"}
SKIP = re.compile(r"(^|/)__pycache__/|\.pyc$|\.dist-info/|^\.\./|^bin/")


@dataclass(frozen=True)
class Package:
    zipped: int
    unzipped: int
    files: int
    by_dist: dict[str, int]  # zipped bytes per distribution ("(app)" for our code)
    dev_in_package: list[str]


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def runtime_distributions(requirements: Path = ROOT / "requirements.txt") -> set[str]:
    """requirements.txt and its dependencies (extras not requested are left out)."""
    env = {"extra": "", "sys_platform": "linux", "platform_system": "Linux", "python_version": "3.11"}
    todo = [_name(line) for line in requirements.read_text().splitlines() if line.strip() and line[0] != "#"]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for req in metadata.requires(name) or []:
            spec, _, marker = req.partition(";")
            if marker.strip():
                from packaging.markers import Marker  # noqa: PLC0415 - packaging ships with pip's tools

                if not Marker(marker).evaluate(env):
                    continue
            todo.append(_name(spec))
    return seen


def measure() -> Package:
    buffer = io.BytesIO()
    by_dist: dict[str, int] = {}
    unzipped = files = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(source: Path, arcname: str, owner: str) -> None:
            nonlocal unzipped, files
            before = buffer.tell()
            archive.write(source, arcname)
            by_dist[owner] = by_dist.get(owner, 0) + buffer.tell() - before
            unzipped += source.stat().st_size
            files += 1

        for name in sorted(runtime_distributions()):
            dist = metadata.distribution(name)
            for file in dist.files or []:
                if SKIP.search(str(file)):
                    continue
                source = Path(str(dist.locate_file(file)))
                if source.is_file():
                    add(source, str(file), name)
        chalice_app = Path(str(metadata.distribution("chalice").locate_file("chalice/app.py")))
        add(chalice_app, "chalice/app.py", "chalice (runtime module)")
        for source in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*"))]:
            if source.is_file() and not SKIP.search(source.relative_to(ROOT).as_posix()):
                add(source, source.relative_to(ROOT).as_posix(), "(app)")
    dev = sorted(DEV_ONLY & runtime_distributions())
    return Package(buffer.tell(), unzipped, files, by_dist, dev)


def main() -> None:
    package = measure()
    print(f"zipped {package.zipped / 2**20:.1f} MB, unzipped {package.unzipped / 2**20:.1f} MB, {package.files} files")
    for name, size in sorted(package.by_dist.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {name:<28} {size / 2**20:6.2f} MB zipped")
    print("dev-only distributions in the package:", package.dev_in_package or "none")


if __name__ == "__main__":
    main()
