"""JSON bodies of the busiest reads and of the training writes' answers, written
without ninja's second pass over them.

An operation declared with ``response=Schema`` has ninja validate what the view returns
against that schema (attribute by attribute, through its ``DjangoGetter``) and dump it
again before rendering: for a page of 50 trainings that is most of the request's time.
The reads (credit, training list) and the answers of a training ``PUT`` or ``DELETE``
build their dicts with exactly the schema's fields and types, so they render them
directly, with the same renderer ninja would use; the schema still documents the
response, and ``tests/api/test_rendering.py`` checks that both ways give the same body.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.renderers import JSONRenderer

_RENDERER = JSONRenderer()


def json_body(request: HttpRequest, response: HttpResponse, data: Any) -> HttpResponse:
    """``response`` (ninja's temporal response, with its headers) carrying ``data``."""
    response.content = _RENDERER.render(request, data, response_status=response.status_code)
    return response
