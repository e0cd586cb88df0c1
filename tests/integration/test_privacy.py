"""Privacy sentinel: records carry marker ID numbers, phones and text; the flows run (creating, reading, listing,
exporting, failing); the markers appear in no log line, no error body, no idempotency or audit record, and in
API answers only masked (the purpose-bound unmask routes excepted). Every JSON answer is scanned, and every GET
route of the app is called with the records' ids, so a route a new slice adds is scanned too."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import boto3
import pytest

from chalicelib.core.privacy import mask_id_number, mask_phone
from tests.generic import caller_for, routes, url_for
from tests.support import Answer, ApiClient

L01 = "430182-DCQ-QS-P01-Z01-L01"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


ID_MARK = _id("43018219880808771")  # a man born 1988-08-08
PHONE_MARK = "13958276431"
HEAD_PHONE_MARK = "18673920485"
TEXT_MARK = "哨兵隐私案情QX7"
CLEAR = (ID_MARK, PHONE_MARK, HEAD_PHONE_MARK)


class Recorder:
    """The API client, keeping every answer for the scan."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.answers: list[tuple[str, str, Answer]] = []

    def __call__(self, method: str, path: str, user: str | None, **kw: Any) -> Answer:
        answer = self.api.request(method, path, user=user, **kw)
        self.answers.append((method, path, answer))
        return answer


def _texts(answer: Answer) -> str:
    """What a client can read in an answer: the body (a workbook's cells, unzipped) and the headers."""
    body = answer.body
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            body = b"".join(z.read(n) for n in z.namelist())
    return body.decode("utf-8", "replace") + json.dumps(answer.headers, ensure_ascii=False)


