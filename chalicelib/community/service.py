"""Rules of 在职党员到社区报到: a community's needs, in-service members reporting in to the village of their
home household once a period, claims within a need's slots, service logs confirmed by the member's 邻长 or
组长 (or above), and the list of in-service members who have not reported in.

Members are read through the members slice's store (never written here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.community.schemas import (
    NEED_STATES,
    SERVICE_STATES,
    ClaimOut,
    MemberServiceOut,
    MissingOut,
    MissingPage,
    NeedIn,
    NeedOut,
    NeedPage,
    ReportInIn,
    ReportInOut,
    ReportInPage,
    ServiceIn,
    ServiceOut,
    ServicePage,
)
from chalicelib.community.store import (
    ClaimModel,
    CommunityStore,
    NeedModel,
    ReportInModel,
    ServiceRecordModel,
    now_iso,
    report_in_id,
    service_state,
    source_event_id,
)
from chalicelib.core import events
from chalicelib.core.audit import AuditStore
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.clock import china_today
from chalicelib.core.errors import Conflict, FieldError, Forbidden, check_version, field_error, not_found
from chalicelib.core.ids import new_id
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.grid.schemas import LEVELS
from chalicelib.grid.service import GridService
from chalicelib.grid.service import default_service as grid_service
from chalicelib.members.store import MemberModel, MemberStore

if TYPE_CHECKING:
    from chalicelib.core.audit import Actor
    from chalicelib.core.auth import Principal

NEED_LEVELS = frozenset(LEVELS[LEVELS.index("village") :])  # a need concerns a village or a unit inside it
VILLAGE_DEPTH = LEVELS.index("village") + 1  # segments in a village's path: 430182/DCQ/QS


def need_out(item: NeedModel, labels: dict[str, str]) -> NeedOut:
    return NeedOut(
        id=item.id,
        title=item.title,
        description=item.description,
        category=item.category,
        category_label=labels.get(item.category, item.category),
        unit=item.unit_code,
        unit_path=item.unit_path,
        slots=int(item.slots),
        taken=int(item.taken),
        start=item.start,
        end=item.end,
        period=item.period,
        state=item.state,
        state_label=NEED_STATES[item.state],
        version=int(item.version or 0),
    )


def report_in_out(item: ReportInModel) -> ReportInOut:
    return ReportInOut(
        id=item.id,
        member=item.member_id,
        member_name=item.member_name,
        workplace=item.workplace,
        period=item.period,
        date=item.date,
        community=item.community_code,
        unit=item.unit_code,
        unit_path=item.unit_path,
        recorded_by=item.recorded_by,
        recorded_role=item.recorded_role,
        recorded_at=item.recorded_at,
        note=item.note,
    )


def service_out(item: ServiceRecordModel) -> ServiceOut:
    return ServiceOut(
        id=item.id,
        member=item.member_id,
        period=item.period,
        date=item.date,
        hours=int(item.half_hours) / 2,
        description=item.description,
        need=item.need_id,
        unit=item.unit_code,
        unit_path=item.unit_path,
        state=item.state,
        state_label=SERVICE_STATES[item.state],
        recorded_by=item.recorded_by,
        reviewed_by=item.reviewed_by,
        reviewed_role=item.reviewed_role,
        reviewed_at=item.reviewed_at,
        dispute_reason=item.dispute_reason,
        source_event_id=item.source_event_id,
        version=int(item.version or 0),
    )


def claim_out(item: ClaimModel, need: NeedModel) -> ClaimOut:
    return ClaimOut(
        need=item.need_id,
        member=item.member_id,
        state=item.state,
        claimed_at=item.claimed_at,
        withdrawn_at=item.withdrawn_at,
        need_taken=int(need.taken),
        need_slots=int(need.slots),
    )


class CommunityService:
    def __init__(
        self, *, store: CommunityStore, members: MemberStore, grid: GridService, catalogue: CatalogueStore
    ) -> None:
        self.store = store
        self.members = members
        self.grid = grid
        self.catalogue = catalogue

    # -- shared ------------------------------------------------------------------------------------
    def _member(self, principal: Principal, member_id: str, field: str) -> MemberModel:
        """A member named in a body: in scope and still a member, or a field error."""
        item = self.members.member(member_id)
        if item is None or not principal.sees_unit(item.unit_path):
            raise field_error(field, "党员不存在或不在您的管辖范围内", "Member not found or outside your scope")
        if item.status == "left":
            raise field_error(field, "该党员已离开本辖区", "The member has left")
        return item

    def _labels(self) -> dict[str, str]:
        return {e.code: e.name_zh for e in self.catalogue.recent_entries("community_need")}

    def visible_need(self, principal: Principal, need_id: str) -> NeedModel:
        item = self.store.need(need_id)
        if item is None or not principal.sees_unit(item.unit_path):
            raise not_found("需求", "Need")
        return item

    def visible_record(self, principal: Principal, record_id: str) -> ServiceRecordModel:
        item = self.store.service_record(record_id)
        if item is None or not principal.sees_unit(item.unit_path):
            raise not_found("服务记录", "Service record")
        return item

    def _community_of(self, member: MemberModel) -> str:
        """The village (community) code of the member's home unit."""
        unit = self.grid.store.unit(member.unit_code)
        village = LEVELS.index("village")
        if unit is None or len(unit.chain) <= village:
            raise Conflict("党员所在网格刚被调整，请刷新后重试", "The member's unit just changed; reload and retry")
        return unit.chain[village]

    # -- needs (需求表) ------------------------------------------------------------------------------
    def create_need(self, principal: Principal, actor: Actor, code: str, data: NeedIn) -> NeedOut:
        unit = self.grid.visible_unit(principal, code)
        if unit.level not in NEED_LEVELS:
            raise field_error(
                "path.code", "需求须发布在村（社区）或其下的片、组、邻", "A need belongs to a village or below"
            )
        if data.category not in self.catalogue.codes("community_need"):
            raise field_error("body.category", "需求类别不在目录中", "Unknown need category")
        item = NeedModel(
            new_id(),
            title=data.title,
            description=data.description,
            category=data.category,
            unit_code=unit.code,
            unit_path=unit.path,
            root=unit.root,
            slots=data.slots,
            taken=0,
            start=data.start.isoformat(),
            end=data.end.isoformat(),
            period=str(data.start.year),
            state="open",
            created_by=actor.sub,
            created_at=now_iso(),
        )
        item.path_key = f"{unit.path}/#{item.id}"
        return need_out(self.store.create_need(item, actor), self._labels())

    def get_need(self, principal: Principal, need_id: str) -> NeedOut:
        return need_out(self.visible_need(principal, need_id), self._labels())

    def needs(self, principal: Principal, code: str, *, state: str | None, limit: int, cursor: str | None) -> NeedPage:
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.needs_below(
            unit.root, unit.path, state=state, limit=limit, after=decode_cursor(cursor)
        )
        labels = self._labels()
        return NeedPage(items=[need_out(i, labels) for i in items], next_cursor=encode_cursor(last))

    def close_need(self, principal: Principal, actor: Actor, need_id: str, if_match: int | None) -> NeedOut:
        item = self.visible_need(principal, need_id)
        check_version(if_match, item.version)
        if item.state == "closed":
            raise Conflict("需求已关闭", "The need is already closed")
        return need_out(self.store.close_need(item, actor), self._labels())

    # -- report-ins (报到单) -------------------------------------------------------------------------
    def report_in(self, principal: Principal, actor: Actor, data: ReportInIn) -> ReportInOut:
        member = self._member(principal, data.member, "body.member")
        if not member.in_service:
            raise field_error("body.member", "只有在职党员到社区报到", "Only in-service members report in")
        if str(data.date.year) != data.period:
            raise field_error("body.date", "报到日期须在报到年度内", "The date must fall in the period")
        if data.date > china_today():
            raise field_error("body.date", "报到日期不能晚于今天", "The date cannot be in the future")
        item = ReportInModel(
            report_in_id(member.id, data.period),
            member_id=member.id,
            member_name=member.name,
            workplace=member.workplace,
            period=data.period,
            date=data.date.isoformat(),
            community_code=self._community_of(member),
            unit_code=member.unit_code,
            unit_path=member.unit_path,
            root=member.root,
            recorded_by=actor.sub,
            recorded_role=actor.role,
            recorded_at=now_iso(),
            note=data.note,
        )
        item.path_key = f"{member.unit_path}/#{item.id}"
        try:
            self.store.create_report_in(item, actor)
        except Conflict as e:
            if self.store.report_in(member.id, data.period) is None:
                raise
            raise Conflict(
                f"该党员{data.period}年度已报到", f"The member has already reported in for {data.period}",
                [FieldError("body.period", "已报到 / already reported in")],
            ) from e  # fmt: skip
        return report_in_out(item)

    def report_ins(
        self, principal: Principal, code: str, *, period: str, limit: int, cursor: str | None
    ) -> ReportInPage:
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.report_ins_below(period, unit.path, limit=limit, after=decode_cursor(cursor))
        return ReportInPage(items=[report_in_out(i) for i in items], next_cursor=encode_cursor(last))

    def missing(self, principal: Principal, code: str, *, period: str, limit: int, cursor: str | None) -> MissingPage:
        """In-service members of the subtree without a report-in for the period: a page of in-service members
        (key-range query) and one batch read of their report-ins. A page may hold fewer than `limit` items;
        follow `next_cursor` to the end."""
        unit = self.grid.visible_unit(principal, code)
        members, last = self.members.below(
            unit.root, unit.path, status=None, in_service=True, limit=limit, after=decode_cursor(cursor)
        )
        current = [m for m in members if m.status != "left"]
        reported = self.store.reported([m.id for m in current], period)
        items = [
            MissingOut(
                member=m.id,
                name=m.name,
                workplace=m.workplace,
                branch=m.branch,
                unit=m.unit_code,
                unit_path=m.unit_path,
            )
            for m in current
            if m.id not in reported
        ]
        return MissingPage(period=period, items=items, next_cursor=encode_cursor(last))

    # -- claims ------------------------------------------------------------------------------------
    def claim(self, principal: Principal, actor: Actor, need_id: str, member_id: str) -> ClaimOut:
        need = self.visible_need(principal, need_id)
        member = self._member(principal, member_id, "body.member")
        report = self.store.report_in(member.id, need.period)
        if report is None:
            raise field_error(
                "body.member",
                f"该党员尚未在{need.period}年度到社区报到",
                f"The member has not reported in for {need.period}",
            )
        village_path = "/".join(need.unit_path.split("/")[:VILLAGE_DEPTH])
        community = self.grid.store.unit(report.community_code)
        if community is None or community.path != village_path:
            raise field_error(
                "body.member", "该需求不属于党员报到的村（社区）", "The need is outside the member's community"
            )
        existing = self.store.claim(need.id, member.id)
        if existing is not None and existing.state == "active":
            raise Conflict("该党员已认领此需求", "The member already holds this need")
        self._check_open(need)
        try:
            item = self.store.create_claim(need, member.id, need.period, actor)
        except Conflict as e:  # lost a race: say why, from the need as it is now
            fresh = self.store.need(need.id)
            if fresh is not None:
                self._check_open(fresh)
            raise e
        fresh = self.store.need(need.id) or need
        return claim_out(item, fresh)

    @staticmethod
    def _check_open(need: NeedModel) -> None:
        if need.state != "open":
            raise Conflict("需求已关闭，不能认领", "The need is closed")
        if need.end < china_today().isoformat():
            raise Conflict(f"需求已于{need.end}结束，不能认领", f"The need ended on {need.end}")
        if int(need.taken) >= int(need.slots):
            raise Conflict(f"需求名额已满（{int(need.slots)} 人）", f"The need is full ({int(need.slots)} members)")

    def withdraw(self, principal: Principal, actor: Actor, need_id: str, member_id: str) -> ClaimOut:
        need = self.visible_need(principal, need_id)
        member = self.members.member(member_id)
        item = self.store.claim(need.id, member_id)
        if member is None or not principal.sees_unit(member.unit_path) or item is None:
            raise not_found("认领", "Claim")
        if item.state != "active":
            raise Conflict("该认领已撤回", "The claim was already withdrawn")
        item = self.store.withdraw_claim(need, item, actor)
        return claim_out(item, self.store.need(need.id) or need)

    # -- service records (服务登记卡) ----------------------------------------------------------------
    def log_service(self, principal: Principal, actor: Actor, data: ServiceIn) -> ServiceOut:
        member = self._member(principal, data.member, "body.member")
        if data.date > china_today():
            raise field_error("body.date", "服务日期不能晚于今天", "The date cannot be in the future")
        period = str(data.date.year)
        if self.store.report_in(member.id, period) is None:
            raise field_error(
                "body.member", f"该党员尚未在{period}年度到社区报到", f"The member has not reported in for {period}"
            )
        if data.need is not None:
            need = self.store.need(data.need)
            claim = self.store.claim(data.need, member.id)
            if need is None or not principal.sees_unit(need.unit_path) or claim is None or claim.state != "active":
                raise field_error("body.need", "该党员未认领此需求", "The member holds no claim on this need")
        half_hours = int(data.hours * 2)
        record_id = new_id()
        item = ServiceRecordModel(
            record_id,
            member_id=member.id,
            member_key=f"{data.date.isoformat()}#{record_id}",
            period=period,
            date=data.date.isoformat(),
            half_hours=half_hours,
            description=data.description,
            need_id=data.need,
            unit_code=member.unit_code,
            unit_path=member.unit_path,
            root=member.root,
            path_key=f"{member.unit_path}/#{record_id}",
            state="pending",
            recorded_by=actor.sub,
            recorded_role=actor.role,
            recorded_at=now_iso(),
        )
        return service_out(self.store.create_service(item, actor))

    def review(
        self, principal: Principal, actor: Actor, record_id: str, *, confirm: bool, reason: str | None
    ) -> ServiceOut:
        """Confirm (or dispute with a reason) a pending record; never by the one who logged it."""
        item = self.visible_record(principal, record_id)
        if item.recorded_by == actor.sub:
            raise Forbidden("不能确认自己登记的服务", "You cannot review service you logged yourself")
        if item.state != "pending":
            raise Conflict(f"该记录已{SERVICE_STATES[item.state]}，不能再次处理", f"The record is already {item.state}")
        before = service_state(item)
        item.state = "confirmed" if confirm else "disputed"
        item.reviewed_by, item.reviewed_role, item.reviewed_at = actor.sub, actor.role, now_iso()
        if confirm:
            item.source_event_id = source_event_id(item.id)
        else:
            item.dispute_reason = reason
        saved = self.store.review_service(item, actor, before)
        if confirm:  # 三比: the confirmed hours credit the member (booked once under this id)
            events.publish(events.SCORING_CREDIT, str(item.source_event_id))
        return service_out(saved)

    def member_service(self, principal: Principal, member_id: str, period: str) -> MemberServiceOut:
        member = self.members.member(member_id)
        if member is None or not principal.sees_unit(member.unit_path):
            raise not_found("党员", "Member")
        items = self.store.services_of(member.id, period)
        half_hours, records = self.store.total(member.id, period)
        return MemberServiceOut(
            member=member.id,
            period=period,
            confirmed_hours=half_hours / 2,
            confirmed_records=records,
            items=[service_out(i) for i in items],
        )

    def services(
        self, principal: Principal, code: str, *, period: str, state: str | None, limit: int, cursor: str | None
    ) -> ServicePage:
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.services_below(
            unit.root, unit.path, period=period, state=state, limit=limit, after=decode_cursor(cursor)
        )
        return ServicePage(items=[service_out(i) for i in items], next_cursor=encode_cursor(last))


def default_service() -> CommunityService:
    audit = AuditStore()
    return CommunityService(
        store=CommunityStore(audit=audit),
        members=MemberStore(audit=audit),
        grid=grid_service(),
        catalogue=CatalogueStore(),
    )
