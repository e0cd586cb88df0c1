"""Structured logs carry the request id and no request data; metrics go out as CloudWatch EMF."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from chalicelib.core.observability import logger
from tests.support import ApiClient


def test_request_log_line_has_correlation_id_route_and_status_but_no_body(
    api: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    log = logger()
    handler = log.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    old_stream, old_level = handler.setStream(sys.stdout), log.log_level  # sys.stdout is capsys's now
    log.setLevel("INFO")
    try:
        body = {"parent": "430182-DCQ-QS", "segment": "P06", "name": "标记名称"}
        answer = api.post("/v1/units", user="qs-village", body=body)
    finally:
        log.setLevel(old_level)
        handler.setStream(old_stream)
    assert answer.status == 201
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"level"')]
    request_lines = [x for x in lines if x.get("message") == "request"]
    assert request_lines, lines
    line = request_lines[-1]
    assert line["route"] == "POST /v1/units" and line["status"] == 201
    assert line["correlation_id"] == answer.headers["x-request-id"]
    assert all("标记名称" not in json.dumps(x, ensure_ascii=False) for x in lines)


def test_metrics_are_flushed_as_emf(
    api: ApiClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    assert api.get("/v1/me", user="qs-village").status == 200
    emf = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert emf, "no EMF document printed"
    names = {m["Name"] for doc in emf for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"Requests", "LatencyMs"} <= names
    assert emf[-1]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "NingxiangGovernance"
