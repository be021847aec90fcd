"""django-oauth-toolkit hooks: per-client scopes, and no token for a revoked client."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes
from oauthlib.oauth2.rfc6749.errors import InvalidScopeError


def _client_scopes(application) -> list[str]:
    from fla.api.models import ApiClient

    if application is None:
        return []
    try:
        client = application.api_client
    except ApiClient.DoesNotExist:
        return []
    if client.revoked_at is not None:
        return []
    return sorted(client.scope_set)


class ApiClientScopes(SettingsScopes):
    """A client may ask for the scopes it was registered with; by default it gets them all."""

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return _client_scopes(application)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return _client_scopes(application)


class ApiClientValidator(OAuth2Validator):
    """Refuses applications that are not a live API client (revoked, or none at all)."""

    def _load_application(self, client_id, request):
        application = super()._load_application(client_id, request)
        if application is not None and not _client_scopes(application):
            request.client = None
            return None
        return application

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        """The scope asked for is a set (RFC 6749 §3.3): a scope named twice is one scope,
        and the token says each once; a run of spaces separates nothing more than one
        space does. A scope this client may not ask for, or a scope parameter that names
        none, is ``invalid_scope``, with the scopes the client may ask for."""
        folded = list(dict.fromkeys(scope for scope in scopes if scope))
        available = _client_scopes(client)
        if not folded or not set(folded) <= set(available):
            raise InvalidScopeError(
                description=(
                    f"This client may ask for the scopes {', '.join(available)}, "
                    "separated by a space."
                ),
                request=request,
            )
        request.scopes = folded
        return True
