"""The one write path: atomic, all anomalies at once, warnings stored and flagged."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import OperationalError

from fla.accounts.access import Caller
from fla.audit.models import HistoryEntry
from fla.declarations import services
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.models import Account, TrainingRight
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker
from tests import factories
from tests.declarations.conftest import TODAY, training


def codes(outcome):
    return sorted(f.code for f in outcome.findings)


def test_valid_training_is_stored_with_history(employer, worker, caller):
    [outcome] = submit(caller, [training(employer, worker)], today=TODAY)
    assert outcome.status == "accepted", outcome.anomalies("en")
    stored = Training.objects.get(employer=employer, reference="T-1")
    assert (stored.duration_minutes, stored.version, stored.channel) == (450, 1, "web")
    entry = HistoryEntry.objects.get(entity="training", entity_id=str(stored.pk))
    assert entry.action == "create" and entry.before is None
    assert entry.after["title"] == "Veiligheid op de werkvloer"
    assert entry.actor_user_id == caller.user_id


def test_rejected_declaration_stores_nothing_and_lists_every_anomaly(employer, worker, caller):
    bad = training(
        employer,
        worker,
        title="",
        start_date="2025-03-12",
        end_date="2025-03-11",
        duration_minutes=0,
        kind="lecture",
        status="done",
    )
    [outcome] = submit(caller, [bad], today=TODAY)
    assert outcome.status == "rejected"
    assert codes(outcome) == ["E006", "E007", "E011", "E012", "E016"]
    assert {f.zone for f in outcome.findings} >= {"title", "end_date", "kind", "status"}
    assert not Training.objects.exists()
    assert not HistoryEntry.objects.exists()


def test_declaration_with_warnings_is_stored_and_flagged(employer, worker, caller):
    future = training(employer, worker, start_date="2025-12-01", end_date="2025-12-02")
    [outcome] = submit(caller, [future], today=TODAY)
    assert outcome.status == "accepted_with_warnings"
    assert "W002" in codes(outcome)  # completed but ending in the future
    assert "W002" in Training.objects.get(reference="T-1").warnings


def test_the_valid_rest_of_a_submission_is_kept(employer, worker, caller):
    outcomes = submit(
        caller,
        [
            training(employer, worker, "A"),
            training(employer, worker, "B", insz="12345678901"),
            training(employer, worker, "C", title="Brandpreventie"),
        ],
        today=TODAY,
    )
    assert [o.status for o in outcomes] == ["accepted", "rejected", "accepted"]
    assert codes(outcomes[1]) == ["E001"]
    assert set(Training.objects.values_list("reference", flat=True)) == {"A", "C"}


def test_no_access_is_refused_without_disclosing_the_employer(employer, worker):
    stranger = factories.make_user()
    [outcome] = submit(Caller.for_user(stranger), [training(employer, worker)], today=TODAY)
    assert codes(outcome) == ["E003"]
    unknown = training(employer, worker)
    unknown.employer = factories.make_enterprise_number()
    assert codes(submit(Caller.for_user(stranger), [unknown], today=TODAY)[0]) == ["E003"]
    assert not Training.objects.exists()


def test_read_only_role_cannot_declare(employer, worker):
    reader = factories.make_user()
    factories.grant(reader, employer, "read")
    [outcome] = submit(Caller.for_user(reader), [training(employer, worker)], today=TODAY)
    assert codes(outcome) == ["E003"]


def test_mandatary_declares_under_an_active_mandate_only(employer, worker):
    secretariat = factories.make_mandatary()
    agent = factories.make_user()
    factories.join(agent, secretariat)
    ended = factories.mandate(secretariat, employer, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert codes(submit(Caller.for_user(agent), [training(employer, worker)], today=TODAY)[0]) == [
        "E003"
    ]
    ended.end_date = None
    ended.save()
    [outcome] = submit(Caller.for_user(agent), [training(employer, worker)], today=TODAY)
    assert outcome.accepted


def test_replaying_a_create_is_idempotent(employer, worker, caller):
    first = submit(caller, [training(employer, worker)], today=TODAY)[0]
    again = submit(caller, [training(employer, worker)], today=TODAY)[0]
    assert again.accepted and not again.changed
    assert (again.object_id, again.version) == (first.object_id, 1)
    assert Training.objects.count() == 1
    assert HistoryEntry.objects.filter(entity="training").count() == 1


def test_a_replayed_training_answers_its_credit_warning_again(employer, bare_worker, caller):
    first = submit(caller, [training(employer, bare_worker, "NO-CREDIT")], today=TODAY)[0]
    assert first.status == "accepted_with_warnings" and [f.code for f in first.findings] == ["W003"]
    again = submit(caller, [training(employer, bare_worker, "NO-CREDIT")], today=TODAY)[0]
    assert (again.status, [f.code for f in again.findings], again.version) == (
        first.status,
        ["W003"],
        1,
    )
    assert again.findings[0].message("en") == first.findings[0].message("en")


def test_replace_bumps_the_version_and_keeps_before_and_after(employer, worker, caller):
    submit(caller, [training(employer, worker)], today=TODAY)
    [outcome] = submit(
        caller, [training(employer, worker, action="replace", duration_minutes=300)], today=TODAY
    )
    assert outcome.changed and outcome.version == 2
    entry = HistoryEntry.objects.filter(entity="training", action="replace").get()
    assert (entry.before["duration_minutes"], entry.after["duration_minutes"]) == (450, 300)


def test_stale_version_is_refused(employer, worker, caller):
    submit(caller, [training(employer, worker)], today=TODAY)
    submit(caller, [training(employer, worker, duration_minutes=300)], today=TODAY)
    stale = training(employer, worker, duration_minutes=200)
    stale.if_version = 1
    [outcome] = submit(caller, [stale], today=TODAY)
    assert codes(outcome) == ["E024"]
    assert Training.objects.get().duration_minutes == 300


def test_change_or_cancel_of_an_unknown_reference(employer, worker, caller):
    outcomes = submit(
        caller,
        [
            training(employer, worker, "NOPE", action="replace"),
            Declaration(
                "training", employer.enterprise_number, {"reference": "NOPE2"}, action="cancel"
            ),
        ],
        today=TODAY,
    )
    assert [codes(o) for o in outcomes] == [["E023"], ["E023"]]


def test_duplicate_reference_in_one_submission(employer, worker, caller):
    outcomes = submit(caller, [training(employer, worker), training(employer, worker)], today=TODAY)
    assert outcomes[0].accepted
    assert codes(outcomes[1]) == ["E022"]


def test_dry_run_validates_and_stores_nothing(employer, worker, caller):
    [outcome] = submit(caller, [training(employer, worker)], dry_run=True, today=TODAY)
    assert outcome.status == "accepted"
    assert not Training.objects.exists() and not HistoryEntry.objects.exists()


@pytest.mark.parametrize("chunk_size", [1, 2, 2000])
def test_a_dry_run_sees_its_earlier_chunks_and_then_forgets_them(employer, caller, chunk_size):
    """Each declaration of a dry run sees the ones before it, as a submission would,
    however the run is cut into chunks; nothing is left afterwards."""
    insz = factories.make_insz(dt.date(1992, 6, 1))
    hire = Declaration("worker", employer.enterprise_number, {
        "insz": insz, "first_name": "Els", "last_name": "Maes",
        "employment": {"start_date": "2024-01-01", "regime": "1", "joint_committee": "200"},
    })  # fmt: skip
    hired = SimpleNamespace(insz=insz)
    declarations = [
        hire,
        training(employer, hired, "D-1"),
        training(employer, hired, "D-2", title="Brandpreventie"),
    ]
    dry = submit(caller, declarations, dry_run=True, today=TODAY, chunk_size=chunk_size)
    assert not Worker.objects.filter(insz=insz).exists() and not Training.objects.exists()
    wet = submit(caller, declarations, today=TODAY, chunk_size=chunk_size)
    assert [(o.status, codes(o)) for o in dry] == [(o.status, codes(o)) for o in wet]
    assert all(o.accepted for o in wet), [o.anomalies("en") for o in wet]


def test_cancel_restores_the_credit(employer, worker, caller):
    submit(caller, [training(employer, worker)], today=TODAY)
    account = Account.objects.get(employer=employer, worker=worker)
    assert account.used_legal_minutes == 450
    cancel = Declaration(
        "training", employer.enterprise_number, {"reference": "T-1"}, action="cancel"
    )
    [outcome] = submit(caller, [cancel], today=TODAY)
    assert outcome.changed
    account.refresh_from_db()
    assert account.used_legal_minutes == 0
    assert account.remaining_minutes == 2280
    assert submit(caller, [cancel], today=TODAY)[0].changed is False


def test_credit_exceeded_is_a_warning(employer, bare_worker, caller):
    [outcome] = submit(caller, [training(employer, bare_worker)], today=TODAY)
    assert "W003" in codes(outcome)  # no right at all for 2025: 7:30 over
    assert Training.objects.get().warnings == ["W003"]


def test_worker_unknown_or_not_employed_that_year(employer, worker, caller):
    other = factories.make_worker(None)
    late = factories.make_worker(employer, start=dt.date(2025, 6, 1))
    outcomes = submit(
        caller,
        [
            training(employer, other, "X"),
            training(employer, late, "Y", start_date="2024-03-10", end_date="2024-03-11"),
            training(employer, late, "Z", start_date="2025-05-10", end_date="2025-05-11"),
        ],
        today=TODAY,
    )
    assert codes(outcomes[0]) == ["E004"]
    assert codes(outcomes[1]) == ["E005"]
    assert "W001" in codes(outcomes[2])


def test_text_zones_are_checked(employer, worker, caller):
    outcomes = submit(
        caller,
        [
            training(employer, worker, "A", title="x" * 201),
            training(employer, worker, "B", title="Evil\u202egnp.exe"),
            training(employer, worker, "C", title="Bell\x07"),
            training(employer, worker, "bad ref"),
        ],
        today=TODAY,
    )
    assert [codes(o) for o in outcomes] == [["E017"], ["E018"], ["E018"], ["E021"]]


def test_probable_duplicate_training(employer, worker, caller):
    submit(caller, [training(employer, worker, "A")], today=TODAY)
    [outcome] = submit(caller, [training(employer, worker, "B")], today=TODAY)
    assert "W004" in codes(outcome)


def test_worker_declaration_creates_worker_employment_and_history(employer, caller):
    insz = factories.make_insz(dt.date(1990, 5, 17))
    declaration = Declaration(
        "worker",
        employer.enterprise_number,
        {
            "insz": insz,
            "first_name": "Marie",
            "last_name": "Dubois",
            "employment": {"start_date": "2025-07-01", "regime": "0.5", "joint_committee": "200"},
        },
    )
    [outcome] = submit(caller, [declaration], today=TODAY)
    assert outcome.status == "accepted", outcome.anomalies("en")
    worker = Worker.objects.get(insz=insz)
    assert worker.birth_date == dt.date(1990, 5, 17)
    employment = Employment.objects.get(worker=worker)
    assert str(employment.regime) == "0.5000"
    assert set(HistoryEntry.objects.values_list("entity", flat=True)) == {"worker", "employment"}
    # The new employment gives the worker a computed right for 2025.
    assert TrainingRight.objects.filter(worker=worker, year=2025, source="computed").exists()
    again = submit(caller, [declaration], today=TODAY)[0]
    assert again.accepted and not again.changed


def test_worker_declaration_form_checks(employer, caller):
    declaration = Declaration(
        "worker",
        employer.enterprise_number,
        {
            "insz": factories.make_insz(),
            "first_name": "A",
            "last_name": "B",
            "employment": {"start_date": "2025-02-30", "regime": "1.5", "joint_committee": "20"},
        },
    )
    [outcome] = submit(caller, [declaration], today=TODAY)
    assert codes(outcome) == ["E010", "E014", "E016", "E026"] or codes(outcome) == [
        "E010",
        "E014",
        "E026",
    ]
    assert {f.zone for f in outcome.findings} >= {
        "employment.start_date",
        "employment.regime",
        "employment.joint_committee",
    }
    assert not Worker.objects.filter(first_name="A").exists()


def test_rights_declaration_is_kept_apart_from_computed(employer, bare_worker, caller):
    worker = bare_worker
    factories.grant_right(employer, worker, right_type="sector", minutes=1368)
    declaration = Declaration(
        "rights",
        employer.enterprise_number,
        {
            "insz": worker.insz,
            "year": 2025,
            "sector_minutes": 2280,
            "employer_minutes": 600,
        },
    )
    [outcome] = submit(caller, [declaration], today=TODAY)
    assert codes(outcome) == ["W006"]
    rows = set(TrainingRight.objects.values_list("right_type", "source", "minutes"))
    assert rows == {
        ("sector", "computed", 1368),
        ("sector", "declared", 2280),
        ("employer", "declared", 600),
    }
    account = Account.objects.get(worker=worker)
    assert account.granted_minutes == 2280 + 600


def test_sector_right_below_the_floor_warns(employer, worker, caller):
    declaration = Declaration(
        "rights",
        employer.enterprise_number,
        {
            "insz": worker.insz,
            "year": 2025,
            "sector_minutes": 600,
        },
    )
    [outcome] = submit(caller, [declaration], today=TODAY)
    assert "W007" in codes(outcome)  # floor: 2 days x 7:36 = 15:12 for a full-time year


def test_unknown_kind_and_action(employer, worker, caller):
    outcomes = submit(
        caller,
        [
            Declaration("salary", employer.enterprise_number, {}),
            training(employer, worker, action="merge"),
        ],
        today=TODAY,
    )
    assert [codes(o) for o in outcomes] == [["E031"], ["E015"]]


def test_large_submission_is_chunked_and_complete(employer, caller):
    workers = [factories.make_worker(employer, start=dt.date(2024, 1, 1)) for _ in range(30)]
    declarations = [
        training(
            employer,
            w,
            f"R{i}",
            title=f"Cursus {i}",
            status="planned",
            start_date="2025-12-01",
            end_date="2025-12-01",
        )
        for i, w in enumerate(workers)
    ]
    outcomes = submit(caller, declarations, today=TODAY, chunk_size=7)
    assert len(outcomes) == 30 and all(o.accepted for o in outcomes)
    assert Training.objects.count() == 30
    assert Account.objects.filter(employer=employer).count() == 30


def test_one_insz_checked_once_per_submission_gives_the_same_findings(employer, worker, caller):
    spaced = f"{worker.insz[:6]}-{worker.insz[6:9]}.{worker.insz[9:]}"
    outcomes = submit(
        caller,
        [
            training(employer, worker, "A", insz="12345678901"),
            training(employer, worker, "B", insz="12345678901"),
            training(employer, worker, "C", insz=spaced),
            training(employer, worker, "D", insz=spaced, title="Other"),
        ],
        today=TODAY,
    )
    assert [codes(o) for o in outcomes[:2]] == [["E001"], ["E001"]]
    assert [o.status for o in outcomes[2:]] == ["accepted", "accepted"]
    assert set(Training.objects.values_list("worker_id", flat=True)) == {worker.pk}


def test_text_checks_beyond_printable_ascii(employer, worker, caller):
    outcomes = submit(
        caller,
        [
            training(employer, worker, "A", title="Zero\u200bwidth"),
            training(employer, worker, "B", title="Tab\tinside"),
            training(employer, worker, "C", title="Café\u00a0crème", description="two\nlines"),
            training(employer, worker, "D", title="Soft\u00adhyphen"),
        ],
        today=TODAY,
    )
    assert [codes(o) for o in outcomes] == [["E018"], ["E018"], [], []]


def test_a_failed_chunk_is_replayed_one_by_one_unless_told_not_to(
    employer, worker, bare_worker, caller, monkeypatch
):
    """By default a chunk whose transaction fails is replayed a declaration at a time;
    with ``replay=False`` (the API's group commit) the error is raised and nothing of
    the chunk is written, so that the caller may write each again without doubling."""
    apply = services._Chunk.apply

    def fail_when_shared(chunk):
        if len(chunk.parsed) > 1:
            apply(chunk)  # all of it written inside the transaction, then it fails
            raise OperationalError("deadlock detected")
        apply(chunk)

    monkeypatch.setattr(services._Chunk, "apply", fail_when_shared)
    declarations = [
        training(employer, worker, reference="A-1"),
        training(employer, bare_worker, reference="A-2"),
    ]
    with pytest.raises(OperationalError):
        submit(caller, declarations, today=TODAY, replay=False)
    assert not Training.objects.filter(reference__in=["A-1", "A-2"]).exists()
    assert not HistoryEntry.objects.filter(entity="training").exists()
    outcomes = submit(caller, declarations, today=TODAY)
    assert [o.status for o in outcomes] == ["accepted", "accepted_with_warnings"]
    assert Training.objects.filter(reference__in=["A-1", "A-2"]).count() == 2
