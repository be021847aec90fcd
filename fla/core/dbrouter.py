"""Send reads to a PostgreSQL replica when one is configured (``DATABASE_REPLICA_URL``).

* Writes always go to ``default`` (the primary).
* A read inside a transaction on ``default`` stays on ``default``: the write path reads
  what it is about to change under its own locks, and must see its own writes.
* Any other read goes to ``replica`` when that alias exists, else to ``default``.
* Migrations run on ``default`` only: the replica is a physical copy of the primary.

Replication lag: a replica answers a few milliseconds to seconds behind. The screens
and API reads that go there tolerate that; a request that must read its own write
(the write path) runs inside ``transaction.atomic`` and so reads the primary.
"""

from __future__ import annotations

from django.db import connections

REPLICA = "replica"
PRIMARY = "default"


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not replica_configured():
            return None
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
