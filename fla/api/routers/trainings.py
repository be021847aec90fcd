from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from fla.accounts.access import DECLARE
from fla.api.auth import DECLARE_AUTH
from fla.api.common import (
    NOT_VISIBLE,
    IntParam,
    OptionalIntParam,
    Since,
    bytes_etag,
    check_if_match,
    check_if_none_match,
    cursor_instant,
    declare,
    decode_cursor,
    encode_cursor,
    get_employer,
    if_match_version,
    not_modified,
    result_body,
    unchanged_retry,
    version_etag,
    with_etag,
    worker_locked,
)
from fla.api.problems import Problem, anomalies_problem, validation_problem
from fla.api.rendering import json_body
from fla.api.schemas import (
    TrainingIn,
    TrainingOut,
    TrainingPage,
    TrainingResult,
    TrainingStatusCode,
)
from fla.core import sync
from fla.core.identifiers import InvalidIdentifier, checked_insz, clean_insz
from fla.declarations.anomalies import Finding
from fla.declarations.parsing import REFERENCE
from fla.declarations.types import Declaration, Outcome
from fla.employers.models import Employer
from fla.rights.rules import format_minutes
from fla.trainings.models import Training

router = Router(tags=["trainings"])
REFERENCE_DOC = "The declarant's reference: 1 to 64 letters, digits, dots, dashes or underscores."


class TrainingFilters(Schema):
    insz: str | None = Field(
        None, description="Only this worker's trainings.", min_length=1, max_length=20
    )
    status: TrainingStatusCode | None = None
    year: OptionalIntParam = Field(
        None, ge=1900, le=2999, description="Trainings that touch this year."
    )
    updated_since: Since = Field(
        None,
        description="Only trainings changed at or after this moment (ISO 8601; without an "
        "offset, Belgian time).",
    )
    limit: IntParam = Field(100, ge=1, le=1000)
    cursor: str | None = Field(None, min_length=1, max_length=200)


def training_out(training: Training) -> dict:
    return {
        "reference": training.reference,
        "insz": training.worker.insz,
        "title": training.title,
        "description": training.description,
        "provider": training.provider,
        "kind": training.kind,
        "start_date": training.start_date,
        "end_date": training.end_date,
        "duration_minutes": training.duration_minutes,
        "duration": format_minutes(training.duration_minutes),
        "status": training.status,
        "counts_toward_account": training.counts_toward_account,
        "certificate_obtained": training.certificate_obtained,
        "certificate_valid_until": training.certificate_valid_until,
        "right_type": training.right_type or None,
        "version": training.version,
        "warnings": list(training.warnings or []),
        "channel": training.channel,
        "created_at": training.created_at,
        "updated_at": training.updated_at,
    }


def training_result(request: HttpRequest, outcome, training) -> dict:
    """The body of a write's answer (``TrainingResult``), rendered as it is
    (``fla.api.rendering``)."""
    return {**result_body(request, outcome), "training": training_out(training)}


def valid_reference(reference: str) -> bool:
    """Whether ``reference``, exactly as the path gives it, is one a declaration may
    carry: the write path's pattern, matched whole, with nothing stripped (a reference
    with a space or a control character around it names no training)."""
    return REFERENCE.fullmatch(reference) is not None


def training_location(employer: Employer, reference: str) -> str:
    """The URL of a training, from its checked reference (``reverse`` percent-encodes
    it), never from the request's path."""
    return reverse(
        "api:put_training",
        kwargs={
            "enterprise_number": employer.enterprise_number,
            "reference": reference,
        },
    )


def already_done(request: HttpRequest, problem: Problem, declaration: Declaration) -> Outcome:
    """``unchanged_retry`` for a training: the outcome carries it as it is on file."""
    outcome = unchanged_retry(request, problem, declaration)
    if outcome.written is None:
        raise problem
    return outcome


