"""Idempotency-Key support through Powertools idempotency (DynamoDB persistence, payload validation).

The use case is made idempotent, not the raw HTTP event: the key is namespaced by caller and route, the
request body is the validated payload, and the stored result is the (already masked) response.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import BaseMeta, register_model
from chalicelib.core.errors import BadRequest, Conflict, FieldError, IdempotencyMismatch, Unavailable
from chalicelib.core.ids import seeded
from chalicelib.core.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

MAX_KEY_LENGTH = 128


@register_model
class IdempotencyRecordModel(Model):
    """Declared here so the local stack, tests and infra create the table Powertools writes to."""

    class Meta(BaseMeta):
        table_suffix = "idempotency"

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute(null=True)  # epoch seconds written by Powertools; DynamoDB TTL expires it


@functools.cache
def _runner() -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
    # Powertools idempotency imports boto3: loaded on the first idempotent request, not at cold start
    from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    settings = get_settings()
    store = DynamoDBPersistenceLayer(table_name=settings.table_name("idempotency"))
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_ttl_seconds,
    )

    def run(*, request: dict[str, Any], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return work()

    decorated = idempotent_function(data_keyword_argument="request", persistence_store=store, config=config)(run)
    return config, cast("Callable[..., dict[str, Any]]", decorated)


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest(
            "Idempotency-Key 无效（1–128个可打印字符）",
            "Invalid Idempotency-Key (1-128 printable characters)",
            [FieldError("header.Idempotency-Key", "1–128个可打印字符 / 1-128 printable characters")],
        )


def run_once(
    *, key: str, namespace: str, body: Any, work: Callable[[], dict[str, Any]], lambda_context: Any
) -> tuple[dict[str, Any], bool]:
    """Run `work` once per (namespace, key); replay the first result afterwards.

    Returns the result and whether it was a replay. The same key with another body is refused (422).
    """
    from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415 - see _runner
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    check_key(key)
    ran = False

    def tracked() -> dict[str, Any]:
        nonlocal ran
        ran = True
        with seeded(f"{namespace}|{key}"):  # a re-run after a lost answer makes the same ids (core/ids.py)
            return work()

    config, runner = _runner()
    # the in-progress record expires with the invocation, so a crashed attempt does not block retries
    config.register_lambda_context(lambda_context)
    try:
        result = runner(request={"key": f"{namespace}|{key}", "body": body}, work=tracked)
    except IdempotencyValidationError as e:
        raise IdempotencyMismatch(
            "该 Idempotency-Key 已用于另一个请求内容",
            "This Idempotency-Key was already used with a different request body",
            [FieldError("header.Idempotency-Key", "键已被另一请求使用 / key reused with another body")],
        ) from e
    except IdempotencyPersistenceLayerError as e:
        # the idempotency table throttled or failed: the same key may be retried (a finished run replays)
        raise Unavailable("服务繁忙，请稍后重试", "Service busy; retry shortly", headers={"Retry-After": "1"}) from e
    except IdempotencyAlreadyInProgressError as e:
        raise Conflict(
            "相同请求正在处理中，请稍后重试",
            "The same request is still in progress; retry shortly",
            headers={"Retry-After": "1"},
        ) from e
    return result, not ran


def reset() -> None:
    """Drop the cached persistence layer (its boto3 client) - used when tests switch AWS mocks."""
    _runner.cache_clear()
