"""OAuth2 client credentials: registering, tokens, scopes, revocation."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from oauth2_provider.models import AccessToken

from fla.api.models import ApiClient
from fla.api.services import ApiClientError, create_client, revoke_client
from tests import factories
from tests.api.conftest import ApiClient as Api
from tests.api.conftest import assert_problem, make_token

TOKEN_URL = "/api/v1/oauth/token"


def ask_token(client_id: str, secret: str, scope: str | None = None):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    return Client().post(TOKEN_URL, data, HTTP_AUTHORIZATION=f"Basic {basic}")


def test_client_credentials_give_a_short_lived_scoped_token(world):
    new = create_client(name="Payroll", employer=world.own.employer)
    response = ask_token(new.client_id, new.client_secret)
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 600
    assert set(token["scope"].split()) == {"read", "declare"}
    api = Api(token["access_token"])
    listed = api.get("employers").json()
    assert [e["enterprise_number"] for e in listed] == [world.own.employer.enterprise_number]
    assert listed[0]["relation"] == "own"


def test_a_client_gets_only_the_scopes_it_was_registered_with(world):
    new = create_client(name="Reporting only", employer=world.own.employer, scopes=["read"])
    assert ask_token(new.client_id, new.client_secret).json()["scope"] == "read"
    assert ask_token(new.client_id, new.client_secret, "read declare").status_code == 400
    full = create_client(name="Full", employer=world.own.employer)
    narrowed = ask_token(full.client_id, full.client_secret, "read").json()
    assert narrowed["scope"] == "read"
    denied = Api(narrowed["access_token"]).put(
        f"employers/{world.own.employer.enterprise_number}/workers/{world.own.worker.insz}/rights/2025",
        {"legal_minutes": 60},
    )
    assert_problem(denied, 403)


@pytest.mark.parametrize("asked, granted", [
    ("read read", "read"),
    ("declare read read declare", "declare read"),
    ("read  declare", "read declare"),   # a run of spaces separates as one space does
    (" read ", "read"),
])  # fmt: skip
def test_a_scope_asked_twice_is_granted_once(world, asked, granted):
    new = create_client(name="Payroll", employer=world.own.employer)
    response = ask_token(new.client_id, new.client_secret, asked)
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == granted
    stored = AccessToken.objects.get(application=new.client.application)
    assert stored.scope == granted


@pytest.mark.parametrize("asked", ["bogus", "read bogus", "read\tdeclare", "READ", "   "])
def test_a_scope_the_client_may_not_ask_for_is_invalid_scope(world, asked):
    """RFC 6749 §5.2: 400 ``invalid_scope``; the scope is space-delimited, a tab is part
    of a scope name (§3.3), so ``read<TAB>declare`` names one unknown scope."""
    new = create_client(name="Payroll", employer=world.own.employer, scopes=["read"])
    response = ask_token(new.client_id, new.client_secret, asked)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_scope"
    assert (
        body["error_description"]
        == "This client may ask for the scopes read, separated by a space."
    )
    assert not AccessToken.objects.filter(application=new.client.application).exists()


def test_wrong_secret_gets_no_token(world):
    new = create_client(name="Payroll", employer=world.own.employer)
    assert ask_token(new.client_id, "wrong").status_code == 401


@pytest.mark.parametrize(
    "grant", ["password", "authorization_code", "refresh_token", "implicit", "urn:x:other"]
)
def test_no_other_grant_is_served_nor_looks_at_what_it_carries(world, grant, monkeypatch):
    """Only client credentials: a password grant would check a user's password, outside
    the sign-in's limits, for anyone holding a client."""
    user = factories.make_user()
    user.set_password("juist-wachtwoord")
    user.save()
    checked = []
    monkeypatch.setattr(
        "oauth2_provider.oauth2_validators.authenticate", lambda *a, **k: checked.append(k)
    )
    new = create_client(name="Payroll", employer=world.own.employer)
    basic = base64.b64encode(f"{new.client_id}:{new.client_secret}".encode()).decode()
    answers = [
        Client().post(
            TOKEN_URL,
            {"grant_type": grant, "username": user.username, "password": password,
             "code": "x", "refresh_token": "x"},
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )
        for password in ("juist-wachtwoord", "fout")
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [400, 400]
    assert [a.json()["error"] for a in answers] == ["unsupported_grant_type"] * 2
    assert checked == []


def test_secret_is_stored_hashed(world):
    new = create_client(name="Payroll", employer=world.own.employer)
    assert new.client.application.client_secret != new.client_secret


def test_revoked_client_gets_no_token_and_its_tokens_stop(world):
    new = create_client(name="Payroll", employer=world.own.employer)
    token = ask_token(new.client_id, new.client_secret).json()["access_token"]
    assert Api(token).get("employers").status_code == 200
    revoke_client(new.client_id)
    assert_problem(Api(token).get("employers"), 401)
    assert ask_token(new.client_id, new.client_secret).status_code == 401
    assert not AccessToken.objects.filter(application=new.client.application).exists()


def test_revoked_client_token_left_in_place_is_refused(world):
    raw = make_token(world.employer_client)
    ApiClient.objects.filter(pk=world.employer_client.pk).update(revoked_at="2025-01-01T00:00Z")
    assert_problem(Api(raw).get("employers"), 401)


def test_mandatary_client_sees_only_mandated_employers(world, as_mandatary):
    listed = as_mandatary.get("employers").json()
    assert [e["enterprise_number"] for e in listed] == [world.mandated.employer.enterprise_number]
    assert listed[0]["relation"] == "mandate"


def test_an_ended_mandate_cuts_access_at_once(world, as_mandatary):
    import datetime as dt

    world.mandated.employer.mandates.update(end_date=dt.date(2024, 12, 31))
    url = f"employers/{world.mandated.employer.enterprise_number}/trainings"
    assert_problem(as_mandatary.get(url), 404)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic abc", "Bearer unknown-token", "bearer \x00"],
)
def test_bad_authorization_headers_give_401(world, header):
    response = Client().get("/api/v1/employers", HTTP_AUTHORIZATION=header)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith('Bearer realm="fla"')


