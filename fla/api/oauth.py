"""django-oauth-toolkit hooks: per-client scopes, and no token for a revoked client."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes


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
