"""The number of SQL queries of a page does not grow with the employer's size."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import grant, make_user
from tests.web.conftest import build_employer

pytestmark = pytest.mark.django_db


def queries_per_page(client, size: int, trainings: int) -> dict[str, int]:
    employer, workers = build_employer(size, f"Size{size}", trainings=trainings)
    user = make_user(f"hr{size}")
    grant(user, employer)
    client.force_login(user)
    urls = {
        "dashboard": reverse("web:dashboard"),
        "workers": reverse("web:workers") + "?sort=-remaining",
        "worker": reverse("web:worker", args=[workers[0].pk]),
        "trainings": reverse("web:trainings"),
    }
    counts = {}
    for name, url in urls.items():
        client.get(url)  # warm the session and caches alike for both sizes
        cache.clear()  # measure the cold path: nothing from the chart cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[name] = len(captured.captured_queries)
    client.logout()
    return counts


def test_pages_cost_the_same_queries_for_5_and_for_50_workers(client):
    small = queries_per_page(client, 5, trainings=2)
    large = queries_per_page(client, 50, trainings=30)
    assert small == large
    assert max(small.values()) <= 20, small
