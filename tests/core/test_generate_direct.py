"""The generator's bulk mode writes what the write path writes, from the same seed."""

import datetime as dt
import functools
from collections import Counter

import pytest
from django.db import transaction

from fla.audit.models import HistoryEntry
from fla.core import demo
from fla.employers.models import Employer, EmployerYear
from fla.rights.models import Account, CreditLine, TrainingRight
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker

TODAY = dt.date(2026, 11, 28)


def world():
    """Everything generated, by natural keys (ids differ between two runs)."""
    return {
        "employers": sorted(
            Employer.objects.values_list(
                "enterprise_number", "nsso_number", "name", "language", "reference_weekly_minutes"
            )
        ),
        "employer_years": sorted(
            EmployerYear.objects.values_list(
                "employer__enterprise_number",
                "year",
                "declared_size_class",
                "computed_size_class",
                "average_fte",
                "opt_out",
            )
        ),
        "workers": sorted(
            Worker.objects.values_list("insz", "first_name", "last_name", "birth_date")
        ),
        "employments": sorted(
            Employment.objects.values_list(
                "employer__enterprise_number",
                "worker__insz",
                "start_date",
                "end_date",
                "regime",
                "joint_committee",
            )
        ),
        "trainings": sorted(
            (*row[:-1], tuple(row[-1]))
            for row in Training.objects.values_list(
                "employer__enterprise_number",
                "reference",
                "worker__insz",
                "title",
                "description",
                "provider",
                "kind",
                "start_date",
                "end_date",
                "duration_minutes",
                "status",
                "counts_toward_account",
                "certificate_obtained",
                "certificate_valid_until",
                "right_type",
                "version",
                "channel",
                "warnings",
            )
        ),
        "rights": sorted(
            TrainingRight.objects.values_list(
                "employer__enterprise_number",
                "worker__insz",
                "year",
                "right_type",
                "source",
                "minutes",
            )
        ),
        "lines": sorted(
            CreditLine.objects.values_list(
                "employer__enterprise_number",
                "worker__insz",
                "year",
                "right_type",
                "granted_minutes",
                "used_minutes",
            )
        ),
        "accounts": sorted(
            Account.objects.values_list(
                "employer__enterprise_number",
                "worker__insz",
                "granted_minutes",
                "used_legal_minutes",
                "used_sector_minutes",
                "used_employer_minutes",
                "remaining_minutes",
                "current_year_rights_declared",
                "trainings_count",
                "last_training_end",
            )
        ),
        # The history of every declared object, with its snapshots; the rights
        # computations are recorded too, once per employer and year.
        "history": Counter(
            (entity, action, channel, actor, repr(before), repr(after))
            for entity, action, channel, actor, before, after in HistoryEntry.objects.exclude(
                entity="rights-computation"
            ).values_list("entity", "action", "channel", "actor", "before", "after")
        ),
        "computations": Counter(
            HistoryEntry.objects.filter(entity="rights-computation").values_list(
                "employer__enterprise_number", "entity_id"
            )
        ),
    }


def test_direct_mode_writes_what_the_write_path_writes(db):
    with transaction.atomic():
        demo.generate(3, 500, 6000, seed=11, today=TODAY)
        declared = world()
        transaction.set_rollback(True)
    assert not Training.objects.exists()
    result = demo.generate(3, 500, 6000, seed=11, today=TODAY, direct=True)
    direct = world()
    assert result["counts"]["trainings"] == len(direct["trainings"])
    # The data set is varied enough for the comparison to mean something.
    warned = Counter(code for row in declared["trainings"] for code in row[-1])
    assert {"W003", "W004", "W005"} <= set(warned), warned
    assert {row[4] for row in declared["rights"]} == {"computed", "declared"}
    assert len(declared["workers"]) == 500 and len(declared["trainings"]) > 4000
    for key in declared:
        assert direct[key] == declared[key], key
    # Same credit totals.
    assert sum(row[6] for row in direct["accounts"]) == sum(row[6] for row in declared["accounts"])


@pytest.mark.parametrize("chunk", [7, 50])
def test_warnings_follow_the_chunks_of_the_write_path(db, monkeypatch, chunk):
    """A worker's trainings split over two chunks: W003 and W004 as each chunk saw them."""
    monkeypatch.setattr(demo, "submit", functools.partial(demo.submit, chunk_size=chunk))
    monkeypatch.setattr(demo, "CHUNK_SIZE", chunk)
    with transaction.atomic():
        demo.generate(2, 120, 1400, seed=3, today=TODAY)
        declared = world()
        transaction.set_rollback(True)
    demo.generate(2, 120, 1400, seed=3, today=TODAY, direct=True)
    direct = world()
    assert direct["trainings"] == declared["trainings"]
    assert direct["accounts"] == declared["accounts"]


def test_a_second_run_meets_the_workers_of_the_first(db, monkeypatch):
    """INSZs drawn again in a later run are the same people: renamed, employed twice."""

    def person(self):  # a population of 120 INSZs: the second run meets the first
        while True:
            birth = dt.date(1980, 1, 1) + dt.timedelta(days=self.rng.randrange(0, 6))
            insz = demo.insz_for(birth, self.rng.randrange(1, 21))
            if insz not in self.used:
                self.used.add(insz)
                return insz, self.rng.choice(demo.FIRST_NAMES), self.rng.choice(demo.LAST_NAMES)

    monkeypatch.setattr(demo.People, "person", person)
    with transaction.atomic():
        demo.generate(1, 40, 300, seed=1, today=TODAY)
        demo.generate(3, 60, 500, seed=2, today=TODAY)
        declared = world()
        transaction.set_rollback(True)
    demo.generate(1, 40, 300, seed=1, today=TODAY, direct=True)
    demo.generate(3, 60, 500, seed=2, today=TODAY, direct=True)
    direct = world()
    assert len(declared["employments"]) == 100 > len(declared["workers"])
    assert any(key[0] == "worker" and key[1] == "update" for key in declared["history"])
    for key in declared:
        assert direct[key] == declared[key], key


def test_direct_mode_is_deterministic_and_streams_in_chunks(db, monkeypatch):
    monkeypatch.setattr(demo.DirectLoader, "WORKER_BATCH", 7)
    monkeypatch.setattr(demo.DirectLoader, "TRAINING_BATCH", 11)
    monkeypatch.setattr(demo.DirectLoader, "GROUP_WORKERS", 25)
    monkeypatch.setattr(demo.DirectLoader, "WHOLE_EMPLOYER", 10)
    with transaction.atomic():
        demo.generate(4, 60, 500, seed=5, today=TODAY, direct=True)
        small_batches = world()
        transaction.set_rollback(True)
    monkeypatch.undo()
    demo.generate(4, 60, 500, seed=5, today=TODAY, direct=True)
    assert world() == small_batches
