"""A Django storage that keeps files in the database, in fixed-size chunks.

Every web node and every worker sees the same files without a shared folder, the files
are in the database's backups and replicas, and a file is written or deleted together
with the rows that name it when the caller's transaction says so. Files are streamed:
reading or writing one holds one chunk in memory, so a 2 GiB BATCH file is fine.
"""

from __future__ import annotations

import io

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from whitenoise.storage import CompressedManifestStaticFilesStorage

CHUNK = 1024 * 1024


class _ChunkReader(io.RawIOBase):
    """A seekable, read-only raw stream over the chunks of one StoredFile."""

    def __init__(self, file_id: int, size: int):
        self.file_id, self.size, self.pos = file_id, size, 0
        self._seq, self._data = -1, b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer) -> int:
        if self.pos >= self.size:
            return 0
        seq, start = divmod(self.pos, CHUNK)
        if seq != self._seq:
            from fla.ops.models import StoredFileChunk

            self._data = bytes(
                StoredFileChunk.objects.using("default")
                .filter(file_id=self.file_id, seq=seq)
                .values_list("data", flat=True)
                .get()
            )
            self._seq = seq
        piece = self._data[start : start + len(buffer)]
        buffer[: len(piece)] = piece
        self.pos += len(piece)
        return len(piece)


@deconstructible
class DatabaseStorage(Storage):
    def _stored(self, name: str):
        from fla.ops.models import StoredFile

        return StoredFile.objects.using("default").filter(name=name)

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("files of the database storage are written with save()")
        row = self._stored(name).values_list("id", "size").first()
        if row is None:
            raise FileNotFoundError(name)
        stream = io.BufferedReader(_ChunkReader(*row), buffer_size=CHUNK)
        if "b" not in mode:
            stream = io.TextIOWrapper(stream, encoding="utf-8")
        return File(stream, name=name)

    def _save(self, name: str, content) -> str:
        from fla.ops.models import StoredFile, StoredFileChunk

        if hasattr(content, "seek") and getattr(content, "seekable", lambda: True)():
            content.seek(0)
        with transaction.atomic(using="default"):
            stored = StoredFile.objects.using("default").create(name=name)
            size, seq, pending = 0, 0, b""
            for piece in content.chunks(CHUNK):
                if isinstance(piece, str):
                    piece = piece.encode()
                pending += piece
                while len(pending) >= CHUNK:
                    StoredFileChunk.objects.using("default").create(
                        file=stored, seq=seq, data=pending[:CHUNK]
                    )
                    size, seq, pending = size + CHUNK, seq + 1, pending[CHUNK:]
            if pending or seq == 0:
                StoredFileChunk.objects.using("default").create(file=stored, seq=seq, data=pending)
                size += len(pending)
            stored.size = size
            stored.save(update_fields=["size"])
        return name

    def delete(self, name: str) -> None:
        self._stored(name).delete()

    def exists(self, name: str) -> bool:
        return self._stored(name).exists()

    def size(self, name: str) -> int:
        size = self._stored(name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(name)
        return size

    def listdir(self, path: str):
        prefix = path.rstrip("/") + "/" if path else ""
        dirs, files = set(), []
        for name in (
            self._stored("")
            .model.objects.using("default")
            .filter(name__startswith=prefix)
            .values_list("name", flat=True)
        ):
            rest = name[len(prefix) :]
            if "/" in rest:
                dirs.add(rest.split("/", 1)[0])
            else:
                files.append(rest)
        return sorted(dirs), sorted(files)

    def get_created_time(self, name: str):
        created = self._stored(name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(name)
        return created if timezone.is_aware(created) else timezone.make_aware(created)

    get_modified_time = get_accessed_time = get_created_time

    def url(self, name: str) -> str:
        raise NotImplementedError("files of the database storage are served by views")


class StaticStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's compressed, hashed static files, without rewriting source-map
    comments: the vendored libraries name .map files that are not shipped, and a
    missing map only matters to a browser's developer tools."""

    patterns = tuple(
        (glob, tuple(p for p in rules if "sourceMappingURL" not in str(p)))
        for glob, rules in CompressedManifestStaticFilesStorage.patterns
        if glob != "*.js"
    )
