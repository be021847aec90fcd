"""The REST API, ``/api/v1``: django-ninja, OAuth2 client credentials, problem+json."""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from decimal import Decimal

import annotated_types
from django.conf import settings
from django.core.exceptions import SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger
from ninja.parser import Parser
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from fla.api import openapi
from fla.api.auth import READ_AUTH, TOKEN_REQUIRED
from fla.api.problems import (
    BODY_NOT_AN_OBJECT,
    DUPLICATE_ZONE,
    INVALID_REQUEST,
    NUMBER_TOO_LONG,
    Problem,
    problem_response,
    text,
    validation_errors,
)
from fla.api.routers import catalogue, credit, declarations, employers, rights, trainings, workers
from fla.api.schemas import Problem as ProblemSchema

log = logging.getLogger(__name__)

DESCRIPTION = """\
The machine channel of the Federal Learning Account for employers and their
mandataries. The same declarations and the same anomaly catalogue as the online
application and BATCH.

* Authentication: OAuth2 client credentials (`POST /api/v1/oauth/token`), scopes
  `read` and `declare`. A client sees its own employer, or the employers its
  mandatary holds a mandate for; anything else answers 404.
* Errors: RFC 9457 `application/problem+json`. Blocking anomalies give 422 with every
  anomaly; warnings come back in the 200/201 body. Every text meant for a person (a
  problem's `title` and `detail`, the `message` of each anomaly and each error, the
  `reason` of each error of a BATCH file) is in the language negotiated from
  `Accept-Language` (nl, fr, de, en; nl when none of them is asked), which every
  answer names in `Content-Language`; `type`, `status`, codes and zones are the same
  in every language.
* Concurrency: every answer of a `GET` has an `ETag` (`If-None-Match` gives 304); send
  it back as `If-Match` and a stale version gives 412. `PUT` of a training by its
  reference is idempotent.
* Many at once: `POST /employers/{enterprise_number}/declarations` applies up to 1,000
  declarations of any kind, each by itself (200, one outcome each); the same body to
  `…/declarations/validate` is the dry run.
* Lists are paginated with an opaque `cursor` (`next_cursor` in the body; for
  `/employers`, the `Link` header).

The guide is docs/api.md.
"""


class BodyNotAnObject(ValueError):
    pass


class DuplicateZone(ValueError):
    def __init__(self, zone: str) -> None:
        super().__init__(f"The zone {zone!r} is given more than once.")
        self.zone = zone


