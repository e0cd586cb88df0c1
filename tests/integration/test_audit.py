"""Audit events: same transaction as the change, hash-chained, scoped, queryable, tamper-evident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from chalicelib.core.audit import AuditEventModel
from tests.support import ApiClient

QS_P01 = "430182-DCQ-QS-P01"


def _rename(api: ApiClient, name: str, user: str = "qs-village") -> None:
    assert api.patch("/v1/units/430182-DCQ-QS-P01", user=user, body={"name": name}).status == 200


def _events(api: ApiClient, entity_id: str, user: str = "city-admin") -> list[dict[str, object]]:
    answer = api.get(f"/v1/audit?entity_type=unit&entity_id={quote(entity_id)}", user=user)
    assert answer.status == 200
    items: list[dict[str, object]] = answer.json["items"]
    return items


def test_each_change_writes_one_chained_event_with_who_what_and_state_hashes(api: ApiClient) -> None:
    _rename(api, "红心片")
    _rename(api, "先锋片", user="dcq-town")
    events = _events(api, QS_P01)
    assert [e["action"] for e in events] == ["unit.create", "unit.update", "unit.update"]
    assert [e["seq"] for e in events] == [1, 2, 3]
    update = events[1]
    assert update["actor"] == {"sub": update["actor"]["sub"], "role": "village_cadre", "scope": "430182/DCQ/QS"}  # type: ignore[index]
    assert events[2]["actor"]["role"] == "town_cadre"  # type: ignore[index]
    assert update["before_hash"] == events[0]["after_hash"]
    assert update["after_hash"] == events[2]["before_hash"]
    assert update["request_id"]
    # no personal data, only hashes of state: the new name appears nowhere in the event
    assert "红心片" not in str(events)


def test_a_refused_change_writes_no_event(api: ApiClient) -> None:
    stale = api.patch("/v1/units/430182-DCQ-QS-P01", user="qs-village", body={"name": "x"}, headers={"If-Match": "7"})
    assert stale.status == 409
    assert len(_events(api, QS_P01)) == 1


def test_verify_reports_an_intact_chain_and_finds_tampering(api: ApiClient) -> None:
    _rename(api, "一片")
    _rename(api, "二片")
    url = f"/v1/audit/verify?entity_type=unit&entity_id={quote(QS_P01)}"
    assert api.get(url, user="auditor").json == {"ok": True, "events": 3, "broken_at_seq": None}

    # someone with table access rewrites who made the second change
    event = AuditEventModel.get(f"unit#{QS_P01}", 2)
    event.actor_role = "city_admin"
    event.save()
    assert api.get(url, user="auditor").json == {"ok": False, "events": 2, "broken_at_seq": 2}


def test_deleting_an_event_in_the_middle_breaks_the_chain(api: ApiClient) -> None:
    _rename(api, "一片")
    _rename(api, "二片")
    AuditEventModel.get(f"unit#{QS_P01}", 2).delete()
    url = f"/v1/audit/verify?entity_type=unit&entity_id={quote(QS_P01)}"
    assert api.get(url, user="auditor").json["broken_at_seq"] == 3


def test_time_range_query_is_scoped_to_the_auditors_unit(api: ApiClient) -> None:
    now = datetime.now(UTC)
    start, end = (now - timedelta(minutes=5)).isoformat(), (now + timedelta(minutes=5)).isoformat()
    _rename(api, "新名")
    url = f"/v1/audit?from={quote(start)}&to={quote(end)}&limit=200"
    everything = api.get(url, user="auditor").json["items"]
    units = {e["entity_id"] for e in everything}
    assert QS_P01 in units and "430182-ZF" in units  # the city auditor sees both towns
    answer = api.get(url + "&limit=3", user="auditor").json
    assert len(answer["items"]) == 3 and answer["next_cursor"]
    rest = api.get(url + f"&limit=200&cursor={answer['next_cursor']}", user="auditor").json["items"]
    assert len(answer["items"]) + len(rest) == len(everything)


def test_audit_needs_the_audit_permission(api: ApiClient) -> None:
    assert api.get(f"/v1/audit?entity_type=unit&entity_id={QS_P01}", user="dcq-town").status == 403
    assert api.get(f"/v1/audit?entity_type=unit&entity_id={QS_P01}", user="water-bureau").status == 403


def test_audit_query_needs_exactly_one_selector(api: ApiClient) -> None:
    answer = api.get("/v1/audit", user="auditor")
    assert answer.status == 422
    assert answer.json["error"]["fields"][0]["path"].startswith("query")
