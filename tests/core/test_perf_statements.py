"""``Statement.objects`` makes the same instances as ``Model.from_db``, faster where it may,
and ``bulk.Probe`` and ``bulk.reserve_ids`` answer as what they replace."""

from __future__ import annotations

import pytest
from django.db import connection, models
from django.db.models import F
from django.db.models.signals import post_init

from fla.core import bulk
from fla.core.statements import Statement, _plain, fields_of
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker

pytestmark = pytest.mark.django_db


def _state(instance: models.Model) -> dict:
    values = dict(instance.__dict__)
    state = values.pop("_state")
    return {**values, "_state": (state.adding, state.db, dict(state.fields_cache))}


@pytest.mark.parametrize("model", [Worker, Employment, Training])
def test_objects_equal_from_db(data, model):
    statement = Statement(
        lambda p: (
            model.objects.filter(bulk.Within(F("pk"), p.ids))
            .order_by("pk")
            .values_list(*fields_of(model))
        )
    )
    ids = list(model.objects.values_list("pk", flat=True))
    assert _plain(model)
    made = statement.objects(ids=ids)
    expected = list(model.objects.filter(pk__in=ids).order_by("pk"))
    assert made and [_state(m) for m in made] == [_state(e) for e in expected]
    assert all(type(m) is model for m in made)


def test_objects_with_extra_annotations(data):
    statement = Statement(
        lambda p: (
            Worker.objects.filter(bulk.Within(F("pk"), p.ids))
            .order_by("pk")
            .values_list(*fields_of(Worker), "insz")
        )
    )
    ids = list(Worker.objects.values_list("pk", flat=True))
    made = statement.objects("again", ids=ids)
    assert [w.again for w in made] == [w.insz for w in made]


def test_a_post_init_receiver_is_honoured(data):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Worker)
    try:
        assert not _plain(Worker)
        statement = Statement(
            lambda p: Worker.objects.filter(bulk.Within(F("pk"), p.ids)).values_list(
                *fields_of(Worker)
            )
        )
        made = statement.objects(ids=list(Worker.objects.values_list("pk", flat=True)))
    finally:
        post_init.disconnect(receiver, sender=Worker)
    assert made and seen == made
    assert _plain(Worker)


def test_probe_reads_what_within_reads(data):
    employer, _ = data
    references = ["S-0", "S-2", "nope"]
    within = Training.objects.filter(bulk.Within(F("reference"), references), employer=employer)
    probe = Training.objects.filter(bulk.Probe(F("reference"), references), employer=employer)
    assert sorted(probe.values_list("pk", flat=True)) == sorted(within.values_list("pk", flat=True))
    assert probe.count() == 2
    assert not Training.objects.filter(bulk.Probe(F("reference"), [])).exists()
    statement = Statement(
        lambda p: (
            Training.objects.filter(bulk.Probe(F("reference"), p.references))
            .order_by("reference")
            .values_list("reference")
        )
    )
    assert statement.rows(references=references) == [("S-0",), ("S-2",)]


def test_reserved_ids_are_new_and_increasing(data):
    ids = bulk.reserve_ids(Training, 5)
    if connection.vendor != "postgresql":
        assert ids is None
        return
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert min(ids) > max(Training.objects.values_list("pk", flat=True))
    assert bulk.reserve_ids(Training, 0) is None


def test_probe_does_not_cut_a_longer_value_to_the_column_length(data):
    _, workers = data
    insz = workers[0].insz  # the column holds 11 characters
    assert Worker.objects.filter(bulk.Probe(F("insz"), [insz])).count() == 1
    assert not Worker.objects.filter(bulk.Probe(F("insz"), [insz + "9"])).exists()
    assert not Worker.objects.filter(bulk.Probe(F("pk"), [10**12])).exists()
