"""``fla batch notification ID`` prints the notification whatever its characters."""

import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from fla.batch import services
from fla.batch.models import BatchFile


def test_a_character_across_a_block_boundary_is_printed_whole(world, batch_storage):
    receipt = services.receive(world.caller, io.BytesIO(world.file()), production=True)
    start = b'<?xml version="1.0" encoding="UTF-8"?>\n<notification><message>'
    # "é" is two bytes in UTF-8: its first ends the first 64 KB block, its second starts
    # the next one. "€" (three bytes) does the same at the second boundary.
    first = start + b"a" * (64 * 1024 - len(start) - 1) + "é".encode()
    second = first + b"b" * (64 * 1024 - 2) + "€ Ω".encode()
    content = second + b"</message></notification>\n"
    assert content[64 * 1024 - 1 : 64 * 1024 + 1] == "é".encode()
    assert content[2 * 64 * 1024 - 1 : 2 * 64 * 1024 + 2] == "€".encode()
    name = default_storage.save("batch/notification-test.xml", ContentFile(content))
    BatchFile.objects.filter(pk=receipt.file_id).update(status="done", notification_name=name)
    out = io.StringIO()
    call_command("batch", "notification", str(receipt.file_id), stdout=out)
    assert out.getvalue() == content.decode("utf-8")
