"""The JSON shapes of the API. Zone names are those of every channel (see
fla/declarations/types.py and the glossary)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, NonNegativeInt, StrictBool
from pydantic_core import PydanticCustomError

Minutes = Field(..., description="Whole minutes.")


_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_as_text(value: Any) -> Any:
    """A date is written ``YYYY-MM-DD``: a number is not read as seconds since 1970, nor
    text with a time of day or a time zone as its date (lax pydantic takes
    ``2025-03-10T00:00`` and ``"1741564800"``), as the write path of every channel
    refuses them (E010)."""
    if isinstance(value, int | float) or (
        isinstance(value, str) and not _DATE_TEXT.fullmatch(value)
    ):
        raise PydanticCustomError("date_type", "Input should be a date written YYYY-MM-DD")
    return value


def _not_a_boolean(value: Any) -> Any:
    """A number is not ``true`` or ``false`` (lax pydantic would take them for 1 and 0)."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a number, not true or false")
    return value


_WHOLE_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*")


def _whole_number(value: Any) -> Any:
    """A whole number as the write path of every channel reads it: not ``true``, and no
    fraction, not even ``.0``, nor Python's ``4_50`` (lax pydantic takes 450.0,
    ``"450.0"`` and ``"4_50"`` for 450)."""
    value = _not_a_boolean(value)
    if isinstance(value, float | Decimal) or (
        isinstance(value, str) and not _WHOLE_TEXT.fullmatch(value)
    ):
        raise PydanticCustomError("int_parsing", "Input should be a whole number")
    return value


def _version_number(value: Any) -> Any:
    """``if_version``: a JSON integer, 0 or more (a version starts at 1; 0 asks that the
    training does not exist yet); not ``true``, ``1.0`` or ``"1"``, and never negative."""
    if value is None or (type(value) is int and value >= 0):
        return value
    raise PydanticCustomError(
        "version_number",
        "Input should be 0 (the training must not exist yet) or the version it must have, from 1",
    )


# The zones of request bodies, without the lax readings of pydantic that would turn a
# client's mistake into a value: 0 as 1970-01-01, false as 0 minutes, "no" as false.
DateIn = Annotated[dt.date, BeforeValidator(_date_as_text)]
IntIn = Annotated[int, BeforeValidator(_whole_number)]
# A decimal as it was written (a JSON number or a string): handed to the write path with
# every digit, which judges it as it judges the same zone of any channel.
DecimalIn = Annotated[Decimal, BeforeValidator(_not_a_boolean)]
# The version a declaration is based on (its refusals say what is allowed).
VersionIn = Annotated[NonNegativeInt | None, BeforeValidator(_version_number)]


class BodyIn(Schema):
    """A request body: a zone it does not know is refused (422), never ignored. A
    misspelt zone would otherwise be taken for one left out: a ``PUT`` of rights with
    ``legal_minute`` would clear the declared rights."""

    model_config = ConfigDict(extra="forbid")


class Anomaly(Schema):
    code: str = Field(..., examples=["E006"])
    severity: Literal["blocking", "warning"]
    zone: str
    message: str = Field(..., description="In the language of `Content-Language`.")


class ProblemError(Schema):
    """One error about the shape of a request (a JSON zone, or a line of a BATCH file)."""

    # "in" is a Python keyword: the JSON name is "in".
    location: str | None = Field(None, alias="in", description="body, path, query or header")
    zone: str | None = None
    error: str | None = Field(
        None, description="The technical reason, in English, as the validator gives it."
    )
    code: str | None = Field(None, description="Anomaly code where one applies.")
    message: str | None = Field(
        None, description="What is wrong, in the language of `Content-Language`."
    )
    line: int | None = Field(None, description="BATCH: line of the file.")
    column: int | None = Field(None, description="BATCH: column of the file.")
    reason: str | None = Field(
        None, description="BATCH: what is wrong, in the language of `Content-Language`."
    )


