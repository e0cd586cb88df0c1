"""Powertools Logger and Metrics, created once per process on first use (no AWS client is made here)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics


@functools.cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger  # noqa: PLC0415 - keeps Powertools off the cold-import path

    return Logger(service="ningxiang-governance")


@functools.cache
def metrics() -> Metrics:
    from aws_lambda_powertools import Metrics  # noqa: PLC0415

    return Metrics(namespace="NingxiangGovernance", service="api")
