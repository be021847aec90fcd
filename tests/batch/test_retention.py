"""A finished BATCH file's content (the stored XML, its results and notification, which
repeat INSZ and names) is erased FLA_BATCH_RETENTION_DAYS after its receipt; its header
and counts stay, and so does its reference."""

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from fla.audit.models import HistoryEntry
from fla.batch import services
from fla.batch.models import BatchFile, BatchPartition, BatchResult, BatchStatus
from fla.core.privacy import erase_expired
from fla.trainings.models import Training


def _received(world, reference: str, days_ago: int) -> BatchFile:
    receipt = services.receive(world.caller, io.BytesIO(world.file(reference)), production=True)
    assert receipt.accepted, receipt.errors
    services.process(receipt.file_id)
    BatchFile.objects.filter(pk=receipt.file_id).update(
        received_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return BatchFile.objects.get(pk=receipt.file_id)


@pytest.fixture
def web(world):
    client = Client()
    client.force_login(world.user)
    return client


def test_the_content_of_an_old_file_is_erased_and_its_reference_stays_used(
    world, settings, web, django_capture_on_commit_callbacks
):
    settings.FLA_BATCH_RETENTION_DAYS = 400
    old = _received(world, "OLD", days_ago=401)
    recent = _received(world, "RECENT", days_ago=399)
    stored = [old.storage_name, old.notification_name]
    assert old.status == BatchStatus.DONE and all(default_storage.exists(n) for n in stored)
    assert BatchResult.objects.filter(file=old).exists()

    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        counts = erase_expired()

    assert counts["batch_files"] == 1
    old.refresh_from_db()
    assert old.erased_at is not None
    assert old.storage_name == old.notification_name == "" and old.plan == {}
    assert not any(default_storage.exists(n) for n in stored)
    assert not BatchResult.objects.filter(file=old).exists()
    assert not BatchPartition.objects.filter(file=old).exists()
    # The header and counts stay; what the file applied stays too.
    assert (old.reference, old.status, old.total, old.processed) == ("OLD", "done", 1, 1)
    assert old.accepted + old.accepted_with_warnings == 1
    assert Training.objects.filter(reference="T1").exists()
    # The recent file is untouched.
    recent.refresh_from_db()
    assert recent.erased_at is None and default_storage.exists(recent.notification_name)
    assert BatchResult.objects.filter(file=recent).exists()
    # The run is recorded with counts only.
    entry = HistoryEntry.objects.get(entity="retention", employer__isnull=True)
    assert entry.after["batch_files"] == 1
    # The reference is still used: the same file is refused as a duplicate.
    again = services.receive(world.caller, io.BytesIO(world.file("OLD")), production=True)
    assert not again.accepted and again.errors[0].code == "duplicate_reference"
    # A second run finds nothing more.
    assert "batch_files" not in erase_expired()

    page = web.get(f"/batch/{old.pk}/").content.decode()
    assert 'data-testid="erased"' in page and 'data-testid="download-xml"' not in page
    assert web.get(f"/batch/{old.pk}/notification.xml").status_code == 410
    with pytest.raises(CommandError, match="erased"):
        call_command("batch", "notification", str(old.pk))
    assert services.status_dict(old)["erased_at"] == old.erased_at.isoformat()


def test_a_failed_file_is_erased_too_and_can_no_longer_be_resumed(world, settings):
    settings.FLA_BATCH_RETENTION_DAYS = 30
    failed = _received(world, "FAILED", days_ago=31)
    BatchFile.objects.filter(pk=failed.pk).update(status=BatchStatus.FAILED, error="X: y")
    assert erase_expired()["batch_files"] == 1
    assert not services.resume(failed.pk)


def test_files_still_in_work_are_kept(world, settings):
    settings.FLA_BATCH_RETENTION_DAYS = 1
    receipt = services.receive(world.caller, io.BytesIO(world.file("WAIT")), production=True)
    BatchFile.objects.filter(pk=receipt.file_id).update(
        received_at=timezone.now() - dt.timedelta(days=5)
    )
    assert "batch_files" not in erase_expired()
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert batch.erased_at is None and default_storage.exists(batch.storage_name)


def test_the_command_takes_today_for_the_files_too(world, settings):
    settings.FLA_BATCH_RETENTION_DAYS = 400
    batch = _received(world, "CLOCK", days_ago=0)
    out = io.StringIO()
    later = (timezone.localdate() + dt.timedelta(days=402)).isoformat()
    call_command("erase_expired", "--today", later, stdout=out)
    assert '"batch_files": 1' in out.getvalue()
    batch.refresh_from_db()
    assert batch.erased_at is not None


def test_the_api_says_when_and_answers_410_for_the_notification(world, settings):
    from fla.api.services import create_client
    from tests.batch.test_channels import token

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.FLA_BATCH_RETENTION_DAYS = 400
    old = _received(world, "API-OLD", days_ago=401)
    bearer = token(create_client(name="SSL", mandatary=world.mandatary).client)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {bearer}", HTTP_ACCEPT_LANGUAGE="fr")
    assert api.get(f"/api/v1/batches/{old.pk}").json()["erased_at"] is None
    assert api.get(f"/api/v1/batches/{old.pk}/notification").status_code == 200
    erase_expired()
    status = api.get(f"/api/v1/batches/{old.pk}").json()
    assert status["erased_at"] is not None and status["status"] == "done"
    gone = api.get(f"/api/v1/batches/{old.pk}/notification")
    assert gone.status_code == 410 and gone["Content-Type"] == "application/problem+json"
    body = gone.json()
    assert body["type"].endswith(":erased") and body["title"] == "Plus disponible"
    assert "délai de conservation" in body["detail"]


def test_a_file_resumed_while_the_erasure_runs_is_left_alone(world, settings, monkeypatch):
    """The erasure lists the finished files, then takes each under its lock: a failed
    file put back to work in between is no longer finished, and keeps its content."""
    from django.db.models.query import QuerySet

    settings.FLA_BATCH_RETENTION_DAYS = 30
    receipt = services.receive(world.caller, io.BytesIO(world.file("RACE")), production=True)
    BatchFile.objects.filter(pk=receipt.file_id).update(
        status=BatchStatus.FAILED, error="OperationalError: x",
        received_at=timezone.now() - dt.timedelta(days=31),
    )  # fmt: skip
    listing = QuerySet.iterator

    def resumed_meanwhile(queryset, *args, **kwargs):
        ids = list(listing(queryset, *args, **kwargs))
        assert services.resume(receipt.file_id)
        return iter(ids)

    monkeypatch.setattr(QuerySet, "iterator", resumed_meanwhile)
    assert services.erase_expired_files() == 0
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert batch.erased_at is None and default_storage.exists(batch.storage_name)


def test_a_notification_erased_while_it_is_asked_for_answers_410(world, settings, web, monkeypatch):
    from fla.api.services import create_client
    from tests.batch.test_channels import token

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    batch = _received(world, "GONE", days_ago=0)
    default_storage.delete(batch.notification_name)  # as an erasure committing meanwhile
    assert web.get(f"/batch/{batch.pk}/notification.xml").status_code == 410
    bearer = token(create_client(name="SSL", mandatary=world.mandatary).client)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert api.get(f"/api/v1/batches/{batch.pk}/notification").status_code == 410


def test_head_of_the_notification_has_its_headers_and_no_body(world, settings):
    from fla.api.services import create_client
    from tests.batch.test_channels import token

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    batch = _received(world, "HEAD", days_ago=0)
    bearer = token(create_client(name="SSL", mandatary=world.mandatary).client)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {bearer}")
    url = f"/api/v1/batches/{batch.pk}/notification"
    full = api.get(url)
    head = api.head(url)
    assert head.status_code == 200 and not head.streaming and head.content == b""
    assert head["ETag"] == full["ETag"] and head["Content-Type"] == full["Content-Type"]
    assert int(head["Content-Length"]) == len(b"".join(full.streaming_content)) > 0


def test_files_stored_in_the_database_are_erased_too(
    world, settings, django_capture_on_commit_callbacks
):
    """Production keeps BATCH files in the database (``FLA_STORAGE=database``)."""
    from fla.ops.models import StoredFile

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "fla.ops.storage.DatabaseStorage"},
    }
    settings.FLA_BATCH_RETENTION_DAYS = 400
    old = _received(world, "DB-OLD", days_ago=401)
    names = {old.storage_name, old.notification_name}
    assert set(StoredFile.objects.values_list("name", flat=True)) >= names
    with django_capture_on_commit_callbacks(execute=True):
        assert erase_expired()["batch_files"] == 1
    assert not StoredFile.objects.filter(name__in=names).exists()
