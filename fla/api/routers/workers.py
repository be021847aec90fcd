from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field as NinjaField
from ninja import Query, Router, Schema, Status

from fla.accounts.access import DECLARE
from fla.api.auth import DECLARE_AUTH
from fla.api.common import (
    BAD_CURSOR,
    IntParam,
    content_etag,
    declare_if,
    decode_cursor,
    encode_cursor,
    etagged,
    get_employer,
    get_worker,
    parse_insz,
    result_body,
    with_etag,
    worker_locked,
)
from fla.api.problems import Problem, validation_problem
from fla.api.schemas import WorkerIn, WorkerOut, WorkerPage, WorkerResult
from fla.declarations.types import Declaration
from fla.employers.models import Employer
from fla.workers.models import Employment, Worker

router = Router(tags=["workers"])
_DIGITS = frozenset("0123456789")
_INSZ_CHARS = _DIGITS | frozenset(" .-")


class WorkerFilters(Schema):
    insz: str | None = NinjaField(
        None, description="The INSZ, or its first digits.", min_length=1, max_length=20
    )
    name: str | None = NinjaField(
        None, description="Part of the first or last name.", min_length=1, max_length=100
    )
    limit: IntParam = NinjaField(50, ge=1, le=500)
    cursor: str | None = NinjaField(None, min_length=1, max_length=200)


def worker_out(worker: Worker, employer: Employer) -> dict:
    employments = Employment.objects.filter(worker=worker, employer=employer).order_by("start_date")
    return {
        "insz": worker.insz,
        "first_name": worker.first_name,
        "last_name": worker.last_name,
        "birth_date": worker.birth_date,
        "employments": [
            {
                "start_date": e.start_date,
                "end_date": e.end_date,
                "regime": str(e.regime.normalize()) if e.regime is not None else "1",
                "joint_committee": e.joint_committee,
            }
            for e in employments
        ],
    }


@router.get(
    "/employers/{enterprise_number}/workers", response=WorkerPage, operation_id="search_workers"
)
def search_workers(
    request: HttpRequest,
    enterprise_number: str,
    filters: Query[WorkerFilters],
    response: HttpResponse,
):
    """Search the employer's workers by INSZ (or its start) or by name; cursor-paginated."""
    employer = get_employer(request, enterprise_number)
    workers = Worker.objects.filter(
        pk__in=Employment.objects.filter(employer=employer).values("worker_id")
    )
    if filters.insz:
        # The digits of an INSZ as people write it (spaces, dots, dashes between them);
        # anything else, or no digit at all, filters nothing and is refused.
        digits = "".join(ch for ch in filters.insz if ch in _DIGITS)
        if not digits or any(ch not in _INSZ_CHARS for ch in filters.insz):
            raise validation_problem(request, "query", "insz", "E001", "Not a valid INSZ.")
        workers = workers.filter(insz__startswith=digits)
    if filters.name:
        for word in filters.name.replace("\x00", " ").split():
            workers = workers.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    workers = workers.order_by("last_name", "first_name", "id")
    if filters.cursor:
        # The cursor holds only the last row's id, no name (it travels in URLs and logs):
        # the name it stands after is read back, among this employer's workers only.
        [pk] = decode_cursor(filters.cursor, (int,))
        anchor = (
            Worker.objects.filter(pk=pk, employments__employer=employer)
            .values_list("last_name", "first_name")
            .first()
        )
        if anchor is None:
            raise Problem(400, BAD_CURSOR, slug="bad-cursor")
        last_name, first_name = anchor
        # After (last name, first name, id) in the order of the list. The bound on the
        # last name alone is redundant but lets PostgreSQL start the scan of the name
        # index there rather than read (and drop) every worker before it.
        workers = workers.filter(
            Q(last_name__gt=last_name)
            | Q(first_name__gt=first_name)
            | Q(first_name=first_name, id__gt=pk),
            last_name__gte=last_name,
        )
    page = list(workers[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    items = [{"insz": w.insz, "first_name": w.first_name, "last_name": w.last_name} for w in page]
    last = page[-1] if page else None
    data = {
        "items": items,
        "next_cursor": encode_cursor([last.pk]) if more and last else None,
    }
    return etagged(request, response, data)


@router.get(
    "/employers/{enterprise_number}/workers/{insz}", response=WorkerOut, operation_id="get_worker"
)
def get_one_worker(request: HttpRequest, enterprise_number: str, insz: str, response: HttpResponse):
    """A worker and their employments with this employer."""
    employer = get_employer(request, enterprise_number)
    return etagged(request, response, worker_out(get_worker(employer, insz), employer))


@router.put(
    "/employers/{enterprise_number}/workers/{insz}",
    response={200: WorkerResult, 201: WorkerResult},
    operation_id="put_worker",
    auth=DECLARE_AUTH,
)
def put_worker(
    request: HttpRequest, enterprise_number: str, insz: str, body: WorkerIn, response: HttpResponse
):
    """Create or update a worker with an employment (a declaration of kind ``worker``)."""
    employer = get_employer(request, enterprise_number, DECLARE)
    number = parse_insz(insz)
    data = body.model_dump(mode="json", exclude_none=True)
    data["insz"] = number
    declaration = Declaration(kind="worker", employer=employer.enterprise_number, data=data)
    with worker_locked(number):
        before = Worker.objects.filter(insz=number, employments__employer=employer).first()
        current = content_etag(worker_out(before, employer)) if before else None
        outcome = declare_if(request, declaration, employer, current)
    worker = Worker.objects.get(insz=number)
    out = worker_out(worker, employer)
    with_etag(response, content_etag(out))
    # Created or not, where the worker is read: built from the checked INSZ (11 digits,
    # whatever separators the path had), never from the request's path.
    response["Location"] = reverse(
        "api:put_worker",
        kwargs={"enterprise_number": employer.enterprise_number, "insz": number},
    )
    return Status(200 if before else 201, {**result_body(request, outcome), "worker": out})
