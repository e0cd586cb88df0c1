"""Deliberation rules: concerns (诉求), the three meetings (民情三会) and the responsibility list (责任清单).

A deliberation takes a set of concerns of one group (or courtyard) through 屋场恳谈会 → 民情分析会 → 镇民情研判会;
each meeting signs in its attendees, records an outcome per concern, drafts minutes that attendees confirm,
and ends when its minutes are frozen. Only then does the record move on, and the API completes the workflow's
waiting step; a stage that outlives its deadline is recorded by the workflow as a lapse for the level above.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.core import events
from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal, path_within
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.clock import china_today
from chalicelib.core.errors import Conflict, Forbidden, field_error, not_found
from chalicelib.core.ids import new_id
from chalicelib.core.observability import logger
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.core.privacy import mask_name
from chalicelib.deliberation import photos, rules
from chalicelib.deliberation.orchestration import Orchestrator
from chalicelib.deliberation.schemas import (
    CONCERN_STATUS_LABELS,
    ITEM_STATUS_LABELS,
    AnalysisIn,
    AnswersIn,
    AttendanceIn,
    AttendeeOut,
    ConcernAnswerIn,
    ConcernIn,
    ConcernOut,
    ConcernPage,
    DeliberationIn,
    DeliberationOut,
    DeliberationPage,
    GradesIn,
    ItemCloseIn,
    ItemOut,
    ItemPage,
    ItemProgressIn,
    MeetingLapseOut,
    MeetingOut,
    MinutesIn,
    MinutesOut,
    MinutesVersionOut,
    OutcomeOut,
    SupervisionOut,
    TimelineEntry,
    TimelineOut,
    TownDecisionsIn,
    WorkflowOut,
)
from chalicelib.deliberation.store import (
    Change,
    ConcernModel,
    DeliberationModel,
    DeliberationStore,
    ResponsibilityItemModel,
    WorkflowRunModel,
)
from chalicelib.grid.service import GridService
from chalicelib.grid.service import default_service as grid_service
from chalicelib.grid.store import UnitModel
from chalicelib.members.store import MemberStore

WORKFLOW = "deliberation"
COURTYARD_LEVELS = ("area", "group", "neighbourhood")
SCORE_EVENT = "courtyard_meeting:{deliberation}"  # 三比: each party member signed in to the 屋场恳谈会
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class WhistleRequest:
    """A town review's call on a department (乡街吹哨): the whistle slice registers a hook to act on it. The id is
    stable (one per deliberation and concern), so a hook called twice can refuse the second."""

    id: str
    deliberation_id: str
    concern_id: str
    unit_path: str
    department: str
    kind: str
    requested_at: str


# Called after a town review's decisions are stored, once per whistle requested (no import of the whistle slice).
WHISTLE_HOOKS: list[Callable[[WhistleRequest], None]] = []


@dataclass(frozen=True)
class ConcernOutcome:
    """A concern that came from a 12345 hotline ticket has an outcome (answered on the spot or at a courtyard
    meeting, decided by the town, its responsibility item closed): the whistle slice reports it back."""

    concern_id: str
    hotline_ticket: str
    kind: str  # answered, decided, item_closed, closed
    text: str
    unit_path: str


# Called after the outcome is stored, once per hotline concern (no import of the whistle slice).
CONCERN_OUTCOME_HOOKS: list[Callable[[ConcernOutcome], None]] = []


def hotline_concern_id(ticket_id: str) -> str:
    """One concern per hotline ticket: a repeated forward finds the concern it made."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ningxiang:hotline:{ticket_id}"))


def load_hooks() -> None:
    """The other slices' hooks register when their modules load; a Lambda loads modules on first use."""
    from chalicelib.slices import load_hooks as load  # noqa: PLC0415 - wiring, kept out of import time

    load()


def request_whistles(requests: list[WhistleRequest]) -> None:
    if requests:
        load_hooks()
    for request in requests:
        for hook in WHISTLE_HOOKS:
            try:
                hook(request)
            except Exception:  # the decision is stored; the request stays on it (`whistle_requested`)
                logger().exception("whistle hook failed", extra={"whistle": request.id})


def report_outcomes(outcomes: list[ConcernOutcome]) -> None:
    if outcomes:
        load_hooks()
    for outcome in outcomes:
        for hook in CONCERN_OUTCOME_HOOKS:
            try:
                hook(outcome)
            except Exception:  # the concern's outcome is stored; the ticket's outcome can be posted by hand
                logger().exception("concern outcome hook failed", extra={"concern": outcome.concern_id})


def outcome_of(concern: ConcernModel, kind: str, text: str | None) -> list[ConcernOutcome]:
    if not concern.hotline_ticket:
        return []
    return [ConcernOutcome(concern.id, concern.hotline_ticket, kind, text or kind, concern.unit_path)]


def analysis_id(village_code: str, month: str, session: int = 1) -> str:
    """The village's analysis meeting of a month (session 1; a called one 2, 3...): one record, one execution."""
    return f"analysis-{village_code}-{month}" + (f"-{session}" if session > 1 else "")


