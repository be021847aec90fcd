"""Bearer tokens of API clients, turned into the ``Caller`` every service expects.

The checks run before ninja reads the body, in this order: body length known (411)
and size (413), token
(401), scope (403), rate limit per client (429).
"""

from __future__ import annotations

import hashlib
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from ninja.security.base import AuthBase
from oauth2_provider.models import AccessToken

from fla.accounts.access import Caller
from fla.api.problems import Problem, text
from fla.core.choices import Channel
from fla.core.statements import Statement

TOKEN_URL = "/api/v1/oauth/token"
SCOPE_DESCRIPTIONS = {
    "read": "Read the employers, workers, rights, credit and trainings the client may see.",
    "declare": "Declare workers, rights and trainings (and validate declarations).",
}
TOKEN_REQUIRED = _("Er is een bearer-token vereist.")


# Content-Length = 1*DIGIT (RFC 9110 §8.6), ASCII digits only.
_LENGTH = re.compile(r"[0-9]+")


def check_body_size(request: HttpRequest, limit: int | None = None) -> None:
    limit = settings.FLA_API_MAX_BODY_BYTES if limit is None else limit
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        # Its size is not known before it is read (and WSGI would hand it over empty).
        raise Problem(
            411,
            _(
                "Gelieve de inhoud van het verzoek met een header Content-Length te "
                "versturen: een inhoud in delen (chunked) wordt niet aanvaard."
            ),
            slug="length-required",
            max_bytes=limit,
        )
    header = request.META.get("CONTENT_LENGTH") or "0"
    try:
        if not _LENGTH.fullmatch(header):  # not int()'s " +5", "5_0" or "٥"
            raise ValueError(header)
        length = int(header)
    except ValueError:
        raise Problem(
            400, _("De header Content-Length is geen getal."), slug="bad-request"
        ) from None
    if length > limit:
        raise Problem(
            413,
            text(
                _(
                    "De inhoud van het verzoek telt %(length)s bytes; hoogstens %(limit)s "
                    "worden aanvaard."
                ),
                length=length,
                limit=limit,
            ),
            slug="too-large",
            max_bytes=limit,
        )


