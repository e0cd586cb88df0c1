"""Settings read lazily from the environment (never at import time of a route module)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
from dataclasses import dataclass

STAGES = ("local", "test", "dev", "prod")


class SettingsError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    jwks_url: str
    jwt_issuer: str
    jwt_audiences: tuple[str, ...]
    idempotency_ttl_seconds: int
    version: str

    @property
    def is_local(self) -> bool:
        return self.stage in ("local", "test")

    def table_name(self, suffix: str) -> str:
        return f"{self.table_prefix}-{suffix}"

    def state_machine_name(self, workflow: str) -> str:
        return f"{self.table_prefix}-{workflow}"

    def state_machine_arn(self, workflow: str) -> str:
        """`STATE_MACHINE_ARN_PREFIX` (infra/ sets it: arn:aws:states:<region>:<account>:stateMachine:) plus
        the machine's name; the local and test stages use moto's default account."""
        prefix = os.environ.get("STATE_MACHINE_ARN_PREFIX", "").strip()
        if not prefix:
            if not self.is_local:
                raise SettingsError("environment variable STATE_MACHINE_ARN_PREFIX is required")
            prefix = f"arn:aws:states:{self.region}:123456789012:stateMachine:"
        return prefix + self.state_machine_name(workflow)


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


@functools.cache
def get_settings() -> Settings:
    stage = os.environ.get("STAGE", "local")
    if stage not in STAGES:
        raise SettingsError(f"STAGE must be one of {STAGES}, got {stage!r}")
    audiences = tuple(a for a in os.environ.get("JWT_AUDIENCE", "").split(",") if a)
    if not audiences:
        raise SettingsError("environment variable JWT_AUDIENCE is required")
    return Settings(
        stage=stage,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or _require("AWS_REGION"),
        table_prefix=_require("TABLE_PREFIX"),
        jwks_url=_require("JWKS_URL"),
        jwt_issuer=_require("JWT_ISSUER"),
        jwt_audiences=audiences,
        idempotency_ttl_seconds=int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", "86400")),
        version=os.environ.get("APP_VERSION", "0.1.0"),
    )


@functools.cache
def get_data_key() -> bytes:
    """The 32-byte key sealing personal data (ID numbers): `DATA_KEY`, base64. Only the local and test
    stages may run without it, on a fixed development key that protects nothing real."""
    raw = os.environ.get("DATA_KEY", "").strip()
    if not raw:
        if get_settings().is_local:
            return hashlib.sha256(b"ningxiang-local-development-data-key").digest()
        raise SettingsError("environment variable DATA_KEY is required outside the local and test stages")
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as e:
        raise SettingsError("DATA_KEY must be base64") from e
    if len(key) != 32:
        raise SettingsError("DATA_KEY must be 32 bytes (base64)")
    return key


def reset_settings() -> None:
    """Forget cached settings (tests change the environment with monkeypatch, then call this)."""
    get_settings.cache_clear()
    get_data_key.cache_clear()
