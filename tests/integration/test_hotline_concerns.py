"""12345 hotline tickets forwarded by the town to a village become that village's concerns (source hotline,
linked both ways, the caller left with the hotline), and the concern's outcome comes back on the ticket."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core.clock import china_today
from tests.support import Answer, ApiClient

QS = "430182-DCQ-QS"


def ok(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, answer.body.decode()
    return answer.json


def ticket(api: ApiClient, number: str, text: str, category: str = "farmland") -> str:
    body = {"id": number, "kind": "help", "category": category, "text": text, "unit": QS,
            "caller_name": "周建国", "caller_phone": "13807310021"}  # fmt: skip
    return str(ok(api.post("/v1/hotline-tickets", user="agency-12345", body=body), 201)["id"])


def test_a_hotline_ticket_forwarded_to_the_village_becomes_its_concern_and_gets_the_answer_back(
    api: ApiClient,
) -> None:
    # GIVEN a resident calls 12345 about irrigation water, and the town forwards the ticket to 鹊山村
    hid = ticket(api, "12345-20261126-0101", "夏铎铺灌溉用水纠纷，上下游争水，请求协调")
    forwarded = ok(
        api.post(f"/v1/hotline-tickets/{hid}/dispatch", user="dcq-town", body={"to": "concern", "concern_unit": QS})
    )
    # THEN the ticket names the concern, and the concern names the ticket
    assert forwarded["status"] == "forwarded" and forwarded["concern"]
    concern = ok(api.get(f"/v1/concerns/{forwarded['concern']}", user="qs-village"))
    assert concern["source"] == "hotline" and concern["hotline_ticket"] == hid
    assert concern["unit"] == QS and concern["level"] == "village" and concern["category"] == "water"
    assert concern["status"] == "open" and concern["raised_by"] is None
    # the caller stays with the hotline: neither name nor phone (masked or not) is on the concern
    text = json.dumps(concern, ensure_ascii=False)
    assert "周" not in text.replace(concern["text"], "") and "0021" not in text and "138" not in text
    listed = ok(api.get(f"/v1/units/{QS}/concerns?status=open", user="qs-village"))["items"]
    assert concern["id"] in [c["id"] for c in listed]
    assert api.get(f"/v1/concerns/{concern['id']}", user="zf-town").status == 404
    # a second forward of the same ticket is refused by the ticket's state, and makes no second concern
    again = api.post(f"/v1/hotline-tickets/{hid}/dispatch", user="dcq-town", body={"to": "concern", "concern_unit": QS})
    assert again.status == 409
    assert [c["id"] for c in ok(api.get(f"/v1/units/{QS}/concerns", user="qs-village"))["items"]].count(
        concern["id"]
    ) == 1

    # WHEN the village answers the concern on the spot
    ok(api.post(f"/v1/concerns/{concern['id']}/answer", user="qs-village", body={"answer": "已协调两组按日轮灌"}))
    # THEN the outcome is on the hotline's ticket, and the hotline can record its callback
    back = ok(api.get(f"/v1/hotline-tickets/{hid}", user="agency-12345"))
    assert back["status"] == "answered" and "已协调两组按日轮灌" in back["outcome"]
    assert [h["to"] for h in back["history"]] == ["forwarded", "answered"]
    visited = ok(
        api.post(f"/v1/hotline-tickets/{hid}/callback", user="agency-12345", body={"resolved": True, "satisfied": True})
    )
    assert visited["status"] == "visited"


def test_a_forward_to_a_unit_outside_the_towns_scope_makes_no_concern(api: ApiClient) -> None:
    hid = ticket(api, "12345-20261126-0102", "路灯不亮", category="power_outage")
    refused = api.post(
        f"/v1/hotline-tickets/{hid}/dispatch", user="dcq-town", body={"to": "concern", "concern_unit": "430182-ZF-QQH"}
    )
    assert refused.status == 422 and refused.json["error"]["fields"][0]["path"] == "body.concern_unit"
    assert ok(api.get(f"/v1/hotline-tickets/{hid}", user="dcq-town"))["concern"] is None
    made = ok(
        api.post(f"/v1/hotline-tickets/{hid}/dispatch", user="dcq-town", body={"to": "concern", "concern_unit": QS})
    )
    assert ok(api.get(f"/v1/concerns/{made['concern']}", user="qs-village"))["category"] == "other"


def test_a_hotline_concern_goes_to_the_villages_analysis_meeting_and_its_closed_item_answers_the_ticket(
    api: ApiClient,
) -> None:
    from datetime import timedelta  # noqa: PLC0415

    hid = ticket(api, "12345-20261126-0103", "村口水渠堵塞，农田灌不上水")
    made = ok(
        api.post(f"/v1/hotline-tickets/{hid}/dispatch", user="dcq-town", body={"to": "concern", "concern_unit": QS})
    )["concern"]
    body = {"village": QS, "month": "2026-11", "title": "鹊山村民情分析会", "convened_on": "2026-11-25",
            "place": "鹊山村部"}  # fmt: skip
    analysis = ok(api.post("/v1/analysis-meetings", user="qs-village", body=body), 201)
    assert analysis["concerns"] == [made] and analysis["sources"] == []
    deadline = (china_today() + timedelta(days=7)).isoformat()
    grade = {"concern": made, "grade": "urgent", "action": "assign", "task": "清淤村口水渠", "lead_unit": QS,
             "deadline": deadline}  # fmt: skip
    graded = ok(api.post(f"/v1/deliberations/{analysis['id']}/grades", user="qs-village", body={"items": [grade]}))
    item = next(m for m in graded["meetings"] if m["stage"] == "analysis_meeting")["outcomes"][0]["item"]
    assert ok(api.get(f"/v1/hotline-tickets/{hid}", user="dcq-town"))["status"] == "forwarded"  # not yet
    ok(api.post(f"/v1/responsibility-items/{item}/progress", user="qs-village", body={"kind": "done"}))
    ok(api.post(f"/v1/responsibility-items/{item}/close", user="qs-village", body={"satisfaction": "satisfied"}))
    back = ok(api.get(f"/v1/hotline-tickets/{hid}", user="agency-12345"))
    assert back["status"] == "answered" and "清淤村口水渠" in back["outcome"] and "满意" in back["outcome"]
