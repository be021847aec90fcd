"""Trainings appended to a worker's file continue his stored credit instead of
re-reading all his trainings; the result is the one a rebuild from scratch gives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fla.declarations.services import submit
from fla.rights import rules
from fla.rights.models import Account, CreditLine, TrainingRight
from fla.rights.services import refresh_accounts
from fla.trainings.models import Training
from tests import factories
from tests.declarations.conftest import TODAY, training

pytestmark = pytest.mark.django_db


def derived(employer):
    lines = sorted(
        CreditLine.objects.filter(employer=employer).values_list(
            "worker_id", "year", "right_type", "granted_minutes", "used_minutes"
        )
    )
    accounts = sorted(
        Account.objects.filter(employer=employer).values_list(
            "worker_id", "granted_minutes", "used_legal_minutes", "used_sector_minutes",
            "remaining_minutes", "trainings_count", "last_training_end",
        )
    )  # fmt: skip
    return lines, accounts


def reads_all_trainings(queries) -> bool:
    """Did the refresh read the workers' completed trainings (the rebuild from scratch)?"""
    return any('FROM "trainings_training"' in q["sql"] and "completed" in q["sql"] for q in queries)


def assert_same_as_rebuilt(employer):
    before = derived(employer)
    refresh_accounts(employer.pk, today=TODAY)
    assert derived(employer) == before


def test_appended_trainings_continue_the_stored_credit(employer, caller):
    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(3)]
    for worker in workers:
        factories.grant_right(employer, worker, minutes=600)
        refresh_accounts(employer.pk, [worker.pk], today=TODAY)

    def declare(reference, start, end, minutes, **zones):
        return submit(caller, [
            training(employer, w, f"{reference}-{i}", start_date=start, end_date=end,
                     duration_minutes=minutes, **zones)
            for i, w in enumerate(workers)
        ], today=TODAY)  # fmt: skip

    assert all(o.accepted for o in declare("A", "2025-03-03", "2025-03-03", 240))
    assert_same_as_rebuilt(employer)
    # Later trainings: the stored lines are continued, no training is read again.
    with CaptureQueriesContext(connection) as ctx:
        outcomes = declare("B", "2025-04-07", "2025-04-07", 300)
    assert all(o.accepted for o in outcomes)
    assert not reads_all_trainings(ctx.captured_queries)
    assert_same_as_rebuilt(employer)
    # Beyond the credit: the warning comes from the continued ledger as well.
    with CaptureQueriesContext(connection) as ctx:
        outcomes = declare("C", "2025-05-05", "2025-05-05", 120)
    assert not reads_all_trainings(ctx.captured_queries)
    assert [f.code for f in outcomes[0].findings] == ["W003"]
    assert_same_as_rebuilt(employer)
    assert derived(employer)[1][0][4] == 600 - 660  # remaining -1:00
    # An earlier training changes the order of charging: rebuilt from scratch.
    with CaptureQueriesContext(connection) as ctx:
        declare("D", "2025-01-06", "2025-01-06", 60, right_type="legal")
    assert reads_all_trainings(ctx.captured_queries)
    assert_same_as_rebuilt(employer)
    # Rights changed behind the stored lines' back: they no longer match, so rebuilt.
    TrainingRight.objects.filter(employer=employer).update(minutes=900)
    with CaptureQueriesContext(connection) as ctx:
        declare("E", "2025-06-02", "2025-06-02", 30)
    assert reads_all_trainings(ctx.captured_queries)
    assert_same_as_rebuilt(employer)


def test_a_replace_or_cancel_rebuilds_from_scratch(employer, worker, caller):
    submit(caller, [training(employer, worker, "R-1")], today=TODAY)
    with CaptureQueriesContext(connection) as ctx:
        submit(caller, [training(employer, worker, "R-1", action="replace",
                                 duration_minutes=300)], today=TODAY)  # fmt: skip
    assert reads_all_trainings(ctx.captured_queries)
    assert_same_as_rebuilt(employer)
    with CaptureQueriesContext(connection) as ctx:
        submit(caller, [training(employer, worker, "R-1", action="cancel")], today=TODAY)
    assert reads_all_trainings(ctx.captured_queries)
    assert_same_as_rebuilt(employer)


def worker_with_ten_hours(employer):
    """A worker with 10:00 of legal credit for 2025, his account up to date."""
    worker = factories.make_worker_with_right(employer, minutes=600)
    refresh_accounts(employer.pk, [worker.pk], today=TODAY)
    return worker


