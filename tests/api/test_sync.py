"""Incremental reads of the trainings: ``sync_from`` is the same on every page of one
walk, and a change made after the walk began comes back from it."""

from __future__ import annotations

import datetime as dt

from tests.api.conftest import declare_training


def _walk(client, url):
    pages, cursor = [], None
    while True:
        page = client.get(url + (f"&cursor={cursor}" if cursor else "")).json()
        pages.append(page)
        cursor = page["next_cursor"]
        if not cursor:
            return pages


def test_sync_from_is_the_walks_start_and_catches_what_changed_since(world, as_employer):
    employer, worker = world.own.employer, world.own.worker
    for n in range(3):
        declare_training(employer, worker, f"S-{n}")
    base = f"employers/{employer.enterprise_number}/trainings?limit=2"
    pages = _walk(as_employer, base)
    assert len(pages) == 2  # T-1 and S-0..S-2, two a page
    assert len({page["sync_from"] for page in pages}) == 1
    sync_from = dt.datetime.fromisoformat(pages[0]["sync_from"])
    assert sync_from <= dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)  # the clock margin
    declare_training(employer, worker, "LATER")
    since = pages[0]["sync_from"].replace("+", "%2B")
    again = _walk(as_employer, base + "&updated_since=" + since)
    references = [t["reference"] for page in again for t in page["items"]]
    assert "LATER" in references
