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


@pytest.mark.django_db
def test_update_sets_the_fields_of_each_row_by_primary_key():
    from fla.audit.models import HistoryEntry

    employer = factories.make_employer()
    a = factories.make_worker(employer, start=dt.date(2024, 1, 1), first_name="An")
    b = factories.make_worker(employer, start=dt.date(2024, 1, 1), first_name="Bo")
    untouched = factories.make_worker(employer, start=dt.date(2024, 1, 1), first_name="Cas")
    with CaptureQueriesContext(connection) as ctx:
        count = bulk.update(
            Worker,
            ("first_name", "birth_date"),
            [[a.pk, "Anna", dt.date(1985, 7, 30)], [b.pk, "Bob", None]],
        )
    assert count == 2
    assert len(ctx.captured_queries) == 1
    names = dict(Worker.objects.values_list("pk", "first_name"))
    assert names == {a.pk: "Anna", b.pk: "Bob", untouched.pk: "Cas"}
    assert Worker.objects.get(pk=a.pk).birth_date == dt.date(1985, 7, 30)
    assert Worker.objects.get(pk=b.pk).birth_date is None
    entry = HistoryEntry.objects.create(
        at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        entity="worker",
        entity_id="1",
        action="create",
        channel="api",
        after={"x": 1},
    )
    bulk.update(HistoryEntry, ("after",), [[entry.pk, {"x": [2, "é"]}]])
    entry.refresh_from_db()
    assert entry.after == {"x": [2, "é"]}


TRICKY = ['a"b', "back\\slash", "{brace}", "com,ma", " spaced ", "NULL", "", "é’漢", "it's"]


@pytest.mark.django_db
def test_array_text_reads_back_as_the_same_values():
    from fla.core.bulk import array_text

    if connection.vendor != "postgresql":
        assert array_text([1, 2]) == "{1,2}"  # built the same; only PostgreSQL reads it
        return
    when = dt.datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    cases = [
        ("text", TRICKY + [None]),
        ("bigint", [1, -2, 10**15, None]),
        ("boolean", [True, False, None]),
        ("date", [dt.date(2025, 1, 31), None]),
        ("timestamp with time zone", [when]),
        # one type throughout: the lists a chunk sends, joined without a Python loop
        ("text", [t for t in TRICKY if t is not None and '"' not in t and "\\" not in t]),
        ("text", ["", "NULL", "a b", "{x}", "T-1,2"]),
        ("bigint", [7, 10**15, -3]),
        ("date", [dt.date(2025, 1, 31), dt.date(1900, 12, 1)]),
        ("text", []),
    ]
    with connection.cursor() as cursor:
        for db_type, values in cases:
            literal = array_text(values)
            assert isinstance(literal, str)
            cursor.execute(f"SELECT unnest(%s::{db_type}[])", [literal])
            assert [row[0] for row in cursor.fetchall()] == values, db_type
    assert array_text([{"json": 1}]) == [{"json": 1}]  # left to psycopg


@pytest.mark.django_db
def test_within_finds_exactly_the_tricky_values():
    employer = factories.make_employer()
    workers = [factories.make_worker(employer, last_name=name) for name in TRICKY if name]
    found = Worker.objects.filter(bulk.Within(F("last_name"), TRICKY[:4])).values_list(
        "last_name", flat=True
    )
    assert sorted(found) == sorted(TRICKY[:4])
    assert len(workers) == len(TRICKY) - 1
