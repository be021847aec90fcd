from __future__ import annotations

from collections import defaultdict

from django.http import HttpRequest, HttpResponse
from ninja import Router

from fla.api.common import content_etag, get_employer, get_worker, with_etag
from fla.api.rendering import json_body
from fla.api.schemas import CreditOut
from fla.rights.models import Account, CreditLine
from fla.rights.rules import format_minutes

router = Router(tags=["credit"])
TYPE_ORDER = {"legal": 0, "sector": 1, "employer": 2}


def credit_out(employer, worker) -> dict:
    lines = CreditLine.objects.filter(employer=employer, worker=worker).order_by("year")
    per_year: dict[int, list] = defaultdict(list)
    for line in lines:
        per_year[line.year].append(line)
    years = []
    total_granted = total_used = 0
    for year, year_lines in sorted(per_year.items()):
        types = []
        granted = used = 0
        for line in sorted(year_lines, key=lambda x: TYPE_ORDER.get(x.right_type, 9)):
            remaining = line.granted_minutes - line.used_minutes
            types.append(
                {
                    "right_type": line.right_type,
                    "granted_minutes": line.granted_minutes,
                    "used_minutes": line.used_minutes,
                    "remaining_minutes": remaining,
                    "granted": format_minutes(line.granted_minutes),
                    "used": format_minutes(line.used_minutes),
                    "remaining": format_minutes(remaining),
                }
            )
            granted += line.granted_minutes
            used += line.used_minutes
        years.append(
            {
                "year": year,
                "types": types,
                "granted_minutes": granted,
                "used_minutes": used,
                "remaining_minutes": granted - used,
                "remaining": format_minutes(granted - used),
            }
        )
        total_granted += granted
        total_used += used
    # The account holds the totals the credit policy leaves open (a window may close
    # earlier years); the lines are shown as they are.
    account = Account.objects.filter(employer=employer, worker=worker).first()
    if account is not None:
        total_granted = account.granted_minutes
        total_used = account.used_minutes
        total_remaining = account.remaining_minutes
    else:
        total_remaining = total_granted - total_used
    return {
        "insz": worker.insz,
        "years": years,
        "granted_minutes": total_granted,
        "used_minutes": total_used,
        "remaining_minutes": total_remaining,
        "granted": format_minutes(total_granted),
        "used": format_minutes(total_used),
        "remaining": format_minutes(total_remaining),
    }


@router.get(
    "/employers/{enterprise_number}/workers/{insz}/credit",
    response=CreditOut,
    operation_id="get_credit",
)
def get_credit(request: HttpRequest, enterprise_number: str, insz: str, response: HttpResponse):
    """The worker's credit with this employer, per year and per right type (minutes and h:mm)."""
    employer = get_employer(request, enterprise_number)
    data = credit_out(employer, get_worker(employer, insz))
    with_etag(response, content_etag(data))
    return json_body(request, response, data)
