"""Accept-Language as RFC 9110 §12.4.2 reads it: a language with ``q=0`` is one the
client does not accept.

Django's LocaleMiddleware takes every language the header names, ``q=0`` included (it
only sorts them by weight), so ``fr;q=0`` got French. This middleware, just before it,
drops those ranges from the header; what is left is negotiated as before (nothing left:
the default language, nl)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_REFUSED = re.compile(r";\s*q\s*=\s*0(?:\.0{0,3})?\s*$", re.IGNORECASE)


def accepted_ranges(header: str) -> str:
    """``header`` without its ranges of weight 0."""
    return ",".join(
        part.strip() for part in header.split(",") if part.strip() and not _REFUSED.search(part)
    )


class RefusedLanguagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_ACCEPT_LANGUAGE")
        if header and "q" in header.lower():
            kept = accepted_ranges(header)
            if kept:
                request.META["HTTP_ACCEPT_LANGUAGE"] = kept
            else:
                del request.META["HTTP_ACCEPT_LANGUAGE"]
        return self.get_response(request)