def test_services_refuse_nonsense(world):
    with pytest.raises(ApiClientError):
        create_client(name="", employer=world.own.employer)
    with pytest.raises(ApiClientError):
        create_client(
            name="Both", employer=world.own.employer, mandatary=factories.make_mandatary()
        )
    with pytest.raises(ApiClientError):
        create_client(name="Scopes", employer=world.own.employer, scopes=["admin"])
    with pytest.raises(ApiClientError):
        revoke_client("no-such-client")


def test_management_command_creates_lists_and_revokes(world):
    out = io.StringIO()
    call_command(
        "api_client",
        "create",
        "--employer",
        world.own.employer.enterprise_number,
        "--name",
        "Payroll",
        "--scopes",
        "read",
        stdout=out,
    )
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)
    client_id, secret = lines["client_id"], lines["client_secret"]
    token = ask_token(client_id, secret)
    assert token.status_code == 200 and token.json()["scope"] == "read"
    listing = io.StringIO()
    call_command("api_client", "list", stdout=listing)
    assert client_id in listing.getvalue() and secret not in listing.getvalue()
    call_command("api_client", "revoke", client_id, stdout=io.StringIO())
    assert ApiClient.objects.get(application__client_id=client_id).revoked_at is not None
    with pytest.raises(CommandError):
        call_command(
            "api_client", "create", "--mandatary", "0123456789", "--name", "X", stdout=io.StringIO()
        )
    mandatary = factories.make_mandatary()
    out = io.StringIO()
    call_command(
        "api_client",
        "create",
        "--mandatary",
        mandatary.enterprise_number,
        "--name",
        "SSL",
        stdout=out,
    )
    assert "client_secret: " in out.getvalue()


def test_two_active_clients_of_one_organisation_never_share_a_name(world):
    """Whatever registers them (the online application or the command line)."""
    employer = world.own.employer
    create_client(name="Payroll", employer=employer)
    for name in ("Payroll", " payroll "):
        with pytest.raises(ApiClientError):
            create_client(name=name, employer=employer)
    args = ["api_client", "create", "--employer", employer.enterprise_number, "--name", "PAYROLL"]
    with pytest.raises(CommandError):
        call_command(*args, stdout=io.StringIO())
    # another organisation may, and so may this one once the first is revoked
    create_client(name="Payroll", employer=world.foreign.employer)
    revoke_client(ApiClient.objects.get(employer=employer, name="Payroll").application.client_id)
    create_client(name="Payroll", employer=employer)
