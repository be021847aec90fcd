"""Demo data and the generator: complete, deterministic, declared through the write path."""

import datetime as dt

import pytest
from django.db import transaction

from fla.accounts.access import Caller
from fla.accounts.models import Mandate, User
from fla.audit.models import HistoryEntry
from fla.core import demo
from fla.employers.models import Employer
from fla.rights.models import Account
from fla.trainings.models import Training

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def small_demo(monkeypatch):
    monkeypatch.setattr(
        demo,
        "DEMO_EMPLOYERS",
        [
            demo.EmployerSpec("SME", 15, ("118",), trainings_per_worker_year=2.0),
            demo.EmployerSpec("Company", 40, ("200",)),
            demo.EmployerSpec("Large", 60, ("200", "111")),
        ],
    )


def test_seed_demo_builds_the_whole_world(db, small_demo):
    demo.seed_demo(today=TODAY)
    employers = list(Employer.objects.order_by("pk"))
    assert [e.name for e in employers] == ["SME", "Company", "Large"]
    assert Mandate.objects.filter(end_date__isnull=True).count() == 3
    secretariat = Caller.for_user(User.objects.get(username="sofie.secretariaat"))
    assert secretariat.employer_ids("declare") == {e.pk for e in employers}
    assert Caller.for_user(User.objects.get(username="dirk.lezer")).employer_ids("declare") == set()
    statuses = set(Training.objects.values_list("status", flat=True))
    assert statuses == {"planned", "completed", "not_followed", "cancelled"}
    assert set(Training.objects.values_list("kind", flat=True)) == {"formal", "informal"}
    warned = {
        code for codes in Training.objects.values_list("warnings", flat=True) for code in codes
    }
    assert {"W003", "W005"} <= warned
    assert set(Training.objects.values_list("right_type", flat=True)) >= {"", "legal", "employer"}
    # Every worker has an account, and every training its history.
    assert Account.objects.count() == 15 + 40 + 60
    assert HistoryEntry.objects.filter(entity="training").count() == Training.objects.count()
    assert {y for (y,) in Training.objects.values_list("start_date__year")} == {2024, 2025, 2026}


def test_seed_demo_does_not_touch_a_filled_database(db, small_demo):
    from django.core.management import call_command

    demo.seed_demo(today=TODAY)
    count = Training.objects.count()
    call_command("seed_demo", "--if-empty")
    assert Training.objects.count() == count


def snapshot():
    return sorted(
        Training.objects.values_list(
            "reference", "worker__insz", "title", "start_date", "duration_minutes", "status"
        )
    )


def test_generator_is_deterministic(db):
    with transaction.atomic():
        demo.generate(2, 30, 90, seed=7, today=TODAY)
        first = snapshot()
        transaction.set_rollback(True)
    assert not Training.objects.exists()
    demo.generate(2, 30, 90, seed=7, today=TODAY)
    assert snapshot() == first
    assert 60 <= len(first) <= 120
    assert Employer.objects.count() == 2


def test_the_demo_secretariat_has_the_number_the_guides_name(db, small_demo):
    # docs/api.md and docs/batch.md name it: whatever the demo's size or date, it is
    # the same.
    from django.conf import settings

    from fla.accounts.models import Mandatary

    demo.seed_demo(today=TODAY)
    number = Mandatary.objects.get(name="Sociaal Secretariaat Horizon").enterprise_number
    assert number == demo.DEMO_MANDATARY_NUMBER
    for guide in ("api.md", "batch.md"):
        assert number in (settings.BASE_DIR / "docs" / guide).read_text(encoding="utf-8")
