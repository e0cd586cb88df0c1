"""Audit archive: the audit table's stream handler copies each new event, as JSON, to the write-once bucket."""

from __future__ import annotations

import json
from typing import Any

import app as app_module
from chalicelib.core import audit_archive, jobs
from chalicelib.core.audit import AuditEventModel
from tests.support import ApiClient

ENTITY = "unit#430182-DCQ-QS-P01"


def _stream_event(event_name: str, model: AuditEventModel) -> dict[str, Any]:
    """The shape DynamoDB Streams hands Lambda (one record, NEW_IMAGE view)."""
    return {
        "Records": [
            {
                "eventID": "1",
                "eventName": event_name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1764115200,
                    "Keys": {"entity": {"S": model.entity}, "seq": {"N": str(model.seq)}},
                    "NewImage": model.serialize(),
                    "SequenceNumber": "100",
                    "SizeBytes": 512,
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/test-audit/stream/2026-11-26T00:00",
            }
        ]
    }


def test_a_new_audit_event_is_archived_once_as_json_under_its_month_and_entity(api: ApiClient) -> None:
    jobs.s3().create_bucket(Bucket=audit_archive.bucket_name(), ObjectLockEnabledForBucket=True)
    assert api.patch("/v1/units/430182-DCQ-QS-P01", user="qs-village", body={"name": "红心片"}).status == 200
    event = AuditEventModel.get(ENTITY, 2)

    app_module.archive_audit(_stream_event("INSERT", event), None)

    key = f"audit/{event.month}/{ENTITY}/000000000002.json"
    listed = jobs.s3().list_objects_v2(Bucket=audit_archive.bucket_name())["Contents"]
    assert [o["Key"] for o in listed] == [key]
    archived = json.loads(jobs.s3().get_object(Bucket=audit_archive.bucket_name(), Key=key)["Body"].read())
    assert archived["hash"] == event.hash and archived["prev_hash"] == event.prev_hash
    assert archived["seq"] == 2 and archived["action"] == "unit.update"
    assert "红心片" not in json.dumps(archived, ensure_ascii=False)  # events hold hashes, never the data


def test_only_inserts_are_archived(api: ApiClient) -> None:
    jobs.s3().create_bucket(Bucket=audit_archive.bucket_name(), ObjectLockEnabledForBucket=True)
    event = AuditEventModel.get(ENTITY, 1)
    app_module.archive_audit(_stream_event("MODIFY", event), None)
    assert jobs.s3().list_objects_v2(Bucket=audit_archive.bucket_name()).get("KeyCount") == 0
    assert audit_archive.deploy_stream_arn().endswith("-audit/stream/replaced-by-infra")
