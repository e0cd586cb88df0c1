"""Tables of 三比 scoring and every write with its conditions, derived figures and audit event.

Keys are designed for the questions asked:
- rules by owner (the county's root unit, or a village) and code; their versions by "<owner>/<code>";
- an entry by id; a member's entries by period (GSI by_member); the entries of a subtree in one status
  (GSI by_state: "<root>#<status>", then "<unit path>/#<id>": review queues and the public notice);
- a member's totals by (member, period); a cap's use by ("<member>#<period>", "<owner>/<code>");
- a leaderboard: one standing per (unit on the member's chain, period), ranked by four GSIs (the total and
  each dimension) whose range key sorts by points, ties by member id; top-k is one query of k items;
- a unit's tier distribution and totals: items ("<unit code>", "<period>#<tier or _all>"), one query.

Approving reserves the cap and adds to the pending points; finalising moves the points to the member's
totals, the standings and the unit figures of every unit on the chain, in the entry's transaction, guarded
by the entry's (status, step) and the totals' revision: a retried or concurrent write applies once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.scoring.rules import Policy, rank_key


# -- rules ---------------------------------------------------------------------------------------------
class _RuleFields(Model):
    dimension = UnicodeAttribute()
    name_zh = UnicodeAttribute()
    name_en = UnicodeAttribute()
    mode = UnicodeAttribute()  # fixed | per_unit
    points = NumberAttribute()
    unit_zh = UnicodeAttribute()
    unit_en = UnicodeAttribute()
    cap = NumberAttribute()
    evidence_required = BooleanAttribute(default=False)
    negative = BooleanAttribute(default=False)
    active = BooleanAttribute(default=True)
    version = NumberAttribute()
    changed_at = UnicodeAttribute()
    note = UnicodeAttribute(null=True)


RULE_FIELDS = (
    "dimension", "name_zh", "name_en", "mode", "points", "unit_zh", "unit_en", "cap", "evidence_required",
    "negative", "active", "version", "changed_at", "note",
)  # fmt: skip


@register_model
class RuleModel(_RuleFields):
    """The current version of a rule."""

    class Meta(BaseMeta):
        table_suffix = "scoring-rules"

    owner = UnicodeAttribute(hash_key=True)  # unit code: the county root or a village
    code = UnicodeAttribute(range_key=True)
    owner_path = UnicodeAttribute()
    owner_level = UnicodeAttribute()


@register_model
class RuleVersionModel(_RuleFields):
    """Every version of every rule, kept: an entry names the version it was scored under."""

    class Meta(BaseMeta):
        table_suffix = "scoring-rule-versions"

    rule_key = UnicodeAttribute(hash_key=True)  # "<owner>/<code>"
    version = NumberAttribute(range_key=True)
    changed_by_role = UnicodeAttribute()


def rule_state(item: _RuleFields) -> dict[str, Any]:
    return {k: getattr(item, k) for k in RULE_FIELDS}


@register_model
class PolicyModel(Model):
    """A county's scoring policy (base, tiers, notice days, limits on village items), as JSON-like data."""

    class Meta(BaseMeta):
        table_suffix = "scoring-policies"

    county = UnicodeAttribute(hash_key=True)
    base = NumberAttribute()
    floor = NumberAttribute()
    ceiling = NumberAttribute()
    notice_days = NumberAttribute()
    tiers = ListAttribute[dict[str, Any]]()
    village_max_points = NumberAttribute()
    village_max_cap = NumberAttribute()
    version = NumberAttribute(default=1)

    def policy(self) -> Policy:
        return Policy.from_dict({k: getattr(self, k) for k in Policy().as_dict()})


