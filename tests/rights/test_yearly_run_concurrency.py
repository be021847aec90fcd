"""The yearly rights computation (``fla compute-rights`` and its background task)
rebuilds the credit of every worker whose computed rights it changes. A training of one
of them, declared by another transaction that commits while the run is under way, must
end up in that worker's credit: the run locks the workers of each chunk of employers
before it reads them, so it waits for the training and reads it, instead of writing over
it figures computed without it."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from django.core.management import call_command
from django.db import connection

from fla.accounts.access import Caller
from fla.declarations import services
from fla.employers.models import EmployerYear
from fla.ops.models import RightsRun
from fla.rights.models import TrainingRight
from fla.rights.tasks import step
from fla.workers.models import Worker
from tests import factories
from tests.declarations.conftest import rebuilt_credit, stored_credit, training
from tests.declarations.test_concurrency import run_concurrently
from tests.declarations.test_rebuild_concurrency import (
    _pause_after_the_training,
    _waits_on_a_lock,
)

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = dt.date(2025, 11, 15)


def _command():
    call_command("compute_rights", "--year", "2025", "--chunk-size", "1")


def _task():
    run = RightsRun.objects.create(year=2025, total=2, chunk_size=1)
    while step(run.pk):
        pass


def _world():
    """Another employer first in the run (the training's is computed in a later chunk),
    then the training's employer, with three workers and 20 FTE or more declared."""
    factories.make_worker(factories.make_employer("Eerst"), start=dt.date(2024, 1, 1))
    employer = factories.make_employer("Jaarlijks")
    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(3)]
    EmployerYear.objects.create(employer=employer, year=2025, declared_size_class="20plus")
    assert not TrainingRight.objects.filter(employer=employer, year=2025).exists()
    return employer, workers


def _declare_while_the_year_is_computed(employer, worker, run_the_year, paused, *, lag=0.0):
    """A training of ``worker`` declared and paused (``paused``: the events of
    ``_pause_after_the_training``), the year computed meanwhile; the declaration goes on
    ``lag`` seconds after the run comes to wait for it."""
    written, go_on = paused
    answers = {}

    def declare_training():
        answers["training"] = services.submit(
            Caller.for_system("test"),
            [training(employer, worker, duration_minutes=600)],
            today=TODAY,
        )

    def compute_the_year():
        written.wait(30)
        run_the_year()

    def release():
        written.wait(30)
        answers["waited"] = _waits_on_a_lock()
        time.sleep(lag)
        go_on.set()

    assert run_concurrently([declare_training, compute_the_year, release]) == []
    assert answers["waited"]
    assert answers["training"][0].accepted


def _assert_the_training_is_counted(employer, workers, trained):
    """A legal right of 5 days (38:00) each, of which the training used 10:00 of the
    ``trained`` worker's; the stored credit is what a rebuild makes."""
    lines, accounts = stored_credit(employer)
    assert [line for line in lines if line[1] == 2025] == [
        (worker.pk, 2025, "legal", 2280, 600 if worker == trained else 0) for worker in workers
    ]
    assert (lines, accounts) == rebuilt_credit(employer)


@pytest.mark.parametrize("run_the_year", [_command, _task], ids=["command", "task"])
def test_a_training_committed_while_the_year_is_computed_is_counted(monkeypatch, run_the_year):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    employer, workers = _world()
    # The run is under way and waits for the training's transaction.
    paused = _pause_after_the_training(monkeypatch)
    _declare_while_the_year_is_computed(employer, workers[1], run_the_year, paused)
    _assert_the_training_is_counted(employer, workers, workers[1])


@pytest.mark.parametrize("run_the_year", [_command, _task], ids=["command", "task"])
def test_a_run_caught_in_a_deadlock_with_a_declaration_computes_its_chunk_again(
    monkeypatch, caplog, run_the_year
):
    """A declaration that holds one worker of the employer and then locks another one
    that the run, locking them in pk order, took before it: PostgreSQL breaks the
    deadlock by rolling back the run's chunk (the run waited first, so its check finds
    the deadlock first); the chunk is computed again, after the training, and counts it."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time: no deadlock")
    employer, workers = _world()

    def lock_the_first_worker():
        # In the other order: the run holds it and waits for the last worker.
        list(Worker.objects.filter(pk=workers[0].pk).select_for_update().values_list("pk"))

    paused = _pause_after_the_training(monkeypatch, then=lock_the_first_worker)
    with caplog.at_level(logging.WARNING, logger="fla.core.retry"):
        # The declaration comes to wait well after the run (PostgreSQL's
        # deadlock_timeout, 1 s by default, runs out for the run first, whose check
        # then rolls the run back).
        _declare_while_the_year_is_computed(employer, workers[2], run_the_year, paused, lag=0.5)
    retries = [r.getMessage() for r in caplog.records if r.name == "fla.core.retry"]
    assert len(retries) == 1, retries
    assert "SQLSTATE 40P01" in retries[0] and "rights" in retries[0], retries
    assert not any(w.insz in caplog.text for w in workers)
    _assert_the_training_is_counted(employer, workers, workers[2])
    assert not RightsRun.objects.filter(status=RightsRun.Status.FAILED).exists()
