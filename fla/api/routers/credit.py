from __future__ import annotations

from collections import defaultdict

from django.db.models import F, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from ninja import Router

from fla.accounts.access import READ
from fla.api.common import NOT_VISIBLE, caller_of, content_etag, not_modified
from fla.api.problems import Problem
from fla.api.rendering import json_body
from fla.api.schemas import CreditOut
from fla.core.identifiers import InvalidIdentifier, clean_enterprise_number, clean_insz
from fla.core.statements import Statement
from fla.rights.models import Account
from fla.rights.rules import format_minutes
from fla.rights.services import worker_credit_lines
from fla.workers.models import Employment

router = Router(tags=["credit"])
TYPE_ORDER = {"legal": 0, "sector": 1, "employer": 2}


def credit_out(employer, worker) -> dict:
    """The credit of ``worker`` with ``employer`` (the body of ``get_credit``)."""
    account = (
        Account.objects.filter(employer=employer, worker=worker)
        .values_list(
            "granted_minutes",
            "used_legal_minutes",
            "used_sector_minutes",
            "used_employer_minutes",
            "remaining_minutes",
        )
        .first()
    )
    totals = None
    if account is not None:
        granted, legal, sector, own, remaining = account
        totals = (granted, legal + sector + own, remaining)
    return credit_body(employer.pk, worker.pk, worker.insz, totals)


def credit_body(
    employer_id: int, worker_id: int, insz: str, totals: tuple[int, int, int] | None
) -> dict:
    """Per year and type from the credit lines (1 query); the totals are the account's
    (granted, used, remaining) when there is one."""
    lines = worker_credit_lines(employer_id, worker_id)
    per_year: dict[int, list] = defaultdict(list)
    for year, right_type, granted_minutes, used_minutes in lines:
        per_year[year].append((right_type, granted_minutes, used_minutes))
    years = []
    total_granted = total_used = 0
    for year, year_lines in sorted(per_year.items()):
        types = []
        granted = used = 0
        for right_type, line_granted, line_used in sorted(
            year_lines, key=lambda x: TYPE_ORDER.get(x[0], 9)
        ):
            remaining = line_granted - line_used
            types.append(
                {
                    "right_type": right_type,
                    "granted_minutes": line_granted,
                    "used_minutes": line_used,
                    "remaining_minutes": remaining,
                    "granted": format_minutes(line_granted),
                    "used": format_minutes(line_used),
                    "remaining": format_minutes(remaining),
                }
            )
            granted += line_granted
            used += line_used
        years.append(
            {
                "year": year,
                "types": types,
                "granted_minutes": granted,
                "used_minutes": used,
                "remaining_minutes": granted - used,
                "granted": format_minutes(granted),
                "used": format_minutes(used),
                "remaining": format_minutes(granted - used),
            }
        )
        total_granted += granted
        total_used += used
    # The account holds the totals the credit policy leaves open (a window may close
    # earlier years); the lines are shown as they are.
    if totals is not None:
        total_granted, total_used, total_remaining = totals
    else:
        total_remaining = total_granted - total_used
    return {
        "insz": insz,
        "years": years,
        "granted_minutes": total_granted,
        "used_minutes": total_used,
        "remaining_minutes": total_remaining,
        "granted": format_minutes(total_granted),
        "used": format_minutes(total_used),
        "remaining": format_minutes(total_remaining),
    }


def _account(value):
    """One value of the account of an employment's employer and worker."""
    return Subquery(
        Account.objects.filter(employer=OuterRef("employer_id"), worker=OuterRef("worker_id"))
        .order_by()
        .annotate(value=value)
        .values("value")[:1]
    )


_EMPLOYMENT_AND_ACCOUNT = Statement(
    lambda p: (
        Employment.objects.filter(employer__enterprise_number=p.number, worker__insz=p.insz)
        .annotate(
            granted=_account(F("granted_minutes")),
            used=_account(
                F("used_legal_minutes") + F("used_sector_minutes") + F("used_employer_minutes")
            ),
            remaining=_account(F("remaining_minutes")),
        )
        .values_list("employer_id", "worker_id", "granted", "used", "remaining")[:1]
    )
)


@router.get(
    "/employers/{enterprise_number}/workers/{insz}/credit",
    response=CreditOut,
    operation_id="get_credit",
)
def get_credit(request: HttpRequest, enterprise_number: str, insz: str, response: HttpResponse):
    """The worker's credit with this employer, per year and per right type (minutes and h:mm)."""
    # The employer and the worker, seen by this employer through an employment, and the
    # account's totals, in one query; an employer the client may not see answers as an
    # unknown one (404).
    try:
        number, person = clean_enterprise_number(enterprise_number), clean_insz(insz)
    except InvalidIdentifier:
        raise Problem(404, NOT_VISIBLE, slug="not-found") from None
    found = _EMPLOYMENT_AND_ACCOUNT.rows(number=number, insz=person)
    if not found or found[0][0] not in caller_of(request).employer_ids(READ):
        raise Problem(404, NOT_VISIBLE, slug="not-found")
    [(employer_id, worker_id, granted, used, remaining)] = found
    totals = (granted, used, remaining) if granted is not None else None
    data = credit_body(employer_id, worker_id, person, totals)
    return not_modified(request, response, content_etag(data)) or json_body(request, response, data)
