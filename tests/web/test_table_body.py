"""``Table.body_html`` writes the rows exactly as the template loop it replaced did.

The loop below is the one ``_table.html`` used to run for every cell; the rows built in
Python must give the same markup (ignoring whitespace between tags), with every value
escaped, minutes as h:mm, negative amounts marked, dates as d/m/Y, numbers localised.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.core.paginator import Paginator
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation

from fla.web.tables import Column, Table

TEMPLATE_LOOP = """{% load i18n fla_web %}
  {% for obj, cells in table.rows %}
    <tr>
      {% for column, value in cells %}
      <td{% if column.numeric %} class="num{% if column.minutes and value < 0 %} negative{% endif %}"{% endif %}>{% if column.minutes %}{{ value|hm }}{% elif value.isoformat %}{{ value|date:"d/m/Y" }}{% else %}{{ value }}{% endif %}</td>
      {% endfor %}
      <td><a class="button button-small" href="{{ obj|detail_url:table }}">{% translate "Detail" %}<span class="visually-hidden"> {{ cells.0.1 }}{% if cells.1 %} {{ cells.1.1 }}{% endif %}</span></a></td>
    </tr>
  {% endfor %}"""


def normalise(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


ROWS = [
    SimpleNamespace(
        pk=1,
        name='<script>alert("x")</script> & Zoë',
        minutes=-65,
        count=1234567,
        ratio=2.5,
        day=dt.date(2025, 3, 9),
        moment=dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC),  # 1 January in Brussels
        missing=None,
    ),
    SimpleNamespace(
        pk=2,
        name="Janssens",
        minutes=0,
        count=0,
        ratio=0.0,
        day=dt.date(2024, 1, 1),
        moment=timezone.now(),
        missing=None,
    ),
    SimpleNamespace(
        pk=3,
        name="O'Brien",
        minutes=None,
        count=-3,
        ratio=-1.25,
        day=dt.date(2026, 11, 28),
        moment=timezone.now(),
        missing="",
    ),
]


def table(columns: list[Column]) -> Table:
    t = Table(
        columns=columns,
        default_sort=columns[0].key,
        detail_url=lambda o: f"/app/things/{o.pk}/?a=1&b=2",
    )
    t.page = Paginator(ROWS, 25).get_page(1)
    return t


COLUMNS = [
    Column("name", "Naam", lambda o: o.name, ("name",)),
    Column("minutes", "Minuten", lambda o: o.minutes, numeric=True, minutes=True),
    Column("count", "Aantal", lambda o: o.count, numeric=True),
    Column("ratio", "Verhouding", lambda o: o.ratio, numeric=True),
    Column("day", "Dag", lambda o: o.day),
    Column("moment", "Moment", lambda o: o.moment),
    Column("missing", "Leeg", lambda o: o.missing),
]


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
@pytest.mark.parametrize("columns", [COLUMNS, COLUMNS[:1], COLUMNS[1:] + COLUMNS[:1]])
def test_rows_equal_the_template_loop(language, columns):
    t = table(columns)
    request = RequestFactory().get("/")
    with translation.override(language):
        expected = engines["django"].from_string(TEMPLATE_LOOP).render({"table": t}, request)
        built = t.body_html()
    assert normalise(built) == normalise(expected)
    assert "<script>" not in built and "&lt;script&gt;" in built
    assert 'href="/app/things/1/?a=1&amp;b=2"' in built


def test_an_empty_page_has_no_rows_and_the_page_says_so(app):
    response = app.get("/app/trainings/?filter=overdue")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="empty"' in body


@pytest.mark.parametrize("name", ["web:worker", "web:training"])
def test_id_url_is_the_reversed_url_of_each_row(name):
    from django.urls import reverse

    from fla.web.tables import id_url

    url = id_url(name, lambda row: row.pk)
    for pk in (1, 7, 10, 918273645, 2**40):
        assert url(SimpleNamespace(pk=pk)) == reverse(name, args=[pk])


def test_dates_before_the_year_1000_keep_four_digits():
    t = table([Column("day", "Dag", lambda o: o.day)])
    t.page = Paginator([SimpleNamespace(pk=1, day=dt.date(987, 6, 5))], 25).get_page(1)
    request = RequestFactory().get("/")
    expected = engines["django"].from_string(TEMPLATE_LOOP).render({"table": t}, request)
    assert normalise(t.body_html()) == normalise(expected)
    assert "05/06/0987" in t.body_html()


def test_the_status_column_shows_the_label_in_the_active_language():
    from fla.core.choices import TrainingStatus
    from fla.trainings.models import Training
    from fla.web.views.app import training_table

    column = training_table().column("status")
    for status in TrainingStatus.values:
        training = Training(status=status)
        for language in ("nl", "fr", "de", "en"):
            with translation.override(language):
                assert column.value(training) == training.get_status_display()
