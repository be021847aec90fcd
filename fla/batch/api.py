"""The BATCH endpoints of the REST API, mounted by fla.api at ``/api/v1/batches``.

``POST /batches`` takes the file as the raw request body (``Content-Type:
application/xml``) and streams it through the same receipt as every other channel;
the answer is the receipt. ``GET /batches`` lists the files, newest first,
``GET /batches/{id}`` gives status and progress, ``GET /batches/{id}/notification``
the notification XML. A connector that sends files reads the answers to them: those
three take a token with ``read`` (the files the organisation may see) or ``declare``
(those it sent itself).
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Literal

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from fla.accounts.access import READ
from fla.api.auth import OAuth2
from fla.api.common import (
    BoolParam,
    IntParam,
    Since,
    cursor_instant,
    decode_cursor,
    encode_cursor,
    etagged,
    not_modified,
)
from fla.api.problems import Problem, request_language, text
from fla.api.schemas import Problem as ProblemSchema
from fla.batch.models import BatchFile, BatchStatus
from fla.batch.services import ERASED, files_for, receive, status_dict
from fla.core.choices import Channel

router = Router(tags=["batch"])
NOT_VISIBLE = gettext_lazy("Dit bestand bestaat niet, of het behoort niet tot uw organisatie.")


class BatchUploadAuth(OAuth2):
    """The API's bearer token, with the BATCH size cap instead of the API's body cap."""

    def max_body_bytes(self) -> int:
        return settings.FLA_MAX_BATCH_BYTES


# The status and the notification of a file: a token that may send files (``declare``)
# may read the answers to them, as one that may read (``read``).
STATUS_AUTH = OAuth2("read", "declare")


class ReceiptError(Schema):
    code: str
    line: int | None
    column: int | None
    reason: str


_READ_OF_THE_HEADER = (
    " On a rejected file (the `receipt` of a 422 `batch-rejected`), as the header says "
    "it if the receipt read it, valid against the XSD, before the rejection; else empty."
)


class ReceiptOut(Schema):
    accepted: bool
    file_id: int | None
    reference: str = Field(..., description="The header's `file_reference`." + _READ_OF_THE_HEADER)
    sender: str = Field(
        ..., description="The header's `sender`, an enterprise number." + _READ_OF_THE_HEADER
    )
    environment: str = Field(
        ..., description="The header's `environment`: `production` or `test`." + _READ_OF_THE_HEADER
    )
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
    error: str | None = Field(
        None, description="Why the file failed (status `failed`), in a sentence; else null."
    )
    erased_at: str | None = Field(
        None,
        description="When the file's content (its results and notification) was erased "
        "after the retention period (FLA_BATCH_RETENTION_DAYS); else null.",
    )
    checked_in_parts: int | None = Field(
        None,
        description="A test file larger than one rolled-back chunk "
        "(FLA_BATCH_TEST_CHUNK): the most declarations a part held. Each declaration was "
        "checked with the earlier ones of its own part only, so one that relies on a "
        "declaration of an earlier part (a training of a worker hired earlier in the "
        "file) may be rejected here and accepted in production. The size fixed when a "
        "worker started on the file. Null for any other file, and for a test file not "
        "started yet.",
    )


class BatchSummary(BatchStatusOut):
    url: str = Field(..., description="The file's status, `GET /api/v1/batches/{file_id}`.")


class BatchPage(Schema):
    items: list[BatchSummary]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page.")


class BatchFilters(Schema):
    status: Literal["received", "processing", "done", "failed"] | None = None
    environment: Literal["production", "test"] | None = Field(
        None, description="The environment the file was sent to."
    )
    reference: str | None = Field(
        None,
        description="The file with this `file_reference` (its header's), as it was sent.",
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$",
    )
    received_since: Since = Field(
        None,
        description="Only files received at or after this moment (ISO 8601; without an "
        "offset, Belgian time).",
    )
    limit: IntParam = Field(100, ge=1, le=1000)
    cursor: str | None = Field(None, min_length=1, max_length=200)


# What a failed file's stored error (``"ExceptionType: text"``, for the operator) says to
# the sender: the kind of failure only, never the text (it may hold paths, SQL, data).
_DATABASE_ERRORS = (
    "OperationalError",
    "DatabaseError",
    "IntegrityError",
    "DataError",
    "InterfaceError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
    "TransactionManagementError",
)
_STORAGE_ERRORS = (
    "OSError",
    "IOError",
    "FileNotFoundError",
    "PermissionError",
    "IsADirectoryError",
    "NotADirectoryError",
    "SuspiciousFileOperation",
)


def failure_reason(batch) -> str | None:
    """A short reason for a failed file, safe to show its sender, in the active
    language; None unless failed."""
    if batch.status != BatchStatus.FAILED:
        return None
    kind = (batch.error or "").split(":", 1)[0].strip().rsplit(".", 1)[-1]
    if kind in _DATABASE_ERRORS:
        reason = _(
            "De verwerking is gestopt door een databankfout. De aangiften die als "
            "verwerkt geteld zijn, behouden hun resultaat; de andere werden niet verwerkt. "
            "Neem contact op met de beheerder en vermeld bestand %(id)s."
        )
    elif kind in _STORAGE_ERRORS:
        reason = _(
            "De verwerking is gestopt door een fout bij het lezen of schrijven van het "
            "opgeslagen bestand. De aangiften die als verwerkt geteld zijn, behouden hun "
            "resultaat; de andere werden niet verwerkt. Neem contact op met de beheerder "
            "en vermeld bestand %(id)s."
        )
    else:
        reason = _(
            "De verwerking is gestopt door een interne fout. De aangiften die als "
            "verwerkt geteld zijn, behouden hun resultaat; de andere werden niet verwerkt. "
            "Neem contact op met de beheerder en vermeld bestand %(id)s."
        )
    return reason % {"id": batch.pk}


@router.post(
    "",
    auth=BatchUploadAuth("declare"),
    response={202: ReceiptOut, 415: ProblemSchema},
    operation_id="submit_batch",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def submit_batch(request: HttpRequest, response: HttpResponse, test: BoolParam = False):
    """Submit a BATCH file (the raw body, application/xml); the answer is the receipt.

    The file is valid against `/batch/schemas/fla-batch-v1.xsd`. `?test=true` sends it
    to the test environment (its header must say `test`); `test` is `true` or `false`
    (in any case), anything else answers 422. A rejected file answers 422
    with the line, column and reason of each error; nothing of it is stored. An accepted
    one answers 202 with `Location`, the URL of its status.
    """
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in {"application/xml", "text/xml"}:
        raise Problem(
            415,
            gettext_lazy(
                "Gelieve het bestand als inhoud van het verzoek te versturen, met "
                "Content-Type application/xml."
            ),
            slug="unsupported-media-type",
        )
    # A BATCH file is UTF-8 (the receipt refuses another encoding): a charset saying
    # otherwise is refused as the JSON endpoints refuse it, before the body is read.
    charset = (request.content_params or {}).get("charset")
    if charset is not None and charset.strip().lower() not in {"utf-8", "utf8"}:
        raise Problem(
            415,
            text(
                gettext_lazy(
                    "De inhoud van het verzoek moet in UTF-8 gecodeerd zijn, niet in %(charset)s."
                ),
                charset=charset[:40],
            ),
            slug="unsupported-media-type",
        )
    caller = dataclasses.replace(request.auth, channel=Channel.BATCH, _cache={})
    with translation.override(request_language(request)):  # the receipt's reasons
        receipt = receive(caller, request, production=not test)
    if not receipt.accepted:
        raise Problem(
            422,
            gettext_lazy("Het bestand werd volledig geweigerd; er werd niets van opgeslagen."),
            slug="batch-rejected",
            title=gettext_lazy("Bestand geweigerd"),
            receipt=receipt.as_dict(),
            errors=[e.as_dict() for e in receipt.errors],
        )
    response["Location"] = f"{request.path.rstrip('/')}/{receipt.file_id}"
    return Status(202, receipt.as_dict())


def visible_files(request: HttpRequest) -> QuerySet[BatchFile]:
    """The files the token may read: with ``read``, those its organisation may see
    (``files_for``, as in the online application); with ``declare`` alone, those its
    own organisation sent. The list and every file's status and notification."""
    caller = request.auth
    if READ in caller.scopes:
        return files_for(caller)
    # A token of scope declare reads the answers to the files its own organisation
    # sent, nothing more (not those a mandating employer sent itself).
    files = files_for(dataclasses.replace(caller, scopes=caller.scopes | {READ}, _cache={}))
    if caller.employer_id is not None:
        return files.filter(sender_employer_id=caller.employer_id, sender_mandatary_id=None)
    return files.filter(sender_mandatary_id=caller.mandatary_id)


