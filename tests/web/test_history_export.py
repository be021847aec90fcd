"""The access manager's history page and its CSV export tell the same time."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from fla.audit.models import HistoryEntry
from tests.factories import grant, make_user


def test_the_history_csv_gives_the_local_time_the_page_shows(client, world):
    manager = make_user("boss", first_name="Bea", last_name="Baas")
    grant(manager, world["employer"], "manage")
    client.force_login(manager)
    # 12:00 UTC in January is 13:00 in Brussels; in July, 14:00.
    for at in (dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC),
               dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)):  # fmt: skip
        HistoryEntry.objects.create(
            at=at, employer=world["employer"], entity="access", entity_id="1",
            action="grant", channel="web", actor="Zeno Tijd",
        )  # fmt: skip
    url = reverse("web:access_history")
    page = client.get(url, {"who": "Zeno"}).content.decode()
    assert "15/01/2026 13:00" in page and "15/07/2026 14:00" in page
    response = client.get(url, {"who": "Zeno", "format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    times = sorted(line.split(";")[0] for line in lines[1:])
    assert times == ["2026-01-15 13:00:00", "2026-07-15 14:00:00"]
