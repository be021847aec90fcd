"""The employer's trainings and the search of its workers read the next page from where
the cursor stands in their index: a middle or a late page of an employer of 300,000
trainings costs what the first one does (docs/performance.md, "The API's lists, page
after page").

The plans are asked of the database the tests run on: SQLite (EXPLAIN QUERY PLAN) and
PostgreSQL (EXPLAIN, the planner told to avoid a sort and a sequential scan wherever it
can), as in test_batch_list_plan.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fla.trainings.models import Training
from fla.workers.models import Employment, Worker
from tests.api.conftest import API, make_token, query_plan


def _page_sql(token: str, path: str, table: str) -> tuple[str, dict]:
    """The SQL of the list's page (the last query of ``table`` with a LIMIT), and the
    answer."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}{path}")
    assert response.status_code == 200, response.content[:300]
    sql = [
        q["sql"]
        for q in queries.captured_queries
        if f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"]
    ][-1]
    return sql, response.json()


def _index_starts_at(plan: str, index: str, column: str, operator: str) -> None:
    """The cursor's bound on ``column`` is a condition of the scan of ``index`` (where
    the scan starts), not a filter of every row before it."""
    assert index in plan, plan
    if connection.vendor == "postgresql":
        lines = plan.splitlines()
        [at] = [n for n, line in enumerate(lines) if index in line]
        # the condition of that scan: the lines under it, up to the next node
        conditions = []
        for line in lines[at + 1 :]:
            if "->" in line:
                break
            conditions.append(line)
        [condition] = [line for line in conditions if "Index Cond" in line]
        assert re.search(rf"{column}\)?(::\w+)? {operator} ", condition), plan
    else:
        [line] = [line for line in plan.splitlines() if index in line]
        assert f"{column}{operator[0]}?" in line, plan


def test_the_next_page_of_trainings_starts_at_the_cursor_in_the_index(world):
    employer, worker = world.own.employer, world.own.worker
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    base = Training.objects.get(employer=employer)
    Training.objects.bulk_create(
        Training(
            employer=employer,
            worker=worker,
            reference=f"P-{n}",
            title="Training",
            kind=base.kind,
            start_date=base.start_date,
            end_date=base.end_date,
            duration_minutes=60,
            status=base.status,
            channel="batch",
            created_at=start,
            updated_at=start + dt.timedelta(minutes=n // 3),  # a chunk of three at a moment
        )
        for n in range(30)
    )
    token = make_token(world.employer_client)
    path = f"/employers/{employer.enterprise_number}/trainings?limit=4"
    sql, first = _page_sql(token, path, "trainings_training")
    sql, second = _page_sql(token, f"{path}&cursor={first['next_cursor']}", "trainings_training")
    plan = query_plan(sql)
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
    _index_starts_at(plan, "training_emp_updated_id_idx", "updated_at", ">=")
    # and the pages follow each other, through the moments that three trainings share
    walked = [t["reference"] for t in first["items"] + second["items"]]
    assert walked == [f"P-{n}" for n in range(8)]


def test_the_next_page_of_a_worker_search_starts_at_the_cursor_in_the_name_index(world):
    if connection.vendor != "postgresql":
        # SQLite, with a few rows and no statistics, reads the employer's employments
        # and sorts their workers, whatever the cursor: there is no scan to start.
        pytest.skip("the plan of a large employer's search is PostgreSQL's")
    employer = world.own.employer
    workers = Worker.objects.bulk_create(
        Worker(insz=f"{90_000_000_000 + n}", first_name=f"F{n % 2}", last_name=f"L{n // 4:02d}")
        for n in range(40)  # four workers of each last name, two of each first name
    )
    Employment.objects.bulk_create(
        Employment(worker=w, employer=employer, start_date=dt.date(2024, 1, 1), regime=1)
        for w in workers
    )
    token = make_token(world.employer_client)
    path = f"/employers/{employer.enterprise_number}/workers?limit=3&name=L"
    _sql, first = _page_sql(token, path, "workers_worker")
    sql, second = _page_sql(token, f"{path}&cursor={first['next_cursor']}", "workers_worker")
    _index_starts_at(query_plan(sql), "worker_name_idx", "last_name", ">=")
    expected = sorted(workers, key=lambda w: (w.last_name, w.first_name, w.pk))[:6]
    walked = [w["insz"] for w in first["items"] + second["items"]]
    assert walked == [w.insz for w in expected]


@pytest.mark.parametrize("page", [1, 2, 5])
def test_a_worker_search_walks_every_worker_once(world, page):
    employer = world.own.employer
    workers = Worker.objects.bulk_create(
        Worker(insz=f"{91_000_000_000 + n}", first_name=f"F{n % 3}", last_name=f"L{n % 4}")
        for n in range(24)
    )
    Employment.objects.bulk_create(
        Employment(worker=w, employer=employer, start_date=dt.date(2024, 1, 1), regime=1)
        for w in workers
    )
    token = make_token(world.employer_client)
    path = f"/employers/{employer.enterprise_number}/workers?limit={page}&name=L"
    walked, cursor = [], ""
    while True:
        _sql, body = _page_sql(token, path + cursor, "workers_worker")
        walked += [w["insz"] for w in body["items"]]
        if not body["next_cursor"]:
            break
        cursor = f"&cursor={body['next_cursor']}"
    expected = sorted(workers, key=lambda w: (w.last_name, w.first_name, w.pk))
    assert walked == [w.insz for w in expected]
