"""Incremental reads ("what changed since"), safe against writes still in flight.

A declaration stamps ``updated_at`` with the time it took its locks, but becomes visible
only when its transaction commits, some time later. A client that lists the changes
since the latest ``updated_at`` it read would miss a write stamped before that and
committed after the list was read. So a list of changes answers, beside its rows, the
time from which the next read must start (``settled``): every change that this read
could not see yet is stamped at or after it.

* PostgreSQL: the start of the oldest transaction of this database that holds a
  transaction id, as the server sees it now. The write path takes its transaction id
  (by its locks, or ``pg_current_xact_id()`` when it locks nothing) before it stamps
  its changes, so a transaction without one will stamp them later than now. That read
  and the list must both go to the primary (``PRIMARY``), whatever the replica router
  does.
* SQLite: writers run one after the other (``BEGIN IMMEDIATE``), but a reader cannot see
  the one in progress; the longest a write transaction may take is assumed instead
  (``FLA_SYNC_WRITE_SECONDS``, 60 by default: a BATCH chunk takes a few seconds).

Both subtract ``FLA_SYNC_CLOCK_SECONDS`` (1 by default) for the clocks of the
application servers and the database, which should agree to well within that (NTP).
A client that starts from ``settled`` reads some changes twice; each carries its
version, so applying one twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connections
from django.utils import timezone

PRIMARY = "default"

# A session of another database role shows its transaction id but not its start
# unless this role may read all statistics (pg_read_all_stats): then the longest a
# write may take is assumed, as on SQLite.
_OLDEST_WRITER = """
    SELECT min(xact_start), bool_or(xact_start IS NULL) FROM pg_stat_activity
    WHERE datname = current_database() AND backend_xid IS NOT NULL
      AND pid <> pg_backend_pid()
"""


def settled() -> dt.datetime:
    """The time from which the next incremental read must start; read it before the
    rows it goes with."""
    now = timezone.now()
    # The longest a write may take: SQLite, or a writer whose start is hidden.
    since = now - dt.timedelta(seconds=settings.FLA_SYNC_WRITE_SECONDS)
    connection = connections[PRIMARY]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_OLDEST_WRITER)
            oldest, hidden = cursor.fetchone()
        if not hidden:
            since = min(now, oldest) if oldest is not None else now
    return since - dt.timedelta(seconds=settings.FLA_SYNC_CLOCK_SECONDS)
