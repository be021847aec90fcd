"""Login through OpenID Connect, with mozilla-django-oidc.

Configuration comes from four settings: ``OIDC_ISSUER``, ``OIDC_CLIENT_ID``,
``OIDC_CLIENT_SECRET`` and ``OIDC_INSZ_CLAIM``. The provider's endpoints are read from
its discovery document (``<issuer>/.well-known/openid-configuration``) the first time a
login needs them, unless a setting of mozilla-django-oidc (``OIDC_OP_TOKEN_ENDPOINT``,
...) names them explicitly. A person is matched to a ``User`` by the INSZ claim; a
first login creates the user, who still sees no employer until access is granted.
"""

from __future__ import annotations

import logging
import threading

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from fla.accounts.services import username_for_insz
from fla.core.identifiers import InvalidIdentifier, clean_insz

log = logging.getLogger(__name__)

_DISCOVERY_KEYS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}
_discovered: dict[str, dict] = {}
_lock = threading.Lock()


def oidc_configured() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def discovery(issuer: str) -> dict:
    """The provider's discovery document, fetched once per process."""
    with _lock:
        if issuer not in _discovered:
            url = issuer.rstrip("/") + "/.well-known/openid-configuration"
            response = requests.get(
                url,
                timeout=getattr(settings, "OIDC_TIMEOUT", None) or 10,
                verify=getattr(settings, "OIDC_VERIFY_SSL", True),
            )
            response.raise_for_status()
            _discovered[issuer] = response.json()
        return _discovered[issuer]


def forget_discovery() -> None:
    with _lock:
        _discovered.clear()


def oidc_setting(attr: str, *default):
    """A mozilla-django-oidc setting, derived from FLA's own settings where it is not set."""
    if hasattr(settings, attr):
        return getattr(settings, attr)
    if attr == "OIDC_RP_CLIENT_ID":
        return settings.OIDC_CLIENT_ID
    if attr == "OIDC_RP_CLIENT_SECRET":
        return settings.OIDC_CLIENT_SECRET
    if attr == "OIDC_RP_SCOPES":
        return settings.OIDC_SCOPES
    if attr == "OIDC_RP_SIGN_ALGO":
        return "RS256"
    if attr == "OIDC_USE_PKCE":
        # RFC 7636; a provider that does not know it ignores the parameters.
        return True
    if attr == "OIDC_AUTHENTICATION_CALLBACK_URL":
        return "web:oidc_callback"
    if attr in ("LOGIN_REDIRECT_URL_FAILURE",):
        return "web:login_failed"
    if attr in _DISCOVERY_KEYS:
        if not settings.OIDC_ISSUER:
            if default:
                return default[0]
            raise ImproperlyConfigured("OIDC_ISSUER is not set")
        value = discovery(settings.OIDC_ISSUER).get(_DISCOVERY_KEYS[attr])
        if value is None and not default:
            raise ImproperlyConfigured(f"the provider's discovery document has no {attr}")
        return value if value is not None else default[0]
    if default:
        return default[0]
    raise ImproperlyConfigured(f"Setting {attr} not found")


def _lazy(attr: str, *default):
    return property(lambda self: self.get_settings(attr, *default))


class InszOIDCBackend(OIDCAuthenticationBackend):
    """Authenticates through the authorization code flow; the user is found by INSZ."""

    # Read when a login needs them, not when Django builds the backend for every
    # request of a logged-in user (which must not depend on the provider being up).
    OIDC_OP_TOKEN_ENDPOINT = _lazy("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _lazy("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _lazy("OIDC_OP_JWKS_ENDPOINT", None)
    OIDC_RP_CLIENT_ID = _lazy("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _lazy("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _lazy("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_IDP_SIGN_KEY = _lazy("OIDC_RP_IDP_SIGN_KEY", None)

    def __init__(self, *args, **kwargs):
        ModelBackend.__init__(self, *args, **kwargs)
        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr, *args):
        return oidc_setting(attr, *args)

    def authenticate(self, request, **kwargs):
        if not oidc_configured():
            return None
        return super().authenticate(request, **kwargs)

    @staticmethod
    def insz_from_claims(claims: dict) -> str | None:
        raw = claims.get(settings.OIDC_INSZ_CLAIM)
        if raw is None:
            return None
        try:
            return clean_insz(str(raw))
        except InvalidIdentifier:
            return None

    def describe_user_by_claims(self, claims):
        return "the INSZ claim of the identity provider"

    def verify_claims(self, claims):
        if self.insz_from_claims(claims) is None:
            log.warning("OIDC login refused: no valid %s claim", settings.OIDC_INSZ_CLAIM)
            return False
        return True

    def filter_users_by_claims(self, claims):
        insz = self.insz_from_claims(claims)
        if insz is None:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(insz=insz)

    def create_user(self, claims):
        insz = self.insz_from_claims(claims)
        # The username never shows the INSZ: it is a one-way digest of it.
        username = username_for_insz(insz)
        user = self.UserModel.objects.create_user(
            username,
            email=claims.get("email", ""),
            insz=insz,
            first_name=str(claims.get("given_name", ""))[:150],
            last_name=str(claims.get("family_name", ""))[:150],
        )
        return user

    def update_user(self, user, claims):
        first = str(claims.get("given_name", ""))[:150]
        last = str(claims.get("family_name", ""))[:150]
        if (first and first != user.first_name) or (last and last != user.last_name):
            user.first_name = first or user.first_name
            user.last_name = last or user.last_name
            user.save(update_fields=["first_name", "last_name"])
        return user


class AuthenticationRequestView(OIDCAuthenticationRequestView):
    """Redirects to the provider; endpoints come from discovery."""

    def __init__(self, *args, **kwargs):
        # The parent reads the endpoints in __init__; defer to get() instead.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    @staticmethod
    def get_settings(attr, *args):
        return oidc_setting(attr, *args)

    def get(self, request):
        if not oidc_configured():  # the embedded profile: no provider, no such page
            raise Http404
        self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    @staticmethod
    def get_settings(attr, *args):
        return oidc_setting(attr, *args)

    def get(self, request):
        if not oidc_configured():
            raise Http404
        return super().get(request)