def _challenge(error: str = "", description: str = "", scope: str = "") -> dict[str, str]:
    parts = ['Bearer realm="fla"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return {"WWW-Authenticate": ", ".join(parts)}


def unauthorized(detail, error: str = "invalid_token") -> Problem:
    """A 401 whose ``detail`` is in the request's language; the challenge's
    ``error_description`` is in English, as RFC 6750 §3 allows it ASCII only."""
    with translation.override("en"):
        description = str(detail)
    return Problem(401, detail, slug="unauthorized", headers=_challenge(error, description))


def _count(name: str, *, add: int = 1) -> tuple[int, int]:
    """Count ``add`` in the fixed window of one minute of ``name`` (kept in Django's
    cache); the count so far and the seconds until the next window."""
    now = time.time()
    window = int(now // 60)
    key = f"fla:api:{name}:{window}"
    retry_after = max(1, int((window + 1) * 60 - now) + 1)
    if add == 0:
        return int(cache.get(key) or 0), retry_after
    if cache.add(key, add, timeout=61):
        return add, retry_after
    try:
        return cache.incr(key, add), retry_after
    except ValueError:  # expired between add and incr
        cache.add(key, add, timeout=61)
        return add, retry_after


def check_address_rate(address: str) -> None:
    """Token requests: at most ``FLA_API_TOKEN_RATE_LIMIT`` a minute from one client
    address, and none once ``FLA_API_TOKEN_FAILURE_LIMIT`` of them failed to
    authenticate their client in that minute (``count_failure``)."""
    for setting, name, add, message in (
        ("FLA_API_TOKEN_FAILURE_LIMIT", "token-failures", 0, _TOO_MANY_FAILURES),
        ("FLA_API_TOKEN_RATE_LIMIT", "token", 1, _TOO_MANY_TOKENS),
    ):
        limit = getattr(settings, setting)
        if limit <= 0:
            continue
        count, retry_after = _count(f"{name}:{address}", add=add)
        if count >= limit + add:
            raise Problem(
                429,
                text(message, limit=limit, seconds=retry_after),
                slug="rate-limited",
                headers={"Retry-After": str(retry_after)},
            )


def count_failure(address: str) -> None:
    """A token request from ``address`` whose client did not authenticate."""
    if settings.FLA_API_TOKEN_FAILURE_LIMIT > 0:
        _count(f"token-failures:{address}")


_TOO_MANY_TOKENS = _(
    "Te veel tokenaanvragen van dit adres: hoogstens %(limit)s per minuut. Probeer het "
    "opnieuw na %(seconds)s s."
)
_TOO_MANY_FAILURES = _(
    "Te veel mislukte aanmeldingen van API-clients van dit adres: hoogstens %(limit)s per "
    "minuut. Probeer het opnieuw na %(seconds)s s."
)


def check_rate(client_id: int) -> None:
    """A fixed window of one minute per client, counted in Django's cache."""
    limit = settings.FLA_API_RATE_LIMIT
    if limit <= 0:
        return
    count, retry_after = _count(f"rate:{client_id}")
    if count > limit:
        raise Problem(
            429,
            text(
                ngettext_lazy(
                    "Deze API-client heeft het maximum van %(limit)s verzoeken per minuut "
                    "bereikt; gelieve het over %(count)s seconde opnieuw te proberen.",
                    "Deze API-client heeft het maximum van %(limit)s verzoeken per minuut "
                    "bereikt; gelieve het over %(count)s seconden opnieuw te proberen.",
                    "count",
                ),
                limit=limit,
                count=retry_after,
            ),
            slug="rate-limited",
            headers={"Retry-After": str(retry_after)},
        )


def insufficient_scope(scopes: tuple[str, ...]) -> Problem:
    """A 403 for a token with none of ``scopes``, any one of which will do. The
    challenge's ``scope`` attribute lists the scopes a token needs all of (RFC 6750
    §3): it is there when one scope will do, and left out when any of several will,
    which the ``error_description`` (in English, as for a 401) then names."""
    scope, others = scopes[0], scopes[1:]
    if others:
        detail = text(
            _("Voor deze bewerking is de scope '%(scope)s' of '%(other)s' vereist."),
            scope=scope,
            other="' / '".join(others),
        )
    else:
        detail = text(_("Voor deze bewerking is de scope '%(scope)s' vereist."), scope=scope)
    with translation.override("en"):
        description = str(detail)
    challenge = _challenge("insufficient_scope", description, "" if others else scope)
    return Problem(403, detail, slug="insufficient-scope", headers=challenge)


class OAuth2(AuthBase):
    """OAuth2 client credentials: a bearer token from ``/api/v1/oauth/token``."""

    openapi_type = "oauth2"
    openapi_description = (
        "OAuth2 client credentials. Ask a token at " + TOKEN_URL + " with the client id "
        "and secret (HTTP Basic), then send it as `Authorization: Bearer <token>`."
    )
    openapi_flows = {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": SCOPE_DESCRIPTIONS}}

    def __init__(self, scope: str = "read", *alternatives: str) -> None:
        """The token needs ``scope``, or one of the ``alternatives``."""
        super().__init__()
        self.scope = scope
        self.scopes = (scope, *alternatives)

    def max_body_bytes(self) -> int:
        return settings.FLA_API_MAX_BODY_BYTES

    def __call__(self, request: HttpRequest) -> Caller:
        check_body_size(request, self.max_body_bytes())
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _space, raw = header.partition(" ")
        if not header:
            raise Problem(401, TOKEN_REQUIRED, slug="unauthorized", headers=_challenge())
        if scheme.lower() != "bearer" or not raw.strip():
            raise unauthorized(
                _("De header Authorization moet de vorm 'Bearer <token>' hebben."),
                "invalid_request",
            )
        caller = authenticate_token(raw.strip())
        if caller.scopes.isdisjoint(self.scopes):
            raise insufficient_scope(self.scopes)
        check_rate(caller.api_client_id)  # type: ignore[attr-defined]
        return caller


_CLIENT = "application__api_client__"
_TOKEN_FIELDS = (
    "expires",
    "scope",
    _CLIENT + "id",
    _CLIENT + "name",
    _CLIENT + "employer_id",
    _CLIENT + "mandatary_id",
    _CLIENT + "scopes",
    _CLIENT + "revoked_at",
)


_TOKEN = Statement(
    lambda p: AccessToken.objects.filter(token_checksum=p.checksum).values_list(*_TOKEN_FIELDS)[:1]
)


def authenticate_token(raw: str) -> Caller:
    """The caller of a bearer token: one query, by the token's checksum (unique), that
    reads only what the checks and the ``Caller`` need."""
    checksum = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    rows = _TOKEN.rows(checksum=checksum)
    if not rows:
        raise unauthorized(_("Het token is onbekend."))
    [(expires, token_scope, client_id, name, employer_id, mandatary_id, scopes, revoked)] = rows
    if expires <= timezone.now():
        raise unauthorized(_("Het token is verlopen."))
    if client_id is None or revoked is not None:
        raise unauthorized(_("De API-client van dit token is ingetrokken."))
    caller = Caller(
        channel=Channel.API,
        label=name,
        employer_id=employer_id,
        mandatary_id=mandatary_id,
        scopes=frozenset(token_scope.split()) & frozenset(scopes.split()),
    )
    caller.api_client_id = client_id  # type: ignore[attr-defined]
    return caller


READ_AUTH = OAuth2("read")
DECLARE_AUTH = OAuth2("declare")
