"""Powertools Logger and Metrics, created once per process (no AWS client is made here)."""

from __future__ import annotations

import functools

from aws_lambda_powertools import Logger, Metrics


@functools.cache
def logger() -> Logger:
    return Logger(service="ningxiang-governance")


@functools.cache
def metrics() -> Metrics:
    return Metrics(namespace="NingxiangGovernance", service="api")
