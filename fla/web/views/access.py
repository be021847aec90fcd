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
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
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
from fla.web.history import ACTION_LABELS, ENTITY_LABELS, SCOPE_LABELS, diff
from fla.web.tables import Column, Table
from fla.web.views.app import page

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
    "client-name-taken": gettext_lazy(
        "Er is al een actieve API-client met deze naam. Kies een andere naam."
    ),
    "client-scopes": gettext_lazy("Kies minstens één recht: raadplegen of aangeven."),
    "bad-date": gettext_lazy("Geef een geldige datum (dd/mm/jjjj)."),
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


def asks_first(question):
    """A view that changes something, reached by a form's POST. A GET of its address
    changes nothing: ``question``, called as the view is, answers it, with the page
    that asks before an action that cannot be undone (its form POSTs the answer to the
    same address), or with a redirect when there is nothing to ask. Other methods get
    405."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in ("GET", "HEAD"):
                return question(request, *args, **kwargs)
            if request.method != "POST":
                return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def form_target(back):
    """A view that changes something, reached by a form's POST, with nothing to ask
    first: a GET of its address (a reload after switching the language, a bookmark, the
    address typed again) lands on the page of the form, ``back``: a URL name, or a
    function of the view's arguments that gives the URL. Other methods get 405."""

    def to_the_form(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return redirect(back(*args, **kwargs) if callable(back) else reverse(back))

    return asks_first(to_the_form)


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
@form_target("web:access_users")
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
            "name": _user_name(access),
            "role": access.get_role_display(),
        },
    )
    return redirect("web:access_users")


@manager_view
@form_target("web:access_users")
def change_role(request: HttpRequest, ctx: Context, access_id: int) -> HttpResponse:
    access = _access(ctx, access_id)
    try:
        services.change_role(ctx.caller, access, request.POST.get("role", ""))
    except services.AccessError as exc:
        messages.error(request, ERRORS[exc.code])
    else:
        messages.success(request, _("De rol is gewijzigd."))
    return redirect("web:access_users")


def _user_name(access: EmployerAccess) -> str:
    return access.user.get_full_name() or mask_insz(access.user.insz)


def _confirm_revoke_access(request: HttpRequest, ctx: Context, access_id: int) -> HttpResponse:
    access = _access(ctx, access_id)
    return page(
        request,
        ctx,
        "web/access_confirm.html",
        {
            "tab": "users",
            "question": _("De toegang van %(name)s intrekken?") % {"name": _user_name(access)},
            "explanation": _(
                "Deze gebruiker verliest dan onmiddellijk de toegang tot de gegevens van "
                "%(employer)s. Om opnieuw toegang te geven, ken je opnieuw een rol toe."
            )
            % {"employer": ctx.employer.name},
            "action": reverse("web:access_revoke", args=[access.pk]),
            "hidden": {},
            "confirm_label": _("Toegang intrekken"),
            "cancel_url": reverse("web:access_users"),
            "testid": "confirm-revoke-access",
        },
    )


@manager_view
@asks_first(_confirm_revoke_access)
def revoke(request: HttpRequest, ctx: Context, access_id: int) -> HttpResponse:
    """GET: the question "revoke this access?"; POST, the answer: the access is revoked."""
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
@form_target("web:access_mandates")
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


def _mandate(ctx: Context, mandate_id: int) -> Mandate:
    mandate = (
        Mandate.objects.filter(pk=mandate_id, employer=ctx.employer)
        .select_related("mandatary", "employer")
        .first()
    )
    if mandate is None:
        raise Http404
    return mandate


def _already_ends(mandate: Mandate) -> str:
    return _("Het mandaat van %(name)s eindigt al op %(date)s.") % {
        "name": mandate.mandatary.name,
        "date": date_format(mandate.end_date, "SHORT_DATE_FORMAT"),
    }


def _confirm_mandate_end(request: HttpRequest, ctx: Context, mandate_id: int) -> HttpResponse:
    mandate = _mandate(ctx, mandate_id)
    if mandate.end_date is not None and mandate.end_date < queries.today():
        return redirect("web:access_mandates")  # already ended: nothing to ask
    typed = request.GET.get("end_date", "")[:20]
    try:
        end = _parse_date(typed)
    except ValueError:
        messages.error(request, ERRORS["bad-date"])
        return redirect("web:access_mandates")
    try:
        # What ending it would do; refused before the question is asked as it would be.
        ends = services.mandate_end_date(mandate, end)
    except services.AccessError as exc:
        messages.error(request, ERRORS[exc.code])
        return redirect("web:access_mandates")
    if ends is None:
        messages.info(request, _already_ends(mandate))
        return redirect("web:access_mandates")
    name = mandate.mandatary.name
    if end is None:
        question = _("Het mandaat van %(name)s onmiddellijk beëindigen?") % {"name": name}
    else:
        question = _("Het mandaat van %(name)s beëindigen op %(date)s?") % {
            "name": name,
            "date": date_format(end, "SHORT_DATE_FORMAT"),
        }
    return page(
        request,
        ctx,
        "web/access_confirm.html",
        {
            "tab": "mandates",
            "question": question,
            "explanation": _(
                "De dienstverlener verliest dan de toegang tot de gegevens van de werkgever, "
                "online, via BATCH en via de API. Om opnieuw toegang te geven, is een nieuw "
                "mandaat nodig."
            ),
            "action": reverse("web:access_mandate_end", args=[mandate.pk]),
            "hidden": {"end_date": end.isoformat() if end else ""},
            "confirm_label": _("Mandaat beëindigen"),
            "cancel_url": reverse("web:access_mandates"),
            "testid": "confirm-end-mandate",
        },
    )


