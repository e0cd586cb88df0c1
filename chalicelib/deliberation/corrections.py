"""Corrections of frozen minutes (纪要更正). A frozen minute is never edited: a correction is a new version
(v2 references v1, v3 references v2) with its own review window (WORKFLOW_SECONDS_MINUTES_REVIEW, default 3 days,
closed by the clock), its own confirmations by attendees, objections that the meeting's holder replies to (who,
what, when), and its own freeze (hashed like the original). Every step is a transition on the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core import workflows
from chalicelib.core.audit import Actor
from chalicelib.core.auth import Principal
from chalicelib.core.errors import Conflict, field_error, not_found
from chalicelib.deliberation import objections, rules
from chalicelib.deliberation.schemas import (
    CorrectionIn,
    CorrectionOut,
    DeliberationOut,
    MinutesObjectionIn,
    ObjectionReplyIn,
)
from chalicelib.deliberation.service import DeliberationService, _transition, deliberation_state, now_iso
from chalicelib.deliberation.store import DeliberationModel

workflows.DURATIONS.setdefault("minutes_review", 3 * 86400)


def correction_out(c: dict[str, Any]) -> CorrectionOut:
    return CorrectionOut(
        id=c["id"], stage=c["stage"], version=c["version"], references=c["references"], text=c["text"],
        reason=c["reason"], drafted_at=c["at"], by_role=c["by_role"], review_until=c["review_until"],
        confirmed_by=[x["name"] for x in c["confirmed_by"]],
        objections=objections.shown_all(c["objections"]),
        frozen=bool(c.get("frozen")), frozen_at=c.get("frozen_at"), hash=c.get("hash"),
    )  # fmt: skip


def _review_open(c: dict[str, Any]) -> bool:
    return datetime.now(UTC).isoformat(timespec="seconds") < str(c["review_until"])


class Corrections:
    def __init__(self, service: DeliberationService) -> None:
        self.service = service

    def _find(self, item: DeliberationModel, correction_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        stage = correction_id.rsplit("-v", 1)[0]
        meeting = item.meetings.get(stage)
        found = next((c for c in (meeting or {}).get("corrections", []) if c["id"] == correction_id), None)
        if meeting is None or found is None:
            raise not_found("纪要更正", "Minutes correction")
        return meeting, found

    def _change(
        self, principal: Principal, actor: Actor, deliberation_id: str, act: Any, action: str
    ) -> DeliberationOut:
        def once() -> DeliberationModel:
            item = self.service._visible(principal, deliberation_id)
            before = deliberation_state(item)
            kind, stage = act(item)
            item.transitions = [*item.transitions, _transition(actor, kind, stage)]
            self.service._save(actor, item, before, action)
            return item

        item: DeliberationModel = self.service.store.retrying(5, once)
        return self.service._out(item)

    def propose(self, principal: Principal, actor: Actor, deliberation_id: str, data: CorrectionIn) -> DeliberationOut:
        def act(item: DeliberationModel) -> tuple[str, str]:
            meeting = item.meetings.get(data.stage)
            if meeting is None:
                raise field_error("body.stage", "该会议尚未召开", "That meeting has not been held")
            self.service._conduct(principal, item, data.stage)
            if not meeting["minutes"].get("frozen"):
                raise Conflict("纪要尚未定稿，请直接修改草稿", "The minutes are not frozen: amend the draft")
            corrections = meeting.setdefault("corrections", [])
            if corrections and not corrections[-1].get("frozen"):
                raise Conflict("上一次更正尚未定稿", "The previous correction is not frozen yet")
            version = len(corrections) + 2
            until = datetime.now(UTC) + timedelta(seconds=workflows.seconds("minutes_review"))
            corrections.append({
                "id": f"{data.stage}-v{version}", "stage": data.stage, "version": version, "references": version - 1,
                "text": data.text, "reason": data.reason, "at": now_iso(), "by_role": actor.role,
                "review_until": until.isoformat(timespec="seconds"), "confirmed_by": [], "objections": [],
                "frozen": False,
            })  # fmt: skip
            return "correction_proposed", data.stage

        return self._change(principal, actor, deliberation_id, act, "deliberation.minutes_correction")

    def confirm(self, principal: Principal, actor: Actor, deliberation_id: str, correction_id: str) -> DeliberationOut:
        def act(item: DeliberationModel) -> tuple[str, str]:
            _, c = self._find(item, correction_id)
            if c.get("frozen"):
                raise Conflict("该更正已定稿", "The correction is frozen")
            if not any(x["sub"] == principal.sub for x in c["confirmed_by"]):
                c["confirmed_by"].append({"sub": principal.sub, "name": principal.display_name, "at": now_iso()})
            return "correction_confirmed", c["stage"]

        return self._change(principal, actor, deliberation_id, act, "deliberation.correction_confirm")

    def object(
        self, principal: Principal, actor: Actor, deliberation_id: str, correction_id: str, data: MinutesObjectionIn
    ) -> DeliberationOut:
        def act(item: DeliberationModel) -> tuple[str, str]:
            _, c = self._find(item, correction_id)
            if c.get("frozen") or not _review_open(c):
                raise Conflict("更正的审阅期已过", "The correction's review window has closed")
            c["objections"] = objections.raise_objection(
                c["objections"], text=data.text, raised_by=principal.display_name, by_role=actor.role
            )
            return "correction_objection", c["stage"]

        return self._change(principal, actor, deliberation_id, act, "deliberation.correction_objection")

    def reply(
        self, principal: Principal, actor: Actor, deliberation_id: str, correction_id: str, *, n: int,
        data: ObjectionReplyIn,
    ) -> DeliberationOut:  # fmt: skip
        def act(item: DeliberationModel) -> tuple[str, str]:
            _, c = self._find(item, correction_id)
            self.service._conduct(principal, item, c["stage"])
            objections.reply(objections.find(c["objections"], n), principal, actor, data.text)
            return "objection_replied", c["stage"]

        return self._change(principal, actor, deliberation_id, act, "deliberation.objection_reply")

    def freeze(self, principal: Principal, actor: Actor, deliberation_id: str, correction_id: str) -> DeliberationOut:
        def act(item: DeliberationModel) -> tuple[str, str]:
            _, c = self._find(item, correction_id)
            self.service._conduct(principal, item, c["stage"])
            if c.get("frozen"):
                raise Conflict("该更正已定稿", "The correction is frozen")
            if _review_open(c):
                raise Conflict(f"审阅期至 {c['review_until']}，期满后才能定稿", "The review window is still open")
            if not c["confirmed_by"]:
                raise Conflict("尚无参会人确认该更正", "No attendee has confirmed the correction")
            objections.require_answered(c["objections"], "定稿", "freezing the correction")
            c["frozen"], c["frozen_at"] = True, now_iso()
            c["hash"] = rules.minutes_hash(f"{c['stage']}-v{c['version']}", c["text"],
                                           [x["sub"] for x in c["confirmed_by"]])  # fmt: skip
            return "correction_frozen", c["stage"]

        return self._change(principal, actor, deliberation_id, act, "deliberation.correction_freeze")
