"""Fixtures: settings from a monkeypatched environment, a JWKS server on loopback, moto's mock_aws with
the service's tables and demo data, and an API client."""

from __future__ import annotations

import copy
import io
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

import app as app_module
from chalicelib.core import health, idempotency, jobs
from chalicelib.core.db import create_tables
from chalicelib.core.observability import logger
from chalicelib.core.settings import reset_settings
from chalicelib.localstack import moto_tx
from chalicelib.localstack.issuer import LocalIssuer
from chalicelib.localstack.seed import seed_demo
from chalicelib.localstack.state import create_state_machines
from chalicelib.slices import import_models
from tests.support import ApiClient, jwks_server

# app.py loads a route module on its first request; the tests walk `ROUTES` (the authorization matrix, the
# generic checks), so every module is imported here, as `/openapi.json` does.
import_models()

ISSUER_URL = "http://127.0.0.1/test-issuer"
TEST_API_KEY = "test-agency-api-key-0123456789abcdefghijklmnop"


@pytest.fixture(scope="session")
def issuer() -> LocalIssuer:
    return LocalIssuer.ephemeral(ISSUER_URL)


@pytest.fixture(scope="session")
def jwks_url(issuer: LocalIssuer) -> Iterator[str]:
    with jwks_server(issuer) as url:
        yield url


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, jwks_url: str) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_REGION"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("STAGE", "test")
    monkeypatch.setenv("TABLE_PREFIX", "test")
    monkeypatch.setenv("JWKS_URL", jwks_url)
    monkeypatch.setenv("JWT_ISSUER", ISSUER_URL)
    monkeypatch.setenv("JWT_AUDIENCE", "ningxiang-web,ningxiang-agency")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    reset_settings()
    yield
    reset_settings()


# The seeded tables, built once per session by the real code (create_tables, seed_demo) and copied into each
# test's fresh moto backend: seeding through the services costs ~1-2 s a test, a copy a few milliseconds.
_SEEDED: dict[str, Any] = {}


def _dynamodb_tables() -> Any:
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

    return dynamodb_backends["123456789012"][os.environ["AWS_DEFAULT_REGION"]]  # moto's default account


@pytest.fixture
def aws(env: None) -> Iterator[None]:
    """A fresh moto backend with every table created and the demo grid and accounts seeded. Transactions roll
    back by item as in the local stack (moto_tx): moto's own rollback deep-copies every table a transaction
    names, once per item, which was half of the CPU time of a write-heavy test."""
    moto_tx.install()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        idempotency.reset()
        health.reset()
        jobs.reset()
        if _SEEDED:
            _dynamodb_tables().tables = copy.deepcopy(_SEEDED["tables"])
        else:
            create_tables()
            seed_demo(TEST_API_KEY)
            _SEEDED["tables"] = copy.deepcopy(_dynamodb_tables().tables)
        jobs.create_queues_and_buckets()
        create_state_machines()
        yield
        idempotency.reset()
        health.reset()


@pytest.fixture
def api(aws: None, issuer: LocalIssuer) -> ApiClient:
    return ApiClient(app_module.app, issuer)


@pytest.fixture
def atomic_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies each request atomically; moto's in-process backend does not when threads interleave
    (a transaction copies tables another thread is writing, a condition is checked before another thread's
    write lands). One lock around moto's request handling gives concurrency tests DynamoDB's atomicity; our
    code still runs concurrently, so the races between reads and conditional writes stay real."""
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    """Every line the service logs, at any level, as Powertools writes it (its handler, pointed at a buffer: it
    holds the stdout of whichever test configured it first, so capturing stdout would miss lines)."""
    log = logger()
    handler = log.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    old_stream, old_level = handler.setStream(stream), log.log_level
    log.setLevel("DEBUG")
    try:
        yield stream
    finally:
        log.setLevel(old_level)
        handler.setStream(old_stream)
