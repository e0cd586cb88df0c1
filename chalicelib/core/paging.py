"""Opaque cursors for paged queries (DynamoDB's LastEvaluatedKey, base64url JSON)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.core.errors import BadRequest, FieldError


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as e:
        raise BadRequest(
            "分页游标无效", "Invalid page cursor", [FieldError("query.cursor", "分页游标无效 / invalid cursor")]
        ) from e
    if not isinstance(value, dict):
        raise BadRequest(
            "分页游标无效", "Invalid page cursor", [FieldError("query.cursor", "分页游标无效 / invalid cursor")]
        )
    return value
