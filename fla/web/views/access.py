"""Access management for an employer's access managers: users, mandates, API clients,
the audit history, and the export of what is held on one worker; and the API clients
of a mandatary, for the mandatary's managers.

Only access managers of the chosen employer reach these pages; to anyone else they
do not exist (404). Every change goes through ``fla.accounts.services``, which checks
the role again and records it in the history; the views only translate forms.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fla.accounts import services
from fla.accounts.access import DECLARE, READ
from fla.accounts.models import EmployerAccess, Mandatary, Mandate
from fla.api.models import ApiClient
from fla.audit.models import HistoryEntry
from fla.core import privacy
from fla.core.choices import Channel, Role
from fla.core.identifiers import mask_insz
from fla.employers.models import Employer
from fla.rights.models import Account
from fla.web import queries
from fla.web.current import Context, caller_for, chosen_employer_id, manager_view
from fla.web.tables import Column, Table
from fla.web.views.app import _diff, page

ERRORS = {
    "invalid-insz": gettext_lazy("Dit INSZ is ongeldig (11 cijfers, controlegetal modulo 97)."),
    "unknown-role": gettext_lazy("Kies een rol uit de lijst."),
    "last-manager": gettext_lazy(
        "De laatste toegangsbeheerder van de werkgever kan zijn rol niet verliezen."
    ),
    "invalid-enterprise-number": gettext_lazy("Dit ondernemingsnummer is ongeldig."),
    "unknown-mandatary": gettext_lazy(
        "Er is geen dienstverlener met dit ondernemingsnummer gekend."
    ),
    "start-required": gettext_lazy("De begindatum is verplicht."),
    "end-before-start": gettext_lazy("De einddatum ligt voor de begindatum."),
    "end-in-past": gettext_lazy("Een mandaat kan niet met terugwerkende kracht eindigen."),
    "mandate-overlaps": gettext_lazy(
        "Deze dienstverlener heeft al een mandaat dat deze periode overlapt."
    ),
    "client-name": gettext_lazy("Geef de client een naam van 1 tot 200 tekens."),
    "client-scopes": gettext_lazy("Kies minstens één recht: raadplegen of aangeven."),
    "bad-date": gettext_lazy("Geef een geldige datum (dd/mm/jjjj)."),
}

ENTITY_LABELS = {
    "access": gettext_lazy("Toegang"),
    "mandate": gettext_lazy("Mandaat"),
    "api-client": gettext_lazy("API-client"),
    "worker": gettext_lazy("Werknemer"),
    "employment": gettext_lazy("Tewerkstelling"),
    "rights": gettext_lazy("Rechten"),
    "training": gettext_lazy("Opleiding"),
    "employer_year": gettext_lazy("Werkgeversjaar"),
    "rights-computation": gettext_lazy("Berekening van de rechten"),
    "retention": gettext_lazy("Bewaartermijn"),
}


def _parse_date(text: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _access(ctx: Context, access_id: int) -> EmployerAccess:
    access = (
        EmployerAccess.objects.filter(pk=access_id, employer=ctx.employer)
        .select_related("user", "employer")
        .first()
    )
    if access is None:
        raise Http404
    return access


# --- users ---------------------------------------------------------------------------


def _users_page(request, ctx, *, errors=None, values=None, status=200):
    accesses = (
        EmployerAccess.objects.filter(employer=ctx.employer)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    managers = sum(1 for a in accesses if a.role == Role.MANAGE)
    rows = [
        {
            "access": a,
            "name": a.user.get_full_name() or _("(nog niet aangemeld)"),
            "insz": mask_insz(a.user.insz) if a.user.insz else "—",
            "pending": a.user.last_login is None,
            "is_me": a.user_id == request.user.pk,
            "last_manager": a.role == Role.MANAGE and managers == 1,
        }
        for a in accesses
    ]
    return page(
        request,
        ctx,
        "web/access_users.html",
        {
            "rows": rows,
            "roles": Role.choices,
            "errors": errors or {},
            "values": values or {},
            "tab": "users",
        },
        status=status,
    )


def _posted(request: HttpRequest, keys: tuple[str, ...], max_length: int) -> dict[str, str]:
    """The form's zones as typed (trimmed, cut at ``max_length``), to check and show back."""
    return {key: request.POST.get(key, "").strip()[:max_length] for key in keys}


@manager_view
def users(request: HttpRequest, ctx: Context) -> HttpResponse:
    return _users_page(request, ctx)


