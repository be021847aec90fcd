"""Transactions run again when the database rolls them back for a conflict with another.

PostgreSQL breaks a deadlock by rolling back one of the transactions in it (SQLSTATE
40P01), and rolls back a transaction whose reads another one's commit made stale
(40001, serialization failure). Run again, such a transaction waits for the other one
and reads what it wrote. ``retried`` runs a piece of work that is one transaction (its
own, or a savepoint inside its caller's) up to ``ATTEMPTS`` times, on fresh data each
time, and logs each new attempt with the SQLSTATE only: the message of a database error
may quote the values of a row (an INSZ), so it is never logged here.

Work that runs inside a transaction it does not own, without a savepoint, cannot be run
again (the whole transaction is aborted): its caller gives ``attempts=1`` and leaves the
retry to whoever owns the transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError

logger = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 4
DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error: psycopg's own, or that of the driver's error a
    Django ``DatabaseError`` (``OperationalError``...) was raised from; None on SQLite."""
    seen: BaseException | None = exc
    while seen is not None:
        state = getattr(seen, "sqlstate", None)
        if state:
            return state
        seen = seen.__cause__
    return None


def is_conflict(exc: DatabaseError) -> bool:
    """A deadlock or a serialization failure: the transaction may simply run again."""
    return sqlstate(exc) in (DEADLOCK, SERIALIZATION_FAILURE)


def retried(
    work: Callable[[], T],
    *,
    what: str,
    attempts: int = ATTEMPTS,
    retry_if: Callable[[DatabaseError], bool] = is_conflict,
) -> T:
    """``work()``, run again while it fails with a database error that ``retry_if``
    accepts, ``attempts`` times at most; the last failure is raised. ``what`` names the
    work in the log (no personal data)."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DatabaseError as exc:
            if attempt >= attempts or not retry_if(exc):
                raise
            logger.warning(
                "%s rolled back (%s, SQLSTATE %s); attempt %d of %d",
                what,
                exc.__class__.__name__,
                sqlstate(exc) or "-",
                attempt + 1,
                attempts,
            )
    raise AssertionError("unreachable")
