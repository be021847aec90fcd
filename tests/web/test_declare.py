"""Declaring online: forms over submit, anomalies beside their fields, warnings confirmed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.models import TrainingRight
from fla.trainings.models import Training
from fla.web.views.declare import parse_duration
from tests.web.conftest import post_confirmed

pytestmark = pytest.mark.django_db

FORM = {
    "step": "declare",
    "title": "Brandveiligheid",
    "kind": "formal",
    "start_date": "2025-03-10",
    "end_date": "2025-03-11",
    "duration_minutes": "3:30",
    "status": "completed",
    "counts_toward_account": "on",
}


def shown_in(body: str) -> str:
    """The warnings a form showed, as it sends them back with the confirmation."""
    found = re.search(r'name="warnings_shown" value="([^"]*)"', body)
    assert found, "the form shows no warnings to confirm"
    return found[1]


def test_parse_duration():
    assert parse_duration("7:30") == 450
    assert parse_duration("7u30") == 450
    assert parse_duration("7") == 420
    assert parse_duration("7,5") == 450
    assert parse_duration("abc") == "abc"
    assert parse_duration("7:75") == "7:75"


def test_parse_duration_reads_ascii_digits_only():
    """Full-width or Arabic-Indic digits are passed on as typed, for the write path's
    anomaly, as in every other channel."""
    assert parse_duration("\uff17:\uff13\uff10") == "\uff17:\uff13\uff10"
    assert parse_duration("\u0667,\u0665") == "\u0667,\u0665"
    assert parse_duration("\uff17") == "\uff17"


def test_blocking_error_shows_beside_its_field_and_stores_nothing(app, world):
    url = reverse("web:worker_training_new", args=[world["workers"][4].pk])
    response = app.post(url, dict(FORM, end_date="2025-03-01", confirm="on"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="issues-end_date"' in body and "E006" in body
    assert 'data-testid="confirm-warnings"' not in body
    assert not Training.objects.filter(title="Brandveiligheid").exists()


def test_anomaly_messages_follow_the_language(app, world):
    url = reverse("web:worker_training_new", args=[world["workers"][4].pk])
    body = app.post(
        url, dict(FORM, end_date="2025-03-01"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "La date de fin précède la date de début." in body


def test_warnings_must_be_confirmed_before_storing(app, world):
    url = reverse("web:worker_training_new", args=[world["workers"][4].pk])
    # No rights declared: the credit is exceeded (W003), a warning.
    body = app.post(url, FORM).content.decode()
    assert "W003" in body and 'data-testid="confirm-warnings"' in body
    assert not Training.objects.filter(title="Brandveiligheid").exists()
    response = app.post(url, dict(FORM, confirm="on", warnings_shown=shown_in(body)))
    training = Training.objects.get(title="Brandveiligheid")
    assert response["Location"] == reverse("web:training", args=[training.pk])
    assert training.channel == "web" and training.duration_minutes == 210


def test_create_with_insz_field_from_the_general_form(app, world):
    worker = world["workers"][3]
    data = dict(FORM, insz=worker.insz, reference="MY-REF-1")
    response = post_confirmed(app, reverse("web:training_new"), data)
    assert response.status_code == 302
    assert Training.objects.get(reference="MY-REF-1").worker == worker
    body = app.post(reverse("web:training_new"), dict(FORM, insz="123")).content.decode()
    assert 'data-testid="issues-insz"' in body and "E001" in body


def test_change_passes_the_version_and_a_stale_form_gets_e024(app, world):
    training = Training.objects.get(reference="T-0")
    url = reverse("web:training_edit", args=[training.pk])
    assert app.get(url).status_code == 200
    form = dict(FORM, title="Excel (nieuw)", version=str(training.version))
    assert post_confirmed(app, url, form).status_code == 302
    training.refresh_from_db()
    assert training.title == "Excel (nieuw)" and training.version == 2
    stale = post_confirmed(app, url, dict(form, title="Te laat", version="1")).content.decode()
    assert "E024" in stale
    training.refresh_from_db()
    assert training.title == "Excel (nieuw)"


def test_cancel_a_training(app, world):
    training = Training.objects.get(reference="T-1")
    url = reverse("web:training_cancel", args=[training.pk])
    assert app.get(url).status_code == 200
    response = app.post(url, {"version": training.version, "confirm": "on"})
    assert response.status_code == 302
    training.refresh_from_db()
    assert training.status == "cancelled"


def test_set_the_rights_of_a_worker_year(app, world):
    worker = world["workers"][2]
    url = reverse("web:rights_edit", args=[worker.pk])
    assert app.get(url + "?year=2025").status_code == 200
    data = {"step": "declare", "year": "2025", "legal_minutes": "38:00", "confirm": "on"}
    response = app.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    right = TrainingRight.objects.get(worker=worker, year=2025, source="declared")
    assert right.minutes == 38 * 60 and right.right_type == "legal"
    body = app.post(url, dict(data, year="1990")).content.decode()
    assert "E027" in body


def test_one_training_for_several_workers(app, world):
    ids = [w.pk for w in world["workers"][:3]]
    form = app.post(reverse("web:training_bulk"), {"workers": ids}).content.decode()
    assert 'data-testid="bulk-workers"' in form
    data = dict(FORM, workers=ids, reference="EHBO")
    response = post_confirmed(app, reverse("web:training_bulk"), data)
    assert response.status_code == 302
    refs = set(
        Training.objects.filter(reference__startswith="EHBO-").values_list("reference", flat=True)
    )
    assert refs == {"EHBO-1", "EHBO-2", "EHBO-3"}


def test_bulk_ignores_workers_of_other_employers(app, world):
    from tests.web.conftest import build_employer

    _, strangers = build_employer(1, "Elsewhere", trainings=0)
    response = app.post(reverse("web:training_bulk"), {"workers": [strangers[0].pk]})
    assert response.status_code == 302  # back to the search: nobody to declare for
    assert app.post(reverse("web:training_bulk"), {"workers": ["x"]}).status_code == 404


@pytest.mark.parametrize("tampered", ["99999999999999999999", "9" * 19, "-1", "１"])
def test_bulk_refuses_a_worker_id_no_row_can_have(app, world, tampered):
    """A tampered id past the database's integers is a 404, as in an address, not a 500."""
    ids = [world["workers"][0].pk, tampered]
    assert app.post(reverse("web:training_bulk"), {"workers": ids}).status_code == 404


