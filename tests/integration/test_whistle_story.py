"""The issue's "Done means", under moto's Step Functions engine, with the demo people of 城郊街道梅家田社区:
the 邻长 reports a dangerous wall (a concern), the 片长 blows an emergency whistle, 住建局 reports in and
fixes it inside the limit, the whistler verifies and rates it, the department's scorecard shows it, and an
Open311 client sees the request go from open to closed."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import boto3

from chalicelib.whistle.service import now, period_of
from chalicelib.whistle.store import FlowModel
from tests.support import Answer, ApiClient

LEAF = "430182-CJ-MJT-P01-Z01-L01"  # 梅家田社区第一片第一组第一邻
TOWN = "430182-CJ"  # 城郊街道
BASE = "/v1/whistle"
OPEN311 = "/open311/v2"


def ok(answer: Answer, status: int = 200) -> dict[str, Any]:
    assert answer.status == status, answer.body
    result: dict[str, Any] = answer.json
    return result


def execution_status(ticket_id: str, want: str, seconds: float = 30) -> str:
    sfn = boto3.client("stepfunctions")
    arn = FlowModel.get(ticket_id).execution_arn
    deadline = time.monotonic() + seconds
    while True:
        status = str(sfn.describe_execution(executionArn=arn)["status"])
        if status == want or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_meijiatian_dangerous_wall_is_whistled_fixed_in_four_hours_and_closed(api: ApiClient) -> None:
    # GIVEN 梅家田社区第一邻's 邻长 finds a leaning wall and logs it as a concern
    concern = ok(api.post("/v1/concerns", user="mjt-neighbour", body={
        "text": "第一邻巷口一段老围墙开裂外倾，下面是学生上学路，随时可能倒塌", "category": "public_safety",
        "unit": LEAF, "raised_by": "王桂兰", "level": "group",
    }), 201)  # fmt: skip
    assert concern["raised_by"] != "王桂兰"  # masked in the answer

    # WHEN the 片长 blows an emergency whistle (应急哨) for it: dispatched at once to 住建局, the lead
    ticket = ok(api.post(f"{BASE}/tickets", user="mjt-area", body={
        "kind": "emergency", "category": "dangerous_building", "co": [],
        "description": "梅家田社区第一邻巷口围墙开裂外倾，有倒塌危险，需住建部门现场处置",
        "location": {"unit": LEAF, "address": "梅家田社区第一邻巷口", "lat": 28.26, "long": 112.55},
        "photos": ["https://example.org/wall.jpg"], "source": f"concern:{concern['id']}",
    }), 201)  # fmt: skip
    tid = ticket["id"]
    assert ticket["status"] == "dispatched" and ticket["lead"] == "housing" and ticket["co"] == []
    assert ticket["source"] == f"concern:{concern['id']}"
    dispatched = datetime.fromisoformat(ticket["history"][-1]["at"])
    assert (datetime.fromisoformat(ticket["report_in_due"]) - dispatched).total_seconds() == 30 * 60
    assert (datetime.fromisoformat(ticket["resolve_due"]) - dispatched).total_seconds() == 4 * 3600
    assert execution_status(tid, "RUNNING") == "RUNNING"  # the deadlines run in the ticket's workflow
    # an Open311 client (no key) sees an open request for 住建局 in 城郊街道, without anyone's name
    seen = api.get(f"{OPEN311}/requests/{tid}.json")
    request = seen.json[0]
    assert request["status"] == "open" and request["agency_responsible"] == "住建局"
    assert request["service_code"] == "dangerous_building" and request["address_id"] == LEAF
    for name in ("谢建华", "周秀英", "王桂兰"):
        assert name not in seen.body.decode()
    # 住建局 sees it in its list; 水利局 does not; another town does not
    assert [t["id"] for t in ok(api.get(f"{BASE}/tickets", user="housing-bureau"))["items"]] == [tid]
    assert api.get(f"{BASE}/tickets/{tid}", user="water-bureau").status == 404
    assert api.get(f"{BASE}/tickets/{tid}", user="dcq-town").status == 404
    assert tid in [t["id"] for t in ok(api.get(f"{BASE}/tickets", user="cj-town"))["items"]]

    # THEN 住建局 reports in, props the wall, takes it down and resolves it inside the four hours
    t = ok(api.post(f"{BASE}/tickets/{tid}/report-in", user="housing-bureau", body={"note": "已派人员到场"}))
    assert t["status"] == "reported_in" and t["departments"][0]["on_time"] is True
    propped = {"note": "已设警戒线并临时支护", "photos": ["https://example.org/wall-propped.jpg"]}
    t = ok(api.post(f"{BASE}/tickets/{tid}/progress", user="housing-bureau", body=propped))
    assert t["status"] == "in_progress"
    t = ok(api.post(f"{BASE}/tickets/{tid}/resolve", user="housing-bureau", body={"note": "危墙已拆除重砌"}))
    resolved_at = datetime.fromisoformat(t["history"][-1]["at"])
    assert t["status"] == "resolved" and resolved_at <= datetime.fromisoformat(t["resolve_due"])
    # the whistler (the 片长) verifies on the ground, rates it and closes it (销号)
    assert api.post(f"{BASE}/tickets/{tid}/verify", user="mjt-neighbour", body={"ok": True}).status == 403
    ok(api.post(f"{BASE}/tickets/{tid}/verify", user="mjt-area", body={"ok": True, "note": "围墙已重砌，通道恢复"}))
    t = ok(
        api.post(f"{BASE}/tickets/{tid}/evaluate", user="mjt-area", body={"satisfaction": 5, "comment": "四小时闭环"})
    )
    assert t["evaluation"]["satisfaction"] == 5
    t = ok(api.post(f"{BASE}/tickets/{tid}/close", user="mjt-area", body={}))
    assert t["status"] == "closed" and t["lapses"] == []
    steps = "whistle dispatch report_in progress resolve verify evaluate close"
    assert [h["action"] for h in t["history"]] == steps.split()
    assert execution_status(tid, "SUCCEEDED") == "SUCCEEDED"  # the workflow ends with the 销号

    # the department's scorecard shows it; the town counts an emergency whistle
    period = period_of(now())
    card = ok(api.get(f"{BASE}/scorecards/departments/housing?period={period}", user="housing-bureau"))
    assert card["received"] == 1 and card["resolved"] == 1
    assert card["report_in_on_time_rate"] == 1.0 and card["resolve_on_time_rate"] == 1.0
    assert card["satisfaction"] == 5.0 and card["median_resolve_minutes"] is not None
    assert api.get(f"{BASE}/scorecards/departments/housing?period={period}", user="water-bureau").status == 404
    town = ok(api.get(f"{BASE}/scorecards/towns/{TOWN}?period={period}", user="cj-town"))
    assert town["by_kind"]["emergency"] == 1

    # and the Open311 client sees the request closed, in the town's closed list, still without names
    closed = api.get(f"{OPEN311}/requests/{tid}.json")
    assert closed.json[0]["status"] == "closed" and closed.json[0]["status_notes"].startswith("已销号")
    listed = api.get(f"{OPEN311}/requests.json?jurisdiction_id={TOWN}&status=closed")
    assert [r["service_request_id"] for r in listed.json] == [tid]
    for name in ("谢建华", "周秀英", "王桂兰"):
        assert name not in closed.body.decode() and name not in json.dumps(listed.json, ensure_ascii=False)
