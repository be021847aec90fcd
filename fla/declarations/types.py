"""What the channels hand to the one write path, and what they get back.

A ``Declaration`` carries the zones as the channel received them (strings from XML or
a form, typed values from JSON alike); the write path parses and validates them, so
a rule is written once. Zone names are the same in every channel:

``kind="training"`` (``action`` create | replace | cancel, keyed by ``reference``)
    insz, reference, title, description, provider, kind (formal | informal),
    start_date, end_date (YYYY-MM-DD), duration_minutes, status (planned | completed |
    not_followed | cancelled), counts_toward_account, certificate_obtained,
    certificate_valid_until, right_type (legal | sector | employer, optional).
    ``create`` of a reference that exists replaces it (idempotent); ``replace`` and
    ``cancel`` need an existing reference; ``cancel`` needs only ``reference``.
``kind="rights"``
    insz, year, legal_minutes, sector_minutes, employer_minutes (each optional: a type
    left out has no declared right), opt_out (the worker's opt-out of the computation).
``kind="worker"``
    insz, first_name, last_name, and optionally employment: {start_date, end_date,
    regime, joint_committee}; upserted by INSZ and (employer, worker, start_date).
``kind="employer_year"``
    year, opt_out (company-wide), size_class (lt10 | 10to19 | 20plus, optional).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fla.declarations.anomalies import Finding

DeclarationKind = Literal["training", "rights", "worker", "employer_year"]

# The zones of each kind, and of a worker's employment block, in the order of the BATCH
# schema (where a training's ``action`` is a zone too, before them): every channel takes
# these and no other.
ZONES: dict[str, tuple[str, ...]] = {
    "employer_year": ("year", "opt_out", "size_class"),
    "worker": ("insz", "first_name", "last_name", "employment"),
    "employment": ("start_date", "end_date", "regime", "joint_committee"),
    "rights": ("insz", "year", "legal_minutes", "sector_minutes", "employer_minutes", "opt_out"),
    "training": (
        "reference",
        "insz",
        "title",
        "description",
        "provider",
        "kind",
        "start_date",
        "end_date",
        "duration_minutes",
        "status",
        "counts_toward_account",
        "certificate_obtained",
        "certificate_valid_until",
        "right_type",
    ),
}
Status = Literal["accepted", "accepted_with_warnings", "rejected"]
ACCEPTED: Status = "accepted"
ACCEPTED_WITH_WARNINGS: Status = "accepted_with_warnings"
REJECTED: Status = "rejected"


@dataclass
class Declaration:
    kind: str
    employer: str  # enterprise number, as given
    data: dict[str, Any]
    action: str = "create"  # trainings only: create | replace | cancel
    # Optimistic concurrency (API If-Match): the version the write must find, or any of
    # several (an If-Match that lists several); 0: a training that must not exist yet
    # (API If-None-Match: *).
    if_version: int | frozenset[int] | None = None
    position: int | None = None  # where it came from (batch sequence number, line)


@dataclass
class Outcome:
    declaration: Declaration
    status: Status
    findings: list[Finding] = field(default_factory=list)
    object_id: int | None = None  # the training, worker, ... that was written
    version: int | None = None  # of a training, after the change
    changed: bool = False  # False for an idempotent replay
    # The training as written (or found unchanged), with its worker: what a channel's
    # reply shows of it without reading it again. Not part of the outcome's value.
    written: Any = field(default=None, repr=False, compare=False)

    @property
    def accepted(self) -> bool:
        return self.status != REJECTED

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.blocking]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    def anomalies(self, language: str = "nl") -> list[dict[str, object]]:
        return [f.as_dict(language) for f in self.findings]
