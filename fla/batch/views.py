"""The BATCH pages of the online application: upload, files with progress, notification."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseGone
from django.shortcuts import redirect
from django.shortcuts import render as django_render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fla.accounts.access import READ, Caller
from fla.batch.models import BatchFile, BatchStatus
from fla.batch.receipt import too_large
from fla.batch.schemas import SCHEMA_DIR, SCHEMAS
from fla.batch.services import (
    ERASED,
    Receipt,
    checked_in_parts,
    files_for,
    findings_of,
    may_send,
    receive,
)
from fla.batch.uploads import upload_too_large
from fla.batch.zones import zone_label
from fla.core.choices import Channel
from fla.core.identifiers import checked_insz, mask_insz
from fla.web.current import current_context
from fla.workers.models import Worker

# What the pages show for the codes of a file and its results, in the user's language
# (the notification XML keeps the codes).
KIND_LABELS = {
    "employer_year": gettext_lazy("Werkgeversjaar"),
    "worker": gettext_lazy("Werknemer"),
    "rights": gettext_lazy("Rechten"),
    "training": gettext_lazy("Opleiding"),
}
RESULT_LABELS = {
    "accepted": gettext_lazy("Aanvaard"),
    "accepted_with_warnings": gettext_lazy("Aanvaard met waarschuwingen"),
    "rejected": gettext_lazy("Geweigerd"),
}
ENVIRONMENT_LABELS = {"production": gettext_lazy("Productie"), "test": gettext_lazy("Test")}


def _label(labels: dict, code: str):
    return labels.get(code, code)


def render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A page with the application's header and menu, for the employer the user is
    working on when there is one (a file may be about many)."""
    return django_render(
        request, template, {"fla": current_context(request), **context}, status=status
    )


def _caller(request) -> Caller:
    return Caller.for_user(request.user, Channel.BATCH)


def _file(request, file_id: int) -> BatchFile:
    batch = files_for(_caller(request)).filter(pk=file_id).first()
    if batch is None:
        raise Http404
    return batch


