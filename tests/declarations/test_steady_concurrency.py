"""A chunk works out from the employments it reads (without a lock) that its hire leaves
the employer's size class as it was (``_Chunk.check_steady``); should another
transaction's hire commit before the chunk computes its rights, the chunk's own hire
may move the class after all, under a training declared before it. The chunk finds
that at its end (``_Chunk.check_foreseen``) and is applied again cut before its hire,
so that it answers what some order of the two one after the other answers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from fla.accounts.access import Caller
from fla.declarations import services
from fla.declarations.types import Declaration
from fla.employers.models import EmployerYear
from fla.rights.services import compute_rights
from tests import factories
from tests.declarations.test_concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = dt.date(2025, 11, 15)


def _training(number, insz, reference):
    return Declaration(
        "training",
        number,
        {
            "reference": reference,
            "insz": insz,
            "title": "Heftruck",
            "kind": "formal",
            "start_date": "2025-05-12",
            "end_date": "2025-05-12",
            "duration_minutes": 120,
            "status": "completed",
        },
    )


def _hire(number, insz, regime):
    return Declaration(
        "worker",
        number,
        {
            "insz": insz,
            "first_name": "An",
            "last_name": "Maes",
            "employment": {"start_date": "2024-01-01", "regime": regime, "joint_committee": "200"},
        },
    )


def _codes(outcomes):
    return [sorted(f.code for f in o.findings) for o in outcomes]


def test_a_hire_committed_meanwhile_that_moves_the_class_cuts_the_chunk(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    employer = factories.make_employer("Groei")
    number = employer.enterprise_number
    known = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(13)]
    for year in (2024, 2025):
        compute_rights(year, [employer.pk], today=TODAY)
    assert EmployerYear.objects.get(employer=employer, year=2025).computed_size_class == "lt10"
    b = factories.make_insz(dt.date(1991, 5, 1))
    c = factories.make_insz(dt.date(1992, 5, 1))
    x = [_training(number, known[0].insz, "A"), _hire(number, b, "0.25")]  # 9.9375 alone
    y = [_hire(number, c, "0.25")]  # 9.9375 alone, 10.125 with B

    checked, y_done = threading.Event(), threading.Event()
    check = services._Chunk.check_steady

    def check_then_wait(self):
        check(self)
        if any(p.declaration.kind == "training" for p in self.parsed):
            checked.set()
            y_done.wait(20)

    monkeypatch.setattr(services._Chunk, "check_steady", check_then_wait)
    answers = {}

    def run_x():
        answers["x"] = services.submit(Caller.for_system("test"), x, today=TODAY)

    def run_y():
        checked.wait(20)
        try:
            answers["y"] = services.submit(Caller.for_system("test"), y, today=TODAY)
        finally:
            y_done.set()

    assert run_concurrently([run_x, run_y]) == []
    # Serially, X then Y or Y then X, the training is judged at fewer than 10 FTE
    # (no legal right): W003 either way.
    assert _codes(answers["x"])[0] == ["W003"]


def test_serially_the_training_gets_w003_in_either_order():
    employer = factories.make_employer("Groei")
    number = employer.enterprise_number
    known = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(13)]
    for year in (2024, 2025):
        compute_rights(year, [employer.pk], today=TODAY)
    b = factories.make_insz(dt.date(1991, 5, 1))
    c = factories.make_insz(dt.date(1992, 5, 1))
    x = [_training(number, known[0].insz, "A"), _hire(number, b, "0.25")]
    y = [_hire(number, c, "0.25")]
    caller = Caller.for_system("test")
    # X then Y, and Y then X, each one at a time (dry runs of the whole sequence).
    xy = services.submit(caller, x + y, today=TODAY, dry_run=True, chunk_size=1)
    yx = services.submit(caller, y + x, today=TODAY, dry_run=True, chunk_size=1)
    assert _codes(xy)[0] == ["W003"]
    assert _codes(yx)[1] == ["W003"]
    # and X alone, whole, as the chunk applies it
    assert _codes(services.submit(caller, x, today=TODAY, dry_run=True))[0] == ["W003"]