@manager_view
@require_POST
def grant(request: HttpRequest, ctx: Context) -> HttpResponse:
    values = _posted(request, ("insz", "role", "first_name", "last_name"), 150)
    try:
        access = services.grant_access(
            ctx.caller,
            ctx.employer,
            insz=values["insz"],
            role=values["role"],
            first_name=values["first_name"],
            last_name=values["last_name"],
        )
    except services.AccessError as exc:
        # The INSZ is shown back as typed, in the form only (never in a URL).
        return _users_page(
            request, ctx, errors={exc.zone: ERRORS[exc.code]}, values=values, status=422
        )
    messages.success(
        request,
        _("%(name)s heeft nu de rol %(role)s.")
        % {
            "name": access.user.get_full_name() or mask_insz(access.user.insz),
            "role": access.get_role_display(),
        },
    )
    return redirect("web:access_users")


@manager_view
@require_POST
def change_role(request: HttpRequest, ctx: Context, access_id: int) -> HttpResponse:
    access = _access(ctx, access_id)
    try:
        services.change_role(ctx.caller, access, request.POST.get("role", ""))
    except services.AccessError as exc:
        messages.error(request, ERRORS[exc.code])
    else:
        messages.success(request, _("De rol is gewijzigd."))
    return redirect("web:access_users")


@manager_view
@require_POST
def revoke(request: HttpRequest, ctx: Context, access_id: int) -> HttpResponse:
    access = _access(ctx, access_id)
    try:
        services.revoke_access(ctx.caller, access)
    except services.AccessError as exc:
        messages.error(request, ERRORS[exc.code])
    else:
        messages.success(request, _("De toegang is ingetrokken."))
    return redirect("web:access_users")


# --- mandates ------------------------------------------------------------------------


def _mandates_page(request, ctx, *, errors=None, values=None, status=200):
    today = queries.today()
    mandates = list(
        Mandate.objects.filter(employer=ctx.employer)
        .select_related("mandatary")
        .order_by("-start_date", "-pk")
    )
    rows = [
        {
            "mandate": m,
            "active": m.start_date <= today and (m.end_date is None or m.end_date >= today),
            "ended": m.end_date is not None and m.end_date < today,
        }
        for m in mandates
    ]
    return page(
        request,
        ctx,
        "web/access_mandates.html",
        {
            "rows": rows,
            "errors": errors or {},
            "values": values or {"start_date": today.isoformat()},
            "tab": "mandates",
        },
        status=status,
    )


@manager_view
def mandates(request: HttpRequest, ctx: Context) -> HttpResponse:
    return _mandates_page(request, ctx)


@manager_view
@require_POST
def mandate_new(request: HttpRequest, ctx: Context) -> HttpResponse:
    values = _posted(request, ("enterprise_number", "start_date", "end_date"), 20)
    errors = {}
    dates = {}
    for key in ("start_date", "end_date"):
        try:
            dates[key] = _parse_date(values[key])
        except ValueError:
            errors[key] = ERRORS["bad-date"]
    if not errors:
        try:
            mandate = services.grant_mandate(
                ctx.caller,
                ctx.employer,
                enterprise_number=values["enterprise_number"],
                start_date=dates["start_date"],
                end_date=dates["end_date"],
            )
        except services.AccessError as exc:
            errors[exc.zone] = ERRORS[exc.code]
        else:
            messages.success(
                request, _("%(name)s heeft nu een mandaat.") % {"name": mandate.mandatary.name}
            )
            return redirect("web:access_mandates")
    return _mandates_page(request, ctx, errors=errors, values=values, status=422)


@manager_view
@require_POST
def mandate_end(request: HttpRequest, ctx: Context, mandate_id: int) -> HttpResponse:
    mandate = (
        Mandate.objects.filter(pk=mandate_id, employer=ctx.employer)
        .select_related("mandatary", "employer")
        .first()
    )
    if mandate is None:
        raise Http404
    try:
        end = _parse_date(request.POST.get("end_date", "")[:20])
        services.end_mandate(ctx.caller, mandate, end)
    except ValueError as exc:
        code = exc.code if isinstance(exc, services.AccessError) else "bad-date"
        messages.error(request, ERRORS[code])
    else:
        messages.success(
            request, _("Het mandaat van %(name)s is beëindigd.") % {"name": mandate.mandatary.name}
        )
    return redirect("web:access_mandates")


