"""Objections and their replies, one shape wherever villagers or attendees object: a correction of frozen minutes
(corrections.py) and the public notice of a 四议两公开 resolution (decisions.py).

An objection is `{n, at, text, raised_by, by_role, replies: [{text, by, by_role, at}]}`, numbered from 1 in its
list. The holder of the record replies (who, what, when); a step that ends the notice refuses while any objection
has no reply, naming the open ones by number and date (never their text or who raised them). Answers show the
objector's name masked, and ID numbers, mobiles and the objector's name masked in the texts."""

from __future__ import annotations

from typing import Any

from chalicelib.core.audit import Actor
from chalicelib.core.auth import Principal
from chalicelib.core.clock import china_date
from chalicelib.core.errors import Conflict, not_found
from chalicelib.core.privacy import mask_name, mask_text
from chalicelib.deliberation.service import now_iso


def number(objections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objections recorded before they were numbered (and before replies) get their number and an empty list."""
    return [{"n": i, "replies": []} | o for i, o in enumerate(objections, start=1)]


def raise_objection(
    objections: list[dict[str, Any]], *, text: str, raised_by: str | None, by_role: str
) -> list[dict[str, Any]]:
    """The list with one more objection (the next number)."""
    numbered = number(objections)
    entry = {"n": len(numbered) + 1, "at": now_iso(), "text": text, "raised_by": raised_by, "by_role": by_role}
    return [*numbered, entry | {"replies": []}]


def find(objections: list[dict[str, Any]], n: int) -> dict[str, Any]:
    found = next((o for o in objections if o.get("n") == n), None)
    if found is None:
        raise not_found("异议", "Objection")
    return found


def reply(objection: dict[str, Any], principal: Principal, actor: Actor, text: str) -> bool:
    """Add the holder's reply; True when it is the objection's first (the objection is now answered)."""
    first = not objection.get("replies")
    objection["replies"] = [
        *objection.get("replies", []),
        {"text": text, "by": principal.display_name, "by_role": actor.role, "at": now_iso()},
    ]
    return first


def unanswered(objections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in number(objections) if not o["replies"]]


def _day(objection: dict[str, Any]) -> str:
    """The day in 宁乡 an objection was lodged."""
    return china_date(str(objection["at"])).isoformat() if objection.get("at") else ""


def require_answered(objections: list[dict[str, Any]], step_zh: str, step_en: str) -> None:
    """409 naming the objections without a reply (number and date only: their text may name residents)."""
    open_ = unanswered(objections)
    if open_:
        zh = "、".join(f"第 {o['n']} 条（{_day(o)}）" for o in open_)
        en = ", ".join(f"#{o['n']} ({_day(o)})" for o in open_)
        raise Conflict(
            f"还有 {len(open_)} 条异议未答复：{zh}；全部答复后才能{step_zh}",
            f"{len(open_)} objection(s) have no reply yet: {en}; reply to each before {step_en}",
        )


def shown(objection: dict[str, Any]) -> dict[str, Any]:
    """An objection as an answer shows it: the objector masked, in its text and in the replies' texts too."""
    name = objection.get("raised_by")
    return objection | {
        "text": mask_text(str(objection.get("text", "")), (name,)),
        "raised_by": mask_name(name),
        "answered": bool(objection.get("replies")),
        "replies": [r | {"text": mask_text(str(r.get("text", "")), (name,))} for r in objection.get("replies", [])],
    }


def shown_all(objections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [shown(o) for o in number(objections)]
