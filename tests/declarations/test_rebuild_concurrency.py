"""An employer's opt-out of a year, or a hire that moves its size class, rebuilds the
credit of all its workers (``_Chunk.rebuild_credit``, ``rights.compute_rights``). A training of one of them, declared by another transaction
that commits while the opt-out is applied, must end up in that worker's credit: the
rebuild locks the workers before it reads them, so it waits for the training and reads
it, instead of writing over it figures computed without it."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections

from fla.accounts.access import Caller
from fla.declarations import services
from fla.declarations.types import Declaration
from fla.employers.models import EmployerYear
from fla.rights.services import compute_rights
from tests import factories
from tests.declarations.conftest import TODAY, rebuilt_credit, stored_credit, training
from tests.declarations.test_concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def _year(employer, **zones) -> Declaration:
    # Declared 20 FTE or more: each worker's computed legal right of 2025 is 38:00.
    data = {"year": 2025, "size_class": "20plus", **zones}
    return Declaration("employer_year", employer.enterprise_number, data)


def _waits_on_a_lock(timeout: float = 20) -> bool:
    """Whether another backend of this database comes to wait on a lock."""
    with connections["default"].cursor() as cursor:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


def _pause_after_the_training(monkeypatch, then=None):
    """The training's transaction waits, its credit written, until ``go_on``; then does
    ``then()`` (if given) in that transaction before it goes on."""
    written, go_on = threading.Event(), threading.Event()
    rebuild = services._Chunk.rebuild_credit

    def rebuild_then_wait(self):
        rebuild(self)
        if any(p.declaration.kind == "training" for p in self.parsed):
            written.set()
            go_on.wait(30)
            if then is not None:
                then()

    monkeypatch.setattr(services._Chunk, "rebuild_credit", rebuild_then_wait)
    return written, go_on


def test_a_training_committed_while_an_opt_out_is_applied_is_counted(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    employer = factories.make_employer("Uitstap")
    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(3)]
    caller = Caller.for_system("test")
    assert services.submit(caller, [_year(employer)], today=TODAY)[0].accepted

    written, go_on = _pause_after_the_training(monkeypatch)
    answers = {}

    def declare_training():
        answers["training"] = services.submit(
            caller, [training(employer, workers[1], duration_minutes=600)], today=TODAY
        )

    def opt_out():
        written.wait(30)
        answers["opt_out"] = services.submit(caller, [_year(employer, opt_out=True)],
                                             today=TODAY)  # fmt: skip

    def release():
        written.wait(30)
        # The opt-out is under way and waits for the training's transaction.
        answers["waited"] = _waits_on_a_lock()
        go_on.set()

    assert run_concurrently([declare_training, opt_out, release]) == []
    assert answers["waited"]
    assert answers["training"][0].accepted and answers["opt_out"][0].accepted
    lines, accounts = stored_credit(employer)
    assert (workers[1].pk, 2025, "legal", 0, 600) in lines
    assert (lines, accounts) == rebuilt_credit(employer)


def _hire(employer, insz, regime):
    employment = {"start_date": "2024-01-01", "regime": regime, "joint_committee": "200"}
    data = {"insz": insz, "first_name": "An", "last_name": "Maes", "employment": employment}
    return Declaration("worker", employer.enterprise_number, data)


def test_a_training_committed_while_a_hire_moves_the_size_class_is_counted(monkeypatch):
    """The same for a hire that moves the employer to another size class: every worker's
    computed right changes, and their credit is rebuilt by the rights' computation."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    employer = factories.make_employer("Groei")
    known = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(13)]
    for year in (2024, 2025):
        compute_rights(year, [employer.pk], today=TODAY)
    assert EmployerYear.objects.get(employer=employer, year=2025).computed_size_class == "lt10"
    caller = Caller.for_system("test")
    hires = [
        _hire(employer, factories.make_insz(dt.date(1991, 5, 1)), "0.25"),
        _hire(employer, factories.make_insz(dt.date(1992, 5, 1)), "0.25"),
    ]  # 10.125 FTE with both: 10 to 19 in 2025
    written, go_on = _pause_after_the_training(monkeypatch)
    answers = {}

    def declare_training():
        answers["training"] = services.submit(
            caller, [training(employer, known[0], duration_minutes=600)], today=TODAY
        )

    def hire():
        written.wait(30)
        answers["hires"] = services.submit(caller, hires, today=TODAY)

    def release():
        written.wait(30)
        answers["waited"] = _waits_on_a_lock()
        go_on.set()

    assert run_concurrently([declare_training, hire, release]) == []
    assert answers["waited"]
    assert all(o.accepted for o in answers["training"] + answers["hires"])
    assert EmployerYear.objects.get(employer=employer, year=2025).computed_size_class == "10to19"
    lines, accounts = stored_credit(employer)
    assert [line[-1] for line in lines if line[0] == known[0].pk and line[1] == 2025] == [600]
    assert (lines, accounts) == rebuilt_credit(employer)
