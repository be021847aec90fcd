"""The access-management and API-client screens as a browser uses them: a reload after
creating a client, switching the language after a form, duplicate client names,
confirming before revoking or ending a mandate, dates, and the mandatary's menu."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from fla.accounts.models import EmployerAccess, Mandate
from fla.api.models import ApiClient
from fla.api.services import create_client
from tests.factories import grant, join, make_employer, make_mandatary, make_user

pytestmark = pytest.mark.django_db

CLIENTS = reverse("web:access_clients")
NEW = reverse("web:access_client_new")


@pytest.fixture
def mgr(client, world):
    user = make_user("boss", first_name="Bea", last_name="Baas")
    grant(user, world["employer"], "manage")
    client.force_login(user)
    return client


def _language_next(body: str) -> str:
    """The ``next`` of the page's language form."""
    form = body[body.index('action="/i18n/setlang/"') :]
    return re.search(r'name="next" type="hidden" value="([^"]*)"', form).group(1)


def _switch_language(client, body: str, language: str):
    """What the language form of ``body`` does: set the language, then follow ``next``."""
    return client.post(
        reverse("set_language"), {"language": language, "next": _language_next(body)}, follow=True
    )


# --- 1. a new client's secret: POST-redirect-GET -------------------------------------


def test_reloading_the_page_of_a_new_secret_creates_no_second_client(mgr, world):
    response = mgr.post(NEW, {"name": "Payroll", "scopes": ["read"]}, follow=True)
    assert response.redirect_chain == [(CLIENTS, 302)]  # the answer is a GET of the list
    assert "no-store" in response["Cache-Control"]
    secret = response.context["created"]["client_secret"]
    assert secret in response.content.decode()
    # F5 on that page: a GET of the list, which neither creates nor shows the secret again.
    again = mgr.get(response.request["PATH_INFO"])
    assert again.status_code == 200 and secret not in again.content.decode()
    assert again.context["created"] is None
    # The form's address, opened again (a GET): nothing is created either.
    assert mgr.get(NEW).status_code == 302
    assert ApiClient.objects.filter(employer=world["employer"]).count() == 1
    assert "client-secret" not in mgr.get(CLIENTS).content.decode()


