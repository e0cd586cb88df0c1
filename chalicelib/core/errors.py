"""Domain errors and their one mapping to HTTP answers.

Every error body has the same shape::

    {"error": {"code", "message" (zh-CN), "message_en", "fields": [{"path", "message"}], "request_id"}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class ApiError(Exception):
    """Base of every error the API answers with; never carries personal data."""

    message: str
    message_en: str
    fields: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def body(self, request_id: str) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "message_en": self.message_en,
                "fields": [f.as_dict() for f in self.fields],
                "request_id": request_id,
            }
        }


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class Unauthenticated(ApiError):
    status = 401
    code = "unauthenticated"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class ValidationFailed(ApiError):
    status = 422
    code = "validation_failed"


class IdempotencyMismatch(ApiError):
    status = 422
    code = "idempotency_key_reused"


class TooManyRequests(ApiError):
    status = 429
    code = "too_many_requests"


class Unavailable(ApiError):
    status = 503
    code = "unavailable"


def not_found(what_zh: str, what_en: str) -> NotFound:
    return NotFound(f"{what_zh}不存在或不在您的管辖范围内", f"{what_en} not found or outside your scope")


def field_error(path: str, zh: str, en: str) -> ValidationFailed:
    """A rule broken by one field: the message, and the field named with it."""
    return ValidationFailed(zh, en, [FieldError(path, f"{zh} / {en}")])


def check_version(if_match: int | None, version: Any) -> None:
    """Optimistic locking: an If-Match that is not the record's version is a 409."""
    if if_match is not None and if_match != int(version or 0):
        raise Conflict(
            f"记录已被修改（当前版本 {version}），请刷新后重试",
            f"Stale version: the record is now at version {version}; reload and retry",
        )


def internal_error_body(request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": "internal_error",
            "message": "服务内部错误，请稍后重试",
            "message_en": "Internal error; please retry later",
            "fields": [],
            "request_id": request_id,
        }
    }
