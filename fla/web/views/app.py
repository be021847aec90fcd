"""Dashboard, lists, worker and training detail, and the large-enterprise search (seed §3–§5)."""

from __future__ import annotations

from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fla.audit.models import HistoryEntry
from fla.core.choices import TrainingStatus
from fla.core.identifiers import InvalidIdentifier, clean_insz, format_insz
from fla.employers.models import Employer
from fla.rights.models import Account
from fla.trainings.models import Training
from fla.web import queries
from fla.web.current import Context, employer_view, last_change_of
from fla.web.history import diff
from fla.web.tables import EXPORT_FORMATS, Column, Table, id_url, minutes_column
from fla.workers.models import Worker

SWITCHER_LIMIT = 30


def page(request: HttpRequest, ctx: Context, template: str, data: dict, status: int = 200):
    """Render an application page with what the header needs (one extra query at most)."""
    switch = None
    if ctx.several_employers and len(ctx.employer_ids) <= SWITCHER_LIMIT:
        switch = list(
            Employer.objects.filter(pk__in=ctx.employer_ids).order_by("name").only("id", "name")
        )
    return render(
        request, template, {"fla": ctx, "switch_employers": switch, **data}, status=status
    )


@employer_view
def home(request: HttpRequest, ctx: Context) -> HttpResponse:
    """The dashboard, or the search form for a large enterprise (seed §2 note)."""
    if ctx.large:
        return redirect("web:search")
    return redirect("web:dashboard")


# --- tables --------------------------------------------------------------------------


def worker_table() -> Table:
    return Table(
        columns=[
            Column(
                "last_name",
                gettext_lazy("Naam"),
                lambda a: a.worker.last_name,
                ("worker__last_name", "worker__first_name"),
            ),
            Column(
                "first_name",
                gettext_lazy("Voornaam"),
                lambda a: a.worker.first_name,
                ("worker__first_name", "worker__last_name"),
            ),
            Column(
                "insz",
                gettext_lazy("INSZ"),
                lambda a: format_insz(a.worker.insz),
                ("worker__insz",),
            ),
            minutes_column("remaining", gettext_lazy("Resterend krediet"), "remaining_minutes"),
            minutes_column("used_legal", gettext_lazy("Gebruikt wettelijk"), "used_legal_minutes"),
            minutes_column("used_sector", gettext_lazy("Gebruikt sector"), "used_sector_minutes"),
            minutes_column(
                "used_employer", gettext_lazy("Gebruikt werkgever"), "used_employer_minutes"
            ),
            Column(
                "trainings",
                gettext_lazy("Opleidingen"),
                lambda a: a.trainings_count,
                ("trainings_count",),
                numeric=True,
            ),
        ],
        default_sort="last_name",
        detail_url=id_url("web:worker", lambda a: a.worker_id),
    )


_STATUS_LABELS = dict(TrainingStatus.choices)


def _status_label(training: Training) -> str:
    """``get_status_display()`` without rebuilding the choices for every row."""
    return str(_STATUS_LABELS.get(training.status, training.status))


def training_table(with_worker: bool = True, default_sort: str = "-updated") -> Table:
    columns = [
        Column("reference", gettext_lazy("Referentie"), lambda t: t.reference, ("reference",)),
    ]
    if with_worker:
        columns.append(
            Column(
                "worker",
                gettext_lazy("Werknemer"),
                lambda t: f"{t.worker.last_name} {t.worker.first_name}",
                ("worker__last_name", "worker__first_name"),
            )
        )
    columns += [
        Column("title", gettext_lazy("Titel"), lambda t: t.title, ("title",)),
        Column("start", gettext_lazy("Begin"), lambda t: t.start_date, ("start_date",)),
        Column("end", gettext_lazy("Einde"), lambda t: t.end_date, ("end_date",)),
        minutes_column("duration", gettext_lazy("Duur"), "duration_minutes"),
        Column("status", gettext_lazy("Status"), _status_label, ("status",)),
        Column(
            "updated", gettext_lazy("Gewijzigd"), lambda t: t.updated_at.date(), ("updated_at",)
        ),
    ]
    return Table(
        columns=columns,
        default_sort=default_sort,
        detail_url=id_url("web:training", lambda t: t.pk),
    )


def _export_or_page(request, ctx, table, queryset, template, data, filename, count=None):
    fmt = request.GET.get("format")
    if fmt in EXPORT_FORMATS:
        return table.export(fmt, table.ordered(request, queryset), filename)
    table.bind(request, queryset, keep=("filter",), count=count)
    return page(request, ctx, template, {"table": table, **data})


