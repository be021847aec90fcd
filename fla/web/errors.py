"""The error pages of the online application: 400 (a NUL character sent), 404, 403 (a
refused CSRF token too), 405 and 500, in the user's language and the application's layout, each with a way back to
the start page.

The API keeps its own answers: under /api/ every error is ``application/problem+json``
(fla.api.problems), here as in the API's views. The 500 page is rendered without the
request and without the database (it may be what failed): a static page.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from fla.web.current import current_context

API_PREFIX = "/api/"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def _api_problem(request: HttpRequest, status: int) -> HttpResponse:
    from fla.api.problems import Problem, problem_response

    if status == 404:
        from fla.api.urls import not_found

        return not_found(request)
    return problem_response(request, Problem(status))


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    """An error page with the application's header, and its menu for a signed-in user
    who works on an employer."""
    ctx = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        try:
            ctx = current_context(request)
        except DatabaseError:
            ctx = None
    return render(request, template, {"fla": ctx, "error_status": status}, status=status)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return _api_problem(request, 404)
    return _page(request, "404.html", 404)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return _api_problem(request, 403)
    return _page(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token (the page stayed open past the session, the
    cookie was refused): say so, and nothing was changed. Rendering the page gives the
    browser a new token, so that the next form goes through."""
    if _is_api(request):
        return _api_problem(request, 403)
    return _page(request, "403_csrf.html", 403)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_problem(request, 500)
    return HttpResponseServerError(loader.get_template("500.html").render())


def method_not_allowed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A readable page for a 405 of the online application (a GET of a form's target,
    say), with the original ``Allow``."""
    page = _page(request, "405.html", 405)
    if response.has_header("Allow"):
        page["Allow"] = response["Allow"]
    return page


class ErrorPageMiddleware:
    """Gives an empty 405 of the online application (``require_POST`` and the like) a
    page. API answers (/api/) are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not _is_api(request)
            and not response.streaming
            and not response.content
        ):
            return method_not_allowed(request, response)
        return response


class RefuseNulMiddleware:
    """Answers 400 with a page when a query or form value of the online application holds
    a NUL character, which no field may hold and PostgreSQL cannot store nor compare (a
    500 before). A multipart form's files are read by the same upload handlers as in
    the view (a BATCH file's cap applies); the API checks its own input (E018)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_api(request) and (
            _holds_nul(request.GET)
            or (
                request.method == "POST"
                and request.content_type in FORMS
                and _holds_nul(request.POST)
            )
        ):
            return _page(request, "400.html", 400)
        return self.get_response(request)


def _holds_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)) for key in values)
