"""Domain events other slices act on, published through the jobs queue after the change that caused them is
committed (SQS in AWS; drained in-process by the local stack and the tests). A consumer must be idempotent
on the event id: SQS delivers at least once."""

from __future__ import annotations

from chalicelib.core import jobs

# an event kind is a job kind: the consumer registers a runner for it (`jobs.register`)
SCORING_CREDIT = "scoring.credit"


def publish(kind: str, event_id: str) -> None:
    jobs.enqueue(kind, event_id)
