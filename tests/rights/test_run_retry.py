"""The yearly rights run computes a chunk again when the database rolls it back for a
deadlock or a serialization failure (``fla.core.retry``), in ``compute_rights`` when the
chunk is its own transaction and in the background task's step, which holds the chunk
in its own; inside a caller's transaction the failure is left to that caller. The real
deadlock on PostgreSQL is in test_yearly_run_concurrency.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError, transaction

from fla.audit.models import HistoryEntry
from fla.employers.models import EmployerYear
from fla.ops.models import RightsRun
from fla.rights import services, tasks
from fla.rights.models import TrainingRight
from tests import factories
from tests.core.test_retry import deadlock


def _employer_with_workers():
    employer = factories.make_employer("Herneming")
    for _ in range(2):
        factories.make_worker(employer, start=dt.date(2024, 1, 1))
    EmployerYear.objects.create(employer=employer, year=2025, declared_size_class="20plus")
    return employer


def _failing_once(monkeypatch, module, name):
    """``module.name`` does its work, then fails once with a deadlock (rolled back)."""
    calls = []
    original = getattr(module, name)

    def work_then_deadlock(*args, **kwargs):
        calls.append(1)
        result = original(*args, **kwargs)
        if len(calls) == 1:
            raise deadlock()
        return result

    monkeypatch.setattr(module, name, work_then_deadlock)
    return calls


def _stored(employer):
    rights = sorted(
        TrainingRight.objects.filter(employer=employer, year=2025).values_list(
            "worker_id", "minutes"
        )
    )
    history = HistoryEntry.objects.filter(employer=employer, entity="rights-computation")
    return rights, history.count()


@pytest.mark.django_db(transaction=True)
def test_the_command_computes_a_chunk_rolled_back_by_a_deadlock_again(monkeypatch):
    employer = _employer_with_workers()
    calls = _failing_once(monkeypatch, services, "_compute_rights_chunk")
    counts = services.compute_rights(2025, [employer.id])
    assert len(calls) == 2
    assert (counts["workers"], counts["created"]) == (2, 2)  # counted once
    rights, runs = _stored(employer)
    assert [minutes for _, minutes in rights] == [2280, 2280] and runs == 1


@pytest.mark.django_db(transaction=True)
def test_the_background_step_rolled_back_by_a_deadlock_runs_again(monkeypatch):
    employer = _employer_with_workers()
    run = RightsRun.objects.create(year=2025, total=1, chunk_size=10)
    calls = _failing_once(monkeypatch, tasks, "compute_rights")
    while tasks.step(run.pk):
        pass
    assert len(calls) == 2
    run.refresh_from_db()
    assert run.status == RightsRun.Status.DONE and run.done == 1
    assert (run.counts["workers"], run.counts["created"]) == (2, 2)  # counted once
    rights, runs = _stored(employer)
    assert [minutes for _, minutes in rights] == [2280, 2280] and runs == 1


@pytest.mark.django_db(transaction=True)
def test_inside_a_caller_s_transaction_the_deadlock_is_the_caller_s(monkeypatch):
    employer = _employer_with_workers()
    calls = _failing_once(monkeypatch, services, "_compute_rights_chunk")
    with pytest.raises(OperationalError), transaction.atomic():
        services.compute_rights(2025, [employer.id])
    assert len(calls) == 1
    assert _stored(employer) == ([], 0)
