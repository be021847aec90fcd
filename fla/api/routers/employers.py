from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from fla.accounts.access import READ
from fla.api.common import caller_of, content_etag, get_employer, with_etag
from fla.api.schemas import EmployerOut
from fla.employers.models import Employer

router = Router(tags=["employers"])


def employer_out(employer: Employer, own_id: int | None) -> dict:
    return {
        "enterprise_number": employer.enterprise_number,
        "formatted_enterprise_number": employer.formatted_enterprise_number,
        "name": employer.name,
        "language": employer.language,
        "reference_weekly_minutes": employer.reference_weekly_minutes,
        "relation": "own" if employer.pk == own_id else "mandate",
    }


@router.get("/employers", response=list[EmployerOut], operation_id="list_employers")
def list_employers(request: HttpRequest):
    """The employers this client may see: its own, or those it holds a mandate for."""
    caller = caller_of(request)
    employers = Employer.objects.filter(pk__in=caller.employer_ids(READ)).order_by(
        "enterprise_number"
    )
    return [employer_out(e, caller.employer_id) for e in employers]


@router.get("/employers/{enterprise_number}", response=EmployerOut, operation_id="get_employer")
def get_one_employer(request: HttpRequest, enterprise_number: str, response: HttpResponse):
    """One employer the client may see."""
    employer = get_employer(request, enterprise_number)
    data = employer_out(employer, caller_of(request).employer_id)
    with_etag(response, content_etag(data))
    return data
