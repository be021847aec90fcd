"""The web upload stops reading a file at FLA_MAX_BATCH_BYTES instead of spooling it whole."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files import uploadhandler
from django.test import Client

from fla.batch import views
from fla.batch.models import BatchFile
from tests.factories import make_user

CAP = 100_000
BIG = 20 * 1024 * 1024


@pytest.fixture
def spooled(monkeypatch):
    """Bytes Django's own handlers (memory, temporary file) received, per handler."""
    received = {"memory": 0, "disk": 0}
    for name, cls in (
        ("memory", uploadhandler.MemoryFileUploadHandler),
        ("disk", uploadhandler.TemporaryFileUploadHandler),
    ):
        original = cls.receive_data_chunk

        def spy(self, raw_data, start, _original=original, _name=name):
            received[_name] += len(raw_data)
            return _original(self, raw_data, start)

        monkeypatch.setattr(cls, "receive_data_chunk", spy)
    return received


def _csrf_client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/batch/upload/").status_code == 200
    return client, client.cookies["csrftoken"].value


def test_a_too_large_upload_is_stopped_at_the_cap_and_rejected_clearly(
    world, settings, spooled, monkeypatch
):
    settings.FLA_MAX_BATCH_BYTES = CAP
    monkeypatch.setattr(views, "receive", lambda *a, **k: pytest.fail("receipt reached"))
    client, token = _csrf_client(world.user)
    upload = io.BytesIO(b"<" + b"x" * BIG)
    upload.name = "huge.xml"
    # As a browser sends the form: the CSRF token first, then the file.
    response = client.post(
        "/batch/upload/",
        {"csrfmiddlewaretoken": token, "file": upload, "environment": "production"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 413
    body = response.content.decode()
    assert 'data-testid="receipt"' in body and 'data-code="too_large"' in body
    assert "Het bestand is groter dan de limiet van 100000 bytes." in body
    # Django's handlers got at most the cap and one chunk, not the 20 MB.
    assert spooled["disk"] + spooled["memory"] <= CAP + 64 * 1024
    assert not BatchFile.objects.exists()


def test_the_rejection_is_in_the_users_language(world, client, settings):
    settings.FLA_MAX_BATCH_BYTES = CAP
    client.force_login(world.user)
    upload = io.BytesIO(b"x" * (CAP + 1))
    upload.name = "big.xml"
    response = client.post("/batch/upload/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 413
    assert 'data-code="too_large"' in response.content.decode()
    assert "Le fichier dépasse la limite de 100000 octets." in response.content.decode()


def test_a_file_under_the_cap_goes_through_whole(world, settings, spooled):
    data = world.file()
    settings.FLA_MAX_BATCH_BYTES = len(data)
    client, token = _csrf_client(world.user)
    upload = io.BytesIO(data)
    upload.name = "file.xml"
    response = client.post(
        "/batch/upload/",
        {"csrfmiddlewaretoken": token, "file": upload, "environment": "production"},
    )
    batch = BatchFile.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/batch/{batch.pk}/receipt/"
    assert batch.size_bytes == len(data)


def test_the_upload_still_needs_the_csrf_token(world, settings):
    settings.FLA_MAX_BATCH_BYTES = CAP
    client, _token = _csrf_client(world.user)
    upload = io.BytesIO(b"x" * (CAP + 1))
    upload.name = "big.xml"
    assert client.post("/batch/upload/", {"file": upload}).status_code == 403


def test_an_accepted_upload_redirects_to_its_receipt_so_a_reload_sends_nothing(world, client):
    """POST-redirect-GET: reloading the receipt (F5) read it again; it sent the file again,
    which was then refused as a duplicate reference though it had been accepted."""
    client.force_login(world.user)
    upload = io.BytesIO(world.file("PRG-1"))
    upload.name = "file.xml"
    response = client.post("/batch/upload/", {"file": upload, "environment": "production"})
    batch = BatchFile.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/batch/{batch.pk}/receipt/"
    for _reload in range(2):
        page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl")
        body = page.content.decode()
        assert page.status_code == 200
        assert "aanvaard voor verwerking" in body and "geweigerd" not in body
        assert f'data-testid="file-id">{batch.pk}<' in body and "PRG-1" in body
        # The form under the receipt takes the next file, not this URL.
        assert 'action="/batch/upload/"' in body
    assert BatchFile.objects.count() == 1


def test_a_receipt_is_read_by_the_senders_organisation_only(world, client):
    client.force_login(world.user)
    upload = io.BytesIO(world.file("PRG-2"))
    upload.name = "file.xml"
    client.post("/batch/upload/", {"file": upload, "environment": "production"})
    batch = BatchFile.objects.get()
    client.force_login(make_user())
    assert client.get(f"/batch/{batch.pk}/receipt/").status_code == 404


def test_a_rejected_upload_answers_in_place(world, client):
    """Nothing was stored: the rejection is the form's answer, with no redirect."""
    client.force_login(world.user)
    upload = io.BytesIO(b"<batch_file>")
    upload.name = "bad.xml"
    response = client.post("/batch/upload/", {"file": upload, "environment": "production"})
    assert response.status_code == 400 and b'data-testid="receipt"' in response.content
    assert not BatchFile.objects.exists()


def _checked(body: str) -> str:
    (value,) = re.findall(r'name="environment" value="(\w+)" checked', body)
    return value


def test_the_chosen_environment_stays_chosen_after_a_rejection(world, client):
    client.force_login(world.user)
    assert _checked(client.get("/batch/upload/").content.decode()) == "production"
    upload = io.BytesIO(world.file(environment="production"))  # to test: wrong_environment
    upload.name = "file.xml"
    response = client.post("/batch/upload/", {"file": upload, "environment": "test"})
    assert (
        response.status_code == 400 and 'data-code="wrong_environment"' in response.content.decode()
    )
    assert _checked(response.content.decode()) == "test"
    missing = client.post("/batch/upload/", {"environment": "test"})
    assert _checked(missing.content.decode()) == "test"


def test_the_environment_comes_before_the_file_so_a_too_large_upload_keeps_it(
    world, settings, client
):
    client.force_login(world.user)
    form = client.get("/batch/upload/").content.decode()
    assert form.index('name="environment"') < form.index('name="file"')
    settings.FLA_MAX_BATCH_BYTES = CAP
    upload = io.BytesIO(b"x" * (CAP + 1))
    upload.name = "big.xml"
    # As a browser sends the form: its fields in their order.
    response = client.post("/batch/upload/", {"environment": "test", "file": upload})
    assert response.status_code == 413 and _checked(response.content.decode()) == "test"


def test_the_default_limit_is_said_in_gb():
    from django.utils import translation

    from fla.batch.receipt import too_large

    with translation.override("nl"):
        assert too_large(2 * 1024**3).reason == "Het bestand is groter dan de limiet van 2 GB."
        assert too_large(5 * 1024**2).reason == "Het bestand is groter dan de limiet van 5 MB."
        assert too_large(100_000).reason.endswith("100000 bytes.")
    with translation.override("fr"):
        assert too_large(2 * 1024**3).reason == "Le fichier dépasse la limite de 2 Go."
        assert too_large(5 * 1024**2).reason == "Le fichier dépasse la limite de 5 Mo."


def test_a_test_files_receipt_and_page_say_nothing_is_stored(world, client):
    client.force_login(world.user)
    upload = io.BytesIO(world.file(environment="test"))
    upload.name = "file.xml"
    response = client.post(
        "/batch/upload/", {"environment": "test", "file": upload}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    batch = BatchFile.objects.get()
    notice = "Test: de aangiften worden alleen gecontroleerd; er wordt niets opgeslagen."
    receipt = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert notice in receipt
    page = client.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert notice in page
    production = io.BytesIO(world.file("P1"))
    production.name = "p.xml"
    client.post("/batch/upload/", {"file": production})
    other = BatchFile.objects.get(reference="P1")
    assert notice not in client.get(f"/batch/{other.pk}/").content.decode()


def test_each_progress_bar_has_its_own_label_and_the_files_page_announces_it(world, client):
    client.force_login(world.user)
    for reference in ("L1", "L2"):
        upload = io.BytesIO(world.file(reference))
        upload.name = "f.xml"
        client.post("/batch/upload/", {"file": upload})
    first, second = BatchFile.objects.order_by("pk")
    listing = client.get("/batch/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert f'aria-label="Voortgang bestand {first.pk}"' in listing
    assert f'aria-label="Voortgang bestand {second.pk}"' in listing
    page = client.get(f"/batch/{first.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The bar is in no live region (it is replaced at every poll); the page's own region
    # is told its steps (test_pages_progress_announcements).
    assert f'<dd><div class="batch-progress" id="progress-{first.pk}"' in page
    assert f'role="status" id="progress-status-{first.pk}"' in page
    assert f'aria-label="Progress of file {first.pk}"' in page
