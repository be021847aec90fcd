"""Statements compiled once: the same rows as the queryset they are built from."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from fla.core import bulk
from fla.core.statements import Statement
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker
from tests import factories

pytestmark = pytest.mark.django_db


def trainings_of(p):
    return (
        Training.objects.filter(bulk.Within(F("worker__insz"), p.inszs), employer_id=p.employer)
        .order_by("reference")
        .values_list("reference", "start_date", "duration_minutes", "warnings")
    )


def test_rows_equal_the_querysets_for_any_values(data):
    employer, workers = data
    statement = Statement(trainings_of)
    for chosen in ([workers[0]], workers, workers[1:], []):
        inszs = [w.insz for w in chosen]
        expected = list(
            Training.objects.filter(employer_id=employer.pk, worker__insz__in=inszs)
            .order_by("reference")
            .values_list("reference", "start_date", "duration_minutes", "warnings")
        )
        got = statement.rows(employer=employer.pk, inszs=inszs)
        assert got == expected
        assert all(isinstance(row[1], dt.date) for row in got)  # converters applied
    assert statement.rows(employer=employer.pk + 1000, inszs=[w.insz for w in workers]) == []


def test_built_and_compiled_once(data):
    employer, workers = data
    built = []

    def build(p):
        built.append(1)
        return Worker.objects.filter(bulk.Within(F("pk"), p.ids)).values_list("insz")

    statement = Statement(build)
    for worker in workers:
        with CaptureQueriesContext(connection) as ctx:
            assert statement.rows(ids=[worker.pk]) == [(worker.insz,)]
        assert len(ctx.captured_queries) == 1
    assert len(built) <= 2  # once for its model, once to compile


def test_dates_in_a_value_list(data):
    employer, _ = data
    statement = Statement(
        lambda p: Training.objects.filter(
            bulk.Within(F("start_date"), p.days), employer_id=p.employer
        ).values_list("reference")
    )
    rows = statement.rows(employer=employer.pk, days=[dt.date(2025, 3, 10), dt.date(2025, 3, 12)])
    assert sorted(rows) == [("S-0",), ("S-2",)]


def test_a_union_statement_equals_tagged_union(data):
    employer, workers = data
    ids = [w.pk for w in workers]

    statement = Statement(
        lambda p: {
            "t": (
                Training.objects.filter(
                    bulk.Within(F("worker_id"), p.ids), employer_id=p.employer
                ).values_list("worker_id", "reference"),
                ("worker_id", "reference"),
            ),
            "e": (
                Employment.objects.filter(
                    bulk.Within(F("worker_id"), p.ids), employer_id=p.employer
                ).values_list("worker_id"),
                ("worker_id", None),
            ),
        }
    )
    expected = bulk.tagged_union(
        {
            "t": (
                Training.objects.filter(
                    bulk.Within(F("worker_id"), ids), employer_id=employer.pk
                ).values_list("worker_id", "reference"),
                ("worker_id", "reference"),
            ),
            "e": (
                Employment.objects.filter(
                    bulk.Within(F("worker_id"), ids), employer_id=employer.pk
                ).values_list("worker_id"),
                ("worker_id", None),
            ),
        }
    )
    assert sorted(statement.rows(employer=employer.pk, ids=ids)) == sorted(expected)
    assert len(expected) == 6
    assert statement.rows(employer=employer.pk, ids=[]) == []


@pytest.mark.django_db(transaction=True)
def test_a_locking_statement_needs_a_transaction():
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    worker = factories.make_worker(factories.make_employer())
    locked = Statement(
        lambda p: Worker.objects.filter(pk=p.pk).select_for_update().values_list("insz")
    )
    with pytest.raises(TransactionManagementError):
        locked.rows(pk=worker.pk)
    with transaction.atomic():
        assert locked.rows(pk=worker.pk) == [(worker.insz,)]


def test_an_empty_needed_list_sends_no_query(data):
    employer, workers = data
    statement = Statement(trainings_of, needs=("inszs",))
    with CaptureQueriesContext(connection) as ctx:
        assert statement.rows(employer=employer.pk, inszs=[]) == []
    assert ctx.captured_queries == []
    assert len(statement.rows(employer=employer.pk, inszs=[w.insz for w in workers])) == 3