def whistle_id(deliberation_id: str, concern_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ningxiang:deliberation:{deliberation_id}:{concern_id}"))


# -- shaping ---------------------------------------------------------------------------------------------
def concern_state(item: ConcernModel) -> dict[str, Any]:
    keys = ("id", "text", "category", "household_id", "unit_code", "raised_by", "level", "status", "answer", "grade")
    return {k: getattr(item, k) for k in keys} | {
        "deliberation": item.deliberation_id,
        "item": item.item_id,
        "photos": list(item.photos or []),
        "hotline_ticket": item.hotline_ticket,
    }


def concern_out(item: ConcernModel) -> ConcernOut:
    return ConcernOut(
        id=item.id,
        text=item.text,
        category=item.category,
        unit=item.unit_code,
        unit_path=item.unit_path,
        household=item.household_id,
        raised_by=mask_name(item.raised_by),
        level=item.level,
        source=item.source,
        status=item.status,
        status_label=CONCERN_STATUS_LABELS.get(item.status, item.status),
        answer=item.answer,
        grade=item.grade,
        deliberation=item.deliberation_id,
        item=item.item_id,
        decision=item.decision,
        photos=photos.view(list(item.photos or [])),
        hotline_ticket=item.hotline_ticket,
        created_at=item.created_at,
        version=int(item.version or 0),
    )


def deliberation_state(item: DeliberationModel) -> dict[str, Any]:
    meetings = copy.deepcopy(item.meetings)  # a snapshot: the meetings are edited in place afterwards
    return {"id": item.id, "stage": item.stage, "concerns": list(item.concern_ids), "meetings": meetings}


def _escalated_to(stage: str, item: DeliberationModel) -> str:
    return {"courtyard_meeting": item.village_code, "analysis_meeting": item.town_code}.get(stage, item.root)


def workflow_out(run: WorkflowRunModel | None, escalated_to: Callable[[str], str]) -> WorkflowOut:
    if run is None:
        return WorkflowOut(step=None, waiting_since=None, execution=None, restarts=0, lapses=[])
    lapses = [dict(lapse) for lapse in run.lapses or []]
    return WorkflowOut(
        step=run.step,
        waiting_since=run.waiting_since,
        execution=run.execution_name,
        restarts=int(run.restarts or 0),
        lapses=[
            MeetingLapseOut(stage=lp["stage"], at=lp["at"], escalated_to=escalated_to(lp["stage"])) for lp in lapses
        ],
    )


def _correction_out(c: dict[str, Any]) -> Any:
    from chalicelib.deliberation.corrections import correction_out  # noqa: PLC0415 - it imports this module

    return correction_out(c)


def _minutes_out(minutes: dict[str, Any], corrections: list[dict[str, Any]]) -> MinutesOut:
    versions = [MinutesVersionOut(**v) for v in minutes.get("versions", [])]
    return MinutesOut(
        text=versions[-1].text if versions else None,
        versions=versions,
        confirmed_by=[c["name"] for c in minutes.get("confirmed_by", [])],
        frozen=bool(minutes.get("frozen")),
        frozen_at=minutes.get("frozen_at"),
        hash=minutes.get("hash"),
        corrections=[_correction_out(c) for c in corrections],
    )


def _meeting_unit(item: DeliberationModel, stage: str) -> tuple[str, str]:
    """(code, path) of the unit that holds `stage`."""
    return {
        "courtyard_meeting": (item.unit_code, item.unit_path),
        "analysis_meeting": (item.village_code, item.village_path),
        "town_review": (item.town_code, item.town_path),
    }[stage]


def deliberation_out(item: DeliberationModel, run: WorkflowRunModel | None) -> DeliberationOut:
    meetings = []
    for stage in rules.STAGES:
        meeting = item.meetings.get(stage)
        if meeting is None:
            continue
        meetings.append(
            MeetingOut(
                stage=stage,
                label=rules.STAGE_LABELS[stage],
                unit=_meeting_unit(item, stage)[0],
                attendees=[
                    AttendeeOut(kind=a["kind"], ref=a.get("ref"), name=mask_name(a.get("name")), signed_by_role=a["by"])
                    for a in meeting["attendees"]
                ],
                outcomes=[OutcomeOut(concern=c, **o) for c, o in meeting["outcomes"].items()],
                minutes=_minutes_out(meeting["minutes"], meeting.get("corrections", [])),
                concluded_at=meeting.get("concluded_at"),
            )
        )
    return DeliberationOut(
        id=item.id,
        title=item.title,
        unit=item.unit_code,
        unit_path=item.unit_path,
        village=item.village_code,
        town=item.town_code,
        stage=item.stage,
        stage_label=rules.STAGE_LABELS[item.stage],
        concerns=list(item.concern_ids),
        convened_on=item.convened_on,
        place=item.place,
        meetings=meetings,
        workflow=workflow_out(run, lambda stage: _escalated_to(stage, item)),
        kind=item.kind or "courtyard",
        month=item.month,
        sources=list(item.sources or []),
        analysis=item.analysis_id,
        created_at=item.created_at,
        version=int(item.version or 0),
    )


def item_overdue(item: ResponsibilityItemModel, day: date) -> bool:
    return item.status != "closed" and date.fromisoformat(item.deadline) < day


def item_out(item: ResponsibilityItemModel) -> ItemOut:
    return ItemOut(
        id=item.id,
        deliberation=item.deliberation_id,
        concern=item.concern_id,
        task=item.task,
        grade=item.grade,
        lead_unit=item.lead_unit_code,
        lead_unit_path=item.lead_unit_path,
        responsible_units=list(item.responsible_units),
        accepted_by=list(item.accepted_by),
        deadline=item.deadline,
        status=item.status,
        status_label=ITEM_STATUS_LABELS[item.status],
        overdue=item_overdue(item, china_today()),
        progress=list(item.progress),
        satisfaction=item.satisfaction,
        closed_at=item.closed_at,
        version=int(item.version or 0),
    )


def item_state(item: ResponsibilityItemModel) -> dict[str, Any]:
    keys = ("id", "concern_id", "task", "grade", "lead_unit_code", "deadline", "status", "satisfaction")
    return {k: getattr(item, k) for k in keys} | {"accepted_by": list(item.accepted_by)}


def _new_meeting() -> dict[str, Any]:
    return {"attendees": [], "outcomes": {}, "minutes": {"versions": [], "confirmed_by": [], "frozen": False}}


def _transition(actor: Actor | None, kind: str, stage: str | None, note: str | None = None) -> dict[str, Any]:
    return {"at": now_iso(), "kind": kind, "stage": stage, "by_role": actor.role if actor else None, "note": note}


TIMELINE_LABELS: dict[str, str] = {
    "started": "发起议事",
    "attendance": "签到",
    "outcomes": "登记诉求处理结果",
    "minutes_drafted": "起草/修改会议纪要",
    "minutes_confirmed": "参会人确认纪要",
    "concluded": "纪要定稿，本环节结束",
    "entered": "进入环节",
    "lapsed": "超期未办，挂牌督办",
    "forwarded": "诉求提交村民情分析会",
    "correction_proposed": "纪要更正（新版本）",
    "correction_confirmed": "参会人确认更正",
    "correction_objection": "对更正提出异议",
    "objection_replied": "答复异议",
    "correction_frozen": "更正定稿",
    "collected": "诉求汇入本月民情分析会",
    "closed": "议事办结",
    # 四议两公开
    "proposed": "村党组织提议",
    "consulted": "村两委商议",
    "no_quorum": "到会人数不足三分之二，须重新召开",
    "adopted": "表决通过",
    "rejected": "表决未通过",
    "published": "决议公示",
    "objection": "收到异议",
    "implemented": "组织实施",
    "result_published": "实施结果公开",
}


def timeline(
    transitions: list[dict[str, Any]], run: WorkflowRunModel | None, labels: dict[str, str]
) -> list[TimelineEntry]:
    entries = [dict(t) for t in transitions]
    entries += (
        [{"at": lp["at"], "kind": "lapsed", "stage": lp["stage"], "by_role": None} for lp in (run.lapses or [])]
        if run
        else []
    )
    entries.sort(key=lambda e: str(e["at"]))
    out = []
    for e in entries:
        stage = e.get("stage")
        label = TIMELINE_LABELS.get(e["kind"], e["kind"])
        if stage:
            label = f"{labels.get(stage, stage)}：{label}"
        out.append(TimelineEntry(at=str(e["at"]), kind=e["kind"], stage=stage, label=label, by_role=e.get("by_role")))
    return out


def out_of_turn(current: str, wanted: str, labels: dict[str, str]) -> Conflict:
    return Conflict(
        f"当前环节为「{labels.get(current, current)}」，不能办理「{labels.get(wanted, wanted)}」",
        f"The current step is {current}; {wanted} is not open",
    )


class DeliberationService:
    def __init__(
        self,
        *,
        store: DeliberationStore,
        grid: GridService,
        catalogue: CatalogueStore,
        orchestrator: Orchestrator,
        members: MemberStore | None = None,
    ) -> None:
        self.store = store
        self.grid = grid
        self.catalogue = catalogue
        self.orchestrator = orchestrator
        self.members = members or MemberStore(audit=store.audit)

    # -- helpers ---------------------------------------------------------------------------------------
    def _unit_field(self, principal: Principal, code: str, field: str) -> UnitModel:
        unit = self.grid.store.unit(code)
        if unit is None or not principal.sees_unit(unit.path):
            raise field_error(field, "网格单元不存在或不在您的管辖范围内", "Unit not found or outside your scope")
        return unit

    def _visible(self, principal: Principal, deliberation_id: str) -> DeliberationModel:
        """Those above the meeting's unit see it, and so do the 邻长 within it (they attend its courtyard meeting)."""
        item = self.store.deliberation(deliberation_id)
        if item is None or not (principal.sees_unit(item.unit_path) or self._inside(principal, item.unit_path)):
            raise not_found("议事记录", "Deliberation")
        return item

    @staticmethod
    def _inside(principal: Principal, path: str) -> bool:
        return principal.unit_scope is not None and path_within(principal.unit_scope, path)

    @staticmethod
    def _conduct(principal: Principal, item: DeliberationModel, stage: str) -> None:
        """Only someone whose scope holds the meeting's unit runs it (a 组长 cannot grade at the village)."""
        DeliberationService._conduct_at(principal, _meeting_unit(item, stage)[1], stage)

    @staticmethod
    def _conduct_at(principal: Principal, path: str, stage: str) -> None:
        if not principal.sees_unit(path):
            raise Forbidden(
                f"「{rules.STAGE_LABELS[stage]}」须由{rules.STAGE_LEVEL[stage]}级及以上的干部主持",
                f"The {stage} is run from its {rules.STAGE_LEVEL[stage]} or above",
            )

    @staticmethod
    def _at(item: DeliberationModel, stage: str) -> None:
        if item.stage != stage:
            raise out_of_turn(item.stage, stage, rules.STAGE_LABELS)

    @staticmethod
    def _open_meeting(item: DeliberationModel) -> dict[str, Any]:
        if item.stage == "closed":
            raise Conflict("议事已办结", "The deliberation is closed")
        if item.stage not in item.meetings:
            raise out_of_turn(item.stage, "courtyard_meeting", rules.STAGE_LABELS)
        meeting: dict[str, Any] = item.meetings[item.stage]
        if meeting["minutes"].get("frozen"):
            raise Conflict("本次会议纪要已定稿，不能再修改", "This meeting's minutes are frozen")
        return meeting

    def _out(self, item: DeliberationModel) -> DeliberationOut:
        return deliberation_out(item, self.store.run(item.id))

    def _save(
        self,
        actor: Actor,
        item: DeliberationModel,
        before: dict[str, Any],
        action: str,
        extra: list[Change] | None = None,
    ) -> None:
        change = Change(item, action, "deliberation", item.unit_path, before, deliberation_state(item))
        self.store.write(actor, [change, *(extra or [])])

    # -- concerns --------------------------------------------------------------------------------------
    def create_concern(self, principal: Principal, actor: Actor, data: ConcernIn) -> ConcernOut:
        if data.category not in self.catalogue.codes("concern_category"):
            raise field_error("body.category", "诉求类别不在目录中", "Unknown concern category")
        household_id = None
        if data.household is not None:
            household = self.grid.store.household(data.household)
            if household is None or not principal.sees_unit(household.unit_path):
                raise field_error(
                    "body.household", "住户不存在或不在您的管辖范围内", "Household not found or outside your scope"
                )
            household_id, unit_code, unit_path, root = (
                household.id,
                household.unit_code,
                household.unit_path,
                household.root,
            )
        else:
            unit = self._unit_field(principal, data.unit or "", "body.unit")
            unit_code, unit_path, root = unit.code, unit.path, unit.root
        keys = photos.check(data.photos, root) if data.photos else None
        item = ConcernModel(
            new_id(),
            text=data.text,
            category=data.category,
            household_id=household_id,
            unit_code=unit_code,
            unit_path=unit_path,
            root=root,
            raised_by=data.raised_by,
            level=data.level,
            source=data.source,
            status="open",
            created_at=now_iso(),
            logged_by_role=actor.role,
            photos=keys,
        )
        item.path_key = f"{unit_path}/#{item.id}"
        self.store.write(
            actor, [Change(item, "concern.create", "concern", unit_path, None, concern_state(item), new=True)]
        )
        return concern_out(item)

    def _concern(self, principal: Principal, concern_id: str) -> ConcernModel:
        item = self.store.concern(concern_id)
        if item is None or not principal.sees_unit(item.unit_path):
            raise not_found("诉求", "Concern")
        return item

    def get_concern(self, principal: Principal, concern_id: str) -> ConcernOut:
        return concern_out(self._concern(principal, concern_id))

    def answer_concern(self, principal: Principal, actor: Actor, concern_id: str, data: ConcernAnswerIn) -> ConcernOut:
        """Answered on the spot (琐事不出组): only an open concern, not one in a deliberation."""
        item = self._concern(principal, concern_id)
        if item.status != "open":
            raise Conflict(
                f"该诉求当前为「{CONCERN_STATUS_LABELS[item.status]}」，不能当场答复",
                f"The concern is {item.status}; it cannot be answered on the spot",
            )
        before = concern_state(item)
        item.status, item.answer = "answered", data.answer
        self.store.write(
            actor, [Change(item, "concern.answer", "concern", item.unit_path, before, concern_state(item))]
        )
        report_outcomes(outcome_of(item, "answered", data.answer))
        return concern_out(item)

    def concern_from_hotline(
        self, actor: Actor, *, ticket_id: str, text: str, category: str, unit: UnitModel
    ) -> ConcernModel:
        """A 12345 ticket the town forwards to a village becomes that village's concern (source hotline). The
        caller stays with the hotline: neither name nor phone is copied. Forwarding twice finds the same one."""
        concern_id = hotline_concern_id(ticket_id)
        found = self.store.concern(concern_id)
        if found is not None:
            return found
        if category not in self.catalogue.codes("concern_category"):
            category = "other"
        item = ConcernModel(
            concern_id,
            text=text,
            category=category,
            household_id=None,
            unit_code=unit.code,
            unit_path=unit.path,
            root=unit.root,
            path_key=f"{unit.path}/#{concern_id}",
            raised_by=None,
            level="village",
            source="hotline",
            status="open",
            created_at=now_iso(),
            logged_by_role=actor.role,
            hotline_ticket=ticket_id,
        )
        self.store.write(
            actor, [Change(item, "concern.create", "concern", unit.path, None, concern_state(item), new=True)]
        )
        return item

    def concerns_below(
        self, principal: Principal, code: str, *, status: str | None, limit: int, cursor: str | None
    ) -> ConcernPage:
        unit = self.grid.visible_unit(principal, code)
        condition = ConcernModel.status == status if status else None
        items, last = self.store.below(
            ConcernModel, unit.root, unit.path, condition=condition, limit=limit, after=decode_cursor(cursor)
        )
        return ConcernPage(items=[concern_out(i) for i in items], next_cursor=encode_cursor(last))

    # -- deliberations ---------------------------------------------------------------------------------
    def start(self, principal: Principal, actor: Actor, data: DeliberationIn) -> DeliberationOut:
        unit = self._unit_field(principal, data.unit, "body.unit")
        if unit.level not in COURTYARD_LEVELS:
            raise field_error(
                "body.unit",
                "屋场恳谈会在片、组或邻召开",
                "A courtyard meeting is held by an area, group or neighbourhood",
            )
        chain = self.grid.store.units(unit.ancestors)
        village = next((u for u in chain.values() if u.level == "village"), None)
        town = next((u for u in chain.values() if u.level == "town"), None)
        if village is None or town is None:
            raise field_error("body.unit", "该单元不在某村、某镇之下", "The unit is not under a village and a town")
        found = self.store.concerns(data.concerns)
        changes: list[Change] = []
        item_id = new_id()
        for n, concern_id in enumerate(dict.fromkeys(data.concerns)):
            concern = found.get(concern_id)
            field = f"body.concerns.{n}"
            if concern is None or not principal.sees_unit(concern.unit_path):
                raise field_error(field, "诉求不存在或不在您的管辖范围内", "Concern not found or outside your scope")
            if not path_within(concern.unit_path, unit.path):
                raise field_error(field, "诉求不属于本屋场恳谈会的单元", "The concern is not from this meeting's unit")
            if concern.status != "open":
                raise Conflict(
                    f"诉求已是「{CONCERN_STATUS_LABELS[concern.status]}」，不能再纳入议事",
                    f"A concern is already {concern.status}",
                )
            before = concern_state(concern)
            concern.status, concern.deliberation_id = "in_deliberation", item_id
            changes.append(
                Change(concern, "concern.deliberate", "concern", concern.unit_path, before, concern_state(concern))
            )
        item = DeliberationModel(
            item_id,
            title=data.title,
            unit_code=unit.code,
            unit_path=unit.path,
            village_code=village.code,
            village_path=village.path,
            town_code=town.code,
            town_path=town.path,
            root=unit.root,
            path_key=f"{unit.path}/#{item_id}",
            stage="courtyard_meeting",
            concern_ids=list(dict.fromkeys(data.concerns)),
            convened_on=data.convened_on.isoformat(),
            place=data.place,
            meetings={"courtyard_meeting": _new_meeting()},
            transitions=[_transition(actor, "started", "courtyard_meeting")],
            created_at=now_iso(),
        )
        run = WorkflowRunModel(
            item_id, kind=WORKFLOW, root=item.root, path_key=item.path_key, open_kind=WORKFLOW, restarts=0
        )
        change = Change(
            item, "deliberation.start", "deliberation", item.unit_path, None, deliberation_state(item), new=True
        )
        self.store.write(actor, [change, *changes], runs=[run])
        self.orchestrator.start(item_id, "courtyard_meeting")
        return self._out(item)

    def start_analysis(self, principal: Principal, actor: Actor, data: AnalysisIn) -> DeliberationOut:
        """民情分析会 of a village for a month: it takes the forwarded concerns of every courtyard meeting of the
        village not yet taken up, and the open concerns logged at the village itself (12345 tickets forwarded by
        the town). Its own record and execution, named after the village and month: a second start is a 409."""
        village = self._unit_field(principal, data.village, "body.village")
        if village.level != "village":
            raise field_error("body.village", "民情分析会由村（社区）召开", "An analysis meeting is held by a village")
        self._conduct_at(principal, village.path, "analysis_meeting")
        town = next((u for u in self.grid.store.units(village.ancestors).values() if u.level == "town"), None)
        if town is None:
            raise field_error("body.village", "该村不在某镇之下", "The village is not under a town")
        item_id = analysis_id(village.code, data.month, data.session)
        courtyards, _ = self.store.below(
            DeliberationModel,
            village.root,
            village.path,
            condition=DeliberationModel.stage == rules.WAITING_FOR_ANALYSIS,
            limit=None,
            after=None,
        )
        village_concerns = self.store.at_unit(
            ConcernModel,
            village.root,
            village.path,
            condition=(ConcernModel.status == "open") & (ConcernModel.level == "village"),
        )
        concern_ids: list[str] = []
        changes: list[Change] = []
        transition = _transition(actor, "collected", "analysis_meeting", item_id)
        for courtyard in sorted(courtyards, key=lambda c: c.created_at):
            before = deliberation_state(courtyard)
            outcomes = courtyard.meetings["courtyard_meeting"]["outcomes"]
            concern_ids += [c for c, o in outcomes.items() if o.get("outcome") == "forwarded"]
            courtyard.stage, courtyard.analysis_id = "analysed", item_id
            courtyard.transitions = [*courtyard.transitions, transition]
            changes.append(
                Change(courtyard, "deliberation.collected", "deliberation", courtyard.unit_path, before,
                       deliberation_state(courtyard))
            )  # fmt: skip
        for concern in village_concerns:
            before = concern_state(concern)
            concern.status, concern.deliberation_id = "in_deliberation", item_id
            concern_ids.append(concern.id)
            changes.append(
                Change(concern, "concern.deliberate", "concern", concern.unit_path, before, concern_state(concern))
            )
        if not concern_ids:
            raise Conflict("本村没有待民情分析会研究的诉求", "The village has no concerns waiting for an analysis")
        if len(changes) > 45:
            raise Conflict(
                "待研究的诉求过多，请分次召开（每次至多 45 个屋场恳谈会或村级诉求）",
                "Too many records for one meeting (at most 45 courtyard meetings or village concerns)",
            )
        item = DeliberationModel(
            item_id,
            title=data.title,
            unit_code=village.code,
            unit_path=village.path,
            village_code=village.code,
            village_path=village.path,
            town_code=town.code,
            town_path=town.path,
            root=village.root,
            path_key=f"{village.path}/#{item_id}",
            stage="analysis_meeting",
            concern_ids=list(dict.fromkeys(concern_ids)),
            convened_on=data.convened_on.isoformat(),
            place=data.place,
            meetings={"analysis_meeting": _new_meeting()},
            transitions=[_transition(actor, "started", "analysis_meeting")],
            kind="analysis",
            month=data.month,
            sources=[c.id for c in sorted(courtyards, key=lambda c: c.created_at)],
            created_at=now_iso(),
        )
        if self.store.deliberation(item_id) is not None:
            raise Conflict(
                f"{data.month} 第 {data.session} 次民情分析会已召开", f"That analysis meeting of {data.month} exists"
            )
        run = WorkflowRunModel(
            item_id, kind=WORKFLOW, root=item.root, path_key=item.path_key, open_kind=WORKFLOW, restarts=0
        )
        change = Change(
            item, "deliberation.start", "deliberation", item.unit_path, None, deliberation_state(item), new=True
        )
        self.store.write(actor, [change, *changes], runs=[run])
        self.orchestrator.start(item_id, "analysis_meeting")
        return self._out(item)

    def get(self, principal: Principal, deliberation_id: str) -> DeliberationOut:
        return self._out(self._visible(principal, deliberation_id))

    def timeline(self, principal: Principal, deliberation_id: str) -> TimelineOut:
        """The record's steps and lapses; a courtyard record taken up by an analysis meeting shows the analysis
        (and the town review after it), and an analysis shows the courtyard meetings that fed it: one story."""
        item = self._visible(principal, deliberation_id)
        related = [*(item.sources or []), item.id, *([item.analysis_id] if item.analysis_id else [])]
        records = {r.id: r for r in DeliberationModel.batch_get(list(dict.fromkeys(related)))}
        runs = self.store.runs(list(records))
        entries: list[TimelineEntry] = []
        for record_id in dict.fromkeys(related):
            record = records.get(record_id)
            if record is None:
                continue
            for entry in timeline(record.transitions, runs.get(record_id), rules.STAGE_LABELS):
                entry.deliberation = record_id
                entries.append(entry)
        entries.sort(key=lambda e: e.at)
        return TimelineOut(id=item.id, items=entries)

    def below(self, principal: Principal, code: str, *, limit: int, cursor: str | None) -> DeliberationPage:
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.below(
            DeliberationModel, unit.root, unit.path, limit=limit, after=decode_cursor(cursor)
        )
        runs = self.store.runs([i.id for i in items])
        return DeliberationPage(
            items=[deliberation_out(i, runs.get(i.id)) for i in items], next_cursor=encode_cursor(last)
        )

    def sign_in(self, principal: Principal, actor: Actor, deliberation_id: str, data: AttendanceIn) -> DeliberationOut:
        def once() -> DeliberationModel:
            item = self._visible(principal, deliberation_id)
            before = deliberation_state(item)
            self._conduct(principal, item, item.stage if item.stage in rules.STAGES else "courtyard_meeting")
            meeting = self._open_meeting(item)
            seen = {(a["kind"], a.get("ref") or a.get("name")) for a in meeting["attendees"]}
            for n, attendee in enumerate(data.attendees):
                if attendee.kind == "household":
                    household = self.grid.store.household(attendee.ref or "")
                    if household is None or not principal.sees_unit(household.unit_path):
                        raise field_error(
                            f"body.attendees.{n}.ref",
                            "住户不存在或不在您的管辖范围内",
                            "Household not found or outside your scope",
                        )
                if attendee.kind == "member":
                    member = self.members.member(attendee.ref or "")
                    if member is None or member.status == "left" or not principal.sees_unit(member.unit_path):
                        raise field_error(
                            f"body.attendees.{n}.ref",
                            "党员不存在或不在您的管辖范围内",
                            "Party member not found or outside your scope",
                        )
                key = (attendee.kind, attendee.ref or attendee.name)
                if key in seen:
                    continue
                seen.add(key)
                meeting["attendees"].append(
                    {
                        "kind": attendee.kind,
                        "ref": attendee.ref,
                        "name": attendee.name,
                        "by": actor.role,
                        "at": now_iso(),
                    }
                )
            item.transitions = [*item.transitions, _transition(actor, "attendance", item.stage)]
            self._save(actor, item, before, "deliberation.attendance")
            return item

        return self._out(self.store.retrying(3, once))

    def answers(self, principal: Principal, actor: Actor, deliberation_id: str, data: AnswersIn) -> DeliberationOut:
        """屋场恳谈会: each concern answered on the spot (with the answer) or forwarded to the village."""
        item = self._visible(principal, deliberation_id)
        self._at(item, "courtyard_meeting")
        self._conduct(principal, item, "courtyard_meeting")
        before = deliberation_state(item)
        meeting = self._open_meeting(item)
        concerns = self.store.concerns([o.concern for o in data.items])
        changes = []
        for n, outcome in enumerate(data.items):
            concern = concerns.get(outcome.concern)
            if concern is None or outcome.concern not in item.concern_ids:
                raise field_error(
                    f"body.items.{n}.concern", "诉求不在本次议事中", "The concern is not in this deliberation"
                )
            meeting["outcomes"][outcome.concern] = {"outcome": outcome.outcome, "answer": outcome.answer}
            c_before = concern_state(concern)
            if outcome.outcome == "answered":
                concern.status, concern.answer, concern.level = "answered", outcome.answer, "group"
            else:
                concern.status, concern.answer, concern.level = "in_deliberation", None, "village"
            changes.append(
                Change(concern, "concern.courtyard", "concern", concern.unit_path, c_before, concern_state(concern))
            )
        item.transitions = [*item.transitions, _transition(actor, "outcomes", item.stage)]
        self._save(actor, item, before, "deliberation.answers", changes)
        report_outcomes(
            [o for c in concerns.values() if c.status == "answered" for o in outcome_of(c, "answered", c.answer)]
        )
        return self._out(item)

    def grades(self, principal: Principal, actor: Actor, deliberation_id: str, data: GradesIn) -> DeliberationOut:
        """民情分析会: each forwarded concern graded, then put on the responsibility list (挂号) or sent to the town."""
        item = self._visible(principal, deliberation_id)
        self._at(item, "analysis_meeting")
        self._conduct(principal, item, "analysis_meeting")
        before = deliberation_state(item)
        meeting = self._open_meeting(item)
        forwarded = self._for_analysis(item)
        concerns = self.store.concerns([g.concern for g in data.items])
        changes: list[Change] = []
        for n, grade in enumerate(data.items):
            concern = concerns.get(grade.concern)
            if concern is None or grade.concern not in forwarded:
                raise field_error(f"body.items.{n}.concern", "该诉求未提交民情分析会", "The concern was not forwarded")
            if grade.concern in meeting["outcomes"]:
                raise Conflict("该诉求已研究分级，不能重复", "The concern is already graded")
            outcome: dict[str, Any] = {"grade": grade.grade, "action": grade.action}
            c_before = concern_state(concern)
            concern.grade = grade.grade
            if grade.action == "assign":
                lead = self._unit_field(principal, grade.lead_unit or "", f"body.items.{n}.lead_unit")
                if not path_within(lead.path, item.village_path):
                    raise field_error(
                        f"body.items.{n}.lead_unit", "牵头单位须在本村内", "The lead unit must be in the village"
                    )
                for m, code in enumerate(grade.responsible_units):
                    self._unit_field(principal, code, f"body.items.{n}.responsible_units.{m}")
                responsibility = ResponsibilityItemModel(
                    new_id(),
                    deliberation_id=item.id,
                    concern_id=concern.id,
                    task=grade.task or "",
                    grade=grade.grade,
                    lead_unit_code=lead.code,
                    lead_unit_path=lead.path,
                    responsible_units=list(dict.fromkeys(grade.responsible_units)),
                    accepted_by=[],
                    root=lead.root,
                    deadline=(grade.deadline or china_today()).isoformat(),
                    status="registered",
                    progress=[{"at": now_iso(), "kind": "registered", "by_role": actor.role, "note": None}],
                    created_at=now_iso(),
                )
                responsibility.path_key = f"{lead.path}/#{responsibility.id}"
                outcome["item"] = responsibility.id
                concern.status, concern.item_id = "assigned", responsibility.id
                changes.append(
                    Change(responsibility, "responsibility.register", "responsibility_item", lead.path, None,
                           item_state(responsibility), new=True)
                )  # fmt: skip
            else:
                concern.level = "town"
            meeting["outcomes"][grade.concern] = outcome
            changes.append(
                Change(concern, "concern.grade", "concern", concern.unit_path, c_before, concern_state(concern))
            )
        item.transitions = [*item.transitions, _transition(actor, "outcomes", item.stage)]
        self._save(actor, item, before, "deliberation.grades", changes)
        return self._out(item)

    def decisions(
        self, principal: Principal, actor: Actor, deliberation_id: str, data: TownDecisionsIn
    ) -> DeliberationOut:
        """镇民情研判会: 一事一策 for each concern sent up; a decision may ask for a whistle (吹哨)."""
        item = self._visible(principal, deliberation_id)
        self._at(item, "town_review")
        self._conduct(principal, item, "town_review")
        before = deliberation_state(item)
        meeting = self._open_meeting(item)
        sent = item.meetings["analysis_meeting"]["outcomes"]
        concerns = self.store.concerns([d.concern for d in data.items])
        changes = []
        whistles: list[WhistleRequest] = []
        for n, decision in enumerate(data.items):
            concern = concerns.get(decision.concern)
            if concern is None or sent.get(decision.concern, {}).get("action") != "town":
                raise field_error(
                    f"body.items.{n}.concern", "该诉求未提交镇研判", "The concern was not sent to the town"
                )
            outcome: dict[str, Any] = {"decision": decision.decision, "lead_department": decision.lead_department}
            if decision.whistle is not None:
                request = WhistleRequest(
                    id=whistle_id(item.id, concern.id),
                    deliberation_id=item.id,
                    concern_id=concern.id,
                    unit_path=item.unit_path,
                    department=decision.whistle.department,
                    kind=decision.whistle.kind,
                    requested_at=now_iso(),
                )
                outcome["whistle_requested"] = {
                    "id": request.id,
                    "department": request.department,
                    "kind": request.kind,
                }
                whistles.append(request)
            meeting["outcomes"][decision.concern] = outcome
            c_before = concern_state(concern)
            concern.status, concern.decision = "decided", decision.decision
            changes.append(
                Change(concern, "concern.decide", "concern", concern.unit_path, c_before, concern_state(concern))
            )
        item.transitions = [*item.transitions, _transition(actor, "outcomes", item.stage)]
        self._save(actor, item, before, "deliberation.decisions", changes)
        report_outcomes(
            [o for c in concerns.values() if c.status == "decided" for o in outcome_of(c, "decided", c.decision)]
        )
        request_whistles(whistles)
        return self._out(item)

    # -- minutes ---------------------------------------------------------------------------------------
    def draft_minutes(
        self, principal: Principal, actor: Actor, deliberation_id: str, data: MinutesIn
    ) -> DeliberationOut:
        """Draft or amend the current meeting's minutes; an amendment asks every attendee to confirm again."""

        def once() -> DeliberationModel:
            item = self._visible(principal, deliberation_id)
            before = deliberation_state(item)
            meeting = self._open_meeting(item)
            self._conduct(principal, item, item.stage)
            minutes = meeting["minutes"]
            versions = minutes["versions"]
            versions.append({"version": len(versions) + 1, "text": data.text, "at": now_iso(), "by_role": actor.role})
            minutes["confirmed_by"] = []
            item.transitions = [*item.transitions, _transition(actor, "minutes_drafted", item.stage)]
            self._save(actor, item, before, "deliberation.minutes")
            return item

        return self._out(self.store.retrying(3, once))

    def confirm_minutes(self, principal: Principal, actor: Actor, deliberation_id: str) -> DeliberationOut:
        """An attendee confirms the current draft (several may confirm at once: a lost version race is retried)."""

        def once() -> DeliberationModel:
            item = self._visible(principal, deliberation_id)
            before = deliberation_state(item)
            meeting = self._open_meeting(item)
            minutes = meeting["minutes"]
            if not minutes["versions"]:
                raise Conflict("尚无会议纪要可确认", "There are no minutes to confirm yet")
            if any(c["sub"] == principal.sub for c in minutes["confirmed_by"]):
                return item
            minutes["confirmed_by"].append({"sub": principal.sub, "name": principal.display_name, "at": now_iso()})
            item.transitions = [*item.transitions, _transition(actor, "minutes_confirmed", item.stage)]
            self._save(actor, item, before, "deliberation.minutes_confirm")
            return item

        return self._out(self.store.retrying(5, once))

    @staticmethod
    def _for_analysis(item: DeliberationModel) -> list[str]:
        """The concerns an analysis meeting grades: all of an analysis record's (forwarded by its courtyard
        meetings, or logged at the village); of an older record, those its own courtyard meeting forwarded."""
        if "courtyard_meeting" not in item.meetings:
            return list(item.concern_ids)
        courtyard = item.meetings["courtyard_meeting"]["outcomes"]
        return [c for c, o in courtyard.items() if o.get("outcome") == "forwarded"]

    @staticmethod
    def _unfinished(item: DeliberationModel) -> list[str]:
        """Concerns the current meeting still owes an outcome."""
        stage = item.stage
        outcomes = item.meetings[stage]["outcomes"]
        if stage == "courtyard_meeting":
            due = list(item.concern_ids)
        elif stage == "analysis_meeting":
            due = DeliberationService._for_analysis(item)
        else:
            analysis = item.meetings["analysis_meeting"]["outcomes"]
            due = [c for c, o in analysis.items() if o.get("action") == "town"]
        return [c for c in due if c not in outcomes]

    def freeze_minutes(self, principal: Principal, actor: Actor, deliberation_id: str) -> DeliberationOut:
        """Freeze the minutes (text and confirmations hashed): the meeting ends and the deliberation moves on."""
        item = self._visible(principal, deliberation_id)
        before = deliberation_state(item)
        meeting = self._open_meeting(item)
        stage = item.stage
        self._conduct(principal, item, stage)
        minutes = meeting["minutes"]
        if not meeting["attendees"]:
            raise Conflict("会议尚无人签到", "Nobody has signed in to this meeting")
        if not minutes["versions"]:
            raise Conflict("尚无会议纪要", "The minutes have not been drafted")
        pending = self._unfinished(item)
        if pending:
            raise Conflict(
                f"还有 {len(pending)} 项诉求未登记处理结果", f"{len(pending)} concern(s) still need an outcome"
            )
        text = minutes["versions"][-1]["text"]
        minutes["frozen"], minutes["frozen_at"] = True, now_iso()
        minutes["hash"] = rules.minutes_hash(stage, text, [c["sub"] for c in minutes["confirmed_by"]])
        meeting["concluded_at"] = minutes["frozen_at"]
        if stage == "courtyard_meeting":  # the sign-in is final: the party members attending are credited
            signed = [str(a["ref"]) for a in meeting["attendees"] if a["kind"] == "member" and a.get("ref")]
            meeting["score_members"] = list(dict.fromkeys(signed))
        nxt = rules.next_stage(stage, meeting["outcomes"])
        transitions = [_transition(actor, "concluded", stage)]
        changes: list[Change] = []
        if nxt == "closed":
            transitions.append(_transition(actor, "closed", None))
            changes = self._close_concerns(item)
        elif nxt == rules.WAITING_FOR_ANALYSIS:
            transitions.append(_transition(actor, "forwarded", "analysis_meeting"))
        else:
            item.meetings[nxt] = _new_meeting()
            transitions.append(_transition(actor, "entered", nxt))
        item.stage = nxt
        item.transitions = [*item.transitions, *transitions]
        self._save(actor, item, before, "deliberation.freeze", changes)
        if meeting.get("score_members"):  # 三比: booked once per meeting and member, whatever replays
            events.publish(events.SCORING_CREDIT, SCORE_EVENT.format(deliberation=item.id))
        self.orchestrator.advance(item.id, stage, {"next": nxt}, next_step=nxt, final=nxt in rules.ENDED)
        return self._out(item)

    def _close_concerns(self, item: DeliberationModel) -> list[Change]:
        """When the deliberation ends, concerns answered or decided are closed (assigned ones close with their item)."""
        changes = []
        for concern in self.store.concerns(list(item.concern_ids)).values():
            if concern.status in ("answered", "decided"):
                before = concern_state(concern)
                concern.status = "closed"
                changes.append(
                    Change(concern, "concern.close", "concern", concern.unit_path, before, concern_state(concern))
                )
        return changes

    # -- responsibility list ---------------------------------------------------------------------------
    def _item(self, principal: Principal, item_id: str) -> ResponsibilityItemModel:
        item = self.store.item(item_id)
        if item is None or not principal.sees_unit(item.lead_unit_path):
            raise not_found("责任清单事项", "Responsibility item")
        return item

    def get_item(self, principal: Principal, item_id: str) -> ItemOut:
        return item_out(self._item(principal, item_id))

    def item_progress(self, principal: Principal, actor: Actor, item_id: str, data: ItemProgressIn) -> ItemOut:
        item = self._item(principal, item_id)
        if item.status == "closed":
            raise Conflict("该事项已销号", "The item is closed")
        before = item_state(item)
        if data.kind == "accept":
            code = data.unit or item.lead_unit_code
            if code not in (item.lead_unit_code, *item.responsible_units):
                raise field_error(
                    "body.unit", "该单位不是本事项的牵头或责任单位", "Not a lead or responsible unit of the item"
                )
            self._unit_field(principal, code, "body.unit")
            if code not in item.accepted_by:
                item.accepted_by = [*item.accepted_by, code]
        elif data.kind == "progress":
            item.status = "in_progress"
        else:
            item.status = "done"
        item.progress = [*item.progress, {"at": now_iso(), "kind": data.kind, "by_role": actor.role, "note": data.note}]
        change = Change(
            item, f"responsibility.{data.kind}", "responsibility_item", item.lead_unit_path, before, item_state(item)
        )
        self.store.write(actor, [change])
        return item_out(item)

    def close_item(self, principal: Principal, actor: Actor, item_id: str, data: ItemCloseIn) -> ItemOut:
        """销号 after the follow-up visit: an unsatisfied resident sends the item back to work."""
        item = self._item(principal, item_id)
        if item.status != "done":
            raise Conflict(
                f"事项当前为「{ITEM_STATUS_LABELS[item.status]}」，办完后才能回访销号",
                f"The item is {item.status}; only a done item is closed",
            )
        before = item_state(item)
        entry = {
            "at": now_iso(),
            "kind": "follow_up",
            "by_role": actor.role,
            "note": data.note,
            "satisfaction": data.satisfaction,
        }
        item.progress = [*item.progress, entry]
        changes = []
        if data.satisfaction == "unsatisfied":
            item.status = "in_progress"
        else:
            item.status, item.satisfaction, item.closed_at = "closed", data.satisfaction, now_iso()
            concern = self.store.concern(item.concern_id)
            if concern is not None and concern.status == "assigned":
                c_before = concern_state(concern)
                concern.status = "closed"
                changes.append(
                    Change(concern, "concern.close", "concern", concern.unit_path, c_before, concern_state(concern))
                )
        change = Change(
            item, "responsibility.follow_up", "responsibility_item", item.lead_unit_path, before, item_state(item)
        )
        self.store.write(actor, [change, *changes])
        report_outcomes(
            [
                o
                for c in changes
                if isinstance(c.item, ConcernModel)
                for o in outcome_of(
                    c.item, "item_closed", f"责任清单事项已销号：{item.task}（{SATISFACTION[data.satisfaction]}）"
                )
            ]
        )
        return item_out(item)

    def items_below(
        self, principal: Principal, code: str, *, overdue: bool | None, limit: int, cursor: str | None
    ) -> ItemPage:
        unit = self.grid.visible_unit(principal, code)
        condition = None
        if overdue:
            condition = (ResponsibilityItemModel.status != "closed") & (
                ResponsibilityItemModel.deadline < china_today().isoformat()
            )
        items, last = self.store.below(
            ResponsibilityItemModel, unit.root, unit.path, condition=condition, limit=limit, after=decode_cursor(cursor)
        )
        return ItemPage(items=[item_out(i) for i in items], next_cursor=encode_cursor(last))

    def supervision(self, principal: Principal, code: str) -> SupervisionOut:
        """挂牌督办 for a unit: meetings of its subtree whose deadline lapsed (recorded by the workflows) and
        overdue responsibility items."""
        unit = self.grid.visible_unit(principal, code)
        lapsed = []
        for run in self.store.lapsed_below(unit.root, unit.path, limit=200):
            if run.step in rules.ENDED:
                continue
            lapses = [dict(lp) for lp in run.lapses or []]
            lapsed.append(
                {
                    "record": run.id,
                    "workflow": run.kind,
                    "unit_path": run.path_key.rsplit("/#", 1)[0],
                    "step": run.step,
                    "lapses": lapses,
                }
            )
        page = self.items_below(principal, code, overdue=True, limit=200, cursor=None)
        return SupervisionOut(lapsed_meetings=lapsed, overdue_items=page.items)

    # -- resuming --------------------------------------------------------------------------------------
    def resume(self) -> int:
        """Restart the execution of every open deliberation whose execution is gone, at the recorded stage."""
        count = 0
        for run in self.store.open_runs(WORKFLOW):
            item = self.store.deliberation(run.id)
            if item is None:
                continue
            if item.stage in rules.ENDED:
                self.store.close_run(item.id, "closed" if item.stage == "closed" else rules.WAITING_FOR_ANALYSIS)
                continue
            if self.orchestrator.is_running(item.id):
                continue
            self.orchestrator.restart(item.id, item.stage)
            count += 1
        return count


def default_service() -> DeliberationService:
    store = DeliberationStore(audit=AuditStore())
    return DeliberationService(
        store=store,
        grid=grid_service(),
        catalogue=CatalogueStore(),
        orchestrator=Orchestrator(workflow=WORKFLOW, store=store),
    )
