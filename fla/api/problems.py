"""RFC 9457 problem details: every error of the API is ``application/problem+json``.

A problem has ``type``, ``title``, ``status``, ``detail`` and ``instance``; problems
about declarations add ``anomalies`` (code, severity, zone and message), problems about
the shape of a request add ``errors`` (each with a ``message``). Every text meant for a
person (title, detail, messages) is in the language negotiated for the request, which
every answer of the API says in ``Content-Language``; what a program reads (``type``,
``status``, codes, zones) is the same in every language.

The texts are gettext messages with Dutch msgids, as everywhere in FLA, translated in
fla/locale. A problem keeps them lazy and renders them in the request's language.
"""

from __future__ import annotations

import json
import re
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from fla.declarations.anomalies import LANGUAGES

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:fla:problem:"
INVALID_REQUEST = _("Het verzoek heeft niet de verwachte vorm.")

TITLES = {
    400: _("Ongeldig verzoek"),
    401: _("Niet geauthenticeerd"),
    403: _("Toegang geweigerd"),
    404: _("Niet gevonden"),
    405: _("Methode niet toegelaten"),
    409: _("Conflict"),
    410: _("Niet meer beschikbaar"),
    411: _("Lengte vereist"),
    412: _("Voorwaarde niet vervuld"),
    413: _("Inhoud te groot"),
    415: _("Mediatype niet ondersteund"),
    422: _("Inhoud niet verwerkbaar"),
    428: _("Voorwaarde vereist"),
    429: _("Te veel verzoeken"),
    500: _("Interne fout"),
}
ERROR = _("Fout")


def text(template: str | Promise, **params: Any) -> Promise:
    """``template`` (a gettext message with ``%(name)s`` placeholders, or an
    ``ngettext_lazy`` one counting on ``count``) filled in with ``params`` when it is
    rendered, in the language active then."""
    return lazy(lambda: str(template % params), str)()


def request_language(request: HttpRequest) -> str:
    """The language negotiated for the request, one of nl/fr/de/en: what Django's
    LocaleMiddleware chose (the language cookie, else the first supported language of
    ``Accept-Language``, else ``LANGUAGE_CODE``, nl). Messages and ``Content-Language``
    both follow it."""
    code = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)
    base = str(code).split("-")[0].lower()
    return base if base in LANGUAGES else settings.LANGUAGE_CODE


def set_language_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """``Content-Language`` (and ``Vary: Accept-Language``) of an API answer, unless it
    says its own (a BATCH notification is in the language of its file)."""
    from django.utils.cache import patch_vary_headers

    if not response.has_header("Content-Language"):
        response["Content-Language"] = request_language(request)
    patch_vary_headers(response, ("Accept-Language",))
    return response


class Problem(Exception):
    """Raised anywhere in the API; the exception handler turns it into problem+json.

    ``title`` and ``detail`` are gettext messages (lazy, or ``text(...)``): they are
    rendered in the language of the request the problem answers."""

    def __init__(
        self,
        status: int,
        detail: str | Promise = "",
        *,
        slug: str = "",
        title: str | Promise = "",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or TITLES.get(status, ""))
        self.status = status
        self.detail = detail
        self.slug = slug
        self.title = title or TITLES.get(status, ERROR)
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, request: HttpRequest | None) -> dict[str, Any]:
        """The problem's members, its texts in the request's language (without a
        request, in the active one)."""
        language = request_language(request) if request is not None else None
        with translation.override(language) if language else nullcontext():
            data: dict[str, Any] = {
                "type": PROBLEM_BASE + self.slug if self.slug else "about:blank",
                "title": str(self.title),
                "status": self.status,
            }
            if self.detail:
                data["detail"] = str(self.detail)
            if request is not None:
                data["instance"] = request.path
            data.update(_rendered(self.extensions))
        return data


def _rendered(value: Any) -> Any:
    """``value`` with every lazy text in it rendered in the active language."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {key: _rendered(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rendered(item) for item in value]
    return value


def problem_response(request: HttpRequest | None, problem: Problem) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem.body(request), ensure_ascii=False),
        status=problem.status,
        content_type=PROBLEM_MEDIA_TYPE,
    )
    for name, value in problem.headers.items():
        response[name] = value
    if request is not None:
        set_language_headers(request, response)
    return response


def anomalies_problem(request: HttpRequest, findings: list, status: int = 422) -> Problem:
    """Blocking anomalies of a declaration: every finding, in the caller's language."""
    language = request_language(request)
    anomalies = [finding.as_dict(language) for finding in findings]
    return Problem(
        status,
        _("De aangifte werd geweigerd; er werd niets van opgeslagen."),
        slug="anomalies",
        title=_("Aangifte geweigerd"),
        anomalies=anomalies,
    )


