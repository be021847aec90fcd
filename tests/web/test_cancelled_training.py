"""A cancelled training: the write path takes a change of it (a replace with another
status makes it active again), so its detail offers the change, and the form says what
a change of a cancelled training does; cancelling it again is not offered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.trainings.models import Training
from tests.web.conftest import post_confirmed
from tests.web.test_declare import FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelled(app, world):
    training = Training.objects.get(reference="T-1")
    response = app.post(
        reverse("web:training_cancel", args=[training.pk]), {"version": training.version}
    )
    assert response.status_code == 302
    training.refresh_from_db()
    assert training.status == "cancelled"
    return training


def test_the_write_path_takes_a_replace_of_a_cancelled_training(world, cancelled):
    """The rule the web follows: a replace of a cancelled training is accepted."""
    from fla.accounts.access import Caller

    data = {
        "insz": cancelled.worker.insz,
        "reference": cancelled.reference,
        "title": cancelled.title,
        "kind": cancelled.kind,
        "start_date": cancelled.start_date.isoformat(),
        "end_date": cancelled.end_date.isoformat(),
        "duration_minutes": cancelled.duration_minutes,
        "status": "completed",
    }
    declaration = Declaration(
        "training", world["employer"].enterprise_number, data, action="replace"
    )
    [outcome] = submit(Caller.for_user(world["user"]), [declaration], dry_run=True)
    assert outcome.accepted and not outcome.errors


def test_the_edit_page_of_a_cancelled_training_says_what_a_change_does(app, cancelled):
    body = app.get(reverse("web:training_edit", args=[cancelled.pk])).content.decode()
    assert 'data-testid="cancelled-training"' in body
    assert "weer actief" in body
    french = app.get(
        reverse("web:training_edit", args=[cancelled.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Cette formation est annulée." in french


def test_the_edit_page_of_an_active_training_has_no_such_notice(app, world):
    training = Training.objects.get(reference="T-0")
    body = app.get(reverse("web:training_edit", args=[training.pk])).content.decode()
    assert 'data-testid="cancelled-training"' not in body


def test_the_detail_of_a_cancelled_training_offers_the_change_not_the_cancel(app, cancelled):
    body = app.get(reverse("web:training", args=[cancelled.pk])).content.decode()
    assert 'data-testid="edit-training"' in body
    assert 'data-testid="cancel-training"' not in body


def test_a_cancelled_training_declared_again_with_another_status_is_active(app, cancelled):
    url = reverse("web:training_edit", args=[cancelled.pk])
    data = dict(FORM, title=cancelled.title, status="completed", version=cancelled.version)
    assert post_confirmed(app, url, data).status_code == 302
    cancelled.refresh_from_db()
    assert cancelled.status == "completed"


def test_the_cancel_page_of_a_cancelled_training_offers_no_form(app, cancelled):
    body = app.get(reverse("web:training_cancel", args=[cancelled.pk])).content.decode()
    assert 'data-testid="already-cancelled"' in body
    assert 'data-testid="submit"' not in body
