"""How numbers and units read on the forms and lists: the unit said once, decimals alike
in a column, and a list below other content kept in view when sorted or paged."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from fla.employers.models import EmployerYear
from fla.web import queries
from tests.factories import grant_right
from tests.web.conftest import build_employer

pytestmark = pytest.mark.django_db


def test_the_computed_right_names_its_unit_once(app, world):
    worker, year = world["workers"][1], queries.today().year
    for right_type, minutes in (("legal", 40 * 60), ("sector", 12 * 60 + 30)):
        grant_right(world["employer"], worker, year=year, right_type=right_type, minutes=minutes)
    url = reverse("web:rights_edit", args=[worker.pk]) + f"?year={year}"
    body = app.get(url).content.decode()
    line = re.search(r'data-testid="computed-rights">(.*?)</p>', body, re.S)[1]
    assert line.count("(uren:minuten)") == 1
    assert "Wettelijk 40:00" in line and "Sector 12:30" in line
    english = app.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    line = re.search(r'data-testid="computed-rights">(.*?)</p>', english, re.S)[1]
    assert line.startswith("Computed right (hours:minutes): Legal 40:00")
    assert "(hours:minutes)" not in line[len("Computed right (hours:minutes)") :]


def test_the_average_fte_has_two_decimals_in_the_users_language(app, world):
    year = queries.today().year
    EmployerYear.objects.create(employer=world["employer"], year=year, average_fte=Decimal("13"))
    EmployerYear.objects.create(
        employer=world["employer"], year=year - 1, average_fte=Decimal("12.5")
    )
    body = app.get(reverse("web:employer_year")).content.decode()
    assert "13,00" in body and "12,50" in body
    assert not re.search(r'<td class="num">13</td>', body)
    english = app.get(reverse("web:employer_year"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "13.00" in english and "12.50" in english


def test_sorting_or_paging_the_dashboards_workers_stays_at_the_list(client, db):
    from tests.factories import grant, make_user

    employer, _ = build_employer(60, trainings=0)
    user = make_user("many")
    grant(user, employer, "declare")
    client.force_login(user)
    body = client.get(reverse("web:dashboard")).content.decode()
    assert 'id="workers-title"' in body
    table = body[body.index('id="workers-title"') :]
    sorts = re.findall(r'<a href="([^"]*)" class="sort"', table)
    assert sorts and all(href.endswith("#workers-title") for href in sorts)
    following = re.search(r'<a href="([^"]*)" rel="next"', table)
    assert following and following[1].endswith("#workers-title")
    # The list on a page of its own opens at the top: no anchor there.
    listing = client.get(reverse("web:workers")).content.decode()
    assert "#workers-title" not in listing
