"""The dashboard's tiles: the same figures as counting the rows one by one."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fla.accounts.access import Caller
from fla.rights.models import Account
from fla.trainings.models import Training
from fla.web import queries
from tests.factories import make_employer
from tests.web.conftest import build_employer, declare_training


def expected(employer, on):
    accounts = list(Account.objects.filter(employer=employer))
    planned = list(Training.objects.filter(employer=employer, status="planned"))
    until = on + dt.timedelta(days=queries.UPCOMING_DAYS)
    return {
        "workers": len(accounts),
        "rights_known": sum(a.current_year_rights_declared for a in accounts),
        "with_training": sum(
            bool(a.last_training_end and a.last_training_end >= dt.date(on.year, 1, 1))
            for a in accounts
        ),
        "granted_minutes": sum(a.granted_minutes for a in accounts),
        "used_minutes": sum(
            a.used_legal_minutes + a.used_sector_minutes + a.used_employer_minutes for a in accounts
        ),
        "overdue": sum(t.end_date < on for t in planned),
        "upcoming": sum(on <= t.start_date <= until for t in planned),
    }


def shown(tiles):
    return {
        name: getattr(tiles, name)
        for name in (
            "workers",
            "rights_known",
            "with_training",
            "granted_minutes",
            "used_minutes",
            "overdue",
            "upcoming",
        )
    }


def test_tiles_count_what_is_on_file(db):
    employer, workers = build_employer(6, trainings=3)
    on = timezone.localdate()
    caller = Caller.for_system("tests")
    soon, past = on + dt.timedelta(days=3), on - dt.timedelta(days=40)
    declare_training(
        caller,
        employer,
        workers[3],
        "P-1",
        status="planned",
        start_date=soon.isoformat(),
        end_date=soon.isoformat(),
    )
    declare_training(
        caller,
        employer,
        workers[4],
        "P-2",
        status="planned",
        start_date=past.isoformat(),
        end_date=(past + dt.timedelta(days=1)).isoformat(),
    )
    figures = expected(employer, on)
    assert figures["overdue"] == 1 and figures["upcoming"] == 1 and figures["workers"] == 6
    assert figures["with_training"] >= 1 and figures["used_minutes"] > 0
    assert shown(queries.tiles(employer.pk, on, 0)) == figures


def test_an_employer_with_nothing_has_zero_everywhere(db):
    employer = make_employer("Empty BV")
    assert set(shown(queries.tiles(employer.pk, timezone.localdate(), 0)).values()) == {0}


def test_the_average_tile_divides_by_the_workers_of_this_year_as_the_chart_does(client, db):
    from django.urls import reverse

    from fla.rights.services import refresh_accounts
    from tests.factories import grant, make_user, make_worker

    employer, workers = build_employer(3, trainings=0)
    today = timezone.localdate()
    # A worker who left last year: in the list of the window, not employed this year.
    make_worker(employer, end=dt.date(today.year - 1, 12, 31))
    declare_training(
        Caller.for_system("tests"),
        employer,
        workers[0],
        "T-NOW",
        start_date=today.isoformat(),
        end_date=today.isoformat(),
        duration_minutes=450,
    )
    refresh_accounts(employer.pk)
    user = make_user("hr")
    grant(user, employer, "read")
    client.force_login(user)
    body = client.get(reverse("web:dashboard")).content.decode()
    workers_tile = body.split('data-testid="tile-workers"')[1].split("</a>")[0]
    average_tile = body.split('data-testid="tile-average"')[1].split("</div>")[0]
    assert '<span class="tile-value">4</span>' in workers_tile
    # 7:30 over the 3 workers employed this year (the chart's 2.5 hours), not over 4.
    assert '<span class="tile-value">2:30</span>' in average_tile


def test_progress_tiles_count_only_the_workers_employed_this_year(client, db):
    """A worker who left before this year can get no right nor training this year: he is
    in the list of the window, but not among those the progress tiles ask to act on, so
    that 100 % can be reached."""
    from django.urls import reverse

    from fla.declarations.services import submit
    from fla.declarations.types import Declaration
    from fla.rights.services import refresh_accounts
    from tests.factories import grant, make_user, make_worker

    employer, workers = build_employer(2, trainings=0)
    today = timezone.localdate()
    leaver = make_worker(employer, last_name="Vertrokken", end=dt.date(today.year - 1, 6, 30))
    caller = Caller.for_system("tests")
    for i, worker in enumerate(workers):
        declare_training(
            caller,
            employer,
            worker,
            f"NOW-{i}",
            start_date=today.isoformat(),
            end_date=today.isoformat(),
        )
        data = {"insz": worker.insz, "year": str(today.year), "legal_minutes": 456}
        [outcome] = submit(caller, [Declaration("rights", employer.enterprise_number, data)])
        assert outcome.accepted, outcome.anomalies("en")
    refresh_accounts(employer.pk)
    tiles = queries.tiles(employer.pk, today, 0)
    assert (tiles.workers, tiles.current_workers) == (3, 2)
    assert (tiles.rights_known, tiles.rights_percent) == (2, 100)
    assert (tiles.with_training, tiles.training_percent) == (2, 100)

    user = make_user("hr")
    grant(user, employer, "read")
    client.force_login(user)
    body = client.get(reverse("web:dashboard")).content.decode()
    rights_tile = body.split('data-testid="tile-rights"')[1].split("</a>")[0]
    assert "100&nbsp;%" in rights_tile and "2 van 2" in rights_tile
    for key in ("no_rights", "no_training"):
        listed = client.get(reverse("web:workers") + f"?filter={key}").content.decode()
        assert leaver.last_name not in listed, key
    # The list of every worker still names him.
    assert leaver.last_name in client.get(reverse("web:workers")).content.decode()
