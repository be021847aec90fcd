"""The busiest reads, and the answers of training writes, render their body directly
(``fla.api.rendering``): the body must be the one ninja gives after validating the same
data against the declared schema."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import RequestFactory

from fla.api.rendering import json_body
from fla.api.routers.credit import credit_out
from fla.api.routers.trainings import training_out
from fla.api.schemas import CreditOut, TrainingPage, TrainingResult
from fla.trainings.models import Training
from tests.api.conftest import API, declare_training, training_body

pytestmark = pytest.mark.django_db


def through_the_schema(schema, data) -> bytes:
    """What ninja renders for ``data`` declared as ``response=schema``."""
    from django.http import HttpResponse
    from ninja.renderers import JSONRenderer

    dumped = schema.model_validate(data).model_dump()
    return HttpResponse(JSONRenderer().render(None, dumped, response_status=200)).content


def rendered(data) -> bytes:
    from django.http import HttpResponse

    return json_body(RequestFactory().get("/"), HttpResponse(), data).content


def test_credit_body_is_the_validated_one(world):
    employer, worker = world.own.employer, world.own.worker
    declare_training(employer, worker, "T-2", status="planned", title="Ééñ <b>&")
    data = credit_out(employer, worker)
    assert data["years"]
    assert rendered(data) == through_the_schema(CreditOut, data)


def test_training_page_body_is_the_validated_one(world):
    employer, worker = world.own.employer, world.own.worker
    declare_training(
        employer,
        worker,
        "T-3",
        status="completed",
        certificate_obtained=True,
        certificate_valid_until="2027-01-31",
        right_type="sector",
        provider="Syntra",
        description='Ééñ <b>&"quoted"',
    )
    declare_training(employer, worker, "T-4", kind="informal", duration_minutes=1)
    page = Training.objects.select_related("worker").filter(employer=employer)
    moment = dt.datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    data = {"items": [training_out(t) for t in page], "next_cursor": "abc", "sync_from": moment}
    assert len(data["items"]) == 3
    assert rendered(data) == through_the_schema(TrainingPage, data)
    assert rendered({"items": [], "next_cursor": None, "sync_from": moment}) == through_the_schema(
        TrainingPage, {"items": [], "next_cursor": None, "sync_from": moment}
    )


@pytest.mark.parametrize("case", ["created", "replayed", "warned", "cancelled"])
def test_a_write_answer_is_the_validated_one(world, as_employer, case):
    """What a PUT or DELETE answers (new, unchanged, with warnings, cancelled) is the
    body ninja would give for ``TrainingResult``, with the status and ETag as before."""
    base = f"{API}/employers/{world.own.employer.enterprise_number}/trainings"
    body = training_body(world.own.worker.insz, title="Ééñ <b>&", provider="Syntra")
    if case == "created":
        response, status = as_employer.put(f"{base}/W-1", body), 201
    elif case == "replayed":
        as_employer.put(f"{base}/W-1", body)
        response, status = as_employer.put(f"{base}/W-1", body), 200
    elif case == "warned":  # more than the worker's credit, and completed in the future
        soon = dt.date.today() + dt.timedelta(days=30)
        body.update(end_date=soon.isoformat(), duration_minutes=6000)
        response, status = as_employer.put(f"{base}/W-1", body), 201
    else:
        as_employer.put(f"{base}/W-1", body)
        response, status = as_employer.delete(f"{base}/W-1"), 200
    assert response.status_code == status, response.content
    data = json.loads(response.content)
    assert response.content == through_the_schema(TrainingResult, data)
    assert response["ETag"] == f'"{data["training"]["version"]}"'
    if case == "warned":
        assert {w["code"] for w in data["warnings"]} >= {"W002"}


def test_the_served_bodies_are_json_with_the_schema_fields(world, as_employer):
    base = f"{API}/employers/{world.own.employer.enterprise_number}"
    listed = as_employer.get(f"{base}/trainings?limit=1")
    assert listed.status_code == 200
    assert listed["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(listed.content)
    assert set(body) == set(TrainingPage.model_fields) == {"items", "next_cursor", "sync_from"}
    assert set(body["items"][0]) == set(
        TrainingPage.model_fields["items"].annotation.__args__[0].model_fields
    )
    credit = as_employer.get(f"{base}/workers/{world.own.worker.insz}/credit")
    assert credit.status_code == 200 and credit["ETag"]
    assert set(credit.json()) == set(CreditOut.model_fields)


def test_served_credit_equals_credit_out_with_and_without_an_account(world, as_employer):
    from fla.rights.models import Account

    employer, worker = world.own.employer, world.own.worker
    url = f"{API}/employers/{employer.enterprise_number}/workers/{worker.insz}/credit"
    served = as_employer.get(url)
    assert served.status_code == 200
    assert served.json() == json.loads(rendered(credit_out(employer, worker)))
    Account.objects.filter(employer=employer, worker=worker).delete()
    without = as_employer.get(url).json()
    assert without == json.loads(rendered(credit_out(employer, worker)))
    assert without["granted_minutes"] == sum(y["granted_minutes"] for y in without["years"])
    other = world.foreign.worker.insz  # a worker of another employer: not seen here
    assert as_employer.get(url.replace(worker.insz, other)).status_code == 404
