from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from fla.accounts.access import DECLARE
from fla.api.auth import DECLARE_AUTH
from fla.api.common import (
    IntParam,
    content_etag,
    declare_if,
    etagged,
    get_employer,
    get_worker,
    result_body,
    with_etag,
    worker_locked,
)
from fla.api.schemas import RightsIn, RightsOut, RightsResult
from fla.core.choices import RightSource
from fla.declarations.types import Declaration
from fla.employers.models import Employer, EmployerYear
from fla.rights.models import TrainingRight, WorkerOptOut
from fla.rights.rules import RightType, effective_rights
from fla.workers.models import Worker

router = Router(tags=["rights"])
TYPES = (RightType.LEGAL, RightType.SECTOR, RightType.EMPLOYER)
YEAR_PATH = Path(..., ge=1900, le=2999, description="Calendar year.")


def _minutes(values: dict) -> dict:
    return {f"{t.value}_minutes": values.get(t) for t in TYPES}


def rights_out(employer: Employer, worker: Worker, year: int) -> dict:
    computed: dict = {}
    declared: dict = {}
    for right in TrainingRight.objects.filter(employer=employer, worker=worker, year=year):
        target = declared if right.source == RightSource.DECLARED else computed
        target[RightType(right.right_type)] = right.minutes
    worker_opt_out = WorkerOptOut.objects.filter(
        employer=employer, worker=worker, year=year
    ).exists()
    employer_opt_out = EmployerYear.objects.filter(
        employer=employer, year=year, opt_out=True
    ).exists()
    effective = effective_rights(computed, declared, worker_opt_out or employer_opt_out)
    return {
        "insz": worker.insz,
        "year": year,
        "computed": _minutes(computed),
        "declared": _minutes(declared),
        "effective": _minutes(effective),
        "opt_out": worker_opt_out,
        "employer_opt_out": employer_opt_out,
    }


@router.get(
    "/employers/{enterprise_number}/workers/{insz}/rights/{year}",
    response=RightsOut,
    operation_id="get_rights",
)
def get_rights(
    request: HttpRequest,
    enterprise_number: str,
    insz: str,
    response: HttpResponse,
    year: IntParam = YEAR_PATH,
):
    """The rights of a worker-year: computed and declared apart, and the effective ones."""
    employer = get_employer(request, enterprise_number)
    return etagged(request, response, rights_out(employer, get_worker(employer, insz), year))


@router.put(
    "/employers/{enterprise_number}/workers/{insz}/rights/{year}",
    response=RightsResult,
    operation_id="put_rights",
    auth=DECLARE_AUTH,
)
def put_rights(
    request: HttpRequest,
    enterprise_number: str,
    insz: str,
    body: RightsIn,
    response: HttpResponse,
    year: IntParam = YEAR_PATH,
):
    """Declare the rights of a worker-year (a declaration of kind ``rights``).

    A type left out (or null) has no declared right: the computed one counts again.
    Rights have no version number: to write them only if they are still as read, send
    the ``ETag`` of their ``GET`` as ``If-Match`` (412 otherwise).
    """
    employer = get_employer(request, enterprise_number, DECLARE)
    worker = get_worker(employer, insz)
    data = body.model_dump(mode="json", exclude_none=True)
    data.update(insz=worker.insz, year=year)
    declaration = Declaration(kind="rights", employer=employer.enterprise_number, data=data)
    with worker_locked(worker.insz):
        current = content_etag(rights_out(employer, worker, year))
        outcome = declare_if(request, declaration, employer, current)
    out = rights_out(employer, worker, year)
    with_etag(response, content_etag(out))
    return {**result_body(request, outcome), "rights": out}
