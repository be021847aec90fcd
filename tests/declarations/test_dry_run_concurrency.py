"""Dry runs cut into several chunks, at the same time, for the same workers.

A dry run applies its chunks in one transaction and keeps the locks of each until its
end: two of them that lock the same workers in opposite orders deadlock. The one
PostgreSQL picks is rolled back whole and runs again once the other is done.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from fla.accounts.access import Caller
from fla.declarations import services
from fla.declarations.types import Declaration
from tests import factories
from tests.api.conftest import training_body
from tests.declarations.test_concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def _renamed(number: str, worker) -> Declaration:
    zones = {"insz": worker.insz, "first_name": worker.first_name, "last_name": "Nieuw"}
    return Declaration("worker", number, zones)


def _training(number: str, worker, reference: str) -> Declaration:
    return Declaration("training", number, {**training_body(worker.insz), "reference": reference})


def test_two_dry_runs_locking_the_same_workers_in_opposite_orders_both_answer(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    employer = factories.make_employer("Orde")
    number = employer.enterprise_number
    first, second = (factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in "12")
    runs = {
        # A worker declaration after a training of the same worker starts a chunk: two
        # chunks each, the first locking one worker, the second both.
        "A": [_training(number, first, "A1"), _renamed(number, first),
              _training(number, second, "A2")],
        "B": [_training(number, second, "B1"), _renamed(number, second),
              _training(number, first, "B2")],
    }  # fmt: skip
    assert [len(chunk) for chunk in services.in_order(runs["A"], 2000)] == [1, 2]
    # Both runs hold the lock of their first chunk before either takes its second.
    both_locked = threading.Barrier(2)
    run, seen = services._Session.run, threading.local()

    def run_then_wait(self, chunk):
        outcomes = run(self, chunk)
        if not getattr(seen, "first", False):
            seen.first = True
            both_locked.wait(20)
        return outcomes

    monkeypatch.setattr(services._Session, "run", run_then_wait)
    answers = {}

    def dry_run(side: str):
        def run_it():
            answers[side] = services.submit(Caller.for_system("test"), runs[side], dry_run=True)

        return run_it

    assert run_concurrently([dry_run(side) for side in runs]) == []
    assert all(outcome.accepted for side in runs for outcome in answers[side])
