"""The yearly rights computation (``fla compute-rights`` and its background task)
rebuilds the credit of every worker whose computed rights it changes. A training of one
of them, declared by another transaction that commits while the run is under way, must
end up in that worker's credit: the run locks the workers of each chunk of employers
before it reads them, so it waits for the training and reads it, instead of writing over
it figures computed without it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from fla.accounts.access import Caller
from fla.declarations import services
from fla.employers.models import EmployerYear
from fla.ops.models import RightsRun
from fla.rights.models import TrainingRight
from fla.rights.tasks import step
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


@pytest.mark.parametrize("run_the_year", [_command, _task], ids=["command", "task"])
def test_a_training_committed_while_the_year_is_computed_is_counted(monkeypatch, run_the_year):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    # Another employer first in the run: the training's is computed in a later chunk.
    factories.make_worker(factories.make_employer("Eerst"), start=dt.date(2024, 1, 1))
    employer = factories.make_employer("Jaarlijks")
    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(3)]
    EmployerYear.objects.create(employer=employer, year=2025, declared_size_class="20plus")
    assert not TrainingRight.objects.filter(employer=employer, year=2025).exists()

    written, go_on = _pause_after_the_training(monkeypatch)
    answers = {}

    def declare_training():
        answers["training"] = services.submit(
            Caller.for_system("test"),
            [training(employer, workers[1], duration_minutes=600)],
            today=TODAY,
        )

    def compute_the_year():
        written.wait(30)
        run_the_year()

    def release():
        written.wait(30)
        # The run is under way and waits for the training's transaction.
        answers["waited"] = _waits_on_a_lock()
        go_on.set()

    assert run_concurrently([declare_training, compute_the_year, release]) == []
    assert answers["waited"]
    assert answers["training"][0].accepted
    # 20 FTE or more declared: a legal right of 5 days (38:00) each, of which the
    # training used 10:00.
    lines, accounts = stored_credit(employer)
    assert [line for line in lines if line[1] == 2025] == [
        (workers[0].pk, 2025, "legal", 2280, 0),
        (workers[1].pk, 2025, "legal", 2280, 600),
        (workers[2].pk, 2025, "legal", 2280, 0),
    ]
    assert (lines, accounts) == rebuilt_credit(employer)
