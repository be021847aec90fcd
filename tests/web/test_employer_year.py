"""Declaring an employer's size class and company-wide opt-out for a year online."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from fla.audit.models import HistoryEntry
from fla.employers.models import EmployerYear
from fla.rights.models import Account
from fla.web.current import SESSION_KEY
from tests.factories import grant, make_user
from tests.web.conftest import build_employer


def _declare(client, employer, **zones):
    data = {"step": "declare", "for_employer": employer.pk, **zones}
    return client.post(reverse("web:employer_year"), data)


@pytest.fixture
def big(db):
    """Twelve full-time workers all year: 10 to 19 FTE, so one legal day each."""
    return build_employer(12, name="Groot BV", trainings=0)[0]


@pytest.fixture
def hr(client, big):
    user = make_user("hr-big")
    grant(user, big, "declare")
    client.force_login(user)
    return client


def test_the_page_shows_each_year_and_declares_a_size_class(hr, big):
    year = timezone.localdate().year
    body = hr.get(reverse("web:employer_year")).content.decode()
    assert 'data-testid="employer-years"' in body and str(year) in body
    granted = sum(Account.objects.filter(employer=big).values_list("granted_minutes", flat=True))
    response = _declare(hr, big, year=year, size_class="20plus")
    assert response.status_code == 302
    row = EmployerYear.objects.get(employer=big, year=year)
    assert row.declared_size_class == "20plus" and not row.opt_out
    # The rights of the year were computed again with the declared class.
    again = sum(Account.objects.filter(employer=big).values_list("granted_minutes", flat=True))
    assert again > granted
    assert HistoryEntry.objects.filter(employer=big, entity="employer_year").count() == 1
    page = hr.get(response["Location"]).content.decode()
    assert "20 VTE of meer" in page
    # The same form sent twice changes nothing more.
    assert _declare(hr, big, year=year, size_class="20plus").status_code == 302
    assert HistoryEntry.objects.filter(employer=big, entity="employer_year").count() == 1


def test_a_company_wide_opt_out_leaves_only_declared_rights(hr, big):
    year = timezone.localdate().year

    def granted():
        return sum(Account.objects.filter(employer=big).values_list("granted_minutes", flat=True))

    assert _declare(hr, big, year=year, size_class="20plus").status_code == 302
    assert granted() > 0  # the year's computed rights
    assert _declare(hr, big, year=year, size_class="20plus", opt_out="on").status_code == 302
    assert EmployerYear.objects.get(employer=big, year=year).opt_out
    assert granted() == 0  # computed, but no longer counted: nothing was declared
    worker = big.employments.first().worker
    form = hr.get(reverse("web:rights_edit", args=[worker.pk]), {"year": year}).content.decode()
    assert 'data-testid="employer-opt-out"' in form


def test_a_bad_size_class_or_year_is_refused_beside_its_field(hr, big):
    year = timezone.localdate().year
    response = _declare(hr, big, year=year, size_class="huge")
    assert response.status_code == 200 and "E029" in response.content.decode()
    response = _declare(hr, big, year=year + 5)
    assert response.status_code == 200 and "E027" in response.content.decode()
    assert not EmployerYear.objects.filter(employer=big, declared_size_class="huge").exists()
    assert not EmployerYear.objects.filter(employer=big, year=year + 5).exists()


def test_only_a_declaring_user_of_the_employer_reaches_it(client, big):
    reader = make_user("reader")
    grant(reader, big, "read")
    client.force_login(reader)
    assert client.get(reverse("web:employer_year")).status_code == 404
    assert _declare(client, big, year=timezone.localdate().year, opt_out="on").status_code == 404
    assert not EmployerYear.objects.filter(employer=big, opt_out=True).exists()


def test_a_form_of_another_employer_declares_nothing(client, big):
    other, _workers = build_employer(2, name="Ander BV", trainings=0)
    user = make_user("both")
    grant(user, big, "declare")
    grant(user, other, "declare")
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = other.pk
    session.save()
    year = timezone.localdate().year
    # A form shown for Groot BV, sent while Ander BV is chosen: nothing is stored.
    _declare(client, big, year=year, opt_out="on")
    assert not EmployerYear.objects.filter(opt_out=True).exists()


@pytest.mark.parametrize(
    ("lang", "title", "submit"),
    [
        ("nl", "Grootteklasse en opt-out", "Gegevens van {} aangeven"),
        ("fr", "Classe de taille et opt-out", "Déclarer les données de {}"),
        ("de", "Größenklasse und Opt-out", "Angaben für {} melden"),
        ("en", "Size class and opt-out", "Declare the data of {}"),
    ],
)
def test_the_page_speaks_four_languages(hr, lang, title, submit):
    hr.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    body = hr.get(reverse("web:employer_year")).content.decode()
    assert f"<h1>{title}</h1>" in body
    assert submit.format(timezone.localdate().year) + "</button>" in body
    assert 'data-testid="nav-employer-year"' in body
