"""A test file's rolled-back chunk size is fixed when a worker starts on it and stored
on the file: every partition uses it, and its page, status and notification say it,
whatever the settings of the process that reads them."""

from __future__ import annotations

import io

from django.test import Client

from fla.api.services import create_client
from fla.batch import services
from fla.batch.models import BatchFile, BatchResult, BatchStatus
from tests.batch.test_channels import token
from tests.batch.test_file_order import hire, trainings_of
from tests.batch.test_processing import NS, notification


def received(world, declarations, reference="F1"):
    data = world.file(reference=reference, declarations=declarations, environment="test")
    receipt = services.receive(world.caller, io.BytesIO(data), production=False)
    assert receipt.accepted, receipt.errors
    return BatchFile.objects.get(pk=receipt.file_id)


def test_the_size_of_the_worker_that_starts_a_file_is_used_and_said_by_all(world, settings):
    settings.FLA_BATCH_CHUNK, settings.FLA_BATCH_TEST_CHUNK = 1, 2
    batch = received(world, [hire(world), *trainings_of(world)])
    assert batch.test_chunk_size is None and services.checked_in_parts(batch) is None
    # A worker with chunks of 2 starts on the file (plans it) ...
    assert services._planned(batch.pk, "first") is not None
    batch.refresh_from_db()
    assert batch.test_chunk_size == 2
    # ... and one set to 3 applies it: with the file's chunks of 2, the second training
    # is in a chunk of its own, where the worker hired in the first is unknown.
    settings.FLA_BATCH_TEST_CHUNK = 3
    assert services.process(batch.pk) == "done"
    statuses = list(
        BatchResult.objects.filter(file=batch).order_by("position").values_list("status", flat=True)
    )
    assert statuses[2] == "rejected"
    batch.refresh_from_db()
    # Read by processes set to 3 and to 50: the file's own size, 2, everywhere.
    for read_with in (3, 50):
        settings.FLA_BATCH_TEST_CHUNK = read_with
        assert services.checked_in_parts(batch) == 2
        assert services.status_dict(batch)["checked_in_parts"] == 2
        tree = notification(BatchFile.objects.get(pk=batch.pk))
        assert tree.findtext("n:summary/n:checked_in_parts", namespaces=NS) == "2"
        web = Client()
        web.force_login(world.user)
        page = web.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "checked in parts of at most 2" in page
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        api = Client(
            HTTP_AUTHORIZATION=(
                f"Bearer {token(create_client(name=f'SSL{read_with}', mandatary=world.mandatary).client)}"
            )
        )
        assert api.get(f"/api/v1/batches/{batch.pk}").json()["checked_in_parts"] == 2


def test_a_file_within_its_stored_size_is_not_said_to_be_in_parts(world, settings):
    settings.FLA_BATCH_CHUNK, settings.FLA_BATCH_TEST_CHUNK = 1, 3
    batch = received(world, [hire(world), *trainings_of(world)])
    assert services.process(batch.pk) == "done"
    batch.refresh_from_db()
    assert batch.test_chunk_size == 3
    settings.FLA_BATCH_TEST_CHUNK = 2  # a reader set smaller than the file
    assert services.checked_in_parts(batch) is None
    tree = notification(batch)
    assert tree.find("n:summary/n:checked_in_parts", namespaces=NS) is None


def test_a_production_file_stores_no_size(world, settings):
    settings.FLA_BATCH_CHUNK, settings.FLA_BATCH_TEST_CHUNK = 1, 2
    data = world.file(declarations=[hire(world), *trainings_of(world)])
    receipt = services.receive(world.caller, io.BytesIO(data), production=True)
    assert services.process(receipt.file_id) == "done"
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert batch.test_chunk_size is None and services.checked_in_parts(batch) is None


def test_a_file_started_before_the_size_was_stored_is_worked_out_as_before(world, settings):
    settings.FLA_BATCH_CHUNK, settings.FLA_BATCH_TEST_CHUNK = 1, 2
    batch = received(world, [hire(world), *trainings_of(world)])
    BatchFile.objects.filter(pk=batch.pk).update(status=BatchStatus.DONE, test_chunk_size=None)
    batch.refresh_from_db()
    assert services.checked_in_parts(batch) == 2
    settings.FLA_BATCH_TEST_CHUNK = 3
    assert services.checked_in_parts(batch) is None
