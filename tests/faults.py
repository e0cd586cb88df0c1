"""DynamoDB faults on demand: a botocore `before-send` hook answers a share of the calls with throttling or a
transient server error, before they reach the backend (so a faulted call wrote nothing).

(Without the redirect below, moto's own before-send handler still applies the faulted call, and the fault is a
lost answer instead: a TransactWriteItems retried by botocore then fails its own conditions under moto, which
ignores ClientRequestToken; DynamoDB honours the token for 10 minutes, so that case is moto's, not ours.)

The hook goes on the botocore client of every PynamoDB connection (each registered model's and the one
`core.db.transaction()` uses) and on every DynamoDB client created while it is installed (the Powertools
idempotency layer's boto3 client among them), first in line, ahead of moto's own `before-send` handler.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from chalicelib.core import db, idempotency

ERRORS = (
    (400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput was exceeded"),
    (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput"),
    (500, "InternalServerError", "Internal server error"),
    (503, "ServiceUnavailable", "Service unavailable"),
)


class Faults:
    def __init__(self, rate: float, seed: int = 11) -> None:
        self.rate = rate
        self.on = False
        self.random = random.Random(seed)  # noqa: S311 - a reproducible fault pattern, not a secret
        self.calls: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.trace: list[str] = []  # operation, and the error injected in its place if any

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse | None:
        operation = str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]
        if not self.on:
            return None
        self.calls[operation] += 1
        if self.random.random() >= self.rate:
            self.trace.append(operation)
            return None
        status, code, message = self.random.choice(ERRORS)
        self.injected[code] += 1
        self.trace.append(f"{operation}!{code}")
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
        headers = {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.0"}
        url = request.url
        # botocore runs every before-send handler and takes the first answer: moto's stubber would still apply
        # the call. Pointing the request where moto serves nothing makes the fault a true "not sent".
        request.url = "http://nx-fault.invalid/"
        return AWSResponse(url, status, headers, MockRawResponse(body))


def _hook(client: Any, faults: Faults) -> None:
    client.meta.events.register_first("before-send.dynamodb", faults, unique_id="nx-faults")


@contextmanager
def dynamodb_faults(rate: float, seed: int = 11) -> Iterator[Faults]:
    """Install the hook (switched off: set `.on`); remove it on exit."""
    faults = Faults(rate, seed)
    clients: list[Any] = []
    for model in db.all_models():
        clients.append(model._get_connection().connection.client)
    clients.append(db._connection().client)
    real_create = botocore.session.Session.create_client

    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = real_create(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            _hook(client, faults)
            clients.append(client)
        return client

    for client in clients:
        _hook(client, faults)
    botocore.session.Session.create_client = create_client
    idempotency.reset()  # Powertools makes its client again, through the hooked create_client
    try:
        yield faults
    finally:
        botocore.session.Session.create_client = real_create
        for client in clients:
            client.meta.events.unregister("before-send.dynamodb", unique_id="nx-faults")
        idempotency.reset()
