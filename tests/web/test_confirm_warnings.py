"""A confirmation covers the warnings the form showed, no others: data changed in the same
submission that gives other warnings, or a tampered list of the warnings shown, brings
the form back with the warnings and the box unticked, and stores nothing."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.urls import reverse

from fla.rights.models import TrainingRight
from fla.trainings.models import Training
from fla.web.views import declare
from tests.factories import grant_right
from tests.web.test_declare import FORM, shown_in

pytestmark = pytest.mark.django_db


def _checkbox(body: str) -> str:
    found = re.search(r'<input type="checkbox" id="f-confirm"[^>]*>', body)
    assert found, "the form offers no confirmation"
    return found[0]


def test_a_field_changed_with_the_box_ticked_shows_its_new_warnings(app, world):
    url = reverse("web:worker_training_new", args=[world["workers"][4].pk])
    first = app.post(url, FORM).content.decode()
    assert "W003" in first and "W008" not in first  # the credit is exceeded
    # The box ticked, and in the same submission a certificate's validity without a
    # certificate (W008), a warning the user was never shown.
    changed = dict(
        FORM,
        certificate_valid_until="2027-03-11",
        confirm="on",
        warnings_shown=shown_in(first),
    )
    response = app.post(url, changed)
    body = response.content.decode()
    assert response.status_code == 200
    assert not Training.objects.filter(title="Brandveiligheid").exists()
    assert "W008" in body and "W003" in body
    assert 'data-testid="warnings-renewed"' in body
    assert "checked" not in _checkbox(body)
    assert 'value="Brandveiligheid"' in body and 'value="2027-03-11"' in body  # kept
    # Confirmed once shown, it is stored with both warnings.
    response = app.post(url, dict(changed, warnings_shown=shown_in(body)))
    assert response.status_code == 302
    training = Training.objects.get(title="Brandveiligheid")
    assert set(training.warnings) == {"W003", "W008"}


def test_fewer_warnings_than_shown_are_covered_by_the_confirmation(app, world):
    url = reverse("web:worker_training_new", args=[world["workers"][4].pk])
    first = app.post(url, dict(FORM, certificate_valid_until="2027-03-11")).content.decode()
    assert "W003" in first and "W008" in first
    # The date taken away: W008 goes, W003 stays, which was shown.
    response = app.post(url, dict(FORM, confirm="on", warnings_shown=shown_in(first)))
    assert response.status_code == 302
    assert Training.objects.get(title="Brandveiligheid").warnings == ["W003"]


def test_a_larger_excess_of_the_credit_is_another_warning(app, world):
    url = reverse("web:worker_training_new", args=[world["workers"][4].pk])
    first = app.post(url, FORM).content.decode()
    more = dict(FORM, duration_minutes="9:00", confirm="on", warnings_shown=shown_in(first))
    body = app.post(url, more).content.decode()
    assert 'data-testid="warnings-renewed"' in body
    assert not Training.objects.filter(title="Brandveiligheid").exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: "",
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        # Signed without the application's key: a list of any warnings one likes.
        lambda token: signing.dumps(
            signing.loads(token, salt=declare._SHOWN_SALT),
            key="not-the-secret-key",
            salt=declare._SHOWN_SALT,
        ),
        # Correctly signed, but for another purpose than this list.
        lambda token: signing.dumps(signing.loads(token, salt=declare._SHOWN_SALT)),
    ],
    ids=["missing", "altered", "foreign-key", "other-salt"],
)
def test_a_tampered_list_of_warnings_shown_confirms_nothing(app, world, tamper):
    url = reverse("web:worker_training_new", args=[world["workers"][4].pk])
    first = app.post(url, FORM).content.decode()
    data = dict(FORM, confirm="on", warnings_shown=tamper(shown_in(first)))
    response = app.post(url, data)
    assert response.status_code == 200
    assert 'data-testid="warnings-renewed"' in response.content.decode()
    assert not Training.objects.filter(title="Brandveiligheid").exists()


def test_the_warnings_shown_on_one_form_do_not_confirm_another(app, world):
    """The list holds for the form that showed it: one shown for one worker does not
    confirm the same warnings for another."""
    one = reverse("web:worker_training_new", args=[world["workers"][4].pk])
    other = reverse("web:worker_training_new", args=[world["workers"][3].pk])
    shown = shown_in(app.post(one, FORM).content.decode())
    body = app.post(other, FORM).content.decode()
    assert "W003" in body
    response = app.post(other, dict(FORM, confirm="on", warnings_shown=shown))
    assert response.status_code == 200
    assert not Training.objects.filter(title="Brandveiligheid").exists()


def test_the_rights_form_confirms_only_the_warnings_it_showed(app, world):
    worker = world["workers"][2]
    year = declare.queries.today().year
    grant_right(world["employer"], worker, year=year, minutes=40 * 60)
    url = reverse("web:rights_edit", args=[worker.pk])
    data = {"step": "declare", "year": str(year), "legal_minutes": "1:00"}
    first = app.post(url, data).content.decode()
    assert "W006" in first and "W007" not in first
    # A sector right below the floor added in the same submission: W007, never shown.
    more = dict(data, sector_minutes="0:30", confirm="on", warnings_shown=shown_in(first))
    body = app.post(url, more).content.decode()
    assert "W007" in body and 'data-testid="warnings-renewed"' in body
    assert not TrainingRight.objects.filter(worker=worker, source="declared").exists()
    response = app.post(url, dict(more, warnings_shown=shown_in(body)))
    assert response.status_code == 302
    assert TrainingRight.objects.filter(worker=worker, source="declared").count() == 2


def test_several_workers_each_confirm_their_own_warnings(app, world):
    """With one training for several workers, a warning of one worker shown does not
    cover the same warning of another added in the same submission."""
    workers = sorted(world["workers"][2:5], key=lambda w: (w.last_name, w.first_name))
    url = reverse("web:training_bulk")
    # Each worker's credit is exceeded (W003).
    data = dict(FORM, workers=[w.pk for w in workers[:2]], reference="BULK")
    shown = shown_in(app.post(url, data).content.decode())
    wider = dict(data, workers=[w.pk for w in workers], confirm="on", warnings_shown=shown)
    body = app.post(url, wider).content.decode()
    assert 'data-testid="warnings-renewed"' in body
    assert not Training.objects.filter(reference__startswith="BULK-").exists()
    response = app.post(url, dict(wider, warnings_shown=shown_in(body)))
    assert response.status_code == 302
    assert Training.objects.filter(reference__startswith="BULK-").count() == 3


def test_a_warning_shown_for_one_worker_does_not_cover_anothers_in_its_place(app, world):
    """The same warning with the same values, of another worker posted in the first one's
    place, was not shown: the confirmation names each warning's worker."""
    workers = sorted(world["workers"][2:5], key=lambda w: (w.last_name, w.first_name))
    url = reverse("web:training_bulk")
    data = dict(FORM, workers=[workers[0].pk], reference="SWAP")
    shown = shown_in(app.post(url, data).content.decode())
    swapped = dict(data, workers=[workers[1].pk], confirm="on", warnings_shown=shown)
    body = app.post(url, swapped).content.decode()
    assert "W003" in body and 'data-testid="warnings-renewed"' in body
    assert not Training.objects.filter(reference__startswith="SWAP").exists()