def validation_problem(
    request: HttpRequest, where: str, zone: str, code: str, error: str, **params: Any
) -> Problem:
    """The 422 of a request of the wrong shape, for one zone the schema cannot check.
    ``error`` is the technical reason (English, as pydantic's); ``message`` is for
    people, in the request's language."""
    from fla.declarations.anomalies import CATALOGUE

    return Problem(
        422,
        INVALID_REQUEST,
        slug="invalid-request",
        errors=[
            {
                "in": where,
                "zone": zone,
                "error": error,
                "code": code,
                "message": CATALOGUE[code].message(request_language(request), **params),
            }
        ],
    )


# Pydantic's error types mapped onto the anomaly catalogue, so that a malformed JSON
# zone gets the same code as the same mistake in a BATCH file or an online form.
_ERROR_CODES = {
    "missing": "E016",
    "int_parsing": "E019",
    "int_type": "E019",
    "int_from_float": "E019",
    "float_parsing": "E019",
    "float_type": "E019",
    "decimal_parsing": "E019",
    "decimal_type": "E019",
    "finite_number": "E019",
    "greater_than_equal": "E019",
    "less_than_equal": "E019",
    "greater_than": "E019",
    "less_than": "E019",
    "bool_parsing": "E020",
    "bool_type": "E020",
    "date_parsing": "E010",
    "date_from_datetime_parsing": "E010",
    "date_from_datetime_inexact": "E010",
    "date_type": "E010",
    "datetime_parsing": "E010",
    "datetime_from_date_parsing": "E010",
    "datetime_type": "E010",
    "string_too_long": "E017",
    "whole_number_text": "E019",
    "version_number": "E019",
    "boolean_text": "E020",
}
# pydantic's errors of a number out of the bounds its zone declares.
_RANGE_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}
# Errors with a catalogue code whose message says more than the catalogue's: what is
# allowed (in ``_ERROR_MESSAGES``).
_EXPLAINED = {
    "whole_number_text",
    "version_number",
    "boolean_text",
    "number_range",
    "number_from",
    "number_up_to",
}
_LITERAL_CODES = {
    "kind": "E011",
    "status": "E012",
    "right_type": "E013",
    "action": "E015",
    "size_class": "E029",
}
# The message of an error no catalogue code applies to, by pydantic's error type
# (``%(name)s`` from the error's context); anything else gets SHAPE_MESSAGE.
_ERROR_MESSAGES = {
    "string_type": _("Deze zone moet tekst zijn."),
    "literal_error": _("Onbekende waarde: %(value)s. Toegelaten: %(expected)s."),
    "enum": _("Onbekende waarde: %(value)s. Toegelaten: %(expected)s."),
    "dict_type": _("Deze zone moet een JSON-object zijn."),
    "model_type": _("Deze zone moet een JSON-object zijn."),
    "model_attributes_type": _("Deze zone moet een JSON-object zijn."),
    "list_type": _("Deze zone moet een lijst (JSON-array) zijn."),
    "too_long": _("De lijst telt te veel elementen (hoogstens %(max)s)."),
    "extra_forbidden": _("Deze zone is onbekend."),
    # ``if_version`` where there is no version to compare: what to send instead.
    "if_version_in_body": _(
        "Deze zone is onbekend: om enkel te schrijven wat sinds je GET niet veranderde, "
        "stuur je de ETag van die GET in de header If-Match."
    ),
    "if_version_not_versioned": _(
        "Alleen een opleiding heeft een versie (if_version). Rechten en een werknemer "
        "schrijf je voorwaardelijk met hun eigen PUT en de header If-Match (de ETag van "
        "hun GET)."
    ),
    "if_version_in_data": _("if_version staat in de aangifte naast kind en data, niet in data."),
    # An integer query or path parameter not written in digits alone (``IntParam``).
    "whole_number_text": _(
        "Ongeldig geheel getal: %(value)s. Schrijf alleen de cijfers 0-9, zonder "
        "voorloopnul, teken, spatie, decimalen of scheidingsteken."
    ),
    # A parameter out of the bounds it declares (``Field(ge=…, le=…)``, ``Path``).
    "number_range": _("Ongeldig getal: %(value)s. Toegelaten: %(min)s tot %(max)s."),
    "number_from": _("Ongeldig getal: %(value)s. Toegelaten: vanaf %(min)s."),
    "number_up_to": _("Ongeldig getal: %(value)s. Toegelaten: hoogstens %(max)s."),
    # A boolean query parameter that is neither true nor false (``BoolParam``).
    "boolean_text": _("Ongeldige ja/nee-waarde: %(value)s. Toegelaten: true, false."),
    # ``if_version`` of a declaration that is no version (``VersionIn``).
    "version_number": _(
        "Ongeldige versie: %(value)s. Toegelaten: 0 (de opleiding mag nog niet bestaan) "
        "of de versie die ze moet hebben, vanaf 1."
    ),
}
SHAPE_MESSAGE = _("Deze waarde heeft niet de verwachte vorm.")
# A query or path parameter given without a value (``?limit=``): refused as any other
# value that is not one, whatever its type, with this message.
EMPTY_PARAMETER = _("De parameter %(zone)s is leeg. Laat hem weg of geef hem een waarde.")
BODY_NOT_AN_OBJECT = _("De inhoud van het verzoek moet een JSON-object zijn.")
DUPLICATE_ZONE = _("Deze zone komt meer dan eens voor.")
NUMBER_TOO_LONG = _("Een getal in de inhoud van het verzoek telt te veel cijfers.")


