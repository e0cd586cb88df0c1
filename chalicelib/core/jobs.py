"""Background jobs: an SQS queue of job ids and an S3 bucket for uploaded files.

A slice registers a runner for a kind of job (`register("import", run_import)`) and enqueues job ids
(`enqueue("import", job_id)`). In AWS the queue triggers the `run_jobs` Lambda handler (app.py, Chalice
`on_sqs_message`); locally and in tests `drain()` receives the messages and runs the same code in-process
(the local stack calls it every second from a background thread).

Names come from settings: queue `<table prefix>-jobs`, bucket `<table prefix>-uploads`. The local stack and
the tests create both with `create_queues_and_buckets()`, as they create the tables; infra/ creates them in AWS.

Delivery is at least once: a runner must claim its job (e.g. a conditional status change queued -> running)
so a message delivered twice runs the job once. A runner's exception is logged and the message is deleted:
the runner records the failure on the job itself.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import Any

from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings

RUNNERS: dict[str, Callable[[str], None]] = {}


def register(kind: str, runner: Callable[[str], None]) -> None:
    RUNNERS[kind] = runner


def queue_name() -> str:
    return f"{get_settings().table_prefix}-jobs"


def bucket_name() -> str:
    return f"{get_settings().table_prefix}-uploads"


def deploy_queue_name() -> str:
    """The queue the SQS handler is bound to when Chalice packages the app (read at import, no client)."""
    return os.environ.get("JOBS_QUEUE") or f"{os.environ.get('TABLE_PREFIX', 'ningxiang-local')}-jobs"


@functools.cache
def _client(service: str, region: str) -> Any:
    import boto3  # noqa: PLC0415 - boto3 only when a job is queued or run, never at cold start

    return boto3.client(service, region_name=region)


def sqs() -> Any:
    return _client("sqs", get_settings().region)


def s3() -> Any:
    return _client("s3", get_settings().region)


def reset() -> None:
    """Forget the cached clients (tests switch AWS mocks)."""
    _client.cache_clear()
    _queue_url.cache_clear()


@functools.cache
def _queue_url(name: str) -> str:
    return str(sqs().get_queue_url(QueueName=name)["QueueUrl"])


def create_queues_and_buckets() -> None:
    """Create the jobs queue and the uploads bucket if missing (local stack and tests; infra/ in AWS)."""
    sqs().create_queue(QueueName=queue_name(), Attributes={"VisibilityTimeout": "900"})
    region = get_settings().region
    try:
        if region == "us-east-1":
            s3().create_bucket(Bucket=bucket_name())
        else:
            s3().create_bucket(Bucket=bucket_name(), CreateBucketConfiguration={"LocationConstraint": region})
    except s3().exceptions.BucketAlreadyOwnedByYou:
        pass


# -- uploads -----------------------------------------------------------------------------------------
def put_upload(key: str, data: bytes, content_type: str) -> None:
    s3().put_object(Bucket=bucket_name(), Key=key, Body=data, ContentType=content_type)


def get_upload(key: str) -> bytes:
    body = s3().get_object(Bucket=bucket_name(), Key=key)["Body"]
    return bytes(body.read())


def delete_upload(key: str) -> None:
    s3().delete_object(Bucket=bucket_name(), Key=key)


# -- queue -------------------------------------------------------------------------------------------
def enqueue(kind: str, job_id: str) -> None:
    sqs().send_message(QueueUrl=_queue_url(queue_name()), MessageBody=json.dumps({"kind": kind, "id": job_id}))


def handle_message(body: str) -> bool:
    """Run the job a message names; False when the message is malformed or its kind unknown."""
    from chalicelib.slices import import_models  # noqa: PLC0415 - importing the slices registers their runners

    import_models()
    try:
        message = json.loads(body)
        kind, job_id = str(message["kind"]), str(message["id"])
    except (ValueError, KeyError, TypeError):
        logger().error("malformed job message", extra={"body": body[:200]})
        return False
    runner = RUNNERS.get(kind)
    if runner is None:
        logger().error("no runner for job kind", extra={"kind": kind})
        return False
    try:
        runner(job_id)
    except Exception:
        logger().exception("job failed", extra={"kind": kind, "job_id": job_id})
        return False
    return True


def drain(*, max_messages: int | None = None) -> int:
    """Receive and run queued jobs until the queue is empty (local stack and tests); returns how many ran."""
    url = _queue_url(queue_name())
    ran = 0
    while max_messages is None or ran < max_messages:
        got = sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            break
        for message in got:
            handle_message(message["Body"])
            sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            ran += 1
    return ran
