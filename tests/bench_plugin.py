"""Pytest plugin for `make bench`: with NX_CALLS_OUT set, record the DynamoDB operations each request makes.

    pytest tests/integration -p tests.bench_plugin   # NX_CALLS_OUT=<path> writes {"routes": [...], "requests": [...]}
    pytest -n 2 ...                                  # each worker writes <path>.<worker id>

A request is one call of `ApiBlueprint._handle`; a DynamoDB call counts when it happens while a route runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from chalice.app import Response

from chalicelib.core import api as core_api


@pytest.fixture(scope="session", autouse=True)
def _bench_dynamodb_calls() -> Iterator[None]:
    out = os.environ.get("NX_CALLS_OUT")
    if not out:
        yield
        return
    requests: list[dict[str, Any]] = []
    open_calls: list[list[str]] = []  # a stack: one list of operations per request being handled
    make_api_call = BaseClient._make_api_call
    handle = core_api.ApiBlueprint._handle

    def counting_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb" and core_api.current_route.get() and open_calls:
            open_calls[-1].append(operation_name)
        return make_api_call(self, operation_name, api_params)

    def delimited_handle(self: core_api.ApiBlueprint, spec: core_api.RouteSpec, *args: Any, **kwargs: Any) -> Response:
        open_calls.append([])
        try:
            return handle(self, spec, *args, **kwargs)
        finally:
            requests.append({"route": spec.route_id, "calls": open_calls.pop()})

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(BaseClient, "_make_api_call", counting_call)
        mp.setattr(core_api.ApiBlueprint, "_handle", delimited_handle)
        yield
    routes = sorted({r.route_id for r in core_api.ROUTES})
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # under -n, each worker writes its own part: <out>.<worker>
    part = Path(f"{out}.{worker}" if worker else out)
    part.write_text(json.dumps({"routes": routes, "requests": requests}, indent=1), encoding="utf-8")
