"""Mediation rules (人民调解法, 人民调解工作若干规定): registration and numbering, the lifecycle table, the
30-day limit and its extension by both sides, agreements frozen once signed, 司法确认 within 30 days, the
three-level filter's figures, sealed case details and the scoring hook.

Who may do what: reading a case needs its unit (where the dispute is) in the caller's scope; changing it needs
the unit that handles it now (the 组, 村 or 镇 on that chain) in the caller's scope, so a 组长 still sees a case
escalated to the village but no longer edits it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.core import events
from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal, path_within
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.clock import china_today
from chalicelib.core.errors import Conflict, Forbidden, check_version, field_error, not_found
from chalicelib.core.ids import new_hex
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.core.privacy import mask_id_number, mask_name, mask_phone
from chalicelib.grid.service import GridService
from chalicelib.grid.service import default_service as grid_service
from chalicelib.grid.store import UnitModel
from chalicelib.mediation import lifecycle
from chalicelib.mediation.schemas import (
    CASE_LEVEL_LABELS,
    CASE_LEVELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    AgreementDetailOut,
    AgreementIn,
    AgreementOut,
    CaseDetailsOut,
    CaseHistoryOut,
    CaseIn,
    CaseMediatorOut,
    CaseOut,
    CasePage,
    CaseSummaryOut,
    CaseUpdate,
    CategoryFigures,
    CloseIn,
    ConsentOut,
    DutyOut,
    EscalateIn,
    ExtendIn,
    ExtensionOut,
    FailIn,
    FollowUpIn,
    FollowUpOut,
    JudicialIn,
    JudicialOut,
    MediatorIn,
    MediatorOut,
    MediatorRef,
    NoteOut,
    PartyDetailOut,
    PartyIn,
    PartyOut,
    ScoreEventOut,
    SessionDetailOut,
    SessionIn,
    SessionOut,
    StatementOut,
    StatsOut,
    StatusIn,
    TeamIn,
    TeamOut,
    TeamPage,
    WithdrawIn,
)
from chalicelib.mediation.store import (
    MediationCaseModel,
    MediationStore,
    MediationTeamModel,
    case_state,
    seal_details,
    team_state,
    unseal_details,
)
from chalicelib.members.store import MemberStore, id_hash

DUE_DAYS = 30  # 人民调解工作若干规定: a case is normally settled within one month
JUDICIAL_DAYS = 30  # 人民调解法 第三十三条: 司法确认 applied for within 30 days of the agreement taking effect
SCORE_EVENT = "mediation_closed:{case}"


def _recorded() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def party_key(value: str) -> str:
    """The keyed hash a party is found by (its exact name or ID number), never the value itself."""
    return id_hash(f"mediation-party:{value.strip().upper()}")


def _is_overdue(item: MediationCaseModel) -> bool:
    return item.status in lifecycle.OPEN_STATUSES and china_today().isoformat() > item.due_on


def summary_out(item: MediationCaseModel) -> CaseSummaryOut:
    overdue = _is_overdue(item)
    return CaseSummaryOut(
        id=item.id,
        number=item.number,
        status=item.status,
        status_label=STATUS_LABELS[item.status],
        category=item.category,
        risk=item.risk,
        level=item.level,
        unit=item.unit_code,
        handling_unit=item.handling_code,
        registered_on=item.registered_on,
        due_on=item.due_on,
        overdue=overdue,
        flagged_to=item.flag_code if overdue else None,
        version=int(item.version or 0),
    )


def case_out(item: MediationCaseModel) -> CaseOut:
    base = summary_out(item).model_dump()
    agreements = [dict(a) for a in item.agreements]
    judicial = None
    if agreements:
        signed = date.fromisoformat(str(agreements[-1]["signed_on"]))
        applied = dict(item.judicial[0]) if item.judicial else {}
        judicial = JudicialOut(
            applied_on=applied.get("applied_on"),
            court=applied.get("court"),
            window_ends=(signed + timedelta(days=JUDICIAL_DAYS)).isoformat(),
        )
    return CaseOut(
        **base,
        committee=item.committee_id,
        source=item.source,
        source_label=SOURCE_LABELS[item.source],
        causes=list(item.causes),
        start_level=item.start_level,
        unit_path=item.unit_path,
        allowed_next=lifecycle.allowed_next(item.status),
        rights_notified_on=item.rights_notified_on,
        parties=[PartyOut(**dict(p)) for p in item.parties],
        mediators=[CaseMediatorOut(**dict(m)) for m in item.mediators],
        sessions=[SessionOut(**{k: v for k, v in dict(s).items() if k != "recorded"}) for s in item.sessions],
        agreements=[
            AgreementOut(
                version=int(a["version"]),
                form=str(a["form"]),
                signed_on=str(a["signed_on"]),
                performance_due=str(a["performance_due"]),
                signatures=str(a["signatures"]),
                supersedes=a.get("supersedes"),
                superseded_by=a.get("superseded_by"),
                frozen=True,
            )
            for a in agreements
        ],
        failed_route=item.failed_route,
        follow_ups=[FollowUpOut(**{k: v for k, v in dict(f).items() if k != "recorded"}) for f in item.follow_ups],
        extensions=[
            ExtensionOut(
                consents=[ConsentOut(**c) for c in e["consents"]],
                previous_due=str(e["previous_due"]),
                new_due=str(e["new_due"]),
                recorded=str(e["recorded"]),
            )
            for e in (dict(x) for x in item.extensions)
        ],
        judicial_confirmation=judicial,
        closed_on=item.closed_on,
        outcome=item.outcome,
        score_events=[ScoreEventOut(**dict(s)) for s in item.score_events],
        history=[CaseHistoryOut(**dict(h)) for h in item.history],
        details="sealed",
    )


def team_out(item: MediationTeamModel, kinds: dict[str, str]) -> TeamOut:
    return TeamOut(
        id=item.id,
        name=item.name,
        kind=item.kind,
        kind_label=kinds.get(item.kind, item.kind),
        unit=item.unit_code,
        unit_path=item.unit_path,
        number_prefix=item.number_prefix,
        mediators=[
            MediatorOut(
                id=str(m["id"]),
                name=str(m["name"]),
                phone=mask_phone(m.get("phone")),
                member=m.get("member"),
                title=m.get("title"),
                active=bool(m.get("active", True)),
            )
            for m in (dict(x) for x in item.mediators)
        ],
        version=int(item.version or 0),
    )


def median_days(figures: dict[str, int]) -> float | None:
    days: list[int] = []
    for name, n in figures.items():
        if name.startswith("days:") and n > 0:
            days += [int(name[5:])] * n
    import statistics  # noqa: PLC0415 - with fractions, ~10 ms of cold start for one figure

    return float(statistics.median(days)) if days else None


class MediationService:
    def __init__(
        self, *, store: MediationStore, grid: GridService, catalogue: CatalogueStore, members: MemberStore
    ) -> None:
        self.store = store
        self.grid = grid
        self.catalogue = catalogue
        self.members = members

    # -- scope ---------------------------------------------------------------------------------------
    def visible(self, principal: Principal, case_id: str) -> MediationCaseModel:
        item = self.store.case(case_id)
        if item is None or not principal.sees_unit(item.unit_path):
            raise not_found("调解案件", "Mediation case")
        return item

    def _handling(self, item: MediationCaseModel) -> UnitModel:
        unit = self.grid.store.unit(item.handling_code)
        if unit is None:
            raise Conflict("受理单元已不存在", "The handling unit no longer exists")
        return unit

    def writable(self, principal: Principal, case_id: str, if_match: int | None = None) -> MediationCaseModel:
        """The case, if the caller sees it and its handling unit (else 404 or 403), at the If-Match version."""
        item = self.visible(principal, case_id)
        if not principal.sees_unit(self._handling(item).path):
            level = CASE_LEVEL_LABELS[item.level]
            raise Forbidden(f"案件现由{level}级调处，您只能查看", f"The case is handled at {item.level} level now")
        check_version(if_match, item.version)
        return item

    def _unit_in_scope(self, principal: Principal, code: str, field: str) -> UnitModel:
        unit = self.grid.store.unit(code)
        if unit is None or not principal.sees_unit(unit.path):
            raise field_error(field, "网格单元不存在或不在您的管辖范围内", "Unit not found or outside your scope")
        return unit

    @staticmethod
    def _at_level(chain: dict[str, UnitModel], unit: UnitModel, level: str) -> UnitModel | None:
        for code in unit.chain:
            u = chain.get(code)
            if u is not None and u.level == level:
                return u
        return None

    @staticmethod
    def _parent_code(unit: UnitModel) -> str | None:
        return unit.parent

    # -- checks --------------------------------------------------------------------------------------
    def _check_catalogue(self, kind: str, codes: list[str], field: str) -> None:
        known = self.catalogue.codes(kind)
        for i, code in enumerate(codes):
            if code not in known:
                path = field if len(codes) == 1 and not field.endswith("causes") else f"{field}.{i}"
                raise field_error(path, f"目录中没有“{code}”", f"Unknown catalogue entry {code!r}")

    @staticmethod
    def _check_date(item: MediationCaseModel, day: date, field: str) -> None:
        if day.isoformat() < item.registered_on:
            raise field_error(field, "日期不能早于登记日期", "The date cannot precede registration")
        if day > china_today():
            raise field_error(field, "日期不能晚于今天", "The date cannot be in the future")

    @staticmethod
    def _check_parties(item: MediationCaseModel, indexes: list[int], field: str) -> None:
        for i, index in enumerate(indexes):
            if index >= len(item.parties):
                raise field_error(f"{field}.{i}", "当事人序号不存在", "No party with this index")

    def _mediators(self, refs: list[MediatorRef], handling: UnitModel) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i, ref in enumerate(refs):
            team = self.store.team(ref.team)
            on_line = team is not None and (
                path_within(handling.path, team.unit_path) or path_within(team.unit_path, handling.path)
            )
            if team is None or not on_line:
                raise field_error(
                    f"body.mediators.{i}.team",
                    "调解组织不存在或不属于受理单元一线",
                    "Team not found or not on the handling unit's line",
                )
            person = next((dict(m) for m in team.mediators if m["id"] == ref.mediator and m.get("active", True)), None)
            if person is None:
                raise field_error(f"body.mediators.{i}.mediator", "该组织没有此调解员", "No such mediator in the team")
            if any(m["mediator"] == ref.mediator for m in out):
                raise field_error(f"body.mediators.{i}.mediator", "调解员重复", "Mediator named twice")
            out.append(
                {
                    "team": team.id,
                    "team_name": team.name,
                    "mediator": ref.mediator,
                    "name": person["name"],
                    "member": person.get("member"),
                }
            )
        return out

    def _parties(
        self, principal: Principal, parties: list[PartyIn]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
        public: list[dict[str, Any]] = []
        sealed: list[dict[str, Any]] = []
        keys: set[str] = set()
        for i, p in enumerate(parties):
            if p.household is not None:
                household = self.grid.store.household(p.household)
                if household is None or not principal.sees_unit(household.unit_path):
                    raise field_error(
                        f"body.parties.{i}.household",
                        "住户不存在或不在您的管辖范围内",
                        "Household not found or outside your scope",
                    )
            public.append(
                {
                    "index": i,
                    "kind": p.kind,
                    "side": p.side,
                    "name": mask_name(p.name) if p.kind == "person" else p.name,
                    "id_number": mask_id_number(p.id_number),
                    "phone": mask_phone(p.phone),
                    "household": p.household,
                }
            )
            sealed.append({"name": p.name, "id_number": p.id_number, "phone": p.phone, "address": p.address})
            keys.add(party_key(p.name))
            if p.id_number:
                keys.add(party_key(p.id_number))
        return public, sealed, keys

    def _committee(self, team_id: str, handling: UnitModel) -> MediationTeamModel:
        team = self.store.team(team_id)
        if (
            team is None
            or team.kind != "committee"
            or not team.number_prefix
            or not path_within(handling.path, team.unit_path)
        ):
            raise field_error(
                "body.committee",
                "调委会不存在，或不在受理单元及其上级",
                "Committee not found, or not at the handling unit or above it",
            )
        return team

    # -- registration ----------------------------------------------------------------------------------
    def register(self, principal: Principal, actor: Actor, data: CaseIn) -> CaseOut:
        unit = self._unit_in_scope(principal, data.unit, "body.unit")
        chain = self.grid.store.units(unit.chain)
        handling = self._at_level(chain, unit, data.level)
        if handling is None:
            raise field_error("body.level", "该单元不在此层级之下", "The unit does not lie below this level")
        if not principal.sees_unit(handling.path):
            raise field_error(
                "body.level", "该层级的调解不在您的管辖范围内", "Mediation at this level is outside your scope"
            )
        committee = self._committee(data.committee, handling)
        self._check_catalogue("mediation_category", [data.category], "body.category")
        self._check_catalogue("mediation_cause", data.causes, "body.causes")
        parties, sealed_parties, keys = self._parties(principal, data.parties)
        mediators = self._mediators(data.mediators, handling)
        registered = data.registered_on or china_today()
        if registered > china_today():
            raise field_error("body.registered_on", "登记日期不能晚于今天", "Registration cannot be in the future")
        item = MediationCaseModel(
            new_hex(),
            number="",
            committee_id=committee.id,
            year=registered.year,
            seq=0,
            status="registered",
            source=data.source,
            category=data.category,
            causes=list(data.causes),
            risk=data.risk,
            level=data.level,
            start_level=data.level,
            handling_code=handling.code,
            flag_code=self._parent_code(handling),
            unit_code=unit.code,
            unit_path=unit.path,
            root=unit.root,
            open_root=unit.root,
            registered_on=registered.isoformat(),
            due_on=(registered + timedelta(days=DUE_DAYS)).isoformat(),
            parties=parties,
            party_keys=keys,
            mediators=mediators,
            mediator_ids={m["mediator"] for m in mediators} or None,
            history=[self._history(actor, registered, "register", None, "registered", level_to=data.level)],
            sealed=seal_details(
                {"summary": data.summary, "parties": sealed_parties, "sessions": [], "agreements": [], "notes": []}
            ),
        )
        item.path_key = f"{unit.path}/#{item.id}"
        prefix, year = committee.number_prefix, registered.year
        deltas = {"registered": 1, f"source:{data.source}": 1, f"category:{data.category}:registered": 1}
        deltas |= {f"started_at:{data.level}": 1} | {f"cause:{c}": 1 for c in data.causes}
        self.store.create(
            item,
            actor,
            lambda seq: f"({year}){prefix}字第{seq}号",
            unit.chain,
            [(registered.isoformat()[:7], deltas)],
        )
        return case_out(item)

    @staticmethod
    def _history(
        actor: Actor,
        day: date,
        kind: str,
        status_from: str | None,
        status_to: str | None,
        *,
        level_from: str | None = None,
        level_to: str | None = None,
    ) -> dict[str, Any]:
        return {
            "at": day.isoformat(),
            "kind": kind,
            "status_from": status_from,
            "status_to": status_to,
            "level_from": level_from,
            "level_to": level_to,
            "by_role": actor.role,
            "recorded": _recorded(),
        }

    def get(self, principal: Principal, case_id: str) -> CaseOut:
        return case_out(self.visible(principal, case_id))

    def update(
        self, principal: Principal, actor: Actor, case_id: str, data: CaseUpdate, if_match: int | None
    ) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        fields = data.model_fields_set
        for name in fields:
            if getattr(data, name) is None:
                raise field_error(f"body.{name}", "不能清空", "Cannot be cleared")
        stats: dict[str, int] = {}
        if fields & {"category", "causes"} and item.status not in lifecycle.OPEN_STATUSES:
            raise Conflict("案件已终结，不能再改类别或起因", "The case has ended; category and causes are fixed")
        if "category" in fields and data.category != item.category:
            self._check_catalogue("mediation_category", [str(data.category)], "body.category")
            stats |= {f"category:{item.category}:registered": -1, f"category:{data.category}:registered": 1}
            item.category = str(data.category)
        if "causes" in fields and data.causes is not None:
            self._check_catalogue("mediation_cause", data.causes, "body.causes")
            for cause in set(item.causes) - set(data.causes):
                stats[f"cause:{cause}"] = -1
            for cause in set(data.causes) - set(item.causes):
                stats[f"cause:{cause}"] = 1
            item.causes = list(data.causes)
        if "risk" in fields and data.risk is not None:
            item.risk = data.risk
        if "mediators" in fields and data.mediators is not None:
            item.mediators = self._mediators(data.mediators, self._handling(item))
            item.mediator_ids = {m["mediator"] for m in item.mediators} or None
        if "summary" in fields and data.summary is not None:
            doc = unseal_details(item.sealed)
            doc["summary"] = data.summary
            item.sealed = seal_details(doc)
        chain = self._chain(item) if stats else None
        saved = self.store.save(
            item, actor, "mediation_case.update", before, chain=chain, stats=[(item.registered_on[:7], stats)]
        )
        return case_out(saved)

    def _chain(self, item: MediationCaseModel) -> list[str]:
        unit = self.grid.store.unit(item.unit_code)
        if unit is None:
            raise Conflict("案件所在单元已不存在", "The case's unit no longer exists")
        return unit.chain

    def _move(self, item: MediationCaseModel, actor: Actor, day: date, to: str, kind: str) -> None:
        lifecycle.check(item.status, to)
        if to != item.status or kind != "transition":
            item.history = [*item.history, self._history(actor, day, kind, item.status, to)]
        item.status = to

    # -- lifecycle -------------------------------------------------------------------------------------
    def change_status(
        self, principal: Principal, actor: Actor, case_id: str, data: StatusIn, if_match: int | None
    ) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        self._check_date(item, data.date, "body.date")
        lifecycle.check(item.status, data.to, "body.to")
        if data.to == "investigating" and item.rights_notified_on is None:
            raise Conflict(
                "须先告知当事人权利义务（rights_notified）", "The parties must first be told their rights and duties"
            )
        if data.to == "rights_notified":
            item.rights_notified_on = data.date.isoformat()
        self._move(item, actor, data.date, data.to, "transition")
        return case_out(self.store.save(item, actor, f"mediation_case.{data.to}", before))

    def add_session(
        self, principal: Principal, actor: Actor, case_id: str, data: SessionIn, if_match: int | None
    ) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        self._check_date(item, data.date, "body.date")
        self._check_parties(item, [s.party for s in data.statements], "body.statements")
        lifecycle.check(item.status, "mediating")
        no = len(item.sessions) + 1
        item.sessions = [
            *item.sessions,
            {
                "no": no,
                "date": data.date.isoformat(),
                "place": data.place,
                "attendees": len(data.attendees),
                "outcome": data.outcome,
                "recorded": _recorded(),
            },
        ]
        doc = unseal_details(item.sealed)
        doc["sessions"].append(
            {
                "no": no,
                "attendees": data.attendees,
                "statements": [s.model_dump() for s in data.statements],
                "result": data.result,
            }
        )
        item.sealed = seal_details(doc)
        if item.status != "mediating":
            self._move(item, actor, data.date, "mediating", "session")
        return case_out(self.store.save(item, actor, "mediation_case.session", before))

    def record_agreement(
        self, principal: Principal, actor: Actor, case_id: str, data: AgreementIn, if_match: int | None
    ) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        self._check_date(item, data.signed_on, "body.signed_on")
        self._check_parties(item, [d.party for d in data.duties], "body.duties")
        agreements = [dict(a) for a in item.agreements]
        if not agreements:
            if data.supersedes is not None:
                raise field_error("body.supersedes", "尚无可更正的协议", "There is no agreement to correct")
            lifecycle.check(item.status, "agreement_reached")
        else:
            if data.supersedes is None:
                raise Conflict(
                    "调解协议已签订，不能修改；更正请提交新版本并注明 supersedes",
                    "The agreement is signed and frozen; send a correction with `supersedes`",
                )
            if data.supersedes != agreements[-1]["version"]:
                raise field_error(
                    "body.supersedes", "只能更正最新版本的协议", "Only the latest version can be corrected"
                )
            if item.status not in ("agreement_reached", "performing", "follow_up"):
                lifecycle.check(item.status, "agreement_reached")
            if not data.reason:
                raise field_error("body.reason", "更正须说明理由", "A correction needs a reason")
            agreements[-1]["superseded_by"] = len(agreements) + 1
        version = len(agreements) + 1
        agreements.append(
            {
                "version": version,
                "form": data.form,
                "signed_on": data.signed_on.isoformat(),
                "performance_due": data.performance.due.isoformat(),
                "signatures": data.signatures,
                "signature_images": data.signature_images,
                "supersedes": data.supersedes,
                "superseded_by": None,
                "recorded": _recorded(),
            }
        )
        item.agreements = agreements
        doc = unseal_details(item.sealed)
        doc["agreements"].append(
            {
                "version": version,
                "facts": data.facts,
                "duties": [d.model_dump() for d in data.duties],
                "performance_how": data.performance.how,
                "performance_place": data.performance.place,
                "signature_note": data.signature_note,
                "seal_note": data.seal_note,
                "reason": data.reason,
            }
        )
        item.sealed = seal_details(doc)
        if version == 1:
            self._move(item, actor, data.signed_on, "agreement_reached", "agreement")
        else:
            item.history = [*item.history, self._history(actor, data.signed_on, "agreement_corrected", None, None)]
        return case_out(self.store.save(item, actor, f"mediation_case.agreement_v{version}", before))

    def _note(self, item: MediationCaseModel, kind: str, day: date, text: str | None) -> None:
        if not text:
            return
        doc = unseal_details(item.sealed)
        doc["notes"].append({"kind": kind, "at": day.isoformat(), "text": text})
        item.sealed = seal_details(doc)

    def fail(self, principal: Principal, actor: Actor, case_id: str, data: FailIn, if_match: int | None) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        self._check_date(item, data.date, "body.date")
        self._move(item, actor, data.date, "failed", "failed")
        item.failed_route = data.route
        self._note(item, "failed", data.date, data.note)
        return case_out(self.store.save(item, actor, "mediation_case.failed", before))

    def follow_up(
        self, principal: Principal, actor: Actor, case_id: str, data: FollowUpIn, if_match: int | None
    ) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        self._check_date(item, data.date, "body.date")
        lifecycle.check(item.status, "follow_up")
        item.follow_ups = [
            *item.follow_ups,
            {
                "no": len(item.follow_ups) + 1,
                "date": data.date.isoformat(),
                "performed": data.performed,
                "satisfaction": data.satisfaction,
                "recurrence": data.recurrence,
                "recorded": _recorded(),
            },
        ]
        self._note(item, "follow_up", data.date, data.note)
        if item.status != "follow_up":
            self._move(item, actor, data.date, "follow_up", "follow_up")
        return case_out(self.store.save(item, actor, "mediation_case.follow_up", before))

    def close(self, principal: Principal, actor: Actor, case_id: str, data: CloseIn, if_match: int | None) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        self._check_date(item, data.date, "body.date")
        outcome = "failed" if item.status == "failed" else "resolved"
        self._move(item, actor, data.date, "closed", "close")
        item.closed_on, item.outcome, item.open_root = data.date.isoformat(), outcome, None
        days = (data.date - date.fromisoformat(item.registered_on)).days
        deltas = {"closed": 1, f"outcome:{outcome}": 1, f"closed_at:{item.level}": 1, f"days:{days}": 1}
        deltas[f"category:{item.category}:closed"] = 1
        if outcome == "resolved":
            deltas[f"category:{item.category}:resolved"] = 1
            members: dict[str, dict[str, Any]] = {}
            for m in item.mediators:
                if m.get("member") and m["member"] not in members:
                    members[m["member"]] = {
                        "member": m["member"],
                        "mediator": m["mediator"],
                        "source_event_id": SCORE_EVENT.format(case=item.id),
                    }
            item.score_events = list(members.values())
        if item.level == item.start_level:
            deltas["closed_where_started"] = 1
        saved = self.store.save(
            item,
            actor,
            "mediation_case.close",
            before,
            chain=self._chain(item),
            stats=[(data.date.isoformat()[:7], deltas)],
        )
        if item.score_events:  # 三比: each party-member mediator is credited (booked once per case and member)
            events.publish(events.SCORING_CREDIT, SCORE_EVENT.format(case=item.id))
        return case_out(saved)

    def escalate(
        self, principal: Principal, actor: Actor, case_id: str, data: EscalateIn, if_match: int | None
    ) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        self._check_date(item, data.date, "body.date")
        lifecycle.check(item.status, "escalated")
        position = CASE_LEVELS.index(item.level)
        if position + 1 >= len(CASE_LEVELS):
            raise Conflict("案件已在镇级，不能再上交", "The case is at town level already; it cannot go higher")
        new_level = CASE_LEVELS[position + 1]
        unit = self.grid.store.unit(item.unit_code)
        handling = None if unit is None else self._at_level(self.grid.store.units(unit.chain), unit, new_level)
        if handling is None:
            raise Conflict("找不到上一级调解组织所在单元", "No unit of the next level above this case")
        item.history = [
            *item.history,
            self._history(
                actor, data.date, "escalate", item.status, "escalated", level_from=item.level, level_to=new_level
            ),
        ]
        item.status, item.level = "escalated", new_level
        item.handling_code, item.flag_code = handling.code, handling.parent
        self._note(item, "escalate", data.date, data.reason)
        return case_out(self.store.save(item, actor, "mediation_case.escalate", before))

    def extend(self, principal: Principal, actor: Actor, case_id: str, data: ExtendIn, if_match: int | None) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        if item.status not in lifecycle.OPEN_STATUSES:
            raise Conflict(
                f"案件当前为「{STATUS_LABELS[item.status]}」（{item.status}），不能延期",
                f"The case is {item.status}; it cannot be extended",
            )
        self._check_parties(item, [c.party for c in data.consents], "body.consents")
        for i, c in enumerate(data.consents):
            self._check_date(item, c.consented_on, f"body.consents.{i}.consented_on")
        sides = {str(dict(item.parties[c.party])["side"]) for c in data.consents}
        if sides != {"applicant", "respondent"}:
            raise field_error("body.consents", "延期须经双方当事人同意", "An extension needs both sides' consent")
        if data.new_due.isoformat() <= item.due_on:
            raise field_error("body.new_due", "新期限须晚于原期限", "The new due date must be later than the old")
        item.extensions = [
            *item.extensions,
            {
                "consents": [
                    {"party": c.party, "consented_on": c.consented_on.isoformat(), "how": c.how} for c in data.consents
                ],
                "previous_due": item.due_on,
                "new_due": data.new_due.isoformat(),
                "recorded": _recorded(),
            },
        ]
        item.history = [*item.history, self._history(actor, china_today(), "extend", None, None)]
        item.due_on = data.new_due.isoformat()
        return case_out(self.store.save(item, actor, "mediation_case.extend", before))

    def withdraw(
        self, principal: Principal, actor: Actor, case_id: str, data: WithdrawIn, if_match: int | None
    ) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        self._check_date(item, data.date, "body.date")
        self._check_parties(item, data.parties, "body.parties")
        self._move(item, actor, data.date, "withdrawn", "withdraw")
        item.closed_on, item.outcome, item.open_root = data.date.isoformat(), "withdrawn", None
        self._note(item, "withdraw", data.date, data.note)
        saved = self.store.save(
            item,
            actor,
            "mediation_case.withdraw",
            before,
            chain=self._chain(item),
            stats=[(data.date.isoformat()[:7], {"withdrawn": 1})],
        )
        return case_out(saved)

    def judicial(
        self, principal: Principal, actor: Actor, case_id: str, data: JudicialIn, if_match: int | None
    ) -> CaseOut:
        item = self.writable(principal, case_id, if_match)
        before = case_state(item)
        if not item.agreements or item.outcome in ("failed", "withdrawn"):
            raise Conflict("没有调解协议，不能申请司法确认", "No agreement to confirm")
        if item.judicial:
            raise Conflict("已申请司法确认", "Judicial confirmation was already applied for")
        signed = date.fromisoformat(str(dict(item.agreements[-1])["signed_on"]))
        if data.applied_on < signed:
            raise field_error("body.applied_on", "申请日期不能早于协议签订", "Cannot apply before the agreement")
        if data.applied_on > signed + timedelta(days=JUDICIAL_DAYS):
            raise field_error(
                "body.applied_on",
                "已超过协议生效之日起30日的申请期限",
                "More than 30 days after the agreement took effect",
            )
        if data.applied_on > china_today():
            raise field_error("body.applied_on", "日期不能晚于今天", "The date cannot be in the future")
        item.judicial = [{"applied_on": data.applied_on.isoformat(), "court": data.court, "recorded": _recorded()}]
        item.history = [*item.history, self._history(actor, data.applied_on, "judicial_confirmation", None, None)]
        return case_out(self.store.save(item, actor, "mediation_case.judicial_confirmation", before))

    # -- details ---------------------------------------------------------------------------------------
    def reveal(self, principal: Principal, actor: Actor, case_id: str, purpose: str) -> CaseDetailsOut:
        item = self.visible(principal, case_id)
        self.grid.store.audit_read(actor, "mediation_case.reveal", ("mediation_case", item.id), item.unit_path, purpose)
        doc = unseal_details(item.sealed)
        return CaseDetailsOut(
            id=item.id,
            number=item.number,
            purpose=purpose,
            summary=doc["summary"],
            parties=[
                PartyDetailOut(index=i, name=p["name"], address=p.get("address")) for i, p in enumerate(doc["parties"])
            ],
            sessions=[
                SessionDetailOut(
                    no=s["no"],
                    attendees=s["attendees"],
                    statements=[StatementOut(**x) for x in s["statements"]],
                    result=s["result"],
                )
                for s in doc["sessions"]
            ],
            agreements=[
                AgreementDetailOut(
                    **{k: v for k, v in a.items() if k != "duties"}, duties=[DutyOut(**d) for d in a["duties"]]
                )
                for a in doc["agreements"]
            ],
            notes=[NoteOut(**n) for n in doc["notes"]],
        )

    # -- lists and figures -----------------------------------------------------------------------------
    def list_below(
        self,
        principal: Principal,
        code: str,
        *,
        status: str | None,
        overdue: bool | None,
        mediator: str | None,
        party: str | None,
        limit: int,
        cursor: str | None,
    ) -> CasePage:
        unit = self.grid.visible_unit(principal, code)
        if status is not None and status not in STATUS_LABELS:
            raise field_error("query.status", "状态不存在", "Unknown status")
        condition: Any = None

        def both(extra: Any) -> None:
            nonlocal condition
            condition = extra if condition is None else condition & extra

        if status is not None:
            both(MediationCaseModel.status == status)
        if overdue is not None:
            late = MediationCaseModel.due_on < china_today().isoformat()
            both(late if overdue else MediationCaseModel.open_root.does_not_exist() | ~late)
        if mediator is not None:
            both(MediationCaseModel.mediator_ids.contains(mediator))
        if party is not None:
            both(MediationCaseModel.party_keys.contains(party_key(party)))
        items, last = self.store.below(
            unit.root,
            unit.path,
            open_only=bool(overdue),
            condition=condition,
            limit=limit,
            after=decode_cursor(cursor),
        )
        return CasePage(items=[summary_out(i) for i in items], next_cursor=encode_cursor(last))

    def stats(self, principal: Principal, code: str, start: str, end: str) -> StatsOut:
        unit = self.grid.visible_unit(principal, code)
        f = self.store.figures(unit.code, start, end)
        closed, resolved = f.get("closed", 0), f.get("outcome:resolved", 0)
        by_category: dict[str, CategoryFigures] = {}
        for name, n in f.items():
            if name.startswith("category:"):
                _, cat, what = name.split(":")
                figures = by_category.setdefault(cat, CategoryFigures(registered=0, closed=0, resolved=0))
                setattr(figures, what, getattr(figures, what) + n)

        def prefixed(prefix: str) -> dict[str, int]:
            return {k[len(prefix) :]: n for k, n in f.items() if k.startswith(prefix) and n}

        closed_at = {level: f.get(f"closed_at:{level}", 0) for level in CASE_LEVELS}
        where_started = f.get("closed_where_started", 0)
        overdue = self.store.count_open(unit.root, unit.path, MediationCaseModel.due_on < china_today().isoformat())
        return StatsOut(
            unit=unit.code,
            start=start,
            end=end,
            registered=f.get("registered", 0),
            closed=closed,
            resolved=resolved,
            failed=f.get("outcome:failed", 0),
            withdrawn=f.get("withdrawn", 0),
            resolution_rate=round(resolved / closed, 4) if closed else None,
            median_days_to_close=median_days(f),
            by_category={k: v for k, v in by_category.items() if v.registered or v.closed},
            by_cause=prefixed("cause:"),
            by_source=prefixed("source:"),
            started_at_level={level: f.get(f"started_at:{level}", 0) for level in CASE_LEVELS},
            closed_at_level=closed_at,
            closed_at_level_share={k: round(v / closed, 4) if closed else 0.0 for k, v in closed_at.items()},
            closed_where_started=where_started,
            closed_where_started_share=round(where_started / closed, 4) if closed else None,
            open_overdue=overdue,
        )

    # -- teams -----------------------------------------------------------------------------------------
    def _kinds(self) -> dict[str, str]:
        return {e.code: e.name_zh for e in self.catalogue.recent_entries("mediation_team_kind")}

    def create_team(self, principal: Principal, actor: Actor, data: TeamIn) -> TeamOut:
        unit = self._unit_in_scope(principal, data.unit, "body.unit")
        self._check_catalogue("mediation_team_kind", [data.kind], "body.kind")
        if data.kind == "committee" and not data.number_prefix:
            raise field_error("body.number_prefix", "调委会须有案号代字", "A committee needs its case-number prefix")
        if data.kind != "committee" and data.number_prefix:
            raise field_error("body.number_prefix", "只有调委会编案号", "Only a committee numbers cases")
        item = MediationTeamModel(
            new_hex(),
            name=data.name,
            kind=data.kind,
            number_prefix=data.number_prefix,
            unit_code=unit.code,
            unit_path=unit.path,
            root=unit.root,
            mediators=[],
        )
        item.path_key = f"{unit.path}/#{item.id}"
        return team_out(self.store.save_team(item, actor, "mediation_team.create", None), self._kinds())

    def _team_visible(self, principal: Principal, team_id: str) -> MediationTeamModel:
        """A team is seen from its unit's subtree and from below it (a 组长 sees the village's 银龄裁判团)."""
        team = self.store.team(team_id)
        scope = principal.unit_scope
        if (
            team is None
            or scope is None
            or not (path_within(team.unit_path, scope) or path_within(scope, team.unit_path))
        ):
            raise not_found("调解组织", "Mediation team")
        return team

    def get_team(self, principal: Principal, team_id: str) -> TeamOut:
        return team_out(self._team_visible(principal, team_id), self._kinds())

    def add_mediator(
        self, principal: Principal, actor: Actor, team_id: str, data: MediatorIn, if_match: int | None
    ) -> TeamOut:
        team = self._team_visible(principal, team_id)
        if not principal.sees_unit(team.unit_path):
            raise Forbidden("只有该组织所在单元及上级可以修改", "Only the team's unit and above may change it")
        check_version(if_match, team.version)
        if data.member is not None:
            member = self.members.member(data.member)
            if member is None or not principal.sees_unit(member.unit_path):
                raise field_error(
                    "body.member", "党员不存在或不在您的管辖范围内", "Member not found or outside your scope"
                )
        before = team_state(team)
        team.mediators = [
            *team.mediators,
            {
                "id": new_hex()[:12],
                "name": data.name,
                "phone": data.phone,
                "member": data.member,
                "title": data.title,
                "active": True,
            },
        ]
        return team_out(self.store.save_team(team, actor, "mediation_team.add_mediator", before), self._kinds())

    def teams(self, principal: Principal, code: str, *, limit: int, cursor: str | None) -> TeamPage:
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.teams_below(unit.root, unit.path, limit=limit, after=decode_cursor(cursor))
        kinds = self._kinds()
        return TeamPage(items=[team_out(i, kinds) for i in items], next_cursor=encode_cursor(last))


def default_service() -> MediationService:
    audit = AuditStore()
    return MediationService(
        store=MediationStore(audit=audit),
        grid=grid_service(),
        catalogue=CatalogueStore(),
        members=MemberStore(audit=audit),
    )
