"""Audit archive: every audit event, as the audit table's stream delivers it (NEW_IMAGE), is copied to the
write-once bucket `<table prefix>-audit-archive` (S3 Object Lock, created by infra/), one JSON object per
event. The stream handler in app.py calls `archive_record`; nothing here runs locally (no stream there).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

from chalicelib.core import jobs
from chalicelib.core.settings import get_settings


def bucket_name() -> str:
    return f"{get_settings().table_prefix}-audit-archive"


def deploy_stream_arn() -> str:
    """The stream the handler is bound to when Chalice packages the app (read at import, no client).
    infra/ replaces it with the audit table's real stream ARN, which exists only once the table does."""
    prefix = os.environ.get("TABLE_PREFIX", "ningxiang-local")
    return os.environ.get("AUDIT_STREAM_ARN") or (
        f"arn:aws:dynamodb:us-east-1:000000000000:table/{prefix}-audit/stream/replaced-by-infra"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value


def object_key(event: dict[str, Any]) -> str:
    """audit/<month>/<entity>/<seq>.json: one object per event, listed by month then entity."""
    return f"audit/{event['month']}/{event['entity']}/{int(event['seq']):012d}.json"


def archive_record(event_name: str, new_image: dict[str, Any] | None) -> str | None:
    """Write one streamed audit event to the archive; returns its key (None for anything but an insert:
    events are append-only, so a change or removal is left to the table's own history)."""
    if event_name != "INSERT" or not new_image:
        return None
    from boto3.dynamodb.types import TypeDeserializer  # noqa: PLC0415 - only in the stream handler

    deserializer = TypeDeserializer()
    event = _plain({k: deserializer.deserialize(v) for k, v in new_image.items()})
    key = object_key(event)
    body = json.dumps(event, ensure_ascii=False, sort_keys=True).encode()
    # Object Lock needs an integrity checksum on every write
    jobs.s3().put_object(
        Bucket=bucket_name(), Key=key, Body=body, ContentType="application/json", ChecksumAlgorithm="SHA256"
    )
    return key
