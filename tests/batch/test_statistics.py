"""The BATCH worker keeps the planner's statistics up to date as a file fills tables,
analyzing only the tables that have grown."""

import io

import pytest
from django.db import connection

from fla.batch import services
from fla.core import bulk
from fla.workers.models import Worker


def last_analyzed(table: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        row = cursor.fetchone()
    return row[0] if row else None


def flush_statistics() -> None:
    """Make this backend's counts of inserted rows visible in the statistics views."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT 1")


@pytest.mark.django_db(transaction=True)
def test_processing_analyzes_the_tables_it_fills(world):
    postgresql = connection.vendor == "postgresql"
    before = {}
    if postgresql:
        with connection.cursor() as cursor:  # as after a restore: no statistics at all
            for model in services.GROWING_TABLES:
                cursor.execute(
                    "UPDATE pg_class SET reltuples = -1 WHERE oid = %s::regclass",
                    [model._meta.db_table],
                )
                before[model] = last_analyzed(model._meta.db_table)
    receipt = services.receive(
        world.caller, io.BytesIO(world.file(declarations=[world.training("S1")])), production=True
    )
    assert services.process(receipt.file_id) == "done"
    if postgresql:
        for model in services.GROWING_TABLES:
            assert last_analyzed(model._meta.db_table) not in (None, before[model]), model
    else:
        bulk.refresh_statistics(services.GROWING_TABLES, grown_only=True)  # a no-op elsewhere


@pytest.mark.django_db(transaction=True)
def test_a_table_is_analyzed_again_once_it_has_doubled(monkeypatch):
    if connection.vendor != "postgresql":
        bulk.refresh_statistics([Worker], grown_only=True)  # a no-op elsewhere
        return
    monkeypatch.setattr(bulk, "GROWN_ROWS", 10)
    table = Worker._meta.db_table

    def add(count: int, start: int) -> None:
        Worker.objects.bulk_create(
            Worker(insz=f"{start + i:011d}", first_name="A", last_name="B") for i in range(count)
        )
        flush_statistics()

    add(20, 0)
    bulk.refresh_statistics([Worker])  # analyzed at 20 rows
    analyzed = last_analyzed(table)
    assert analyzed is not None

    add(25, 100)  # 45 rows: fewer than twice 20, and 10 more
    bulk.refresh_statistics([Worker], grown_only=True)
    assert last_analyzed(table) == analyzed

    add(10, 200)  # 55 rows: more than 2 × 20 + 10
    bulk.refresh_statistics([Worker], grown_only=True)
    assert last_analyzed(table) > analyzed
