"""What a file's page tells a screen reader while the file is processed: its progress at
each ten per cent and each change of status, not at every poll of the bar (every 2
seconds), and how it ended, once, on the page reloaded at the end."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client

from fla.batch import services
from fla.batch.models import BatchFile, BatchStatus

REGION = re.compile(r'<span id="progress-status-(\d+)" hx-swap-oob="innerHTML">([^<]*)</span>')
NEXT_STEP = re.compile(r"announced=([\w-]+)")


@pytest.fixture
def web(world) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


def _received(world, count=3) -> BatchFile:
    declarations = [world.training(f"T{i}") for i in range(count)]
    receipt = services.receive(
        world.caller, io.BytesIO(world.file(declarations=declarations)), production=True
    )
    assert receipt.accepted, receipt.errors
    return BatchFile.objects.get(pk=receipt.file_id)


def _poll(web, batch, announced, language="nl"):
    """One poll of the page's bar: the bar's percentage, what the live region is given
    (None: nothing), and the step the next poll tells the server was said."""
    response = web.get(
        f"/batch/{batch.pk}/progress/",
        {"page": "detail", "announced": announced},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    body = response.content.decode()
    value = int(re.search(r'<progress\b[^>]*\bvalue="(\d+)"', body).group(1))
    region = REGION.search(body)
    if region is not None:
        assert int(region.group(1)) == batch.pk
    step = NEXT_STEP.search(body)
    return value, region.group(2) if region else None, step.group(1) if step else None


def test_the_page_has_one_quiet_live_region_not_a_live_bar(world, web):
    batch = _received(world)
    page = web.get(f"/batch/{batch.pk}/").content.decode()
    # The bar, replaced at every poll, is in no live region: it would be read each time.
    assert "aria-live" not in page
    region = re.search(
        r'<span class="visually-hidden" role="status" id="progress-status-(\d+)"[^>]*>(.*?)</span>',
        page,
    )
    assert region is not None and int(region.group(1)) == batch.pk
    assert region.group(2) == ""  # nothing said on arrival: the page shows the state
    assert "announced=received-0" in page


def test_the_progress_is_said_at_each_ten_per_cent_and_change_of_status_only(world, web):
    batch = _received(world, count=100)
    said, values = [], []
    step = "received-0"

    def poll(**state):
        nonlocal step
        if state:
            BatchFile.objects.filter(pk=batch.pk).update(**state)
        value, text, step = _poll(web, batch, step)
        values.append(value)
        if text is not None:
            said.append(text)

    poll()  # nothing has changed since the page was shown
    poll(status=BatchStatus.PROCESSING)  # the worker has taken the file
    for processed in (3, 7, 9, 12, 15, 19, 27, 28, 61, 99, 100):
        poll(processed=processed)
        poll()  # the same state polled again
    # The bar follows every poll (at most 99 until the notification is written)...
    assert values == [0, 0] + [v for v in (3, 7, 9, 12, 15, 19, 27, 28, 61, 99, 99) for _ in "ab"]
    # ... the live region is told the start and each new ten per cent only.
    assert said == [
        f"Bestand {batch.pk}: In verwerking, 0%",
        f"Bestand {batch.pk}: In verwerking, 12%",
        f"Bestand {batch.pk}: In verwerking, 27%",
        f"Bestand {batch.pk}: In verwerking, 61%",
        f"Bestand {batch.pk}: In verwerking, 99%",
    ]


def test_a_poll_that_tells_no_step_is_answered_with_the_state(world, web):
    # A page shown before the steps were polled for: it is told where the file is.
    batch = _received(world)
    response = web.get(f"/batch/{batch.pk}/progress/", {"page": "detail"}, HTTP_HX_REQUEST="true")
    assert REGION.search(response.content.decode()) is not None


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "En traitement"), ("de", "In Bearbeitung"), ("en", "Processing")],
)
def test_the_progress_is_said_in_the_users_language(world, web, language, words):
    batch = _received(world)
    BatchFile.objects.filter(pk=batch.pk).update(status=BatchStatus.PROCESSING)
    _value, text, _step = _poll(web, batch, "received-0", language)
    assert words in text and str(batch.pk) in text


def test_the_list_polls_without_saying_anything(world, web):
    batch = _received(world)
    BatchFile.objects.filter(pk=batch.pk).update(status=BatchStatus.PROCESSING)
    body = web.get(f"/batch/{batch.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert REGION.search(body) is None and "announced=" not in body


def test_the_end_is_said_once_by_the_reloaded_page(world, web):
    batch = _received(world, count=2)
    services.process(batch.pk)
    batch.refresh_from_db()
    value, text, step = _poll(web, batch, "processing-90")
    assert (value, text, step) == (100, None, None)  # the page is reloaded (HX-Refresh)
    page = web.get(f"/batch/{batch.pk}/").content.decode()
    message = re.search(r'<div class="messages" role="status">\s*<p[^>]*>([^<]*)</p>', page)
    assert message is not None
    assert message.group(1) == (
        f"Bestand {batch.pk} is verwerkt: {batch.accepted} aanvaard, "
        f"{batch.accepted_with_warnings} aanvaard met waarschuwingen, {batch.rejected} geweigerd."
    )
    again = web.get(f"/batch/{batch.pk}/").content.decode()
    assert 'class="messages"' not in again


def test_a_failure_is_said_by_the_reloaded_page(world, web):
    batch = _received(world)
    BatchFile.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, error="x")
    response = web.get(
        f"/batch/{batch.pk}/progress/",
        {"page": "detail", "announced": "processing-0"},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Refresh"] == "true"
    page = web.get(f"/batch/{batch.pk}/").content.decode()
    assert f"De verwerking van bestand {batch.pk} is gestopt." in page
