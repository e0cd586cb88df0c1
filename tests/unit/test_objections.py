"""The shared objection rules (objections.py): numbering, replies, the masked view, the refusal naming the open
objections, and the notice that stays open by the clock while an objection has no reply."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core.audit import Actor
from chalicelib.core.errors import ApiError, Conflict
from chalicelib.core.privacy import mask_text
from chalicelib.deliberation import objections
from chalicelib.deliberation.decisions import effective_stage
from chalicelib.deliberation.store import VillageDecisionModel
from chalicelib.localstack.seed import DEMO_ACCOUNTS

CADRE = next(a for a in DEMO_ACCOUNTS if a.username == "qs-village")


def test_free_text_masks_the_named_person_mobiles_and_id_numbers() -> None:
    text = "胡明家菜地被占，胡明电话13958276431，身份证43018219880808771X，座机 0731-87654321"
    shown = mask_text(text, ("胡明", None, "李"))
    assert shown == "胡*家菜地被占，胡*电话139****6431，身份证430182********771X，座机 0731-87654321"
    assert mask_text("订单号 1395827643100") == "订单号 1395827643100"  # not a mobile: 13 digits


def test_objections_are_numbered_replied_and_refused_while_open() -> None:
    legacy = [{"at": "2026-11-20T08:00:00+00:00", "text": "旧异议", "raised_by": "周建国", "by_role": "village_cadre"}]
    listed = objections.raise_objection(legacy, text="占用胡明家菜地", raised_by="胡明", by_role="village_cadre")
    assert [o["n"] for o in listed] == [1, 2] and listed[0]["replies"] == []  # recorded before numbering
    with pytest.raises(Conflict) as refused:
        objections.require_answered(listed, "组织实施", "implementation")
    assert "还有 2 条异议未答复：第 1 条（2026-11-20）、第 2 条" in refused.value.message
    assert "胡明" not in refused.value.message and "菜地" not in refused.value.message_en
    actor = Actor(CADRE.username, CADRE.role, CADRE.scope, "req-1")
    assert objections.reply(objections.find(listed, 2), CADRE.principal(), actor, "胡明家按标准补偿") is True
    assert objections.reply(objections.find(listed, 2), CADRE.principal(), actor, "已张榜") is False
    assert [o["n"] for o in objections.unanswered(listed)] == [1]
    shown = objections.shown_all(listed)[1]
    assert shown["raised_by"] == "胡*" and shown["text"] == "占用胡*家菜地" and shown["answered"] is True
    assert [r["text"] for r in shown["replies"]] == ["胡*家按标准补偿", "已张榜"]
    with pytest.raises(ApiError, match="Objection"):
        objections.find(listed, 3)


def test_the_notice_stays_open_after_its_end_while_an_objection_has_no_reply() -> None:
    item = VillageDecisionModel("d", stage="objection_window", objection_until="2026-11-27T00:00:00Z")
    item.objections = objections.raise_objection([], text="异议", raised_by=None, by_role="village_cadre")
    after = datetime(2026, 11, 28, tzinfo=UTC)
    assert effective_stage(item, after) == "objection_window"
    item.objections[0]["replies"] = [{"text": "答复", "by": "x", "by_role": "village_cadre", "at": "2026-11-27"}]
    assert effective_stage(item, after) == "implementation"
