"""The refresh writes only what changed, and gives the same rows as a rebuild from scratch."""

from datetime import date

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from fla.core import bulk
from fla.rights import services
from fla.rights.models import Account, CreditLine, TrainingRight
from fla.trainings.models import Training
from fla.workers.models import Employment
from tests.rights.test_services import TODAY, add_training, add_workers, make_employer

pytestmark = pytest.mark.django_db

LINE = ("employer_id", "worker_id", "year", "right_type", "granted_minutes", "used_minutes")
ACCOUNT = ("id", "employer_id", "worker_id", *services.ACCOUNT_FIELDS[2:])


def snapshot():
    return (
        sorted(CreditLine.objects.values_list(*LINE)),
        sorted(Account.objects.values_list(*ACCOUNT)),
    )


def writes(func):
    with CaptureQueriesContext(connection) as ctx:
        func()
    return [
        q["sql"] for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "COPY", "UPDATE", "DELETE"))
    ]  # fmt: skip


@pytest.fixture
def staffed():
    employer = make_employer()
    workers = add_workers(employer, 6)
    services.compute_rights(2025, [employer.id], today=TODAY)
    for i, worker in enumerate(workers):
        add_training(employer, worker, f"R{i}", date(2025, 4, 1), 60 * (i + 1))
    services.refresh_accounts(employer.id, today=TODAY)
    return employer, workers


def test_nothing_changed_writes_nothing(staffed):
    employer, workers = staffed
    before = snapshot()
    assert writes(lambda: services.refresh_accounts(employer.id, today=TODAY)) == []
    assert (
        writes(lambda: services.refresh_accounts(employer.id, [w.id for w in workers], today=TODAY))
        == []
    )
    assert snapshot() == before


def test_a_change_rewrites_that_worker_only_and_equals_a_rebuild(staffed):
    employer, workers = staffed
    ids_before = dict(Account.objects.values_list("worker_id", "id"))
    add_training(employer, workers[2], "NEW", date(2025, 6, 1), 30)
    TrainingRight.objects.filter(worker=workers[4], source="computed").delete()
    services.refresh_accounts(employer.id, [workers[2].id, workers[4].id], today=TODAY)
    incremental = snapshot()
    # Accounts keep their ids across rebuilds.
    assert dict(Account.objects.values_list("worker_id", "id")) == ids_before
    assert Account.objects.get(worker=workers[2]).trainings_count == 2
    # The same rows as a rebuild from nothing (ids of accounts aside).
    CreditLine.objects.all().delete()
    Account.objects.all().delete()
    services.refresh_accounts(employer.id, today=TODAY)
    rebuilt = snapshot()
    assert incremental[0] == rebuilt[0]
    assert [a[1:] for a in incremental[1]] == [a[1:] for a in rebuilt[1]]


def test_rows_no_longer_owed_are_deleted(staffed):
    employer, workers = staffed
    gone = workers[0]
    Training.objects.filter(worker=gone).delete()
    TrainingRight.objects.filter(worker=gone).delete()
    Employment.objects.filter(worker=gone).delete()
    services.refresh_accounts(employer.id, [gone.id], today=TODAY)
    assert not CreditLine.objects.filter(worker=gone).exists()
    assert not Account.objects.filter(worker=gone).exists()
    assert Account.objects.filter(employer=employer).count() == len(workers) - 1


def test_ledgers_are_handed_back(staffed):
    employer, workers = staffed
    ledgers = {}
    services.refresh_accounts(employer.id, [workers[1].id], today=TODAY, ledgers=ledgers)
    ledger = ledgers[(employer.id, workers[1].id)]
    stored = {
        (year, right_type): (granted, used)
        for year, right_type, granted, used in CreditLine.objects.filter(
            worker=workers[1]
        ).values_list("year", "right_type", "granted_minutes", "used_minutes")
    }
    assert {(y, t.value): (x.granted, x.used) for (y, t), x in ledger.lines.items()} == stored


@pytest.mark.parametrize("count", [3, bulk.COPY_FROM + 5])
def test_bulk_insert_upsert_and_within(staffed, count):
    employer, workers = staffed
    worker = workers[0]
    CreditLine.objects.all().delete()
    rows = [(employer.id, worker.id, 2000 + i, "legal", i, 0) for i in range(count)]
    assert bulk.insert(CreditLine, LINE, iter(rows)) == count
    assert bulk.insert(CreditLine, LINE, iter([])) == 0
    assert sorted(CreditLine.objects.values_list(*LINE)) == rows
    changed = [(e, w, y, t, g, 7) for e, w, y, t, g, _ in rows[:2]]
    extra = [(employer.id, worker.id, 1990, "sector", 1, 1)]
    assert bulk.upsert(CreditLine, LINE, LINE[:4], changed + extra) == 3
    assert sorted(CreditLine.objects.values_list(*LINE)) == sorted(extra + changed + rows[2:])
    years = [2000, 2001, 1990, 1234]
    found = CreditLine.objects.filter(bulk.Within(F("year"), years)).values_list("year", flat=True)
    assert sorted(found) == [1990, 2000, 2001]
    assert list(CreditLine.objects.filter(bulk.Within(F("year"), []))) == []


def completed_reads(func):
    """The statements of ``func`` that read completed trainings."""
    with CaptureQueriesContext(connection) as ctx:
        func()
    return [
        q["sql"]
        for q in ctx.captured_queries
        if 'FROM "trainings_training"' in q["sql"] and "completed" in q["sql"]
    ]


def test_a_partial_refresh_holds_a_bounded_number_of_trainings(staffed, monkeypatch):
    """Workers with many trainings on file are refreshed a batch of workers at a time,
    so a chunk's refresh holds about TRAINING_ROWS trainings at once, not all of its
    workers' (a worker with more is alone in his batch), with the same result."""
    employer, workers = staffed
    for i, worker in enumerate(workers):
        for n in range(3):
            add_training(employer, worker, f"M{i}-{n}", date(2025, 2, 1 + n), 30)
    ids = [w.id for w in workers]
    services.refresh_accounts(employer.id, today=TODAY)  # all at once; counts on file: 4 each
    expected = snapshot()
    CreditLine.objects.all().delete()
    Account.objects.update(granted_minutes=0)  # stale figures, the counts kept
    monkeypatch.setattr(services, "TRAINING_ROWS", 9)  # two workers of 4 at a time
    assert (
        len(completed_reads(lambda: services.refresh_accounts(employer.id, ids, today=TODAY))) == 3
    )
    assert snapshot() == expected
    monkeypatch.setattr(services, "TRAINING_ROWS", 2)  # fewer than one worker's: one each
    CreditLine.objects.all().delete()
    assert (
        len(completed_reads(lambda: services.refresh_accounts(employer.id, ids, today=TODAY))) == 6
    )
    assert snapshot() == expected


def test_worker_batches_by_rows():
    assert list(services._by_rows([1, 2, 3, 4], {1: 5, 2: 5, 3: 20}, 10)) == [[1, 2], [3], [4]]
    assert list(services._by_rows([1, 2, 3], {}, 2)) == [[1, 2], [3]]
    assert list(services._by_rows([], {}, 2)) == []