class NumberTooLong(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(f"A number of {digits} digits; at most {MAX_DIGITS} are read.")


# Python reads integers of up to this many digits from text (sys.get_int_max_str_digits);
# no zone takes a number anywhere near as long.
MAX_DIGITS = 4300


def _integer(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_DIGITS:
        raise NumberTooLong(digits)
    return int(text)


class NotAJsonNumber(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: Python's reader takes them, JSON (RFC 8259
    §6) has no such literal. Where it stands in the body, as for any text that does not
    parse."""

    def __init__(self, literal: str, document: str) -> None:
        super().__init__(f"{literal} is no JSON value.")
        self.literal = literal
        # The reader stops at the first one: before it, outside strings, valid JSON has
        # no N or I (true, false, null, numbers and punctuation only).
        position = _first_constant(document)
        self.lineno = document.count("\n", 0, position) + 1
        self.colno = position - document.rfind("\n", 0, position)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _first_constant(document: str) -> int:
    """Where the first ``NaN``, ``Infinity`` or ``-Infinity`` outside a string starts."""
    outside = _STRING.sub(lambda m: " " * len(m.group()), document)
    found = re.search(r"-?Infinity|NaN", outside)
    return found.start() if found else 0


class UnsupportedMediaType(ValueError):
    def __init__(self, detail) -> None:
        super().__init__(str(detail))
        self.detail = detail


def _without_duplicates(pairs: list[tuple[str, object]]) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise DuplicateZone(key)
            seen.add(key)
    return data


def _json_media_type(media_type: str) -> bool:
    """``application/json``, or a structured syntax suffix ``application/…+json``."""
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class ObjectBodyParser(Parser):
    """Every body of this API is a JSON object in UTF-8, sent as ``application/json``
    (or ``application/…+json``): another media type or charset is refused with 415,
    a key given twice in an object with 422, rather than reading something else than
    what the client meant. Anything but an object (``0``, ``[]``, ``null``) is refused
    with 422, rather than read as an object with no zones: a ``PUT`` of rights would
    otherwise take it for "no declared right" and clear them. Numbers with a fraction
    are read as decimals, exactly as written (a regime keeps every digit it was sent
    with, as in a BATCH file). ``NaN``, ``Infinity`` and ``-Infinity``, which Python's
    reader would take, are no JSON: the body does not parse (400)."""

    def parse_body(self, request: HttpRequest) -> dict:
        media_type = (request.content_type or "").strip().lower()
        if not _json_media_type(media_type):
            raise UnsupportedMediaType(
                text(
                    _(
                        "De inhoud van het verzoek moet JSON zijn (Content-Type: "
                        "application/json), niet %(media_type)s."
                    ),
                    media_type=media_type[:100] or "-",
                )
            )
        charset = (request.content_params or {}).get("charset")
        if charset is not None and charset.strip().lower() not in {"utf-8", "utf8"}:
            raise UnsupportedMediaType(
                text(
                    _(
                        "De inhoud van het verzoek moet in UTF-8 gecodeerd zijn, niet in "
                        "%(charset)s."
                    ),
                    charset=charset[:40],
                )
            )
        document = request.body.decode("utf-8-sig")

        def no_constant(literal: str):
            raise NotAJsonNumber(literal, document)

        data = json.loads(
            document,
            object_pairs_hook=_without_duplicates,
            parse_float=Decimal,
            parse_int=_integer,
            parse_constant=no_constant,
        )
        if not isinstance(data, dict):
            raise BodyNotAnObject("The body must be a JSON object.")
        return data


def _shown(value: object) -> str:
    """A rejected value as a message names it: as the client wrote it in JSON (``null``,
    ``true``, ``false``, not Python's ``None``, ``True``, ``False``), cut to 40
    characters; nothing for an object or a list."""
    if isinstance(value, dict | list):
        return ""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return str(value)[:40]


def declared_bounds(model: type[BaseModel], loc: tuple) -> dict[str, str]:
    """The ``minimum`` and ``maximum`` the zone at ``loc`` of ``model`` declares
    (``Field(ge=…, le=…)``, ``Path(…)``; through the models of a ``Query[...]``), so
    that a value out of range is answered with the range, from where it is declared."""
    fields: dict[str, FieldInfo] | None = model.model_fields
    info = None
    for part in loc:
        if fields is None or not isinstance(part, str) or part not in fields:
            return {}
        info = fields[part]
        inner = info.annotation
        is_model = isinstance(inner, type) and issubclass(inner, BaseModel)
        fields = inner.model_fields if is_model else None
    bounds: dict[str, str] = {}
    for constraint in info.metadata if info is not None else ():
        if isinstance(constraint, annotated_types.Ge):
            bounds["minimum"] = str(constraint.ge)
        elif isinstance(constraint, annotated_types.Le):
            bounds["maximum"] = str(constraint.le)
    return bounds


class FlaNinjaAPI(NinjaAPI):
    def validation_error_from_error_contexts(self, error_contexts):
        """As ninja's, but keeping a short form of the rejected value for the message."""
        errors = []
        for context in error_contexts:
            model = context.model
            for error in context.pydantic_validation_error.errors(include_url=False):
                loc = model.__ninja_flatten_map_reverse__.get(error["loc"], error["loc"])
                value = error.get("input")
                errors.append(
                    {
                        "loc": (model.__ninja_param_source__, *loc),
                        "type": error["type"],
                        "msg": error["msg"],
                        "ctx": {
                            **{k: str(v) for k, v in (error.get("ctx") or {}).items()},
                            **declared_bounds(model, error["loc"]),
                        },
                        "value": _shown(value),
                    }
                )
        return ValidationError(errors)

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return openapi.complete(schema)


api = FlaNinjaAPI(
    title="Federal Learning Account API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=READ_AUTH,
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    parser=ObjectBodyParser(),
    openapi_extra={"info": {"license": {"name": "EUPL-1.2"}}},
)

for module in (employers, workers, rights, credit, trainings, declarations, catalogue):
    api.add_router("", module.router)

# The BATCH channel contributes its own endpoints (upload, receipt, notifications) here.
if importlib.util.find_spec("fla.batch.api") is not None:
    from fla.batch.api import router as batch_router  # noqa: E402

    api.add_router("/batches", batch_router)


def _add_problem_responses() -> None:
    """Document the problems each operation may answer, without repeating them per view."""
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                callbacks = [cb for cb in operation.auth_callbacks if hasattr(cb, "scopes")]
                if not callbacks and getattr(api.auth, "__iter__", None):
                    callbacks = [cb for cb in api.auth if hasattr(cb, "scopes")]
                if callbacks:
                    # one requirement per scope that will do: any one of them is enough
                    extra = dict(operation.openapi_extra or {})
                    extra["security"] = [
                        {"OAuth2": [scope]} for cb in callbacks for scope in cb.scopes
                    ]
                    operation.openapi_extra = extra
                for status in sorted(openapi.problem_statuses(path, operation)):
                    if status not in operation.response_models:
                        operation.response_models[status] = operation._create_response_model(
                            ProblemSchema
                        )


_add_problem_responses()


# --- every error is problem+json ---------------------------------------------------


@api.exception_handler(Problem)
def _on_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


@api.exception_handler(ValidationError)
def _on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem_response(
        request,
        Problem(
            422,
            INVALID_REQUEST,
            slug="invalid-request",
            errors=validation_errors(request, exc.errors),
        ),
    )


@api.exception_handler(AuthenticationError)
def _on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        request,
        Problem(
            401,
            TOKEN_REQUIRED,
            slug="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="fla"'},
        ),
    )


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, UnsupportedMediaType):
        return problem_response(request, Problem(415, cause.detail, slug="unsupported-media-type"))
    if isinstance(cause, BodyNotAnObject):  # JSON, but of the wrong shape
        errors = [{"in": "body", "zone": "", "error": str(cause), "message": BODY_NOT_AN_OBJECT}]
        problem = Problem(422, INVALID_REQUEST, slug="invalid-request", errors=errors)
        return problem_response(request, problem)
    if isinstance(cause, DuplicateZone):
        errors = [
            {
                "in": "body",
                "zone": cause.zone,
                "error": str(cause),
                "message": DUPLICATE_ZONE,
            }
        ]
        problem = Problem(422, INVALID_REQUEST, slug="invalid-request", errors=errors)
        return problem_response(request, problem)
    if isinstance(cause, NumberTooLong):  # valid JSON, but no zone takes such a number
        errors = [{"in": "body", "zone": "", "error": str(cause), "message": NUMBER_TOO_LONG}]
        problem = Problem(422, INVALID_REQUEST, slug="invalid-request", errors=errors)
        return problem_response(request, problem)
    if isinstance(cause, NotAJsonNumber):
        detail = text(
            _(
                "De inhoud van het verzoek is geen geldige JSON (regel %(line)s, kolom "
                "%(column)s): %(literal)s is geen JSON-waarde (JSON kent alleen eindige "
                "getallen)."
            ),
            line=cause.lineno,
            column=cause.colno,
            literal=cause.literal,
        )
    elif isinstance(cause, ValueError):  # JSON that does not parse: where it stopped
        line, column = getattr(cause, "lineno", None), getattr(cause, "colno", None)
        if line is not None and column is not None:
            detail = text(
                _(
                    "De inhoud van het verzoek is geen geldige JSON (regel %(line)s, kolom %(column)s)."
                ),
                line=line,
                column=column,
            )
        else:
            detail = _("De inhoud van het verzoek is geen geldige JSON.")
    elif exc.status_code == 400:  # a body the parser gave up on (nested too deep)
        detail = _("De inhoud van het verzoek kan niet gelezen worden.")
    else:
        detail = ""
    return problem_response(request, Problem(exc.status_code, detail, slug="bad-request"))


@api.exception_handler(Http404)
def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, Problem(404, _("Niet gevonden."), slug="not-found"))


@api.exception_handler(SuspiciousOperation)
def _on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """400, as Django answers one outside the API, and logged where Django logs it. A
    query string of more parameters than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fits in the
    request line gunicorn passes on."""
    logging.getLogger(f"django.security.{exc.__class__.__name__}").error("%s", exc)
    if isinstance(exc, TooManyFieldsSent):
        detail = text(
            _("Het verzoek telt meer dan %(max)s parameters."),
            max=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    else:
        detail = _("Het verzoek kan niet gelezen worden.")
    return problem_response(request, Problem(400, detail, slug="bad-request"))


@api.exception_handler(Exception)
def _on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
    if settings.DEBUG:
        raise exc
    log.exception("API error on %s %s", request.method, request.path)
    return problem_response(request, Problem(500, _("Er is een onverwachte fout opgetreden.")))