def test_a_secretariats_new_secret_is_shown_once_and_a_reload_creates_nothing(boss, secretariat):
    url = reverse("web:mandatary_clients", args=[secretariat.pk])
    new = reverse("web:mandatary_client_new", args=[secretariat.pk])
    response = boss.post(new, {"name": "Loonmotor", "scopes": ["read"]}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    secret = response.context["created"]["client_secret"]
    assert secret in response.content.decode()
    assert secret not in boss.get(url).content.decode()
    assert boss.get(new).status_code == 302
    assert ApiClient.objects.filter(mandatary=secretariat).count() == 1


def test_the_secret_is_shown_on_its_own_organisations_page_only(mgr, world, secretariat):
    user = make_user("both")
    grant(user, world["employer"], "manage")
    join(user, secretariat, "manage")
    mgr.force_login(user)
    mgr.post(NEW, {"name": "Payroll", "scopes": ["read"]})
    other = mgr.get(reverse("web:mandatary_clients", args=[secretariat.pk]))
    assert other.context["created"] is None
    # ... and it left the session with that first page: never shown afterwards.
    assert mgr.get(CLIENTS).context["created"] is None


# --- 2. switching the language after a form -------------------------------------------


@pytest.mark.parametrize(
    "url, form, lands_on",
    [
        (NEW, {"name": "", "scopes": ["read"]}, CLIENTS),
        (reverse("web:access_grant"), {"insz": "123", "role": "read"}, "/app/access/"),
        (
            reverse("web:access_mandate_new"),
            {"enterprise_number": "0123456789", "start_date": "2025-01-01"},
            reverse("web:access_mandates"),
        ),
    ],
)
def test_switching_language_after_a_refused_form_lands_on_a_working_page(mgr, url, form, lands_on):
    refused = mgr.post(url, form)
    assert refused.status_code == 422
    switched = _switch_language(mgr, refused.content.decode(), "fr")
    assert switched.status_code == 200
    assert switched.request["PATH_INFO"] == lands_on
    assert '<html lang="fr">' in switched.content.decode()


def test_switching_language_on_a_secretariats_form_lands_on_its_page(boss, secretariat):
    refused = boss.post(reverse("web:mandatary_client_new", args=[secretariat.pk]), {"name": ""})
    assert refused.status_code == 422
    switched = _switch_language(boss, refused.content.decode(), "de")
    assert switched.status_code == 200
    assert switched.request["PATH_INFO"] == reverse("web:mandatary_clients", args=[secretariat.pk])


@pytest.mark.parametrize(
    "name", ["web:access_grant", "web:access_mandate_new", "web:access_client_new"]
)
def test_a_get_of_a_forms_target_lands_on_the_forms_page(mgr, name):
    response = mgr.get(reverse(name))
    assert response.status_code == 302
    assert mgr.get(response["Location"]).status_code == 200


def test_a_get_of_a_role_change_changes_nothing(mgr, world):
    access = EmployerAccess.objects.get(user=world["user"])
    response = mgr.get(reverse("web:access_role", args=[access.pk]), {"role": "manage"})
    assert response.status_code == 302 and response["Location"] == "/app/access/"
    access.refresh_from_db()
    assert access.role == "declare"


# --- 4. duplicate names, confirming before revoking -----------------------------------


def test_a_name_of_an_active_client_is_refused_with_a_translated_reason(mgr, world):
    assert mgr.post(NEW, {"name": "Payroll connector", "scopes": ["read"]}).status_code == 302
    mgr.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    again = mgr.post(NEW, {"name": " payroll CONNECTOR ", "scopes": ["read"]})
    assert again.status_code == 422
    body = again.content.decode()
    assert 'id="e-name"' in body and 'aria-invalid="true"' in body
    assert "Il existe déjà un client API actif portant ce nom" in body
    assert ApiClient.objects.filter(employer=world["employer"]).count() == 1
    # Once revoked, its name is free again; another organisation has its own names.
    ApiClient.objects.update(revoked_at=timezone.now())
    assert mgr.post(NEW, {"name": "Payroll connector", "scopes": ["read"]}).status_code == 302
    create_client(name="Payroll connector", employer=make_employer("Other"))
    assert ApiClient.objects.filter(name="Payroll connector").count() == 3


def test_a_secretariats_client_names_are_checked_too(boss, secretariat):
    url = reverse("web:mandatary_client_new", args=[secretariat.pk])
    assert boss.post(url, {"name": "Loonmotor", "scopes": ["read"]}).status_code == 302
    assert boss.post(url, {"name": "Loonmotor", "scopes": ["declare"]}).status_code == 422
    assert ApiClient.objects.filter(mandatary=secretariat).count() == 1


def test_revoking_an_access_asks_first(mgr, world):
    access = EmployerAccess.objects.get(user=world["user"], employer=world["employer"])
    url = reverse("web:access_revoke", args=[access.pk])
    users = reverse("web:access_users")
    listing = mgr.get(users).content.decode()
    row_form = listing[listing.index(f'action="{url}"') - 40 :]
    assert 'method="get"' in row_form[:60]  # the row's button only asks
    question = mgr.get(url)
    assert question.status_code == 200
    body = question.content.decode()
    assert 'data-testid="confirm-revoke-access"' in body
    assert "De toegang van Hilde Ranst intrekken?" in body and world["employer"].name in body
    assert f'method="post" action="{url}"' in body and f'href="{users}"' in body
    assert EmployerAccess.objects.filter(pk=access.pk).exists()  # asking changed nothing
    mgr.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "Retirer l&#x27;accès de Hilde Ranst\u00a0?" in mgr.get(url).content.decode()
    assert mgr.post(url).status_code == 302
    assert not EmployerAccess.objects.filter(pk=access.pk).exists()
    assert mgr.get(url).status_code == 404  # revoked: nothing left to ask about


def test_revoking_a_client_asks_first(mgr, world):
    new = create_client(name="Payroll", employer=world["employer"])
    url = reverse("web:access_client_revoke", args=[new.client.pk])
    listing = mgr.get(CLIENTS).content.decode()
    row_form = listing[listing.index(f'action="{url}"') - 40 :]
    assert 'method="get"' in row_form[:60]  # the row's button only asks
    question = mgr.get(url)
    assert question.status_code == 200
    body = question.content.decode()
    assert 'data-testid="confirm-revoke-client"' in body
    assert "API-client Payroll intrekken?" in body and new.client_id in body
    assert f'method="post" action="{url}"' in body and f'href="{CLIENTS}"' in body
    new.client.refresh_from_db()
    assert new.client.revoked_at is None  # asking changed nothing
    assert mgr.post(url).status_code == 302
    new.client.refresh_from_db()
    assert new.client.revoked_at is not None
    # Revoked: nothing to ask any more.
    assert mgr.get(url)["Location"] == CLIENTS


def test_revoking_a_secretariats_client_asks_first(boss, secretariat):
    new = create_client(name="Loonmotor", mandatary=secretariat)
    url = reverse("web:mandatary_client_revoke", args=[secretariat.pk, new.client.pk])
    question = boss.get(url)
    assert question.status_code == 200
    assert 'data-testid="confirm-revoke-client"' in question.content.decode()
    new.client.refresh_from_db()
    assert new.client.revoked_at is None
    assert boss.post(url).status_code == 302
    new.client.refresh_from_db()
    assert new.client.revoked_at is not None


def test_ending_a_mandate_asks_first_with_the_date_typed(mgr, world):
    secretariat = make_mandatary("Sociaal Secretariaat")
    given = Mandate.objects.create(
        employer=world["employer"], mandatary=secretariat, start_date=dt.date(2024, 1, 1)
    )
    url = reverse("web:access_mandate_end", args=[given.pk])
    end = timezone.localdate() + dt.timedelta(days=10)
    question = mgr.get(url, {"end_date": end.isoformat()})
    assert question.status_code == 200
    body = question.content.decode()
    assert 'data-testid="confirm-end-mandate"' in body
    assert end.strftime("%d/%m/%Y") in body
    assert f'name="end_date" value="{end.isoformat()}"' in body
    given.refresh_from_db()
    assert given.end_date is None
    assert mgr.post(url, {"end_date": end.isoformat()}).status_code == 302
    given.refresh_from_db()
    assert given.end_date == end
    # Without a date: "at once".
    assert "onmiddellijk" in mgr.get(url).content.decode()
    assert mgr.get(url, {"end_date": "31/02/2025"}).status_code == 302  # not a date
    # a date in the past is refused before the question, as ending would refuse it
    refused = mgr.get(url, {"end_date": "1999-01-01"}, follow=True)
    assert 'data-testid="confirm-end-mandate"' not in refused.content.decode()
    assert "terugwerkende kracht" in refused.content.decode()


# --- 5 and 6. dates, scopes, revocation date, the mandatary's menu ---------------------


def test_the_client_list_shows_dates_as_in_belgium_scopes_and_the_revocation(mgr, world):
    new = create_client(name="Payroll", employer=world["employer"], scopes=["read"])
    at = timezone.make_aware(dt.datetime(2026, 11, 29, 18, 5))
    ApiClient.objects.filter(pk=new.client.pk).update(created_at=at, revoked_at=at)
    for language, scope in (("en", "Read"), ("fr", "Consulter"), ("nl", "Raadplegen")):
        mgr.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        body = mgr.get(CLIENTS).content.decode()
        assert "<td>29/11/2026 18:05</td>" in body, language
        assert f"<td>{scope}</td>" in body, language
        assert "29/11/2026 18:05</span>" in body  # when it was revoked


def test_a_secretariats_page_without_an_employer_has_a_way_back(client):
    lonely = make_mandatary("Nieuw Secretariaat")  # no mandate: no employer to work on
    user = make_user("newboss")
    join(user, lonely, "manage")
    client.force_login(user)
    body = client.get(reverse("web:mandatary_clients", args=[lonely.pk])).content.decode()
    assert 'data-testid="nav-home"' in body and f'href="{reverse("web:home")}"' in body
    assert 'data-testid="nav-mandatary-clients"' in body


def test_the_new_secret_has_a_copy_button_for_scripts_only(mgr):
    body = mgr.post(NEW, {"name": "Payroll", "scopes": ["read"]}, follow=True).content.decode()
    button = re.search(r"<button[^>]*data-copy=\"client-secret\"[^>]*>", body).group(0)
    assert " hidden" in button  # shown by app.js where the browser can copy
    assert 'id="client-secret"' in body


def test_ending_a_mandate_later_than_it_already_ends_is_neither_asked_nor_said_done(mgr, world):
    from tests.factories import mandate

    today = timezone.localdate()
    given = mandate(make_mandatary("SS"), world["employer"], end=today + dt.timedelta(days=30))
    later = (today + dt.timedelta(days=60)).isoformat()
    url = reverse("web:access_mandate_end", args=[given.pk])
    asked = mgr.get(url, {"end_date": later}, follow=True)
    assert 'data-testid="confirm-end-mandate"' not in asked.content.decode()
    answered = mgr.post(url, {"end_date": later}, follow=True).content.decode()
    assert "is beëindigd" not in answered and "eindigt al op" in answered
    given.refresh_from_db()
    assert given.end_date == today + dt.timedelta(days=30)
