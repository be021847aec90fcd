"""Access management forms shown for one employer and sent after the session switched
to another employer (in another window) act for neither."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from fla.accounts.models import EmployerAccess, Mandate
from fla.api.models import ApiClient
from tests.factories import grant, make_employer, make_insz, make_mandatary, make_user

pytestmark = pytest.mark.django_db


class _Forms(HTMLParser):
    """The hidden inputs of each POST form of a page, by the form's action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._current = self.forms.setdefault(attributes.get("action") or "", {})
        elif tag == "input" and self._current is not None and attributes.get("type") == "hidden":
            self._current[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _hidden(page: str, action: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(page)
    assert action in parser.forms, sorted(parser.forms)
    return parser.forms[action]


@pytest.fixture
def two(client, world):
    """A manager of two employers, working on the first one."""
    first, second = world["employer"], make_employer("Second employer")
    user = make_user("two-boss", first_name="Tia", last_name="Twee")
    grant(user, first, "manage")
    grant(user, second, "manage")
    client.force_login(user)
    client.post(reverse("web:choose_employer"), {"employer": first.pk})
    return client, first, second


def _sent_after_switching(client, second, page_url, action, zones):
    hidden = _hidden(client.get(page_url).content.decode(), action)
    client.post(reverse("web:choose_employer"), {"employer": second.pk})
    data = {key: value for key, value in hidden.items() if key != "csrfmiddlewaretoken"}
    return client.post(action, {**data, **zones}, follow=True)


def test_a_grant_form_does_not_grant_access_to_the_employer_switched_to(two):
    client, first, second = two
    insz = make_insz()
    response = _sent_after_switching(
        client,
        second,
        reverse("web:access_users"),
        reverse("web:access_grant"),
        {"insz": insz, "role": "read"},
    )
    assert not EmployerAccess.objects.filter(user__insz=insz).exists()
    assert "Er werd niets opgeslagen" in response.content.decode()


def test_a_mandate_form_does_not_grant_a_mandate_on_the_employer_switched_to(two):
    client, first, second = two
    mandatary = make_mandatary("Secretariat")
    response = _sent_after_switching(
        client,
        second,
        reverse("web:access_mandates"),
        reverse("web:access_mandate_new"),
        {"enterprise_number": mandatary.enterprise_number, "start_date": "2026-01-01"},
    )
    assert not Mandate.objects.filter(mandatary=mandatary).exists()
    assert "Er werd niets opgeslagen" in response.content.decode()


def test_a_client_form_does_not_create_a_client_of_the_employer_switched_to(two):
    client, first, second = two
    response = _sent_after_switching(
        client,
        second,
        reverse("web:access_clients"),
        reverse("web:access_client_new"),
        {"name": "Payroll of the first", "scopes": ["read"]},
    )
    assert not ApiClient.objects.filter(name="Payroll of the first").exists()
    assert "Er werd niets opgeslagen" in response.content.decode()


def test_the_forms_sent_for_the_employer_worked_on_act_for_it(two):
    client, first, second = two
    insz = make_insz()
    users = client.get(reverse("web:access_users")).content.decode()
    hidden = _hidden(users, reverse("web:access_grant"))
    assert hidden["for_employer"] == str(first.pk)
    response = client.post(reverse("web:access_grant"), {**hidden, "insz": insz, "role": "read"})
    assert response.status_code == 302
    access = EmployerAccess.objects.get(user__insz=insz)
    assert access.employer == first
    # The question asked before revoking carries the employer too, and its answer acts.
    url = reverse("web:access_revoke", args=[access.pk])
    hidden = _hidden(client.get(url).content.decode(), url)
    assert hidden["for_employer"] == str(first.pk)
    assert client.post(url, hidden).status_code == 302
    assert not EmployerAccess.objects.filter(pk=access.pk).exists()