def create_only(request: HttpRequest, declaration: Declaration, employer: Employer) -> Outcome:
    """Write a training that must not exist yet; 412, as for any If-None-Match: * that
    finds the resource, if it exists.

    The precondition comes before the body's checks (RFC 9110 §13.2.1): a training
    on file answers 412 whatever the body. A training is never removed, so one found
    now is there when the write would run; one created meanwhile by another request is
    caught by the write path, which checks under the worker's lock that the reference
    is still absent (``if_version`` 0)."""
    reference = declaration.data["reference"]
    check_if_none_match(request, current_etag(employer, reference))
    try:
        return declare(request, declaration, employer, grouped=True)
    except Problem as problem:
        if problem.slug == "stale-version":
            check_if_none_match(request, current_etag(employer, reference))
        raise


def current_etag(employer: Employer, reference: str) -> str | None:
    """The ETag of the training on file now, None if there is none."""
    current = find_training(employer, reference)
    return version_etag(current.version) if current else None


def find_training(employer: Employer, reference: str) -> Training | None:
    # No such reference can exist (PostgreSQL also refuses NUL in a query).
    if not valid_reference(reference):
        return None
    return (
        Training.objects.select_related("worker")
        .filter(employer=employer, reference=reference)
        .first()
    )


@router.get(
    "/employers/{enterprise_number}/trainings", response=TrainingPage, operation_id="list_trainings"
)
def list_trainings(
    request: HttpRequest,
    enterprise_number: str,
    filters: Query[TrainingFilters],
    response: HttpResponse,
):
    """The employer's trainings, oldest change first, with an opaque cursor for the next page.

    Following ``next_cursor`` until it is null visits every training once. To sync
    incrementally, pass the page's ``sync_from`` as ``updated_since`` the next time:
    every change the walk could not see (a write still in flight) is stamped at or
    after it, so none is missed; some come twice, each with its version.
    """
    employer = get_employer(request, enterprise_number)
    trainings = Training.objects.select_related("worker").filter(employer=employer)
    if filters.insz:
        try:
            insz = clean_insz(filters.insz)
        except InvalidIdentifier:
            raise validation_problem(
                request, "query", "insz", "E001", "Not a valid INSZ."
            ) from None
        trainings = trainings.filter(worker__insz=insz)
    if filters.status:
        trainings = trainings.filter(status=filters.status)
    if filters.year:
        trainings = trainings.filter(
            start_date__lte=dt.date(filters.year, 12, 31), end_date__gte=dt.date(filters.year, 1, 1)
        )
    if filters.updated_since:
        trainings = trainings.filter(updated_at__gte=filters.updated_since)
    if filters.cursor:
        updated_at, pk, sync_from = decode_cursor(filters.cursor, (str, int, str))
        moment, sync_from = cursor_instant(updated_at), cursor_instant(sync_from)
        # After (moment, pk) in the order of the list. The bound on updated_at alone is
        # redundant but lets PostgreSQL start the scan of the employer's (updated_at, id)
        # index there rather than read (and drop) every earlier training.
        trainings = trainings.filter(
            Q(updated_at__gt=moment) | Q(id__gt=pk), updated_at__gte=moment
        )
    else:
        # Read before the rows, and carried by the cursor from the first page on: every
        # change that this walk through the pages may not see is stamped at or after it.
        sync_from = sync.settled()
    # On the primary, whatever the replica router does: a replica that lags would not
    # show changes stamped before sync_from (fla.core.sync).
    page = list(trainings.using(sync.PRIMARY).order_by("updated_at", "id")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    last = page[-1] if page else None
    json_body(
        request,
        response,
        {
            "items": [training_out(t) for t in page],
            "next_cursor": encode_cursor(
                [last.updated_at.isoformat(), last.pk, sync_from.isoformat()]
            )
            if more and last
            else None,
            "sync_from": sync_from,
        },
    )
    # A weak tag, of the page's rows and versions: the body's sync_from moves with the
    # clock, and a client that keeps its copy keeps an earlier one, which is as safe.
    rows = ";".join(f"{t.pk}.{t.version}.{t.updated_at.isoformat()}" for t in page)
    etag = bytes_etag(f"{rows}|{int(more)}".encode())
    return not_modified(request, response, etag, weak=True) or response


@router.get(
    "/employers/{enterprise_number}/trainings/{reference}",
    response=TrainingOut,
    operation_id="get_training",
)
def get_training(
    request: HttpRequest, enterprise_number: str, reference: str, response: HttpResponse
):
    """One training by the declarant's reference, with its version (also the ETag)."""
    employer = get_employer(request, enterprise_number)
    training = find_training(employer, reference)
    if training is None:
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    return not_modified(request, response, version_etag(training.version)) or training_out(training)


@router.put(
    "/employers/{enterprise_number}/trainings/{reference}",
    response={200: TrainingResult, 201: TrainingResult},
    operation_id="put_training",
    auth=DECLARE_AUTH,
)
def put_training(
    request: HttpRequest,
    enterprise_number: str,
    reference: str,
    body: TrainingIn,
    response: HttpResponse,
):
    """Create or replace a training by its reference: idempotent.

    201 when it was created; 200 when it was replaced, or when the same training was
    sent again (nothing changes, the version stays). With ``If-Match: "<version>"``
    the change is refused with 412 when the training changed meanwhile.
    """
    employer = get_employer(request, enterprise_number, DECLARE)
    if not valid_reference(reference):
        raise anomalies_problem(request, [Finding("E021", "reference")])
    data = body.model_dump(mode="json", exclude_none=True)
    data["reference"] = reference
    declaration = Declaration(
        kind="training",
        employer=employer.enterprise_number,
        data=data,
        action="create",
        # The write path checks again, under the worker's lock, that the training still
        # has a version that matched.
        if_version=if_match_version(request),
    )
    if_match = request.META.get("HTTP_IF_MATCH")
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    try:
        if if_match is not None:
            check_if_match(request, current_etag(employer, reference))
        if if_none_match is None:
            outcome = declare(request, declaration, employer, grouped=True)
        elif if_match is None and if_none_match.strip() == "*":
            # Create only: the write path checks, under the worker's lock, that the
            # reference is not on file yet (version 0), so the write is grouped as any.
            outcome = create_only(request, dataclasses.replace(declaration, if_version=0), employer)
        else:
            # Checked and written under the lock of the body's worker, which every write
            # of a training of that worker takes first: no other write of this reference
            # for that worker can come in between (one for another worker is refused,
            # E025).
            with worker_locked(checked_insz(body.insz) or body.insz):
                check_if_none_match(request, current_etag(employer, reference))
                outcome = declare(request, declaration, employer)
    except Problem as problem:
        outcome = already_done(request, problem, declaration)
    training = outcome.written  # as written, with its worker: no need to read it again
    with_etag(response, version_etag(training.version))
    response["Location"] = training_location(employer, reference)
    response.status_code = 201 if outcome.changed and training.version == 1 else 200
    return json_body(request, response, training_result(request, outcome, training))


@router.delete(
    "/employers/{enterprise_number}/trainings/{reference}",
    response=TrainingResult,
    operation_id="cancel_training",
    auth=DECLARE_AUTH,
)
def cancel_training(
    request: HttpRequest, enterprise_number: str, reference: str, response: HttpResponse
):
    """Cancel a training: it stays on file with status ``cancelled`` and uses no credit."""
    employer = get_employer(request, enterprise_number, DECLARE)
    current = find_training(employer, reference)
    if current is None:
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    declaration = Declaration(
        kind="training",
        employer=employer.enterprise_number,
        data={"reference": reference},
        action="cancel",
        if_version=if_match_version(request),
    )
    try:
        check_if_match(request, version_etag(current.version))
        check_if_none_match(request, version_etag(current.version))
        outcome = declare(request, declaration, employer)
    except Problem as problem:
        outcome = already_done(request, problem, declaration)
    training = outcome.written
    with_etag(response, version_etag(training.version))
    return json_body(request, response, training_result(request, outcome, training))
