"""Deliberation records follow a moved unit (grid.repath): concerns, deliberations (and the meetings they
have still to hold), responsibility-list items, 四议两公开 decisions and the workflow runs behind them.

Beyond the path prefix, a deliberation names the village and the town that hold its later meetings
(分析会, 审议会). When its unit moves below another village or town, the meetings not yet held go to the
new one (taken from the moved unit's new chain); a meeting already held keeps the unit that held it, so
its record (attendees, minutes) stays true. A run item carries its record's path key for the sparse index
of lapsed stages (挂牌督办): it follows its record.
"""

from __future__ import annotations

from pynamodb.expressions.update import Action

from chalicelib.deliberation import rules
from chalicelib.deliberation.store import (
    ConcernModel,
    DeliberationModel,
    ResponsibilityItemModel,
    VillageDecisionModel,
    WorkflowRunModel,
)
from chalicelib.grid.repath import Move, PathTable, register_move_hook, register_path_tables


def _held(item: DeliberationModel, stage: str) -> bool:
    """Whether the meeting of `stage` is behind the deliberation (or it is closed)."""
    return item.stage not in rules.STAGES or rules.STAGES.index(item.stage) > rules.STAGES.index(stage)


def meetings_follow(item: DeliberationModel, move: Move) -> list[Action]:
    actions: list[Action] = []
    for level, stage, code_attr, path_attr in (
        ("village", "analysis_meeting", DeliberationModel.village_code, DeliberationModel.village_path),
        ("town", "town_review", DeliberationModel.town_code, DeliberationModel.town_path),
    ):
        path: str = getattr(item, path_attr.attr_name)
        if move.within(path):  # the village (or town) itself moved: only its path changes
            actions.append(path_attr.set(move.rebase(path)))
            continue
        above = move.above(level)
        if above is not None and above[1] != path and not _held(item, stage):
            actions += [code_attr.set(above[0]), path_attr.set(above[1])]
    return actions


def runs_follow(move: Move) -> int:
    """The run items of the records now below the new path take their record's path key (and root)."""
    count = 0
    for model in (DeliberationModel, VillageDecisionModel):
        for record in model.by_path.query(move.new_root, model.path_key.startswith(move.new_path + "/")):
            try:
                run = WorkflowRunModel.get(record.id)
            except WorkflowRunModel.DoesNotExist:
                continue
            if run.path_key == record.path_key:
                continue
            actions: list[Action] = [
                WorkflowRunModel.path_key.set(record.path_key),
                WorkflowRunModel.root.set(record.root),
            ]
            if run.lapsed_root is not None:
                actions.append(WorkflowRunModel.lapsed_root.set(record.root))
            run.update(actions=actions, condition=WorkflowRunModel.path_key == run.path_key)
            count += 1
    return count


register_path_tables(
    PathTable(ConcernModel, "concern"),
    PathTable(DeliberationModel, "deliberation", more=meetings_follow),
    PathTable(ResponsibilityItemModel, "responsibility_item", path="lead_unit_path"),
    PathTable(VillageDecisionModel, "village_decision", path="village_path"),
)
register_move_hook("deliberation_runs", runs_follow)