@manager_view
@asks_first(_confirm_mandate_end)
def mandate_end(request: HttpRequest, ctx: Context, mandate_id: int) -> HttpResponse:
    """GET: the question "end this mandate?" (the row's button asks it, with the end date
    typed there); POST, the answer: the mandate ends."""
    mandate = _mandate(ctx, mandate_id)
    try:
        end = _parse_date(request.POST.get("end_date", "")[:20])
        if services.mandate_end_date(mandate, end) is None:
            messages.info(request, _already_ends(mandate))
            return redirect("web:access_mandates")
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
#
# A new client's secret is known only when it is created (it is stored hashed). The
# form's POST creates the client, keeps the secret in the session and redirects to the
# list, whose next GET takes it out of the session and shows it once (POST-redirect-GET):
# reloading the page, or going back and forth, neither creates another client nor shows
# the secret again.

_NEW_SECRET_KEY = "fla_new_api_client"


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


def _mandatary_page(request, mandatary, template, data, status=200):
    """A page of a mandatary's managers, with the employer's header and menu if the user
    works on an employer, else with the mandatary's own menu."""
    data = {
        "mandatary": mandatary,
        "managed_mandataries": list(services.managed_mandataries(caller_for(request))),
        **data,
    }
    ctx = _context_if_any(request)
    if ctx is None:
        return render(request, template, data, status=status)
    return page(request, ctx, template, data, status=status)


def _owner_key(*, employer=None, mandatary=None) -> str:
    return f"employer:{employer.pk}" if employer is not None else f"mandatary:{mandatary.pk}"


def _keep_secret(request: HttpRequest, owner: str, new) -> None:
    request.session[_NEW_SECRET_KEY] = {
        "owner": owner,
        "name": new.client.name,
        "client_id": new.client_id,
        "client_secret": new.client_secret,
    }


def _take_secret(request: HttpRequest, owner: str) -> dict | None:
    """The secret of the client just created for ``owner``, once: it leaves the session
    with the first list page shown after the creation, whichever organisation's."""
    if request.method != "GET":
        return None
    kept = request.session.pop(_NEW_SECRET_KEY, None)
    if not isinstance(kept, dict) or kept.get("owner") != owner:
        return None
    return kept


def _client_rows(clients) -> list[ApiClient]:
    rows = list(clients.select_related("application"))
    for client in rows:
        client.scope_labels = [
            SCOPE_LABELS[scope] for scope in ("read", "declare") if scope in client.scope_set
        ]
    return rows


def _clients_page(request, ctx, *, errors=None, values=None, status=200):
    return page(
        request,
        ctx,
        "web/access_clients.html",
        {
            "clients": _client_rows(ApiClient.objects.filter(employer=ctx.employer)),
            "errors": errors or {},
            "values": values or {"scopes": ["read", "declare"]},
            "created": _take_secret(request, _owner_key(employer=ctx.employer)),
            "tab": "clients",
        },
        status=status,
    )


def _mandatary_clients_page(request, mandatary, *, errors=None, values=None, status=200):
    data = {
        "clients": _client_rows(ApiClient.objects.filter(mandatary=mandatary)),
        "errors": errors or {},
        "values": values or {"scopes": ["read", "declare"]},
        "created": _take_secret(request, _owner_key(mandatary=mandatary)),
    }
    return _mandatary_page(request, mandatary, "web/access_clients.html", data, status=status)


def _client_values(request: HttpRequest) -> dict:
    return {
        "name": request.POST.get("name", "").strip()[:300],
        "scopes": [s for s in request.POST.getlist("scopes") if s in ("read", "declare")][:2],
    }


def _confirm_revoke(client: ApiClient, action: str, cancel_url: str) -> dict:
    if not client.active:
        return {}
    return {
        "question": _("API-client %(name)s intrekken?") % {"name": client.name},
        "explanation": _(
            "De toepassing met client_id %(client_id)s krijgt dan geen toegang meer: haar "
            "tokens werken onmiddellijk niet meer. Dit kan niet ongedaan gemaakt worden; "
            "daarna is een nieuwe API-client nodig, met een nieuw geheim."
        )
        % {"client_id": client.client_id},
        "action": action,
        "hidden": {},
        "confirm_label": _("API-client intrekken"),
        "cancel_url": cancel_url,
        "testid": "confirm-revoke-client",
    }


