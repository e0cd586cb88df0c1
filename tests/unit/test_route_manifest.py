"""app.py registers routes from the generated manifest and loads a slice on its first request: the manifest
must match the route modules, a cold start must load no slice, and hooks one slice calls in another must be
there when a Lambda has loaded only the calling slice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chalicelib.route_manifest import ROUTE_TABLE
from chalicelib.slices import ROUTE_MODULES, manifest

ROOT = Path(__file__).resolve().parents[2]
CHILD_ENV = {
    "STAGE": "local",
    "TABLE_PREFIX": "manifest",
    "JWKS_URL": "http://127.0.0.1:9/jwks",
    "JWT_ISSUER": "x",
    "JWT_AUDIENCE": "x",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def run_child(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**env, **CHILD_ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_manifest_matches_the_route_modules() -> None:
    assert list(ROUTE_TABLE) == manifest(), "route manifest is stale: run `python -m scripts.route_manifest`"


def test_the_app_registers_every_route_of_the_manifest_with_its_authorizer() -> None:
    import app as app_module  # noqa: PLC0415

    registered = {
        (method, path): (entry.view_name, entry.authorizer is None, entry.content_types)
        for path, methods in app_module.app.routes.items()
        for method, entry in methods.items()
    }
    expected = {
        (method, path): (name, public, ["*/*"] if file_body else ["application/json"])
        for _, method, path, name, public, file_body in ROUTE_TABLE
    }
    assert registered == expected


def test_every_file_type_a_route_takes_travels_as_binary() -> None:
    """API Gateway hands a raw body over as bytes only for the app's binary types: a ZIP or GBK CSV that is
    not on the list would arrive mangled."""
    import app as app_module  # noqa: PLC0415
    from chalicelib.core.api import ROUTES  # noqa: PLC0415
    from chalicelib.slices import import_models  # noqa: PLC0415

    import_models()
    text = {"application/json", "application/x-www-form-urlencoded"}  # UTF-8 text: passed through as it is
    taken = {media for spec in ROUTES for media in spec.raw_body} - text
    assert "application/zip" in taken
    assert taken <= set(app_module.app.api.binary_types)


def test_a_cold_start_loads_no_slice_and_no_heavy_library() -> None:
    out = run_child(
        """
        import sys
        import app
        print("=>", len(app.app.routes))
        print("=>", *sorted(m for m in sys.modules if m.startswith("chalicelib.")))
        print("=>", *(m for m in ("pydantic", "pynamodb", "botocore", "boto3", "jwt") if m in sys.modules))
        """
    )
    paths, loaded, heavy = (line.split()[1:] for line in out.splitlines() if line.startswith("=>"))
    assert int(paths[0]) == len({row[2] for row in ROUTE_TABLE})
    assert "chalicelib.core.authorizer" in loaded
    assert not set(loaded) & set(ROUTE_MODULES)
    assert heavy == []


def test_a_first_request_loads_only_its_slice_and_answers() -> None:
    out = run_child(
        """
        import sys
        from chalice.test import Client
        import app
        with Client(app.app) as client:
            health = client.http.get("/health").status_code
            me = client.http.get("/v1/me").status_code
        print("=>", health, me, *sorted(m for m in sys.modules if m.endswith(".routes")))
        """
    )
    health, me, *loaded = next(line for line in out.splitlines() if line.startswith("=>")).split()[1:]
    assert health in {"200", "503"}  # answered by the core routes (no DynamoDB here: 503 is an answer)
    assert me == "401"  # the authorizer refuses a request without a token before any module loads
    assert loaded == ["chalicelib.core.routes"]


CALLS = {
    "whistle": 'service.request_whistles([service.WhistleRequest("w", "d", "c", UNIT, "water", "tough", "2026-11")])',
    "outcome": 'service.report_outcomes([service.ConcernOutcome("c1", "h1", "answered", "已答复", UNIT)])',
}


@pytest.mark.parametrize(
    ("call", "hooks", "expected"),
    [
        ("whistle", "WHISTLE_HOOKS", "chalicelib.whistle.from_deliberation.file_ticket"),
        ("outcome", "CONCERN_OUTCOME_HOOKS", "chalicelib.whistle.to_deliberation.report"),
    ],
)
def test_hooks_called_across_slices_are_loaded_by_their_caller(call: str, hooks: str, expected: str) -> None:
    """A Lambda that has loaded only the deliberation slice still files the town review's whistle and reports a
    hotline concern's outcome: each call site loads the whistle slice's hooks first."""
    out = run_child(
        f"""
        from moto import mock_aws
        from chalicelib import slices
        slices.route_api("chalicelib.deliberation.routes")
        from chalicelib.deliberation import service
        UNIT = "430182/XDP/XT"
        print("=>", len(service.{hooks}))
        with mock_aws():  # no tables: the hook fails and is logged, as any failing hook is
            {CALLS[call]}
        print("=>", *(f"{{h.__module__}}.{{h.__name__}}" for h in service.{hooks}))
        """
    )
    before, after = (line.split()[1:] for line in out.splitlines() if line.startswith("=>"))
    assert before == ["0"]  # loading the deliberation slice alone registers no hook
    assert after == [expected]