@login_required
def file_list(request):
    files = files_for(_caller(request)).select_related("sender_employer", "sender_mandatary")
    page = Paginator(files, 50).get_page(request.GET.get("page"))
    files = list(page.object_list)
    for file in files:
        file.environment_label = _label(ENVIRONMENT_LABELS, file.environment)
    context = {"page": page, "files": files, "may_send": may_send(_caller(request))}
    return render(request, "batch/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    caller = _caller(request)
    if not may_send(caller):
        # Read access only: no form to fill in for a file that would be refused.
        status = 403 if request.method == "POST" else 200
        return render(request, "batch/upload.html", {"read_only": True}, status=status)
    if request.method != "POST":
        return render(request, "batch/upload.html", {"environment": "production"})
    # The form sends the environment before the file, so it is known, and shown chosen
    # again, also when the upload was stopped for its size.
    test = request.POST.get("environment") == "test"
    context: dict = {"environment": "test" if test else "production"}
    limit = upload_too_large(request)
    if limit is not None:
        # Stopped while it was read (fla.batch.uploads): the receipt's own rejection.
        context["receipt"] = Receipt(accepted=False, errors=[too_large(limit)])
        return render(request, "batch/upload.html", context, status=413)
    upload = request.FILES.get("file")
    if upload is None:
        context["missing"] = True
        return render(request, "batch/upload.html", context, status=400)
    with upload.open("rb") as stream:
        receipt = receive(caller, stream, production=not test)
    if receipt.accepted:
        # POST-redirect-GET: reloading the receipt must not send the file again
        # (refused then as a duplicate reference, though it was accepted).
        return redirect("batch:receipt", file_id=receipt.file_id)
    context["receipt"] = receipt  # rejected: nothing was stored, nothing to resend
    return render(request, "batch/upload.html", context, status=400)


@login_required
@require_http_methods(["GET", "HEAD"])
def receipt(request, file_id: int):
    """The receipt of an accepted file, where its upload redirects to; the form under it
    takes the next file, for a user who may send one."""
    batch = _file(request, file_id)
    context = {
        "receipt": Receipt.of(batch),
        "environment": batch.environment,
        "read_only": not may_send(_caller(request)),
    }
    return render(request, "batch/upload.html", context)


@login_required
def detail(request, file_id: int):
    batch = _file(request, file_id)
    language = (get_language() or "nl")[:2]
    results = batch.results.all()
    only = request.GET.get("status")
    if only in {"accepted", "accepted_with_warnings", "rejected"}:
        results = results.filter(status=only)
    page = Paginator(results, 100).get_page(request.GET.get("page"))
    names = _known_names(_caller(request), page.object_list)
    rows = [
        (
            result,
            _label(KIND_LABELS, result.kind),
            _label(RESULT_LABELS, result.status),
            _findings(result, language),
            _about(result, names),
        )
        for result in page.object_list
    ]
    context = {
        "batch": batch,
        "environment": _label(ENVIRONMENT_LABELS, batch.environment),
        "page": page,
        "rows": rows,
        "only": only,
        # The stored error ("OperationalError: ...") may hold SQL, paths or data: the
        # sender gets a sentence, the operators (staff) the text; it is in the log too.
        "technical_error": batch.error if request.user.is_staff else "",
        "checked_in_parts": checked_in_parts(batch),
        "no_results": _no_results(batch, only),
        "progress_step": _progress_step(batch),
    }
    return render(request, "batch/detail.html", context)


def _progress_step(batch: BatchFile) -> str:
    """The state of a file its page tells a screen reader of: its status and its progress
    down to the ten per cent. The bar is polled every 2 seconds; said at every poll, the
    progress would drown whatever else the user listens to."""
    return f"{batch.status}-{batch.progress // 10 * 10}"


def _findings(result, language: str) -> list[dict]:
    """A result's anomalies in the page's language, each zone by its label (the
    glossary's) beside its XML name."""
    return [
        {**finding, "zone_label": zone_label(finding["zone"], result.kind)}
        for finding in findings_of(result, language)
    ]


def _no_results(batch: BatchFile, only: str | None) -> str:
    """What the results table says when it has no row: "not yet" only while the file
    is being processed; once it has ended, that the filter found none."""
    if batch.status in (BatchStatus.RECEIVED, BatchStatus.PROCESSING):
        return _("Nog geen resultaten.")
    if batch.erased_at:
        return _("Het resultaat per aangifte werd gewist na de bewaartermijn.")
    if only == "rejected":
        return _("Geen geweigerde aangiften.")
    if only == "accepted_with_warnings":
        return _("Geen aangiften met waarschuwingen.")
    if only == "accepted":
        return _("Geen aanvaarde aangiften.")
    return _("Geen resultaten.")


def _known_names(caller: Caller, results) -> dict[str, str]:
    """The names of the workers the results name, by INSZ: those the user may read (ever
    employed by an employer he may read), as the worker pages would show them."""
    numbers = {checked_insz(r.insz) for r in results if r.insz} - {None}
    if not numbers:
        return {}
    workers = Worker.objects.filter(
        insz__in=numbers, employments__employer_id__in=caller.employer_ids(READ)
    ).values_list("insz", "first_name", "last_name")
    return {insz: f"{first} {last}".strip() for insz, first, last in workers.distinct()}


def _about(result, names: dict[str, str]) -> dict:
    """What identifies a result's declaration beside its reference: the worker (his
    name where known, the INSZ masked) and the year. Never the whole INSZ."""
    insz = checked_insz(result.insz) if result.insz else None
    return {
        "name": names.get(insz, "") if insz else "",
        "insz": mask_insz(result.insz) if result.insz else "",
        "year": result.year,
    }


@login_required
def progress(request, file_id: int):
    """The progress bar of one file, polled while the file is processed.

    The detail page polls with ``?page=detail&announced=`` the step (``_progress_step``)
    its live region last said: the answer brings the region a new sentence only when the
    step has changed, while the bar itself follows every poll. Once the file is finished
    (done or failed) the page is reloaded whole (``HX-Refresh``), so that its counts,
    results and download button are the final ones without the user reloading it; the
    reloaded page says how it ended in its message.
    """
    batch = _file(request, file_id)
    finished = batch.status in (BatchStatus.DONE, BatchStatus.FAILED)
    from_detail = request.GET.get("page") == "detail"
    step = _progress_step(batch)
    context = {
        "file": batch,
        "detail": from_detail,
        "step": step,
        "announce": from_detail and not finished and request.GET.get("announced") != step,
    }
    response = django_render(request, "batch/_progress.html", context)
    if finished and from_detail and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
        _say_the_end(request, batch)
    return response


def _say_the_end(request, batch: BatchFile) -> None:
    if batch.status == BatchStatus.DONE:
        messages.success(
            request,
            _(
                "Bestand %(id)s is verwerkt: %(accepted)s aanvaard, %(warnings)s aanvaard met "
                "waarschuwingen, %(rejected)s geweigerd."
            )
            % {
                "id": batch.pk,
                "accepted": batch.accepted,
                "warnings": batch.accepted_with_warnings,
                "rejected": batch.rejected,
            },
        )
    else:
        messages.error(
            request, _("De verwerking van bestand %(id)s is gestopt.") % {"id": batch.pk}
        )


@login_required
def notification_xml(request, file_id: int):
    batch = _file(request, file_id)
    if batch.erased_at:
        return _erased()
    if batch.status != BatchStatus.DONE or not batch.notification_name:
        raise Http404
    try:
        stored = default_storage.open(batch.notification_name, "rb")
    except FileNotFoundError:  # erased since it was read
        return _erased()
    response = FileResponse(
        stored,
        content_type="application/xml",
        as_attachment=True,
        filename=f"notification-{batch.pk}.xml",
    )
    return response


def _erased() -> HttpResponse:
    return HttpResponseGone(str(ERASED), content_type="text/plain; charset=utf-8")


def schema(request, name: str):
    """The published XSDs of the channel."""
    if name not in SCHEMAS:
        raise Http404
    return HttpResponse((SCHEMA_DIR / name).read_bytes(), content_type="application/xml")
