"""Test helpers: a JWKS server on loopback, and an API client that behaves like the deployed gateway."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalice.app import Chalice

from chalicelib.localstack.gateway import call, local_gateway
from chalicelib.localstack.issuer import LocalIssuer
from chalicelib.localstack.seed import AGENCY_CLIENT, DEMO_ACCOUNTS, DemoAccount

ACCOUNTS: dict[str, DemoAccount] = {a.username: a for a in (*DEMO_ACCOUNTS, AGENCY_CLIENT)}


@contextmanager
def jwks_server(issuer: LocalIssuer) -> Iterator[str]:
    """Serve the issuer's JWKS on a free loopback port; yield its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = issuer.jwks_json()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def error_code(self) -> str | None:
        data = self.json
        return data["error"]["code"] if isinstance(data, dict) and "error" in data else None


class ApiClient:
    """Calls the Chalice app through Chalice's local gateway, with the deployed API's gateway responses."""

    def __init__(self, app: Chalice, issuer: LocalIssuer) -> None:
        self.gateway = local_gateway(app, "test")
        self.issuer = issuer

    def token(self, username: str, **kwargs: Any) -> str:
        account = ACCOUNTS[username]
        audience = "ningxiang-agency" if account.machine else "ningxiang-web"
        return self.issuer.mint(account.sub, audience=audience, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        user: str | None = None,
        token: str | None = None,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if user is not None:
            token = self.token(user)
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        status, out_headers, out_body = call(self.gateway, method, path, hdrs, data)
        return Answer(status, {k.lower(): v for k, v in out_headers.items()}, out_body)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Answer:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> Answer:
        return self.request("PATCH", path, **kw)
