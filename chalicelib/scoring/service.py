"""三比 scoring rules in use: who may claim, review, object, finalise and reverse what, with which effects
on caps, totals and rankings; rules and the county policy as data; the read side."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal, path_within
from chalicelib.core.clock import china_date
from chalicelib.core.errors import Conflict, Forbidden, check_version, field_error, not_found
from chalicelib.core.ids import new_hex
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.grid.schemas import LEVELS
from chalicelib.grid.service import GridService
from chalicelib.grid.service import default_service as grid_service
from chalicelib.grid.store import UnitModel
from chalicelib.members.store import MemberModel, MemberStore
from chalicelib.scoring import rules
from chalicelib.scoring.rules import DIMENSION_LABELS, DIMENSIONS, Policy, RuleError, RuleTerms, Tier
from chalicelib.scoring.schemas import (
    STATUS_LABELS,
    ClaimIn,
    EntryOut,
    EntryPage,
    LeaderboardOut,
    ObjectionIn,
    PolicyIn,
    PolicyOut,
    QuarterOut,
    ReversalIn,
    ReviewIn,
    RuleDetailOut,
    RuleIn,
    RuleList,
    RuleOut,
    RuleUpdate,
    ScorecardOut,
    StandingOut,
    StepOut,
    TierCountOut,
    TierOut,
    TiersOut,
)
from chalicelib.scoring.store import (
    EntryModel,
    Move,
    Reservation,
    RuleModel,
    ScoringStore,
    TotalsPlan,
    _RuleFields,
)

T = TypeVar("T")
ATTEMPTS = 8
SYSTEM_ROLE = "system"


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def county_of(path: str) -> str:
    """The county (宁乡市) of a unit path: its root unit, whose code is its path."""
    return path.split("/", 1)[0]


def _terms(rule: _RuleFields) -> RuleTerms:
    return RuleTerms(
        mode=rule.mode,
        points=int(rule.points),
        cap=int(rule.cap),
        negative=bool(rule.negative),
        evidence_required=bool(rule.evidence_required),
    )


def rule_out(rule: _RuleFields, owner: str, code: str) -> RuleOut:
    return RuleOut(
        owner=owner,
        code=code,
        dimension=rule.dimension,
        dimension_label=DIMENSION_LABELS[rule.dimension][0],
        name_zh=rule.name_zh,
        name_en=rule.name_en,
        mode=rule.mode,
        points=int(rule.points),
        unit_zh=rule.unit_zh,
        unit_en=rule.unit_en,
        cap=int(rule.cap),
        evidence_required=bool(rule.evidence_required),
        negative=bool(rule.negative),
        active=bool(rule.active),
        version=int(rule.version),
        changed_at=rule.changed_at,
        note=rule.note,
    )


def entry_out(item: EntryModel, *, reversed_by: str | None = None) -> EntryOut:
    return EntryOut(
        id=item.id,
        kind=item.kind,
        member=item.member_id,
        member_name=item.member_name,
        rule=item.rule_code,
        rule_owner=item.rule_owner,
        rule_version=int(item.rule_version),
        rule_name_zh=item.rule_name_zh,
        rule_name_en=item.rule_name_en,
        dimension=item.dimension,
        quantity=int(item.quantity),
        points=int(item.points),
        explanation=item.explanation,
        period=item.period,
        occurred_on=item.occurred_on,
        unit=item.unit_code,
        unit_path=item.unit_path,
        evidence=list(item.evidence),
        note=item.note,
        status=item.status,
        status_label=STATUS_LABELS[item.status],
        notice_ends=item.notice_ends,
        reverses=item.reverses,
        reversed_by=reversed_by,
        source_event=item.source_event,
        history=[
            StepOut(
                at=str(h["at"]),
                status=str(h["status"]),
                status_label=STATUS_LABELS.get(str(h["status"]), str(h["status"])),
                by_role=str(h["by_role"]),
                reason=h.get("reason"),
            )
            for h in item.history
        ],
    )


def policy_out(county: str, policy: Policy, version: int) -> PolicyOut:
    data = policy.as_dict()
    return PolicyOut(county=county, version=version, **data | {"tiers": [TierOut(**t) for t in data["tiers"]]})


def _rule_error(e: RuleError) -> Exception:
    return field_error(f"body.{e.field}", e.zh, e.en)


def explanation(name_zh: str, *, version: int, quantity: int, per: int, unit_zh: str, points: int) -> str:
    line = f"{name_zh}（第{version}版）：{quantity}{unit_zh} × {per}分"
    if per * quantity != points:
        return f"{line}，达本期上限，计 {points} 分"
    return f"{line} = {points}分"


class ScoringService:
    def __init__(
        self,
        *,
        store: ScoringStore,
        members: MemberStore,
        grid: GridService,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store = store
        self.members = members
        self.grid = grid
        self.clock = clock

    # -- policy --------------------------------------------------------------------------------------
    def policy(self, principal: Principal) -> PolicyOut:
        county = county_of(principal.scope)
        item = self.store.policy_item(county)
        return policy_out(county, item.policy() if item else Policy(), int(item.version) if item else 0)

    def put_policy(self, principal: Principal, actor: Actor, data: PolicyIn, if_match: int | None) -> PolicyOut:
        county = county_of(principal.scope)
        item = self.store.policy_item(county)
        check_version(if_match, item.version if item else 0)
        tiers = tuple(
            Tier(t.code, float("-inf") if t.min_score is None else t.min_score, t.name_zh, t.name_en)
            for t in data.tiers
        )
        try:
            rules.check_tiers(tiers)
        except RuleError as e:
            raise _rule_error(e) from e
        if not data.floor <= data.base <= data.ceiling:
            raise field_error("body.base", "基础分须在下限与上限之间", "The base lies between floor and ceiling")
        policy = Policy(
            base=data.base, floor=data.floor, ceiling=data.ceiling, notice_days=data.notice_days, tiers=tiers,
            village_max_points=data.village_max_points, village_max_cap=data.village_max_cap,
        )  # fmt: skip
        saved = self.store.put_policy(county, policy, int(item.version) if item else None, actor)
        return policy_out(county, policy, int(saved.version))

    # -- rules ---------------------------------------------------------------------------------------
    def _readable_rule(self, principal: Principal, owner: str, code: str) -> RuleModel:
        rule = self.store.rule(owner, code)
        if rule is None or not (principal.sees_unit(rule.owner_path) or path_within(principal.scope, rule.owner_path)):
            raise not_found("积分项目", "Scoring rule")
        return rule

    def rules_for_unit(self, principal: Principal, code: str) -> RuleList:
        unit = self.grid.visible_unit(principal, code)
        found: list[RuleModel] = []
        village = LEVELS.index("village")  # levels are fixed: the chain's codes are city, town, village...
        for owner in (unit.chain[0], *unit.chain[village : village + 1]):
            found += self.store.rules_of(owner)
        found.sort(key=lambda r: (DIMENSIONS.index(r.dimension), r.owner, r.code))
        return RuleList(items=[rule_out(r, r.owner, r.code) for r in found])

    def get_rule(self, principal: Principal, owner: str, code: str) -> RuleDetailOut:
        rule = self._readable_rule(principal, owner, code)
        versions = [rule_out(v, owner, code) for v in self.store.rule_versions(owner, code)]
        return RuleDetailOut(**rule_out(rule, owner, code).model_dump(), versions=versions)

    def _check_rule(self, owner: UnitModel, terms: RuleTerms, code: str) -> None:
        try:
            rules.check_terms(terms)
        except RuleError as e:
            raise _rule_error(e) from e
        if owner.level == "village":
            policy = self.store.policy(owner.root)
            if abs(terms.points) > policy.village_max_points:
                raise field_error(
                    "body.points",
                    f"村级自设项目每次分值不超过 {policy.village_max_points} 分",
                    f"A village item gives at most {policy.village_max_points} points per time or unit",
                )
            if terms.cap > policy.village_max_cap:
                raise field_error(
                    "body.cap",
                    f"村级自设项目每期上限不超过 {policy.village_max_cap} 分",
                    f"A village item's cap is at most {policy.village_max_cap} points per period",
                )
            if self.store.rule(owner.ancestors[0] if owner.ancestors else owner.code, code) is not None:
                raise field_error(
                    "body.code", "与县（市）级项目编码重复", "The county already has an item with this code"
                )

    def create_rule(self, principal: Principal, actor: Actor, data: RuleIn) -> RuleOut:
        owner = self.grid.store.unit(data.owner)
        if owner is None or not principal.sees_unit(owner.path):
            raise field_error("body.owner", "单元不存在或不在您的管辖范围内", "Unit not found or outside your scope")
        if owner.level not in ("city", "village"):
            raise field_error("body.owner", "积分项目由县（市）或村设立", "Items belong to the county or a village")
        terms = RuleTerms(data.mode, data.points, data.cap, data.negative, data.evidence_required)
        self._check_rule(owner, terms, data.code)
        item = RuleModel(
            owner.code, data.code, owner_path=owner.path, owner_level=owner.level, dimension=data.dimension,
            name_zh=data.name_zh, name_en=data.name_en, mode=data.mode, points=data.points, unit_zh=data.unit_zh,
            unit_en=data.unit_en, cap=data.cap, evidence_required=data.evidence_required, negative=data.negative,
            active=True, version=1, changed_at=_iso(self.clock()), note=data.note,
        )  # fmt: skip
        try:
            self.store.put_rule(item, actor, old_version=None)
        except Conflict as e:
            raise Conflict("该项目编码已存在", "An item with this code exists", e.fields) from e
        return rule_out(item, item.owner, item.code)

    def update_rule(
        self, principal: Principal, actor: Actor, owner: str, code: str, data: RuleUpdate, *, if_match: int | None
    ) -> RuleOut:
        rule = self.store.rule(owner, code)
        if rule is None or not principal.sees_unit(rule.owner_path):
            raise not_found("积分项目", "Scoring rule")
        check_version(if_match, rule.version)
        old_version = int(rule.version)
        for name in data.model_fields_set:
            value = getattr(data, name)
            if value is None and name != "note":
                raise field_error(f"body.{name}", "不能清空", "Cannot be cleared")
            setattr(rule, name, value)
        unit = self.grid.store.unit(rule.owner)
        if unit is None:
            raise not_found("积分项目", "Scoring rule")
        self._check_rule_update(unit, rule)
        rule.version, rule.changed_at = old_version + 1, _iso(self.clock())
        self.store.put_rule(rule, actor, old_version=old_version)
        return rule_out(rule, owner, code)

    def _check_rule_update(self, unit: UnitModel, rule: RuleModel) -> None:
        terms = _terms(rule)
        try:
            rules.check_terms(terms)
        except RuleError as e:
            raise _rule_error(e) from e
        if unit.level == "village":
            policy = self.store.policy(unit.root)
            if abs(terms.points) > policy.village_max_points or terms.cap > policy.village_max_cap:
                raise field_error(
                    "body.cap",
                    f"村级自设项目：每次不超过 {policy.village_max_points} 分，每期不超过 {policy.village_max_cap} 分",
                    f"A village item: at most {policy.village_max_points} per time, {policy.village_max_cap} a period",
                )

    # -- claims and automatic credits ----------------------------------------------------------------
    def _member_in_scope(self, principal: Principal, member_id: str, field: str) -> MemberModel:
        member = self.members.member(member_id)
        if member is None or not principal.sees_unit(member.unit_path):
            raise field_error(field, "党员不存在或不在您的管辖范围内", "Member not found or outside your scope")
        if member.status == "left":
            raise field_error(field, "该党员已离开，不能再计分", "The member has left; no more points")
        return member

    def _chain(self, member: MemberModel) -> list[str]:
        unit = self.grid.store.unit(member.unit_code)
        if unit is None or unit.path != member.unit_path:
            raise Conflict("党员所在网格刚被调整，请刷新后重试", "The member's unit just moved; reload and retry")
        return unit.chain

    def _new_entry(
        self,
        member: MemberModel,
        chain: list[str],
        rule: RuleModel,
        *,
        quantity: int,
        points: int,
        occurred_on: date,
        actor: Actor,
        kind: str,
        evidence: list[str],
        note: str | None,
    ) -> EntryModel:
        now = _iso(self.clock())
        entry_id = new_hex()
        period = rules.period_of(occurred_on)
        per = int(rule.points)
        return EntryModel(
            entry_id, kind=kind, member_id=member.id, member_name=member.name, rule_owner=rule.owner,
            rule_code=rule.code, rule_version=int(rule.version), rule_name_zh=rule.name_zh,
            rule_name_en=rule.name_en,
            explanation=explanation(rule.name_zh, version=int(rule.version), quantity=quantity, per=per,
                                    unit_zh=rule.unit_zh, points=points),
            dimension=rule.dimension, quantity=quantity, points=points, cap=int(rule.cap), period=period,
            occurred_on=occurred_on.isoformat(), unit_code=member.unit_code, unit_path=member.unit_path,
            root=member.root, chain=chain, evidence=evidence, note=note, claimed_by=actor.sub,
            claimed_role=actor.role, created_at=now, status="claimed", step=1,
            history=[{"at": now, "status": "claimed", "by_sub": actor.sub, "by_role": actor.role, "reason": None}],
            member_key=f"{period}#{now}#{entry_id}", state_key=f"{member.root}#claimed",
            path_key=f"{member.unit_path}/#{entry_id}",
        )  # fmt: skip

    def claim(self, principal: Principal, actor: Actor, data: ClaimIn) -> EntryOut:
        member = self._member_in_scope(principal, data.member, "body.member")
        chain = self._chain(member)
        rule = self.store.rule_on_chain(chain, data.rule)
        if rule is None or not rule.active:
            raise field_error("body.rule", "积分项目不存在或已停用", "No such active scoring item for this member")
        terms = _terms(rule)
        if data.occurred_on > china_date(self.clock()):
            raise field_error("body.occurred_on", "发生日期不能晚于今天", "The day cannot be in the future")
        if terms.evidence_required and not data.evidence:
            raise field_error("body.evidence", "该项目须上传佐证照片", "This item needs evidence photos")
        for i, key in enumerate(data.evidence):
            if not key.startswith(f"evidence/{member.root}/"):
                raise field_error(
                    f"body.evidence.{i}", "佐证须为本系统上传的照片", "Evidence must be an uploaded photo"
                )
        try:
            points = rules.points_for(terms, data.quantity)
            period = rules.period_of(data.occurred_on)
            rules.check_room(terms, self.store.usage(member.id, period, f"{rule.owner}/{rule.code}"), points)
        except RuleError as e:
            raise _rule_error(e) from e
        item = self._new_entry(
            member, chain, rule, quantity=data.quantity, points=points, occurred_on=data.occurred_on, actor=actor,
            kind="claim", evidence=list(data.evidence), note=data.note,
        )  # fmt: skip
        return entry_out(self.store.create_entry(item, actor))

    def record_automatic(
        self,
        source_event_id: str,
        member_id: str,
        rule_code: str,
        quantity: int,
        occurred_on: date,
        *,
        note: str | None = None,
    ) -> EntryOut:
        """Credit a member for an event another slice recorded (a mediation case resolved, an hour of
        service logged, a courtyard meeting attended...). Idempotent on `source_event_id`: the same event
        credits once, and a second call answers the first entry. The entry skips the reviews (the event is
        the evidence) but runs its public notice like any other; points beyond the cap are cut to it."""
        existing = self.store.source_entry(source_event_id)
        if existing is not None:
            return entry_out(existing)
        member = self.members.member(member_id)
        if member is None or member.status == "left":
            raise not_found("党员", "Member")
        actor = Actor(sub=f"system:{source_event_id}", role=SYSTEM_ROLE, scope=member.root, request_id=source_event_id)
        chain = self._chain(member)
        rule = self.store.rule_on_chain(chain, rule_code)
        if rule is None or not rule.active:
            raise not_found("积分项目", "Scoring rule")
        terms = _terms(rule)
        full = terms.points * quantity
        period = rules.period_of(occurred_on)
        policy = self.store.policy(member.root)
        for attempt in range(ATTEMPTS):
            used = self.store.usage(member.id, period, f"{rule.owner}/{rule.code}")
            room = min(rules.room_under_cap(terms, used), abs(full))
            points = room if full > 0 else -room
            item = self._new_entry(
                member, chain, rule, quantity=quantity, points=points, occurred_on=occurred_on, actor=actor,
                kind="automatic", evidence=[], note=note,
            )  # fmt: skip
            item.source_event = source_event_id
            now = self.clock()
            if points == 0:
                self._step(item, "rejected", actor, "本期该项已达上限 / the cap of this item is reached")
                reservation, pending = None, 0
            else:
                self._step(item, "branch_approved", actor, "自动核实 / verified by its source event")
                self._step(item, "public_notice", actor, None, notice_ends=now + timedelta(days=policy.notice_days))
                reservation = Reservation(member.id, period, f"{rule.owner}/{rule.code}", abs(points), terms.cap)
                pending = points
            item.step = 1
            try:
                self.store.create_entry(item, actor, source=True, reservation=reservation, pending=pending)
                return entry_out(item)
            except Conflict:
                existing = self.store.source_entry(source_event_id)
                if existing is not None:
                    return entry_out(existing)
                if attempt == ATTEMPTS - 1:
                    raise
                _pause(attempt)
        raise AssertionError("unreachable")

    # -- the workflow --------------------------------------------------------------------------------
    def visible(self, principal: Principal, entry_id: str) -> EntryModel:
        item = self.store.entry(entry_id)
        if item is None or not principal.sees_unit(item.unit_path):
            raise not_found("积分记录", "Ledger entry")
        return item

    def get(self, principal: Principal, entry_id: str) -> EntryOut:
        item = self.visible(principal, entry_id)
        reversal = self.store.entry(f"{item.id}-rev") if item.status == "final" and item.kind != "reversal" else None
        return entry_out(item, reversed_by=reversal.id if reversal else None)

    def _step(
        self,
        item: EntryModel,
        status: str,
        actor: Actor,
        reason: str | None,
        *,
        notice_ends: datetime | None = None,
        history_status: str | None = None,
    ) -> None:
        item.history = [
            *item.history,
            {
                "at": _iso(self.clock()),
                "status": history_status or status,
                "by_sub": actor.sub,
                "by_role": actor.role,
                "reason": reason,
            },
        ]
        item.status, item.step = status, int(item.step) + 1
        item.state_key = f"{item.root}#{status}"
        item.notice_ends = _iso(notice_ends) if notice_ends is not None else None

    def _retry(self, principal: Principal, entry_id: str, expect: str, work: Callable[[EntryModel], T]) -> T:
        """Run `work` on the entry in status `expect`; when a concurrent change wins, read it again: a
        status moved on is a 409, anything else (a racing audit event, the totals) is tried again."""
        for attempt in range(ATTEMPTS):
            item = self.visible(principal, entry_id)
            if item.status != expect:
                raise Conflict(
                    f"该记录当前为「{STATUS_LABELS[item.status]}」，此步骤已办理或不在此环节",
                    f"The entry is {item.status}: this step is done or not due",
                )
            try:
                return work(item)
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    raise
                _pause(attempt)
        raise AssertionError("unreachable")

    def review(self, principal: Principal, actor: Actor, entry_id: str, step: str, data: ReviewIn) -> EntryOut:
        """党小组初评 (step "group": claimed -> group_reviewed) or 支部初定 (step "branch": group_reviewed ->
        branch_approved and at once on public notice, the cap reserved and the points pending)."""
        expect = "claimed" if step == "group" else "group_reviewed"
        if data.decision == "reject" and not data.reason:
            raise field_error("body.reason", "驳回须说明理由", "A rejection needs a reason")

        def work(item: EntryModel) -> EntryOut:
            if item.claimed_by == actor.sub:
                raise Forbidden("不能审核自己申报的积分", "You cannot review your own claim")
            move = Move(item.status, int(item.step), f"scoring.entry.{step}_{data.decision}")
            if data.decision == "reject":
                self._step(item, "rejected", actor, data.reason)
                return entry_out(self.store.move(item, move, actor))
            if step == "group":
                self._step(item, "group_reviewed", actor, data.reason)
                return entry_out(self.store.move(item, move, actor))
            terms_cap, rule_key = int(item.cap), f"{item.rule_owner}/{item.rule_code}"
            used = self.store.usage(item.member_id, item.period, rule_key)
            if abs(int(item.points)) > terms_cap - used:
                current = self.store.entry(item.id)
                if current is None or (current.status, int(current.step)) != (item.status, int(item.step)):
                    raise Conflict("该记录刚被他人办理", "The entry was just changed by someone else")  # tried again
                raise field_error(
                    "body.decision",
                    f"该党员本期此项已计 {used} 分，上限 {terms_cap} 分，不能再批准 {abs(int(item.points))} 分",
                    f"{used} of the {terms_cap}-point cap used this period; {abs(int(item.points))} more do not fit",
                )
            policy = self.store.policy(item.root)
            self._step(item, "branch_approved", actor, data.reason)
            ends = self.clock() + timedelta(days=policy.notice_days)
            self._step(item, "public_notice", actor, None, notice_ends=ends)
            item.step = int(move.expect_step) + 1
            reservation = Reservation(item.member_id, item.period, rule_key, abs(int(item.points)), terms_cap)
            return entry_out(self.store.move(item, move, actor, reservation=reservation, pending=int(item.points)))

        return self._retry(principal, entry_id, expect, work)

    def object(self, principal: Principal, actor: Actor, entry_id: str, data: ObjectionIn) -> EntryOut:
        """An objection during the public notice sends the entry back to the branch (支部): the cap and the
        pending points are released until the branch decides again."""

        def work(item: EntryModel) -> EntryOut:
            if item.notice_ends is None or self.clock() > datetime.fromisoformat(item.notice_ends):
                raise Conflict("公示期已过，不能再提出异议", "The public notice is over; objections are closed")
            move = Move(item.status, int(item.step), "scoring.entry.objection")
            self._step(item, "group_reviewed", actor, data.reason, history_status="objected")
            if data.objector:  # kept on the record for the branch, never shown in answers (no retaliation)
                item.history[-1]["objector"] = data.objector
            reservation = Reservation(
                item.member_id, item.period, f"{item.rule_owner}/{item.rule_code}", -abs(int(item.points)), 0
            )
            return entry_out(self.store.move(item, move, actor, reservation=reservation, pending=-int(item.points)))

        return self._retry(principal, entry_id, "public_notice", work)

    def _plan(self, item: EntryModel, *, sign: int, entries_delta: int, pending_delta: int) -> TotalsPlan:
        policy = self.store.policy(item.root)
        old = self.store.totals(item.member_id, item.period)
        scored = old is not None and old.rev is not None
        keys = ("points", *DIMENSIONS, "final_entries")
        values = {k: int(getattr(old, k) or 0) if scored and old is not None else 0 for k in keys}
        points = sign * int(item.points)
        values["points"] += points
        values[item.dimension] += points
        values["final_entries"] += entries_delta
        score = rules.score_of(policy, values["points"])
        chain = list(old.chain) if scored and old is not None and old.chain else list(item.chain)
        tier = rules.tier_of(policy, score)
        return TotalsPlan(
            member_id=item.member_id, period=item.period,
            old_rev=int(old.rev) if scored and old is not None and old.rev is not None else None,
            name=item.member_name, chain=chain,
            unit_path=old.unit_path if scored and old is not None and old.unit_path else item.unit_path,
            values=values, score=score, old_tier=old.tier if scored and old is not None else None,
            new_tier=tier.code, new_tier_label=tier.name_zh, points_delta=points, entries_delta=entries_delta,
            pending_delta=pending_delta,
        )  # fmt: skip

    def finalise(self, principal: Principal, actor: Actor, entry_id: str) -> EntryOut:
        """After the notice: the points become final, with the member's totals, the standings and the unit
        figures along the chain, in one transaction."""

        def work(item: EntryModel) -> EntryOut:
            if item.notice_ends is not None and self.clock() < datetime.fromisoformat(item.notice_ends):
                raise Conflict(f"公示期至 {item.notice_ends} 结束，未满不能确认", "The public notice is still running")
            move = Move(item.status, int(item.step), "scoring.entry.final")
            plan = self._plan(item, sign=1, entries_delta=1, pending_delta=-int(item.points))
            self._step(item, "final", actor, None)
            return entry_out(self.store.move(item, move, actor, totals=plan))

        return self._retry(principal, entry_id, "public_notice", work)

    def finalise_due(self, county: str, *, page: int = 200) -> int:
        """The sweep (an hourly schedule): every entry of the county whose notice ended becomes final."""
        actor = Actor(sub="system:notice", role=SYSTEM_ROLE, scope=county, request_id="notice-sweep")
        system = Principal("system:notice", "system", "公示到期", SYSTEM_ROLE, "unit", county)
        done, after = 0, None
        now = self.clock()
        while True:
            items, after = self.store.entries_below(county, "public_notice", county, limit=page, after=after)
            for item in items:
                if item.notice_ends is not None and datetime.fromisoformat(item.notice_ends) <= now:
                    try:
                        self.finalise(system, actor, item.id)
                        done += 1
                    except Conflict:
                        continue  # finalised or objected meanwhile
            if not after:
                return done

    def reverse(self, principal: Principal, actor: Actor, entry_id: str, data: ReversalIn) -> EntryOut:
        """A correction: a new final entry of the opposite points, referencing the original (which is never
        changed); every total, standing, unit figure and the cap go back, once (the reversal's id is the
        original's, so a second reversal fails its condition)."""
        for attempt in range(ATTEMPTS):
            original = self.visible(principal, entry_id)
            if original.status != "final" or original.kind == "reversal":
                raise Conflict("只有已确认的积分记录可以冲正", "Only a final entry can be reversed")
            if self.store.entry(f"{original.id}-rev") is not None:
                raise Conflict("该记录已冲正", "The entry is already reversed")
            now = _iso(self.clock())
            item = EntryModel(
                f"{original.id}-rev",
                **{k: getattr(original, k) for k in (
                    "member_id", "member_name", "rule_owner", "rule_code", "rule_version", "rule_name_zh",
                    "rule_name_en", "dimension", "quantity", "cap", "period", "occurred_on", "unit_code",
                    "unit_path", "root", "chain",
                )},
            )  # fmt: skip
            item.kind, item.points, item.reverses = "reversal", -int(original.points), original.id
            item.explanation = f"冲正：{original.explanation} / reversal of {original.id}"
            item.evidence, item.note, item.claimed_by, item.claimed_role = [], data.reason, actor.sub, actor.role
            item.created_at, item.status, item.step = now, "final", 1
            item.history = [{"at": now, "status": "final", "by_sub": actor.sub, "by_role": actor.role,
                             "reason": data.reason}]  # fmt: skip
            item.member_key = f"{item.period}#{now}#{item.id}"
            item.state_key, item.path_key = f"{item.root}#final", f"{item.unit_path}/#{item.id}"
            plan = self._plan(original, sign=-1, entries_delta=-1, pending_delta=0)
            release = Reservation(
                item.member_id, item.period, f"{item.rule_owner}/{item.rule_code}", -abs(int(original.points)), 0
            )
            try:
                return entry_out(self.store.create_entry(item, actor, reservation=release, totals=plan))
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    raise
                _pause(attempt)
        raise AssertionError("unreachable")

    def unit_entries(
        self, principal: Principal, code: str, status: str, *, limit: int, cursor: str | None
    ) -> EntryPage:
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.entries_below(unit.root, status, unit.path, limit=limit, after=decode_cursor(cursor))
        return EntryPage(items=[entry_out(i) for i in items], next_cursor=encode_cursor(last))

    # -- the read side -------------------------------------------------------------------------------
    def scorecard(self, principal: Principal, member_id: str, year: int) -> ScorecardOut:
        member = self.members.member(member_id)
        if member is None or not principal.sees_unit(member.unit_path):
            raise not_found("党员", "Member")
        policy = self.store.policy(member.root)
        totals = {t.period: t for t in self.store.totals_of_year(member.id, year)}
        quarters: list[QuarterOut] = []
        for period in rules.quarters_of(year, china_date(self.clock())):
            t = totals.get(period)
            dims = {d: int(getattr(t, d) or 0) if t else 0 for d in DIMENSIONS}
            points = int(t.points or 0) if t else 0
            score = rules.score_of(policy, points)
            tier = rules.tier_of(policy, score)
            pending = int(t.pending or 0) if t else 0
            quarters.append(
                QuarterOut(period=period, points=points, dimensions=dims, pending=pending, score=score,
                           tier=tier.code, tier_label=tier.name_zh)
            )  # fmt: skip
        mean = rules.year_score([q.score for q in quarters])
        year_tier = rules.tier_of(policy, mean) if mean is not None else None
        entries = self.store.member_entries(member.id, f"{year}-")
        reversed_ids = {e.reverses: e.id for e in entries if e.reverses}
        return ScorecardOut(
            member=member.id, name=member.name, year=year, base=policy.base, quarters=quarters, year_score=mean,
            year_tier=year_tier.code if year_tier else None, year_tier_label=year_tier.name_zh if year_tier else None,
            entries=[entry_out(e, reversed_by=reversed_ids.get(e.id)) for e in entries],
        )  # fmt: skip

    def leaderboard(
        self, principal: Principal, code: str, period: str, dimension: str, *, limit: int, cursor: str | None
    ) -> LeaderboardOut:
        unit = self.grid.visible_unit(principal, code)
        state: dict[str, Any] = decode_cursor(cursor) or {"k": None, "o": 0}
        offset = int(state.get("o") or 0)
        items, last = self.store.leaderboard(unit.code, period, dimension, limit=limit, after=state.get("k"))
        out = []
        for i, s in enumerate(items):
            out.append(
                StandingOut(
                    rank=offset + i + 1, member=s.member_id, name=s.name, unit_path=s.unit_path, points=int(s.points),
                    dimensions={d: int(getattr(s, d)) for d in DIMENSIONS}, score=int(s.score), tier=s.tier,
                    tier_label=s.tier_label or s.tier,
                )
            )  # fmt: skip
        next_cursor = encode_cursor({"k": last, "o": offset + len(items)}) if last else None
        return LeaderboardOut(unit=unit.code, period=period, dimension=dimension, items=out, next_cursor=next_cursor)

    def tiers(self, principal: Principal, code: str, period: str) -> TiersOut:
        """The tier distribution of a unit's members in a period: one query of the unit's figures, and the
        unit's member count (members without a final entry stand at the base score)."""
        unit = self.grid.visible_unit(principal, code)
        policy = self.store.policy(unit.root)
        stats = {s.key.split("#", 1)[1]: s for s in self.store.unit_stats(unit.code, period)}
        summary = stats.get("_all")
        scored = int(summary.members) if summary else 0
        members = max(int(unit.members or 0), scored)
        base_tier = rules.tier_of(policy, rules.score_of(policy, 0)).code
        counts = []
        for tier in policy.tiers:
            n = int(stats[tier.code].members) if tier.code in stats else 0
            if tier.code == base_tier:
                n += members - scored
            counts.append(TierCountOut(tier=tier.code, label=tier.name_zh, members=n))
        return TiersOut(
            unit=unit.code, period=period, members=members, scored=scored,
            points=int(summary.points) if summary else 0, final_entries=int(summary.entries) if summary else 0,
            tiers=counts,
        )  # fmt: skip


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter, not a secret


def sweep_notices() -> int:
    """Finalise every entry whose public notice has ended, in every county with a scoring policy."""
    svc = default_service()
    return sum(svc.finalise_due(county) for county in svc.store.counties())


def default_service() -> ScoringService:
    audit = AuditStore()
    return ScoringService(store=ScoringStore(audit=audit), members=MemberStore(audit=audit), grid=grid_service())
