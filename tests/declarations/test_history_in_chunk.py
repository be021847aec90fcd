"""A worker declared twice in one chunk (a new worker, then his name or employment
corrected) has the history of one declaration at a time: the create with what the
first declared, then the updates."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import transaction

from fla.audit.models import HistoryEntry
from fla.declarations.services import in_order, submit
from fla.declarations.types import Declaration
from tests import factories
from tests.declarations.conftest import TODAY


class _Back(Exception):
    pass


def _history(caller, declarations, employer, **kwargs):
    try:
        with transaction.atomic():
            submit(caller, declarations, today=TODAY, **kwargs)
            counts = Counter(
                HistoryEntry.objects.filter(employer=employer).values_list("entity", "action")
            )
            raise _Back
    except _Back:
        return counts


def test_a_worker_corrected_after_another_workers_training(employer, caller, worker):
    number = employer.enterprise_number
    insz = factories.make_insz(dt.date(1990, 5, 1))
    employment = {"start_date": "2025-03-01", "regime": "1", "joint_committee": "200"}
    declarations = [
        Declaration(
            "worker",
            number,
            {"insz": insz, "first_name": "An", "last_name": "Mas", "employment": employment},
        ),
        Declaration(
            "training",
            number,
            {
                "reference": "T-1",
                "insz": worker.insz,
                "title": "EHBO",
                "kind": "formal",
                "start_date": "2025-03-10",
                "end_date": "2025-03-10",
                "duration_minutes": 120,
                "status": "completed",
            },
        ),
        Declaration(
            "worker",
            number,
            {
                "insz": insz,
                "first_name": "An",
                "last_name": "Maes",
                "employment": {**employment, "regime": "0.5"},
            },
        ),
    ]
    assert [len(c) for c in in_order(declarations, 2000)] == [3]
    one = _history(caller, declarations, employer, chunk_size=1)
    whole = _history(caller, declarations, employer)
    assert whole == one
