"""三比 scoring follows a moved unit (grid.repath).

- Ledger entries take the new path (so the new unit's cadres review them and the old ones no longer see
  them), whatever their status. An entry of the current quarter (or a later one) also takes the new chain
  of units whose figures it moves; an entry of an earlier quarter keeps the chain it was booked on.
- Aggregates: a quarter's totals, leaderboard standings and unit figures belong to the chain of units the
  member's first final points of that quarter were booked on (the rule a member's transfer already
  follows). When a unit moves, the current quarter follows it: for every member on the moved unit's board
  of the current quarter, the standing and the figures leave the boards of the units no longer on the chain
  (the old village, area or town) and join those of the new ones, in one transaction per member with an
  audit event; the units that stay on the chain keep their figures. Earlier quarters are history: their
  boards, figures and tiers stay as they were published (a year's mean is per member, so it is unchanged).
"""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.core.audit import AuditStore
from chalicelib.core.clock import china_today
from chalicelib.core.db import transaction
from chalicelib.core.errors import Conflict
from chalicelib.grid.repath import Move, PathTable, register_move_hook, register_path_tables
from chalicelib.scoring.rules import period_of
from chalicelib.scoring.schemas import STATUS_LABELS
from chalicelib.scoring.store import EntryModel, StandingModel, TotalsModel, UnitStatModel


def current_period() -> str:
    return period_of(china_today())


def new_chain(chain: list[str], move: Move) -> list[str]:
    """The chain of a record at or below the moved unit: the unit's new chain, then the codes below it."""
    unit = move.chain[-1][0]
    return [*(c for c, _, _ in move.chain), *chain[chain.index(unit) + 1 :]] if unit in chain else chain


def entry_follows(item: EntryModel, move: Move) -> list[Action]:
    actions: list[Action] = [EntryModel.state_key.set(f"{move.new_root}#{item.status}")]
    if item.period >= current_period() and move.chain:
        actions.append(EntryModel.chain.set(new_chain(list(item.chain), move)))
    return actions


def entry_unchanged(item: EntryModel) -> Condition:
    """The status the new state key was built from is still the entry's (reviews run meanwhile)."""
    unchanged: Condition = (EntryModel.status == item.status) & (EntryModel.step == item.step)
    return unchanged


def aggregates_follow(move: Move) -> int:
    """The current quarter's standings and unit figures of the moved unit's members (see the module)."""
    if not move.chain:
        return 0
    unit, period, count = move.chain[-1][0], current_period(), 0
    audit = AuditStore()
    for standing in StandingModel.query(f"{unit}#{period}"):
        for _ in range(3):
            try:
                count += _follow(standing, period, move, audit)
                break
            except Conflict:  # the totals moved meanwhile (a final entry): read them again
                continue
    return count


def _follow(standing: StandingModel, period: str, move: Move, audit: AuditStore) -> int:
    try:
        totals = TotalsModel.get(standing.member_id, period, consistent_read=True)
    except TotalsModel.DoesNotExist:
        return 0
    old = list(totals.chain or [])
    chain = new_chain(old, move)
    if chain == old or totals.rev is None:
        return 0  # followed already (a move run again)
    path = totals.unit_path or standing.unit_path
    path = move.rebase(path) if move.within(path) else path
    gone, came = [c for c in old if c not in chain], [c for c in chain if c not in old]
    points, entries, tier = int(totals.points), int(totals.final_entries), totals.tier
    with transaction() as tx:
        tx.update(
            TotalsModel(totals.member_id, period),
            actions=[TotalsModel.chain.set(chain), TotalsModel.unit_path.set(path), TotalsModel.rev.add(1)],
            condition=TotalsModel.rev == totals.rev,
        )
        for code in gone:
            tx.delete(StandingModel(f"{code}#{period}", totals.member_id))
            _figures(tx, code, period, tier, (-points, -entries, -1))
        for code in came:
            fields: dict[str, Any] = {
                k: getattr(standing, k) for k in StandingModel.get_attributes() if k not in {"board", "member_id"}
            }
            tx.save(StandingModel(f"{code}#{period}", totals.member_id, **(fields | {"unit_path": path})))
            _figures(tx, code, period, tier, (points, entries, 1))
        for code in (c for c in chain if c not in came):  # the boards it stays on show the new path
            kept = StandingModel(f"{code}#{period}", totals.member_id)
            tx.update(kept, actions=[StandingModel.unit_path.set(path)])
        audit.append(
            tx, move.actor, action="scoring_totals.repath", entity_type="scoring_totals",
            entity_id=f"{totals.member_id}#{period}", unit_path=path,
            before={"chain": old, "unit_path": totals.unit_path}, after={"chain": chain, "unit_path": path},
        )  # fmt: skip
    return 1


def _figures(tx: Any, code: str, period: str, tier: str | None, delta: tuple[int, int, int]) -> None:
    points, entries, members = delta
    tx.update(
        UnitStatModel(code, f"{period}#_all"),
        actions=[
            UnitStatModel.points.add(points),
            UnitStatModel.entries.add(entries),
            UnitStatModel.members.add(members),
        ],
    )
    if tier is not None:
        tx.update(UnitStatModel(code, f"{period}#{tier}"), actions=[UnitStatModel.members.add(members)])


register_path_tables(
    PathTable(
        EntryModel, "scoring_entry", index="by_state", index_root="state_key", roots=("root",),
        partitions=lambda root: [f"{root}#{status}" for status in STATUS_LABELS],
        more=entry_follows, also_if=entry_unchanged,
    )
)  # fmt: skip
register_move_hook("scoring_aggregates", aggregates_follow)
