"""The charts' decimal hours tell, as h:mm in their tooltips, the minutes the pages show."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fla.accounts.access import Caller
from fla.web import queries
from tests.web.conftest import build_employer, declare_training

pytestmark = pytest.mark.django_db


def _tooltip_minutes(decimal_hours: float) -> int:
    """The minutes app.js's tooltip (``hoursMinutes``) writes for a chart's value."""
    return int(abs(decimal_hours) * 60 + 0.5)


def test_the_charts_hold_the_minutes_their_tooltips_and_table_tell():
    employer, workers = build_employer(3, trainings=0)
    today = timezone.localdate()
    day = dt.date(today.year, today.month, 1).isoformat()
    caller = Caller.for_system("tests")
    # 1:40 and 0:20 of training this month: 2:00 in all, an average of 0:40 a worker.
    for worker, reference, minutes in ((workers[0], "C-1", 100), (workers[1], "C-2", 20)):
        declare_training(
            caller,
            employer,
            worker,
            reference,
            start_date=day,
            end_date=day,
            duration_minutes=minutes,
        )
    declare_training(
        caller, employer, workers[2], "C-3", start_date=day, end_date=day, duration_minutes=7
    )
    charts = queries.compute_charts(employer.pk, today)
    year, total, average = charts.year_rows[-1]
    assert (year, total) == (today.year, 127)
    assert _tooltip_minutes(charts.per_year["total"][-1]) == total
    assert _tooltip_minutes(charts.per_year["average"][-1]) == average
    assert _tooltip_minutes(charts.per_month["total"][-1]) == total
    worker_chart = queries.worker_hours_per_year(employer.pk, workers[0].pk, today)
    assert _tooltip_minutes(worker_chart["total"][-1]) == 100
