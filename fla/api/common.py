"""What every router needs: scoped lookups, ETags and If-Match, and the one write path."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from fla.accounts.access import READ, Caller
from fla.api.problems import TITLES, Problem, anomalies_problem, request_language
from fla.core.identifiers import InvalidIdentifier, clean_enterprise_number, clean_insz
from fla.core.statements import Statement, fields_of
from fla.declarations.types import Declaration, Outcome
from fla.employers.models import Employer
from fla.workers.models import Worker

NOT_VISIBLE = _("Niet gevonden, of niet zichtbaar voor deze API-client.")


def caller_of(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined, return-value]


def get_employer(request: HttpRequest, enterprise_number: str, permission: str = READ) -> Employer:
    """The employer, if the client may act on it with ``permission`` (``READ`` for a
    read, ``DECLARE`` for a write: a token with the scope ``declare`` alone may write);
    404 otherwise (never 403: no leak)."""
    try:
        number = clean_enterprise_number(enterprise_number)
    except InvalidIdentifier:
        raise Problem(404, NOT_VISIBLE, slug="not-found") from None
    found = _EMPLOYER.objects(number=number)
    if not found or found[0].pk not in caller_of(request).employer_ids(permission):
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    return found[0]


_EMPLOYER = Statement(
    lambda p: Employer.objects.filter(enterprise_number=p.number).values_list(*fields_of(Employer))
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


# --- ETags and conditional requests ----------------------------------------------------


def content_etag(data: Any) -> str:
    """A strong ETag from the JSON representation of a resource."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:24] + '"'


def bytes_etag(content: bytes) -> str:
    """A strong ETag from a body as it is sent."""
    return '"' + hashlib.sha256(content).hexdigest()[:24] + '"'


def version_etag(version: int) -> str:
    return f'"{version}"'


# An entity tag (RFC 9110 §8.8.3): an optional W/ and a quoted opaque tag.
_ENTITY_TAG = re.compile(r'(W/)?("[\x21\x23-\x7e\x80-\xff]*")')


def entity_tags(header: str) -> list[tuple[bool, str]] | None:
    """The (weak, tag) pairs of an If-Match / If-None-Match list; None for ``*``.

    A part that is no entity tag is left out: it can match nothing. (Our tags hold no
    comma, so splitting on commas never cuts one of them.)
    """
    if header.strip() == "*":
        return None
    tags = []
    for part in header.split(","):
        match = _ENTITY_TAG.fullmatch(part.strip())
        if match:
            tags.append((bool(match.group(1)), match.group(2)))
    return tags


def check_if_match(request: HttpRequest, current: str | None) -> None:
    """412 unless If-Match (when sent) is ``*`` with a current representation, or names
    the current ETag among its strong tags: If-Match compares strongly, a weak tag never
    matches (RFC 9110 §13.1.1)."""
    header = request.META.get("HTTP_IF_MATCH")
    if header is None:
        return
    tags = entity_tags(header)
    if current is not None and (tags is None or (False, current) in tags):
        return
    if current is None:
        detail = _("Deze resource bestaat niet; If-Match vraagt een bestaande versie ervan.")
    else:
        detail = _(
            "If-Match noemt geen actuele versie van deze resource (een zwakke tag komt "
            "nooit overeen)."
        )
    raise Problem(
        412,
        detail,
        slug="stale-version",
        current_etag=current,
    )


def check_if_none_match(request: HttpRequest, current: str | None) -> None:
    """On a write: 412 when If-None-Match is ``*`` and the resource exists, or names its
    current ETag (weak comparison, RFC 9110 §13.1.2). ``current``: None when the
    resource does not exist."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if header is None or current is None:
        return
    tags = entity_tags(header)
    if tags is not None and current not in {tag for _weak, tag in tags}:
        return
    raise Problem(
        412,
        _(
            "If-None-Match sluit de actuele versie van deze resource uit (* staat voor "
            "elke bestaande versie)."
        ),
        slug="stale-version",
        current_etag=current,
    )


_VERSION_TAG = re.compile(r'"[0-9]{1,18}"')  # ASCII digits only: "²" is a digit to str


def if_match_version(request: HttpRequest) -> frozenset[int] | None:
    """The versions a write may still find under its lock: those an If-Match that
    ``check_if_match`` accepted names by strong tags (None without If-Match or with
    ``*``, which only asks that the resource exists). Any of them will do: the version
    may move between the check and the lock to another one the client listed."""
    header = request.META.get("HTTP_IF_MATCH")
    tags = entity_tags(header) if header is not None else None
    if tags is None:
        return None
    return frozenset(
        int(tag.strip('"')) for weak, tag in tags if not weak and _VERSION_TAG.fullmatch(tag)
    )


def none_match(request: HttpRequest, etag: str) -> bool:
    """Whether If-None-Match is ``*`` or names ``etag`` (weak comparison, §13.1.2)."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if header is None:
        return False
    tags = entity_tags(header)
    return tags is None or etag in {tag for _weak, tag in tags}


