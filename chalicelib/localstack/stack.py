"""The local stack behind `make run`: moto server (DynamoDB, Step Functions), the Chalice app in-process,
the web frontend and the local identity provider, all on 127.0.0.1."""

from __future__ import annotations

import contextlib
import faulthandler
import json
import logging
import mimetypes
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from moto.server import ThreadedMotoServer

import app as app_module
from chalicelib.core import jobs, workflows
from chalicelib.core.apikeys import new_api_key
from chalicelib.core.csp import content_security_policy
from chalicelib.core.db import create_tables
from chalicelib.core.profiles import ProfileStore
from chalicelib.core.settings import reset_settings
from chalicelib.localstack import moto_tx
from chalicelib.localstack.gateway import call, local_gateway
from chalicelib.localstack.issuer import AGENCY_AUDIENCE, WEB_AUDIENCE, LocalIssuer
from chalicelib.localstack.oauth import LocalOAuth, OAuthError
from chalicelib.localstack.seed import AGENCY_CLIENT, DEMO_ACCOUNTS, seed_demo, seed_demo_people
from chalicelib.localstack.state import create_state_machines, load_tables, save_tables

PROJECT_DIR = Path(__file__).resolve().parents[2]
API_PREFIXES = ("/v1/", "/health", "/openapi.json", "/open311/")
OAUTH_PATHS = ("/local-auth/oauth2/authorize", "/local-auth/oauth2/token", "/local-auth/logout")  # localstack/oauth.py
# web/node_modules holds the frontend's npm packages (`npm ci` in web/); only what pages load is served
WEB_VENDOR = ("node_modules/echarts/dist/",)
STOP_GRACE = 20.0  # seconds Ctrl-C waits for the request or job in the app before saving without it
STEP_LIMIT = 10.0  # seconds for each step of a stop (closing the server, the save after the grace, moto)
STATIC_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class LocalStack:
    def __init__(
        self,
        *,
        port: int = 8000,
        moto_port: int = 5000,
        state_dir: Path = PROJECT_DIR / ".local",
        web_dir: Path = PROJECT_DIR / "web",
        save_interval: float = 120.0,
        seed: bool = True,
        serve_http: bool = True,
    ) -> None:
        self.port, self.moto_port = port or free_port(), moto_port or free_port()
        self.serve_http = serve_http
        self.state_dir, self.web_dir = state_dir, web_dir
        self.save_interval, self.seed = save_interval, seed
        self.base_url = f"http://127.0.0.1:{self.port}"
        # the pages' CSP: the uploads bucket is moto's (AWS_ENDPOINT_URL below), as the presigned links name it
        self.web_policy = content_security_policy(uploads=[f"http://127.0.0.1:{self.moto_port}"])
        self.oauth = LocalOAuth(self.base_url, WEB_AUDIENCE)  # Cognito's hosted-UI endpoints (web/oidc.js)
        self._stop = threading.Event()
        self._lock = _Turn()  # one request in the app at a time, as in one Lambda container
        self._moto: ThreadedMotoServer | None = None
        self._http: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.api_key = ""

    # -- environment -------------------------------------------------------------------------------
    def _configure_environment(self) -> None:
        """The local stage's settings from .chalice/config.json, pointed at this stack's ports."""
        config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
        env: dict[str, str] = {**config.get("environment_variables", {})}
        env.update(config["stages"]["local"]["environment_variables"])
        env.update(
            {
                "JWKS_URL": f"{self.base_url}/.well-known/jwks.json",
                "JWT_ISSUER": f"{self.base_url}/local-auth",
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.moto_port}",
                "MOTO_PORT": str(self.moto_port),
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
            }
        )
        os.environ.update(env)  # this process *is* the local Lambda environment
        os.environ.pop("AWS_REGION", None)
        reset_settings()

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._configure_environment()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request otherwise
        moto_tx.install()  # transactions roll back by item, not by copying whole tables
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        requests.post(
            f"http://127.0.0.1:{self.moto_port}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}},
            timeout=10,
        ).raise_for_status()
        create_tables()
        jobs.create_queues_and_buckets()
        restored = load_tables(self.state_dir / "tables.json")
        self.state_machines = create_state_machines()
        self.issuer = LocalIssuer.load_or_create(self.state_dir / "issuer-key.pem", f"{self.base_url}/local-auth")
        self.api_key = self._agency_api_key()
        if self.seed:
            seed_demo(self.api_key)
            seed_demo_people()
        self.resumed = workflows.resume_all()
        self.restored = restored
        if self.serve_http:
            self._serve()
        self._every(self.save_interval, self.save, "state-saver")
        self._every(1.0, self._drain_jobs, "job-drain")  # SQS -> Lambda, locally: queued jobs run in this process

    def _agency_api_key(self) -> str:
        path = self.state_dir / "agency-api-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(new_api_key())
        return path.read_text().strip()

    def _every(self, interval: float, fn: Any, name: str) -> None:
        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    fn()
                except Exception:  # keep the loop alive: the next round tries again
                    logging.getLogger(__name__).exception("%s failed", name)

        t = threading.Thread(target=loop, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def _drain_jobs(self) -> None:
        # a job runs like one Lambda invocation: not alongside a request, nor a state save
        with self._lock.taken("queued jobs"):
            jobs.drain()

    def save(self) -> int:
        """Save every table; holds the request lock, since moto's scan fails on a table written meanwhile."""
        with self._lock.taken("state save"):
            return save_tables(self.state_dir / "tables.json")

    def stop(self) -> str:
        """Stop serving, save every table, stop moto; return what each step took (the log shows it). Each step
        has a time limit, so Ctrl-C always ends the process: one that overruns is reported with every
        thread's stack and left behind (its thread is a daemon)."""
        if self._stop.is_set():
            return "already stopped"
        self._stop.set()
        steps: list[str] = []
        if self._http is not None:
            steps.append(_bounded("http", self._close_http, STEP_LIMIT))
        try:
            steps.append(_bounded("save", self._final_save, STOP_GRACE + STEP_LIMIT, unit="items"))
        finally:
            if self._moto is not None:
                steps.append(_bounded("moto", self._moto.stop, STEP_LIMIT))
        return ", ".join(steps)

    def _close_http(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    def _final_save(self) -> int:
        """The save on stop waits STOP_GRACE seconds for the request or job in the app; one that is still
        running then is named in the log with every thread's stack, and the tables are saved without it
        (a scan that meets its write is retried), so Ctrl-C always stops the stack with its state."""
        if self._lock.acquire(timeout=STOP_GRACE):
            try:
                return save_tables(self.state_dir / "tables.json")
            finally:
                self._lock.release()
        holder, held = self._lock.holder()
        print(f"stopping: not waiting for {holder or 'the app'} (busy for {held:.0f} s); every thread:", flush=True)
        faulthandler.dump_traceback(all_threads=True)
        for attempt in range(5):
            try:
                return save_tables(self.state_dir / "tables.json")
            except RuntimeError:  # moto's scan over a table the running request writes
                time.sleep(0.2 * (attempt + 1))
        return save_tables(self.state_dir / "tables.json")

    # -- HTTP --------------------------------------------------------------------------------------
    def _serve(self) -> None:
        gateway = local_gateway(app_module.app, "local")
        handler = _make_handler(self, gateway)
        self._http = _Server(("127.0.0.1", self.port), handler)
        self._http.daemon_threads = True
        t = threading.Thread(target=self._http.serve_forever, name="http", daemon=True)
        t.start()
        self._threads.append(t)

    def accounts(self) -> dict[str, Any]:
        return {
            "accounts": [
                {"username": a.username, "display_name": a.display_name, "role": a.role, "scope": a.scope}
                for a in DEMO_ACCOUNTS
            ],
            "clients": [
                {
                    "client_id": AGENCY_CLIENT.username,
                    "username": AGENCY_CLIENT.username,
                    "display_name": AGENCY_CLIENT.display_name,
                    "role": AGENCY_CLIENT.role,
                    "scope": AGENCY_CLIENT.scope,
                    "api_key": self.api_key,
                }
            ],
        }

    def token_for(self, username: str) -> str | None:
        sub = ProfileStore().sub_for_username(username)
        if sub is None:
            return None
        audience = AGENCY_AUDIENCE if username == AGENCY_CLIENT.username else WEB_AUDIENCE
        return self.issuer.mint(sub, audience=audience, extra={"username": username})


def _make_handler(stack: LocalStack, gateway: Any) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ningxiang-local"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep the access log quiet
            return

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, data: Any) -> None:
            self._send(status, {"Content-Type": "application/json"}, json.dumps(data, ensure_ascii=False).encode())

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _dispatch(self) -> None:
            path = urlsplit(self.path).path
            if path == "/.well-known/jwks.json" and self.command == "GET":
                return self._send(200, {"Content-Type": "application/json"}, stack.issuer.jwks_json())
            if path == "/local-auth/accounts" and self.command == "GET":
                return self._json(200, stack.accounts())
            if (path == "/local-auth/token" and self.command == "POST") or path in OAUTH_PATHS:
                return self._token() if path == "/local-auth/token" else self._oauth(path)
            if path.startswith(API_PREFIXES):
                return self._api()
            if self.command in ("GET", "HEAD"):
                return self._static(path)
            return self._json(404, _not_found())

        def _oauth(self, path: str) -> None:
            """Cognito's authorize (GET page, POST pick), token and logout endpoints, on the local issuer."""
            form = dict(parse_qsl(self._body().decode("utf-8", "replace"))) if self.command == "POST" else {}
            params, call = dict(parse_qsl(urlsplit(self.path).query)) | form, (path, self.command)
            html_type = {"Content-Type": "text/html; charset=utf-8", **STATIC_HEADERS}
            try:
                if call == ("/local-auth/oauth2/token", "POST"):
                    token = stack.token_for(stack.oauth.exchange(params))
                    if token is None:
                        raise OAuthError("invalid_grant", "the account is gone")
                    self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})
                elif call == ("/local-auth/oauth2/authorize", "GET"):
                    page = stack.oauth.authorize_page(params, stack.accounts()["accounts"])
                    self._send(200, html_type, page.encode())
                elif call == ("/local-auth/oauth2/authorize", "POST"):
                    user = params.get("username", "")
                    self._send(302, {"Location": stack.oauth.grant(params, stack.token_for(user) is not None)}, b"")
                elif call == ("/local-auth/logout", "GET"):
                    self._send(302, {"Location": stack.oauth.logout_target(params)}, b"")
                else:
                    self._json(405, {"error": "invalid_request", "error_description": "method not allowed"})
            except OAuthError as e:
                self._json(400, e.body())

        def _token(self) -> None:
            try:
                username = json.loads(self._body() or b"{}").get("username")
            except (ValueError, AttributeError):
                username = None
            token = stack.token_for(username) if isinstance(username, str) else None
            if token is None:
                return self._json(
                    400,
                    {
                        "error": {
                            "code": "unknown_user",
                            "message": "没有这个演示账号",
                            "message_en": "No such demo account",
                            "fields": [{"path": "body.username", "message": "未知账号 / unknown account"}],
                            "request_id": "",
                        }
                    },
                )
            return self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

        def _api(self) -> None:
            body = self._body()
            with stack._lock.taken(f"{self.command} {urlsplit(self.path).path}"):
                status, headers, out = call(gateway, self.command, self.path, dict(self.headers.items()), body)
            self._send(status, headers, out)

        def _static(self, path: str) -> None:
            rel = "index.html" if path in ("", "/") else path.lstrip("/")
            target = (stack.web_dir / rel).resolve()
            root, vendor = stack.web_dir.resolve(), (stack.web_dir / "node_modules").resolve()  # a symlink in worktrees
            if not (target.is_relative_to(root) or target.is_relative_to(vendor)) or not target.is_file():
                return self._json(404, _not_found())
            inside = (
                target.relative_to(root).as_posix()
                if target.is_relative_to(root)
                else f"node_modules/{target.relative_to(vendor).as_posix()}"
            )
            if inside.startswith(("node_modules/", "tests/", "package")) and not inside.startswith(WEB_VENDOR):
                return self._json(404, _not_found())
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if ctype == "text/javascript":
                ctype = "application/javascript"
            if ctype.startswith("text/") or "javascript" in ctype:
                ctype += "; charset=utf-8"
            headers = {"Content-Type": ctype, "Cache-Control": "no-cache", **STATIC_HEADERS}
            # photos go from the browser straight to S3 (presigned POST) and back (presigned GET): here moto
            headers["Content-Security-Policy"] = stack.web_policy
            self._send(200, headers, target.read_bytes())

        def do_GET(self) -> None:
            self._dispatch()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

        def __getattr__(self, name: str) -> Any:
            """Any other method (TRACE, CONNECT, made-up ones) goes where API Gateway sends it: an
            unknown route, answered in the service's JSON error shape, never the stdlib's HTML 501."""
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

    return Handler


