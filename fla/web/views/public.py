"""The welcome page, logging in and out, and choosing an employer (seed §2)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from fla.accounts.access import READ
from fla.accounts.models import User
from fla.employers.models import Employer
from fla.web import current
from fla.web.oidc import oidc_configured


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for whatever the page links: the icon the
    pages link (web/favicon.svg), under its static name (hashed in production, served
    by whitenoise). Not permanent: the name changes with the icon."""
    response = HttpResponseRedirect(static("web/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def welcome(request: HttpRequest) -> HttpResponse:
    return render(request, "web/welcome.html", {"demo_login": settings.DEMO_LOGIN})


def login(request: HttpRequest) -> HttpResponse:
    """The button "De opleidingsrekeningen beheren": start the login."""
    if request.user.is_authenticated:
        return redirect("web:home")
    next_url = _safe_next(request)
    if oidc_configured():
        return redirect(reverse("web:oidc_init") + "?" + urlencode({"next": next_url}))
    if settings.DEMO_LOGIN:
        return redirect(reverse("web:demo_login") + "?" + urlencode({"next": next_url}))
    return render(request, "web/login_unavailable.html", status=503)


def login_failed(request: HttpRequest) -> HttpResponse:
    return render(request, "web/login_failed.html", status=403)


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("web:home")


def demo_users():
    """Users who can see at least one employer, directly or through a mandatary."""
    return (
        User.objects.filter(
            Q(employer_accesses__isnull=False) | Q(mandatary_accesses__isnull=False),
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
        .prefetch_related("employer_accesses__employer", "mandatary_accesses__mandatary")
    )


def demo_login(request: HttpRequest) -> HttpResponse:
    """Embedded profile only: log in as a demo user with one click."""
    if not settings.DEMO_LOGIN:
        raise Http404
    if request.method == "POST":
        try:
            user = demo_users().get(pk=int(request.POST.get("user", "")))
        except (ValueError, User.DoesNotExist):
            messages.error(request, _("Kies een gebruiker uit de lijst."))
            return redirect("web:demo_login")
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_safe_next(request))
    return render(
        request, "web/demo_login.html", {"users": demo_users()[:200], "next": _safe_next(request)}
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("web:welcome")


@login_required
def no_access(request: HttpRequest) -> HttpResponse:
    return render(request, "web/no_access.html", status=403)


@login_required
def choose_employer(request: HttpRequest) -> HttpResponse:
    """Pick the employer to work on; a mandatary may have many."""
    ids = current.caller_for(request).employer_ids(READ)
    if request.method == "POST":
        try:
            employer_id = int(request.POST.get("employer", ""))
        except ValueError:
            raise Http404 from None
        current.choose(request, employer_id)
        return redirect(_safe_next(request))
    if not ids:
        return redirect("web:no_access")
    employers = Employer.objects.filter(pk__in=ids).order_by("name")
    term = request.GET.get("q", "").strip()
    if term:
        digits = "".join(ch for ch in term if ch.isdigit())
        match = Q(name__icontains=term)
        if digits:
            match |= Q(enterprise_number__contains=digits)
        employers = employers.filter(match)
    return render(
        request,
        "web/choose_employer.html",
        {
            "employers": employers[:200],
            "count": len(ids),
            "term": term,
            "next": _safe_next(request),
            "current_id": request.session.get(current.SESSION_KEY),
        },
    )