def with_etag(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    return response


def not_modified(
    request: HttpRequest, response: HttpResponse, etag: str, *, weak: bool = False
) -> HttpResponse | None:
    """Set ``etag`` on ``response`` (marked weak if ``weak``: an equivalent body, not the
    same bytes); a 304 (with the same headers) when the request's If-None-Match names
    it, None otherwise."""
    with_etag(response, "W/" + etag if weak else etag)
    if not none_match(request, etag):
        return None
    answer = HttpResponse(status=304)
    for name in ("ETag", "Vary", "Content-Language", "Cache-Control", "Link"):
        if response.has_header(name):
            answer[name] = response[name]
    return answer


def etagged(request: HttpRequest, response: HttpResponse, data: Any) -> Any:
    """A GET's answer: ``data`` with its ETag, or a 304 when the client has it already."""
    return not_modified(request, response, content_etag(data)) or data


# --- cursors -------------------------------------------------------------------------

BAD_CURSOR = _("Deze cursor werd niet door deze API gegeven.")
_MAX_ID = 2**63 - 1


def encode_cursor(values: list[Any]) -> str:
    text = json.dumps(values, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> list[Any]:
    """The values of a cursor this API gave, each of its kind (``str``: no NUL, which
    PostgreSQL refuses, and no lone surrogate; ``int``: a row id); 400 for anything
    else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError):
        values = None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise Problem(400, BAD_CURSOR, slug="bad-cursor")
    for value, kind in zip(values, kinds, strict=True):
        if kind is int:
            good = type(value) is int and 0 < value <= _MAX_ID
        elif kind is str:
            good = isinstance(value, str) and "\x00" not in value and _encodable(value)
        else:
            good = isinstance(value, kind)
        if not good:
            raise Problem(400, BAD_CURSOR, slug="bad-cursor")
    return values


def _encodable(text: str) -> bool:
    """Whether the database can take ``text``: JSON may carry a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def cursor_instant(text: str) -> dt.datetime:
    """A moment a cursor carries (written with its offset), in UTC; 400 if it is not
    one this API gave."""
    try:
        given = dt.datetime.fromisoformat(text)
    except ValueError:
        given = None
    moment = utc_instant(given) if given is not None and given.tzinfo else None
    if moment is None:
        raise Problem(400, BAD_CURSOR, slug="bad-cursor")
    return moment


# --- a moment in a query ("changed since") -------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def iso_8601_only(value: object) -> object:
    """A moment in a query is ISO 8601: not a number of seconds, which pydantic would
    also take (a validator run before pydantic's own)."""
    if isinstance(value, int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value.strip())
    ):
        raise PydanticCustomError("datetime_parsing", "Input should be a date and time in ISO 8601")
    return value


def since_in_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A "since" moment in UTC. One before the first moment UTC can hold (year 1 east
    of Greenwich) is the first one, and one after the last the last one: the same rows
    are at or after it."""
    if value is None:
        return None
    instant = utc_instant(value)
    if instant is None:
        extreme = dt.datetime.min if value.year == 1 else dt.datetime.max
        instant = extreme.replace(tzinfo=dt.UTC)
    return instant


# A query's "since" moment: ISO 8601 only, in UTC (the filters of the API's lists).
Since = Annotated[dt.datetime | None, BeforeValidator(iso_8601_only), AfterValidator(since_in_utc)]


# --- a whole number in a query or a path ----------------------------------------------

# How a whole number is written in a query or a path: the ASCII digits of a JSON integer,
# no leading zero. Every integer parameter of the API counts something that is never
# negative (a page size, a year, a file id), so none takes a sign.
WHOLE_NUMBER_PATTERN = r"^(0|[1-9][0-9]*)$"
_WHOLE_NUMBER = re.compile(WHOLE_NUMBER_PATTERN.strip("^$"))


def digits_only(value: object) -> object:
    """The text of an integer parameter, if it is written in ASCII digits and nothing
    else (a validator run before pydantic's own, which reads ``1.0``, ``1_0``, ``+1``,
    `` 1`` and ``٣`` as numbers): a mistaken value is refused, not read as another.
    ``05`` is refused too: one value, one spelling (a URL names one resource)."""
    if type(value) is int and value >= 0:  # a default, or a caller in Python
        return value
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        return value
    raise PydanticCustomError(
        "whole_number_text",
        "Input should be a whole number written in the digits 0-9 only, without a leading "
        "zero, a sign, spaces, a fraction, an exponent or separators",
    )


class _WrittenAs:
    """The JSON schema of an integer parameter: the pattern of its text, and a minimum
    of 0 where the parameter gives none of its own (the pattern has no sign)."""

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        return {"minimum": 0, **handler(schema), "pattern": WHOLE_NUMBER_PATTERN}


_WholeNumber = Annotated[int, _WrittenAs()]
# Every integer query or path parameter of the API is one of these two, its bounds given
# where it is declared (``Field``, ``Path``); the OpenAPI document shows the pattern. (The
# check wraps the optional one whole: pydantic 2.14 would document bounds put on a
# checked ``int`` inside ``| None`` as ``ge``/``le`` instead of ``minimum``/``maximum``.)
IntParam = Annotated[_WholeNumber, BeforeValidator(digits_only)]
OptionalIntParam = Annotated[_WholeNumber | None, BeforeValidator(digits_only)]


# --- a yes/no in a query ----------------------------------------------------------------


def true_or_false(value: object) -> object:
    """The text of a boolean parameter, if it is ``true`` or ``false`` (in any case:
    ``True`` is how Python's HTTP clients write it); a validator run before pydantic's
    own, which also reads ``1``, ``yes``, ``on``, ``0``, ``no``, ``off`` and ``t``: a
    mistaken value is refused, as a JSON body refuses anything but ``true`` and
    ``false`` for a boolean, not read as one of them."""
    if type(value) is bool:  # a default, or a caller in Python
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise PydanticCustomError("boolean_text", "Input should be true or false")


# Every boolean query parameter of the API.
BoolParam = Annotated[bool, BeforeValidator(true_or_false)]


def utc_instant(moment: dt.datetime) -> dt.datetime | None:
    """``moment`` in UTC (a naive one read in the default time zone, as Django does);
    None when UTC has no such moment (year 1 east of Greenwich, 9999 west of it)."""
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None


# --- the one write path --------------------------------------------------------------


@contextmanager
def worker_locked(insz: str) -> Iterator[None]:
    """A transaction holding the lock of the worker ``insz`` (when he exists; on
    PostgreSQL also a lock on the INSZ, so that one who does not exist yet is created
    once).

    The write path locks a worker before it changes anything of it, so an If-Match
    checked inside this block still holds when the declaration is applied: a write of
    the same worker that commits in between makes the check wait for it and fail.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A worker not on file yet has no row to lock: two requests creating him at
            # once would both find him absent (both answering 201, or both passing
            # If-None-Match: *). A lock on his INSZ itself orders them.
            key = int.from_bytes(
                hashlib.blake2b(f"fla-worker:{insz}".encode(), digest_size=8).digest(),
                "big",
                signed=True,
            )
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
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
        problem.slug, problem.title = "stale-version", TITLES[412]
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


def declare_if(
    request: HttpRequest, declaration: Declaration, employer: Employer, current: str | None
) -> Outcome:
    """``declare`` under the request's If-Match and If-None-Match, checked against
    ``current`` (the resource's ETag, None where there is none yet); a failed If-Match
    on a resource already as the write asks is a retry (``unchanged_retry``)."""
    try:
        check_if_match(request, current)
        check_if_none_match(request, current)
        return declare(request, declaration, employer)
    except Problem as problem:
        # A retry whose first attempt went through: the resource is as it asks.
        return unchanged_retry(request, problem, declaration, employer)


def unchanged_retry(
    request: HttpRequest,
    problem: Problem,
    declaration: Declaration,
    employer: Employer | None = None,
) -> Outcome:
    """The outcome of a write whose If-Match failed (``problem``) when the resource is
    already what the write asks: a retry of a write that went through, whose answer the
    client did not get. It is answered as a repeated write is (200, nothing changes),
    as RFC 9110 §13.1.1 allows; anything else raises ``problem``. A dry run of the
    declaration, without its condition, tells whether it would change anything."""
    from fla.declarations.services import submit

    retry = (
        problem.status == 412
        and request.META.get("HTTP_IF_MATCH") is not None
        and request.META.get("HTTP_IF_NONE_MATCH") is None
    )
    if not retry:
        raise problem
    employers = [employer] if employer is not None else []
    [outcome] = submit(
        caller_of(request),
        [dataclasses.replace(declaration, if_version=None)],
        dry_run=True,
        employers=employers,
    )
    if not outcome.accepted or outcome.changed:
        raise problem
    return outcome
