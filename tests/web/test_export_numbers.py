"""The CSV exports write hours as the spreadsheet of the user's language reads numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from fla.web.tables import _csv_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "lang, header, hours",
    [
        ("nl", "Duur (uren)", "7,5"),
        ("fr", "Durée (heures)", "7,5"),
        ("de", "Dauer (Stunden)", "7,5"),
        ("en", "Duration (hours)", "7.5"),
    ],
)
def test_the_csv_gives_hours_with_the_decimal_mark_of_the_language(app, lang, header, hours):
    app.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = app.get(reverse("web:trainings"), {"format": "csv", "sort": "reference"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    column = rows[0].index(header)
    assert [row[column] for row in rows[1:]] == [hours, hours]  # T-0 and T-1: 7:30 each


def test_the_xlsx_keeps_hours_numeric(app):
    app.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = app.get(reverse("web:trainings"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    column = header.index("Durée (heures)") + 1
    assert sheet.cell(2, column).value == 7.5


def test_a_negative_number_is_written_as_a_number_not_guarded_as_a_formula():
    assert _csv_text(-1.5, ",") == "-1,5"
    assert _csv_text(-90) == "-90"
    assert _csv_text("-1,5") == "'-1,5"  # text that a spreadsheet would run stays guarded
