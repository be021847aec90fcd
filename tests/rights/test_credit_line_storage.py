"""The credit lines are updated in place: PostgreSQL's HOT updates.

Every declaration changes its worker's credit lines (granted and used minutes, which
no index holds). With room left on their pages (``fillfactor``, migration
``rights.0004``), PostgreSQL writes the new version beside the old one and touches no
index; on full pages each update adds an entry to every index of the table.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F

from fla.rights.models import CreditLine
from fla.workers.models import Worker
from tests import factories

pytestmark = pytest.mark.django_db

LINES = 1000  # some ten pages of credit lines


def _counts() -> tuple[int, int]:
    """Updates and HOT updates of the credit lines in the current transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass),"
            " pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [CreditLine._meta.db_table] * 2,
        )
        return cursor.fetchone()


def test_most_updates_of_credit_lines_touch_no_index():
    if connection.vendor != "postgresql":
        pytest.skip("HOT updates and fillfactor are PostgreSQL's")
    employer = factories.make_employer()
    workers = Worker.objects.bulk_create(
        Worker(
            insz=factories.make_insz(
                dt.date(1980, 1, 1) + dt.timedelta(days=i // 900), i % 900 + 1
            ),
            first_name="Jan",
            last_name=f"Peeters {i}",
        )
        for i in range(LINES)
    )
    CreditLine.objects.bulk_create(
        CreditLine(employer=employer, worker=w, year=2025, right_type="legal", granted_minutes=2280)
        for w in workers
    )
    updated0, hot0 = _counts()

    CreditLine.objects.filter(employer=employer).update(used_minutes=F("used_minutes") + 450)

    updated, hot = (a - b for a, b in zip(_counts(), (updated0, hot0), strict=True))
    assert updated == LINES
    # A page filled to 70 % takes the new versions of some 40 % of its lines in one pass
    # (more across transactions, as old versions are pruned); a full page, none.
    assert hot >= LINES * 0.3, (hot, updated)
