"""The error pages of the online application: in the user's language and the
application's layout, with a way back; the API keeps its problem+json answers."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from fla.web import errors

HOME = reverse("web:home")


@pytest.fixture
def french(app):
    app.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return app


@pytest.mark.django_db
def test_a_404_is_a_translated_page_with_the_menu_and_a_way_back(french):
    response = french.get("/batch/999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert "Page introuvable" in body
    assert 'data-testid="nav-batch"' in body  # the application's menu
    assert f'href="{HOME}" data-testid="error-home"' in body
    assert "Not Found" not in body


@pytest.mark.django_db
def test_a_404_for_someone_not_signed_in_links_to_the_welcome_page(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="de">' in body and "Seite nicht gefunden" in body
    assert f'href="{reverse("web:welcome")}" data-testid="error-home"' in body


@pytest.mark.django_db
def test_a_refused_csrf_token_is_a_translated_page_and_changes_nothing(world):
    from fla.api.models import ApiClient
    from tests.factories import grant, make_user

    boss = make_user("boss")
    grant(boss, world["employer"], "manage")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(boss)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = browser.post(reverse("web:access_client_new"), {"name": "X", "scopes": ["read"]})
    assert response.status_code == 403
    body = response.content.decode()
    assert '<html lang="fr">' in body and "Le formulaire a expiré" in body
    assert "Forbidden" not in body and "CSRF verification failed" not in body
    assert 'data-testid="error-home"' in body
    assert 'name="csrfmiddlewaretoken"' in body  # a fresh token: the next form goes through
    assert not ApiClient.objects.exists()


@pytest.mark.django_db
def test_a_permission_denied_is_a_translated_page(app, world):
    request = RequestFactory().get("/app/dashboard/")
    request.user = world["user"]
    request.session = {}
    with translation.override("en"):
        response = errors.permission_denied(request)
    assert response.status_code == 403
    body = response.content.decode()
    assert '<html lang="en">' in body and "No access" in body


@pytest.mark.django_db
def test_a_405_of_the_application_is_a_readable_page(french):
    response = french.get(reverse("web:logout"))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert '<html lang="fr">' in body and 'data-testid="error-page"' in body
    assert f'href="{HOME}" data-testid="error-home"' in body


def test_the_500_page_needs_neither_the_request_nor_the_database():
    # No database here: pytest-django refuses any query outside a django_db test.
    request = RequestFactory().get("/app/dashboard/")
    with translation.override("nl"):
        response = errors.server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert '<html lang="nl">' in body and "Er ging iets mis" in body
    assert 'href="/" data-testid="error-home"' in body
    with translation.override("fr"):
        assert "Une erreur s" in errors.server_error(request).content.decode()


@pytest.mark.django_db
def test_the_500_handler_answers_a_server_error_with_the_page(client, monkeypatch):
    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr("fla.web.views.public.welcome", broken)
    from fla.web import urls

    [pattern] = [p for p in urls.urlpatterns if p.name == "welcome"]
    monkeypatch.setattr(pattern, "callback", broken)
    browser = Client(raise_request_exception=False)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = browser.get("/")
    assert response.status_code == 500
    body = response.content.decode()
    assert '<html lang="de">' in body and 'data-testid="error-page"' in body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/no-such-version/", "/api"])
def test_the_api_keeps_problem_json_for_unknown_addresses(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    problem = json.loads(response.content)
    assert problem["status"] == 404 and problem["instance"] == path


@pytest.mark.django_db
def test_an_api_405_stays_problem_json(client):
    response = client.get("/api/v1/oauth/token")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/problem+json")
    assert json.loads(response.content)["status"] == 405


@pytest.mark.django_db
def test_the_language_form_of_a_refused_language_change_leads_home(world):
    """A language change whose CSRF token was refused answers at the language form's own
    address: its language form must not send the user back there (a GET of it redirects
    to itself, over and over)."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["user"])
    response = browser.post(reverse("set_language"), {"language": "fr", "next": HOME})
    assert response.status_code == 403
    body = response.content.decode()
    assert f'name="next" type="hidden" value="{HOME}"' in body
    assert f'value="{reverse("set_language")}"' not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/app/workers/9223372036854775808/",
        "/app/workers/99999999999999999999/rights/",
        "/app/workers/9223372036854775808/trainings/new/",
        "/app/trainings/99999999999999999999/",
        "/batch/9223372036854775808/",
    ],
)
def test_an_id_past_the_databases_integers_is_a_404(app, path):
    assert app.get(path).status_code == 404
    assert app.post(path).status_code == 404


@pytest.mark.django_db
def test_a_nul_character_in_a_query_or_a_form_is_a_400_page_and_changes_nothing(client, world):
    from fla.api.models import ApiClient
    from tests.factories import grant, make_user

    boss = make_user("boss")
    grant(boss, world["employer"], "manage")
    client.force_login(boss)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answers = [
        client.post(reverse("web:access_client_new"), {"name": "a\x00b", "scopes": ["read"]}),
        client.get(reverse("web:access_history") + "?who=%00"),
        client.get(reverse("web:workers") + "?q=a%00"),
    ]
    for response in answers:
        assert response.status_code == 400
        body = response.content.decode()
        assert "Bad request" in body and 'data-testid="error-home"' in body
    assert not ApiClient.objects.exists()
    # with the headers of every page (it may not be framed)
    assert answers[1]["X-Frame-Options"] == client.get(reverse("web:home"))["X-Frame-Options"]
    # the API answers for itself (E018 and the like), as problem+json
    assert client.get("/api/v1/anomalies?x=%00")["Content-Type"].startswith("application/")
