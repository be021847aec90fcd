"""The services: computed rights stored idempotently, accounts rebuilt set-based."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fla.audit.models import HistoryEntry
from fla.employers.models import Employer, EmployerYear
from fla.rights import services
from fla.rights.models import Account, CreditLine, SectorRule, TrainingRight, WorkerOptOut
from fla.rights.rules import Charge, RightType
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker
from tests.factories import grant_right

pytestmark = pytest.mark.django_db

TODAY = date(2025, 11, 15)
_numbers = iter(range(1, 10**6))


def enterprise_number() -> str:
    body = f"{5_000_000 + next(_numbers):08d}"
    return body + f"{97 - int(body) % 97:02d}"


def make_employer(name="Acme", **kwargs) -> Employer:
    return Employer.objects.create(name=name, enterprise_number=enterprise_number(), **kwargs)


def add_workers(employer, count, *, start=date(2020, 1, 1), end=None, regime=1, jc="200"):
    """``count`` workers with one employment each (bulk; INSZ need not be valid here)."""
    first = Worker.objects.count()
    workers = Worker.objects.bulk_create(
        Worker(insz=f"{employer.id:04d}{first + i:07d}", first_name="W", last_name=f"N{i}")
        for i in range(count)
    )
    Employment.objects.bulk_create(
        Employment(
            worker=w,
            employer=employer,
            start_date=start,
            end_date=end,
            regime=Decimal(regime),
            joint_committee=jc,
        )
        for w in workers
    )
    return workers


def add_training(
    employer,
    worker,
    reference,
    end,
    minutes,
    *,
    status="completed",
    counts=True,
    right_type="",
    start=None,
):
    now = f"{end.isoformat()}T12:00:00Z"
    return Training.objects.create(
        employer=employer,
        worker=worker,
        reference=reference,
        title=reference,
        kind="formal",
        start_date=start or end,
        end_date=end,
        duration_minutes=minutes,
        status=status,
        counts_toward_account=counts,
        right_type=right_type,
        channel="web",
        created_at=now,
        updated_at=now,
    )


@pytest.fixture
def company():
    """25 full-time workers in PC 200 since 2020 (25 FTE → 20plus) and one half-time
    worker from 1 July 2025; PC 200 has 3 sector days for 20plus in 2025."""
    SectorRule.objects.create(joint_committee="200", size_class="20plus", year=2025, days=3)
    employer = make_employer()
    staff = add_workers(employer, 25)
    half = add_workers(employer, 1, start=date(2025, 7, 1), regime=Decimal("0.5"))[0]
    return employer, staff, half


def rights_of(employer, worker):
    return {
        (r.year, r.right_type, r.source): r.minutes
        for r in TrainingRight.objects.filter(employer=employer, worker=worker)
    }


def test_size_classes_are_computed_from_the_quarter_ends(company):
    employer, staff, half = company
    small = make_employer("Small")
    add_workers(small, 3)
    declared = make_employer("Declared")
    EmployerYear.objects.create(employer=declared, year=2025, declared_size_class="10to19")
    result = services.compute_size_classes([employer.id, small.id, declared.id], 2025)
    # 25 full-time at each reference date (the half-timer starts in 2025) → 25 → 20plus
    assert result == {employer.id: "20plus", small.id: "lt10", declared.id: "10to19"}
    ey = EmployerYear.objects.get(employer=employer, year=2025)
    assert (ey.computed_size_class, ey.average_fte) == ("20plus", Decimal("25.0000"))
    assert EmployerYear.objects.get(employer=declared, year=2025).computed_size_class == "lt10"


def test_compute_rights_stores_the_hand_computed_minutes(company):
    employer, staff, half = company
    counts = services.compute_rights(2025, [employer.id], today=TODAY)
    assert counts["created"] == 26
    assert counts["workers"] == 26
    # full time all year: 3 days × 456 min = 1368; the half-timer from 1 July:
    # 3 × 456 × 0.5 × 184 / 365 = 125 856 / 365 = 344.81… → 345
    assert rights_of(employer, staff[0]) == {(2025, "sector", "computed"): 1368}
    assert rights_of(employer, half) == {(2025, "sector", "computed"): 345}
    account = Account.objects.get(employer=employer, worker=half)
    assert account.granted_minutes == account.remaining_minutes == 345
    assert account.current_year_rights_declared
    entry = HistoryEntry.objects.get(employer=employer, entity="rights-computation")
    assert entry.action == "compute" and entry.channel == "system" and entry.actor == "system"
    assert entry.after == {"year": 2025, "workers": 26, "created": 26, "updated": 0, "deleted": 0}


def test_compute_rights_is_idempotent_and_follows_changes(company):
    employer, staff, half = company
    services.compute_rights(2025, [employer.id], today=TODAY)
    rows = {r.id: (r.minutes, r.updated_at) for r in TrainingRight.objects.all()}
    accounts = list(Account.objects.values_list("id", flat=True))

    again = services.compute_rights(2025, [employer.id], today=TODAY)
    assert (again["created"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert again["unchanged"] == 26
    assert {r.id: (r.minutes, r.updated_at) for r in TrainingRight.objects.all()} == rows
    assert list(Account.objects.values_list("id", flat=True)) == accounts  # not even rebuilt

    # The half-timer goes full time; another worker's employment is removed.
    Employment.objects.filter(worker=half).update(regime=1)
    Employment.objects.filter(worker=staff[0]).delete()
    changed = services.compute_rights(2025, [employer.id], today=TODAY)
    assert (changed["created"], changed["updated"], changed["deleted"]) == (0, 1, 1)
    # 3 × 456 × 1 × 184 / 365 = 251 712 / 365 = 689.62… → 690
    assert rights_of(employer, half) == {(2025, "sector", "computed"): 690}
    assert rights_of(employer, staff[0]) == {}
    assert not Account.objects.filter(employer=employer, worker=staff[0]).exists()


def test_declared_rights_are_never_touched(company):
    employer, staff, half = company
    grant_right(employer, half, source="declared", minutes=7)
    services.compute_rights(2025, [employer.id], today=TODAY)
    services.compute_rights(2025, [employer.id], today=TODAY)
    assert rights_of(employer, half) == {
        (2025, "legal", "declared"): 7,
        (2025, "sector", "computed"): 345,
    }


def test_refresh_accounts_figures(company):
    employer, worker = company[0], company[1][0]
    services.compute_rights(2025, [employer.id], today=TODAY)
    TrainingRight.objects.bulk_create(
        [
            TrainingRight(
                employer=employer,
                worker=worker,
                year=2024,
                right_type="legal",
                source="declared",
                minutes=600,
            ),
            TrainingRight(
                employer=employer,
                worker=worker,
                year=2025,
                right_type="employer",
                source="declared",
                minutes=120,
            ),
        ]
    )
    add_training(employer, worker, "T1", date(2025, 3, 10), 700)  # 2024 legal 600 + 2025 sector 100
    add_training(
        employer, worker, "T2", date(2025, 6, 10), 150, right_type="employer"
    )  # employer 120 + sector 30
    add_training(employer, worker, "T3", date(2025, 7, 1), 999, status="planned")  # ignored
    add_training(employer, worker, "T4", date(2025, 8, 1), 999, counts=False)  # ignored for credit
    add_training(employer, worker, "T5", date(2025, 9, 1), 999, status="cancelled")  # ignored
    services.refresh_accounts(employer.id, [worker.id], today=TODAY)

    account = Account.objects.get(employer=employer, worker=worker)
    # granted: 600 (2024 legal) + 1368 (2025 sector) + 120 (2025 employer) = 2088
    # used: legal 600, sector 100 + 30 = 130, employer 120 → 850; remaining 2088 − 850 = 1238
    assert account.granted_minutes == 2088
    assert (
        account.used_legal_minutes,
        account.used_sector_minutes,
        account.used_employer_minutes,
    ) == (600, 130, 120)
    assert account.remaining_minutes == 1238
    assert account.current_year_rights_declared
    assert account.trainings_count == 3  # completed: T1, T2, T4
    assert account.last_training_end == date(2025, 8, 1)
    lines = {
        (line.year, line.right_type): (line.granted_minutes, line.used_minutes)
        for line in CreditLine.objects.filter(employer=employer, worker=worker)
    }
    assert lines == {
        (2024, "legal"): (600, 600),
        (2025, "sector"): (1368, 130),
        (2025, "employer"): (120, 120),
    }

    ledger = services.worker_ledger(employer.id, worker.id)
    assert ledger.charges == [
        Charge("T1", 2024, RightType.LEGAL, 600),
        Charge("T1", 2025, RightType.SECTOR, 100),
        Charge("T2", 2025, RightType.EMPLOYER, 120),
        Charge("T2", 2025, RightType.SECTOR, 30),
    ]
    assert ledger.remaining(as_of=2025) == 1238

    # Other workers' accounts were not touched by a targeted refresh
    assert Account.objects.filter(employer=employer).count() == 26


def test_opt_outs_keep_only_declared_rights(company):
    employer, staff, half = company
    services.compute_rights(2025, [employer.id], today=TODAY)
    WorkerOptOut.objects.create(employer=employer, worker=staff[1], year=2025)
    grant_right(employer, staff[2], source="declared", minutes=900)
    services.refresh_accounts(employer.id, today=TODAY)
    # staff[1] opted out, nothing declared: no right this year
    opted = Account.objects.get(employer=employer, worker=staff[1])
    assert (opted.granted_minutes, opted.current_year_rights_declared) == (0, False)
    # declared legal comes on top of the computed sector right (declared wins per type)
    assert Account.objects.get(employer=employer, worker=staff[2]).granted_minutes == 900 + 1368

    # company-wide opt-out: only the declared legal right counts
    EmployerYear.objects.filter(employer=employer, year=2025).update(opt_out=True)
    services.refresh_accounts(employer.id, today=TODAY)
    assert Account.objects.get(employer=employer, worker=staff[2]).granted_minutes == 900
    assert Account.objects.get(employer=employer, worker=staff[3]).granted_minutes == 0
    # computed rows are kept apart, not deleted
    assert TrainingRight.objects.filter(employer=employer, source="computed").count() == 26


def test_exceeded_credit_shows_negative_remaining(company):
    employer, staff, half = company
    services.compute_rights(2025, [employer.id], today=TODAY)
    account = Account.objects.get(employer=employer, worker=half)
    add_training(employer, half, "BIG", date(2025, 10, 3), 400)
    services.refresh_accounts(employer.id, [half.id], today=TODAY)
    # 345 sector, 55 uncovered → charged to sector (only a sector right): −55
    account.refresh_from_db()  # the rebuilt account keeps its id
    assert (account.used_sector_minutes, account.remaining_minutes) == (400, -55)


def test_window_policy_from_settings(company, settings):
    employer, worker = company[0], company[1][0]
    settings.FLA_CREDIT_POLICY = "window"
    settings.FLA_WINDOW_START = 2024
    settings.FLA_WINDOW_LENGTH = 1  # every year its own window: nothing carries over
    grant_right(employer, worker, year=2024, source="declared", minutes=600)
    services.compute_rights(2025, [employer.id], today=TODAY)
    add_training(employer, worker, "T", date(2025, 2, 1), 100)
    services.refresh_accounts(employer.id, [worker.id], today=TODAY)
    account = Account.objects.get(employer=employer, worker=worker)
    # only 2025 is open: granted 1368, used 100 (sector, not the closed 2024 legal)
    assert (account.granted_minutes, account.used_sector_minutes, account.remaining_minutes) == (
        1368,
        100,
        1268,
    )
    settings.FLA_CREDIT_POLICY = "carry-over"
    services.refresh_accounts(employer.id, [worker.id], today=TODAY)
    account = Account.objects.get(employer=employer, worker=worker)
    assert (account.granted_minutes, account.used_legal_minutes, account.remaining_minutes) == (
        1968,
        100,
        1868,
    )


def _queries(func):
    """(statements other than INSERT, INSERT statements) that ``func`` sends.

    A ``COPY ... FROM STDIN`` (how fla.core.bulk inserts many rows on PostgreSQL) is an
    INSERT statement here."""
    with CaptureQueriesContext(connection) as ctx:
        func()
    inserts = sum(
        q["sql"].lstrip().upper().startswith(("INSERT", "COPY")) for q in ctx.captured_queries
    )
    return len(ctx.captured_queries) - inserts, inserts


def assert_same_shape(small, large):
    """Reads, deletes, updates: the same number. Bulk INSERTs: the same on PostgreSQL;
    Django's SQLite backend caps one INSERT at 999 parameters, so 100 workers may take a
    few more batches there (a bounded number per chunk, never one per worker)."""
    assert small[0] == large[0]
    if connection.vendor == "postgresql":
        assert small[1] == large[1]
    else:
        assert large[1] <= small[1] + 4


def _employer_with_history(count):
    employer = make_employer(f"E{count}")
    workers = add_workers(employer, count)
    TrainingRight.objects.bulk_create(
        TrainingRight(
            employer=employer,
            worker=w,
            year=2024,
            right_type="employer",
            source="declared",
            minutes=60,
        )
        for w in workers
    )
    for i, w in enumerate(workers):
        add_training(employer, w, f"R{i}", date(2025, 5, 1), 90)
    return employer, workers


def test_query_count_does_not_grow_with_the_number_of_workers():
    SectorRule.objects.create(joint_committee="200", size_class="20plus", year=2025, days=3)
    small, small_workers = _employer_with_history(10)
    large, large_workers = _employer_with_history(100)

    compute = [
        _queries(lambda e=e: services.compute_rights(2025, [e.id], today=TODAY))
        for e in (small, large)
    ]
    assert_same_shape(*compute)
    recompute = [
        _queries(lambda e=e: services.compute_rights(2025, [e.id], today=TODAY))
        for e in (small, large)
    ]
    assert recompute[0] == recompute[1]  # nothing changed: no writes but the audit entry
    refresh_all = [
        _queries(lambda e=e: services.refresh_accounts(e.id, today=TODAY)) for e in (small, large)
    ]
    assert_same_shape(*refresh_all)
    refresh_some = [
        _queries(
            lambda e=e, ws=ws: services.refresh_accounts(e.id, [w.id for w in ws], today=TODAY)
        )
        for e, ws in ((small, small_workers), (large, large_workers))
    ]
    assert_same_shape(*refresh_some)
    assert sum(refresh_some[1]) <= 14
    assert Account.objects.filter(employer=large).count() == 100
    # 100 workers (100 FTE → 20plus, PC 200: 3 sector days = 1368 min in 2025),
    # 60 min declared employer right in 2024, one 90 min training: 1368 + 60 − 90
    assert set(
        Account.objects.filter(employer=large).values_list("remaining_minutes", flat=True)
    ) == {1368 + 60 - 90}


def test_compute_rights_in_chunks_of_employers_gives_the_same_result(company):
    employer, staff, half = company
    other = make_employer("Other")
    add_workers(other, 3, jc="124")  # 3 FTE → lt10 → legal 0 days
    counts = services.compute_rights(2025, chunk_size=1, today=TODAY)
    assert counts["employers"] == 2 and counts["created"] == 29
    assert set(
        TrainingRight.objects.filter(employer=other).values_list("right_type", "minutes")
    ) == {("legal", 0)}
    assert HistoryEntry.objects.filter(entity="rights-computation").count() == 2


def test_command_runs_and_is_idempotent(company):
    employer, staff, half = company
    out = StringIO()
    call_command(
        "compute_rights",
        "--year",
        "2025",
        "--employer",
        employer.formatted_enterprise_number,
        stdout=out,
    )
    assert "created 26" in out.getvalue()
    out = StringIO()
    call_command("compute_rights", "--year", "2025", stdout=out)
    assert "created 0, updated 0, deleted 0, unchanged 26" in out.getvalue()


def test_fla_cli_maps_dashes(company, capsys):
    from fla.cli import main

    main(["fla", "compute-rights", "--year", "2025"])
    assert "26 workers" in capsys.readouterr().out


def test_command_rejects_unknown_employer(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "compute_rights", "--year", "2025", "--employer", "0403170701", stdout=StringIO()
        )


def test_compute_rights_for_some_workers_only(company):
    employer, staff, half = company
    services.compute_rights(2025, [employer.id], today=TODAY)
    Employment.objects.filter(worker__in=[half, staff[0]]).update(regime=Decimal("0.8"))
    counts = services.compute_rights(2025, [employer.id], worker_ids=[half.id], today=TODAY)
    # only the half-timer is looked at: 3 × 456 × 0.8 × 184 / 365 = 201 369.6 / 365
    # = 551.69… → 552; staff[0] keeps 1368 until a run over the employer
    assert (counts["workers"], counts["updated"], counts["deleted"]) == (1, 1, 0)
    assert rights_of(employer, half) == {(2025, "sector", "computed"): 552}
    assert rights_of(employer, staff[0]) == {(2025, "sector", "computed"): 1368}
    assert TrainingRight.objects.filter(employer=employer).count() == 26
    assert Account.objects.get(employer=employer, worker=half).granted_minutes == 552
    entry = HistoryEntry.objects.filter(employer=employer).order_by("-id").first()
    assert entry.after == {"year": 2025, "workers": 1, "created": 0, "updated": 1, "deleted": 0}
    # 3 × 456 × 0.8 = 1094.4 → 1094 for the full-year worker, at the next full run
    again = services.compute_rights(2025, [employer.id], today=TODAY)
    assert (again["updated"], again["unchanged"]) == (1, 25)
    assert rights_of(employer, staff[0]) == {(2025, "sector", "computed"): 1094}
