"""fla.core.bulk: several reads in one statement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from fla.core import bulk
from fla.employers.models import Employer
from fla.workers.models import Employment, Worker
from tests import factories


@pytest.mark.django_db
def test_tagged_union_reads_several_querysets_in_one_statement():
    employer = factories.make_employer()
    worker = factories.make_worker(employer, start=dt.date(2024, 1, 1))
    parts = {
        "w": (
            Worker.objects.filter(pk=worker.pk).values_list("pk", "insz"),
            ("pk", "insz"),
        ),
        "e": (
            Employment.objects.filter(worker=worker).values_list("employer_id"),
            ("employer_id", None),
        ),
        # Matches nothing by construction (an empty list): left out, no error.
        "x": (Employer.objects.filter(bulk.Within(F("pk"), [])).values_list("pk"), ("pk", None)),
    }
    with CaptureQueriesContext(connection) as ctx:
        rows = bulk.tagged_union(parts)
    assert len(ctx.captured_queries) == 1
    assert sorted(rows) == [("e", employer.pk, None), ("w", worker.pk, worker.insz)]


@pytest.mark.django_db
def test_tagged_union_of_nothing_is_empty():
    nothing = Employer.objects.filter(bulk.Within(F("pk"), [])).values_list("pk")
    assert bulk.tagged_union({"x": (nothing, ("pk",))}) == []


def test_tagged_union_refuses_a_column_its_part_lacks():
    workers = Worker.objects.values_list("pk", "insz")
    with pytest.raises(ValueError, match="no column"):
        bulk.tagged_union({"w": (workers, ("id", "insz"))})


@pytest.mark.django_db
def test_insert_returning_gives_the_new_ids_in_one_statement():
    rows = [["85073003328", "An", "Peeters"], ["90020199884", "Bo", "Maes"]]
    with CaptureQueriesContext(connection) as ctx:
        returned = bulk.insert_returning(
            Worker, ("insz", "first_name", "last_name"), rows, ("insz", "id")
        )
    assert len(ctx.captured_queries) == 1
    assert dict(returned) == dict(Worker.objects.values_list("insz", "pk"))
    assert len(returned) == 2
    with pytest.raises(ValueError):
        bulk.insert_returning(Worker, ("insz",), [["x"]] * bulk.COPY_FROM, ("id",))
