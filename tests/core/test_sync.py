"""``sync.settled``: a change not yet visible to an incremental read is stamped no
earlier than the time that read hands its client for the next one."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from fla.accounts.access import Caller
from fla.core import sync
from fla.declarations import services
from fla.trainings.models import Training
from tests import factories
from tests.declarations.conftest import training


def test_on_sqlite_the_longest_write_is_allowed_for(settings, db):
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL rule is tested below")
    settings.FLA_SYNC_WRITE_SECONDS, settings.FLA_SYNC_CLOCK_SECONDS = 60, 1
    before = timezone.now()
    assert before - dt.timedelta(seconds=61) <= sync.settled() <= timezone.now() - dt.timedelta(
        seconds=61
    )


@pytest.mark.django_db(transaction=True)
def test_a_write_in_flight_is_stamped_after_the_time_handed_out(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; covered by FLA_SYNC_WRITE_SECONDS")
    settings.FLA_SYNC_CLOCK_SECONDS = 0
    employer = factories.make_employer()
    worker = factories.make_worker(employer, start=dt.date(2024, 1, 1))
    user = factories.make_user()
    factories.grant(user, employer)
    stamped, go_on = threading.Event(), threading.Event()
    flush = services._Chunk.flush

    def slow_flush(chunk):
        stamped.set()
        go_on.wait(10)  # the transaction has its locks and its stamp; it commits later
        flush(chunk)

    def write():
        try:
            services.submit(Caller.for_user(user), [training(employer, worker, "LATE")],
                            today=dt.date(2025, 11, 15))
        finally:
            connection.close()

    services._Chunk.flush = slow_flush
    try:
        writer = threading.Thread(target=write)
        writer.start()
        assert stamped.wait(10)
        time.sleep(1.2)  # longer than any clock margin: a naive "now - margin" misses it
        handed_out = sync.settled()
        assert not Training.objects.filter(reference="LATE").exists()  # not visible yet
        go_on.set()
        writer.join(10)
    finally:
        services._Chunk.flush = flush
    assert Training.objects.get(reference="LATE").updated_at >= handed_out


@pytest.mark.django_db(transaction=True)
def test_a_write_that_locks_nothing_is_stamped_after_the_time_handed_out(settings):
    """A new worker and his training: no existing row to lock, so the write path asks
    for its transaction id before it stamps."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; covered by FLA_SYNC_WRITE_SECONDS")
    from fla.declarations.types import Declaration

    settings.FLA_SYNC_CLOCK_SECONDS = 0
    employer = factories.make_employer()
    user = factories.make_user()
    factories.grant(user, employer)
    insz = factories.make_insz(serial=31)
    hire = Declaration("worker", employer.enterprise_number, {
        "insz": insz, "first_name": "Els", "last_name": "Maes",
        "employment": {"start_date": "2024-01-01", "regime": "1", "joint_committee": "200"},
    })
    stamped, go_on = threading.Event(), threading.Event()
    flush_workers = services._Chunk.flush_workers

    def slow(chunk):
        stamped.set()
        go_on.wait(10)
        flush_workers(chunk)

    def write():
        try:
            services.submit(Caller.for_user(user), [hire], today=dt.date(2025, 11, 15))
        finally:
            connection.close()

    services._Chunk.flush_workers = slow
    try:
        writer = threading.Thread(target=write)
        writer.start()
        assert stamped.wait(10)
        time.sleep(1.2)
        handed_out = sync.settled()
        go_on.set()
        writer.join(10)
    finally:
        services._Chunk.flush_workers = flush_workers
    from fla.audit.models import HistoryEntry

    assert HistoryEntry.objects.get(entity="worker").at >= handed_out
