"""Regression tests of the bugs the security suites found."""

from __future__ import annotations

import pytest

from fla.accounts.access import Caller
from fla.batch.services import files_for
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/oidc/authenticate/", "/oidc/callback/?code=x&state=y"])
def test_oidc_pages_without_a_provider_answer_404_not_500(client, settings, url):
    settings.OIDC_ISSUER = ""
    assert client.get(url).status_code == 404


def test_a_mandatary_client_sees_the_files_of_its_mandated_employers_only():
    """As a member of the mandatary does in the online application."""
    from django.utils import timezone

    from fla.batch.models import BatchFile

    mandated, foreign = factories.make_employer("M"), factories.make_employer("F")
    mandatary = factories.make_mandatary()
    factories.mandate(mandatary, mandated)

    def file_of(employer):
        return BatchFile.objects.create(
            reference=f"F-{employer.pk}",
            sender=employer.enterprise_number,
            sender_employer=employer,
            received_at=timezone.now(),
            storage_name="x",
        )

    visible, hidden = file_of(mandated), file_of(foreign)
    caller = Caller(channel="api", label="SSL", mandatary_id=mandatary.pk)
    assert list(files_for(caller)) == [visible]
    assert hidden not in files_for(caller)
