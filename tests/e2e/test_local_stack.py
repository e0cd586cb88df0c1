"""End to end: `python -m chalicelib.localstack` in a subprocess, called over HTTP as a browser or client would."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from tests.e2e.stack_process import StackProcess

pytestmark = pytest.mark.e2e

ROLES = {
    "neighbour_head",
    "group_head",
    "area_head",
    "village_cadre",
    "town_cadre",
    "city_admin",
    "department",
    "auditor",
}
AGENCY = "agency-12345"


def _raw_get(stack: StackProcess, path: str) -> tuple[int, bytes]:
    """GET `path` exactly as written (requests would normalise "/../" away before sending it)."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def _assert_error(body: Any, code: str) -> None:
    assert isinstance(body, dict)
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["message_en"], str) and error["message_en"]
    assert "fields" in error
    assert "request_id" in error


def _verify(stack: StackProcess, token: str, audience: str) -> dict[str, Any]:
    signing_key = jwt.PyJWKClient(f"{stack.base_url}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, signing_key.key, algorithms=["RS256"], audience=audience, issuer=f"{stack.base_url}/local-auth"
    )
    return claims


# -- the shared stack --------------------------------------------------------------------------------------


def test_health_reports_both_backends(stack: StackProcess) -> None:
    answer = stack.get("/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert body["stage"] == "local"
    assert body["backends"] == {"dynamodb": True, "stepfunctions": True}


def test_web_page_and_script_are_served_with_security_headers(stack: StackProcess) -> None:
    page = stack.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "宁乡" in page.content.decode("utf-8")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"

    script = stack.get("/app.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert script.headers["Content-Security-Policy"]
    assert script.content == (Path(__file__).resolve().parents[2] / "web" / "app.js").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/..%2fpyproject.toml",
        "/web/../../app.py",
    ],
)
def test_path_traversal_is_not_found(stack: StackProcess, path: str) -> None:
    status, body = _raw_get(stack, path)
    assert status == 404
    assert b"ningxiang-governance" not in body
    _assert_error(json.loads(body), "not_found")


def test_every_demo_account_signs_in_and_sees_its_own_profile(stack: StackProcess) -> None:
    answer = stack.get("/local-auth/accounts")
    assert answer.status_code == 200
    listing = answer.json()
    accounts = listing["accounts"]
    assert {a["role"] for a in accounts} == ROLES
    (agency,) = listing["clients"]
    assert agency["username"] == AGENCY
    assert agency["api_key"] == (stack.state_dir / "agency-api-key").read_text().strip()
    assert len(agency["api_key"]) >= 32

    for account in (*accounts, agency):
        token = stack.token(account["username"])
        me = stack.get("/v1/me", token=token)
        assert me.status_code == 200, (account["username"], me.text)
        body = me.json()
        assert body["username"] == account["username"]
        assert body["role"] == account["role"]
        assert body["scope"]["path"] == account["scope"]


def test_unknown_demo_account_gets_no_token(stack: StackProcess) -> None:
    answer = stack.post("/local-auth/token", {"username": "nobody"})
    assert answer.status_code == 400
    _assert_error(answer.json(), "unknown_user")


def test_token_is_an_rs256_jwt_verifiable_with_the_published_jwks(stack: StackProcess) -> None:
    token = stack.token("qs-village")
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    jwks = stack.get("/.well-known/jwks.json").json()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}

    claims = _verify(stack, token, "ningxiang-web")
    assert claims["iss"] == f"http://127.0.0.1:{stack.port}/local-auth"
    assert claims["username"] == "qs-village"
    assert claims["exp"] > claims["iat"]

    # the same check by hand from the JWK, and the agency client's audience
    key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwks["keys"][0]))
    assert isinstance(key, RSAPublicKey), "the JWKS publishes a public key only"
    agency_claims = jwt.decode(
        stack.token(AGENCY), key, algorithms=["RS256"], audience="ningxiang-agency", issuer=claims["iss"]
    )
    assert agency_claims["username"] == AGENCY


def test_missing_or_tampered_token_gets_a_json_401(stack: StackProcess) -> None:
    missing = stack.get("/v1/me")
    assert missing.status_code == 401
    assert missing.headers["Content-Type"].startswith("application/json")
    _assert_error(missing.json(), "unauthenticated")

    token = stack.token("qs-village")
    head, payload, signature = token.split(".")
    middle = len(signature) // 2  # not the last character: its low bits are padding and may not count
    flipped = "A" if signature[middle] != "A" else "B"
    tampered = f"{head}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"
    answer = stack.get("/v1/me", token=tampered)
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/json")
    _assert_error(answer.json(), "unauthenticated")

    garbage = stack.get("/v1/me", token="not-a-jwt")
    assert garbage.status_code == 401
    _assert_error(garbage.json(), "unauthenticated")


