"""A mandatary's managers register and revoke the mandatary's API clients online."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from fla.api.models import ApiClient
from fla.api.services import create_client
from fla.audit.models import HistoryEntry
from tests.factories import join, make_mandatary, make_user

pytestmark = pytest.mark.django_db

CLIENTS = reverse("web:access_clients")


def clients_url(mandatary) -> str:
    return reverse("web:mandatary_clients", args=[mandatary.pk])


def new_url(mandatary) -> str:
    return reverse("web:mandatary_client_new", args=[mandatary.pk])


def revoke_url(mandatary, client) -> str:
    return reverse("web:mandatary_client_revoke", args=[mandatary.pk, client.pk])


def _token(client_id: str, secret: str):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client().post(
        "/api/v1/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def test_a_mandatary_manager_finds_the_page_in_the_menu(boss, secretariat):
    page = boss.get(reverse("web:dashboard")).content.decode()
    assert f'{clients_url(secretariat)}"' in page
    assert 'data-testid="nav-mandatary-clients"' in page
    assert 'data-testid="nav-access"' not in page  # no employer access management
    response = boss.get(clients_url(secretariat))
    assert response.status_code == 200
    assert "Sociaal Secretariaat Zuid" in response.content.decode()


def test_a_mandatary_manager_creates_and_revokes_a_client(boss, secretariat, world):
    response = boss.post(new_url(secretariat), {"name": "Loonmotor", "scopes": ["read"]})
    # POST-redirect-GET: the list shows the secret, once.
    assert response.status_code == 302 and response["Location"] == clients_url(secretariat)
    response = boss.get(clients_url(secretariat))
    assert "no-store" in response["Cache-Control"]
    created = SimpleNamespace(**response.context["created"])
    body = response.content.decode()
    assert created.client_secret in body and created.client_id in body
    client = ApiClient.objects.get(mandatary=secretariat)
    assert client.employer is None and client.scopes == "read" and client.name == "Loonmotor"
    # The client works: a token with its scopes, for the mandated employer.
    token = _token(created.client_id, created.client_secret)
    assert token.status_code == 200 and token.json()["scope"] == "read"
    # The secret is never shown again.
    listing = boss.get(clients_url(secretariat)).content.decode()
    assert "Loonmotor" in listing and created.client_secret not in listing

    # The employer's revoke address does not reach a mandatary's client.
    assert boss.post(reverse("web:access_client_revoke", args=[client.pk])).status_code == 404
    revoked = boss.post(revoke_url(secretariat, client))
    assert revoked.status_code == 302
    assert revoked["Location"] == clients_url(secretariat)
    client.refresh_from_db()
    assert client.revoked_at is not None
    assert _token(created.client_id, created.client_secret).status_code == 401
    entries = HistoryEntry.objects.filter(entity="api-client", entity_id=str(client.pk))
    assert sorted(e.action for e in entries) == ["create", "revoke"]
    assert all(e.after["mandatary"] == secretariat.enterprise_number for e in entries)
    assert all(created.client_secret not in str(e.after) for e in entries)


def test_the_scopes_and_name_are_checked_as_for_an_employer(boss, secretariat):
    assert boss.post(new_url(secretariat), {"name": "X"}).status_code == 422
    bad = boss.post(new_url(secretariat), {"name": "", "scopes": ["read"]})
    assert bad.status_code == 422
    assert not ApiClient.objects.exists()


def test_a_manager_without_any_mandate_can_still_register_a_client(client):
    lonely = make_mandatary("Nieuw Secretariaat")
    user = make_user("newboss")
    join(user, lonely, "manage")
    client.force_login(user)
    page = client.get(reverse("web:no_access")).content.decode()
    assert clients_url(lonely) in page
    assert client.get(clients_url(lonely)).status_code == 200
    response = client.post(new_url(lonely), {"name": "Connector", "scopes": ["read"]}, follow=True)
    assert response.status_code == 200
    assert response.context["created"]["client_secret"] in response.content.decode()
    assert ApiClient.objects.filter(mandatary=lonely).count() == 1


@pytest.mark.parametrize("role", ["read", "declare"])
def test_a_member_without_the_manage_role_gets_404(client, secretariat, role):
    member = make_user(f"member-{role}")
    join(member, secretariat, role)
    client.force_login(member)
    theirs = create_client(name="Theirs", mandatary=secretariat).client
    assert (
        'data-testid="nav-mandatary-clients"'
        not in client.get(reverse("web:dashboard")).content.decode()
    )
    assert client.get(clients_url(secretariat)).status_code == 404
    posted = client.post(new_url(secretariat), {"name": "Mine", "scopes": ["read"]})
    assert posted.status_code == 404
    assert client.post(revoke_url(secretariat, theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert ApiClient.objects.filter(mandatary=secretariat).count() == 1


def test_a_manager_of_another_mandatary_gets_404(client, secretariat):
    other = make_mandatary("Ander Secretariaat")
    user = make_user("otherboss")
    join(user, other, "manage")
    client.force_login(user)
    theirs = create_client(name="Theirs", mandatary=secretariat).client
    assert client.get(clients_url(secretariat)).status_code == 404
    assert client.get("/app/mandataries/x/api-clients/").status_code == 404
    posted = client.post(new_url(secretariat), {"name": "Mine", "scopes": ["read"]})
    assert posted.status_code == 404
    assert client.post(revoke_url(secretariat, theirs)).status_code == 404
    assert client.post(revoke_url(other, theirs)).status_code == 404  # its own address
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    # Its own page lists none of the other mandatary's clients.
    own = client.get(clients_url(other)).content.decode()
    assert "Theirs" not in own


def test_an_employer_manager_cannot_reach_the_mandatarys_clients(client, world, secretariat):
    from tests.factories import grant

    manager = make_user("empboss")
    grant(manager, world["employer"], "manage")
    client.force_login(manager)
    theirs = create_client(name="Theirs", mandatary=secretariat).client
    assert client.get(clients_url(secretariat)).status_code == 404
    assert client.post(revoke_url(secretariat, theirs)).status_code == 404
    assert client.post(reverse("web:access_client_revoke", args=[theirs.pk])).status_code == 404
    # ... and the employer's own page does not list the mandatary's clients.
    assert "Theirs" not in client.get(CLIENTS).content.decode()


def test_the_page_and_menu_item_are_translated(boss, secretariat):
    body = boss.get(clients_url(secretariat), HTTP_ACCEPT_LANGUAGE="fr")
    text = body.content.decode()
    assert "Clients API du prestataire Sociaal Secretariaat Zuid" in text
    assert "Clients API du prestataire</a>" in text