class Problem(Schema):
    """RFC 9457 problem details (application/problem+json). `title`, `detail` and every
    `message` are in the language of `Content-Language`; `type`, `status`, codes and
    zones are the same in every language."""

    type: str = Field(
        ...,
        description="`urn:fla:problem:…` (`about:blank` for an internal error), the same "
        "in every language.",
    )
    title: str = Field(..., description="In the language of `Content-Language`.")
    status: int
    detail: str | None = Field(None, description="In the language of `Content-Language`.")
    instance: str | None = None
    anomalies: list[Anomaly] | None = None
    errors: list[ProblemError] | None = None
    receipt: dict[str, Any] | None = Field(
        None,
        description="`batch-rejected`: the receipt of the rejected file, as `ReceiptOut` "
        "(`accepted` false, `file_id` null): its errors, and the `reference`, `sender` "
        "and `environment` read of its header before the rejection (empty where none "
        "was read).",
    )
    progress: int | None = Field(
        None,
        description="`not-ready` and `file-failed`: the BATCH file's progress, in per cent.",
    )
    error: str | None = Field(
        None,
        description="`file-failed`: why the BATCH file failed, in the language of "
        "`Content-Language` (as `error` of `GET /batches/{file_id}`).",
    )


# --- employers ---------------------------------------------------------------------


class EmployerOut(Schema):
    enterprise_number: str = Field(..., examples=["0403170701"])
    formatted_enterprise_number: str = Field(..., examples=["0403.170.701"])
    name: str
    language: str
    reference_weekly_minutes: int
    relation: Literal["own", "mandate"] = Field(
        ..., description="own: the client's own employer; mandate: held under a mandate."
    )


# --- workers -----------------------------------------------------------------------


class EmploymentOut(Schema):
    start_date: dt.date
    end_date: dt.date | None
    regime: str = Field(..., description="Work-regime fraction, 1 for full time.")
    joint_committee: str


class WorkerSummary(Schema):
    insz: str
    first_name: str
    last_name: str


class WorkerOut(WorkerSummary):
    birth_date: dt.date | None
    employments: list[EmploymentOut]


class WorkerPage(Schema):
    items: list[WorkerSummary]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page.")


class EmploymentIn(BodyIn):
    start_date: DateIn
    end_date: DateIn | None = None
    regime: DecimalIn = Field(
        1,
        validate_default=True,
        description="Greater than 0 and at most 1; kept to 4 decimals.",
    )
    joint_committee: str = Field(..., max_length=9, examples=["200"])


class WorkerIn(BodyIn):
    first_name: str = Field(..., max_length=100)
    last_name: str = Field(..., max_length=100)
    employment: EmploymentIn | None = None


class DeclarationResult(Schema):
    status: Literal["accepted", "accepted_with_warnings"]
    warnings: list[Anomaly]


class WorkerResult(DeclarationResult):
    worker: WorkerOut


# --- rights ------------------------------------------------------------------------


class RightMinutes(Schema):
    legal_minutes: int | None
    sector_minutes: int | None
    employer_minutes: int | None


class RightsOut(Schema):
    insz: str
    year: int
    computed: RightMinutes = Field(..., description="What the yearly computation gave.")
    declared: RightMinutes = Field(..., description="What the employer declared; wins.")
    effective: RightMinutes
    opt_out: bool = Field(..., description="The worker's opt-out of the computation.")
    employer_opt_out: bool = Field(..., description="The company-wide opt-out for the year.")


class RightsIn(BodyIn):
    legal_minutes: IntIn | None = Field(None, ge=0)
    sector_minutes: IntIn | None = Field(None, ge=0)
    employer_minutes: IntIn | None = Field(None, ge=0)
    opt_out: StrictBool = False


class RightsResult(DeclarationResult):
    rights: RightsOut


# --- credit ------------------------------------------------------------------------


class CreditType(Schema):
    right_type: Literal["legal", "sector", "employer"]
    granted_minutes: int
    used_minutes: int
    remaining_minutes: int
    granted: str = Field(..., examples=["38:00"], description="h:mm")
    used: str
    remaining: str