def _not_found() -> dict[str, Any]:
    return {
        "error": {
            "code": "not_found",
            "message": "页面不存在",
            "message_en": "Not found",
            "fields": [],
            "request_id": "",
        }
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base_url}/health", timeout=2).status_code == HTTPStatus.OK:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{base_url} did not come up")
        time.sleep(0.2)


def _bounded(what: str, fn: Callable[[], object], limit: float, unit: str = "") -> str:
    """Run one step of the stop in its own thread and wait at most `limit` seconds for it."""
    result: list[object] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as e:  # raised again in the caller's thread
            error.append(e)

    started = time.monotonic()
    worker = threading.Thread(target=run, name=f"stop-{what}", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        print(f"stopping: {what} did not finish within {limit:.0f} s; every thread:", flush=True)
        faulthandler.dump_traceback(all_threads=True)
        return f"{what} abandoned after {limit:.0f} s"
    if error:
        raise error[0]
    took = f"{what} {time.monotonic() - started:.1f} s"
    return f"{took} ({result[0]} {unit})" if unit else took


class _Turn:
    """The app's one-at-a-time lock, which remembers who holds it and since when (for the log on stop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder = ("", 0.0)

    def acquire(self, timeout: float = -1) -> bool:
        return self._lock.acquire(timeout=timeout)

    def release(self) -> None:
        self._lock.release()

    def holder(self) -> tuple[str, float]:
        """What holds the lock and for how many seconds ("" if nothing does)."""
        what, since = self._holder
        return what, (time.monotonic() - since if what else 0.0)

    @contextlib.contextmanager
    def taken(self, what: str) -> Iterator[None]:
        with self._lock:
            self._holder = (what, time.monotonic())
            try:
                yield
            finally:
                self._holder = ("", 0.0)


class _Server(ThreadingHTTPServer):
    """A listen backlog for a burst of clients (the default of 5 resets the 6th concurrent connection), and
    quiet about clients that hang up."""

    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a browser closing a tab, a timed-out test client) is not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