def _rendered_in(language: str, message: Any) -> str:
    with translation.override(language):
        return str(message)


def _allowed(expected: str) -> str:
    """Pydantic's ``'a', 'b' or 'c'`` as ``a, b, c``: no English "or" in a message."""
    values = re.findall(r"'([^']*)'", expected)
    return ", ".join(values) if values else expected


def _literal_code(zone: str, expected: str) -> str | None:
    """The catalogue code of an unknown value of ``zone``, when the zone holds what the
    catalogue's anomaly is about: a BATCH file's ``status`` filter (``received``, …) is
    not a training's status (E012), whose message lists the training statuses."""
    from fla.declarations.anomalies import CATALOGUE

    code = _LITERAL_CODES.get(zone)
    if code is None:
        return None
    message = CATALOGUE[code].message("nl", value="")
    values = re.findall(r"'([^']*)'", expected)
    return code if all(value in message for value in values) else None


def _bounds(ctx: dict[str, Any]) -> dict[str, Any]:
    """The bounds a parameter declares, as ``FlaNinjaAPI`` puts them in an error's
    context (``minimum``, ``maximum``), by the names the messages use."""
    names = {"minimum": "min", "maximum": "max"}
    return {names[key]: value for key, value in ctx.items() if key in names}


def _range_kind(ctx: dict[str, Any]) -> str:
    """The message of a number out of range: the range its parameter declares."""
    if "minimum" in ctx and "maximum" in ctx:
        return "number_range"
    if "minimum" in ctx:
        return "number_from"
    if "maximum" in ctx:
        return "number_up_to"
    return ""  # no declared bound found: the catalogue's message


def validation_errors(request: HttpRequest, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ninja's validation errors as problem ``errors``: where, what, an anomaly code
    where one applies, and always a ``message`` in the request's language (``error``
    is pydantic's own English text, for developers)."""
    from fla.declarations.anomalies import CATALOGUE

    language = request_language(request)
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where = loc[0] if loc else ""
        # ninja puts the body parameter's own name after "body": drop it.
        path = loc[2:] if where == "body" and len(loc) > 1 else loc[1:]
        zone = next((p for p in reversed(path) if not p.isdigit()), "")
        kind = str(error.get("type", ""))
        if kind == "extra_forbidden" and path == ["if_version"] and request.method == "PUT":
            # A resource's body: rights, a worker, a training have no version zone, the
            # ETag of their GET is their version, sent in If-Match.
            kind = "if_version_in_body"
        if where == "body" and not path and kind == "missing":
            # No body at all (an empty one): not a zone that is missing, the object is.
            result.append(
                {
                    "in": where,
                    "zone": "",
                    "error": "The body must be a JSON object.",
                    "message": _rendered_in(language, BODY_NOT_AN_OBJECT),
                }
            )
            continue
        code = _ERROR_CODES.get(kind)
        if code is None and kind in {"literal_error", "enum"}:
            code = _literal_code(zone, str((error.get("ctx") or {}).get("expected", "")))
        item: dict[str, Any] = {
            "in": where,
            "zone": ".".join(path),
            "error": str(error.get("msg", "")),
        }
        ctx = error.get("ctx") or {}
        if code:
            item["code"] = code
        if where in {"query", "path"} and kind in _RANGE_ERRORS:
            kind = _range_kind(ctx)
        if where in {"query", "path"} and kind != "missing" and error.get("value") == "":
            with translation.override(language):
                item["message"] = str(EMPTY_PARAMETER) % {"zone": zone}
        elif code and kind not in _EXPLAINED:
            params = {
                "value": error.get("value", ""),
                "max": ctx.get("max_length", ""),
                "length": "> " + str(ctx.get("max_length", "")),
            }
            item["message"] = CATALOGUE[code].message(language, **params)
        else:
            params = {
                "value": error.get("value", ""),
                "expected": _allowed(str(ctx.get("expected", ""))),
                "max": ctx.get("max_length", ""),
                **_bounds(ctx),
            }
            with translation.override(language):
                item["message"] = str(_ERROR_MESSAGES.get(kind, SHAPE_MESSAGE)) % params
        result.append(item)
    return result
