"""Send reads to a PostgreSQL replica when one is configured (``DATABASE_REPLICA_URL``).

* Writes always go to ``default`` (the primary).
* A read inside a transaction on ``default`` stays on ``default``: the write path reads
  what it is about to change under its own locks, and must see its own writes.
* A read of a context pinned to the primary goes to ``default`` (read-your-writes, below).
* Any other read goes to ``replica`` when that alias exists, else to ``default``.
* Migrations run on ``default`` only: the replica is a physical copy of the primary.

Replication lag: a replica answers a few milliseconds to seconds behind. A client that
has just written must not read the state from before its write (its new training missing
from the list it is sent back to, its session gone after signing in). So a request that
writes is followed by reads on the primary for ``FLA_REPLICA_PIN_SECONDS``:

* ``fla.core.replica.ReplicaPinMiddleware`` opens a ``pinning()`` context around each
  request. Any write through the ORM in it (``db_for_write``) pins the rest of the
  request to the primary; after the response, a request that wrote (or any successful
  POST, PUT, PATCH or DELETE) pins the client for the following seconds: by a cookie
  for browsers, by a cache entry keyed on the ``Authorization`` header for API clients.
* Outside a request (management commands, background workers) nothing is pinned unless
  code opens ``pinning(primary=True)`` itself; their writes run in transactions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connections

REPLICA = "replica"
PRIMARY = "default"


@dataclass
class Pin:
    """The read-your-writes state of one request (or other unit of work)."""

    primary: bool = False  # read from the primary (pinned on entry, or since a write)
    wrote: bool = False  # something was written through the ORM


_pin: ContextVar[Pin | None] = ContextVar("fla_replica_pin", default=None)


@contextlib.contextmanager
def pinning(primary: bool = False) -> Iterator[Pin]:
    """A unit of work whose reads follow its writes: after its first write, every read
    goes to the primary; ``primary=True`` sends all its reads there from the start."""
    state = Pin(primary=primary)
    token = _pin.set(state)
    try:
        yield state
    finally:
        _pin.reset(token)


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not replica_configured():
            return None
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        state = _pin.get()
        if state is not None and state.primary:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _pin.get()
        if state is not None:
            # A mutable state, not a new context value: seen by the middleware even where
            # the write ran in a copied context (sync_to_async).
            state.wrote = state.primary = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
