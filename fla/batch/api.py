"""The BATCH endpoints of the REST API, mounted by fla.api at ``/api/v1/batches``.

``POST /batches`` takes the file as the raw request body (``Content-Type:
application/xml``) and streams it through the same receipt as every other channel;
the answer is the receipt. ``GET /batches/{id}`` gives status and progress,
``GET /batches/{id}/notification`` the notification XML.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest
from ninja import Router, Schema, Status

from fla.api.auth import OAuth2
from fla.api.problems import Problem
from fla.batch.models import BatchStatus
from fla.batch.services import files_for, receive, status_dict
from fla.core.choices import Channel

router = Router(tags=["batch"])
NOT_VISIBLE = "There is no such file, or it is not one of your organisation's."


class BatchUploadAuth(OAuth2):
    """The API's bearer token, with the BATCH size cap instead of the API's body cap."""

    def max_body_bytes(self) -> int:
        return settings.FLA_MAX_BATCH_BYTES


class ReceiptError(Schema):
    code: str
    line: int | None
    column: int | None
    reason: str


class ReceiptOut(Schema):
    accepted: bool
    file_id: int | None
    reference: str
    sender: str
    environment: str
    declarations: int
    size_bytes: int
    errors: list[ReceiptError]


class BatchStatusOut(Schema):
    file_id: int
    reference: str
    sender: str
    environment: str
    status: str
    progress: int
    total: int
    processed: int
    accepted: int
    accepted_with_warnings: int
    rejected: int
    received_at: str
    finished_at: str | None


@router.post(
    "",
    auth=BatchUploadAuth("declare"),
    response={202: ReceiptOut},
    operation_id="submit_batch",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def submit_batch(request: HttpRequest, test: bool = False):
    """Submit a BATCH file (the raw body, application/xml); the answer is the receipt.

    The file is valid against `/batch/schemas/fla-batch-v1.xsd`. `?test=true` sends it
    to the test environment (its header must say `test`). A rejected file answers 422
    with the line, column and reason of each error; nothing of it is stored.
    """
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in {"application/xml", "text/xml"}:
        raise Problem(
            415,
            "Send the file as the body, with Content-Type application/xml.",
            slug="unsupported-media-type",
        )
    caller = dataclasses.replace(request.auth, channel=Channel.BATCH, _cache={})
    receipt = receive(caller, request, production=not test)
    if not receipt.accepted:
        raise Problem(
            422,
            "The file was rejected whole; nothing of it was stored.",
            slug="batch-rejected",
            title="File rejected",
            receipt=receipt.as_dict(),
            errors=[e.as_dict() for e in receipt.errors],
        )
    return Status(202, receipt.as_dict())


def _file(request: HttpRequest, file_id: int):
    batch = files_for(request.auth).filter(pk=file_id).first()
    if batch is None:
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    return batch


@router.get("/{file_id}", response=BatchStatusOut, operation_id="get_batch")
def get_batch(request: HttpRequest, file_id: int):
    """Status of a file: received, processing, done or failed, and its progress in %."""
    return status_dict(_file(request, file_id))


@router.get(
    "/{file_id}/notification",
    operation_id="get_batch_notification",
    openapi_extra={
        "responses": {
            "200": {"description": "The notification XML", "content": {"application/xml": {}}}
        }
    },
)
def get_batch_notification(request: HttpRequest, file_id: int):
    """The notification XML (valid against /batch/schemas/fla-notification-v1.xsd)."""
    batch = _file(request, file_id)
    if batch.status != BatchStatus.DONE or not batch.notification_name:
        raise Problem(
            409,
            f"The file is {batch.status}: its notification is not ready.",
            slug="not-ready",
            progress=batch.progress,
        )
    return FileResponse(
        default_storage.open(batch.notification_name, "rb"), content_type="application/xml"
    )
