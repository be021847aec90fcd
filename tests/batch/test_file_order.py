"""Each declaration of a file sees those before it and none after it, wherever the
file is cut into chunks, and a test file answers what production would."""

import datetime as dt
import io

import pytest

from fla.batch import services
from fla.batch.models import BatchFile, BatchResult
from fla.declarations.services import in_order
from fla.declarations.types import Declaration
from fla.trainings.models import Training
from fla.workers.models import Worker
from tests.factories import make_insz

NEW = make_insz(dt.date(1991, 4, 5), serial=21)
OTHER = make_insz(dt.date(1991, 4, 5), serial=22)


def hire(world, insz=NEW):
    return (
        "worker",
        {
            "insz": insz,
            "first_name": "Els",
            "last_name": "Maes",
            "employment": {"start_date": "2024-01-01", "regime": "1", "joint_committee": "200"},
        },
    )


def trainings_of(world, insz=NEW):
    return [
        ("training", {**world.training("N1")[1], "insz": insz}),
        (
            "training",
            {
                **world.training("N2", start_date="2025-04-01", end_date="2025-04-01")[1],
                "insz": insz,
            },
        ),
    ]


def run(world, declarations, *, test, reference="F1"):
    data = world.file(
        reference=reference, declarations=declarations, environment="test" if test else "production"
    )
    receipt = services.receive(world.caller, io.BytesIO(data), production=not test)
    assert receipt.accepted, receipt.errors
    assert services.process(receipt.file_id) == "done"
    batch = BatchFile.objects.get(pk=receipt.file_id)
    return [
        (r.status, [f["code"] for f in r.findings])
        for r in BatchResult.objects.filter(file=batch).order_by("position")
    ]


def kinds(chunks):
    return [[d.kind[0] for d in chunk] for chunk in chunks]


def steady(chunks):
    return [sorted(chunk.steady) for chunk in chunks]


def test_a_hire_after_trainings_of_other_workers_joins_them_on_a_steady_size_class():
    """A chunk holds a hire after a training or rights of another worker of the same
    employer, and rights after the hire of another worker, on the assumption that the
    employer's size class holds (checked when the chunk is applied); an employer-year
    after them starts a chunk of its own."""

    def d(kind, position, employer="0400000000"):
        # Each declaration of another worker.
        return Declaration(kind, employer, {"insz": f"W{position}"}, position=position)

    file = [
        d(k, i)
        for i, k in enumerate(
            ["worker", "worker", "training", "rights", "worker", "training", "employer_year"], 1
        )
    ]
    chunks = list(in_order(iter(file), 50))
    assert kinds(chunks) == [["w", "w", "t", "r", "w", "t"], ["e"]]
    assert steady(chunks) == [["0400000000"], []]
    chunks = list(in_order(iter(file), 2))
    assert kinds(chunks) == [["w", "w"], ["t", "r"], ["w", "t"], ["e"]]
    assert steady(chunks) == [[], [], [], []]
    # a secretariat's file, worker after worker: one chunk, for either employer
    other = "0400.000.284"
    blocks = [
        d("worker", 1),
        d("training", 2),
        d("worker", 3, other),
        d("training", 4, other),
        d("worker", 5, "0400000284"),
        d("training", 6, other),
        d("worker", 7),
    ]
    chunks = list(in_order(iter(blocks), 50))
    assert kinds(chunks) == [["w", "t", "w", "t", "w", "t", "w"]]
    assert steady(chunks) == [["0400000000", "0400000284"]]


def test_chunks_never_put_a_hire_after_what_it_changes():
    def d(kind, insz, employer="0400000000", **data):
        return Declaration(kind, employer, {"insz": insz, **data} if insz else data)

    dotted = f"{NEW[:2]}.{NEW[2:4]}.{NEW[4:6]}-{NEW[6:9]}.{NEW[9:]}"
    cases = {
        # the hire of a worker after his own training or rights, his INSZ written otherwise
        "training, hire": [d("training", NEW), d("worker", dotted)],
        "rights, hire": [d("rights", NEW), d("worker", NEW)],
        # rights after the hire of the same worker: compared with its computed rights
        "hire, rights": [d("worker", NEW), d("rights", dotted)],
        # after an employer-year: everything that follows it of the employer
        "year, training, hire": [d("employer_year", ""), d("training", NEW), d("worker", OTHER)],
        "year, rights": [d("employer_year", ""), d("rights", NEW)],
        "training, year": [d("training", NEW), d("employer_year", "")],
        # a cancel names no worker: it may be the one hired
        "cancel, hire": [d("training", "", reference="R1"), d("worker", OTHER)],
    }
    for name, declarations in cases.items():
        chunks = list(in_order(iter(declarations), 50))
        assert kinds(chunks)[-1] == [declarations[-1].kind[0]], name
        assert len(chunks) == 2, name
    elsewhere = [d("training", NEW), d("worker", NEW, "0400000284")]
    assert kinds(in_order(iter(elsewhere), 50)) == [["t", "w"]]
    assert steady(in_order(iter(elsewhere), 50)) == [[]]