# --- dashboard -----------------------------------------------------------------------


@employer_view
def dashboard(request: HttpRequest, ctx: Context) -> HttpResponse:
    on = queries.today()
    employer_id = ctx.employer.pk
    table = worker_table()
    fmt = request.GET.get("format")
    if fmt in EXPORT_FORMATS:  # the export links of the list of workers (zone 4)
        return table.export(fmt, table.ordered(request, queries.accounts(employer_id)), "workers")
    recent = list(queries.trainings(employer_id).order_by("-updated_at", "-pk")[:8])
    table.rows_per_page = 10
    table.bind(request, queries.accounts(employer_id), count=ctx.worker_count)
    charts = queries.charts(employer_id, on, last_change_of(request, employer_id))
    if charts.year_rows is None:  # cached before the table's figures were kept
        charts = queries.compute_charts(employer_id, on)
    return page(
        request,
        ctx,
        "web/dashboard.html",
        {
            "tiles": queries.tiles(
                employer_id, on, charts.this_year_minutes, charts.this_year_workers
            ),
            "recent": recent,
            "per_year": charts.per_year,
            "per_month": charts.per_month,
            "year_rows": charts.year_rows,
            "table": table,
            "upcoming_days": queries.UPCOMING_DAYS,
        },
    )


# --- workers -------------------------------------------------------------------------

WORKER_FILTER_LABELS = {
    "no_rights": gettext_lazy("Werknemers zonder rechten voor dit jaar"),
    "no_training": gettext_lazy("Werknemers zonder opleiding dit jaar"),
    "credit_open": gettext_lazy("Werknemers met ongebruikt krediet"),
    "over_credit": gettext_lazy("Werknemers die meer gebruikten dan hun krediet"),
}


@employer_view
def workers(request: HttpRequest, ctx: Context) -> HttpResponse:
    key = request.GET.get("filter", "")
    if key and key not in queries.WORKER_FILTERS:
        key = ""
    qs = queries.filter_accounts(queries.accounts(ctx.employer.pk), key, queries.today())
    return _export_or_page(
        request,
        ctx,
        worker_table(),
        qs,
        "web/workers.html",
        {"filter": key, "filter_label": WORKER_FILTER_LABELS.get(key, "")},
        "workers",
        # Unfiltered, the list is every account of the employer: counted already.
        count=None if key else ctx.worker_count,
    )


@employer_view
def worker_detail(request: HttpRequest, ctx: Context, worker_id: int) -> HttpResponse:
    employer_id = ctx.employer.pk
    # An account puts the worker in the employer's screens and brings the worker along.
    account = (
        Account.objects.filter(employer_id=employer_id, worker_id=worker_id)
        .select_related("worker")
        .first()
    )
    if account is not None:
        worker = account.worker
    elif queries.worker_in_scope(employer_id, worker_id):
        worker = Worker.objects.get(pk=worker_id)
    else:
        raise Http404
    years, total = queries.year_table(employer_id, worker_id)
    # Latest first; sorting on the end date also lets the database read the worker's
    # trainings through the (employer, worker) index rather than the whole employer's.
    table = training_table(with_worker=False, default_sort="-end")
    # The worker's own trainings: the table has no worker column, so no join for it.
    qs = Training.objects.filter(employer_id=employer_id, worker_id=worker_id)
    fmt = request.GET.get("format")
    if fmt in EXPORT_FORMATS:
        return table.export(fmt, table.ordered(request, qs), f"trainings-{worker_id}")
    # One read of the worker's trainings gives the chart and the table's row count.
    summary = queries.worker_trainings_summary(employer_id, worker_id)
    table.bind(request, qs, count=summary.count)
    return page(
        request,
        ctx,
        "web/worker_detail.html",
        {
            "worker": worker,
            "account": account,
            "remaining": account.remaining_minutes if account else total.remaining,
            "used": account.used_minutes if account else total.used,
            "years": years,
            "total": total,
            "table": table,
            "chart": queries.worker_hours_per_year(
                employer_id, worker_id, queries.today(), rows=summary.rows
            ),
        },
    )


# --- trainings -----------------------------------------------------------------------

TRAINING_FILTER_LABELS = {
    "overdue": gettext_lazy("Geplande opleidingen waarvan de einddatum voorbij is"),
    "upcoming": gettext_lazy("Opleidingen die binnen 30 dagen beginnen"),
    "planned": gettext_lazy("Geplande opleidingen"),
    "completed": gettext_lazy("Gevolgde opleidingen"),
}


