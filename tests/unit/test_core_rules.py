"""Rules that need no AWS and no network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.core.api import ApiBlueprint, validation_error
from chalicelib.core.audit import GENESIS, AuditEventModel, event_hash, state_hash, verify_chain
from chalicelib.core.auth import PERMISSIONS, ROLES, Principal, path_within, permissions_of
from chalicelib.core.errors import BadRequest, NotFound
from chalicelib.core.gateway import translate
from chalicelib.core.idempotency import check_key
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.core.settings import SettingsError, get_settings, reset_settings
from chalicelib.core.workflows import render, workflow_names
from chalicelib.grid.schemas import UnitCreate


@pytest.mark.parametrize(
    ("path", "scope", "inside"),
    [
        ("430182/DCQ/QS", "430182/DCQ/QS", True),
        ("430182/DCQ/QS/P01/Z01", "430182/DCQ", True),
        ("430182/DCQ/QSX", "430182/DCQ/QS", False),  # a sibling whose code starts the same is not inside
        ("430182/DCQ", "430182/DCQ/QS", False),
        ("430182/ZF/QQH", "430182/DCQ", False),
    ],
)
def test_path_within(path: str, scope: str, inside: bool) -> None:
    assert path_within(path, scope) is inside


def test_department_scope_never_sees_grid_units() -> None:
    water = Principal("s", "water", "水利局", "department", "department", "430182")
    assert not water.sees_unit("430182")


def test_every_permission_names_only_known_roles() -> None:
    for roles in PERMISSIONS.values():
        assert roles <= set(ROLES)
    assert permissions_of("auditor") == ["audit:read", "mediation:read"]  # auditors read mediation cases too
    assert "units:write" not in permissions_of("area_head")


def test_a_route_with_an_unknown_permission_cannot_be_declared() -> None:
    api = ApiBlueprint(__name__, tag="test")
    with pytest.raises(ValueError, match="unknown permission"):
        api.route("/v1/x", "GET", permission="everything", summary="x")


def test_cursor_round_trip_and_garbage() -> None:
    key = {"path": {"S": "430182/DCQ"}, "parent": {"S": "430182"}}
    assert decode_cursor(encode_cursor(key)) == key
    assert encode_cursor(None) is None
    truncated = str(encode_cursor({"a": 1}))[:-3] + "!!"
    for bad in ("%%%", "bm90IGpzb24", truncated):
        with pytest.raises(BadRequest):
            decode_cursor(bad)


def test_gateway_denials_become_json_401_and_unknown_routes_404() -> None:
    status, _, body = translate(403, {"x-amzn-ErrorType": "AccessDeniedException", "x-amzn-RequestId": "r1"}, b"{}")
    assert status == 401
    error = json.loads(body)["error"]
    assert error["code"] == "unauthenticated" and error["request_id"] == "r1"
    for message in (b'{"message": "Missing Authentication Token"}', b'{"message": "Authorization=Bearer x.y.z"}'):
        status, _, body = translate(
            403, {"x-amzn-RequestId": "r2", "x-amzn-ErrorType": "UnauthorizedException"}, message
        )
        assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
        assert b"Bearer" not in body
    assert translate(500, {}, b"x") == (500, {}, b"x")


def test_not_found_error_body_is_bilingual() -> None:
    body = NotFound("单元不存在", "Unit not found").body("req-1")
    assert body == {
        "error": {
            "code": "not_found",
            "message": "单元不存在",
            "message_en": "Unit not found",
            "fields": [],
            "request_id": "req-1",
        }
    }


def test_validation_errors_name_each_field_path_chinese_first() -> None:
    with pytest.raises(ValidationError) as caught:
        UnitCreate.model_validate({"parent": "430182", "segment": "bad code", "name": "x" * 41})
    error = validation_error(caught.value, "body")
    messages = {f.path: f.message for f in error.fields}
    assert set(messages) == {"body.segment", "body.name"}
    assert messages["body.name"].startswith("太长 / ")


@pytest.mark.parametrize("key", ["", "x" * 129, "line\nbreak"])
def test_bad_idempotency_keys_are_refused(key: str) -> None:
    with pytest.raises(BadRequest):
        check_key(key)


def _event(seq: int, prev: str, action: str) -> AuditEventModel:
    fields: dict[str, Any] = {
        "entity": "unit#430182/DCQ",
        "seq": seq,
        "at": f"2026-11-26T00:00:0{seq}.000+00:00",
        "actor_sub": "s",
        "actor_role": "town_cadre",
        "actor_scope": "430182/DCQ",
        "action": action,
        "entity_type": "unit",
        "entity_id": "430182/DCQ",
        "unit_path": "430182/DCQ",
        "request_id": "r",
        "before_hash": "",
        "after_hash": state_hash({"seq": seq}),
    }
    return AuditEventModel(**fields, month="2026-11", at_key="k", prev_hash=prev, hash=event_hash(prev, fields))


def test_audit_chain_verification() -> None:
    first = _event(1, GENESIS, "unit.create")
    second = _event(2, first.hash, "unit.update")
    assert verify_chain(iter([first, second])) == {"ok": True, "events": 2, "broken_at_seq": None}
    second.action = "unit.delete"
    assert verify_chain(iter([first, second]))["broken_at_seq"] == 2
    assert verify_chain(iter([second]))["broken_at_seq"] == 2  # a chain must start at seq 1


def test_state_hash_is_order_independent_and_distinguishes_states() -> None:
    assert state_hash({"a": 1, "b": "鹊山"}) == state_hash({"b": "鹊山", "a": 1})
    assert state_hash({"a": 1}) != state_hash({"a": 2})
    assert state_hash(None) == ""


def test_settings_refuse_missing_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.delenv("TABLE_PREFIX", raising=False)
    monkeypatch.setenv("JWT_AUDIENCE", "a")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "cn-northwest-1")
    reset_settings()
    with pytest.raises(SettingsError, match="TABLE_PREFIX"):
        get_settings()
    monkeypatch.setenv("STAGE", "staging")
    reset_settings()
    with pytest.raises(SettingsError, match="STAGE"):
        get_settings()
    reset_settings()


def test_workflow_render_fills_every_placeholder_or_fails(tmp_path: Path) -> None:
    (tmp_path / "demo.asl.json").write_text(
        json.dumps(
            {
                "StartAt": "Put",
                "States": {
                    "Put": {
                        "Type": "Task",
                        "Parameters": {"TableName": "${Table_x}"},
                        "Resource": "arn:aws:states:::dynamodb:putItem",
                        "End": True,
                    }
                },
            }
        )
    )
    assert workflow_names(tmp_path) == ["demo"]
    rendered = render("demo", {"Table_x": "ningxiang-dev-x"}, tmp_path)
    assert rendered["States"]["Put"]["Parameters"]["TableName"] == "ningxiang-dev-x"
    with pytest.raises(KeyError, match="Table_x"):
        render("demo", {}, tmp_path)
