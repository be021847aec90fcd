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
    assert (
        before - dt.timedelta(seconds=61)
        <= sync.settled()
        <= timezone.now() - dt.timedelta(seconds=61)
    )


def _settled_while_in_flight(monkeypatch, step: str, user, declarations, while_paused=None):
    """``sync.settled()`` read while a write, stamped and holding its transaction, is
    paused before the ``_Chunk`` step ``step`` for longer than any clock margin."""
    stamped, go_on = threading.Event(), threading.Event()
    original = getattr(services._Chunk, step)

    def paused(chunk):
        stamped.set()
        go_on.wait(10)  # the transaction has its stamp; it commits later
        original(chunk)

    def write():
        try:
            services.submit(Caller.for_user(user), declarations, today=dt.date(2025, 11, 15))
        finally:
            connection.close()

    monkeypatch.setattr(services._Chunk, step, paused)
    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert stamped.wait(10)
        time.sleep(1.2)  # a naive "now - margin" would miss the write
        handed_out = sync.settled()
        if while_paused:
            while_paused()
    finally:
        go_on.set()
        writer.join(10)
    return handed_out


def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; covered by FLA_SYNC_WRITE_SECONDS")


@pytest.mark.django_db(transaction=True)
def test_a_write_in_flight_is_stamped_after_the_time_handed_out(settings, monkeypatch):
    _needs_postgresql()
    settings.FLA_SYNC_CLOCK_SECONDS = 0
    employer = factories.make_employer()
    worker = factories.make_worker(employer, start=dt.date(2024, 1, 1))
    user = factories.make_user()
    factories.grant(user, employer)

    def not_visible_yet():
        assert not Training.objects.filter(reference="LATE").exists()

    handed_out = _settled_while_in_flight(
        monkeypatch, "flush", user, [training(employer, worker, "LATE")], not_visible_yet
    )
    assert Training.objects.get(reference="LATE").updated_at >= handed_out


@pytest.mark.django_db(transaction=True)
def test_a_write_that_locks_nothing_is_stamped_after_the_time_handed_out(settings, monkeypatch):
    """A new worker: no existing row to lock, so the write path asks for its
    transaction id before it stamps."""
    _needs_postgresql()
    from fla.audit.models import HistoryEntry
    from fla.declarations.types import Declaration

    settings.FLA_SYNC_CLOCK_SECONDS = 0
    employer = factories.make_employer()
    user = factories.make_user()
    factories.grant(user, employer)
    hire = Declaration(
        "worker",
        employer.enterprise_number,
        {
            "insz": factories.make_insz(serial=31),
            "first_name": "Els",
            "last_name": "Maes",
            "employment": {"start_date": "2024-01-01", "regime": "1", "joint_committee": "200"},
        },
    )
    handed_out = _settled_while_in_flight(monkeypatch, "flush_workers", user, [hire])
    assert HistoryEntry.objects.get(entity="worker").at >= handed_out


@pytest.mark.django_db
def test_a_writer_whose_start_is_hidden_falls_back_to_the_longest_write(settings, monkeypatch):
    """Without pg_read_all_stats, a session of another role shows its transaction id but
    not its start: the longest a write may take is assumed, as on SQLite."""
    _needs_postgresql()
    settings.FLA_SYNC_WRITE_SECONDS, settings.FLA_SYNC_CLOCK_SECONDS = 60, 1
    # What pg_stat_activity answers then: no start, and a writer whose start is hidden.
    monkeypatch.setattr(sync, "_OLDEST_WRITER", "SELECT NULL::timestamptz, true")
    before = timezone.now()
    assert sync.settled() <= before - dt.timedelta(seconds=60)
    monkeypatch.setattr(sync, "_OLDEST_WRITER", "SELECT NULL::timestamptz, NULL::boolean")
    assert sync.settled() >= before - dt.timedelta(seconds=1)  # nobody writing: now


@pytest.mark.django_db(transaction=True)
def test_a_writer_of_another_role_is_allowed_for_without_read_all_stats(settings):
    """For real: a role without pg_read_all_stats reads the start of another role's
    writer as hidden, and falls back to the longest write; granted pg_read_all_stats, it
    sees the start."""
    _needs_postgresql()
    import uuid

    import psycopg
    from psycopg import sql

    settings.FLA_SYNC_WRITE_SECONDS, settings.FLA_SYNC_CLOCK_SECONDS = 60, 0
    suffix = uuid.uuid4().hex[:10]
    reader, writer = f"fla_sync_reader_{suffix}", f"fla_sync_writer_{suffix}"
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with connection.cursor() as cursor:
        for role in (reader, writer):
            cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)).as_string())
    other = None
    try:
        other = psycopg.connect(**{**params, "user": writer, "password": None})
        with other.cursor() as cursor:  # a transaction that holds a transaction id
            cursor.execute("SELECT pg_current_xact_id()")
            cursor.execute("SELECT xact_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            started = cursor.fetchone()[0]
        time.sleep(0.1)
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(reader)).as_string())
        try:
            before, handed_out, after = timezone.now(), sync.settled(), timezone.now()
            longest = dt.timedelta(seconds=60)
            assert before - longest <= handed_out <= after - longest  # hidden: fallback
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")
                cursor.execute(
                    sql.SQL("GRANT pg_read_all_stats TO {}")
                    .format(sql.Identifier(reader))
                    .as_string()
                )
                cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(reader)).as_string())
            assert sync.settled() == started  # seen: the writer's own start
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")
    finally:
        if other is not None:
            other.close()
        with connection.cursor() as cursor:
            for role in (reader, writer):
                cursor.execute(
                    sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)).as_string()
                )
