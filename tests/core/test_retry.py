"""``fla.core.retry``: work rolled back for a deadlock or a serialization failure is run
again, a bounded number of times, and the log names the SQLSTATE, never the message."""

from __future__ import annotations

import logging

import psycopg.errors
import pytest
from django.db import IntegrityError, OperationalError

from fla.core import retry

INSZ = "85073003328"


def _django_error(cls, driver_error):
    """A Django error raised from the driver's, as Django's error wrapper raises it."""
    try:
        raise cls(str(driver_error)) from driver_error
    except cls as exc:
        return exc


def deadlock():
    return _django_error(
        OperationalError, psycopg.errors.DeadlockDetected(f"deadlock detected; key {INSZ}")
    )


def _serialization_failure():
    return _django_error(OperationalError, psycopg.errors.SerializationFailure("stale"))


def test_the_sqlstate_is_read_from_the_driver_error_behind_django_s():
    assert retry.sqlstate(deadlock()) == "40P01"
    assert retry.sqlstate(_serialization_failure()) == "40001"
    assert retry.sqlstate(psycopg.errors.DeadlockDetected("x")) == "40P01"
    assert retry.sqlstate(OperationalError("database is locked")) is None  # SQLite


@pytest.mark.parametrize(
    ("error", "conflict"),
    [
        (deadlock(), True),
        (_serialization_failure(), True),
        (_django_error(IntegrityError, psycopg.errors.UniqueViolation("dup")), False),
        (_django_error(OperationalError, psycopg.errors.LockNotAvailable("nowait")), False),
        (OperationalError("database is locked"), False),
    ],
)
def test_only_deadlocks_and_serialization_failures_are_conflicts(error, conflict):
    assert retry.is_conflict(error) is conflict


def test_a_conflict_is_run_again_and_logged_without_the_message(caplog):
    calls = []

    def work():
        calls.append(1)
        if len(calls) < 3:
            raise deadlock()
        return "done"

    with caplog.at_level(logging.WARNING, logger="fla.core.retry"):
        assert retry.retried(work, what="the chunk") == "done"
    assert len(calls) == 3
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "the chunk rolled back (OperationalError, SQLSTATE 40P01); attempt 2 of 4",
        "the chunk rolled back (OperationalError, SQLSTATE 40P01); attempt 3 of 4",
    ]
    assert INSZ not in caplog.text


def test_the_attempts_are_bounded_and_the_last_failure_raised():
    calls = []

    def work():
        calls.append(1)
        raise deadlock()

    with pytest.raises(OperationalError):
        retry.retried(work, what="the chunk", attempts=3)
    assert len(calls) == 3


@pytest.mark.parametrize(
    "error",
    [
        _django_error(IntegrityError, psycopg.errors.UniqueViolation("dup")),
        OperationalError("database is locked"),
    ],
)
def test_another_error_is_raised_at_once(error):
    calls = []

    def work():
        calls.append(1)
        raise error

    with pytest.raises(type(error)):
        retry.retried(work, what="the chunk")
    assert len(calls) == 1
