"""``/api/v1/``: the ninja API, the OAuth2 token endpoint, and problem+json for the rest."""

from __future__ import annotations

import functools

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.views import TokenView

from fla.api.api import api
from fla.api.problems import Problem, problem_response, set_language_headers, text

app_name = "api"


def _problem_for_plain_errors(view):
    """Ninja answers an unsupported method with a plain 405; make it problem+json. Every
    answer says the language negotiated for the request (``Content-Language``)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/problem+json"
        ):
            allowed = response.get("Allow", "")
            return problem_response(
                request,
                Problem(
                    405,
                    text(_("Toegelaten methoden: %(allowed)s."), allowed=allowed),
                    slug="method-not-allowed",
                    headers={"Allow": allowed},
                ),
            )
        return set_language_headers(request, response)

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapper


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    problem = Problem(404, _("Deze API kent dit adres niet."), slug="not-found")
    return problem_response(request, problem)


_ninja_patterns, _app, _namespace = api.urls
for _pattern in _ninja_patterns:
    _pattern.callback = _problem_for_plain_errors(_pattern.callback)

urlpatterns = [
    path("oauth/token", TokenView.as_view(), name="token"),
    *_ninja_patterns,
    re_path(r"^(?P<rest>.*)$", not_found, name="not-found"),
]
