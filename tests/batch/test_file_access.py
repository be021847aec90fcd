"""Who reads a file back: the members and clients of its sender organisation as they are
now. Having sent a file gives a person no access of their own; a mandatary keeps the
receipt and notification of a file it sent itself after the mandate ends, and nothing
else of that employer."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from fla.accounts.access import READ, Caller
from fla.accounts.models import EmployerAccess, MandataryAccess, Mandate
from fla.api.services import create_client
from fla.batch import services
from fla.batch.models import BatchFile
from fla.core.choices import Channel
from tests.batch.test_channels import token
from tests.factories import grant, join, make_user


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pages(file_id: int) -> list[str]:
    return [
        f"/batch/{file_id}/",
        f"/batch/{file_id}/progress/",
        f"/batch/{file_id}/notification.xml",
    ]


def uploaded(web: Client, data: bytes) -> BatchFile:
    response = web.post("/batch/upload/", {"file": SimpleUploadedFile("f.xml", data)})
    batch = BatchFile.objects.get()
    assert response.status_code == 302, response.content
    assert response["Location"] == f"/batch/{batch.pk}/receipt/"
    services.process(batch.pk)
    return batch


def assert_reads(web: Client, batch: BatchFile, reads: bool) -> None:
    for page in pages(batch.pk):
        assert web.get(page).status_code == (200 if reads else 404), page
    listed = batch.reference.encode() in web.get("/batch/").content
    assert listed == reads


def test_a_member_who_leaves_the_mandatary_no_longer_reads_what_they_sent(world):
    web = Client()
    web.force_login(world.user)
    batch = uploaded(web, world.file(reference="LEAVER-FILE-1"))
    assert batch.submitted_by == world.user
    colleague = make_user()
    join(colleague, world.mandatary, role="read")
    other = Client()
    other.force_login(colleague)
    assert_reads(web, batch, True)

    MandataryAccess.objects.filter(user=world.user).delete()
    assert_reads(web, batch, False)
    assert not services.files_for(Caller.for_user(world.user, Channel.BATCH)).exists()
    assert_reads(other, batch, True)  # the organisation still reads its file


def test_a_user_whose_access_to_the_employer_is_revoked_no_longer_reads_its_files(world):
    user = make_user()
    grant(user, world.employer, role="declare")
    web = Client()
    web.force_login(user)
    data = world.file(reference="REVOKED-FILE-1", sender=world.employer.enterprise_number)
    batch = uploaded(web, data)
    assert batch.sender_employer == world.employer
    assert_reads(web, batch, True)

    EmployerAccess.objects.filter(user=user).delete()
    assert_reads(web, batch, False)


def test_a_mandatary_keeps_the_notification_of_its_file_after_the_mandate_ends(world):
    api = Client(
        HTTP_AUTHORIZATION=f"Bearer {token(create_client(name='SSL', mandatary=world.mandatary).client)}"
    )
    web = Client()
    web.force_login(world.user)
    receipt = services.receive(world.caller, io.BytesIO(world.file()), production=True)
    services.process(receipt.file_id)
    en, worker = world.employer.enterprise_number, world.workers[0]
    employer_pages = ["/app/workers/", f"/app/workers/{worker.pk}/", "/app/trainings/"]
    api_pages = [
        f"/api/v1/employers/{en}/workers/{worker.insz}",
        f"/api/v1/employers/{en}/trainings",
    ]
    for page in employer_pages + api_pages:
        assert (web if page.startswith("/app/") else api).get(page).status_code == 200, page

    Mandate.objects.filter(mandatary=world.mandatary, employer=world.employer).update(
        end_date=timezone.localdate() - dt.timedelta(days=1)
    )
    # The employer's data: no longer readable by the mandatary, online or by API.
    assert world.employer.pk not in Caller.for_user(world.user, Channel.BATCH).employer_ids(READ)
    for page in employer_pages:
        response = web.get(page)
        assert response.status_code in (302, 404), page
        assert response.status_code == 404 or "no-access" in response["Location"]
    for page in api_pages:
        assert api.get(page).status_code == 404, page
    # The file it sent: its status and notification, to the mandatary's clients and members.
    assert api.get(f"/api/v1/batches/{receipt.file_id}").status_code == 200
    notification = api.get(f"/api/v1/batches/{receipt.file_id}/notification")
    assert notification.status_code == 200
    assert worker.insz.encode() in b"".join(notification.streaming_content)
    assert_reads(web, BatchFile.objects.get(pk=receipt.file_id), True)
