"""The local issuer's stand-in for Cognito's hosted UI: `/local-auth/oauth2/authorize` (a page to pick a demo
account, then a redirect back with a one-time code), `/local-auth/oauth2/token` (the code and its PKCE verifier
exchanged for the same access token `/local-auth/token` gives) and `/local-auth/logout`. The endpoints and
parameters are Cognito's, so the web app's sign-in code (web/oidc.js) runs unchanged against both.

Rules kept as Cognito keeps them: response_type=code, code_challenge_method=S256 only, a code is good once
for 5 minutes, the token request must bring the same client_id and redirect_uri and a verifier whose SHA-256
is the challenge. Redirects go only to the stack's own origin."""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

CODE_SECONDS = 300


def challenge_of(verifier: str) -> str:
    """BASE64URL(SHA-256(verifier)) without padding (RFC 7636 S256)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class Grant:
    username: str
    client_id: str
    redirect_uri: str
    challenge: str
    expires: float


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class LocalOAuth:
    """One-time authorization codes of the local stack (in memory: a restart forgets pending sign-ins)."""

    def __init__(self, base_url: str, client_id: str) -> None:
        self.base_url, self.client_id = base_url, client_id
        self._codes: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def _check_client(self, params: dict[str, str]) -> None:
        if params.get("client_id") != self.client_id:
            raise OAuthError("invalid_client", "unknown client_id")
        target = urlsplit(params.get("redirect_uri", ""))
        if f"{target.scheme}://{target.netloc}" != self.base_url:
            raise OAuthError("invalid_request", "redirect_uri must be on this stack's origin")

    def authorize_page(self, params: dict[str, str], accounts: list[dict[str, Any]]) -> str:
        """The sign-in page: the request's parameters carried in hidden fields, the demo accounts to pick."""
        self._check_client(params)
        if params.get("response_type") != "code" or params.get("code_challenge_method") != "S256":
            raise OAuthError("invalid_request", "response_type=code with code_challenge_method=S256 is required")
        if not params.get("code_challenge"):
            raise OAuthError("invalid_request", "code_challenge is required")
        keep = ("client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope")
        hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(params.get(k, ""))}">' for k in keep)
        options = "".join(
            f'<option value="{html.escape(a["username"])}">{html.escape(a["display_name"])}</option>' for a in accounts
        )
        return (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>本地统一身份认证 / Local sign-in</title></head><body><main>"
            "<h1>本地统一身份认证 / Local sign-in</h1>"
            '<form method="post" action="/local-auth/oauth2/authorize">'
            f'{hidden}<label for="username">账号 / Account</label> <select id="username" name="username">'
            f'{options}</select> <button id="authorize" type="submit">登录 / Sign in</button></form>'
            "</main></body></html>"
        )

    def grant(self, params: dict[str, str], known: bool) -> str:
        """A picked account: the redirect back, with a fresh one-time code and the caller's state."""
        self._check_client(params)
        if not known:
            raise OAuthError("access_denied", "unknown account")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            raise OAuthError("invalid_request", "code_challenge_method=S256 is required")
        code = secrets.token_urlsafe(24)
        with self._lock:
            now = time.monotonic()
            self._codes = {c: g for c, g in self._codes.items() if g.expires > now}
            self._codes[code] = Grant(
                params["username"], params["client_id"], params["redirect_uri"], params["code_challenge"],
                now + CODE_SECONDS,
            )  # fmt: skip
        query = {"code": code} | ({"state": params["state"]} if params.get("state") else {})
        return f"{params['redirect_uri']}?{urlencode(query)}"

    def exchange(self, params: dict[str, str]) -> str:
        """The token request: the username whose code this is, once the verifier matches the challenge."""
        if params.get("grant_type") != "authorization_code":
            raise OAuthError("unsupported_grant_type", "only authorization_code")
        with self._lock:
            grant = self._codes.pop(params.get("code", ""), None)  # a code is good once
        if grant is None or grant.expires <= time.monotonic():
            raise OAuthError("invalid_grant", "unknown, used or expired code")
        if params.get("client_id") != grant.client_id or params.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError("invalid_grant", "client_id or redirect_uri differ from the authorization request")
        verifier = params.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or not secrets.compare_digest(challenge_of(verifier), grant.challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        return grant.username

    def logout_target(self, params: dict[str, str]) -> str:
        target = params.get("logout_uri", "")
        if params.get("client_id") != self.client_id or not target.startswith(f"{self.base_url}/"):
            raise OAuthError("invalid_request", "logout_uri must be on this stack's origin")
        return target
