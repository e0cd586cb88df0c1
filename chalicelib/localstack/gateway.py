"""Calling the Chalice app as API Gateway would, for the local stack's HTTP server and the test client."""

from __future__ import annotations

import base64

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException

from chalicelib.core.gateway import translate, translate_app_response


def local_gateway(app: Chalice, stage: str) -> LocalGateway:
    return LocalGateway(app, Config.create(chalice_stage=stage, lambda_timeout=30))


def call(
    gateway: LocalGateway, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) as the deployed API answers, gateway responses (infra/) included."""
    try:
        response = gateway.handle_request(method, path, headers, body)
    except LocalGatewayException as e:
        return translate(e.CODE, dict(e.headers), e.body)
    raw = response.get("body") or b""
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw)
    out = raw if isinstance(raw, bytes) else str(raw).encode()
    status = int(response["statusCode"])
    out_headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
    replaced = translate_app_response(status, out)
    if replaced is not None:
        status, out = replaced
        out_headers = {"Content-Type": "application/json"}
    return status, out_headers, out