# -- the ledger ----------------------------------------------------------------------------------------
class EntryMemberIndex(GlobalSecondaryIndex["EntryModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    member_key = UnicodeAttribute(range_key=True)


class EntryStateIndex(GlobalSecondaryIndex["EntryModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_state"
        projection = AllProjection()

    state_key = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class EntryModel(Model):
    """One ledger entry. What it scores (member, rule and version, quantity, points, period, unit) is
    written once and never changed; only its status moves, each move appended to `history`."""

    class Meta(BaseMeta):
        table_suffix = "scoring-entries"

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # claim | automatic | reversal
    member_id = UnicodeAttribute()
    member_name = UnicodeAttribute()
    rule_owner = UnicodeAttribute()
    rule_code = UnicodeAttribute()
    rule_version = NumberAttribute()
    rule_name_zh = UnicodeAttribute()
    rule_name_en = UnicodeAttribute()
    explanation = UnicodeAttribute()  # how the points were reached, in words: rule, version, quantity
    dimension = UnicodeAttribute()
    quantity = NumberAttribute()
    points = NumberAttribute()
    cap = NumberAttribute()
    period = UnicodeAttribute()
    occurred_on = UnicodeAttribute()
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    chain = ListAttribute[str]()  # unit codes, city first: the units whose figures the entry moves
    evidence = ListAttribute[str](default=list)
    note = UnicodeAttribute(null=True)
    claimed_by = UnicodeAttribute()
    claimed_role = UnicodeAttribute()
    created_at = UnicodeAttribute()
    source_event = UnicodeAttribute(null=True)  # automatic entries: the event credited
    reverses = UnicodeAttribute(null=True)  # reversal entries: the original's id
    status = UnicodeAttribute()
    step = NumberAttribute()  # moves with every status change: a condition for concurrent reviewers
    history = ListAttribute[dict[str, Any]](default=list)  # {at, status, by_sub, by_role, reason, name}
    notice_ends = UnicodeAttribute(null=True)
    member_key = UnicodeAttribute()  # "<period>#<created_at>#<id>"
    state_key = UnicodeAttribute()  # "<root>#<status>"
    path_key = UnicodeAttribute()  # "<unit path>/#<id>"
    by_member = EntryMemberIndex()
    by_state = EntryStateIndex()


IMMUTABLE = (
    "id", "kind", "member_id", "rule_owner", "rule_code", "rule_version", "dimension", "quantity", "points",
    "period", "occurred_on", "unit_code", "evidence", "claimed_by", "source_event", "reverses",
)  # fmt: skip


def entry_state(item: EntryModel) -> dict[str, Any]:
    """What the audit event hashes: the scored facts and the status."""
    return {k: getattr(item, k) for k in (*IMMUTABLE, "status", "step")}


@register_model
class SourceEventModel(Model):
    """One item per credited source event (a closed mediation case, a logged hour...): credited once."""

    class Meta(BaseMeta):
        table_suffix = "scoring-sources"

    source_event = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute()


@register_model
class UsageModel(Model):
    """Points (absolute) of one rule reserved by one member in one period: approved, on notice or final."""

    class Meta(BaseMeta):
        table_suffix = "scoring-usage"

    key = UnicodeAttribute(hash_key=True)  # "<member>#<period>"
    rule = UnicodeAttribute(range_key=True)  # "<owner>/<code>"
    used = NumberAttribute(default=0)


# -- derived figures -----------------------------------------------------------------------------------
@register_model
class TotalsModel(Model):
    """A member's final points in one period, by dimension, and the points approved but not yet final."""

    class Meta(BaseMeta):
        table_suffix = "scoring-totals"

    member_id = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    chain = ListAttribute[str](null=True)
    unit_path = UnicodeAttribute(null=True)
    points = NumberAttribute(default=0)
    dedication = NumberAttribute(default=0)
    responsibility = NumberAttribute(default=0)
    achievement = NumberAttribute(default=0)
    final_entries = NumberAttribute(default=0)
    pending = NumberAttribute(default=0)
    tier = UnicodeAttribute(null=True)
    rev = NumberAttribute(null=True)  # moves with every change of the final figures


class StandingRankTotal(GlobalSecondaryIndex["StandingModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_total"
        projection = AllProjection()

    board = UnicodeAttribute(hash_key=True)
    rank_total = UnicodeAttribute(range_key=True)


class StandingRankDedication(GlobalSecondaryIndex["StandingModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_dedication"
        projection = AllProjection()

    board = UnicodeAttribute(hash_key=True)
    rank_dedication = UnicodeAttribute(range_key=True)


class StandingRankResponsibility(GlobalSecondaryIndex["StandingModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_responsibility"
        projection = AllProjection()

    board = UnicodeAttribute(hash_key=True)
    rank_responsibility = UnicodeAttribute(range_key=True)


class StandingRankAchievement(GlobalSecondaryIndex["StandingModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_achievement"
        projection = AllProjection()

    board = UnicodeAttribute(hash_key=True)
    rank_achievement = UnicodeAttribute(range_key=True)


@register_model
class StandingModel(Model):
    """A member's place on the leaderboard of one unit of their chain for one period."""

    class Meta(BaseMeta):
        table_suffix = "scoring-standings"

    board = UnicodeAttribute(hash_key=True)  # "<unit code>#<period>"
    member_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    points = NumberAttribute()
    dedication = NumberAttribute()
    responsibility = NumberAttribute()
    achievement = NumberAttribute()
    score = NumberAttribute()
    tier = UnicodeAttribute()
    tier_label = UnicodeAttribute(null=True)  # the tier's Chinese name when written: a leaderboard reads no policy
    rank_total = UnicodeAttribute()
    rank_dedication = UnicodeAttribute()
    rank_responsibility = UnicodeAttribute()
    rank_achievement = UnicodeAttribute()
    by_total = StandingRankTotal()
    by_dedication = StandingRankDedication()
    by_responsibility = StandingRankResponsibility()
    by_achievement = StandingRankAchievement()


RANK_INDEXES: dict[str, Any] = {
    "total": StandingModel.by_total,
    "dedication": StandingModel.by_dedication,
    "responsibility": StandingModel.by_responsibility,
    "achievement": StandingModel.by_achievement,
}


@register_model
class UnitStatModel(Model):
    """Per unit and period: members scored in each tier ("<period>#<tier>"), and the unit's totals
    ("<period>#_all": final points and entries, members with a final entry)."""

    class Meta(BaseMeta):
        table_suffix = "scoring-unit-stats"

    unit_code = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    members = NumberAttribute(default=0)
    points = NumberAttribute(default=0)
    entries = NumberAttribute(default=0)


# -- plans the service hands over ----------------------------------------------------------------------
@dataclass(frozen=True)
class Reservation:
    """Points (absolute, signed: negative releases) of a rule's cap for a member and period."""

    member_id: str
    period: str
    rule: str  # "<owner>/<code>"
    amount: int
    cap: int


@dataclass(frozen=True)
class TotalsPlan:
    """A member's final figures for a period, from `old_rev` to the new values, and the moves of the unit
    figures along `chain`."""

    member_id: str
    period: str
    old_rev: int | None
    name: str
    chain: list[str]
    unit_path: str
    values: dict[str, int]  # points, dedication, responsibility, achievement, final_entries
    score: int
    old_tier: str | None
    new_tier: str
    new_tier_label: str
    points_delta: int
    entries_delta: int
    pending_delta: int


@dataclass(frozen=True)
class Move:
    """A status change of an entry: from (status, step) to the entry's new fields."""

    expect_status: str
    expect_step: int
    action: str


class ScoringStore:
    def __init__(self, *, audit: AuditStore) -> None:
        self.audit = audit

    # -- policy and rules ----------------------------------------------------------------------------
    def policy(self, county: str) -> Policy:
        try:
            return PolicyModel.get(county).policy()
        except PolicyModel.DoesNotExist:
            return Policy()

    def policy_item(self, county: str) -> PolicyModel | None:
        try:
            return PolicyModel.get(county)
        except PolicyModel.DoesNotExist:
            return None

    def put_policy(self, county: str, policy: Policy, old_version: int | None, actor: Actor) -> PolicyModel:
        item = PolicyModel(county, version=(old_version or 0) + 1, **policy.as_dict())
        condition = PolicyModel.county.does_not_exist() if old_version is None else PolicyModel.version == old_version
        with transaction() as tx:
            tx.save(item, condition=condition)
            self.audit.append(
                tx, actor, action="scoring.policy", entity_type="scoring_policy", entity_id=county,
                unit_path=county, before=None, after=policy.as_dict(),
            )  # fmt: skip
        return item

    def counties(self) -> list[str]:
        """Counties with a scoring policy: one item each, read by the hourly sweep (never by a request)."""
        return [p.county for p in PolicyModel.scan(attributes_to_get=["county"])]

    def rule(self, owner: str, code: str) -> RuleModel | None:
        try:
            return RuleModel.get(owner, code)
        except RuleModel.DoesNotExist:
            return None

    def rules_of(self, owner: str) -> list[RuleModel]:
        return list(RuleModel.query(owner))

    def rule_on_chain(self, chain: list[str], code: str) -> RuleModel | None:
        """The rule `code` owned by a unit of the chain (the most local first)."""
        found = {r.owner: r for r in RuleModel.batch_get([(owner, code) for owner in chain])}
        for owner in reversed(chain):
            if owner in found:
                return found[owner]
        return None

    def rule_version(self, owner: str, code: str, version: int) -> RuleVersionModel | None:
        try:
            return RuleVersionModel.get(f"{owner}/{code}", version)
        except RuleVersionModel.DoesNotExist:
            return None

    def rule_versions(self, owner: str, code: str) -> list[RuleVersionModel]:
        return list(RuleVersionModel.query(f"{owner}/{code}"))

    def put_rule(self, item: RuleModel, actor: Actor, *, old_version: int | None, audited: bool = True) -> RuleModel:
        """A new rule (old_version None) or its next version: the current item under a condition on the
        version it replaces, and the version kept for ever."""
        snapshot = RuleVersionModel(
            f"{item.owner}/{item.code}", int(item.version), changed_by_role=actor.role,
            **{k: getattr(item, k) for k in RULE_FIELDS if k != "version"},
        )  # fmt: skip
        condition = RuleModel.code.does_not_exist() if old_version is None else RuleModel.version == old_version
        with transaction() as tx:
            tx.save(item, condition=condition)
            tx.save(snapshot, condition=RuleVersionModel.rule_key.does_not_exist())
            if audited:
                self.audit.append(
                    tx, actor, action="scoring.rule." + ("create" if old_version is None else "update"),
                    entity_type="scoring_rule", entity_id=f"{item.owner}/{item.code}", unit_path=item.owner_path,
                    before=None, after=rule_state(item),
                )  # fmt: skip
        return item

    # -- entries -------------------------------------------------------------------------------------
    def entry(self, entry_id: str) -> EntryModel | None:
        try:
            return EntryModel.get(entry_id)
        except EntryModel.DoesNotExist:
            return None

    def source_entry(self, source_event: str) -> EntryModel | None:
        try:
            source = SourceEventModel.get(source_event)
        except SourceEventModel.DoesNotExist:
            return None
        return self.entry(source.entry_id)

    def member_entries(self, member_id: str, prefix: str) -> list[EntryModel]:
        return list(EntryModel.by_member.query(member_id, EntryModel.member_key.startswith(prefix)))

    def entries_below(
        self,
        root: str,
        status: str,
        path: str,
        *,
        limit: int,
        after: dict[str, Any] | None,
        period: str | None = None,
    ) -> tuple[list[EntryModel], Any]:
        result = EntryModel.by_state.query(
            f"{root}#{status}",
            EntryModel.path_key.startswith(path + "/"),
            filter_condition=None if period is None else EntryModel.period == period,
            limit=limit,
            last_evaluated_key=after,
        )
        items = list(result)
        return items, result.last_evaluated_key

    def usage(self, member_id: str, period: str, rule: str) -> int:
        try:
            return int(UsageModel.get(f"{member_id}#{period}", rule).used)
        except UsageModel.DoesNotExist:
            return 0

    def create_entry(
        self,
        item: EntryModel,
        actor: Actor,
        *,
        source: bool = False,
        reservation: Reservation | None = None,
        pending: int = 0,
        totals: TotalsPlan | None = None,
    ) -> EntryModel:
        """A new entry (claim, automatic credit or reversal): its id is new, its source event uncredited."""
        with transaction() as tx:
            tx.save(item, condition=EntryModel.id.does_not_exist())
            if source and item.source_event is not None:
                tx.save(
                    SourceEventModel(item.source_event, entry_id=item.id),
                    condition=SourceEventModel.source_event.does_not_exist(),
                )
            self._effects(tx, item, reservation, pending, totals)
            self._audit(tx, actor, f"scoring.entry.{item.kind}", item, None)
        return item

    def move(
        self,
        item: EntryModel,
        move: Move,
        actor: Actor,
        *,
        reservation: Reservation | None = None,
        pending: int = 0,
        totals: TotalsPlan | None = None,
    ) -> EntryModel:
        """The entry's status change, only from the (status, step) the caller saw, with its effects."""
        before = {"status": move.expect_status, "step": move.expect_step} | {k: getattr(item, k) for k in IMMUTABLE}
        notice = EntryModel.notice_ends.set(item.notice_ends) if item.notice_ends else EntryModel.notice_ends.remove()
        with transaction() as tx:
            tx.update(
                EntryModel(item.id),
                actions=[
                    EntryModel.status.set(item.status),
                    EntryModel.step.set(item.step),
                    EntryModel.history.set(item.history),
                    EntryModel.state_key.set(item.state_key),
                    notice,
                ],
                condition=(EntryModel.status == move.expect_status) & (EntryModel.step == move.expect_step),
            )  # fmt: skip
            self._effects(tx, item, reservation, pending, totals)
            self._audit(tx, actor, move.action, item, before)
        return item

    def _effects(
        self,
        tx: TransactWrite,
        item: EntryModel,
        reservation: Reservation | None,
        pending: int,
        totals: TotalsPlan | None,
    ) -> None:
        if reservation is not None and reservation.amount:
            key = UsageModel(f"{reservation.member_id}#{reservation.period}", reservation.rule)
            condition: Condition | None = None
            if reservation.amount > 0:  # the cap, exactly: what is reserved plus this fits
                room = reservation.cap - reservation.amount
                condition = UsageModel.used.does_not_exist() | (UsageModel.used <= room)
            tx.update(key, actions=[UsageModel.used.add(reservation.amount)], condition=condition)
        if totals is not None:
            self._totals(tx, totals)
        elif pending:
            tx.update(TotalsModel(item.member_id, item.period), actions=[TotalsModel.pending.add(pending)])

    def _totals(self, tx: TransactWrite, plan: TotalsPlan) -> None:
        old = plan.old_rev
        actions: list[Action] = [
            TotalsModel.name.set(plan.name),
            TotalsModel.chain.set(plan.chain),
            TotalsModel.unit_path.set(plan.unit_path),
            TotalsModel.rev.set((old or 0) + 1),
            TotalsModel.tier.set(plan.new_tier),
        ]
        actions += [getattr(TotalsModel, k).set(v) for k, v in plan.values.items()]
        if plan.pending_delta:
            actions.append(TotalsModel.pending.add(plan.pending_delta))
        condition = TotalsModel.rev.does_not_exist() if old is None else TotalsModel.rev == old
        tx.update(TotalsModel(plan.member_id, plan.period), actions=actions, condition=condition)
        if not plan.points_delta and not plan.entries_delta and plan.old_tier == plan.new_tier:
            return  # only pending points moved: standings and unit figures count final points
        values = plan.values
        for code in plan.chain:
            tx.save(
                StandingModel(
                    f"{code}#{plan.period}", plan.member_id, name=plan.name, unit_path=plan.unit_path,
                    points=values["points"], dedication=values["dedication"],
                    responsibility=values["responsibility"], achievement=values["achievement"],
                    score=plan.score, tier=plan.new_tier, tier_label=plan.new_tier_label,
                    rank_total=rank_key(values["points"], plan.member_id),
                    rank_dedication=rank_key(values["dedication"], plan.member_id),
                    rank_responsibility=rank_key(values["responsibility"], plan.member_id),
                    rank_achievement=rank_key(values["achievement"], plan.member_id),
                )
            )  # fmt: skip
            all_actions: list[Action] = [
                UnitStatModel.points.add(plan.points_delta),
                UnitStatModel.entries.add(plan.entries_delta),
            ]
            if plan.old_tier is None:
                all_actions.append(UnitStatModel.members.add(1))
            tx.update(UnitStatModel(code, f"{plan.period}#_all"), actions=all_actions)
            if plan.old_tier != plan.new_tier:
                if plan.old_tier is not None:
                    tx.update(
                        UnitStatModel(code, f"{plan.period}#{plan.old_tier}"), actions=[UnitStatModel.members.add(-1)]
                    )
                tx.update(UnitStatModel(code, f"{plan.period}#{plan.new_tier}"), actions=[UnitStatModel.members.add(1)])

    def _audit(
        self, tx: TransactWrite, actor: Actor, action: str, item: EntryModel, before: dict[str, Any] | None
    ) -> None:
        self.audit.append(
            tx, actor, action=action, entity_type="scoring_entry", entity_id=item.id, unit_path=item.unit_path,
            before=before, after=entry_state(item),
        )  # fmt: skip

    # -- reads of the derived figures ----------------------------------------------------------------
    def totals(self, member_id: str, period: str) -> TotalsModel | None:
        try:
            return TotalsModel.get(member_id, period)
        except TotalsModel.DoesNotExist:
            return None

    def totals_of_year(self, member_id: str, year: int) -> list[TotalsModel]:
        return list(TotalsModel.query(member_id, TotalsModel.period.startswith(f"{year}-")))

    def leaderboard(
        self, unit_code: str, period: str, dimension: str, *, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[StandingModel], Any]:
        index = RANK_INDEXES[dimension]
        result = index.query(f"{unit_code}#{period}", scan_index_forward=False, limit=limit, last_evaluated_key=after)
        items = list(result)
        return items, result.last_evaluated_key

    def unit_stats(self, unit_code: str, period: str) -> list[UnitStatModel]:
        return list(UnitStatModel.query(unit_code, UnitStatModel.key.startswith(f"{period}#")))


def ensure_defaults(county: str) -> None:
    """Write the shipped catalogue and policy of a county where missing (never overwrites an edited rule).
    Called by the demo seed next to `CatalogueStore.ensure_defaults`."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from chalicelib.scoring.rules import DEFAULT_RULES  # noqa: PLC0415

    store = ScoringStore(audit=AuditStore())
    seed = Actor(sub="system:seed", role="city_admin", scope=county, request_id="seed")
    existing = {r.code for r in store.rules_of(county)}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for code, dimension, zh, en, mode, points, unit_zh, unit_en, cap, evidence, negative in DEFAULT_RULES:
        if code in existing:
            continue
        item = RuleModel(
            county, code, owner_path=county, owner_level="city", dimension=dimension, name_zh=zh, name_en=en,
            mode=mode, points=points, unit_zh=unit_zh, unit_en=unit_en, cap=cap, evidence_required=evidence,
            negative=negative, active=True, version=1, changed_at=now, note=None,
        )  # fmt: skip
        store.put_rule(item, seed, old_version=None, audited=False)
    if store.policy_item(county) is None:
        PolicyModel(county, version=1, **Policy().as_dict()).save(condition=PolicyModel.county.does_not_exist())
