"""Registering and revoking API clients: called by the management command and the UI."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken

from fla.accounts.models import Mandatary
from fla.api.models import ApiClient
from fla.employers.models import Employer

SCOPES = ("read", "declare")


class ApiClientError(ValueError):
    """The request to create or revoke a client cannot be carried out."""


class ClientNameTaken(ApiClientError):
    """An active client of the same organisation has that name already."""


@dataclass(frozen=True)
class NewClient:
    """A client just created. ``client_secret`` is only ever known here: show it once."""

    client: ApiClient
    client_id: str
    client_secret: str


def create_client(
    *,
    name: str,
    employer: Employer | None = None,
    mandatary: Mandatary | None = None,
    scopes: tuple[str, ...] | list[str] = SCOPES,
    created_by=None,
) -> NewClient:
    """Register an OAuth2 client-credentials client for an employer or a mandatary."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ApiClientError("A client needs a name of 1 to 200 characters.")
    if (employer is None) == (mandatary is None):
        raise ApiClientError("A client belongs to exactly one employer or one mandatary.")
    wanted = sorted(set(scopes))
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if unknown or not wanted:
        raise ApiClientError(f"Scopes must be among {', '.join(SCOPES)}.")
    secret = generate_client_secret()
    owner = {"employer": employer} if employer is not None else {"mandatary": mandatary}
    with transaction.atomic():
        # Two active clients of one organisation never share a name (compared without
        # case): the lists, their buttons and the history tell them apart by it. The
        # owner's row is locked so that two creations at once cannot both pass the check.
        [(field, organisation)] = owner.items()
        list(
            type(organisation)
            .objects.select_for_update()
            .filter(pk=organisation.pk)
            .values_list("pk", flat=True)
        )
        if ApiClient.objects.filter(
            name__iexact=name, revoked_at__isnull=True, **{field: organisation}
        ).exists():
            raise ClientNameTaken(f"An active client of this organisation is named {name!r}.")
        application = Application(
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,  # hashed on save
            user=None,
        )
        application.save()
        client = ApiClient.objects.create(
            application=application,
            name=name,
            employer=employer,
            mandatary=mandatary,
            scopes=" ".join(wanted),
            created_by=created_by,
        )
    return NewClient(client=client, client_id=application.client_id, client_secret=secret)


def revoke_client(client_id: str) -> ApiClient:
    """Revoke a client: no new token, and every token it holds stops working now."""
    try:
        client = ApiClient.objects.select_related("application").get(
            application__client_id=client_id
        )
    except ApiClient.DoesNotExist as exc:
        raise ApiClientError(f"No API client with id {client_id}.") from exc
    with transaction.atomic():
        if client.revoked_at is None:
            client.revoked_at = timezone.now()
            client.save(update_fields=["revoked_at"])
        RefreshToken.objects.filter(application=client.application).delete()
        AccessToken.objects.filter(application=client.application).delete()
    return client
