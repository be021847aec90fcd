"""A chunk of many new trainings (written by COPY with ids taken from the sequence on
PostgreSQL) answers and records exactly what the same trainings written a few at a
time (one INSERT ... RETURNING each) do."""

from __future__ import annotations

import pytest

from fla.accounts.access import Caller
from fla.audit.models import HistoryEntry
from fla.core import bulk
from fla.declarations.services import submit
from fla.trainings.models import Training
from tests import factories
from tests.declarations.conftest import TODAY, training

pytestmark = pytest.mark.django_db

COUNT = bulk.COPY_FROM + 10


def declarations(employer, workers, prefix: str) -> list:
    return [
        training(
            employer,
            workers[i % len(workers)],
            reference=f"{prefix}-{i}",
            title=f"Course {i % 7}",
            start_date=f"2025-03-{1 + i % 28:02d}",
            end_date=f"2025-03-{1 + i % 28:02d}",
            duration_minutes=60 + i,
        )
        for i in range(COUNT)
    ]


def written(employer, workers, prefix: str, outcomes) -> list:
    """What each declaration answered and left behind, without the ids themselves."""
    stored = {
        t.reference: t
        for t in Training.objects.filter(employer=employer, reference__startswith=f"{prefix}-")
    }
    history = {
        h.entity_id: h for h in HistoryEntry.objects.filter(employer=employer, entity="training")
    }
    result = []
    for outcome in outcomes:
        reference = outcome.declaration.data["reference"]
        row = stored[reference]
        entry = history[str(row.pk)]
        assert outcome.object_id == row.pk and outcome.version == row.version == 1
        assert entry.action == "create" and entry.before is None
        position = [w.pk for w in workers].index(row.worker_id)
        assert entry.after["insz"] == workers[position].insz
        after = {**entry.after, "reference": reference[len(prefix) :], "insz": position}
        result.append(
            (
                outcome.status,
                [f.code for f in outcome.findings],
                row.warnings,
                position,
                row.start_date,
                row.duration_minutes,
                after,
            )
        )
    return result


def test_many_new_trainings_at_once_as_a_few_at_a_time(employer, user):
    workers = [factories.make_worker(employer) for _ in range(4)]
    other = factories.make_employer("Bakkerij Janssens")
    factories.grant(user, other, "declare")
    other_workers = [factories.make_worker(other) for _ in workers]
    caller = Caller.for_user(user)
    at_once = submit(caller, declarations(employer, workers, "A"), today=TODAY)
    few = submit(caller, declarations(other, other_workers, "B"), today=TODAY, chunk_size=5)
    assert len(at_once) == len(few) == COUNT
    assert written(employer, workers, "A", at_once) == written(other, other_workers, "B", few)
    ids = [o.object_id for o in at_once]
    assert len(set(ids)) == COUNT