@manager_view
@never_cache
def clients(request: HttpRequest, ctx: Context) -> HttpResponse:
    return _clients_page(request, ctx)


@manager_view
@form_target("web:access_clients")
@never_cache
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
    _keep_secret(request, _owner_key(employer=ctx.employer), new)
    return redirect("web:access_clients")


def _client(client_pk: int, **owner) -> ApiClient:
    """The API client ``client_pk`` of the owner (``employer=`` or ``mandatary=``); 404
    for any other."""
    return get_object_or_404(ApiClient.objects.select_related("application"), pk=client_pk, **owner)


def _ask_client_revoke(request: HttpRequest, ctx: Context, client_pk: int) -> HttpResponse:
    client = _client(client_pk, employer=ctx.employer)
    action = reverse("web:access_client_revoke", args=[client.pk])
    data = _confirm_revoke(client, action, reverse("web:access_clients"))
    if not data:
        return redirect("web:access_clients")
    return page(request, ctx, "web/access_confirm.html", {"tab": "clients", **data})


@manager_view
@asks_first(_ask_client_revoke)
def client_revoke(request: HttpRequest, ctx: Context, client_pk: int) -> HttpResponse:
    """GET: the question "revoke this client?"; POST, the answer: the client is revoked."""
    _client(client_pk, employer=ctx.employer)
    client = services.revoke_api_client(ctx.caller, ctx.employer, client_pk)
    messages.success(request, _("De API-client %(name)s is ingetrokken.") % {"name": client.name})
    return redirect("web:access_clients")


@mandatary_manager_view
@never_cache
def mandatary_clients(request: HttpRequest, mandatary: Mandatary) -> HttpResponse:
    return _mandatary_clients_page(request, mandatary)


@mandatary_manager_view
@form_target(lambda mandatary: reverse("web:mandatary_clients", args=[mandatary.pk]))
@never_cache
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
    # As for an employer's client: the list shows the secret once.
    _keep_secret(request, _owner_key(mandatary=mandatary), new)
    return redirect("web:mandatary_clients", mandatary_id=mandatary.pk)


def _ask_mandatary_client_revoke(
    request: HttpRequest, mandatary: Mandatary, client_pk: int
) -> HttpResponse:
    client = _client(client_pk, mandatary=mandatary)
    back = reverse("web:mandatary_clients", args=[mandatary.pk])
    action = reverse("web:mandatary_client_revoke", args=[mandatary.pk, client.pk])
    data = _confirm_revoke(client, action, back)
    if not data:
        return redirect(back)
    return _mandatary_page(request, mandatary, "web/access_confirm.html", data)


@mandatary_manager_view
@asks_first(_ask_mandatary_client_revoke)
def mandatary_client_revoke(
    request: HttpRequest, mandatary: Mandatary, client_pk: int
) -> HttpResponse:
    """GET: the question "revoke this client?"; POST, the answer: the client is revoked."""
    _client(client_pk, mandatary=mandatary)
    client = services.revoke_mandatary_api_client(caller_for(request), mandatary, client_pk)
    messages.success(request, _("De API-client %(name)s is ingetrokken.") % {"name": client.name})
    return redirect("web:mandatary_clients", mandatary_id=mandatary.pk)


# --- audit history -------------------------------------------------------------------

HISTORY_PAGE_SIZE = 50


def history_table() -> Table:
    def changes(entry):
        return f"{_(';')} ".join(
            f"{c['zone']}{_(':')} {c['before']} → {c['after']}" for c in diff(entry)["changes"]
        )

    return Table(
        columns=[
            # In local time, as the page shows it (stored in UTC).
            Column(
                "at",
                gettext_lazy("Tijdstip"),
                lambda e: timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            ),
            # Kinds, actions, zones and values in words, as the page shows them.
            Column(
                "entity", gettext_lazy("Soort"), lambda e: ENTITY_LABELS.get(e.entity, e.entity)
            ),
            Column("entity_id", gettext_lazy("Id"), lambda e: e.entity_id),
            Column(
                "action", gettext_lazy("Handeling"), lambda e: ACTION_LABELS.get(e.action, e.action)
            ),
            Column("channel", gettext_lazy("Kanaal"), lambda e: e.get_channel_display()),
            Column("actor", gettext_lazy("Door"), lambda e: e.actor),
            Column("changes", gettext_lazy("Wijzigingen"), changes),
        ],
        default_sort="at",
    )


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
            "entries": [diff(e) for e in current.object_list],
            "page_obj": current,
            "filters": filters,
            "errors": errors,
            "entities": sorted(ENTITY_LABELS.items()),
            "actions": [(a, ACTION_LABELS.get(a, a)) for a in actions[:100]],
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