def _training_filter_label(key: str, on) -> str:
    if key == "hours_year":
        return _(
            "Gevolgde opleidingen die meetellen voor de opleidingsrekening, "
            "met een einddatum in %(year)s"
        ) % {"year": on.year}
    return TRAINING_FILTER_LABELS.get(key, "")


@employer_view
def trainings(request: HttpRequest, ctx: Context) -> HttpResponse:
    key = request.GET.get("filter", "")
    if key and key not in queries.TRAINING_FILTERS:
        key = ""
    on = queries.today()
    qs = queries.filter_trainings(queries.trainings(ctx.employer.pk), key, on)
    data = {"filter": key, "filter_label": _training_filter_label(key, on)}
    if key == "hours_year" and request.GET.get("format") not in EXPORT_FORMATS:
        data["total_minutes"] = qs.aggregate(total=Sum("duration_minutes"))["total"] or 0
    return _export_or_page(
        request, ctx, training_table(), qs, "web/trainings.html", data, "trainings"
    )


def training_in_scope(ctx: Context, training_id: int) -> Training:
    training = (
        Training.objects.filter(pk=training_id, employer_id=ctx.employer.pk)
        .select_related("worker")
        .first()
    )
    if training is None:
        raise Http404
    return training


@employer_view
def training_detail(request: HttpRequest, ctx: Context, training_id: int) -> HttpResponse:
    training = training_in_scope(ctx, training_id)
    history = list(
        HistoryEntry.objects.filter(entity="training", entity_id=str(training.pk)).order_by(
            "-at", "-id"
        )[:100]
    )
    return page(
        request,
        ctx,
        "web/training_detail.html",
        {
            "training": training,
            "duplicates": probable_duplicates(training) if "W004" in training.warnings else [],
            "history": [diff(entry) for entry in history],
        },
    )


def probable_duplicates(training: Training) -> list[Training]:
    """The trainings W004 speaks of, as they stand now: the worker's other trainings at
    this employer with the same title (whatever its case) and start date, but the
    cancelled ones. A training keeps only the code of its warnings, not the reference
    the warning named, which may have changed or been cancelled since."""
    return list(
        Training.objects.filter(
            employer_id=training.employer_id,
            worker_id=training.worker_id,
            start_date=training.start_date,
            title__iexact=training.title,
        )
        .exclude(pk=training.pk)
        .exclude(status=TrainingStatus.CANCELLED)
        .only("pk", "reference")
        .order_by("reference")[:10]
    )


# --- large-enterprise version (seed §5) ----------------------------------------------

SEARCH_LIMIT = 50


@employer_view
def search(request: HttpRequest, ctx: Context) -> HttpResponse:
    """Search a worker by first name, last name or INSZ; the INSZ travels only by POST."""
    data = request.POST if request.method == "POST" else request.GET
    first = data.get("first_name", "").strip()[:100]
    last = data.get("last_name", "").strip()[:100]
    insz_raw = request.POST.get("insz", "").strip()[:20] if request.method == "POST" else ""
    error = ""
    results = None
    if first or last or insz_raw:
        qs = queries.accounts(ctx.employer.pk)
        if insz_raw:
            try:
                qs = qs.filter(worker__insz=clean_insz(insz_raw))
            except InvalidIdentifier:
                error = _("Dit INSZ is ongeldig (11 cijfers, controlegetal modulo 97).")
                qs = qs.none()
        if first:
            qs = qs.filter(worker__first_name__istartswith=first)
        if last:
            # "Starts with" holds the exact name too; an OR of both would make the
            # database read the whole country's names instead of the employer's.
            qs = qs.filter(worker__last_name__istartswith=last)
        results = list(
            qs.order_by("worker__last_name", "worker__first_name", "pk")[: SEARCH_LIMIT + 1]
        )
    partial = bool(request.headers.get("HX-Request"))
    template = "web/search_results.html" if partial else "web/search.html"
    return page(
        request,
        ctx,
        template,
        {
            "results": results[:SEARCH_LIMIT] if results is not None else None,
            "more": results is not None and len(results) > SEARCH_LIMIT,
            "first_name": first,
            "last_name": last,
            "insz": insz_raw,
            "error": error,
            "limit": SEARCH_LIMIT,
            "partial": partial,
        },
    )
