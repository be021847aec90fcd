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
