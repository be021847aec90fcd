"""The employment's start date against the worker's birth date in a BATCH file: E032
rejects the declaration, W010 flags an accepted one, in the notification."""

from __future__ import annotations

import datetime as dt

from fla.batch.models import BatchResult
from fla.workers.models import Worker
from tests.batch.test_processing import NS, notification, submit_and_process
from tests.factories import make_insz


def _hire(insz: str, start: str):
    employment = {"start_date": start, "regime": "1", "joint_committee": "200"}
    return ("worker", {"insz": insz, "first_name": "Lien", "last_name": "Wouters",
                       "employment": employment})  # fmt: skip


def test_the_notification_names_e032_and_w010(world):
    early = make_insz(dt.date(2013, 8, 20))
    young = make_insz(dt.date(2013, 8, 21))
    declarations = [_hire(early, "2013-08-19"), _hire(young, "2025-09-01")]
    batch = submit_and_process(world, world.file(declarations=declarations, language="en"))
    assert (batch.rejected, batch.accepted_with_warnings) == (1, 1)
    results = {r.position: r for r in BatchResult.objects.filter(file=batch)}
    assert [(f["code"], f["zone"]) for f in results[1].findings] == [
        ("E032", "employment.start_date")
    ]
    assert [(f["code"], f["zone"]) for f in results[2].findings] == [
        ("W010", "employment.start_date")
    ]
    assert not Worker.objects.filter(insz=early).exists()
    assert Worker.objects.filter(insz=young).exists()
    rows = notification(batch).findall("n:result", NS)
    assert [r.findtext("n:status", namespaces=NS) for r in rows] == [
        "rejected",
        "accepted_with_warnings",
    ]
    assert "E032" in "".join(rows[0].itertext()) and "W010" in "".join(rows[1].itertext())