def test_chunks_never_put_rights_after_a_training_of_the_same_worker():
    """A chunk's trainings are judged (W003) once all its rights are written."""

    def d(kind, insz, employer="0400000000"):
        return Declaration(kind, employer, {"insz": insz})

    same = [d("training", NEW), d("rights", OTHER), d("training", OTHER), d("rights", NEW)]
    assert kinds(in_order(iter(same), 50)) == [["t", "r", "t"], ["r"]]
    # the same worker, his INSZ written otherwise; and at another employer, not the same
    dotted = f"{NEW[:2]}.{NEW[2:4]}.{NEW[4:6]}-{NEW[6:9]}.{NEW[9:]}"
    assert kinds(in_order(iter([d("training", NEW), d("rights", dotted)]), 50)) == [["t"], ["r"]]
    elsewhere = [d("training", NEW), d("rights", NEW, "0400000284")]
    assert kinds(in_order(iter(elsewhere), 50)) == [["t", "r"]]


@pytest.mark.parametrize("chunk", [1, 2, 50])
def test_a_training_before_the_hire_of_its_worker_is_judged_in_file_order(world, settings, chunk):
    settings.FLA_BATCH_CHUNK = chunk
    results = run(world, [trainings_of(world)[0], hire(world)], test=False)
    assert results == [("rejected", ["E004"]), ("accepted", [])]


@pytest.mark.parametrize("chunk", [1, 2, 50])
def test_rights_after_a_hire_are_compared_with_the_rights_computed_for_it(world, settings, chunk):
    settings.FLA_BATCH_CHUNK = chunk
    declarations = [
        ("employer_year", {"year": 2025, "size_class": "20plus"}),
        hire(world),
        ("rights", {"insz": NEW, "year": 2025, "legal_minutes": 60}),
    ]
    results = run(world, declarations, test=False)
    assert results[2] == ("accepted_with_warnings", ["W006"])


@pytest.mark.parametrize("chunk", [1, 2, 50])
def test_a_test_file_answers_what_production_answers(world, settings, chunk):
    settings.FLA_BATCH_CHUNK = chunk
    run(world, [world.training("OLD")], test=False, reference="F0")
    declarations = [
        hire(world),
        *trainings_of(world),  # no rights: W003, judged on the credit after each
        world.training("OLD", action="replace", duration_minutes=300),
    ]
    test = run(world, declarations, test=True)
    assert not Worker.objects.filter(insz=NEW).exists()
    assert list(Training.objects.values_list("reference", "duration_minutes")) == [("OLD", 480)]
    production = run(world, declarations, test=False)  # the same file reference
    assert test == production
    assert ("rejected", ["E004"]) not in production
    assert Training.objects.filter(worker__insz=NEW).count() == 2


@pytest.mark.parametrize(
    "declarations",
    [
        # a hire, his rights, his training: the rights start a chunk of their own
        lambda world: [
            hire(world),
            ("rights", {"insz": NEW, "year": 2025, "legal_minutes": 60}),
            trainings_of(world)[0],
        ],
        # hires and trainings as a secretariat writes them: the second hire starts a
        # chunk, and the first worker's second training is in it
        lambda world: [
            hire(world),
            trainings_of(world)[0],
            hire(world, OTHER),
            ("training", {**trainings_of(world, OTHER)[0][1], "reference": "N3"}),
            trainings_of(world)[1],
        ],
    ],
    ids=["hire-rights-training", "hire-training-hire-training-training"],
)
@pytest.mark.parametrize("chunk", [1, 2, 50])
def test_a_test_file_answers_what_production_answers_across_the_cuts(
    world, settings, chunk, declarations
):
    """The write path cuts a file where a declaration must not be applied together with
    those before it; a test file's chunk is cut the same way, and its parts are rolled
    back together at its end, not one by one."""
    settings.FLA_BATCH_CHUNK = chunk
    declarations = declarations(world)
    test = run(world, declarations, test=True)
    assert not Worker.objects.filter(insz__in=[NEW, OTHER]).exists()
    production = run(world, declarations, test=False)
    assert test == production
    assert all(status != "rejected" for status, _ in production), production


def test_a_test_file_leaves_no_trace_but_its_results(world, settings):
    settings.FLA_BATCH_CHUNK = 2
    counts = (Worker.objects.count(), Training.objects.count())
    run(world, [hire(world), *trainings_of(world)], test=True)
    assert (Worker.objects.count(), Training.objects.count()) == counts
    batch = BatchFile.objects.get()
    assert (batch.processed, batch.total, batch.status) == (3, 3, "done")
    assert batch.accepted + batch.accepted_with_warnings == 3


def test_a_test_file_is_checked_in_chunks_of_its_own_size(world, settings):
    """Beyond FLA_BATCH_TEST_CHUNK declarations, a test file's rolled-back chunks do not
    see each other: a worker hired in one is unknown to his trainings in the next."""
    settings.FLA_BATCH_CHUNK, settings.FLA_BATCH_TEST_CHUNK = 1, 2
    declarations = [hire(world), *trainings_of(world)]
    assert run(world, declarations, test=True)[1:] == [
        ("accepted_with_warnings", ["W003"]),
        ("rejected", ["E004"]),
    ]
    settings.FLA_BATCH_TEST_CHUNK = 3
    assert run(world, declarations, test=True, reference="F2") == run(
        world, declarations, test=False, reference="F2"
    )
