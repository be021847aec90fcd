"""What every router needs: scoped lookups, ETags and If-Match, and the one write path."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from fla.accounts.access import READ, Caller
from fla.api.problems import Problem, anomalies_problem, request_language
from fla.core.identifiers import InvalidIdentifier, clean_enterprise_number, clean_insz
from fla.core.statements import Statement, fields_of
from fla.declarations.types import Declaration, Outcome
from fla.employers.models import Employer
from fla.workers.models import Worker

NOT_VISIBLE = "Not found, or not visible to this client."


def caller_of(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined, return-value]


def get_employer(request: HttpRequest, enterprise_number: str) -> Employer:
    """The employer, if the client may see it; 404 otherwise (never 403: no leak)."""
    try:
        number = clean_enterprise_number(enterprise_number)
    except InvalidIdentifier:
        raise Problem(404, NOT_VISIBLE, slug="not-found") from None
    found = _EMPLOYER.objects(number=number)
    if not found or found[0].pk not in caller_of(request).employer_ids(READ):
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    return found[0]


_EMPLOYER = Statement(
    lambda p: Employer.objects.filter(enterprise_number=p.number).values_list(
        *fields_of(Employer)
    )
)


def parse_insz(insz: str) -> str:
    try:
        return clean_insz(insz)
    except InvalidIdentifier:
        raise Problem(404, NOT_VISIBLE, slug="not-found") from None


def get_worker(employer: Employer, insz: str) -> Worker:
    """A worker is seen by an employer only through an employment with it."""
    worker = (
        Worker.objects.filter(insz=parse_insz(insz), employments__employer=employer)
        .distinct()
        .first()
    )
    if worker is None:
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    return worker


# --- ETags ---------------------------------------------------------------------------


def content_etag(data: Any) -> str:
    """A strong ETag from the JSON representation of a resource."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:24] + '"'


def version_etag(version: int) -> str:
    return f'"{version}"'


def if_match_tags(request: HttpRequest) -> list[str] | None:
    """The entity tags of If-Match (``W/`` dropped), ``["*"]``, or None when absent."""
    header = request.META.get("HTTP_IF_MATCH")
    if header is None:
        return None
    tags = []
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag:
            tags.append(tag)
    return tags


def check_if_match(request: HttpRequest, current: str | None) -> None:
    """412 when If-Match names no current representation (or there is none)."""
    tags = if_match_tags(request)
    if tags is None:
        return
    if current is None or ("*" not in tags and current not in tags):
        raise Problem(
            412,
            "If-Match does not match the current version.",
            slug="stale-version",
            current_etag=current,
        )


def if_match_version(request: HttpRequest) -> int | None:
    """The version an If-Match names (``"3"``), for the write path's stale check."""
    tags = if_match_tags(request)
    if not tags or tags == ["*"]:
        return None
    for tag in tags:
        digits = tag.strip('"')
        if digits.isdigit() and len(digits) < 10:
            return int(digits)
    raise Problem(412, "If-Match names no version of this resource.", slug="stale-version")


def with_etag(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    return response


# --- cursors -------------------------------------------------------------------------


def encode_cursor(values: list[Any]) -> str:
    text = json.dumps(values, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise Problem(400, "The cursor is not one this API gave.", slug="bad-cursor")
    return values


# --- the one write path --------------------------------------------------------------


@contextmanager
def worker_locked(insz: str) -> Iterator[None]:
    """A transaction holding the lock of the worker ``insz`` (when it exists).

    The write path locks a worker before it changes anything of it, so an If-Match
    checked inside this block still holds when the declaration is applied: a write of
    the same worker that commits in between makes the check wait for it and fail.
    """
    with transaction.atomic():
        list(Worker.objects.filter(insz=insz).select_for_update().values_list("pk", flat=True))
        yield


def declare(
    request: HttpRequest,
    declaration: Declaration,
    employer: Employer | None = None,
    *,
    grouped: bool = False,
) -> Outcome:
    """Hand one declaration to ``submit`` and turn a rejection into its problem.

    ``employer``: the declaration's employer, as the view already read it.
    ``grouped``: written together with those of concurrent requests of the same client
    (``fla.declarations.grouping``); the outcome is the same.
    """
    from fla.declarations.grouping import submit_grouped
    from fla.declarations.services import submit

    if grouped and employer is not None:
        outcome = submit_grouped(caller_of(request), declaration, employer)
    else:
        employers = [employer] if employer is not None else []
        outcome = submit(caller_of(request), [declaration], employers=employers)[0]
    if outcome.accepted:
        return outcome
    codes = {finding.code for finding in outcome.errors}
    if "E003" in codes:
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    if "E024" in codes:
        problem = anomalies_problem(request, outcome.errors, status=412)
        problem.slug, problem.title = "stale-version", "Precondition failed"
        raise problem
    if "E023" in codes and declaration.action in {"replace", "cancel"}:
        raise Problem(
            404,
            NOT_VISIBLE,
            slug="not-found",
            anomalies=[f.as_dict(request_language(request)) for f in outcome.errors],
        )
    raise anomalies_problem(request, outcome.errors)


def result_body(request: HttpRequest, outcome: Outcome) -> dict[str, Any]:
    language = request_language(request)
    return {
        "status": outcome.status,
        "warnings": [finding.as_dict(language) for finding in outcome.warnings],
    }
