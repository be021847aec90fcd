"""The employer a web user is working on, kept in the session.

Every view of the application resolves it here, through ``Caller.for_user``: the
session only remembers a choice, the caller's access decides whether it still holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property, wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from fla.accounts.access import DECLARE, MANAGE, READ, Caller
from fla.core.statements import Statement, fields_of
from fla.employers.models import Employer
from fla.rights.models import Account

SESSION_KEY = "fla_employer_id"
# The employer a form was shown for: a form sent after the employer was switched in
# another window of the same session must not act for the new one.
FORM_EMPLOYER = "for_employer"


@dataclass
class Context:
    """What every page of the application knows about who is working on what."""

    caller: Caller
    employer: Employer
    employer_ids: frozenset[int]
    can_declare: bool
    worker_count: int  # the employer's accounts, counted in this request

    @cached_property
    def can_manage(self) -> bool:
        """An access manager of this employer (the menu item and pages of access)."""
        return self.employer.pk in self.caller.employer_ids(MANAGE)

    @property
    def large(self) -> bool:
        return self.worker_count >= settings.FLA_LARGE_ENTERPRISE_THRESHOLD

    @property
    def several_employers(self) -> bool:
        return len(self.employer_ids) > 1


def caller_for(request: HttpRequest) -> Caller:
    caller = getattr(request, "_fla_caller", None)
    if caller is None:
        caller = Caller.for_user(request.user)
        request._fla_caller = caller
    return caller


def chosen_employer_id(request: HttpRequest) -> int | None:
    """The employer id of the session if the caller may still read it, else the only one."""
    ids = caller_for(request).employer_ids(READ)
    chosen = request.session.get(SESSION_KEY)
    if chosen in ids:
        return chosen
    if len(ids) == 1:
        return next(iter(ids))
    return None


def choose(request: HttpRequest, employer_id: int) -> None:
    if employer_id not in caller_for(request).employer_ids(READ):
        raise Http404
    request.session[SESSION_KEY] = employer_id


_account_count = (
    Account.objects.filter(employer=OuterRef("pk"))
    .order_by()
    .values("employer")
    .annotate(n=Count("id"))
    .values("n")
)


_EMPLOYER_AND_COUNT = Statement(
    lambda p: (
        Employer.objects.filter(pk=p.pk)
        .annotate(fla_worker_count=Coalesce(Subquery(_account_count), 0))
        .values_list(*fields_of(Employer), "fla_worker_count")
    )
)


def employer_view(view):
    """Login required; passes ``ctx`` (a ``Context``) or sends the user to the chooser."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        caller = caller_for(request)
        employer_id = chosen_employer_id(request)
        if employer_id is None:
            if not caller.employer_ids(READ):
                return redirect("web:no_access")
            return redirect(_chooser_url() + "?" + urlencode({"next": request.get_full_path()}))
        ctx = _context(request, employer_id)
        if ctx is None:
            raise Http404
        if request.method == "POST" and request.POST.get(FORM_EMPLOYER, str(employer_id)) != str(
            employer_id
        ):
            messages.error(
                request,
                _(
                    "Dit formulier hoorde bij een andere werkgever: intussen werk je voor "
                    "%(name)s (gewisseld in een ander venster). Er werd niets opgeslagen."
                )
                % {"name": ctx.employer.name},
            )
            return redirect("web:home")
        response = view(request, ctx, *args, **kwargs)
        if request.method == "POST" and response.status_code < 400:
            # This person may just have changed the employer's data: the dashboard's
            # charts must show it to them (``queries.charts``).
            request.session[_CHANGED_KEY + str(employer_id)] = time.time()
        return response

    return wrapper


def _context(request: HttpRequest, employer_id: int) -> Context | None:
    caller = caller_for(request)
    # The employer and its number of workers (accounts) in one query.
    found = _EMPLOYER_AND_COUNT.objects("fla_worker_count", pk=employer_id)
    if not found:
        return None
    employer = found[0]
    request.fla = Context(
        caller=caller,
        employer=employer,
        employer_ids=caller.employer_ids(READ),
        can_declare=employer_id in caller.employer_ids(DECLARE),
        worker_count=employer.fla_worker_count,
    )
    return request.fla


def current_context(request: HttpRequest) -> Context | None:
    """The context of the employer the user is working on, if any, for pages that are
    not about one employer (BATCH files): their header and menu are the application's."""
    employer_id = chosen_employer_id(request)
    return _context(request, employer_id) if employer_id is not None else None


_CHANGED_KEY = "fla_changed_"


def last_change_of(request: HttpRequest, employer_id: int) -> float | None:
    """When this session last sent a change for the employer (``time.time()``), if ever."""
    return request.session.get(_CHANGED_KEY + str(employer_id))


def _chooser_url() -> str:
    from django.urls import reverse

    return reverse("web:choose_employer")


def manager_view(view):
    """Like ``employer_view``, for access managers of the chosen employer only: others get 404."""

    @employer_view
    @wraps(view)
    def wrapper(request: HttpRequest, ctx: Context, *args, **kwargs):
        if not ctx.can_manage:
            raise Http404
        return view(request, ctx, *args, **kwargs)

    return wrapper
