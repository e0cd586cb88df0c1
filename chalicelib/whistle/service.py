"""Whistle rules (吹哨报到): who may whistle which kind, dispatch to departments, each department's report-in,
progress, resolution, the whistler's verification and evaluation, 销号; returns (退单) and re-dispatch (改派),
extensions; due times from the catalogue; scorecards kept in the transitions' transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.core import events, ids
from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal, path_within
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.clock import china_date
from chalicelib.core.errors import Conflict, Forbidden, check_version, field_error, not_found
from chalicelib.core.observability import logger
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings
from chalicelib.grid.store import GridStore
from chalicelib.whistle import rules
from chalicelib.whistle.flow import FlowRunner
from chalicelib.whistle.schemas import (
    AckOut,
    CategoryIn,
    CategoryList,
    CategoryOut,
    DecisionIn,
    DepartmentList,
    DepartmentOut,
    DepartmentScorecardOut,
    DispatchIn,
    EvaluateIn,
    ExtensionIn,
    KindRuleIn,
    KindRuleList,
    KindRuleOut,
    LapseOut,
    NoteIn,
    ProgressIn,
    ReturnIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TownRateOut,
    VerifyIn,
)
from chalicelib.whistle.store import AssignmentModel, FlowModel, ScoreDelta, TicketModel, WhistleStore, ticket_state
from chalicelib.whistle.webhooks import WebhookService

TOWN_ROLES = frozenset({"town_cadre", "city_admin"})
SCORE_EVENT = "whistle_closed:{ticket}"  # 三比: a whistle closed on time credits its unit's head
HEAD_LEVELS = ("group", "area")  # the 组长, or else the 片长, of the unit the whistle came from


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment is not None else None


def parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def period_of(moment: datetime) -> str:
    return china_date(moment).strftime("%Y-%m")


def ticket_id(day: str, tail: str) -> str:
    return f"W{day}{tail}"


def new_ticket_id(moment: datetime) -> tuple[str, str]:
    """`W` + the Beijing date + 12 hex digits (sorts by day), and the hex tail. Inside an idempotent request
    the tail derives from its Idempotency-Key (core/ids.py), so a re-run after a lost answer makes it again."""
    tail = ids.new_hex()[:12]
    return ticket_id(china_date(moment).strftime("%Y%m%d"), tail), tail


def earlier_run_ids(moment: datetime, tail: str) -> list[str]:
    """The ids a first run of this idempotent request could have made: its tail on each day from one
    idempotency lifetime ago until now (a retry after that is a new request). One or two days by default."""
    ttl = timedelta(seconds=max(get_settings().idempotency_ttl_seconds, 0))
    first = china_date(moment - ttl)
    last = china_date(moment)
    days = [first + timedelta(days=n) for n in range(min((last - first).days, 99) + 1)]
    return [ticket_id(day.strftime("%Y%m%d"), tail) for day in days]


def ticket_out(item: TicketModel, flow: FlowModel | None) -> TicketOut:
    acks = {k: dict(v) for k, v in (item.acks or {}).items()}
    departments = [
        AckOut(
            department=dept,
            role=str(a.get("role")),
            report_in_due=a.get("due"),
            reported_in_at=a.get("at"),
            on_time=a.get("on_time"),
        )
        for dept, a in sorted(acks.items(), key=lambda kv: (kv[1].get("role") != "lead", kv[0]))
    ]
    lapses = (
        [LapseOut(phase=str(x["phase"]), level=str(x["level"]), at=str(x["at"])) for x in (flow.lapses or [])]
        if flow
        else []
    )
    return TicketOut(
        id=item.id,
        kind=item.kind,
        kind_label=rules.KIND_LABELS[item.kind],
        category=item.category,
        description=item.description,
        unit=item.unit_code,
        unit_path=item.unit_path,
        address=item.address,
        lat=float(item.lat) if item.lat is not None else None,
        long=float(item.long) if item.long is not None else None,
        photos=list(item.photos or []),
        whistler={"role": item.whistler_role, "name": item.whistler_name},
        lead=item.lead,
        co=list(item.co or []),
        departments=departments,
        status=item.status,
        status_label=rules.STATUS_LABELS[item.status],
        phase=item.phase,
        phase_due=item.phase_due,
        report_in_due=item.report_in_due,
        resolve_due=item.resolve_due,
        source=item.source,
        hotline_ticket=item.hotline_ticket,
        notes=[dict(n) for n in item.notes or []],
        returns=[dict(r) for r in item.returns or []],
        extensions=[dict(e) for e in item.extensions or []],
        resolution=dict(item.resolution) if item.resolution else None,
        verification=dict(item.verification) if item.verification else None,
        evaluation=dict(item.evaluation) if item.evaluation else None,
        history=[dict(h) for h in item.history or []],
        lapses=lapses,
        supervised_by=flow.supervised_by if flow else None,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version or 0),
    )


class WhistleService:
    def __init__(
        self,
        *,
        store: WhistleStore,
        grid: GridStore,
        catalogue: CatalogueStore,
        flows: FlowRunner,
        hooks: WebhookService | None = None,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.clock = clock  # the moment of each change (due times, history); tests may fix it
        self.hooks = hooks
        self.store = store
        self.grid = grid
        self.catalogue = catalogue
        self.flows = flows

    # -- catalogue ---------------------------------------------------------------------------------------
    def department_codes(self) -> set[str]:
        return self.catalogue.codes("department")

    def departments(self) -> DepartmentList:
        return DepartmentList(
            items=[
                DepartmentOut(code=e.code, name_zh=e.name_zh, name_en=e.name_en)
                for e in self.catalogue.entries("department")
            ]
        )

    def category_map(self) -> dict[str, dict[str, Any]]:
        return rules.default_categories() | self.store.catalogue("category")

    def categories(self, *, active_only: bool = True) -> CategoryList:
        items = [CategoryOut(**c) for c in self.category_map().values() if c.get("active", True) or not active_only]
        return CategoryList(items=items)

    def category(self, code: str, field: str = "body.category") -> dict[str, Any]:
        found = self.category_map().get(code)
        if found is None or not found.get("active", True):
            raise field_error(field, "没有这个问题类别", "Unknown category")
        return found

    def kind_rules(self) -> dict[str, dict[str, Any]]:
        return rules.default_kind_rules() | self.store.catalogue("kind")

    def kinds(self) -> KindRuleList:
        return KindRuleList(items=[self._kind_out(r) for r in self.kind_rules().values()])

    @staticmethod
    def _kind_out(rule: dict[str, Any]) -> KindRuleOut:
        return KindRuleOut(
            kind=rule["kind"], label=rules.KIND_LABELS[rule["kind"]], whistlers=list(rule["whistlers"]),
            auto_dispatch=bool(rule["auto_dispatch"]), verify_seconds=int(rule["verify_seconds"]),
        )  # fmt: skip

    def put_category(self, actor: Actor, code: str, data: CategoryIn) -> CategoryOut:
        if not rules_code(code):
            raise field_error(
                "path.code", "类别编码须为小写字母、数字或下划线", "Category codes are lower-case letters, digits or _"
            )
        known = self.department_codes()
        for i, dept in enumerate([data.lead, *data.co]):
            if dept not in known:
                raise field_error("body.lead" if i == 0 else f"body.co.{i - 1}", "没有这个部门", "Unknown department")
        entry = {"code": code, **data.model_dump(mode="json")}
        self.store.put_catalogue(actor, "category", code, entry)
        return CategoryOut(**entry)

    def put_kind(self, actor: Actor, kind: str, data: KindRuleIn) -> KindRuleOut:
        if kind not in rules.KINDS:
            raise not_found("哨种", "Whistle kind")
        entry = {"kind": kind, **data.model_dump(mode="json")}
        self.store.put_catalogue(actor, "kind", kind, entry)
        return self._kind_out(entry)

    # -- reading -----------------------------------------------------------------------------------------
    def visible(self, principal: Principal, ticket_id: str) -> TicketModel:
        item = self.store.ticket(ticket_id)
        if item is None:
            raise not_found("吹哨工单", "Whistle ticket")
        if principal.scope_kind == "department":
            assignment = self.store.assignment(principal.scope, ticket_id)
            if assignment is None or not assignment.active:
                raise not_found("吹哨工单", "Whistle ticket")
        elif not principal.sees_unit(item.unit_path):
            raise not_found("吹哨工单", "Whistle ticket")
        return item

    def get(self, principal: Principal, ticket_id: str) -> TicketOut:
        item = self.visible(principal, ticket_id)
        return ticket_out(item, self.store.flow(item.id))

    def tickets(self, principal: Principal, *, status: str | None, limit: int, cursor: str | None) -> TicketPage:
        after = decode_cursor(cursor)
        if principal.scope_kind == "department":
            ids, last = self.store.of_department(principal.scope, limit=limit, after=after)
            found = self.store.tickets(ids)
            items = [found[i] for i in ids if i in found and (status is None or found[i].status == status)]
        else:
            scope = principal.scope
            items, last = self.store.below(scope.split("/")[0], scope, status=status, limit=limit, after=after)
        flows = self.store.flows([i.id for i in items]) if items else {}
        return TicketPage(items=[ticket_out(i, flows.get(i.id)) for i in items], next_cursor=encode_cursor(last))

    # -- whistling ---------------------------------------------------------------------------------------
    def create(self, principal: Principal, actor: Actor, data: TicketIn) -> TicketOut:
        rule = self.kind_rules()[data.kind]
        if principal.role not in rule["whistlers"]:
            raise Forbidden(
                f"您的角色不能吹{rules.KIND_LABELS[data.kind]}", f"Your role may not blow a {data.kind} whistle"
            )
        unit = self.grid.unit(data.location.unit)
        if unit is None or not principal.sees_unit(unit.path):
            raise field_error(
                "body.location.unit", "网格单元不存在或不在您的管辖范围内", "Unit not found or outside your scope"
            )
        return self.whistle(
            actor, data, unit_code=unit.code, unit_path=unit.path, whistler=(principal.sub, principal.role,
            principal.display_name), auto_dispatch=bool(rule["auto_dispatch"]),
        )  # fmt: skip

    def whistle(
        self,
        actor: Actor,
        data: TicketIn,
        *,
        unit_code: str,
        unit_path: str,
        whistler: tuple[str, str, str],
        auto_dispatch: bool,
        extra: Callable[[TransactWrite, TicketModel], None] | None = None,
    ) -> TicketOut:
        """A new ticket (and, for kinds dispatched at once, its dispatch) in one transaction."""
        segments = unit_path.split("/")
        if len(segments) < 2:
            raise field_error("body.location.unit", "须为镇（街道）或以下的单元", "The unit must be a town or below")
        category = self.category(data.category)
        lead = data.lead or category["lead"]
        co = list(data.co) if data.co is not None else [d for d in category["co"] if d != lead]
        self._check_departments(lead, co)
        moment = self.clock()
        new_id, tail = new_ticket_id(moment)
        if ids.is_seeded():  # a retry after a lost answer: the first run's ticket may carry an earlier day
            made = self.store.tickets(earlier_run_ids(moment, tail))
            if made:
                raise Conflict(f"该请求已创建工单 {min(made)}", f"This request already created ticket {min(made)}")
        item = TicketModel(
            new_id,
            kind=data.kind, category=data.category, description=data.description, unit_code=unit_code,
            unit_path=unit_path, root=segments[0], path_key=f"{unit_path}/#", town="-".join(segments[:2]),
            address=data.location.address, lat=data.location.lat, long=data.location.long, photos=list(data.photos),
            whistler_sub=whistler[0], whistler_role=whistler[1], whistler_name=whistler[2], lead=lead, co=co,
            acks={}, status="whistled", source=data.source, hotline_ticket=data.hotline_ticket,
            notes=[], returns=[], extensions=[], history=[], created_at=iso(moment), updated_at=iso(moment),
            month=moment.strftime("%Y-%m"), time_key="",
        )  # fmt: skip
        item.path_key = f"{unit_path}/#{item.id}"
        item.time_key = f"{item.created_at}#{item.id}"
        self._history(item, actor, "whistle", None, "whistled", moment=moment)
        town_score = ScoreDelta(f"town#{item.town}", period_of(moment), counters={data.kind: 1})
        if not auto_dispatch:
            self._commit(item, actor, "whistle.create", None, scores=[town_score], extra=extra)
            return ticket_out(item, None)
        assignments, scores = self._dispatch_into(item, actor, lead, co, moment)
        flow = self.flows.record(item.id)
        self.store.put_flow(flow)
        self._commit(
            item, actor, "whistle.create", None, assignments=assignments, scores=[town_score, *scores], extra=extra
        )
        self.flows.start(item.id, self._flow_input(item))
        return ticket_out(item, flow)

    def _check_departments(self, lead: str, co: list[str]) -> None:
        known = self.department_codes()
        if lead not in known:
            raise field_error("body.lead", "没有这个部门", "Unknown department")
        for i, dept in enumerate(co):
            if dept not in known or dept == lead or co.index(dept) != i:
                raise field_error(f"body.co.{i}", "配合部门无效或重复", "Unknown or repeated co-department")

    @staticmethod
    def _history(
        item: TicketModel, actor: Actor, action: str, before: str | None, after: str, *, moment: datetime
    ) -> None:
        entry = {"at": iso(moment), "action": action, "label": rules.ACTION_LABELS[action], "from": before,
                 "to": after, "by_role": actor.role, "by_scope": actor.scope}  # fmt: skip
        item.history = [*(item.history or []), entry]

    def _limits(self, item: TicketModel) -> dict[str, Any]:
        category = self.category_map().get(item.category) or rules.default_categories()["water_supply"]
        return dict(category["limits"][item.kind]) | {"handover_seconds": int(category["handover_seconds"])}

    def _dispatch_into(
        self, item: TicketModel, actor: Actor, lead: str, co: list[str], moment: datetime
    ) -> tuple[list[AssignmentModel], list[ScoreDelta]]:
        """Set departments, due times and the report-in phase on `item`; the assignments and counters to write."""
        limits = self._limits(item)
        report_in_due = rules.due_after(moment, int(limits["report_in_seconds"]), limits["hours"])
        resolve_due = rules.due_after(moment, int(limits["resolve_seconds"]), limits["hours"])
        previous = set((item.acks or {}).keys())
        item.lead, item.co = lead, co
        item.acks = {d: {"role": "lead" if d == lead else "co", "due": iso(report_in_due), "at": None, "on_time": None}
                     for d in [lead, *co]}  # fmt: skip
        item.dispatched_at = iso(moment)
        item.report_in_due, item.resolve_due = iso(report_in_due), iso(resolve_due)
        item.phase, item.phase_due, item.grace_seconds = "report_in", iso(report_in_due), int(limits["grace_seconds"])
        before = item.status
        item.status = "dispatched"
        item.updated_at = iso(moment)
        self._history(item, actor, "dispatch", before, "dispatched", moment=moment)
        period = period_of(moment)
        assignments = [
            AssignmentModel(d, item.id, role="lead" if d == lead else "co", active=True, assigned_at=iso(moment),
                            unit_path=item.unit_path)
            for d in [lead, *co]
        ]  # fmt: skip
        assignments += [
            AssignmentModel(d, item.id, role="co", active=False, assigned_at=iso(moment), unit_path=item.unit_path)
            for d in previous - {lead, *co}
        ]
        scores = [ScoreDelta(f"dept#{d}", period, counters={"received": 1}) for d in [lead, *co] if d not in previous]
        return assignments, scores

    def _flow_input(self, item: TicketModel) -> dict[str, Any]:
        due = parse(item.phase_due) or self.clock()
        return {
            "ticket_id": item.id, "phase": item.phase, "seconds": rules.seconds_until(due, self.clock()),
            "grace_seconds": int(item.grace_seconds or 3600), "escalate_to": item.root, "stage": "waiting",
        }  # fmt: skip

    def _signal_phase(self, item: TicketModel) -> None:
        data = self._flow_input(item)
        self.flows.signal(item.id, {k: data[k] for k in ("phase", "seconds", "grace_seconds")})

    # -- transitions -------------------------------------------------------------------------------------
    def _begin(
        self, principal: Principal, ticket_id: str, action: str, if_match: int | None
    ) -> tuple[TicketModel, dict[str, Any], str]:
        item = self.visible(principal, ticket_id)
        check_version(if_match, item.version)
        target = rules.next_status(item.status, action)
        if target is None:
            raise Conflict(
                f"工单当前状态为「{rules.STATUS_LABELS[item.status]}」，不能{rules.ACTION_LABELS[action]}",
                f"A ticket that is {item.status} cannot take the action {action}",
            )
        return item, ticket_state(item), target

    def _department(self, principal: Principal, item: TicketModel, *, lead_only: bool = False) -> str:
        dept = principal.scope
        acks: dict[str, Any] = dict(item.acks or {})
        ack = acks.get(dept)
        if principal.scope_kind != "department" or ack is None:
            raise Forbidden("只有承办部门可以办理", "Only a department the ticket was dispatched to may do this")
        if lead_only and dept != item.lead:
            raise Forbidden("只有牵头部门可以办理", "Only the lead department may do this")
        return dept

    def _town(self, principal: Principal) -> None:
        if principal.role not in TOWN_ROLES:
            raise Forbidden("须由镇（街道）办理", "Only the town may do this")

    def _whistler_or_town(self, principal: Principal, item: TicketModel) -> None:
        if principal.sub != item.whistler_sub and principal.role not in TOWN_ROLES:
            raise Forbidden("须由吹哨人或镇（街道）办理", "Only the whistler or the town may do this")

    def dispatch(
        self, principal: Principal, actor: Actor, ticket_id: str, data: DispatchIn, if_match: int | None
    ) -> TicketOut:
        self._town(principal)
        item, before, _ = self._begin(principal, ticket_id, "dispatch", if_match)
        category = self.category(item.category)
        lead = data.lead or item.lead or category["lead"]
        co = list(data.co) if data.co is not None else [d for d in (item.co or category["co"]) if d != lead]
        self._check_departments(lead, co)
        moment = self.clock()
        first = item.dispatched_at is None  # no workflow yet (a record left by a failed attempt is replaced)
        assignments, scores = self._dispatch_into(item, actor, lead, co, moment)
        if data.note:
            item.notes = [*(item.notes or []), {"at": iso(moment), "by": "town", "note": data.note, "photos": []}]
        if first:
            self.store.put_flow(self.flows.record(item.id))
        self._commit(item, actor, "whistle.dispatch", before, assignments=assignments, scores=scores)
        if first:
            self.flows.start(item.id, self._flow_input(item))
        else:
            self._signal_phase(item)
        return ticket_out(item, self.store.flow(item.id))

    def report_in(
        self, principal: Principal, actor: Actor, ticket_id: str, data: NoteIn, if_match: int | None
    ) -> TicketOut:
        item, before, _ = self._begin(principal, ticket_id, "report_in", if_match)
        dept = self._department(principal, item)
        acks = {k: dict(v) for k, v in (item.acks or {}).items()}
        if acks[dept].get("at"):
            raise Conflict("本部门已报到", "This department has already reported in")
        moment = self.clock()
        due = parse(acks[dept].get("due"))
        on_time = due is None or moment <= due
        acks[dept] |= {"at": iso(moment), "on_time": on_time}
        item.acks = acks
        if data.note:
            item.notes = [*(item.notes or []), {"at": iso(moment), "by": dept, "note": data.note, "photos": []}]
        minutes = (moment - (parse(item.dispatched_at) or moment)).total_seconds() / 60
        counters = {"reported_in": 1, "reported_in_on_time": int(on_time)}
        score = ScoreDelta(f"dept#{dept}", period_of(moment), counters, {"report_in_minutes": round(minutes, 2)})
        everyone = all(a.get("at") for a in acks.values())
        item.updated_at = iso(moment)
        if everyone:
            self._history(item, actor, "report_in", item.status, "reported_in", moment=moment)
            item.status = "reported_in"
            item.phase, item.phase_due = "resolve", item.resolve_due
        else:
            self._history(item, actor, "report_in", item.status, item.status, moment=moment)
        self._commit(item, actor, "whistle.report_in", before, scores=[score])
        if everyone:
            self._signal_phase(item)
        return ticket_out(item, self.store.flow(item.id))

    def progress(
        self, principal: Principal, actor: Actor, ticket_id: str, data: ProgressIn, if_match: int | None
    ) -> TicketOut:
        item, before, target = self._begin(principal, ticket_id, "progress", if_match)
        dept = self._department(principal, item)
        moment = self.clock()
        item.notes = [
            *(item.notes or []),
            {"at": iso(moment), "by": dept, "note": data.note, "photos": list(data.photos)},
        ]
        self._move(item, actor, "progress", target, moment)
        self._commit(item, actor, "whistle.progress", before)
        return ticket_out(item, self.store.flow(item.id))

    def resolve(
        self, principal: Principal, actor: Actor, ticket_id: str, data: ProgressIn, if_match: int | None
    ) -> TicketOut:
        item, before, target = self._begin(principal, ticket_id, "resolve", if_match)
        dept = self._department(principal, item, lead_only=True)
        moment = self.clock()
        item.resolution = {"at": iso(moment), "by": dept, "report": data.note, "photos": list(data.photos)}
        due = parse(item.resolve_due)
        on_time = due is None or moment <= due
        minutes = (moment - (parse(item.dispatched_at) or moment)).total_seconds() / 60
        counters = {"resolved": 1, "resolved_on_time": int(on_time)}
        score = ScoreDelta(f"dept#{dept}", period_of(moment), counters, {"resolve_minutes": round(minutes, 2)})
        self._move(item, actor, "resolve", target, moment)
        verify_seconds = int(self.kind_rules()[item.kind]["verify_seconds"])
        item.phase, item.phase_due = "verify", iso(moment + timedelta(seconds=verify_seconds))
        self._commit(item, actor, "whistle.resolve", before, scores=[score])
        self._signal_phase(item)
        return ticket_out(item, self.store.flow(item.id))

    def return_(
        self, principal: Principal, actor: Actor, ticket_id: str, data: ReturnIn, if_match: int | None
    ) -> TicketOut:
        item, before, target = self._begin(principal, ticket_id, "return", if_match)
        dept = self._department(principal, item)
        moment = self.clock()
        item.returns = [*(item.returns or []), {"at": iso(moment), "by": dept, "reason": data.reason}]
        self._move(item, actor, "return", target, moment)
        handover = int(self._limits(item)["handover_seconds"])
        item.phase, item.phase_due = "handover", iso(moment + timedelta(seconds=handover))
        score = ScoreDelta(f"dept#{dept}", period_of(moment), counters={"returns": 1})
        self._commit(item, actor, "whistle.return", before, scores=[score])
        self._signal_phase(item)
        return ticket_out(item, self.store.flow(item.id))

    def request_extension(
        self, principal: Principal, actor: Actor, ticket_id: str, data: ExtensionIn, if_match: int | None
    ) -> TicketOut:
        item, before, target = self._begin(principal, ticket_id, "request_extension", if_match)
        dept = self._department(principal, item, lead_only=True)
        moment = self.clock()
        item.extensions = [*(item.extensions or []), {"at": iso(moment), "by": dept, "seconds": data.seconds,
                                                        "reason": data.reason, "decision": None}]  # fmt: skip
        item.status_before = item.status
        self._move(item, actor, "request_extension", target, moment)
        score = ScoreDelta(f"dept#{dept}", period_of(moment), counters={"extensions": 1})
        self._commit(item, actor, "whistle.request_extension", before, scores=[score])
        return ticket_out(item, self.store.flow(item.id))

    def decide_extension(
        self, principal: Principal, actor: Actor, ticket_id: str, data: DecisionIn, if_match: int | None
    ) -> TicketOut:
        self._town(principal)
        action = "grant_extension" if data.grant else "refuse_extension"
        item, before, _ = self._begin(principal, ticket_id, action, if_match)
        moment = self.clock()
        extensions = [dict(e) for e in item.extensions or []]
        extensions[-1] |= {
            "decision": "granted" if data.grant else "refused",
            "decided_at": iso(moment),
            "note": data.note,
        }
        item.extensions = extensions
        target = item.status_before or "in_progress"
        item.status_before = None
        self._move(item, actor, action, target, moment)
        if data.grant:
            due = (parse(item.resolve_due) or moment) + timedelta(seconds=int(extensions[-1]["seconds"]))
            item.resolve_due = iso(due)
            if item.phase == "resolve":
                item.phase_due = item.resolve_due
        self._commit(item, actor, f"whistle.{action}", before)
        if data.grant and item.phase == "resolve":
            self._signal_phase(item)
        return ticket_out(item, self.store.flow(item.id))

    def verify(
        self, principal: Principal, actor: Actor, ticket_id: str, data: VerifyIn, if_match: int | None
    ) -> TicketOut:
        action = "verify" if data.ok else "reject"
        item, before, target = self._begin(principal, ticket_id, action, if_match)
        self._whistler_or_town(principal, item)
        moment = self.clock()
        item.verification = {"at": iso(moment), "ok": data.ok, "note": data.note, "by_role": principal.role}
        self._move(item, actor, action, target, moment)
        scores: list[ScoreDelta] = []
        if data.ok:
            item.phase, item.phase_due = (
                "close",
                iso(moment + timedelta(seconds=int(self.kind_rules()[item.kind]["verify_seconds"]))),
            )
        else:
            limits = self._limits(item)
            item.resolve_due = iso(rules.due_after(moment, int(limits["resolve_seconds"]), limits["hours"]))
            item.phase, item.phase_due, item.resolution = "resolve", item.resolve_due, None
            scores.append(ScoreDelta(f"dept#{item.lead}", period_of(moment), counters={"reopened": 1}))
        self._commit(item, actor, f"whistle.{action}", before, scores=scores)
        self._signal_phase(item)
        return ticket_out(item, self.store.flow(item.id))

    def evaluate(
        self, principal: Principal, actor: Actor, ticket_id: str, data: EvaluateIn, if_match: int | None
    ) -> TicketOut:
        item, before, target = self._begin(principal, ticket_id, "evaluate", if_match)
        self._whistler_or_town(principal, item)
        moment = self.clock()
        item.evaluation = {"at": iso(moment), "satisfaction": data.satisfaction, "comment": data.comment}
        self._move(item, actor, "evaluate", target, moment)
        score = ScoreDelta(f"dept#{item.lead}", period_of(moment),
                           counters={"evaluations": 1, "satisfaction_sum": data.satisfaction})  # fmt: skip
        self._commit(item, actor, "whistle.evaluate", before, scores=[score])
        return ticket_out(item, self.store.flow(item.id))

    def close(
        self, principal: Principal, actor: Actor, ticket_id: str, data: NoteIn, if_match: int | None
    ) -> TicketOut:
        item, before, target = self._begin(principal, ticket_id, "close", if_match)
        self._whistler_or_town(principal, item)
        moment = self.clock()
        if data.note:
            item.notes = [*(item.notes or []), {"at": iso(moment), "by": "whistler", "note": data.note, "photos": []}]
        self._move(item, actor, "close", target, moment)
        item.phase, item.phase_due = None, None
        item.score_event = self._score_event(item)
        has_flow = self.store.flow(item.id) is not None
        self._commit(item, actor, "whistle.close", before)
        if item.score_event:  # 三比: the unit's head is credited (booked once per ticket)
            events.publish(events.SCORING_CREDIT, SCORE_EVENT.format(ticket=item.id))
        if has_flow:
            self.store.end_flow(item.id)
            self.flows.signal(item.id, {"phase": "end"})
        return ticket_out(item, self.store.flow(item.id))

    def _score_event(self, item: TicketModel) -> dict[str, Any] | None:
        """A ticket resolved by its resolve due time (as extended) credits the head of the unit it came from:
        the nearest 组长 or 片长 above its place who is a party member on the roll; nobody otherwise."""
        resolved, due = parse(dict(item.resolution or {}).get("at")), parse(item.resolve_due)
        if resolved is None or (due is not None and resolved > due):
            return None
        unit = self.grid.unit(item.unit_code)
        chain = [item.unit_code, *reversed(unit.ancestors if unit is not None else [])]
        units = self.grid.units(chain)
        for code in chain:
            head = units[code].head_info if code in units and units[code].level in HEAD_LEVELS else None
            if head is None or not head.get("is_member"):
                continue
            appointment = self.grid.appointment(code, str(head["appointment_id"]))
            if appointment is not None and appointment.member_id:
                return {"member": appointment.member_id, "unit": code, "role": appointment.role,
                        "at": item.updated_at, "source_event_id": SCORE_EVENT.format(ticket=item.id)}  # fmt: skip
        return None

    def _commit(self, item: TicketModel, actor: Actor, action: str, before: dict[str, Any] | None, **kw: Any) -> None:
        """Write the change (one transaction), then queue the webhooks of the departments it is dispatched to."""
        self.store.write(item, actor, action, before, **kw)
        departments = sorted(dict(item.acks or {}))
        if self.hooks is None or not departments:
            return
        payload = {"id": item.id, "kind": item.kind, "category": item.category, "status": item.status,
                   "phase": item.phase, "phase_due": item.phase_due, "lead": item.lead, "co": list(item.co or []),
                   "updated_at": item.updated_at}  # fmt: skip
        try:
            self.hooks.emit(departments, action, payload)
        except Exception as e:  # the change is committed; a lost notice must not turn it into an error
            logger().warning("webhooks not queued", extra={"ticket": item.id, "error": type(e).__name__})

    def _move(self, item: TicketModel, actor: Actor, action: str, target: str, moment: datetime) -> None:
        self._history(item, actor, action, item.status, target, moment=moment)
        item.status = target
        item.updated_at = iso(moment)

    # -- scorecards --------------------------------------------------------------------------------------
    def scorecard(self, principal: Principal, department: str, period: str) -> DepartmentScorecardOut:
        if principal.scope_kind == "department" and principal.scope != department:
            raise not_found("部门", "Department")
        if principal.scope_kind != "department" and department not in self.department_codes():
            raise not_found("部门", "Department")
        s = self.store.score(f"dept#{department}", period)

        def n(name: str) -> int:
            return int(getattr(s, name) or 0) if s is not None else 0

        def rate(part: int, whole: int) -> float | None:
            return round(part / whole, 4) if whole else None

        def median(name: str) -> float | None:
            values = [float(v) for v in (getattr(s, name) or [])] if s is not None else []
            import statistics  # noqa: PLC0415 - with fractions, ~10 ms of cold start for one figure

            return round(statistics.median(values), 2) if values else None

        return DepartmentScorecardOut(
            department=department, period=period, received=n("received"), reported_in=n("reported_in"),
            report_in_on_time_rate=rate(n("reported_in_on_time"), n("reported_in")), resolved=n("resolved"),
            resolve_on_time_rate=rate(n("resolved_on_time"), n("resolved")),
            median_report_in_minutes=median("report_in_minutes"), median_resolve_minutes=median("resolve_minutes"),
            returns=n("returns"), extensions=n("extensions"), evaluations=n("evaluations"),
            satisfaction=round(n("satisfaction_sum") / n("evaluations"), 2) if n("evaluations") else None,
            reopened=n("reopened"), reopen_rate=rate(n("reopened"), n("resolved")),
        )  # fmt: skip

    def town_rate(self, principal: Principal, code: str, period: str) -> TownRateOut:
        unit = self.grid.unit(code)
        scope = principal.unit_scope
        if unit is None or unit.level != "town" or scope is None:
            raise not_found("镇（街道）", "Town")
        if not (path_within(unit.path, scope) or path_within(scope, unit.path)):  # the town above a village too
            raise not_found("镇（街道）", "Town")
        s = self.store.score(f"town#{code}", period)
        by_kind = {k: int(getattr(s, k) or 0) if s is not None else 0 for k in rules.KINDS}
        total = sum(by_kind.values())
        return TownRateOut(
            town=code, period=period, whistles=total, by_kind=by_kind,
            rate_by_kind={k: round(v / total, 4) if total else None for k, v in by_kind.items()},
        )  # fmt: skip

    # -- the workflow's resumer --------------------------------------------------------------------------
    def resume_waiting(self) -> int:
        ids = self.store.waiting_flows()
        tickets = self.store.tickets(ids) if ids else {}
        inputs = {i: self._flow_input(t) for i, t in tickets.items() if t.status != "closed" and t.phase}
        return self.flows.resume(list(inputs), inputs)


def rules_code(code: str) -> bool:
    import re  # noqa: PLC0415

    return bool(re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code))


def default_service() -> WhistleService:
    audit = AuditStore()
    store = WhistleStore(audit=audit)
    return WhistleService(
        store=store,
        grid=GridStore(audit=audit),
        catalogue=CatalogueStore(audit=audit),
        flows=FlowRunner(store=store),
        hooks=WebhookService(),
    )
