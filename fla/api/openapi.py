"""What the OpenAPI document says each operation answers: the problems it can really
give, and the headers of its answers.

The problem statuses are decided per operation from what ninja knows of it (its method,
its path, the parameters it validates); ``complete`` then finishes the document: errors
as ``application/problem+json``, the 304 of conditional GETs, the conditional request
headers, and the response headers (ETag, Location, Link, Retry-After,
WWW-Authenticate). ``tests/api/test_openapi.py`` checks the document against what the
endpoints answer.
"""

from __future__ import annotations

from typing import Any

from fla.api.problems import PROBLEM_MEDIA_TYPE

# Every operation: a Content-Length that is no number or a cursor this API did not give
# (400), the token (401), its scope (403), a chunked body without length (411), the body
# size (413), the rate limit (429); the authentication checks them all before the view.
EVERY_OPERATION = (400, 401, 403, 411, 413, 429)

DESCRIPTIONS = {
    304: "Not modified: `If-None-Match` names the current `ETag`",
    400: "A body that is not JSON, a cursor this API did not give, or a `Content-Length` "
    "that is no number",
    401: "No token, or an unknown or expired one, or one of a revoked client",
    403: "The token lacks the scope of this operation",
    404: "It does not exist, or the client may not see it",
    409: "The file is not done yet: its notification is not ready",
    410: "The file's content (results, notification) was erased after the retention period",
    411: "A body sent chunked, without `Content-Length`",
    412: "`If-Match` names no current version (weak tags never match) and the resource "
    "is not already what the request asks, or `If-None-Match` is `*` and the resource "
    "exists, or names its current version",
    413: "The body is larger than the limit",
    415: "The body is not of the media type this operation takes (JSON: "
    "`application/json` or `application/…+json`, in UTF-8)",
    422: "A parameter or body of the wrong shape (`errors`), or blocking anomalies (`anomalies`)",
    429: "Too many requests for this client: wait `Retry-After` seconds",
}

_STRING = {"type": "string"}
ETAG = {"description": "The version of the representation.", "required": True, "schema": _STRING}
HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": 'Bearer realm="fla", with error and error_description.',
            "required": True,
            "schema": _STRING,
        }
    },
    403: {
        "WWW-Authenticate": {
            "description": (
                'Bearer realm="fla", error="insufficient_scope", error_description naming '
                "the scope needed, and scope when one scope will do (none when any of "
                "several will)."
            ),
            "required": True,
            "schema": _STRING,
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until the next request is counted again.",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    },
}
# Headers of one operation's successful answers, by operation id and status.
OPERATION_HEADERS = {
    ("list_employers", 200): {
        "Link": {
            "description": 'The next page (`rel="next"`), when there is one.',
            "required": False,
            "schema": _STRING,
        }
    },
    ("put_training", 200): {
        "Location": {"description": "The training.", "required": True, "schema": _STRING}
    },
    ("put_training", 201): {
        "Location": {"description": "The training.", "required": True, "schema": _STRING}
    },
    ("put_worker", 200): {
        "Location": {"description": "The worker.", "required": True, "schema": _STRING}
    },
    ("put_worker", 201): {
        "Location": {"description": "The worker.", "required": True, "schema": _STRING}
    },
    ("submit_batch", 202): {
        "Location": {
            "description": "The file's status (`GET /api/v1/batches/{file_id}`).",
            "required": True,
            "schema": _STRING,
        }
    },
}
_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The strong ETag(s) the change is based on (or `*`): 412 when none is current.",
    "schema": _STRING,
}
_IF_NONE_MATCH_WRITE = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": "`*` to write only what does not exist yet, or ETags the change must "
    "not be based on: 412 when the resource exists (`*`) or one of them is current.",
    "schema": _STRING,
}
CONDITIONAL = {
    "get": [
        {
            "in": "header",
            "name": "If-None-Match",
            "required": False,
            "description": "ETags the client holds: 304 when one is current (or `*`).",
            "schema": _STRING,
        }
    ],
    "put": [_IF_MATCH, _IF_NONE_MATCH_WRITE],
    "delete": [_IF_MATCH, _IF_NONE_MATCH_WRITE],
}


def problem_statuses(path: str, operation: Any) -> set[int]:
    """The problems a ninja operation can answer, besides those its view declares."""
    statuses = set(EVERY_OPERATION)
    if "{" in path:
        statuses.add(404)
    if any(_validates(model) for model in operation.models):
        statuses.add(422)
    if any(getattr(m, "__ninja_param_source__", "") == "body" for m in operation.models):
        statuses.add(415)  # a body not sent as JSON in UTF-8
    if {"PUT", "DELETE"} & set(operation.methods):  # each honours If-(None-)Match
        statuses.add(412)
    return statuses


def _validates(model: Any) -> bool:
    """Whether ninja can refuse a value of this parameter model (a body, a number, a
    bounded or optional string); a plain path string it never refuses."""
    if getattr(model, "__ninja_param_source__", "") == "body":
        return True
    return any(
        not (field.annotation is str and not field.metadata)
        for field in model.model_fields.values()
    )


def complete(document: dict[str, Any]) -> dict[str, Any]:
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            _complete_operation(method, operation)
    return document


def _complete_operation(method: str, operation: dict[str, Any]) -> None:
    # ninja lists the scheme without scopes; keep the entry that names them.
    security = operation.get("security") or []
    scoped = [req for req in security if any(req.values())]
    if scoped:
        operation["security"] = scoped
    # ninja keys responses by int, openapi_extra by str: merge them, extra wins.
    responses: dict[str, Any] = {}
    for status, response in operation.get("responses", {}).items():
        responses.setdefault(str(status), {}).update(response)
    if method == "get":
        responses["304"] = {}
    operation["responses"] = dict(sorted(responses.items()))
    for status, response in operation["responses"].items():
        code = int(status)
        content = response.get("content")
        if code >= 400 and content and "application/json" in content:
            response["content"] = {PROBLEM_MEDIA_TYPE: content["application/json"]}
        if code in DESCRIPTIONS and (code >= 300 or not response.get("description")):
            response["description"] = DESCRIPTIONS[code]
        headers = dict(HEADERS.get(code, {}))
        if code in (200, 201, 304) and method in ("get", "put", "delete"):
            headers["ETag"] = ETAG
        headers.update(OPERATION_HEADERS.get((operation.get("operationId"), code), {}))
        if headers:
            response["headers"] = headers
    if method in CONDITIONAL:
        operation["parameters"] = [*operation.get("parameters", []), *CONDITIONAL[method]]
