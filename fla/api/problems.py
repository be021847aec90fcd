"""RFC 9457 problem details: every error of the API is ``application/problem+json``.

A problem has ``type``, ``title``, ``status``, ``detail`` and ``instance``; problems
about declarations add ``anomalies`` (code, severity, zone and message, the message
in the language negotiated for the request), problems about the shape of a request add
``errors``. Every answer of the API says that language in ``Content-Language``.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from fla.declarations.anomalies import LANGUAGES

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:fla:problem:"
INVALID_REQUEST = "The request does not have the expected shape."

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    411: "Length required",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
}


def request_language(request: HttpRequest) -> str:
    """The language negotiated for the request, one of nl/fr/de/en: what Django's
    LocaleMiddleware chose (the language cookie, else the first supported language of
    ``Accept-Language``, else ``LANGUAGE_CODE``, nl). Messages and ``Content-Language``
    both follow it."""
    code = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(
        request
    )
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
    """Raised anywhere in the API; the exception handler turns it into problem+json."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        slug: str = "",
        title: str = "",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or TITLES.get(status, ""))
        self.status = status
        self.detail = detail
        self.slug = slug
        self.title = title or TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, request: HttpRequest | None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug if self.slug else "about:blank",
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            data["detail"] = self.detail
        if request is not None:
            data["instance"] = request.path
        data.update(self.extensions)
        return data


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
        "The declaration was rejected; nothing of it was stored.",
        slug="anomalies",
        title="Declaration rejected",
        anomalies=anomalies,
    )


def validation_problem(
    request: HttpRequest, where: str, zone: str, code: str, error: str, **params: Any
) -> Problem:
    """The 422 of a request of the wrong shape, for one zone the schema cannot check."""
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
}
_LITERAL_CODES = {
    "kind": "E011",
    "status": "E012",
    "right_type": "E013",
    "action": "E015",
    "size_class": "E029",
}


def validation_errors(request: HttpRequest, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ninja's validation errors as problem ``errors``: where, what, and an anomaly code."""
    from fla.declarations.anomalies import CATALOGUE

    language = request_language(request)
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where = loc[0] if loc else ""
        # ninja puts the body parameter's own name after "body": drop it.
        path = loc[2:] if where == "body" and len(loc) > 1 else loc[1:]
        zone = next((p for p in reversed(path) if not p.isdigit()), "")
        code = _ERROR_CODES.get(str(error.get("type", "")))
        if code is None and error.get("type") in {"literal_error", "enum"}:
            code = _LITERAL_CODES.get(zone)
        item: dict[str, Any] = {
            "in": where,
            "zone": ".".join(path),
            "error": str(error.get("msg", "")),
        }
        if code:
            ctx = error.get("ctx") or {}
            params = {
                "value": error.get("value", ""),
                "max": ctx.get("max_length", ""),
                "length": "> " + str(ctx.get("max_length", "")),
            }
            item["code"] = code
            item["message"] = CATALOGUE[code].message(language, **params)
        result.append(item)
    return result