def dated_trainings(employer, worker, days_and_minutes):
    """One-day trainings T0, T1, ... on those days of those minutes."""
    return [
        training(employer, worker, f"T{i}", start_date=day, end_date=day, duration_minutes=m)
        for i, (day, m) in enumerate(days_and_minutes)
    ]


IN_ORDER = [("2025-02-03", 240), ("2025-03-03", 240), ("2025-04-07", 240), ("2025-05-05", 60)]
SHUFFLED = [("2025-04-07", 240), ("2025-02-03", 240), ("2025-05-05", 60), ("2025-03-03", 240)]


@pytest.mark.parametrize(
    "trainings, expected",
    [
        (IN_ORDER, [None, None, "-2:00", "-3:00"]),
        # Out of charging order: the credit is exceeded only by the last one declared.
        (SHUFFLED, [None, None, None, "-3:00"]),
    ],
)
@pytest.mark.parametrize("together", [True, False])
def test_trainings_of_a_worker_submitted_together_are_judged_one_after_the_other(
    employer, caller, together, trainings, expected
):
    """W003 as if each training had come alone, in the order declared: written in one
    chunk or one by one, the same trainings carry it (BATCH chunks and partitions)."""
    worker = worker_with_ten_hours(employer)
    declarations = dated_trainings(employer, worker, trainings)
    if together:
        outcomes = submit(caller, declarations, today=TODAY)
    else:
        outcomes = [submit(caller, [d], today=TODAY)[0] for d in declarations]
    got = [
        next((f.params["remaining"] for f in o.findings if f.code == "W003"), None)
        for o in outcomes
    ]
    assert got == expected
    warnings = [["W003"] if remaining else [] for remaining in expected]
    assert list(Training.objects.order_by("reference").values_list("warnings", flat=True)) == (
        warnings
    )


def test_many_trainings_out_of_order_are_judged_on_the_credit_after_all(
    employer, caller, monkeypatch
):
    monkeypatch.setattr(rules, "EACH_LIMIT", 3)
    worker = worker_with_ten_hours(employer)
    declarations = dated_trainings(employer, worker, SHUFFLED)
    outcomes = submit(caller, declarations, today=TODAY)
    assert [[f.params["remaining"] for f in o.findings] for o in outcomes] == [["-3:00"]] * 4


@pytest.mark.parametrize("cancel_first", [False, True])
@pytest.mark.parametrize("together", [True, False])
def test_a_cancel_written_with_other_trainings_counts_from_where_it_was_declared(
    employer, caller, together, cancel_first
):
    worker = worker_with_ten_hours(employer)
    old = training(employer, worker, "OLD", start_date="2025-01-06", end_date="2025-01-06",
                   duration_minutes=480)  # fmt: skip
    assert submit(caller, [old], today=TODAY)[0].accepted
    new = training(employer, worker, "NEW", start_date="2025-02-03", end_date="2025-02-03",
                   duration_minutes=240)  # fmt: skip
    cancel = training(employer, worker, "OLD", action="cancel")
    declarations = [cancel, new] if cancel_first else [new, cancel]
    if together:
        outcomes = submit(caller, declarations, today=TODAY)
    else:
        outcomes = [submit(caller, [d], today=TODAY)[0] for d in declarations]
    judged = outcomes[1] if cancel_first else outcomes[0]
    # Before the cancel the credit is 2:00 over; after it, 6:00 is left.
    expected = [] if cancel_first else [("W003", "-2:00")]
    assert [(f.code, f.params["remaining"]) for f in judged.findings] == expected


def test_a_line_of_nothing_granted_nor_used_that_is_no_right_is_not_continued(employer, caller):
    """A line left from a right that no longer counts (an opt-out stored without its
    credit rebuilt) is not continued: the worker's credit is rebuilt from scratch."""
    from fla.employers.models import EmployerYear
    from fla.rights.services import compute_rights

    worker = factories.make_worker(employer, start=dt.date(2024, 1, 1))
    for year in (2024, 2025):
        compute_rights(year, [employer.pk], today=TODAY)
    assert (worker.pk, 2024, "legal", 0, 0) in derived(employer)[0]
    EmployerYear.objects.filter(employer=employer, year=2024).update(opt_out=True)
    [outcome] = submit(caller, [training(employer, worker, start_date="2025-01-10",
                                         end_date="2025-01-10", duration_minutes=120)],
                       today=TODAY)  # fmt: skip
    assert outcome.accepted
    assert derived(employer)[0] == [(worker.pk, 2025, "legal", 0, 120)]
    assert_same_as_rebuilt(employer)