def _file(request: HttpRequest, file_id: int):
    batch = visible_files(request).filter(pk=file_id).first()
    if batch is None:
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    return batch


def _status(batch: BatchFile) -> dict:
    """What ``GET /batches/{file_id}`` shows of a file (in the active language)."""
    return {**status_dict(batch), "error": failure_reason(batch)}


@router.get("", auth=STATUS_AUTH, response=BatchPage, operation_id="list_batches")
def list_batches(request: HttpRequest, filters: Query[BatchFilters], response: HttpResponse):
    """The files the token may read (as for `GET /batches/{file_id}`), newest first,
    with an opaque cursor for the next page.

    Each item is what `GET /batches/{file_id}` gives of the file, with its `url`.
    Following `next_cursor` until it is null visits every file once; a file received
    during the walk comes before the first page, not in the following ones.
    """
    files = visible_files(request)
    if filters.status:
        files = files.filter(status=filters.status)
    if filters.environment:
        files = files.filter(test=filters.environment == "test")
    if filters.reference:
        files = files.filter(reference=filters.reference)
    if filters.received_since:
        files = files.filter(received_at__gte=filters.received_since)
    if filters.cursor:
        received_at, pk = decode_cursor(filters.cursor, (str, int))
        moment = cursor_instant(received_at)
        # After (moment, pk) in the order of the list. The bound on received_at alone is
        # redundant but lets PostgreSQL start the scan of the sender's index there rather
        # than read (and drop) every newer file.
        files = files.filter(Q(received_at__lt=moment) | Q(id__lt=pk), received_at__lte=moment)
    page = list(files.order_by("-received_at", "-id")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    base = request.path.rstrip("/")
    with translation.override(request_language(request)):
        items = [{**_status(batch), "url": f"{base}/{batch.pk}"} for batch in page]
    last = page[-1] if page else None
    data = {
        "items": items,
        "next_cursor": encode_cursor([last.received_at.isoformat(), last.pk])
        if more and last
        else None,
    }
    return etagged(request, response, data)


@router.get("/{file_id}", auth=STATUS_AUTH, response=BatchStatusOut, operation_id="get_batch")
def get_batch(request: HttpRequest, file_id: IntParam, response: HttpResponse):
    """Status of a file: received, processing, done or failed (with why), and its
    progress in %."""
    batch = _file(request, file_id)
    with translation.override(request_language(request)):
        data = _status(batch)
    return etagged(request, response, data)


@router.get(
    "/{file_id}/notification",
    auth=STATUS_AUTH,
    operation_id="get_batch_notification",
    response={409: ProblemSchema, 410: ProblemSchema},
    openapi_extra={
        "responses": {
            "200": {"description": "The notification XML", "content": {"application/xml": {}}}
        }
    },
)
def get_batch_notification(request: HttpRequest, file_id: IntParam, response: HttpResponse):
    """The notification XML (valid against /batch/schemas/fla-notification-v1.xsd), in
    the language of the file's header; 409 while the file is not done (`not-ready`: ask
    again later) and for a failed file (`file-failed`: it has none, unless the operator
    resumes it; `error` says why), 410 once its content was erased after the retention
    period."""
    batch = _file(request, file_id)
    if batch.erased_at:
        raise Problem(410, text(ERASED), slug="erased")
    if batch.status == BatchStatus.FAILED:
        raise Problem(
            409,
            text(
                gettext_lazy(
                    "Dit bestand is mislukt: het heeft geen notificatie. Zijn status "
                    "(%(status_url)s) zegt waarom en hoeveel aangiften verwerkt zijn; de "
                    "beheerder kan het bestand hervatten."
                ),
                status_url=f"/api/v1/batches/{batch.pk}",
            ),
            slug="file-failed",
            progress=batch.progress,
            error=failure_reason(batch),
        )
    if batch.status != BatchStatus.DONE or not batch.notification_name:
        raise Problem(
            409,
            text(
                gettext_lazy(
                    "De notificatie van dit bestand is nog niet klaar (status %(status)s)."
                ),
                status=batch.status,
            ),
            slug="not-ready",
            progress=batch.progress,
        )
    # A notification is written once, under a name of its own: the name is its version.
    digest = hashlib.sha256(f"{batch.pk}:{batch.notification_name}".encode()).hexdigest()
    response["Content-Language"] = batch.language
    unchanged = not_modified(request, response, f'"{digest[:24]}"')
    if unchanged is not None:
        return unchanged
    try:
        stored = default_storage.open(batch.notification_name, "rb")
    except FileNotFoundError:  # erased since it was read
        raise Problem(410, text(ERASED), slug="erased") from None
    answer = FileResponse(stored, content_type="application/xml")
    for name in ("ETag", "Content-Language"):
        answer[name] = response[name]
    return answer
