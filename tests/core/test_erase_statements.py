"""fla erase-expired anonymises history in a few statements of bounded size.

It built one UPDATE per employer whose condition named, for every leaving worker, all
the employer's expired trainings and employments (workers x trainings ids: on the demo
data the statement ran for more than 25 minutes), and one UPDATE per expired training of
the workers who stay."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fla.audit.models import HistoryEntry
from fla.core.choices import Channel
from fla.core.privacy import erase_expired
from tests.api.conftest import declare_training
from tests.factories import make_employer, make_worker

pytestmark = pytest.mark.django_db

OLD = {"start_date": "2024-03-01", "end_date": "2024-03-02"}


def history(employer, entity, entity_id):
    return HistoryEntry.objects.create(
        at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC), employer=employer, entity=entity,
        entity_id=entity_id, action="set", channel=Channel.API, actor="test",
        before={"minutes": 1}, after={"minutes": 2},
    )  # fmt: skip


def test_history_is_anonymised_in_few_bounded_statements():
    employer = make_employer()
    leavers = [make_worker(employer, end=dt.date(2024, 6, 30)) for _ in range(12)]
    for i, worker in enumerate(leavers):
        declare_training(employer, worker, f"L-{i}-1", **OLD)
        declare_training(employer, worker, f"L-{i}-2", **OLD)
    stays = make_worker(employer)
    for i in range(10):
        declare_training(employer, stays, f"S-{i}", **OLD)
    rights = [history(employer, "rights", f"{w.pk}:2024") for w in leavers]
    # Not about a leaver, though a leaver's id starts it.
    other = history(employer, "rights", f"{leavers[0].pk}999:2024")
    kept = history(employer, "rights", f"{stays.pk}:2024")

    with CaptureQueriesContext(connection) as queries:
        counts = erase_expired(today=dt.date(2035, 1, 1), years=10)  # cut-off 2025-01-01

    assert counts["trainings"] == 34 and counts["workers"] == 12
    for entry in rights:
        entry.refresh_from_db()
        assert entry.before is None and entry.after is None
    for entry in (other, kept):
        entry.refresh_from_db()
        assert entry.before == {"minutes": 1}
    updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "audit_historyentry"')
    ]
    # training, employment, worker and rights entries of the leavers; the trainings of
    # the worker who stays; the workers no employer holds anything on any more.
    assert len(updates) <= 6, len(updates)
    named = sum(len(re.findall(r"'\d+'", sql)) for sql in updates)
    # 24 + 10 trainings, 12 employments, 12 workers (their entries, their rights', and
    # as workers removed).
    assert named <= 2 * (34 + 12 + 3 * 12), named
