"""Dates and times are written one way in every language: dd/mm/yyyy HH:MM, as in
Belgium (fla/formats), on the pages of the application and the BATCH pages alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_short_dates_and_times_are_belgian_in_every_language(language):
    moment = dt.datetime(2026, 11, 29, 18, 9)
    with translation.override(language):
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "29/11/2026 18:09"
        assert formats.date_format(moment, "SHORT_DATE_FORMAT") == "29/11/2026"
        assert formats.time_format(moment.time()) == "18:09"


def test_the_batch_list_writes_dates_as_the_rest_in_english(app, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fla.batch.builder import file_bytes
    from fla.batch.models import BatchFile

    number = world["employer"].enterprise_number
    data = file_bytes(reference="DATES-1", sender=number, employers=[(number, [])])
    upload = SimpleUploadedFile("dates.xml", data, content_type="application/xml")
    sent = app.post(reverse("batch:upload"), {"file": upload, "environment": "production"})
    assert sent.status_code == 302, sent.content  # to the file's receipt
    at = timezone.make_aware(dt.datetime(2026, 11, 29, 18, 9))
    assert BatchFile.objects.update(received_at=at) == 1
    app.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = app.get(reverse("batch:list")).content.decode()
    assert "29/11/2026 18:09" in body
    assert "11/29/2026" not in body and "p.m." not in body