# --- API clients ---------------------------------------------------------------------
#
# The API clients of an organisation the user manages: the chosen employer (its access
# managers, under /app/access/api-clients/), or a mandatary (its members with the role
# ``manage``, under /app/mandataries/<id>/api-clients/). To anyone else the clients of
# an organisation do not exist (404).


def _managed_mandatary(request: HttpRequest, mandatary_id: int) -> Mandatary:
    found = services.managed_mandataries(caller_for(request)).filter(pk=mandatary_id).first()
    if found is None:
        raise Http404
    return found


def mandatary_manager_view(view):
    """A page of a mandatary's managers: the view gets the mandatary named by
    ``mandatary_id`` in the path if the user manages it; anyone else gets 404
    (tests/security/test_matrix_web.py finds these pages by this wrapper's name)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, mandatary_id: int, *args, **kwargs) -> HttpResponse:
        return view(request, _managed_mandatary(request, mandatary_id), *args, **kwargs)

    return wrapper


def _context_if_any(request: HttpRequest) -> Context | None:
    """The employer context for the header and menu, where the user has one: a
    mandatary's manager may have no mandate (yet) and still register its clients."""
    employer_id = chosen_employer_id(request)
    employer = Employer.objects.filter(pk=employer_id).first() if employer_id else None
    if employer is None:
        return None
    caller = caller_for(request)
    return Context(
        caller=caller,
        employer=employer,
        employer_ids=caller.employer_ids(READ),
        can_declare=employer.pk in caller.employer_ids(DECLARE),
        worker_count=Account.objects.filter(employer=employer).count(),
    )


def _clients_page(request, ctx, *, errors=None, values=None, created=None, status=200):
    clients = ApiClient.objects.filter(employer=ctx.employer).select_related("application")
    response = page(
        request,
        ctx,
        "web/access_clients.html",
        {
            "clients": clients,
            "errors": errors or {},
            "values": values or {"scopes": ["read", "declare"]},
            "created": created,
            "tab": "clients",
        },
        status=status,
    )
    return response


def _mandatary_clients_page(
    request, mandatary, *, errors=None, values=None, created=None, status=200
):
    data = {
        "mandatary": mandatary,
        "managed_mandataries": list(services.managed_mandataries(caller_for(request))),
        "clients": ApiClient.objects.filter(mandatary=mandatary).select_related("application"),
        "errors": errors or {},
        "values": values or {"scopes": ["read", "declare"]},
        "created": created,
    }
    ctx = _context_if_any(request)
    if ctx is None:
        return render(request, "web/access_clients.html", data, status=status)
    return page(request, ctx, "web/access_clients.html", data, status=status)


def _client_values(request: HttpRequest) -> dict:
    return {
        "name": request.POST.get("name", "").strip()[:300],
        "scopes": [s for s in request.POST.getlist("scopes") if s in ("read", "declare")][:2],
    }


@manager_view
def clients(request: HttpRequest, ctx: Context) -> HttpResponse:
    return _clients_page(request, ctx)


@require_POST
@never_cache
@manager_view
def client_new(request: HttpRequest, ctx: Context) -> HttpResponse:
    values = _client_values(request)
    try:
        new = services.create_api_client(
            ctx.caller, ctx.employer, name=values["name"], scopes=values["scopes"]
        )
    except services.AccessError as exc:
        return _clients_page(
            request, ctx, errors={exc.zone: ERRORS[exc.code]}, values=values, status=422
        )
    # The secret is shown in this answer only: it is stored hashed and never again readable.
    return _clients_page(request, ctx, created=new)


@require_POST
@manager_view
def client_revoke(request: HttpRequest, ctx: Context, client_pk: int) -> HttpResponse:
    if not ApiClient.objects.filter(pk=client_pk, employer=ctx.employer).exists():
        raise Http404
    client = services.revoke_api_client(ctx.caller, ctx.employer, client_pk)
    messages.success(request, _("De API-client %(name)s is ingetrokken.") % {"name": client.name})
    return redirect("web:access_clients")


@mandatary_manager_view
def mandatary_clients(request: HttpRequest, mandatary: Mandatary) -> HttpResponse:
    return _mandatary_clients_page(request, mandatary)