def test_markers_never_leak_from_any_flow(
    api: ApiClient, service_log: io.StringIO, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    call = Recorder(api)
    body = {"unit": L01, "address": f"鹊山村第一组{TEXT_MARK}号", "head_name": "胡明", "residents": 3,
            "phone": PHONE_MARK, "note": TEXT_MARK}  # fmt: skip
    household = call("POST", "/v1/households", "qs-group", body=body, headers={"Idempotency-Key": "priv-1"})
    assert household.status == 201, household.body
    hid = household.json["id"]
    call("POST", "/v1/households", "qs-group", body=body, headers={"Idempotency-Key": "priv-1"})  # a replay
    member_body = {
        "name": "周建国", "gender": "male", "id_number": ID_MARK, "phone": PHONE_MARK, "branch": "鹊山村党支部",
        "status": "probationary", "join_date": "2025-07-01", "household": hid, "workplace": TEXT_MARK,
    }  # fmt: skip
    member = call("POST", "/v1/members", "qs-group", body=member_body, headers={"Idempotency-Key": "priv-2"})
    assert member.status == 201, member.body
    mid = member.json["id"]
    appointment = {"person_name": "张良科", "phone": HEAD_PHONE_MARK, "start": "2026-01-01", "is_member": True,
                   "member_id": mid}  # fmt: skip
    call("POST", f"/v1/units/{L01}/appointments", "qs-village", body=appointment)
    # failures that carry the markers: a duplicate registration, bad fields, a reused key, a foreign unit
    call("POST", "/v1/members", "qs-group", body=member_body)
    call("POST", "/v1/members", "qs-group", body=member_body | {"gender": "female", "phone": ID_MARK})
    call("POST", "/v1/households", "qs-group", body=body | {"phone": f"{PHONE_MARK}{ID_MARK}"})
    call("POST", "/v1/households", "qs-group", body=body | {"residents": 4}, headers={"Idempotency-Key": "priv-1"})
    call("POST", "/v1/households", "zhang-liangke", body=body | {"unit": "430182-ZF-QQH-P01-Z01-L01"})
    call("PATCH", f"/v1/members/{mid}", "qs-group", body={"phone": PHONE_MARK, "id_number": ID_MARK})
    call("PUT", f"/v1/households/{hid}", "qs-group", body=body | {"tags": ["not-a-tag"]})
    # every GET route, with the records' ids, as a caller holding its permission
    values = {"code": L01, "id": hid, "kind": "household_tag", "member": mid}
    for spec in routes():
        if spec.method != "GET":
            continue
        ids = values | ({"id": mid} if spec.path.startswith("/v1/members/") else {})
        call("GET", url_for(spec, ids), caller_for(spec), headers={"Accept": spec.content_type})
    call("GET", f"/v1/units/{L01}/export?unmask=true&purpose=contact_card", "qs-village",
         headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})  # fmt: skip
    # the purpose-bound unmask routes answer the clear value: that is their job (and it is audited)
    unmasked = call("POST", f"/v1/members/{mid}/unmask", "qs-group", body={"purpose": "contact", "field": "id_number"})
    assert unmasked.status == 200 and ID_MARK in unmasked.body.decode(), unmasked.body

    # answers: clear markers only from the unmask routes and the export that names a purpose; masked elsewhere
    leaks = []
    for method, path, answer in call.answers:
        allowed = path.endswith("/unmask") or "unmask=true" in path
        # a 三长 serves by publishing the phone: contact cards print it in full (README "The grid")
        marks = [m for m in CLEAR if not ("contact-card" in path and m == HEAD_PHONE_MARK)]
        text = _texts(answer)
        if not allowed and any(mark in text for mark in marks):
            leaks.append(f"{method} {path}: {answer.status}")
        if answer.status >= 400 and (TEXT_MARK in text or any(m in text for m in CLEAR)):
            leaks.append(f"error body {method} {path}: {answer.status}")
    assert leaks == [], leaks
    scanned = [a for _, _, a in call.answers if a.status == 200]
    seen = "".join(_texts(a) for a in scanned)
    assert (
        str(mask_id_number(ID_MARK)) in seen and str(mask_phone(PHONE_MARK)) in seen
    )  # the flows did show them, masked
    assert len(call.answers) >= 30

    # logs (Powertools JSON on stdout, and anything on stderr)
    out, err = capfd.readouterr()
    lines = service_log.getvalue() + out + err + caplog.text
    assert service_log.getvalue().count('"message":"request"') >= len(call.answers) // 2  # the log was captured
    logged = [line for line in lines.splitlines() if any(m in line for m in (*CLEAR, TEXT_MARK))]
    assert logged == [], logged[:3]

    # idempotency and audit records: hashes and masked answers, never the clear values
    dynamodb = boto3.client("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        if not re.search(r"idempotency|audit", table):
            continue
        items = json.dumps(dynamodb.scan(TableName=table)["Items"], ensure_ascii=False)
        assert not any(m in items for m in CLEAR), table
        if "audit" in table:
            assert TEXT_MARK not in items, table


def test_markers_never_reach_a_workflow_or_an_agencys_webhook(api: ApiClient) -> None:
    """Step Functions executions carry ids, steps and times; a webhook carries the ticket's id, kind, status and
    times. Free text where a cadre typed a phone number (a concern, a whistle's description) reaches neither."""
    from chalicelib.core.clock import china_today  # noqa: PLC0415
    from chalicelib.whistle.webhooks import DeliveryModel  # noqa: PLC0415

    z01 = L01.rsplit("-", 1)[0]
    text = f"{TEXT_MARK} 联系电话 {PHONE_MARK}，身份证 {ID_MARK}"
    hook = api.post("/v1/webhooks", user="water-bureau", body={"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    assert hook.status == 201, hook.body
    concern = api.post("/v1/concerns", user="qs-group",
                       body={"text": text, "category": "water", "unit": z01, "raised_by": "周建国"})  # fmt: skip
    assert concern.status == 201, concern.body
    meeting = {"unit": z01, "title": "第一组屋场恳谈会", "concerns": [concern.json["id"]],
               "convened_on": china_today().isoformat(), "place": "周家屋场"}  # fmt: skip
    assert api.post("/v1/deliberations", user="qs-group", body=meeting).status == 201
    place = {"unit": L01, "address": f"鹊山村第一组{TEXT_MARK}", "lat": 28.05, "long": 112.41}
    whistle = {"kind": "emergency", "category": "water_supply", "description": text, "location": place}
    ticket = api.post("/v1/whistle/tickets", user="qs-area", body=whistle)
    assert ticket.status == 201, ticket.body
    tid = ticket.json["id"]
    dispatched = api.post(f"/v1/whistle/tickets/{tid}/dispatch", user="dcq-town", body={"lead": "water", "co": []})
    assert dispatched.status == 200, dispatched.body
    reported = api.post(f"/v1/whistle/tickets/{tid}/report-in", user="water-bureau", body={"note": text})
    assert reported.status == 200, reported.body

    sfn = boto3.client("stepfunctions")
    executions = [
        e for m in sfn.list_state_machines()["stateMachines"]
        for e in sfn.list_executions(stateMachineArn=m["stateMachineArn"])["executions"]
    ]  # fmt: skip
    seen: list[str] = []
    events = 0
    for e in executions:
        described = sfn.describe_execution(executionArn=e["executionArn"])
        history = sfn.get_execution_history(executionArn=e["executionArn"], maxResults=1000)["events"]
        events += len(history)
        seen.append(json.dumps([described.get("input"), described.get("output"), history], default=str,
                               ensure_ascii=False))  # fmt: skip
    assert len(executions) >= 2 and events >= 4, (len(executions), events)  # the deliberation's and the whistle's
    assert not [m for m in (*CLEAR, TEXT_MARK) if any(m in s for s in seen)]
    payloads = [d.payload for d in DeliveryModel.scan()]
    assert payloads and all(tid in p for p in payloads)  # the agency was told, by id
    assert not [m for m in (*CLEAR, TEXT_MARK) if any(m in p for p in payloads)]
