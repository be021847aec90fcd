"""Declaring online: trainings (create, change, cancel) and the rights of a worker-year.

The views only translate the form into ``Declaration``s and the ``Outcome``s back into
HTML: every rule is checked by ``submit``. A form is first submitted as a dry run; a
blocking anomaly shows next to the field its zone names and cannot be passed; warnings
are shown with a checkbox, and the declaration is stored once they are confirmed.

A confirmation covers the warnings the form showed, no others: the form carries them,
signed, in a hidden field, and a submission whose data gives a warning not among them
(a field changed in the same submission, a tampered field) is shown again with its
warnings and the box unticked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from fla.core.choices import RightSource, RightType, SizeClass, TrainingKind, TrainingStatus
from fla.core.urlconverters import IdConverter
from fla.declarations.services import submit
from fla.declarations.types import Declaration, Outcome
from fla.employers.models import EmployerYear
from fla.rights.models import TrainingRight, WorkerOptOut
from fla.trainings.models import Training
from fla.web import queries
from fla.web.current import Context, employer_view
from fla.web.formatting import hours
from fla.web.views.app import page, training_in_scope
from fla.workers.models import Worker

MAX_BULK = 500
_ROW_ID = re.compile(IdConverter.regex, re.ASCII)
# The version a training form carries (hidden): the training's, from 1, in ASCII digits
# as the page wrote it. Anything else was tampered with or broken on the way and is
# never read as another version (``int`` takes " 3", "3_0" and "٣"; 0 would ask that
# the training does not exist yet).
_VERSION = re.compile(r"[1-9][0-9]{0,17}", re.ASCII)


def posted_version(request: HttpRequest) -> int | None:
    """The version the form was read at; None (and an error shown on the page) when the
    form carries none that the page could have written."""
    text = request.POST.get("version", "")
    if _VERSION.fullmatch(text):
        return int(text)
    messages.error(
        request,
        _(
            "Dit formulier zegt niet welke versie van de opleiding je wijzigt; er werd "
            "niets opgeslagen. Open de opleiding opnieuw en breng je wijziging opnieuw aan."
        ),
    )
    return None


@dataclass
class Field:
    name: str
    label: str
    input: str = "text"  # text | date | textarea | select | checkbox | duration
    choices: list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    required: bool = False
    maxlength: int | None = None


def training_fields(*, with_insz: bool, with_reference: bool) -> list[Field]:
    fields = []
    if with_insz:
        fields.append(
            Field(
                "insz",
                _("INSZ van de werknemer"),
                required=True,
                maxlength=20,
                help=_("11 cijfers, met of zonder punten en streepje."),
            )
        )
    if with_reference:
        fields.append(
            Field(
                "reference",
                _("Referentie"),
                maxlength=64,
                help=_("Jouw eigen sleutel van de opleiding. Leeg: wordt gegenereerd."),
            )
        )
    fields += [
        Field("title", _("Titel"), required=True, maxlength=200),
        Field("description", _("Beschrijving"), input="textarea", maxlength=2000),
        Field("provider", _("Opleidingsverstrekker"), maxlength=200),
        Field(
            "kind",
            _("Type opleiding"),
            input="select",
            required=True,
            choices=[("", "—")] + [(v, str(lbl)) for v, lbl in TrainingKind.choices],
        ),
        Field("start_date", _("Begindatum"), input="date", required=True),
        Field("end_date", _("Einddatum"), input="date", required=True),
        Field(
            "duration_minutes",
            _("Duur (uren:minuten)"),
            input="duration",
            required=True,
            help=_("Bijvoorbeeld 7:30 voor zeven en een half uur."),
        ),
        Field(
            "status",
            _("Status"),
            input="select",
            required=True,
            choices=[(v, str(lbl)) for v, lbl in TrainingStatus.choices],
        ),
        Field(
            "right_type",
            _("Aangerekend op recht"),
            input="select",
            choices=[("", _("Automatisch"))] + [(v, str(lbl)) for v, lbl in RightType.choices],
        ),
        Field("counts_toward_account", _("Telt mee voor de opleidingsrekening"), input="checkbox"),
        Field("certificate_obtained", _("Attest behaald"), input="checkbox"),
        Field("certificate_valid_until", _("Attest geldig tot"), input="date"),
    ]
    return fields


# ASCII digits only, as the write path reads a number: \d would take those of other
# scripts too ("\uff17:\uff13\uff10", full-width 7:30), which no other channel accepts.
_DURATION = re.compile(
    r"^\s*([0-9]{1,5})\s*(?:[:hu]\s*([0-9]{1,2})\s*(?:m|min)?)?\s*$", re.IGNORECASE
)
_DECIMAL_HOURS = re.compile(r"^\s*([0-9]{1,5})[.,]([0-9]{1,2})\s*$")


def parse_duration(text: str) -> int | str:
    """``7:30``, ``7u30``, ``7h``, ``7,5`` → minutes; anything else is passed on as typed,
    so that the write path answers with its own anomaly."""
    match = _DURATION.match(text or "")
    if match:
        minutes = int(match.group(2) or 0)
        if minutes < 60:
            return int(match.group(1)) * 60 + minutes
    match = _DECIMAL_HOURS.match(text or "")
    if match:
        fraction = int(match.group(2)) / (10 ** len(match.group(2)))
        return int(match.group(1)) * 60 + round(fraction * 60)
    return (text or "").strip()


def training_data(post, fields: list[Field]) -> dict:
    data: dict = {}
    for f in fields:
        if f.input == "checkbox":
            data[f.name] = "true" if post.get(f.name) else "false"
        elif f.input == "duration":
            raw = post.get(f.name, "")
            if raw.strip():
                data[f.name] = parse_duration(raw)
        else:
            value = post.get(f.name, "")
            if value.strip() != "":
                data[f.name] = value.strip() if f.input != "textarea" else value
    return data


def training_initial(training) -> dict:
    return {
        "reference": training.reference,
        "title": training.title,
        "description": training.description,
        "provider": training.provider,
        "kind": training.kind,
        "start_date": training.start_date.isoformat(),
        "end_date": training.end_date.isoformat(),
        "duration_minutes": hours(training.duration_minutes),
        "status": training.status,
        "right_type": training.right_type,
        "counts_toward_account": training.counts_toward_account,
        "certificate_obtained": training.certificate_obtained,
        "certificate_valid_until": training.certificate_valid_until.isoformat()
        if training.certificate_valid_until
        else "",
    }


def _form_values(post, fields: list[Field]) -> dict:
    values = {}
    for f in fields:
        if f.input == "checkbox":
            values[f.name] = bool(post.get(f.name))
        else:
            values[f.name] = post.get(f.name, "")
    return values


@dataclass
class Review:
    """The findings of a submission, sorted to the fields the form shows."""

    by_field: dict[str, list[dict]]
    general: list[dict]
    blocking: bool
    warnings: bool
    # The warnings shown, signed, for the form to send back with its confirmation.
    shown: str = ""
    # The box was ticked, but the data gives warnings the user had not been shown.
    renewed: bool = False


def review(
    outcomes: list[Outcome], field_names: set[str], labels: dict[int, str] | None = None
) -> Review:
    language = (get_language() or "nl")[:2]
    by_field: dict[str, list[dict]] = {}
    general: list[dict] = []
    seen: set[tuple] = set()
    blocking = warnings = False
    for index, outcome in enumerate(outcomes):
        for finding in outcome.findings:
            item = finding.as_dict(language)
            item["blocking"] = finding.blocking
            blocking |= finding.blocking
            warnings |= not finding.blocking
            zone = str(item["zone"]).split(".")[-1]
            who = labels.get(index) if labels else None
            key = (item["code"], zone, item["message"], who if zone == "insz" else None)
            if key in seen:
                continue
            seen.add(key)
            if who and (zone == "insz" or zone not in field_names):
                item["message"] = f"{who}{_(':')} {item['message']}"
            if zone in field_names:
                by_field.setdefault(zone, []).append(item)
            else:
                general.append(item)
    return Review(by_field, general, blocking, warnings)


SHOWN_FIELD = "warnings_shown"
_SHOWN_SALT = "fla.web.declare.warnings-shown"


def warning_keys(outcomes: list[Outcome]) -> set[str]:
    """One key per warning as the user reads it: of which declaration and worker, its
    code, zone and the values its message names (a credit exceeded by more is another
    warning). Only a digest of each goes into the form."""
    keys = set()
    for index, outcome in enumerate(outcomes):
        data = outcome.declaration.data
        worker = str(data.get("insz", "")) if isinstance(data, dict) else ""
        for finding in outcome.warnings:
            text = json.dumps(
                [index, worker, finding.code, finding.zone, finding.params],
                sort_keys=True,
                default=str,
            )
            keys.add(hashlib.sha256(text.encode()).hexdigest()[:24])
    return keys


def _shown_scope(request: HttpRequest, ctx: Context) -> list:
    # A list of warnings shown holds for this user, employer and form only.
    return [request.user.pk, ctx.employer.pk, request.path]


def shown_token(request: HttpRequest, ctx: Context, outcomes: list[Outcome]) -> str:
    payload = {"scope": _shown_scope(request, ctx), "keys": sorted(warning_keys(outcomes))}
    return signing.dumps(payload, salt=_SHOWN_SALT, compress=True)


def acknowledged(request: HttpRequest, ctx: Context) -> set[str]:
    """The warnings the user confirmed: those the form showed, if the box is ticked. A
    missing, altered or foreign list confirms nothing."""
    if not request.POST.get("confirm"):
        return set()
    try:
        shown = signing.loads(request.POST.get(SHOWN_FIELD, ""), salt=_SHOWN_SALT)
    except signing.BadSignature:
        return set()
    if not isinstance(shown, dict) or shown.get("scope") != _shown_scope(request, ctx):
        return set()
    keys = shown.get("keys")
    return {k for k in keys if isinstance(k, str)} if isinstance(keys, list) else set()


def present(
    request: HttpRequest,
    ctx: Context,
    outcomes: list[Outcome],
    field_names: set[str],
    labels: dict[int, str] | None = None,
) -> Review:
    """``review``, with what the form needs to confirm exactly the warnings it shows."""
    result = review(outcomes, field_names, labels)
    if result.warnings and not result.blocking:
        result.shown = shown_token(request, ctx, outcomes)
        result.renewed = bool(request.POST.get("confirm"))
    return result


def run(caller, declarations: list[Declaration], confirmed: set[str]):
    """Dry run first; store only when nothing blocks and each warning is among those
    ``confirmed`` (see ``acknowledged``).

    Returns (stored outcomes or None, the review to show).
    """
    trial = submit(caller, declarations, dry_run=True)
    if any(not o.accepted for o in trial):
        return None, trial
    if not warning_keys(trial) <= confirmed:
        return None, trial
    final = submit(caller, declarations)
    if any(not o.accepted for o in final):
        return None, final
    return final, final


def run_new(caller, employer_id: int, declarations: list[Declaration], confirmed: set[str]):
    """``run`` for new trainings: a reference already on file is refused, not replaced,
    unless the training on file already is what is declared (the same form sent twice).

    Returns (stored outcomes or None, the outcomes to show, the references refused).
    """
    references = [d.data.get("reference", "") for d in declarations]
    on_file = dict(
        Training.objects.filter(employer_id=employer_id, reference__in=references).values_list(
            "reference", "version"
        )
    )
    if on_file:
        trial = submit(caller, declarations, dry_run=True)
        taken = [
            d.data["reference"]
            for d, outcome in zip(declarations, trial, strict=True)
            if d.data["reference"] in on_file and (outcome.changed or not outcome.accepted)
        ]
        if taken:
            return None, trial, taken
    # Version 0 (must not exist yet) also refuses a training made meanwhile elsewhere.
    declarations = [
        dataclasses.replace(d, if_version=on_file.get(d.data.get("reference", ""), 0))
        for d in declarations
    ]
    stored, outcomes = run(caller, declarations, confirmed)
    taken = [
        d.data["reference"]
        for d, outcome in zip(declarations, outcomes, strict=True)
        if any(f.code == "E024" for f in outcome.errors)
    ]
    return stored, outcomes, taken


def refuse_taken(result: Review, taken: list[str]) -> Review:
    """Show the references refused by ``run_new`` next to the reference field."""
    if taken:
        result.general = [item for item in result.general if item["code"] != "E024"]
        result.by_field.setdefault("reference", []).insert(
            0,
            {
                "code": "",
                "blocking": True,
                "message": _(
                    "Er bestaat al een opleiding met de referentie %(reference)s. Kies een "
                    "andere referentie of laat het veld leeg; een bestaande opleiding wijzig "
                    "je vanuit haar detail."
                )
                % {"reference": ", ".join(taken)},
            },
        )
        result.blocking = True
    return result


def _require_declare(ctx: Context) -> None:
    if not ctx.can_declare:
        raise Http404


def _new_reference() -> str:
    return "WEB-" + secrets.token_hex(5).upper()


# --- trainings -----------------------------------------------------------------------


@employer_view
def training_new(request: HttpRequest, ctx: Context, worker_id: int | None = None) -> HttpResponse:
    _require_declare(ctx)
    worker = None
    if worker_id is not None:
        if not queries.worker_in_scope(ctx.employer.pk, worker_id):
            raise Http404
        worker = Worker.objects.get(pk=worker_id)
    fields = training_fields(with_insz=worker is None, with_reference=True)
    values = {"status": TrainingStatus.PLANNED, "counts_toward_account": True}
    result = None
    if request.method == "POST":
        values = _form_values(request.POST, fields)
        data = training_data(request.POST, fields)
        if worker is not None:
            data["insz"] = worker.insz
        data.setdefault("reference", _new_reference())
        values["reference"] = data["reference"]
        declaration = Declaration(
            kind="training", employer=ctx.employer.enterprise_number, data=data, action="create"
        )
        stored, outcomes, taken = run_new(
            ctx.caller, ctx.employer.pk, [declaration], acknowledged(request, ctx)
        )
        if stored:
            messages.success(request, _("De opleiding is aangegeven."))
            return redirect("web:training", stored[0].object_id)
        result = refuse_taken(present(request, ctx, outcomes, {f.name for f in fields}), taken)
    return page(
        request,
        ctx,
        "web/training_form.html",
        {
            "title": _("Opleiding aangeven"),
            "fields": fields,
            "values": values,
            "review": result,
            "worker": worker,
            "cancel_url": reverse("web:worker", args=[worker.pk])
            if worker
            else reverse("web:trainings"),
        },
    )


@employer_view
def training_edit(request: HttpRequest, ctx: Context, training_id: int) -> HttpResponse:
    _require_declare(ctx)
    training = training_in_scope(ctx, training_id)
    fields = training_fields(with_insz=False, with_reference=False)
    values = training_initial(training)
    version = training.version
    result = None
    if request.method == "POST":
        values = _form_values(request.POST, fields)
        values["reference"] = training.reference
        data = training_data(request.POST, fields)
        data["insz"] = training.worker.insz
        data["reference"] = training.reference
        version = posted_version(request)
        if version is not None:
            declaration = Declaration(
                kind="training",
                employer=ctx.employer.enterprise_number,
                data=data,
                action="replace",
                if_version=version,
            )
            stored, outcomes = run(ctx.caller, [declaration], acknowledged(request, ctx))
            if stored:
                messages.success(request, _("De opleiding is gewijzigd."))
                return redirect("web:training", training.pk)
            result = present(request, ctx, outcomes, {f.name for f in fields})
    return page(
        request,
        ctx,
        "web/training_form.html",
        {
            "title": _("Opleiding wijzigen"),
            "training": training,
            "version": version,
            "fields": fields,
            "values": values,
            "review": result,
            "worker": training.worker,
            "cancel_url": reverse("web:training", args=[training.pk]),
        },
    )


@employer_view
def training_cancel(request: HttpRequest, ctx: Context, training_id: int) -> HttpResponse:
    _require_declare(ctx)
    training = training_in_scope(ctx, training_id)
    result = None
    if request.method == "POST":
        version = posted_version(request)
        if version is not None:
            declaration = Declaration(
                kind="training",
                employer=ctx.employer.enterprise_number,
                action="cancel",
                data={"reference": training.reference},
                if_version=version,
            )
            stored, outcomes = run(ctx.caller, [declaration], acknowledged(request, ctx))
            if stored:
                messages.success(request, _("De opleiding is geannuleerd."))
                return redirect("web:training", training.pk)
            result = present(request, ctx, outcomes, set())
    return page(request, ctx, "web/training_cancel.html", {"training": training, "review": result})


@employer_view
def training_bulk(request: HttpRequest, ctx: Context) -> HttpResponse:
    """One training for several workers at once: one declaration per worker."""
    _require_declare(ctx)
    # Row ids as in an address (``<id:…>``): a value that is no such id was tampered with,
    # and one past the database's integers must not reach the query (a 500).
    posted = request.POST.getlist("workers")
    if not all(_ROW_ID.fullmatch(v) for v in posted):
        raise Http404
    ids = sorted({int(v) for v in posted})[:MAX_BULK]
    chosen = (
        list(
            Worker.objects.filter(pk__in=ids, account__employer_id=ctx.employer.pk)
            .order_by("last_name", "first_name")
            .distinct()
        )
        if ids
        else []
    )
    if not chosen:
        messages.error(request, _("Kies minstens één werknemer."))
        return redirect("web:search")
    fields = training_fields(with_insz=False, with_reference=True)
    values = {"status": TrainingStatus.PLANNED, "counts_toward_account": True}
    result = None
    if request.method == "POST" and request.POST.get("step") == "declare":
        values = _form_values(request.POST, fields)
        base = training_data(request.POST, fields)
        prefix = base.pop("reference", "") or _new_reference()
        values["reference"] = prefix
        declarations, labels = [], {}
        for index, worker in enumerate(chosen):
            data = dict(base, insz=worker.insz, reference=f"{prefix}-{index + 1}")
            declarations.append(
                Declaration(
                    kind="training",
                    employer=ctx.employer.enterprise_number,
                    data=data,
                    action="create",
                    position=index + 1,
                )
            )
            labels[index] = f"{worker.first_name} {worker.last_name}"
        stored, outcomes, taken = run_new(
            ctx.caller, ctx.employer.pk, declarations, acknowledged(request, ctx)
        )
        if stored:
            messages.success(
                request,
                _("De opleiding is aangegeven voor %(count)d werknemers.") % {"count": len(stored)},
            )
            return redirect(reverse("web:trainings") + "?sort=-updated")
        result = refuse_taken(
            present(request, ctx, outcomes, {f.name for f in fields}, labels), taken
        )
    return page(
        request,
        ctx,
        "web/training_form.html",
        {
            "title": _("Eén opleiding voor meerdere werknemers"),
            "bulk": chosen,
            "fields": fields,
            "values": values,
            "review": result,
            "cancel_url": reverse("web:search"),
        },
    )


# --- rights --------------------------------------------------------------------------

RIGHT_ZONES = (
    ("legal_minutes", RightType.LEGAL, gettext_lazy("Wettelijk recht (uren:minuten)")),
    ("sector_minutes", RightType.SECTOR, gettext_lazy("Sectorrecht (uren:minuten)")),
    ("employer_minutes", RightType.EMPLOYER, gettext_lazy("Recht van de werkgever (uren:minuten)")),
)


def _chosen_year(request: HttpRequest) -> int:
    """The year a year's form is for: sent with the form, asked in the address, else this
    year."""
    source = request.POST if request.method == "POST" else request.GET
    try:
        return int(source.get("year", queries.today().year))
    except ValueError:
        return queries.today().year


def _years() -> list[int]:
    this_year = queries.today().year
    return list(range(min(settings.FLA_FIRST_YEAR, this_year), this_year + 2))


@employer_view
def rights_edit(request: HttpRequest, ctx: Context, worker_id: int) -> HttpResponse:
    _require_declare(ctx)
    if not queries.worker_in_scope(ctx.employer.pk, worker_id):
        raise Http404
    worker = Worker.objects.get(pk=worker_id)
    years = _years()
    year = _chosen_year(request)
    fields = [
        Field(name, str(label), input="duration", help=_("Leeg: geen aangegeven recht."))
        for name, _type, label in RIGHT_ZONES
    ]
    fields.append(
        Field("opt_out", _("Uitgesloten van de automatische berekening dit jaar"), input="checkbox")
    )
    declared = dict(
        TrainingRight.objects.filter(
            employer=ctx.employer, worker=worker, year=year, source=RightSource.DECLARED
        ).values_list("right_type", "minutes")
    )
    computed = dict(
        TrainingRight.objects.filter(
            employer=ctx.employer, worker=worker, year=year, source=RightSource.COMPUTED
        ).values_list("right_type", "minutes")
    )
    values = {
        name: hours(declared.get(rt)) if rt in declared else "" for name, rt, _l in RIGHT_ZONES
    }
    values["opt_out"] = WorkerOptOut.objects.filter(
        employer=ctx.employer, worker=worker, year=year
    ).exists()
    result = None
    if request.method == "POST" and request.POST.get("step") == "declare":
        values = _form_values(request.POST, fields)
        data: dict = {"insz": worker.insz, "year": request.POST.get("year", "")}
        for name, _rt, _label in RIGHT_ZONES:
            raw = request.POST.get(name, "")
            if raw.strip():
                data[name] = parse_duration(raw)
        data["opt_out"] = "true" if request.POST.get("opt_out") else "false"
        declaration = Declaration(kind="rights", employer=ctx.employer.enterprise_number, data=data)
        stored, outcomes = run(ctx.caller, [declaration], acknowledged(request, ctx))
        if stored:
            messages.success(
                request, _("De rechten van %(year)s zijn aangegeven.") % {"year": year}
            )
            return redirect("web:worker", worker.pk)
        result = present(request, ctx, outcomes, {f.name for f in fields} | {"year"})
    # The unit is said once, by the line's label: each right by its type alone.
    type_labels = dict(RightType.choices)
    computed_rows = [
        (type_labels[rt], hours(computed[rt])) for _n, rt, _l in RIGHT_ZONES if rt in computed
    ]
    return page(
        request,
        ctx,
        "web/rights_form.html",
        {
            "worker": worker,
            "year": year,
            "years": years,
            "fields": fields,
            "values": values,
            "review": result,
            "computed": computed_rows,
            "employer_opt_out": EmployerYear.objects.filter(
                employer=ctx.employer, year=year, opt_out=True
            ).exists(),
            "cancel_url": reverse("web:worker", args=[worker.pk]),
        },
    )


# --- the employer's year: declared size class and company-wide opt-out ---------------


@employer_view
def employer_year_edit(request: HttpRequest, ctx: Context) -> HttpResponse:
    """The size class the employer declares for a year (else the computed one holds) and
    its opt-out of the automatic computation for the whole company that year."""
    _require_declare(ctx)
    years = _years()
    year = _chosen_year(request)
    on_file = {row.year: row for row in EmployerYear.objects.filter(employer=ctx.employer)}
    fields = [
        Field(
            "size_class",
            _("Aangegeven grootteklasse"),
            input="select",
            choices=[("", _("Geen: de berekende klasse geldt"))]
            + [(v, str(lbl)) for v, lbl in SizeClass.choices],
        ),
        Field(
            "opt_out",
            _("De hele onderneming is dit jaar uitgesloten van de automatische berekening"),
            input="checkbox",
        ),
    ]
    row = on_file.get(year)
    values = {
        "size_class": row.declared_size_class if row else "",
        "opt_out": bool(row and row.opt_out),
    }
    result = None
    if request.method == "POST" and request.POST.get("step") == "declare":
        values = _form_values(request.POST, fields)
        data = {
            "year": request.POST.get("year", ""),
            "opt_out": "true" if values["opt_out"] else "false",
        }
        if values["size_class"]:
            data["size_class"] = values["size_class"]
        declaration = Declaration(
            kind="employer_year", employer=ctx.employer.enterprise_number, data=data
        )
        stored, outcomes = run(ctx.caller, [declaration], acknowledged(request, ctx))
        if stored:
            messages.success(
                request, _("De gegevens van %(year)s zijn aangegeven.") % {"year": year}
            )
            return redirect(reverse("web:employer_year") + f"?year={year}")
        result = present(request, ctx, outcomes, {f.name for f in fields} | {"year"})
    labels = dict(SizeClass.choices)
    overview = []
    for y in years:
        row = on_file.get(y)
        overview.append(
            {
                "year": y,
                "computed": labels.get(row.computed_size_class, "") if row else "",
                "average_fte": row.average_fte if row else None,
                "declared": labels.get(row.declared_size_class, "") if row else "",
                "opt_out": bool(row and row.opt_out),
                "current": y == year,
            }
        )
    return page(
        request,
        ctx,
        "web/employer_year_form.html",
        {
            "year": year,
            "years": years,
            "fields": fields,
            "values": values,
            "review": result,
            "overview": overview,
        },
    )
