"""``/api/v1/``: the ninja API, the OAuth2 token endpoint, and problem+json for the rest."""

from __future__ import annotations

import functools

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.views import TokenView

from fla.api.api import api
from fla.api.auth import check_address_rate, check_body_size, count_failure
from fla.api.problems import Problem, problem_response, set_language_headers, text
from fla.web.security import client_ip

app_name = "api"


_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allow(allowed: str) -> str:
    """Ninja's ``Allow``, with HEAD wherever GET is, and OPTIONS, in a fixed order."""
    methods = {m.strip().upper() for m in allowed.split(",") if m.strip()} | {"OPTIONS"}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods, key=lambda m: (_METHOD_ORDER + (m,)).index(m)))


def _not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    return problem_response(
        request,
        Problem(
            405,
            text(_("Toegelaten methoden: %(allowed)s."), allowed=allowed),
            slug="method-not-allowed",
            headers={"Allow": allowed},
        ),
    )


def _options(request: HttpRequest, allowed: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Allow"] = allowed
    return set_language_headers(request, response)


def _problem_for_plain_errors(view):
    """Ninja answers an unsupported method with a plain 405; make it problem+json. HEAD
    is answered wherever GET is, as GET would be but without the body (RFC 9110 §9.3.2);
    OPTIONS with 204 and ``Allow``. Every answer says the language negotiated for the
    request (``Content-Language``)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        method = request.method
        if method == "HEAD":
            request.method = "GET"
        try:
            response = view(request, *args, **kwargs)
        finally:
            request.method = method
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/problem+json"
        ):
            allowed = _allow(response.get("Allow", ""))
            if method == "OPTIONS":
                return _options(request, allowed)
            return _not_allowed(request, allowed)
        if method == "HEAD" and response.streaming:
            # A file (the notification): its headers, with its length, and no body.
            head = HttpResponse(status=response.status_code)
            for name, value in response.items():
                head[name] = value
            response.close()
            response = head
        elif method == "HEAD":
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        return set_language_headers(request, response)

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapper


_TOKEN_VIEW = TokenView.as_view()
_TOKEN_METHODS = "POST, OPTIONS"


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    """The OAuth2 token endpoint (client credentials), within the API's limits: the body
    size (413), requests and failed client authentications per client address (429).
    Its own errors are those of RFC 6749 §5.2 (``{"error": "invalid_client"}``)."""
    if request.method == "OPTIONS":
        return _options(request, _TOKEN_METHODS)
    if request.method != "POST":
        return _not_allowed(request, _TOKEN_METHODS)
    address = client_ip(request)
    try:
        check_body_size(request)
        check_address_rate(address)
    except Problem as problem:
        return problem_response(request, problem)
    response = _TOKEN_VIEW(request)
    if response.status_code == 401:  # the client id or secret is wrong
        count_failure(address)
    return response


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    problem = Problem(404, _("Deze API kent dit adres niet."), slug="not-found")
    return problem_response(request, problem)


def _read_only(view):
    """The OpenAPI document and its page are read: any other method is a 405 (ninja's
    views answered it with the document)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        return view(request, *args, **kwargs)

    return wrapper


_ninja_patterns, _app, _namespace = api.urls
for _pattern in _ninja_patterns:
    if _pattern.name in ("openapi-json", "openapi-view"):
        _pattern.callback = _read_only(_pattern.callback)
    _pattern.callback = _problem_for_plain_errors(_pattern.callback)

urlpatterns = [
    path("oauth/token", token, name="token"),
    *_ninja_patterns,
    re_path(r"^(?P<rest>.*)$", not_found, name="not-found"),
]
