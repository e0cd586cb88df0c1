"""Whistle records follow a moved unit (grid.repath).

- Tickets (吹哨工单) take the new path; a ticket's dispatching town (`town`, Open311's jurisdiction) becomes
  the town of the new chain when the unit moved to another town. The town figures booked when the ticket
  was whistled stay where they were booked (a period's scorecard is history).
- A department's assignment keeps a copy of the ticket's path: it follows the ticket.
- A 12345 hotline ticket answered by a whistle ticket follows that ticket (the hotline table has no path
  index: a hotline ticket not yet turned into a whistle ticket keeps its path; see the README).
"""

from __future__ import annotations

from pynamodb.expressions.update import Action

from chalicelib.core.audit import AuditStore
from chalicelib.core.db import transaction
from chalicelib.grid.repath import Move, PathTable, register_move_hook, register_path_tables, update_unversioned
from chalicelib.whistle.hotline import HotlineModel
from chalicelib.whistle.store import AssignmentModel, TicketModel


def town_follows(item: TicketModel, move: Move) -> list[Action]:
    above = move.above("town")
    return [TicketModel.town.set(above[0])] if above is not None and above[0] != item.town else []


def copies_follow(move: Move) -> int:
    """Assignments and answered hotline tickets of the tickets now below the new path."""
    count = 0
    audit = AuditStore()
    query = TicketModel.by_path.query(move.new_root, TicketModel.path_key.startswith(move.new_path + "/"))
    for ticket in query:
        for department in dict.fromkeys([*([ticket.lead] if ticket.lead else []), *ticket.co, *ticket.acks]):
            try:
                assignment = AssignmentModel.get(department, ticket.id)
            except AssignmentModel.DoesNotExist:
                continue
            if assignment.unit_path != ticket.unit_path:
                assignment.update(actions=[AssignmentModel.unit_path.set(ticket.unit_path)])
                count += 1
        if ticket.hotline_ticket is None:
            continue
        try:
            hotline = HotlineModel.get(ticket.hotline_ticket)
        except HotlineModel.DoesNotExist:
            continue
        if hotline.unit_path == ticket.unit_path or not move.within(hotline.unit_path):
            continue
        new_path = move.rebase(hotline.unit_path)
        with transaction() as tx:
            update_unversioned(
                tx, hotline, [HotlineModel.unit_path.set(new_path)], HotlineModel.unit_path == hotline.unit_path
            )
            audit.append(
                tx, move.actor, action="hotline_ticket.repath", entity_type="hotline_ticket", entity_id=hotline.id,
                unit_path=new_path, before={"unit_path": hotline.unit_path}, after={"unit_path": new_path},
            )  # fmt: skip
        count += 1
    return count


register_path_tables(PathTable(TicketModel, "whistle_ticket", more=town_follows))
register_move_hook("whistle_copies", copies_follow)
