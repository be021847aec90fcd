"""Files kept in the database: every node and worker sees them, streamed by chunks."""

import io

import pytest
from django.core.files.base import ContentFile
from django.http import FileResponse

from fla.ops import storage as module
from fla.ops.models import StoredFileChunk
from fla.ops.storage import DatabaseStorage


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(module, "CHUNK", 10)


def test_round_trip_over_several_chunks(db, small_chunks):
    store = DatabaseStorage()
    data = bytes(range(256)) * 3  # 768 bytes: 77 chunks of 10
    name = store.save("batch/2026/01/a.xml", ContentFile(data))
    assert name == "batch/2026/01/a.xml" and store.exists(name) and store.size(name) == 768
    assert StoredFileChunk.objects.count() == 77
    with store.open(name, "rb") as f:
        assert f.read(5) == data[:5]
        f.seek(95)
        assert f.read(20) == data[95:115]
        f.seek(0)
        assert f.read() == data
    assert store.listdir("batch/2026") == (["01"], [])
    store.delete(name)
    assert not store.exists(name) and StoredFileChunk.objects.count() == 0


def test_same_name_gets_another_name_and_empty_files_work(db):
    store = DatabaseStorage()
    first = store.save("n.xml", ContentFile(b"one"))
    second = store.save("n.xml", ContentFile(b"two"))
    assert first != second and store.open(second).read() == b"two"
    empty = store.save("empty.xml", ContentFile(b""))
    assert store.open(empty).read() == b"" and store.size(empty) == 0


def test_missing_file_and_writing_through_open_are_refused(db):
    store = DatabaseStorage()
    with pytest.raises(FileNotFoundError):
        store.open("nothing.xml")
    store.save("x.xml", ContentFile(b"x"))
    with pytest.raises(ValueError):
        store.open("x.xml", "wb")


def test_served_as_a_download(db, small_chunks):
    store = DatabaseStorage()
    data = b"<notification>" + b"x" * 100 + b"</notification>"
    name = store.save("notification.xml", io.BytesIO(data))
    response = FileResponse(store.open(name, "rb"), content_type="application/xml")
    assert int(response["Content-Length"]) == len(data)
    assert b"".join(response.streaming_content) == data
