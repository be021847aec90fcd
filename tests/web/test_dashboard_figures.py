"""The dashboard's hours tile, its figures table and its credit tile."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from fla.accounts.access import Caller
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.services import refresh_accounts
from fla.trainings.models import Training
from tests.factories import grant, make_user
from tests.web.conftest import build_employer, declare_training


def _tile(body: str, testid: str) -> str:
    return body.split(f'data-testid="{testid}"')[1].split("</a>")[0]


def _login(client, employer, lang="nl"):
    user = make_user("hr")
    grant(user, employer, "read")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang


def test_the_hours_tile_opens_the_trainings_it_counts(client, db):
    employer, workers = build_employer(3, trainings=0)
    today = timezone.localdate()
    caller = Caller.for_system("tests")
    this_year = today.replace(day=1).isoformat()
    last_year = dt.date(today.year - 1, 6, 3).isoformat()
    declare_training(
        caller,
        employer,
        workers[0],
        "NOW-1",
        start_date=this_year,
        end_date=this_year,
        duration_minutes=450,
    )
    declare_training(
        caller,
        employer,
        workers[1],
        "NOW-2",
        start_date=this_year,
        end_date=this_year,
        duration_minutes=95,
    )
    # Not counted by the tile: last year's, one outside the account, a planned one.
    declare_training(
        caller,
        employer,
        workers[0],
        "OLD-1",
        start_date=last_year,
        end_date=last_year,
        duration_minutes=600,
    )
    declare_training(
        caller,
        employer,
        workers[2],
        "NOW-NO",
        start_date=this_year,
        end_date=this_year,
        duration_minutes=120,
        counts_toward_account=False,
    )
    declare_training(
        caller,
        employer,
        workers[2],
        "NOW-PLAN",
        start_date=this_year,
        end_date=this_year,
        duration_minutes=60,
        status="planned",
    )
    refresh_accounts(employer.pk)
    _login(client, employer)
    body = client.get(reverse("web:dashboard")).content.decode()
    tile = _tile(body, "tile-hours")
    assert '<span class="tile-value">9:05</span>' in tile
    href = unescape(
        re.search(
            r'href="([^"]+)"', body.split('data-testid="tile-hours"')[0].rsplit("<a ", 1)[1]
        ).group(1)
    )
    listed = client.get(href).content.decode()
    references = set(re.findall(r"<td>((?:NOW|OLD)-[A-Z0-9]+)</td>", listed))
    assert references == {"NOW-1", "NOW-2"}
    assert 'data-testid="filter-total"' in listed and "9:05" in listed
    # The export of that list holds the same trainings.
    csv = b"".join(client.get(href + "&format=csv").streaming_content).decode()
    assert "NOW-1" in csv and "NOW-2" in csv
    assert "OLD-1" not in csv and "NOW-NO" not in csv and "NOW-PLAN" not in csv


@pytest.mark.parametrize("lang", ["nl", "fr", "de", "en"])
def test_the_figures_table_shows_hours_as_h_mm(client, db, lang):
    employer, workers = build_employer(2, trainings=0)
    today = timezone.localdate()
    day = today.replace(day=1).isoformat()
    declare_training(
        Caller.for_system("tests"),
        employer,
        workers[0],
        "T-1",
        start_date=day,
        end_date=day,
        duration_minutes=451,
    )
    refresh_accounts(employer.pk)
    _login(client, employer, lang)
    body = client.get(reverse("web:dashboard")).content.decode()
    table = body.split("<details>")[1].split("</details>")[0]
    row = re.search(rf"<tr><td>{today.year}</td>(.*?)</tr>", table).group(1)
    # 451 minutes, and 225.5 minutes per worker of the two rounded to 226.
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["7:31", "3:46"]
    assert not re.search(r"\d[.,]\d", table)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("nl", "Krediet overschreden met 7:30 uur"),
        ("fr", "Crédit dépassé de 7:30 heures"),
        ("de", "Guthaben um 7:30 Stunden überschritten"),
        ("en", "Credit exceeded by 7:30 hours"),
    ],
)
def test_an_overspent_credit_says_by_how_much(client, db, lang, words):
    # Fewer than 10 workers: no legal right, so every hour used exceeds the credit.
    employer, workers = build_employer(2, trainings=1)
    assert Training.objects.filter(employer=employer).count() == 1
    _login(client, employer, lang)
    body = client.get(reverse("web:dashboard")).content.decode()
    tile = _tile(body, "tile-credit")
    assert words in unescape(tile)
    assert "tile-alert" in body.split('data-testid="tile-credit"')[0].rsplit("<a ", 1)[1]
    assert re.search(r'<progress[^>]* max="100" value="100"', tile)


def test_a_credit_that_holds_shows_its_share(client, db):
    employer, workers = build_employer(2, trainings=0)
    Training.objects.all().delete()
    refresh_accounts(employer.pk)
    _login(client, employer, "en")
    tile = _tile(client.get(reverse("web:dashboard")).content.decode(), "tile-credit")
    assert "exceeded" not in tile and "0 of 0 hours" not in tile
    assert "0:00 of 0:00 hours" in tile


def _one_overspent_among_others(workers_with_credit: int = 2):
    """Fewer than 10 workers: no legal right. Each worker but the last is declared 10
    hours of rights and uses none of them; the last has no right and uses 7:30."""
    employer, workers = build_employer(workers_with_credit + 1, trainings=0)
    caller = Caller.for_system("tests")
    year = timezone.localdate().year
    declarations = [
        Declaration(
            "rights",
            employer.enterprise_number,
            {"insz": worker.insz, "year": year, "legal_minutes": 600},
        )
        for worker in workers[:-1]
    ]
    assert all(outcome.accepted for outcome in submit(caller, declarations))
    declare_training(caller, employer, workers[-1], "OVER-1")
    refresh_accounts(employer.pk)
    return employer, workers


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("nl", "1 werknemer gebruikte meer dan zijn krediet"),
        ("fr", "1 travailleur a utilisé plus que son crédit"),
        ("de", "1 Arbeitnehmer hat mehr als sein Guthaben genutzt"),
        ("en", "1 worker used more than their credit"),
    ],
)
def test_one_overspent_worker_is_flagged_though_the_others_have_credit_left(
    client, db, lang, words
):
    """The totals hold (7:30 used of 20 hours), so netted they show nothing wrong:
    the tile counts the worker who used more than his own credit and opens him."""
    employer, workers = _one_overspent_among_others()
    _login(client, employer, lang)
    body = client.get(reverse("web:dashboard")).content.decode()
    tile = _tile(body, "tile-credit")
    opening = body.split('data-testid="tile-credit"')[0].rsplit("<a ", 1)[1]
    assert "tile-alert" in opening
    assert "filter=over_credit" in opening
    assert words in unescape(tile)
    assert 'data-testid="credit-exceeded"' not in tile  # the totals are not exceeded
    listed = client.get(reverse("web:workers") + "?filter=over_credit").content.decode()
    assert workers[-1].last_name in listed
    assert all(worker.last_name not in listed for worker in workers[:-1])


def test_overspent_workers_are_counted_one_by_one(client, db):
    employer, workers = _one_overspent_among_others(workers_with_credit=1)
    for reference in ("MORE-1", "MORE-2"):  # 15:00 of his 10 hours
        declare_training(Caller.for_system("tests"), employer, workers[0], reference)
    declare_training(Caller.for_system("tests"), employer, workers[-1], "OVER-2")
    refresh_accounts(employer.pk)
    _login(client, employer, "en")
    tile = _tile(client.get(reverse("web:dashboard")).content.decode(), "tile-credit")
    assert "2 workers used more than their credit" in unescape(tile)


def test_no_worker_over_his_credit_flags_nothing(client, db):
    employer, workers = _one_overspent_among_others()
    Training.objects.filter(employer=employer).delete()
    refresh_accounts(employer.pk)
    _login(client, employer, "en")
    body = client.get(reverse("web:dashboard")).content.decode()
    opening = body.split('data-testid="tile-credit"')[0].rsplit("<a ", 1)[1]
    assert "tile-alert" not in opening and "filter=credit_open" in opening
    assert 'data-testid="over-credit"' not in _tile(body, "tile-credit")
