"""The deliberation (民情三会), whistle (吹哨报到) and dashboard pages in a real browser, and the hosted-UI sign-in.

web/tests/flows.test.mjs drives Debian's Chromium (playwright-core) through the UI only, against the local stack
of the `stack` fixture: a courtyard meeting and the analysis meeting, a whistle to closure, the dashboards, the
Cognito-style sign-in (authorization code + PKCE) on the local issuer; axe-core at 360 px on every page,
screenshots in test-artifacts/web/. The local issuer's OAuth rules are also checked here over plain HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.e2e.stack_process import StackProcess
from tests.e2e.test_web_browser import ARTIFACTS, CHROMIUM, _node, _run

pytestmark = pytest.mark.e2e

CLIENT = "ningxiang-web"


def test_flows_in_chromium(stack: StackProcess) -> None:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # the 12345 hotline posts two tickets in 大成桥镇 today: the town's dashboard draws them in its 12345 trend
    agency = stack.token("agency-12345")
    for unit in ("430182-DCQ-QS", "430182-DCQ"):
        body = {"id": f"12345-WEB-{secrets.token_hex(4)}", "kind": "complaint", "category": "road_traffic",
                "text": "村道塌陷，夜间无警示", "unit": unit}  # fmt: skip
        posted = stack.post("/v1/hotline-tickets", body, token=agency)
        assert posted.status_code == 201, posted.text
    done = _run(
        _node(),
        "tests/flows.test.mjs",
        env={"BASE_URL": stack.base_url, "ARTIFACT_DIR": str(ARTIFACTS), "CHROMIUM": str(CHROMIUM)},
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-3000:] + stack.output()[-2000:]
    assert "ℹ fail 0" in done.stdout and "ℹ skipped 0" in done.stdout, done.stdout[-3000:]
    for name in ("21-courtyard-meeting", "31-whistle-department", "32-whistle-closed", "40-dashboard-town"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 0


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _code(stack: StackProcess, verifier: str, username: str = "qs-group") -> str:
    """The hosted page's form posted: a redirect back to the app with a one-time code and the state."""
    answer = requests.post(
        f"{stack.base_url}/local-auth/oauth2/authorize",
        data={
            "client_id": CLIENT,
            "redirect_uri": f"{stack.base_url}/",
            "state": "st-1",
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
            "username": username,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{stack.base_url}/"
    query = parse_qs(back.query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def _exchange(stack: StackProcess, code: str, verifier: str) -> requests.Response:
    return requests.post(
        f"{stack.base_url}/local-auth/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": CLIENT,
            "code": code,
            "redirect_uri": f"{stack.base_url}/",
            "code_verifier": verifier,
        },
        timeout=10,
    )


def test_local_issuer_hosted_ui_keeps_the_pkce_rules(stack: StackProcess) -> None:
    verifier = secrets.token_urlsafe(48)
    # a wrong verifier is refused, and it burns the code (a code is good once)
    code = _code(stack, verifier)
    wrong = _exchange(stack, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert _exchange(stack, code, verifier).status_code == 400
    # the right verifier gets an access token the API takes; the code cannot be used twice
    code = _code(stack, verifier)
    good = _exchange(stack, code, verifier)
    assert good.status_code == 200, good.text
    me = requests.get(
        f"{stack.base_url}/v1/me", headers={"Authorization": f"Bearer {good.json()['access_token']}"}, timeout=10
    )
    assert me.status_code == 200 and me.json()["role"] == "group_head"
    assert _exchange(stack, code, verifier).json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"redirect_uri": "https://evil.example/"}, "invalid_request"),
        ({"client_id": "someone-else"}, "invalid_client"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "invalid_request"),
    ],
)
def test_local_issuer_authorize_page_refuses_bad_requests(
    stack: StackProcess, change: dict[str, str], error: str
) -> None:
    params = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": f"{stack.base_url}/",
        "state": "s",
        "code_challenge": _challenge("x" * 43),
        "code_challenge_method": "S256",
    }
    page = requests.get(f"{stack.base_url}/local-auth/oauth2/authorize", params=params, timeout=10)
    assert page.status_code == 200 and 'id="authorize"' in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    bad = requests.get(f"{stack.base_url}/local-auth/oauth2/authorize", params=params | change, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"] == error


def test_local_issuer_logout_returns_only_to_the_stack(stack: StackProcess) -> None:
    url = f"{stack.base_url}/local-auth/logout"
    home = requests.get(
        url, params={"client_id": CLIENT, "logout_uri": f"{stack.base_url}/"}, allow_redirects=False, timeout=10
    )
    assert home.status_code == 302 and home.headers["Location"] == f"{stack.base_url}/"
    away = requests.get(
        url, params={"client_id": CLIENT, "logout_uri": "https://evil.example/"}, allow_redirects=False, timeout=10
    )
    assert away.status_code == 400
