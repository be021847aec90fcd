"""At a phone's width the pages do not scroll sideways: wide tables scroll in their box."""

from __future__ import annotations

import pytest

from fla.trainings.models import Training
from tests.browser.test_screens import login_as, world  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 360


def page_overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_the_screens_fit_a_narrow_window(page, world, settings):  # noqa: F811
    page.set_viewport_size({"width": WIDTH, "height": 800})
    login_as(page, "hr")
    worker = world["workers"][0]
    training = Training.objects.filter(employer=world["acme"]).order_by("pk").first()
    paths = [
        "/app/dashboard/",
        "/app/workers/",
        f"/app/workers/{worker.pk}/",
        "/app/trainings/",
        f"/app/trainings/{training.pk}/",
        f"/app/workers/{worker.pk}/trainings/new/",
        f"/app/workers/{worker.pk}/rights/",
    ]
    wide = {}
    for path in paths:
        page.goto(path)
        if page_overflow(page) > 0:
            wide[path] = page_overflow(page)
    settings.FLA_LARGE_ENTERPRISE_THRESHOLD = 5
    page.goto("/app/search/")
    page.fill("#s-last", "Janssens")
    page.get_by_test_id("search-submit").click()
    page.locator("[data-testid=search-results] tbody tr").first.wait_for()
    if page_overflow(page) > 0:
        wide["/app/search/"] = page_overflow(page)
    assert wide == {}
