from __future__ import annotations

from tests.support import ApiClient


def test_health_reports_versions_and_backends_without_a_token(api: ApiClient) -> None:
    answer = api.get("/health")
    assert answer.status == 200
    body = answer.json
    assert body["status"] == "ok"
    assert body["backends"] == {"dynamodb": True, "stepfunctions": True}
    assert body["versions"]["pynamodb"] == "6.1.0"


def test_me_shows_role_scope_and_permissions_from_the_stored_profile(api: ApiClient) -> None:
    answer = api.get("/v1/me", user="qs-village")
    assert answer.status == 200
    me = answer.json
    assert me["username"] == "qs-village"
    assert me["role"] == "village_cadre"
    assert me["role_label"].startswith("村干部")
    assert me["scope"] == {"kind": "unit", "path": "430182/DCQ/QS"}
    assert me["permissions"] == [
        "appointments:write", "hotline:read", "households:read", "households:write", "imports:write",
        "members:read", "members:write", "personal:unmask", "units:read", "units:write", "whistle:blow",
        "whistle:read", "whistle:verify",
    ]  # fmt: skip
