from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from fla.accounts.access import READ
from fla.api.common import (
    IntParam,
    caller_of,
    content_etag,
    decode_cursor,
    encode_cursor,
    etagged,
    get_employer,
    not_modified,
)
from fla.api.schemas import EmployerOut
from fla.employers.models import Employer

router = Router(tags=["employers"])


class EmployerFilters(Schema):
    # The body stays a plain list (as before pagination): the next page is in the Link
    # header. The default page is large (a big secretariat has thousands of clients), so
    # that a client written before pagination still gets all of them in one answer
    # up to that many.
    limit: IntParam = Field(10000, ge=1, le=10000)
    cursor: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description='From the `Link` header\'s `rel="next"` URL.',
    )


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
def list_employers(request: HttpRequest, filters: Query[EmployerFilters], response: HttpResponse):
    """The employers this client may see: its own, or those it holds a mandate for.

    By enterprise number, at most ``limit`` per answer; when there are more, the
    ``Link`` header gives the URL of the next page (``rel="next"``, with ``cursor``).
    """
    caller = caller_of(request)
    employers = Employer.objects.filter(pk__in=caller.employer_ids(READ))
    if filters.cursor:
        [after] = decode_cursor(filters.cursor, (str,))
        employers = employers.filter(enterprise_number__gt=after)
    page = list(employers.order_by("enterprise_number")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    if more:
        query = urlencode(
            {"limit": filters.limit, "cursor": encode_cursor([page[-1].enterprise_number])}
        )
        response["Link"] = f'<{request.path}?{query}>; rel="next"'
    data = [employer_out(e, caller.employer_id) for e in page]
    etag = content_etag([data, response.get("Link")])
    return not_modified(request, response, etag) or data


@router.get("/employers/{enterprise_number}", response=EmployerOut, operation_id="get_employer")
def get_one_employer(request: HttpRequest, enterprise_number: str, response: HttpResponse):
    """One employer the client may see."""
    employer = get_employer(request, enterprise_number)
    return etagged(request, response, employer_out(employer, caller_of(request).employer_id))
