"""htmx requests whose session has ended.

``login_required`` answers a redirect to the login page. An htmx request (a progress bar
that polls, a search) follows it inside its XMLHttpRequest and swaps the whole login
page into its target. For htmx, that redirect becomes ``HX-Redirect``: htmx then loads
the login page as a page, which leads back, once logged in, to the page the user was on
(htmx's ``HX-Current-URL``), not to the fragment it polled.

The answer is 204 with ``HX-Redirect``: htmx follows that header whatever the status,
and swaps nothing for a 204. Not 401, which HTTP (RFC 9110 §15.5.2) gives only with a
``WWW-Authenticate`` challenge, and no HTTP authentication scheme describes a login
page; a 204 claims nothing beyond "nothing to swap, go there".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

REDIRECTS = (301, 302, 303, 307, 308)


class HtmxLoginRedirectMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.headers.get("HX-Request") != "true"
            or response.status_code not in REDIRECTS
            or urlsplit(response.get("Location", "")).path != resolve_url(settings.LOGIN_URL)
        ):
            return response
        back = "/"
        try:
            page = urlsplit(request.headers.get("HX-Current-URL", ""))
        except ValueError:  # not a URL at all
            page = None
        if page is not None and page.path and _same_site(request, page.geturl()):
            path = page.path + ("?" + page.query if page.query else "")
            # The path alone must lead to this site too ("//elsewhere/" would not).
            if _same_site(request, path):
                back = path
        login = redirect_to_login(back)["Location"]
        answer = HttpResponse(status=204)
        answer["HX-Redirect"] = login
        add_never_cache_headers(answer)
        return answer


def _same_site(request, url: str) -> bool:
    return url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
