"""Access management: users, mandates and API clients, for access managers only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from fla.accounts import services
from fla.accounts.access import DECLARE, MANAGE, READ, Caller
from fla.accounts.models import EmployerAccess, Mandate, User
from fla.api.models import ApiClient
from fla.audit.models import HistoryEntry
from fla.core.identifiers import format_insz, mask_insz
from fla.web.oidc import InszOIDCBackend
from tests.factories import grant, join, make_employer, make_insz, make_mandatary, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(world):
    user = make_user("boss", first_name="Bea", last_name="Baas")
    grant(user, world["employer"], "manage")
    return user


@pytest.fixture
def mgr(client, manager):
    client.force_login(manager)
    return client


def caller_of(user) -> Caller:
    return Caller.for_user(user)


# --- who sees the pages --------------------------------------------------------------

ACCESS_PAGES = [
    "web:access_users",
    "web:access_mandates",
    "web:access_clients",
    "web:access_history",
]


@pytest.mark.parametrize("name", ACCESS_PAGES)
def test_a_manager_sees_the_access_pages(mgr, name):
    response = mgr.get(reverse(name))
    assert response.status_code == 200
    assert reverse("web:access_users") in response.content.decode()  # the menu item


@pytest.mark.parametrize("name", ACCESS_PAGES)
def test_a_declarant_gets_404_and_no_menu_item(app, name):
    assert app.get(reverse(name)).status_code == 404
    assert reverse("web:access_users") not in app.get(reverse("web:dashboard")).content.decode()


def test_a_mandatary_user_cannot_manage_the_mandating_employer(client, world):
    secretariat = make_mandatary()
    Mandate.objects.create(
        employer=world["employer"], mandatary=secretariat, start_date=dt.date(2024, 1, 1)
    )
    user = make_user()
    join(user, secretariat, "manage")
    client.force_login(user)
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert client.get(reverse("web:access_users")).status_code == 404
    assert (
        client.post(
            reverse("web:access_grant"), {"insz": make_insz(), "role": "manage"}
        ).status_code
        == 404
    )


def test_posts_of_an_outsider_are_404_and_change_nothing(client, world, manager):
    other = make_employer("Other")
    outsider = make_user()
    grant(outsider, other, "manage")
    access = EmployerAccess.objects.get(user=manager, employer=world["employer"])
    client.force_login(outsider)
    assert client.post(reverse("web:access_revoke", args=[access.pk])).status_code == 404
    assert (
        client.post(reverse("web:access_role", args=[access.pk]), {"role": "read"}).status_code
        == 404
    )
    assert EmployerAccess.objects.filter(pk=access.pk, role="manage").exists()


def test_an_api_client_caller_never_manages(world):
    caller = Caller(channel="api", label="c", employer_id=world["employer"].pk)
    assert caller.employer_ids(MANAGE) == frozenset()
    assert world["employer"].pk in caller.employer_ids(READ)


# --- users ---------------------------------------------------------------------------


def test_granting_by_insz_creates_a_pending_user_found_by_the_oidc_login(mgr, world, settings):
    insz = make_insz(dt.date(1990, 2, 3))
    response = mgr.post(
        reverse("web:access_grant"),
        {"insz": format_insz(insz), "role": "declare", "first_name": "Nina", "last_name": "Nieuw"},
    )
    assert response.status_code == 302
    user = User.objects.get(insz=insz)
    assert not user.has_usable_password() and user.last_login is None
    assert insz not in user.username
    assert EmployerAccess.objects.get(user=user, employer=world["employer"]).role == "declare"
    # The OpenID Connect backend finds this user by the INSZ claim at the first login.
    settings.OIDC_INSZ_CLAIM = "insz"
    backend = InszOIDCBackend()
    assert list(backend.filter_users_by_claims({"insz": insz})) == [user]
    assert world["employer"].pk in Caller.for_user(user).employer_ids(DECLARE)
    entry = HistoryEntry.objects.get(entity="access", action="grant")
    assert entry.employer == world["employer"] and entry.channel == "web"
    assert entry.actor == "Bea Baas" and entry.after["role"] == "declare"
    assert entry.after["insz"] == mask_insz(insz)
    page = mgr.get(reverse("web:access_users")).content.decode()
    assert mask_insz(insz) in page and format_insz(insz) not in page and insz not in page


def test_an_invalid_insz_is_shown_back_as_typed_with_a_reason(mgr):
    response = mgr.post(reverse("web:access_grant"), {"insz": "12345678901", "role": "read"})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'value="12345678901"' in body and 'aria-invalid="true"' in body
    assert not HistoryEntry.objects.filter(entity="access").exists()


def test_unknown_role_is_refused(mgr):
    response = mgr.post(reverse("web:access_grant"), {"insz": make_insz(), "role": "admin"})
    assert response.status_code == 422
    assert not User.objects.filter(employer_accesses__role="admin").exists()


def test_granting_an_existing_user_changes_the_role(mgr, world):
    hr = world["user"]
    mgr.post(reverse("web:access_grant"), {"insz": hr.insz, "role": "read"})
    assert EmployerAccess.objects.get(user=hr, employer=world["employer"]).role == "read"
    entry = HistoryEntry.objects.get(entity="access")
    assert (entry.action, entry.before["role"], entry.after["role"]) == (
        "change",
        "declare",
        "read",
    )


def test_change_role_and_revoke_are_recorded(mgr, world):
    access = EmployerAccess.objects.get(user=world["user"], employer=world["employer"])
    assert (
        mgr.post(reverse("web:access_role", args=[access.pk]), {"role": "manage"}).status_code
        == 302
    )
    access.refresh_from_db()
    assert access.role == "manage"
    assert mgr.post(reverse("web:access_revoke", args=[access.pk])).status_code == 302
    assert not EmployerAccess.objects.filter(pk=access.pk).exists()
    actions = list(
        HistoryEntry.objects.filter(entity="access", entity_id=str(world["user"].pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["change", "revoke"]
    # Revoked: the user no longer sees the employer on any channel.
    assert Caller.for_user(world["user"]).employer_ids(READ) == frozenset()


def test_the_last_manager_cannot_be_removed_or_demoted(mgr, world, manager):
    access = EmployerAccess.objects.get(user=manager, employer=world["employer"])
    mgr.post(reverse("web:access_role", args=[access.pk]), {"role": "read"})
    mgr.post(reverse("web:access_revoke", args=[access.pk]))
    access.refresh_from_db()
    assert access.role == "manage"
    with pytest.raises(services.AccessError):
        services.revoke_access(caller_of(manager), access)
    # With a second manager, the first may step down.
    other = make_user()
    grant(other, world["employer"], "manage")
    services.change_role(caller_of(manager), access, "read")
    access.refresh_from_db()
    assert access.role == "read"


def test_services_refuse_a_caller_who_is_not_a_manager(world):
    with pytest.raises(services.NotManager):
        services.grant_access(
            caller_of(world["user"]), world["employer"], insz=make_insz(), role="read"
        )


def test_get_on_a_post_only_url_changes_nothing(mgr, world):
    access = EmployerAccess.objects.get(user=world["user"], employer=world["employer"])
    response = mgr.get(reverse("web:access_role", args=[access.pk]), {"role": "manage"})
    assert response.status_code == 302 and response["Location"] == reverse("web:access_users")
    # Revoking asks first (tests/web/test_access_ui.py): its GET is the question.
    assert mgr.get(reverse("web:access_revoke", args=[access.pk])).status_code == 200
    for name in ("web:access_role", "web:access_revoke"):
        assert mgr.put(reverse(name, args=[access.pk])).status_code == 405
    access.refresh_from_db()
    assert access.role == "declare"


# --- mandates ------------------------------------------------------------------------


def test_grant_and_end_a_mandate_cuts_access_at_once(mgr, world, client):
    secretariat = make_mandatary("Sociaal Secretariaat")
    staff = make_user()
    join(staff, secretariat, "declare")
    today = timezone.localdate()
    response = mgr.post(
        reverse("web:access_mandate_new"),
        {"enterprise_number": secretariat.enterprise_number, "start_date": today.isoformat()},
    )
    assert response.status_code == 302
    mandate = Mandate.objects.get(employer=world["employer"], mandatary=secretariat)
    assert world["employer"].pk in Caller.for_user(staff).employer_ids(DECLARE)
    api = Caller(channel="api", label="client", mandatary_id=secretariat.pk)
    assert world["employer"].pk in api.employer_ids(READ)

    assert mgr.post(reverse("web:access_mandate_end", args=[mandate.pk])).status_code == 302
    mandate.refresh_from_db()
    assert mandate.end_date == today - dt.timedelta(days=1)
    assert Caller.for_user(staff).employer_ids(READ) == frozenset()
    api = Caller(channel="api", label="client", mandatary_id=secretariat.pk)
    assert api.employer_ids(READ) == frozenset()
    # A web session of the mandatary's user loses the employer with the next request.
    client.force_login(staff)
    assert client.get(reverse("web:dashboard")).status_code == 302
    entries = HistoryEntry.objects.filter(entity="mandate", entity_id=str(mandate.pk)).order_by(
        "id"
    )
    assert [e.action for e in entries] == ["grant", "end"]
    assert entries[1].before["end_date"] is None and entries[1].after["end_date"]


@pytest.mark.parametrize(
    "form, zone",
    [
        ({"enterprise_number": "0123456789", "start_date": "2025-01-01"}, "enterprise_number"),
        ({"enterprise_number": "0403170701", "start_date": "2025-01-01"}, "enterprise_number"),
        ({"enterprise_number": "{number}", "start_date": "2025-13-45"}, "start_date"),
        ({"enterprise_number": "{number}", "start_date": ""}, "start_date"),
        (
            {"enterprise_number": "{number}", "start_date": "2025-05-01", "end_date": "2025-04-01"},
            "end_date",
        ),
    ],
)
def test_bad_mandates_are_refused_with_a_reason(mgr, form, zone):
    secretariat = make_mandatary()
    data = {k: v.replace("{number}", secretariat.enterprise_number) for k, v in form.items()}
    response = mgr.post(reverse("web:access_mandate_new"), data)
    assert response.status_code == 422
    error_id = {"enterprise_number": "e-number", "start_date": "e-start", "end_date": "e-end"}
    assert f'id="{error_id[zone]}"' in response.content.decode()
    assert not Mandate.objects.exists()


def test_overlapping_mandates_of_one_mandatary_are_refused(mgr, world):
    secretariat = make_mandatary()
    data = {"enterprise_number": secretariat.enterprise_number, "start_date": "2025-01-01"}
    assert mgr.post(reverse("web:access_mandate_new"), data).status_code == 302
    assert mgr.post(reverse("web:access_mandate_new"), data).status_code == 422
    assert Mandate.objects.count() == 1


def test_a_mandate_of_another_employer_cannot_be_ended(mgr):
    other = make_employer("Other")
    foreign = Mandate.objects.create(
        employer=other, mandatary=make_mandatary(), start_date=dt.date(2024, 1, 1)
    )
    assert mgr.post(reverse("web:access_mandate_end", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.end_date is None


# --- API clients ---------------------------------------------------------------------


def test_create_an_api_client_shows_the_secret_once_and_revoke_it(mgr, world):
    response = mgr.post(
        reverse("web:access_client_new"), {"name": "Payroll", "scopes": ["read", "declare"]}
    )
    # POST-redirect-GET: the list shows the secret, once.
    assert response.status_code == 302 and response["Location"] == reverse("web:access_clients")
    shown = mgr.get(reverse("web:access_clients"))
    assert "no-store" in shown["Cache-Control"]
    secret = shown.context["created"]["client_secret"]
    assert secret and secret in shown.content.decode()
    client = ApiClient.objects.get(employer=world["employer"])
    listing = mgr.get(reverse("web:access_clients")).content.decode()
    assert "Payroll" in listing and secret not in listing
    assert mgr.post(reverse("web:access_client_revoke", args=[client.pk])).status_code == 302
    client.refresh_from_db()
    assert client.revoked_at is not None
    entries = HistoryEntry.objects.filter(entity="api-client", entity_id=str(client.pk)).order_by(
        "id"
    )
    assert [e.action for e in entries] == ["create", "revoke"]
    assert all(secret not in str(e.after) for e in entries)


def test_an_api_client_needs_a_name_and_a_scope(mgr):
    assert (
        mgr.post(reverse("web:access_client_new"), {"name": "", "scopes": ["read"]}).status_code
        == 422
    )
    assert (
        mgr.post(reverse("web:access_client_new"), {"name": "X", "scopes": ["admin"]}).status_code
        == 422
    )
    assert not ApiClient.objects.exists()


def test_a_client_of_another_employer_cannot_be_revoked(mgr):
    from fla.api.services import create_client

    other = create_client(name="Theirs", employer=make_employer("Other"))
    assert mgr.post(reverse("web:access_client_revoke", args=[other.client.pk])).status_code == 404
    other.client.refresh_from_db()
    assert other.client.revoked_at is None


# --- audit history -------------------------------------------------------------------


def test_the_history_shows_values_and_labels_as_the_user_reads_them(mgr, world):
    HistoryEntry.objects.create(
        at=timezone.now(), employer=world["employer"], entity="employment", entity_id="7",
        action="update", channel="web", actor="Bea Baas",
        before={"end_date": None, "regime": "1.0000", "opt_out": False},
        after={"end_date": "2027-12-31", "regime": "0.8000", "opt_out": True},
    )  # fmt: skip
    mgr.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = mgr.get(reverse("web:access_history"), {"entity": "employment"}).content.decode()
    for shown in ("31/12/2027", "0.8", "yes", "no", "Employment", "changed"):
        assert f">{shown}<" in page, shown
    for raw in ("2027-12-31", "0.8000", "True", "False", ">update<", ">employment<"):
        assert raw not in page, raw


def test_the_history_shows_this_employers_entries_with_filters_and_csv(mgr, world, manager):
    mgr.post(reverse("web:access_grant"), {"insz": make_insz(), "role": "read"})
    other = make_employer("Other")
    HistoryEntry.objects.create(
        at=timezone.now(), employer=other, entity="access", entity_id="1", action="grant",
        channel="web", actor="Someone Else", after={"role": "read"},
    )  # fmt: skip
    page = mgr.get(reverse("web:access_history")).content.decode()
    assert "Bea Baas" in page and "Someone Else" not in page
    assert "T-0" in page  # the trainings declared by the fixture are there too
    only_access = mgr.get(reverse("web:access_history"), {"entity": "access"})
    assert len(only_access.context["entries"]) == 1
    assert mgr.get(reverse("web:access_history"), {"channel": "api"}).context["entries"] == []
    assert len(mgr.get(reverse("web:access_history"), {"who": "bea"}).context["entries"]) == 1
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert mgr.get(reverse("web:access_history"), {"from": future}).context["entries"] == []
    bad = mgr.get(reverse("web:access_history"), {"from": "2025-02-30", "to": "x"})
    assert bad.status_code == 200 and set(bad.context["errors"]) == {"from", "to"}
    csv = mgr.get(reverse("web:access_history"), {"format": "csv", "entity": "access"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").strip().splitlines()
    # The kind and the action in words, as the page shows them.
    assert len(lines) == 2 and ";toegekend;" in lines[1] and "Someone Else" not in lines[1]
    assert ";Toegang;" in lines[1] and "Rol: — → Raadplegen" in lines[1]


def test_the_history_is_paginated(mgr, world):
    now = timezone.now()
    HistoryEntry.objects.bulk_create(
        HistoryEntry(
            at=now, employer=world["employer"], entity="access", entity_id=str(i),
            action="grant", channel="web", actor="Bulk",
        )
        for i in range(120)
    )  # fmt: skip
    first = mgr.get(reverse("web:access_history"), {"entity": "access"})
    assert (
        len(first.context["entries"]) == 50 and first.context["page_obj"].paginator.num_pages == 3
    )
    last = mgr.get(reverse("web:access_history"), {"entity": "access", "page": "99"})
    assert len(last.context["entries"]) == 20


@pytest.mark.parametrize(
    "lang, title",
    [("nl", "Toegangsbeheer"), ("fr", "Gestion des accès"), ("de", "Zugriffsverwaltung"),
     ("en", "Access management")],
)  # fmt: skip
def test_the_access_pages_speak_four_languages(mgr, settings, lang, title):
    mgr.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    for name in ACCESS_PAGES:
        assert f"<h1>{title}</h1>" in mgr.get(reverse(name)).content.decode()


def test_history_page_with_a_date_shaped_but_invalid_value_is_not_a_500(mgr, world):
    # An API client named like a date that does not exist: the history entry stores it.
    r = mgr.post(reverse("web:access_client_new"), {"name": "2026-13-45", "scopes": ["read"]})
    assert r.status_code == 302
    page = mgr.get(reverse("web:access_history"))
    assert page.status_code == 200
    assert "2026-13-45" in page.content.decode()


@pytest.mark.django_db
def test_history_shows_a_free_text_value_as_typed(mgr, world):
    # A name is not a number: "12.50" must not become "12.5"; "2026-01-02" not 02/01/2026.
    mgr.post(reverse("web:access_client_new"), {"name": "12.50", "scopes": ["read"]})
    mgr.post(reverse("web:access_client_new"), {"name": "2026-01-02", "scopes": ["read"]})
    body = mgr.get(reverse("web:access_history")).content.decode()
    assert "12.50" in body
    assert "2026-01-02" in body


@pytest.mark.django_db
def test_training_page_with_a_date_shaped_reference_is_not_a_500(app, world):
    from fla.accounts.access import Caller
    from fla.trainings.models import Training
    from tests.web.conftest import declare_training

    declare_training(Caller.for_system("t"), world["employer"], world["workers"][0], "2025-13-01")
    training = Training.objects.get(reference="2025-13-01")
    page = app.get(reverse("web:training", args=[training.pk]))
    assert page.status_code == 200


@pytest.mark.django_db
def test_a_role_change_is_named_in_words_in_the_history(mgr, world):
    from fla.accounts.models import EmployerAccess

    access = EmployerAccess.objects.get(user=world["user"], employer=world["employer"])
    r = mgr.post(reverse("web:access_role", args=[access.pk]), {"role": "read"})
    assert r.status_code == 302
    body = mgr.get(reverse("web:access_history"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="tag">change</span>' not in body
    assert '<option value="change">change</option>' not in body