def test_form_declarations_equal_api_declarations(app, world):
    """The form adds nothing of its own: a dry run of the same zones gives the same codes."""
    from fla.accounts.access import Caller

    worker = world["workers"][4]
    data = {
        "insz": worker.insz,
        "reference": "X-1",
        "title": "T",
        "kind": "formal",
        "start_date": "2025-03-10",
        "end_date": "2025-03-01",
        "duration_minutes": 0,
        "status": "completed",
    }
    [outcome] = submit(
        Caller.for_user(world["user"]),
        [Declaration("training", world["employer"].enterprise_number, data)],
        dry_run=True,
    )
    body = app.post(
        reverse("web:worker_training_new", args=[worker.pk]),
        dict(FORM, end_date="2025-03-01", duration_minutes="0", reference="X-1"),
    ).content.decode()
    for finding in outcome.findings:
        assert finding.code in body


def test_a_new_training_does_not_replace_one_with_the_same_reference(app, world):
    training = Training.objects.get(reference="T-0")
    before = (training.title, training.duration_minutes, training.version)
    url = reverse("web:worker_training_new", args=[training.worker_id])
    response = app.post(url, dict(FORM, reference="T-0", confirm="on"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="issues-reference"' in body and "T-0" in body
    assert 'data-testid="confirm-warnings"' not in body
    training.refresh_from_db()
    assert (training.title, training.duration_minutes, training.version) == before
    french = app.post(url, dict(FORM, reference="T-0"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Une formation portant la référence T-0 existe déjà." in french.content.decode()


def test_the_same_new_training_sent_twice_is_stored_once(app, world):
    worker = world["workers"][4]
    url = reverse("web:worker_training_new", args=[worker.pk])
    data = dict(FORM, reference="TWICE-1")
    first = post_confirmed(app, url, data)
    second = post_confirmed(app, url, data)
    training = Training.objects.get(reference="TWICE-1")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("web:training", args=[training.pk])
    assert training.version == 1


def test_several_workers_do_not_replace_trainings_with_the_same_reference(app, world):
    workers = world["workers"][:2]
    first = dict(FORM, workers=[w.pk for w in workers], reference="EHBO")
    assert post_confirmed(app, reverse("web:training_bulk"), first).status_code == 302
    again = dict(first, title="Something else")
    body = post_confirmed(app, reverse("web:training_bulk"), again).content.decode()
    assert 'data-testid="issues-reference"' in body and "EHBO-1, EHBO-2" in body
    titles = Training.objects.filter(reference__startswith="EHBO-").values_list("title", flat=True)
    assert set(titles) == {"Brandveiligheid"}


BROKEN_VERSIONS = ["", "abc", "0", "-1", " 1", "1 ", "1_0", "01", "1.0", "\u0661", "9" * 30]


@pytest.mark.parametrize("version", BROKEN_VERSIONS)
def test_a_change_with_a_broken_version_says_so_and_stores_nothing(app, world, version):
    """The hidden version of the form is the training's as the page wrote it: anything
    else is never read as a version (0, "must not exist yet"; ``int``'s " 1", "1_0",
    "١"; a number too large for the database) and never a server error."""
    training = Training.objects.get(reference="T-0")
    url = reverse("web:training_edit", args=[training.pk])
    form = dict(FORM, title="Excel (nieuw)", version=version)
    response = post_confirmed(app, url, form)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Dit formulier zegt niet welke versie van de opleiding je wijzigt" in body
    assert "E024" not in body
    assert 'name="version"' not in body  # a new attempt starts from the training again
    training.refresh_from_db()
    assert training.title != "Excel (nieuw)" and training.version == 1


@pytest.mark.parametrize("version", BROKEN_VERSIONS)
def test_a_cancel_with_a_broken_version_says_so_and_cancels_nothing(app, world, version):
    training = Training.objects.get(reference="T-1")
    url = reverse("web:training_cancel", args=[training.pk])
    response = app.post(url, {"version": version, "confirm": "on"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Dit formulier zegt niet welke versie van de opleiding je wijzigt" in body
    assert "E024" not in body
    training.refresh_from_db()
    assert training.status != "cancelled" and training.version == 1


def test_a_change_without_a_version_field_says_so(app, world):
    training = Training.objects.get(reference="T-0")
    url = reverse("web:training_edit", args=[training.pk])
    body = post_confirmed(app, url, dict(FORM, title="Excel (nieuw)")).content.decode()
    assert "Dit formulier zegt niet welke versie van de opleiding je wijzigt" in body
    training.refresh_from_db()
    assert training.title != "Excel (nieuw)"
