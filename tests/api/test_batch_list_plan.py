"""GET /api/v1/batches reads a page of a sender's files from an index, in the list's
order, and the next page from where the cursor stands: its cost does not grow with the
number of files the sender ever sent (docs/performance.md, "The list of BATCH files").

The plans are asked of the database the tests run on: SQLite (EXPLAIN QUERY PLAN) and
PostgreSQL (EXPLAIN, the planner told to avoid a sort wherever it can)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fla.api.services import create_client
from fla.batch.models import BatchFile
from tests.api.conftest import API, make_token, query_plan


def _files(sent_by: dict, count: int) -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    BatchFile.objects.bulk_create(
        BatchFile(
            reference=f"P-{n}",
            sender="0000000000",
            received_at=start + dt.timedelta(hours=n // 2),  # two files at each moment
            storage_name="none.xml",
            **sent_by,
        )
        for n in range(count)
    )


def _list_sql(token: str, query: str = "") -> tuple[str, dict]:
    """The SQL of the list's page (the one query of batch_batchfile), and the answer."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/batches{query}")
    assert response.status_code == 200, response.content[:300]
    [sql] = [q["sql"] for q in queries.captured_queries if 'FROM "batch_batchfile"' in q["sql"]]
    return sql, response.json()


def _reads_in_order(plan: str, index: str) -> None:
    assert index in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan  # no sort of the files


def _starts_at_the_cursor(plan: str) -> None:
    """The cursor's moment bounds the scan of the index, not a filter of every row."""
    if connection.vendor == "postgresql":
        [condition] = [line for line in plan.splitlines() if "Index Cond" in line]
        assert "received_at <=" in condition, plan
    else:
        assert "received_at<?" in plan, plan


@pytest.mark.parametrize(
    "owner, index",
    [("employer", "batch_file_employer_recv_idx"), ("mandatary", "batch_file_mandatary_recv_idx")],
)
def test_a_page_of_a_senders_files_is_read_from_its_index(world, owner, index):
    if owner == "employer":
        organisation = world.own.employer
        sent_by = {"sender_employer": organisation}
    else:
        organisation = world.mandatary_client.mandatary
        sent_by = {"sender_mandatary": organisation}
    _files(sent_by, 30)
    # declare alone: the files the organisation sent itself, one sender
    client = create_client(name="Sender", scopes=["declare"], **{owner: organisation}).client
    token = make_token(client)
    sql, first = _list_sql(token, "?limit=5")
    _reads_in_order(query_plan(sql), index)
    sql, second = _list_sql(token, "?limit=5&cursor=" + first["next_cursor"])
    plan = query_plan(sql)
    _reads_in_order(plan, index)
    _starts_at_the_cursor(plan)
    # and the pages follow each other, two files at each moment included
    assert [f["reference"] for f in first["items"] + second["items"]] == [
        f"P-{n}" for n in range(29, 19, -1)
    ]
