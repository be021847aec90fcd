from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import ValidationError

from fla.accounts.access import DECLARE
from fla.api.auth import DECLARE_AUTH
from fla.api.common import caller_of, get_employer
from fla.api.problems import request_language
from fla.api.schemas import DeclarationsIn, DeclarationsOut, ValidateIn, ValidateOut
from fla.declarations.services import submit
from fla.declarations.types import ZONES, Declaration, Outcome
from fla.employers.models import Employer

router = Router(tags=["declarations"])

# The zones the typed bodies of the resources take as JSON strings (``TrainingIn``,
# ``WorkerIn``, ``EmploymentIn``, ``RightsIn``; a training's reference, a worker's or a
# right's INSZ are in their path), by kind: the dry run wants them as strings too.
TEXT_ZONES = {
    "training": {
        "reference",
        "insz",
        "title",
        "description",
        "provider",
        "kind",
        "status",
        "right_type",
    },
    "worker": {"insz", "first_name", "last_name"},
    "rights": {"insz"},
    "employer_year": {"size_class"},
}
# Zones that hold a block of zones instead of a value, and the text zones of that block.
BLOCKS = {("worker", "employment"): {"joint_committee"}}


def _error(loc: tuple, kind: str, message: str) -> dict:
    return {"loc": ("body", "body", *loc), "type": kind, "msg": message, "ctx": {}, "value": ""}


def _if_version_error(kind: str, loc: tuple) -> dict:
    """``if_version`` where it does nothing: beside ``kind`` and ``data`` of a declaration
    other than a training's, or inside ``data``. Only a training has a version; rights
    and a worker are versioned by the ETag of their ``GET``, sent as ``If-Match`` with
    their own ``PUT``."""
    if kind == "training" and loc[-2] == "data":
        return _error(loc, "if_version_in_data", "if_version is beside kind and data")
    return _error(
        loc,
        "if_version_not_versioned",
        "if_version is for trainings only: rights and workers are written conditionally "
        "by their own PUT with If-Match (the ETag of their GET)",
    )


def zone_shape_errors(kind: str, data: dict[str, Any], loc: tuple) -> list[dict]:
    """The zones of ``data`` that no channel could take: one the kind does not have
    (``ZONES``; a typo the typed bodies refuse too, and the BATCH schema), a list or an
    object where a value is wanted, a number or a boolean where the typed body of the
    resource wants a string (a title, an INSZ, a code). Numbers and flags may still come
    as strings (``"450"``, ``"true"``), as in a BATCH file. A kind no channel knows is
    left to the write path (E031)."""
    errors = []
    texts = TEXT_ZONES.get(kind, set())
    known = ZONES.get(kind)
    for zone, value in data.items():
        block = BLOCKS.get((kind, zone))
        if zone == "if_version" and loc[-1] == "data" and known is not None and zone not in known:
            errors.append(_if_version_error(kind, (*loc, zone)))
        elif known is not None and zone not in known:
            errors.append(_error((*loc, zone), "extra_forbidden", "Extra inputs are not permitted"))
        elif block is not None:
            if isinstance(value, dict):
                errors += zone_shape_errors(zone, value, (*loc, zone)) + [
                    _error((*loc, zone, name), "string_type", "Input should be a valid string")
                    for name, item in value.items()
                    if name in block
                    and item is not None
                    and not isinstance(item, str)
                    and not isinstance(item, dict | list)
                ]
            elif value is not None:
                errors.append(_error((*loc, zone), "dict_type", "Input should be an object"))
        elif isinstance(value, dict | list):
            errors.append(
                _error((*loc, zone), "scalar_type", "Input should be a string, number or boolean")
            )
        elif zone in texts and value is not None and not isinstance(value, str):
            errors.append(_error((*loc, zone), "string_type", "Input should be a valid string"))
    return errors


def with_defaults(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The zones as the typed body of the resource completes them: an employment
    without ``regime`` is full time, as in ``PUT /workers/{insz}``."""
    employment = data.get("employment")
    if kind == "worker" and isinstance(employment, dict) and "regime" not in employment:
        return {**data, "employment": {**employment, "regime": "1"}}
    return data


def _declarations(employer: Employer, body: ValidateIn | DeclarationsIn) -> list[Declaration]:
    """The body's declarations for ``employer``, numbered from 1; 422 for zones no
    channel could take, before any is checked."""
    errors = [
        error
        for position, item in enumerate(body.declarations)
        for error in zone_shape_errors(item.kind, item.data, ("declarations", position, "data"))
    ] + [
        _if_version_error(item.kind, ("declarations", position, "if_version"))
        for position, item in enumerate(body.declarations)
        if item.if_version is not None and item.kind != "training"
    ]
    if errors:
        raise ValidationError(errors)
    return [
        Declaration(
            kind=item.kind,
            employer=employer.enterprise_number,
            data=with_defaults(item.kind, item.data),
            action=item.action,
            if_version=item.if_version,
            position=position,
        )
        for position, item in enumerate(body.declarations, start=1)
    ]


def _submitted(
    request: HttpRequest,
    enterprise_number: str,
    body: ValidateIn | DeclarationsIn,
    *,
    dry_run: bool,
) -> list[Outcome]:
    """The outcomes of the body's declarations for the employer the path names."""
    employer = get_employer(request, enterprise_number, DECLARE)
    declarations = _declarations(employer, body)
    if not declarations:
        return []
    return submit(caller_of(request), declarations, dry_run=dry_run, employers=[employer])


def _outcome(outcome: Outcome, language: str) -> dict[str, Any]:
    return {
        "position": outcome.declaration.position,
        "kind": outcome.declaration.kind,
        "status": outcome.status,
        "anomalies": outcome.anomalies(language),
    }


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
    language = request_language(request)
    outcomes = _submitted(request, enterprise_number, body, dry_run=True)
    return {"outcomes": [_outcome(outcome, language) for outcome in outcomes]}


@router.post(
    "/employers/{enterprise_number}/declarations",
    response=DeclarationsOut,
    operation_id="submit_declarations",
    auth=DECLARE_AUTH,
)
def submit_declarations(request: HttpRequest, enterprise_number: str, body: DeclarationsIn):
    """Apply up to 1,000 declarations of the employer in one request, in their order.

    The same body as the dry run (``declarations/validate``), and the same checks as
    the resources' own writes (``PUT`` of a training, a worker, rights): each
    declaration is accepted, accepted with warnings, or rejected with its anomalies,
    by itself. A rejected one leaves nothing behind and does not hold up the others,
    so the answer is 200 whatever their outcomes, with one outcome per declaration.

    Sending the same body again (a retry after a lost answer) writes nothing twice: a
    training is found by its reference and replaced with what it already is
    (``changed`` false, the version stays), and so are a worker and his rights. A
    reference used twice in one body is rejected the second time (E022). A training's
    ``if_version`` works as ``If-Match`` on its own ``PUT``, retries included; 0 works
    as ``If-None-Match: *``, refused (E024) whenever the training exists.
    """
    language = request_language(request)
    outcomes = _submitted(request, enterprise_number, body, dry_run=False)
    return {
        "outcomes": [
            {
                **_outcome(outcome, language),
                "changed": outcome.changed,
                "version": outcome.version,  # set for trainings only
            }
            for outcome in outcomes
        ]
    }
