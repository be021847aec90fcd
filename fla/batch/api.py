"""The BATCH endpoints of the REST API, mounted by fla.api at ``/api/v1/batches``.

``POST /batches`` takes the file as the raw request body (``Content-Type:
application/xml``) and streams it through the same receipt as every other channel;
the answer is the receipt. ``GET /batches/{id}`` gives status and progress,
``GET /batches/{id}/notification`` the notification XML. A connector that sends files
reads the answers to them: those two take a token with ``read`` (the files the
organisation may see) or ``declare`` (those it sent itself).
"""

from __future__ import annotations

import dataclasses
import hashlib

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status

from fla.accounts.access import READ
from fla.api.auth import OAuth2
from fla.api.common import etagged, not_modified
from fla.api.problems import Problem, request_language, text
from fla.api.schemas import Problem as ProblemSchema
from fla.batch.models import BatchStatus
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
def submit_batch(request: HttpRequest, response: HttpResponse, test: bool = False):
    """Submit a BATCH file (the raw body, application/xml); the answer is the receipt.

    The file is valid against `/batch/schemas/fla-batch-v1.xsd`. `?test=true` sends it
    to the test environment (its header must say `test`). A rejected file answers 422
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


def _file(request: HttpRequest, file_id: int):
    caller = request.auth
    files = None
    if READ not in caller.scopes:
        # A token of scope declare reads the answers to the files its own organisation
        # sent, nothing more (not those a mandating employer sent itself).
        files = files_for(dataclasses.replace(caller, scopes=caller.scopes | {READ}, _cache={}))
        files = files.filter(
            sender_employer_id=caller.employer_id, sender_mandatary_id=None
        ) if caller.employer_id is not None else files.filter(
            sender_mandatary_id=caller.mandatary_id
        )
    else:
        files = files_for(caller)
    batch = files.filter(pk=file_id).first()
    if batch is None:
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    return batch


@router.get("/{file_id}", auth=STATUS_AUTH, response=BatchStatusOut, operation_id="get_batch")
def get_batch(request: HttpRequest, file_id: int, response: HttpResponse):
    """Status of a file: received, processing, done or failed (with why), and its
    progress in %."""
    batch = _file(request, file_id)
    with translation.override(request_language(request)):
        error = failure_reason(batch)
    return etagged(request, response, {**status_dict(batch), "error": error})


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
def get_batch_notification(request: HttpRequest, file_id: int, response: HttpResponse):
    """The notification XML (valid against /batch/schemas/fla-notification-v1.xsd), in
    the language of the file's header; 409 while the file is not done, 410 once its
    content was erased after the retention period."""
    batch = _file(request, file_id)
    if batch.erased_at:
        raise Problem(410, text(ERASED), slug="erased")
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
