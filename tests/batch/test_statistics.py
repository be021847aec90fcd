"""The BATCH worker keeps the planner's statistics up to date as a file fills tables."""

import io

import pytest
from django.db import connection

from fla.batch import services
from fla.core import bulk


def last_analyzed(table: str):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(last_analyze, last_autoanalyze) FROM pg_stat_user_tables"
            " WHERE relname = %s",
            [table],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.django_db(transaction=True)
def test_processing_analyzes_the_growing_tables(world):
    receipt = services.receive(
        world.caller, io.BytesIO(world.file(declarations=[world.training("S1")])), production=True
    )
    assert services.process(receipt.file_id) == "done"
    if connection.vendor == "postgresql":
        for model in services.GROWING_TABLES:
            assert last_analyzed(model._meta.db_table) is not None, model
    else:
        bulk.refresh_statistics(services.GROWING_TABLES)  # a no-op elsewhere