@require_POST
@never_cache
@mandatary_manager_view
def mandatary_client_new(request: HttpRequest, mandatary: Mandatary) -> HttpResponse:
    values = _client_values(request)
    try:
        new = services.create_mandatary_api_client(
            caller_for(request), mandatary, name=values["name"], scopes=values["scopes"]
        )
    except services.AccessError as exc:
        return _mandatary_clients_page(
            request, mandatary, errors={exc.zone: ERRORS[exc.code]}, values=values, status=422
        )
    # As for an employer's client: the secret is shown in this answer only.
    return _mandatary_clients_page(request, mandatary, created=new)


@require_POST
@mandatary_manager_view
def mandatary_client_revoke(
    request: HttpRequest, mandatary: Mandatary, client_pk: int
) -> HttpResponse:
    if not ApiClient.objects.filter(pk=client_pk, mandatary=mandatary).exists():
        raise Http404
    client = services.revoke_mandatary_api_client(caller_for(request), mandatary, client_pk)
    messages.success(request, _("De API-client %(name)s is ingetrokken.") % {"name": client.name})
    return redirect("web:mandatary_clients", mandatary_id=mandatary.pk)


# --- audit history -------------------------------------------------------------------

HISTORY_PAGE_SIZE = 50


def history_table() -> Table:
    def changes(entry):
        return "; ".join(
            f"{c['zone']}: {_text(c['before'])} → {_text(c['after'])}"
            for c in _diff(entry)["changes"]
        )

    return Table(
        columns=[
            Column("at", gettext_lazy("Tijdstip"), lambda e: e.at.strftime("%Y-%m-%d %H:%M:%S")),
            Column("entity", gettext_lazy("Soort"), lambda e: e.entity),
            Column("entity_id", gettext_lazy("Id"), lambda e: e.entity_id),
            Column("action", gettext_lazy("Handeling"), lambda e: e.action),
            Column("channel", gettext_lazy("Kanaal"), lambda e: e.get_channel_display()),
            Column("actor", gettext_lazy("Door"), lambda e: e.actor),
            Column("changes", gettext_lazy("Wijzigingen"), changes),
        ],
        default_sort="at",
    )


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _history_filters(request: HttpRequest) -> tuple[dict, Q, dict]:
    data = request.GET
    filters = {
        "entity": data.get("entity", "")[:20],
        "action": data.get("action", "")[:20],
        "channel": data.get("channel", "")[:8],
        "who": data.get("who", "").strip()[:100],
        "from": data.get("from", "")[:10],
        "to": data.get("to", "")[:10],
    }
    errors = {}
    query = Q()
    if filters["entity"]:
        query &= Q(entity=filters["entity"])
    if filters["action"]:
        query &= Q(action=filters["action"])
    if filters["channel"] in Channel.values:
        query &= Q(channel=filters["channel"])
    else:
        filters["channel"] = ""
    if filters["who"]:
        query &= Q(actor__icontains=filters["who"].replace("\x00", ""))
    for key, lookup in (("from", "at__date__gte"), ("to", "at__date__lte")):
        try:
            day = _parse_date(filters[key])
        except ValueError:
            errors[key] = ERRORS["bad-date"]
            continue
        if day is not None:
            query &= Q(**{lookup: day})
    return filters, query, errors


@manager_view
def history(request: HttpRequest, ctx: Context) -> HttpResponse:
    filters, query, errors = _history_filters(request)
    entries = HistoryEntry.objects.filter(query, employer=ctx.employer).order_by("-at", "-id")
    if request.GET.get("format") == "csv":
        table = history_table()
        return table.export("csv", entries, "history")
    paginator = Paginator(entries, HISTORY_PAGE_SIZE)
    current = paginator.get_page(request.GET.get("page"))
    actions = (
        HistoryEntry.objects.filter(employer=ctx.employer)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
    return page(
        request,
        ctx,
        "web/access_history.html",
        {
            "entries": [_diff(e) for e in current.object_list],
            "page_obj": current,
            "filters": filters,
            "errors": errors,
            "entities": sorted(ENTITY_LABELS.items()),
            "actions": list(actions[:100]),
            "channels": Channel.choices,
            "tab": "history",
        },
    )


# --- personal data -------------------------------------------------------------------


@manager_view
@require_POST
@never_cache
def worker_export(request: HttpRequest, ctx: Context, worker_id: int) -> HttpResponse:
    """Everything held on one worker for this employer, as JSON; the export is recorded."""
    if not queries.worker_in_scope(ctx.employer.pk, worker_id):
        raise Http404
    data = privacy.export_worker(ctx.caller, ctx.employer, worker_id)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="worker-{worker_id}.json"'
    return response
