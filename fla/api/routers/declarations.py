from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from fla.accounts.access import DECLARE
from fla.api.auth import DECLARE_AUTH
from fla.api.common import caller_of, get_employer
from fla.api.problems import request_language
from fla.api.schemas import ValidateIn, ValidateOut
from fla.declarations.types import Declaration

router = Router(tags=["declarations"])


@router.post(
    "/employers/{enterprise_number}/declarations/validate",
    response=ValidateOut,
    operation_id="validate_declarations",
    auth=DECLARE_AUTH,
)
def validate_declarations(request: HttpRequest, enterprise_number: str, body: ValidateIn):
    """A dry run: every declaration is checked as if submitted, and nothing is stored.

    Any kind (training, rights, worker, employer_year); the answer lists each one's
    status and every anomaly, blocking or warning. The zones are read as every channel
    reads them (``"true"`` for a flag, ``"450"`` for a number, as in a BATCH file);
    the typed bodies of the resources (``PUT`` of a training) want JSON booleans.
    """
    from fla.declarations.services import submit

    employer = get_employer(request, enterprise_number, DECLARE)
    declarations = [
        Declaration(
            kind=item.kind,
            employer=employer.enterprise_number,
            data=item.data,
            action=item.action,
            if_version=item.if_version,
            position=position,
        )
        for position, item in enumerate(body.declarations, start=1)
    ]
    outcomes = submit(caller_of(request), declarations, dry_run=True) if declarations else []
    language = request_language(request)
    return {
        "outcomes": [
            {
                "position": position,
                "kind": outcome.declaration.kind,
                "status": outcome.status,
                "anomalies": outcome.anomalies(language),
            }
            for position, outcome in enumerate(outcomes, start=1)
        ]
    }
