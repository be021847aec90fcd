"""Steps of the real-worker test, each run in its own process against a database file.

python -m tests.batch.worker_scenario seed      -> creates the world
python -m tests.batch.worker_scenario submit N  -> receives a file of N trainings
python -m tests.batch.worker_scenario summary   -> JSON of what is stored
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fla.settings")
    import django

    django.setup()
    getattr(sys.modules[__name__], argv[0])(*argv[1:])


def seed() -> None:
    from tests.factories import make_employer, make_mandatary, make_worker, mandate

    employer = make_employer("Acme", enterprise_number="0403170701")
    mandatary = make_mandatary("Secretariat", enterprise_number="0400000383")
    mandate(mandatary, employer, start=dt.date(2020, 1, 1))
    for i in range(40):
        make_worker(employer, insz=_insz(i), last_name=f"W{i}")


def _insz(i: int) -> str:
    from tests.factories import make_insz

    return make_insz(dt.date(1980, 1, 1) + dt.timedelta(days=i), serial=1)


def submit(count: str) -> None:
    from fla.accounts.access import Caller
    from fla.accounts.models import Mandatary
    from fla.batch.builder import file_bytes
    from fla.batch.services import receive

    mandatary = Mandatary.objects.get()
    declarations = []
    for i in range(int(count)):
        zones = {
            "reference": f"R{i}",
            "insz": _insz(i % 40),
            "title": f"Course {i % 9}",
            "kind": "formal" if i % 13 else "bogus",
            "start_date": "2025-02-03",
            "end_date": "2025-02-03",
            "duration_minutes": 60 + i % 5,
            "status": "completed",
        }
        declarations.append(("training", zones))
    data = file_bytes(
        reference="BIG",
        sender=mandatary.enterprise_number,
        employers=[("0403170701", declarations)],
    )
    caller = Caller(channel="batch", label="test", mandatary_id=mandatary.pk)
    receipt = receive(caller, io.BytesIO(data), production=True)
    print(json.dumps(receipt.as_dict()))


def summary() -> None:
    from django.core.files.storage import default_storage
    from lxml import etree

    from fla.audit.models import HistoryEntry
    from fla.batch.models import BatchFile, BatchResult
    from fla.rights.models import CreditLine
    from fla.trainings.models import Training

    batch = BatchFile.objects.get()
    ns = {"n": "urn:be:fla:notification:v1"}
    with default_storage.open(batch.notification_name, "rb") as f:
        tree = etree.parse(f)
    print(
        json.dumps(
            {
                "status": batch.status,
                "partitions": batch.plan["count"],
                "counts": [
                    batch.processed,
                    batch.accepted,
                    batch.accepted_with_warnings,
                    batch.rejected,
                ],
                "trainings": Training.objects.count(),
                "versions": sorted(Training.objects.values_list("version", flat=True).distinct()),
                "history": HistoryEntry.objects.filter(entity="training").count(),
                "results": BatchResult.objects.count(),
                "positions": sorted(set(BatchResult.objects.values_list("position", flat=True)))
                == list(range(1, batch.total + 1)),
                "outcomes": [
                    [
                        r.findtext("n:position", namespaces=ns),
                        r.findtext("n:status", namespaces=ns),
                        [a.findtext("n:code", namespaces=ns) for a in r.findall("n:anomaly", ns)],
                    ]
                    for r in tree.findall("n:result", ns)
                ],
                "credit": sorted(
                    CreditLine.objects.values_list(
                        "worker__insz", "year", "right_type", "granted_minutes", "used_minutes"
                    )
                ),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
