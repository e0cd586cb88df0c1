"""The demo's party-member 三长 are on the roll (`seed_demo_people`, what `make run` loads): on the seeded data a
whistle closed on time in 梅家田社区 credits its 片长 in 三比, and one in 新塘村 credits the 组长 of 周家屋场; a cadre
sees the credit on the head's scorecard and in the unit's public-notice list."""

from __future__ import annotations

from typing import Any

from chalicelib.core import jobs
from chalicelib.localstack.seed import seed_demo_people
from tests.integration.test_scoring import PERIOD
from tests.support import Answer, ApiClient

BASE = "/v1/whistle"


def ok(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, answer.body.decode()
    return answer.json


def _current_head(api: ApiClient, unit: str, user: str) -> dict[str, Any]:
    items = ok(api.get(f"/v1/units/{unit}/appointments", user=user))["items"]
    current = [a for a in items if a.get("end") is None]
    assert len(current) == 1, items
    head: dict[str, Any] = current[0]
    return head


def _whistle_to_close(api: ApiClient, *, whistler: str, unit: str, text: str) -> str:
    """An emergency whistle (dispatched at once) to 住建局 alone, resolved in time, verified, rated and closed."""
    body = {"kind": "emergency", "category": "dangerous_building", "co": [], "description": text,
            "location": {"unit": unit, "address": text[:20]}}  # fmt: skip
    tid = str(ok(api.post(f"{BASE}/tickets", user=whistler, body=body), 201)["id"])
    ok(api.post(f"{BASE}/tickets/{tid}/report-in", user="housing-bureau", body={}))
    ok(api.post(f"{BASE}/tickets/{tid}/resolve", user="housing-bureau", body={"note": "已修复"}))
    ok(api.post(f"{BASE}/tickets/{tid}/verify", user=whistler, body={"ok": True}))
    ok(api.post(f"{BASE}/tickets/{tid}/evaluate", user=whistler, body={"satisfaction": 5}))
    assert ok(api.post(f"{BASE}/tickets/{tid}/close", user=whistler, body={}))["status"] == "closed"
    jobs.drain()  # the scoring.credit event is delivered
    return tid


def _whistle_credits(card: dict[str, Any]) -> list[tuple[str, int, str, str]]:
    return [(e["rule"], e["points"], e["status"], e["source_event"]) for e in card["entries"]
            if e["rule"] == "whistle_on_time"]  # fmt: skip


def test_on_the_demo_data_a_whistle_closed_on_time_credits_the_meijiatian_area_head(api: ApiClient) -> None:
    # GIVEN the demo people: 梅家田社区's 片长 谢建华 is a party member on the roll, linked from his appointment;
    # the 组长 罗立新 is not a party member (自治力量)
    seed_demo_people()
    head = _current_head(api, "430182-CJ-MJT-P01", "cj-town")
    assert head["person_name"] == "谢建华" and head["is_member"] is True and head["member_id"]
    group = _current_head(api, "430182-CJ-MJT-P01-Z01", "cj-town")
    assert group["is_member"] is False and group["member_id"] is None
    member = ok(api.get(f"/v1/members/{head['member_id']}", user="cj-town"))
    assert member["unit"].startswith("430182-CJ-MJT") and member["status"] == "full"

    # WHEN the dangerous wall of 第一邻 is whistled and closed inside its limits
    tid = _whistle_to_close(api, whistler="mjt-area", unit="430182-CJ-MJT-P01-Z01-L01",
                            text="梅家田社区第一邻巷口围墙开裂外倾")  # fmt: skip

    # THEN the 片长's scorecard, read by the town cadre and by himself, shows 3 points for it, on public notice
    year, period = PERIOD[:4], PERIOD
    for user in ("cj-town", "mjt-area"):
        card = ok(api.get(f"/v1/members/{head['member_id']}/scorecard?year={year}", user=user))
        assert _whistle_credits(card) == [("whistle_on_time", 3, "public_notice", f"whistle_closed:{tid}")]
        assert next(q for q in card["quarters"] if q["period"] == period)["pending"] == 3
    notice = ok(api.get("/v1/units/430182-CJ-MJT/scoring/entries?status=public_notice", user="cj-town"))["items"]
    assert [(e["member"], e["source_event"]) for e in notice] == [(head["member_id"], f"whistle_closed:{tid}")]


def test_on_the_demo_data_a_xintang_whistle_credits_the_group_head_of_the_upstream_group(api: ApiClient) -> None:
    # GIVEN 新塘村's 组长 of 周家屋场 and its 片长 are both party members on the roll
    seed_demo_people()
    group = _current_head(api, "430182-XDP-XT-P01-Z01", "xdp-town")
    area = _current_head(api, "430182-XDP-XT-P01", "xdp-town")
    assert group["member_id"] and area["member_id"] and group["member_id"] != area["member_id"]
    # WHEN a whistle from 周家屋场 is closed on time
    tid = _whistle_to_close(api, whistler="xdp-area", unit="430182-XDP-XT-P01-Z01",
                            text="周家屋场灌溉渠闸门损坏漏水")  # fmt: skip
    # THEN the nearest head, the 组长, is credited; the 片长 is not
    year = PERIOD[:4]
    card = ok(api.get(f"/v1/members/{group['member_id']}/scorecard?year={year}", user="xdp-village"))
    assert _whistle_credits(card) == [("whistle_on_time", 3, "public_notice", f"whistle_closed:{tid}")]
    other = ok(api.get(f"/v1/members/{area['member_id']}/scorecard?year={year}", user="xdp-village"))
    assert _whistle_credits(other) == []
