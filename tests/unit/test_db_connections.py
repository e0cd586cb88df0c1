"""Every model's PynamoDB connection parses DynamoDB's service model once per process, not once per model: a
new botocore session per connection used to cost about 0.2 s a table on its first call (13 s for the 51
tables of a local stack's start, and the same in a Lambda container's first request to each table)."""

from __future__ import annotations

import threading

from chalicelib.core import db
from chalicelib.core.audit import AuditEventModel
from chalicelib.grid.store import HouseholdModel, UnitModel


def test_every_model_and_thread_shares_one_data_loader(env: None) -> None:
    loaders = [m._get_connection().connection.session.get_component("data_loader") for m in
               (UnitModel, HouseholdModel, AuditEventModel)]  # fmt: skip
    in_thread: list[object] = []
    worker = threading.Thread(target=lambda: in_thread.append(db._session().get_component("data_loader")))
    worker.start()
    worker.join()
    assert len({id(loader) for loader in [*loaders, *in_thread]}) == 1
    # each connection still has its own session (botocore creates clients safely one per session and thread)
    sessions = {id(m._get_connection().connection.session) for m in (UnitModel, HouseholdModel)}
    assert len(sessions) == 2
