"""Concurrent declarations for the same worker or reference: no error, no duplicate."""

import datetime as dt
import threading

import pytest
from django.db import connection

from fla.accounts.access import Caller
from fla.declarations.services import submit
from fla.rights.models import Account, CreditLine
from fla.trainings.models import Training
from tests import factories
from tests.declarations.conftest import TODAY, training

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(functions):
    errors, barrier = [], threading.Barrier(len(functions))

    def wrap(function):
        try:
            barrier.wait()
            function()
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.fixture
def world():
    employer = factories.make_employer()
    worker = factories.make_worker(employer, start=dt.date(2024, 1, 1))
    user = factories.make_user()
    factories.grant(user, employer)
    return employer, worker, Caller.for_user(user)


def test_different_trainings_of_one_worker_at_once(world):
    employer, worker, caller = world
    errors = run_concurrently(
        [
            (
                lambda i=i: submit(
                    caller, [training(employer, worker, f"C-{i}", title=f"T {i}")], today=TODAY
                )
            )
            for i in range(6)
        ]
    )
    assert errors == []
    assert Training.objects.count() == 6
    used = sum(CreditLine.objects.values_list("used_minutes", flat=True))
    assert used == 6 * 450
    assert Account.objects.filter(worker=worker).count() == 1


def test_same_reference_at_once_is_one_training(world):
    employer, worker, caller = world
    errors = run_concurrently(
        [
            (lambda: submit(caller, [training(employer, worker, "SAME")], today=TODAY))
            for _ in range(5)
        ]
    )
    assert errors == []
    assert Training.objects.filter(reference="SAME").count() == 1
    assert Training.objects.get(reference="SAME").version == 1
