"""Which backends answer: one cheap call each (DescribeTable, ListStateMachines)."""

from __future__ import annotations

import functools
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib.core.profiles import ProfileModel

_FAST = Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1})


@functools.cache
def _sfn() -> Any:
    import boto3  # noqa: PLC0415 - boto3 is not needed at cold start; PynamoDB brings botocore only

    return boto3.client("stepfunctions", config=_FAST)


def backends_up() -> dict[str, bool]:
    out: dict[str, bool] = {}
    try:
        ProfileModel.describe_table()
        out["dynamodb"] = True
    except PynamoDBException:
        out["dynamodb"] = False
    try:
        _sfn().list_state_machines(maxResults=1)
        out["stepfunctions"] = True
    except (BotoCoreError, ClientError):
        out["stepfunctions"] = False
    return out


def reset() -> None:
    _sfn.cache_clear()
