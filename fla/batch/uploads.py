"""The size cap of a BATCH file applied while the web upload is read, not after.

Django spools a multipart upload in full (to memory, then to a temporary file) before
the view sees it, so without this the receipt's cap (``FLA_MAX_BATCH_BYTES``) only
applied once the whole file was on disk. This handler comes first in
``FILE_UPLOAD_HANDLERS``: it counts the bytes of each uploaded file and stops the
upload as soon as one passes the cap. The handlers after it never get more than the
cap (plus one chunk); the rest of the request body is read and discarded, never
stored, so that the browser gets the answer; the view then answers with the receipt's
"file too large" rejection (``too_large``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

_FLAG = "_fla_upload_too_large"


class BatchSizeCapHandler(FileUploadHandler):
    """Stops a multipart upload once a file in it is larger than ``FLA_MAX_BATCH_BYTES``."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = settings.FLA_MAX_BATCH_BYTES
        return None  # the other handlers still receive the data

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            if self.request is not None:
                setattr(self.request, _FLAG, self.limit)
            # Not a connection reset: the browser must get the page that says why.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the file itself is made by the next handlers


def upload_too_large(request: HttpRequest) -> int | None:
    """The cap an upload of this request was stopped at, or None if it was not."""
    return getattr(request, _FLAG, None)
