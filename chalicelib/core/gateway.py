"""API Gateway's own answers (authorizer denials, unknown routes) in the service's error shape.

infra/ renders these as API Gateway "gateway responses"; the local stack and the test client apply the same
templates to Chalice's local gateway, so every error a client sees has one shape.
"""

from __future__ import annotations

import json
from typing import Any

# gateway response type -> (status, code, zh, en)
GATEWAY_RESPONSES: dict[str, tuple[int, str, str, str]] = {
    "UNAUTHORIZED": (401, "unauthenticated", "未登录或令牌无效", "Missing or invalid token"),
    "ACCESS_DENIED": (401, "unauthenticated", "令牌无效、已过期或不被接受", "Token invalid, expired or not accepted"),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "接口不存在", "No such route"),
}


def body_for(response_type: str, request_id: str) -> dict[str, Any]:
    _status, code, zh, en = GATEWAY_RESPONSES[response_type]
    return {"error": {"code": code, "message": zh, "message_en": en, "fields": [], "request_id": request_id}}


def translate_app_response(status: int, body: bytes) -> tuple[int, bytes] | None:
    """Chalice's own 405 for a method the route lacks: API Gateway answers that as an unknown route."""
    if status == 405 and b"MethodNotAllowedError" in body:
        return 404, json.dumps(body_for("MISSING_AUTHENTICATION_TOKEN", ""), ensure_ascii=False).encode()
    return None


def translate(status: int, headers: dict[str, str], body: bytes | None) -> tuple[int, dict[str, str], bytes]:
    """Map a Chalice LocalGatewayException (status, headers, body) to what the deployed API answers."""
    error_type = headers.get("x-amzn-ErrorType", "")
    request_id = headers.get("x-amzn-RequestId", "")
    if status == 401:
        kind = "UNAUTHORIZED"
    elif status == 403 and error_type == "AccessDeniedException":
        kind = "ACCESS_DENIED"
    elif status == 403 and error_type == "UnauthorizedException":
        # no such route: API Gateway answers "Missing Authentication Token" (and, when an Authorization
        # header was sent, a message that echoes it); both become the JSON 404
        kind = "MISSING_AUTHENTICATION_TOKEN"
    else:
        return status, headers, body or b""
    out_status = GATEWAY_RESPONSES[kind][0]
    out_headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
    return out_status, out_headers, json.dumps(body_for(kind, request_id), ensure_ascii=False).encode()
