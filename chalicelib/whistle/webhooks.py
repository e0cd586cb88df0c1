"""Outbound webhooks per agency: a department subscribes an https URL to events on the tickets dispatched
to it. Each delivery is signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), queued through the jobs queue (SQS),
retried with exponential backoff, logged, and after the last attempt kept on a dead-letter list the agency
can replay. The secret is derived from DATA_KEY and the subscription id: shown once, never stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core import ids, jobs
from chalicelib.core.auth import Principal
from chalicelib.core.db import BaseMeta, register_model
from chalicelib.core.errors import Conflict, Forbidden, field_error, not_found
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_data_key, get_settings
from chalicelib.whistle.schemas import DeliveryList, DeliveryOut, SubscriptionIn, SubscriptionList, SubscriptionOut

MAX_ATTEMPTS = 5
JOB_KIND = "webhook"


def retry_base_seconds() -> int:
    """Backoff base: attempt n waits base * 2**(n-1) seconds (at most 900, SQS's longest delay)."""
    return int(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))


@register_model
class SubscriptionModel(Model):
    class Meta(BaseMeta):
        table_suffix = "webhook-subscriptions"

    agency = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    events = ListAttribute[str](default=list)
    created_at = UnicodeAttribute()


class DeadIndex(GlobalSecondaryIndex["DeliveryModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_dead"
        projection = AllProjection()

    dead_agency = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


@register_model
class DeliveryModel(Model):
    class Meta(BaseMeta):
        table_suffix = "webhook-deliveries"

    id = UnicodeAttribute(hash_key=True)  # msg_<time><random>: also the webhook-id header
    agency = UnicodeAttribute()
    subscription = UnicodeAttribute()
    url = UnicodeAttribute()
    event = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    payload = UnicodeAttribute()  # the exact JSON body signed and sent
    status = UnicodeAttribute()  # pending, delivered, dead
    attempts = NumberAttribute(default=0)
    log = ListAttribute[dict[str, Any]](default=list)  # {at, status, error}
    dead_agency = UnicodeAttribute(null=True)  # set while dead: the agency's dead-letter list (sparse index)
    created_at = UnicodeAttribute()
    by_dead = DeadIndex()


def secret_for(subscription_id: str) -> bytes:
    return hmac.new(get_data_key(), b"webhook:" + subscription_id.encode(), hashlib.sha256).digest()


def shown_secret(subscription_id: str) -> str:
    """The secret as the receiver keeps it (`whsec_` + base64): derived again whenever it is shown."""
    return "whsec_" + base64.b64encode(secret_for(subscription_id)).decode()


def _condition_failed(e: PutError) -> bool:
    return e.cause_response_code == "ConditionalCheckFailedException"


def signature(secret: bytes, msg_id: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret_text: str, headers: dict[str, str], body: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (Standard Webhooks): recompute the signature and check the timestamp."""
    secret = base64.b64decode(secret_text.removeprefix("whsec_"))
    msg_id, ts = headers["webhook-id"], int(headers["webhook-timestamp"])
    if abs(time.time() - ts) > tolerance:
        return False
    expected = signature(secret, msg_id, ts, body).split(",", 1)[1]
    given = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, g) for g in given)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


Sender = Callable[[str, bytes, dict[str, str]], int]


def http_send(url: str, body: bytes, headers: dict[str, str]) -> int:
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - https only
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


class WebhookService:
    def __init__(self, *, send: Sender = http_send) -> None:
        self.send = send

    # -- subscriptions ---------------------------------------------------------------------------------------
    @staticmethod
    def _agency(principal: Principal) -> str:
        if principal.scope_kind != "department":
            raise Forbidden("只有部门或机构可以订阅", "Only a department or agency may subscribe")
        return principal.scope

    def subscribe(self, principal: Principal, data: SubscriptionIn) -> SubscriptionOut:
        agency = self._agency(principal)
        loopback = data.url.startswith(("http://127.0.0.1:", "http://localhost:"))
        if not data.url.startswith("https://") and not (loopback and get_settings().is_local):
            raise field_error("body.url", "接收地址须为 https", "The receiver URL must be https")
        # inside an idempotent request the id derives from the caller and the Idempotency-Key (core/ids.py): a
        # re-run after a lost answer or an expired record meets the subscription the first run wrote
        sub_id = "sub_" + ids.new_hex()[:16]
        item = SubscriptionModel(agency, sub_id, url=data.url, events=list(data.events), created_at=_now())
        try:
            item.save(condition=SubscriptionModel.id.does_not_exist())
        except PutError as e:
            if not _condition_failed(e):
                raise
            item = SubscriptionModel.get(agency, sub_id, consistent_read=True)
            if item.url != data.url or list(item.events) != list(data.events):
                raise Conflict(
                    f"该请求已创建订阅 {sub_id}（接收地址或事件不同）",
                    f"This request already created subscription {sub_id} (another URL or events)",
                ) from e
        return SubscriptionOut(id=sub_id, url=item.url, events=list(item.events), created_at=item.created_at,
                               secret=shown_secret(sub_id))  # fmt: skip

    def subscriptions(self, principal: Principal) -> SubscriptionList:
        items = SubscriptionModel.query(self._agency(principal))
        return SubscriptionList(
            items=[
                SubscriptionOut(id=s.id, url=s.url, events=list(s.events), created_at=s.created_at, secret=None)
                for s in items
            ]
        )

    # -- emitting --------------------------------------------------------------------------------------------
    def emit(self, departments: list[str], event: str, ticket: dict[str, Any]) -> int:
        """Queue one delivery per matching subscription of each department (after the change committed)."""
        queued = 0
        for agency in departments:
            for sub in SubscriptionModel.query(agency):
                if "*" not in sub.events and event not in sub.events:
                    continue
                msg_id = f"msg_{int(time.time() * 1000):013d}{secrets.token_hex(4)}"
                body = json.dumps({"type": event, "timestamp": _now(), "data": ticket}, ensure_ascii=False,
                                  separators=(",", ":"))  # fmt: skip
                DeliveryModel(msg_id, agency=agency, subscription=sub.id, url=sub.url, event=event,
                              ticket_id=str(ticket.get("id")), payload=body, status="pending", log=[],
                              created_at=_now()).save()  # fmt: skip
                jobs.enqueue(JOB_KIND, msg_id)
                queued += 1
        return queued

    # -- delivering ------------------------------------------------------------------------------------------
    def deliver(self, msg_id: str) -> None:
        try:
            item = DeliveryModel.get(msg_id)
        except DeliveryModel.DoesNotExist:
            return
        if item.status != "pending":
            return
        ts = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": item.id,
            "webhook-timestamp": str(ts),
            "webhook-signature": signature(secret_for(item.subscription), item.id, ts, item.payload),
        }
        try:
            status, error = self.send(item.url, item.payload.encode(), headers), None
        except OSError as e:
            status, error = 0, type(e).__name__
        attempts = int(item.attempts or 0) + 1
        entry = {"at": _now(), "attempt": attempts, "status": status, "error": error}
        actions: list[Action] = [
            DeliveryModel.attempts.set(attempts),
            DeliveryModel.log.set((DeliveryModel.log | []).append([entry])),
        ]
        if 200 <= status < 300:
            item.update(actions=[*actions, DeliveryModel.status.set("delivered")])
            return
        if attempts >= MAX_ATTEMPTS:
            item.update(
                actions=[*actions, DeliveryModel.status.set("dead"), DeliveryModel.dead_agency.set(item.agency)]
            )
            logger().warning("webhook dead-lettered", extra={"delivery": item.id, "agency": item.agency})
            return
        item.update(actions=actions)
        delay = min(900, retry_base_seconds() * 2 ** (attempts - 1))
        queue = jobs.sqs().get_queue_url(QueueName=jobs.queue_name())["QueueUrl"]
        jobs.sqs().send_message(
            QueueUrl=queue, MessageBody=json.dumps({"kind": JOB_KIND, "id": item.id}), DelaySeconds=delay
        )

    # -- the log and the dead letters ------------------------------------------------------------------------
    @staticmethod
    def _out(d: DeliveryModel) -> DeliveryOut:
        return DeliveryOut(id=d.id, subscription=d.subscription, event=d.event, ticket_id=d.ticket_id,
                           status=d.status, attempts=int(d.attempts or 0), log=[dict(x) for x in d.log or []],
                           created_at=d.created_at)  # fmt: skip

    def dead_letters(self, principal: Principal) -> DeliveryList:
        agency = self._agency(principal)
        return DeliveryList(items=[self._out(d) for d in DeliveryModel.by_dead.query(agency)])

    def delivery(self, principal: Principal, msg_id: str) -> DeliveryOut:
        agency = self._agency(principal)
        try:
            item = DeliveryModel.get(msg_id)
        except DeliveryModel.DoesNotExist as e:
            raise not_found("投递记录", "Delivery") from e
        if item.agency != agency:
            raise not_found("投递记录", "Delivery")
        return self._out(item)

    def replay(self, principal: Principal, msg_id: str) -> DeliveryOut:
        """A dead letter goes back to pending with a fresh set of attempts."""
        self.delivery(principal, msg_id)
        item = DeliveryModel.get(msg_id)
        if item.status != "dead":
            raise Conflict("只有失败的投递可以重发", "Only a dead-lettered delivery can be replayed")
        item.update(
            actions=[
                DeliveryModel.status.set("pending"),
                DeliveryModel.attempts.set(0),
                DeliveryModel.dead_agency.remove(),
            ],
            condition=DeliveryModel.status == "dead",
        )
        jobs.enqueue(JOB_KIND, msg_id)
        return self._out(item)


def run_delivery(msg_id: str) -> None:
    WebhookService().deliver(msg_id)


jobs.register(JOB_KIND, run_delivery)
