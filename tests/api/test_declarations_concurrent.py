"""Two requests of many declarations for the same workers, in opposite orders, at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from fla.trainings.models import Training
from tests import factories
from tests.api.conftest import API, ApiClient, make_token, training_body

pytestmark = pytest.mark.django_db(transaction=True)


def test_overlapping_requests_both_go_through_whole(world):
    employer = world.own.employer
    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(12)]
    url = f"{API}/employers/{employer.enterprise_number}/declarations"

    def body(side: str, order: list) -> dict:
        return {
            "declarations": [
                {
                    "kind": "training",
                    "data": {
                        **training_body(w.insz, title=f"Opleiding {side}"),
                        "reference": f"{side}-{n}-{w.pk}",
                    },
                }
                for n in range(3)
                for w in order
            ]
        }

    bodies = {"A": body("A", workers), "B": body("B", workers[::-1])}
    answers: dict[str, list] = {"A": [], "B": []}
    start = threading.Barrier(2)

    def post(side: str) -> None:
        client = ApiClient(make_token(world.employer_client))
        try:
            start.wait(10)
            for _ in range(3):
                answers[side].append(client.post(url, bodies[side]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(side,)) for side in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for side in "AB":
        assert [r.status_code for r in answers[side]] == [200, 200, 200], side
        first, *again = [r.json()["outcomes"] for r in answers[side]]
        assert len(first) == 36 and all(o["status"] != "rejected" for o in first), first
        assert all(not o["changed"] and o["version"] == 1 for later in again for o in later)
    assert Training.objects.filter(employer=employer, reference__regex=r"^[AB]-").count() == 72
