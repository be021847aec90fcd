"""A file's progress reaches 100 when its notification can be read, not before: every
declaration may be applied while the notification is still being written."""

import io

import pytest
from django.test import Client

from fla.api.services import create_client
from fla.batch import services
from fla.batch.models import BatchFile, BatchStatus
from tests.batch.test_channels import token


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_progress_is_100_only_once_the_notification_is_ready(world, monkeypatch):
    api = Client(
        HTTP_AUTHORIZATION=f"Bearer {token(create_client(name='SSL', mandatary=world.mandatary).client)}"
    )
    web = Client()
    web.force_login(world.user)
    receipt = services.receive(
        world.caller,
        io.BytesIO(world.file(declarations=[world.training(f"T{i}") for i in range(3)])),
        production=True,
    )
    seen = {}
    write_notification = services.write_notification

    def watched(batch):
        # Every declaration is applied; the notification is being written.
        current = BatchFile.objects.get(pk=batch.pk)
        assert (current.status, current.processed) == (BatchStatus.PROCESSING, current.total)
        seen["status"] = services.status_dict(current)
        seen["api"] = api.get(f"/api/v1/batches/{batch.pk}").json()
        seen["notification"] = api.get(f"/api/v1/batches/{batch.pk}/notification")
        seen["bar"] = web.get(f"/batch/{batch.pk}/progress/").content.decode()
        return write_notification(batch)

    monkeypatch.setattr(services, "write_notification", watched)
    services.process(receipt.file_id)

    assert seen["status"]["progress"] == 99 and seen["api"]["progress"] == 99
    assert seen["notification"].status_code == 409
    assert seen["notification"].json()["progress"] == 99
    assert 'value="99"' in seen["bar"] and "hx-get" in seen["bar"]  # still polling
    done = services.status_dict(BatchFile.objects.get(pk=receipt.file_id))
    assert (done["status"], done["progress"]) == ("done", 100)
    assert api.get(f"/api/v1/batches/{receipt.file_id}/notification").status_code == 200
