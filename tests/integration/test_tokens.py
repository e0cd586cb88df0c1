"""Every malformed, expired, misdirected or unsigned token is refused with a JSON 401; nothing runs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from chalicelib.localstack.issuer import LocalIssuer
from tests.support import ACCOUNTS, ApiClient


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _assert_401(api: ApiClient, token: str | None, headers: dict[str, str] | None = None) -> None:
    answer = api.get("/v1/me", token=token, headers=headers)
    assert answer.status == 401
    error = answer.json["error"]
    assert error["code"] == "unauthenticated"
    assert error["message"] and error["message_en"]
    assert "request_id" in error


def test_valid_token_is_accepted(api: ApiClient) -> None:
    assert api.get("/v1/me", user="dcq-town").status == 200


def test_missing_token(api: ApiClient) -> None:
    _assert_401(api, None)


@pytest.mark.parametrize("value", ["garbage", "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz"])
def test_malformed_authorization_header(api: ApiClient, value: str) -> None:
    _assert_401(api, None, headers={"Authorization": value})


def test_expired_token(api: ApiClient) -> None:
    _assert_401(api, api.token("dcq-town", now=time.time() - 7200, ttl_seconds=600))


def test_wrong_issuer(api: ApiClient) -> None:
    _assert_401(api, api.token("dcq-town", issuer="https://evil.example/issuer"))


def test_wrong_audience(api: ApiClient, issuer: LocalIssuer) -> None:
    _assert_401(api, issuer.mint(ACCOUNTS["dcq-town"].sub, audience="someone-else"))


def test_alg_none_token(api: ApiClient) -> None:
    claims = {
        "iss": "http://127.0.0.1/test-issuer",
        "sub": ACCOUNTS["city-admin"].sub,
        "aud": "ningxiang-web",
        "iat": int(time.time()),
        "exp": int(time.time()) + 600,
    }
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    _assert_401(api, token)


def test_hs256_signed_with_the_public_key_is_refused(api: ApiClient, issuer: LocalIssuer) -> None:
    claims = {
        "iss": issuer.issuer,
        "sub": ACCOUNTS["city-admin"].sub,
        "aud": "ningxiang-web",
        "iat": int(time.time()),
        "exp": int(time.time()) + 600,
    }
    # the classic key-confusion attack: HMAC keyed with the (public) RSA key material
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': issuer.kid})}.{_b64(claims)}"
    secret = json.dumps(issuer.jwks()["keys"][0]).encode()
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    _assert_401(api, f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}")


def test_token_signed_by_another_key(api: ApiClient) -> None:
    stranger = LocalIssuer.ephemeral("http://127.0.0.1/test-issuer")
    _assert_401(api, stranger.mint(ACCOUNTS["city-admin"].sub))


def test_tampered_payload(api: ApiClient) -> None:
    header, _payload, signature = api.token("qs-group").split(".")
    forged = _b64(
        {
            "iss": "http://127.0.0.1/test-issuer",
            "sub": ACCOUNTS["city-admin"].sub,
            "aud": "ningxiang-web",
            "iat": int(time.time()),
            "exp": int(time.time()) + 600,
        }
    )
    _assert_401(api, f"{header}.{forged}.{signature}")


def test_valid_token_for_a_subject_without_profile_is_forbidden(api: ApiClient, issuer: LocalIssuer) -> None:
    answer = api.get("/v1/me", token=issuer.mint("no-such-subject"))
    assert answer.status == 403
    assert answer.error_code == "forbidden"


def test_agency_client_token_with_agency_audience(api: ApiClient) -> None:
    answer = api.get("/v1/me", user="agency-12345")
    assert answer.status == 200
    assert answer.json["role"] == "department"
    assert answer.json["scope"] == {"kind": "department", "path": "hotline12345"}
