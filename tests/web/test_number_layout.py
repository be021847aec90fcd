"""How numbers and units read on the forms and lists: the unit said once, decimals alike
in a column, and a list below other content kept in view when sorted or paged."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fla.rights.models import TrainingRight
from fla.web import queries

pytestmark = pytest.mark.django_db


def test_the_computed_right_names_its_unit_once(app, world):
    worker, year = world["workers"][1], queries.today().year
    for right_type, minutes in (("legal", 40 * 60), ("sector", 12 * 60 + 30)):
        TrainingRight.objects.create(
            employer=world["employer"],
            worker=worker,
            year=year,
            right_type=right_type,
            source="computed",
            minutes=minutes,
        )
    url = reverse("web:rights_edit", args=[worker.pk]) + f"?year={year}"
    body = app.get(url).content.decode()
    line = re.search(r'data-testid="computed-rights">(.*?)</p>', body, re.S)[1]
    assert line.count("(uren:minuten)") == 1
    assert "Wettelijk 40:00" in line and "Sector 12:30" in line
    english = app.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    line = re.search(r'data-testid="computed-rights">(.*?)</p>', english, re.S)[1]
    assert line.startswith("Computed right (hours:minutes): Legal 40:00")
    assert "(hours:minutes)" not in line[len("Computed right (hours:minutes)") :]
