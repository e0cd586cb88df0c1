"""Record ids. Inside an idempotent request they are derived from its Idempotency-Key, so a retry can never
create a second record.

Powertools records the request as in progress, runs the use case, then saves the answer. If the use case
commits and saving the answer fails (a throttled idempotency table, a crash in between), the in-progress
record expires and a later retry with the same key runs the use case again. Because the ids it makes are
the same as the first run's (uuid5 of the caller's namespace, the key and a counter), its create meets the
record the first run wrote: the `attribute_not_exists(id)` condition every create carries refuses it with
a 409, and nothing is doubled.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_NAMESPACE = uuid.UUID("5f0e0d1c-8c1e-4a57-9f5b-4e696e677869")  # fixed: ids must not change across releases
_seed: ContextVar[tuple[str, list[int]] | None] = ContextVar("idempotent_seed", default=None)


@contextmanager
def seeded(seed: str) -> Iterator[None]:
    """Ids made inside the block derive from `seed` (the namespaced Idempotency-Key) in the order made."""
    token = _seed.set((seed, [0]))
    try:
        yield
    finally:
        _seed.reset(token)


def is_seeded() -> bool:
    """Whether ids made now derive from an Idempotency-Key (a re-run of the same request makes them again)."""
    return _seed.get() is not None


def new_id() -> str:
    """A fresh record id: random outside an idempotent request, reproducible inside one."""
    current = _seed.get()
    if current is None:
        return str(uuid.uuid4())
    seed, counter = current
    counter[0] += 1
    return str(uuid.uuid5(_NAMESPACE, f"{seed}#{counter[0]}"))


def new_hex() -> str:
    """`new_id` as 32 hex digits (ids that appear in URLs and file names)."""
    return new_id().replace("-", "")