class CreditYear(Schema):
    year: int
    types: list[CreditType]
    granted_minutes: int
    used_minutes: int
    remaining_minutes: int
    granted: str = Field(..., examples=["38:00"], description="h:mm")
    used: str
    remaining: str


class CreditOut(Schema):
    insz: str
    years: list[CreditYear]
    granted_minutes: int
    used_minutes: int
    remaining_minutes: int
    granted: str
    used: str
    remaining: str


# --- trainings ---------------------------------------------------------------------


TrainingKindCode = Literal["formal", "informal"]
TrainingStatusCode = Literal["planned", "completed", "not_followed", "cancelled"]
RightTypeCode = Literal["legal", "sector", "employer"]


class TrainingIn(BodyIn):
    insz: str = Field(..., description="INSZ of the worker, 11 digits.", examples=["85073003328"])
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=2000)
    provider: str = Field("", max_length=200)
    kind: TrainingKindCode
    start_date: DateIn
    end_date: DateIn
    duration_minutes: IntIn
    status: TrainingStatusCode
    counts_toward_account: StrictBool = True
    certificate_obtained: StrictBool = False
    certificate_valid_until: DateIn | None = None
    right_type: RightTypeCode | None = None


class TrainingOut(Schema):
    reference: str
    insz: str
    title: str
    description: str
    provider: str
    kind: str
    start_date: dt.date
    end_date: dt.date
    duration_minutes: int
    duration: str = Field(..., description="h:mm")
    status: str
    counts_toward_account: bool
    certificate_obtained: bool
    certificate_valid_until: dt.date | None
    right_type: str | None
    version: int = Field(..., description="Raised by one on every accepted change (the ETag).")
    warnings: list[str] = Field(..., description="Codes of the warnings of the last change.")
    channel: str
    created_at: dt.datetime
    updated_at: dt.datetime


class TrainingPage(Schema):
    items: list[TrainingOut]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page.")
    sync_from: dt.datetime = Field(
        description="Pass as ?updated_since= for the next incremental read, once the "
        "pages are read: every change this read could not see yet (a write still in "
        "flight) is stamped at or after it. The same on every page of one walk."
    )


class TrainingResult(DeclarationResult):
    training: TrainingOut


# --- validation --------------------------------------------------------------------


class DeclarationIn(BodyIn):
    kind: str = Field(..., description="training | rights | worker | employer_year")
    action: str = Field("create", description="trainings: create | replace | cancel")
    if_version: VersionIn = Field(
        None,
        description="trainings: the version the training must have (as If-Match); "
        "0: it must not exist yet (as If-None-Match: *)",
    )
    data: dict[str, Any] = Field(
        ..., description="The zones, named as in the glossary (fla/declarations/types.py)."
    )


# Declarations one request may carry, checked or applied.
MAX_DECLARATIONS = 1000


class ValidateIn(BodyIn):
    declarations: list[DeclarationIn] = Field(..., max_length=MAX_DECLARATIONS)


class DeclarationsIn(BodyIn):
    declarations: list[DeclarationIn] = Field(
        ...,
        max_length=MAX_DECLARATIONS,
        description="Applied in this order; each stands or falls by itself.",
    )


class ValidationOutcome(Schema):
    position: int
    kind: str
    status: Literal["accepted", "accepted_with_warnings", "rejected"]
    anomalies: list[Anomaly]


class ValidateOut(Schema):
    outcomes: list[ValidationOutcome]


class DeclarationOutcome(ValidationOutcome):
    changed: bool = Field(
        ...,
        description="False when the declaration was rejected, or repeated what is on "
        "file already (a replay: nothing was written)",
    )
    version: int | None = Field(
        ..., description="trainings: the version after the declaration (the training's ETag)"
    )


class DeclarationsOut(Schema):
    outcomes: list[DeclarationOutcome]


class CatalogueEntry(Anomaly):
    pass
