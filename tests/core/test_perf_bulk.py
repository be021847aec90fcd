"""``bulk.insert`` stores by COPY exactly what the ORM stores: dates, datetimes (any
offset), JSON (tricky strings, empty lists, nesting, null), whichever way the values
are sent."""

from __future__ import annotations

import datetime as dt

import pytest

from fla.audit.models import HistoryEntry
from fla.core import bulk
from fla.declarations.services import HISTORY_FIELDS
from fla.trainings.models import Training
from fla.workers.models import Employment
from tests import factories

pytestmark = pytest.mark.django_db

TRICKY = [
    'a"b',
    "back\\slash",
    "tab\there",
    "new\nline",
    "{brace}",
    "\\N",
    "NULL",
    "",
    "é’漢",
    "it's",
    "\r",
    "\\.",
]
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))
STAMPS = [
    dt.datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC),
    dt.datetime(2025, 3, 1, 10, 30, 15, 123456, tzinfo=PLUS_TWO),  # the same instant
    dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=PLUS_TWO),
    dt.datetime(1999, 1, 1, tzinfo=dt.UTC),
]
DOCUMENTS = [
    None,
    [],
    {},
    [1, "x"],
    {"k": TRICKY},
    {"nested": {"a": [None, True, 1.5]}},
    "just text",
    0,
    False,
    {'quote"key': "v\\"},
]


def _history_rows(employer_id: int, count: int) -> list[tuple]:
    return [
        (
            STAMPS[i % len(STAMPS)],
            employer_id,
            "training",
            str(i),
            "create",
            "batch",
            TRICKY[i % len(TRICKY)],
            None,
            DOCUMENTS[i % len(DOCUMENTS)],
            DOCUMENTS[(i * 7) % len(DOCUMENTS)],
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [3, bulk.COPY_FROM, 3 * bulk.COPY_FROM])
def test_history_rows_read_back_as_the_orm_writes_them(count):
    employer = factories.make_employer()
    rows = _history_rows(employer.pk, count)
    fields = HISTORY_FIELDS  # as the write path inserts them
    assert bulk.insert(HistoryEntry, fields, rows) == count
    HistoryEntry.objects.bulk_create(
        [HistoryEntry(**{**dict(zip(fields, row, strict=True)), "entity": "orm"}) for row in rows]
    )
    read = list(
        HistoryEntry.objects.filter(entity="training")
        .order_by("id")
        .values_list("entity_id", "at", "actor", "before", "after")
    )
    orm = list(
        HistoryEntry.objects.filter(entity="orm")
        .order_by("id")
        .values_list("entity_id", "at", "actor", "before", "after")
    )
    assert read == orm
    assert [r[1] for r in read] == [row[0] for row in rows]


def test_trainings_and_employments_with_dates_read_back():
    employer = factories.make_employer()
    worker = factories.make_worker(employer)
    now = dt.datetime.now(dt.UTC)
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i % 40) for i in range(2 * bulk.COPY_FROM)]
    fields = (
        "employer_id",
        "worker_id",
        "reference",
        "title",
        "description",
        "provider",
        "kind",
        "start_date",
        "end_date",
        "duration_minutes",
        "status",
        "counts_toward_account",
        "certificate_obtained",
        "certificate_valid_until",
        "right_type",
        "version",
        "warnings",
        "channel",
        "created_at",
        "updated_at",
    )
    rows = [
        (
            employer.pk,
            worker.pk,
            f"C-{i}",
            TRICKY[i % len(TRICKY)] or "t",
            TRICKY[(i + 1) % len(TRICKY)],
            "",
            "formal",
            day,
            day,
            60,
            "completed",
            i % 2 == 0,
            False,
            None if i % 2 else day,
            "",
            1,
            [] if i % 3 else ["W001", "W004"],
            "batch",
            now,
            now + dt.timedelta(microseconds=i),
        )
        for i, day in enumerate(days)
    ]
    bulk.insert(Training, fields, rows)
    read = {t.reference: t for t in Training.objects.filter(reference__startswith="C-")}
    for row in rows:
        stored = read[row[2]]
        assert [getattr(stored, name) for name in fields] == list(row)
    Employment.objects.all().delete()
    bulk.insert(
        Employment,
        ("worker_id", "employer_id", "start_date", "end_date", "regime", "joint_committee"),
        [(worker.pk, employer.pk, day, None, "1", "200") for day in sorted(set(days))],
    )
    assert sorted(Employment.objects.values_list("start_date", flat=True)) == sorted(set(days))