def test_unknown_route_gets_a_json_404(stack: StackProcess) -> None:
    answer = stack.get("/v1/nope")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/json")
    _assert_error(answer.json(), "not_found")


def test_unknown_route_with_a_token_gets_a_json_404(stack: StackProcess) -> None:
    token = stack.token("qs-village")
    answer = stack.get("/v1/nope", token=token)
    assert token not in answer.text
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/json")
    _assert_error(answer.json(), "not_found")


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
def test_an_unsupported_method_gets_a_json_404_not_an_html_501(stack: StackProcess, method: str) -> None:
    """Found by schemathesis: the stdlib server answered TRACE with an HTML 501 page."""
    answer = stack.http.request(method, stack.base_url + "/v1/units", timeout=10)
    assert answer.status_code == 404
    _assert_error(answer.json(), "not_found")


def test_openapi_document_describes_the_api(stack: StackProcess) -> None:
    answer = stack.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    assert {"/v1/me", "/v1/units"} <= set(document["paths"])


def test_units_outside_the_callers_scope_are_not_found(stack: StackProcess) -> None:
    village = stack.token("qs-village")
    foreign = stack.get("/v1/units/430182-ZF-QQH", token=village)
    assert foreign.status_code == 404
    _assert_error(foreign.json(), "not_found")
    own = stack.get("/v1/units/430182-DCQ-QS", token=village)
    assert own.status_code == 200

    town = stack.get("/v1/units/430182-DCQ-QS", token=stack.token("dcq-town"))
    assert town.status_code == 200
    body = town.json()
    assert body["path"] == "430182/DCQ/QS"
    assert body["name"] == "鹊山村"
    assert body["level"] == "village"


# -- start, stop, start again ------------------------------------------------------------------------------


def test_state_and_issuer_key_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = StackProcess(state).start()
    try:
        token = first.token("qs-village")
        kid = jwt.get_unverified_header(token)["kid"]
        created = first.post("/v1/units", {"parent": "430182-DCQ-QS", "segment": "P09", "name": "测试片"}, token=token)
        assert created.status_code == 201, created.text
        assert created.json()["path"] == "430182/DCQ/QS/P09"
        first.assert_stopped_cleanly(first.stop())
    finally:
        first.kill()
    assert "stopped; state saved" in first.output()
    assert (state / "tables.json").is_file()

    # The issuer is the stack's base URL, so the old token can only verify on the same port: reuse both ports
    # (which also shows the first run released them).
    second = StackProcess(state, port=first.port, moto_port=first.moto_port).start()
    try:
        fresh = second.token("qs-village")
        assert jwt.get_unverified_header(fresh)["kid"] == kid
        unit = second.get("/v1/units/430182-DCQ-QS-P09", token=fresh)
        assert unit.status_code == 200, unit.text
        assert unit.json()["name"] == "测试片"

        me = second.get("/v1/me", token=token)  # minted by the first run
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "qs-village"
        second.assert_stopped_cleanly(second.stop())
    finally:
        second.kill()


def test_the_demo_village_has_households_heads_and_a_contact_card(stack: StackProcess) -> None:
    token = stack.token("zhang-liangke")
    village = stack.get("/v1/units/430182-DCQ-QS", token=stack.token("qs-village")).json()
    assert village["counts"]["households"] == 7 and village["counts"]["heads"] == 3
    card = stack.get("/v1/units/430182-DCQ-QS-P01-Z01-L01/heads", token=token).json()
    heads = [(u["level"], (u["head"] or {}).get("person_name")) for u in card["chain"]]
    assert ("neighbourhood", "张良科") in heads and ("group", "杨志强") in heads
    assert all("*" in (u["head"] or {}).get("phone", "*") for u in card["chain"])  # masked by default
    households = stack.get("/v1/units/430182-DCQ-QS-P01-Z01-L01/households", token=token).json()["items"]
    contact = stack.get(f"/v1/households/{households[0]['id']}/contact-card", token=token).json()
    published = {c["role_label"]: (c["person_name"], c["phone"]) for c in contact["contacts"]}
    assert published["邻长"] == ("张良科", "13907310001") and published["联点干部"][0] == "刘晓华"
