"""Changing who may see an employer's data: users' access, mandates and API clients.

Access data is not a declaration, so it does not go through the write path of
declarations; it goes through these functions, and only these. Each checks that the
caller is an access manager of the employer (for a mandatary's API clients: a member
of the mandatary with the role ``manage``), applies the change in one transaction
and writes a ``HistoryEntry`` (entity ``access``, ``mandate`` or ``api-client``) with
who, when, the channel, and the state before and after. The INSZ of a user is kept
masked in the history: the access manager typed it, the history does not need it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from fla.accounts.access import MANAGE, Caller
from fla.accounts.models import EmployerAccess, Mandatary, Mandate, User
from fla.audit.models import HistoryEntry
from fla.core.choices import Role
from fla.core.identifiers import (
    InvalidIdentifier,
    clean_enterprise_number,
    clean_insz,
    mask_insz,
)
from fla.employers.models import Employer


class AccessError(ValueError):
    """A change of access that cannot be made; ``zone`` names the form field concerned."""

    def __init__(self, code: str, zone: str = ""):
        super().__init__(code)
        self.code = code
        self.zone = zone


class NotManager(PermissionError):
    """The caller is not an access manager of this employer."""


def username_for_insz(insz: str) -> str:
    """The username of a person known by INSZ: a one-way digest, never the INSZ itself."""
    return "oidc-" + hashlib.sha256(insz.encode()).hexdigest()[:20]


def _require_manager(caller: Caller, employer: Employer) -> None:
    if not caller.can(employer.pk, MANAGE):
        raise NotManager(employer.pk)


def _record(
    caller: Caller,
    employer: Employer | None,
    entity: str,
    entity_id: Any,
    action: str,
    before: dict | None,
    after: dict | None,
) -> HistoryEntry:
    return HistoryEntry.objects.create(
        at=timezone.now(),
        employer=employer,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        channel=caller.channel,
        actor=caller.label[:200],
        actor_user_id=caller.user_id,
        before=before,
        after=after,
    )


def _access_state(access: EmployerAccess) -> dict[str, Any]:
    user = access.user
    return {
        "user": user.get_full_name() or user.username,
        "insz": mask_insz(user.insz) if user.insz else "",
        "role": access.role,
    }


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise AccessError("unknown-role", "role")
    return role


def _managers_left(employer: Employer, without: EmployerAccess) -> int:
    return (
        EmployerAccess.objects.select_for_update()
        .filter(employer=employer, role=Role.MANAGE)
        .exclude(pk=without.pk)
        .count()
    )


# --- users' access -------------------------------------------------------------------


def grant_access(
    caller: Caller,
    employer: Employer,
    *,
    insz: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> EmployerAccess:
    """Give the person with this INSZ access to the employer with ``role``.

    A person who never logged in becomes a ``User`` with that INSZ and no usable
    password; the OpenID Connect login finds them by the INSZ claim. A person who
    already has access gets the new role.
    """
    _require_manager(caller, employer)
    try:
        insz = clean_insz(insz)
    except InvalidIdentifier:
        raise AccessError("invalid-insz", "insz") from None
    _check_role(role)
    first_name, last_name = first_name.strip()[:150], last_name.strip()[:150]
    with transaction.atomic():
        user = User.objects.select_for_update().filter(insz=insz).first()
        if user is None:
            user = User(
                username=username_for_insz(insz),
                insz=insz,
                first_name=first_name,
                last_name=last_name,
            )
            user.set_unusable_password()
            user.save()
        access = (
            EmployerAccess.objects.select_for_update()
            .filter(user=user, employer=employer)
            .select_related("user")
            .first()
        )
        if access is not None:
            return _change_role(caller, employer, access, role)
        access = EmployerAccess.objects.create(user=user, employer=employer, role=role)
        _record(caller, employer, "access", user.pk, "grant", None, _access_state(access))
    return access


def change_role(caller: Caller, access: EmployerAccess, role: str) -> EmployerAccess:
    """Give a user of the employer another role; the last access manager keeps his."""
    employer = access.employer
    _require_manager(caller, employer)
    _check_role(role)
    with transaction.atomic():
        locked = EmployerAccess.objects.select_for_update().select_related("user").get(pk=access.pk)
        return _change_role(caller, employer, locked, role)


def _change_role(
    caller: Caller, employer: Employer, access: EmployerAccess, role: str
) -> EmployerAccess:
    if access.role == role:
        return access
    if access.role == Role.MANAGE and not _managers_left(employer, access):
        raise AccessError("last-manager", "role")
    before = _access_state(access)
    access.role = role
    access.save(update_fields=["role"])
    _record(caller, employer, "access", access.user_id, "change", before, _access_state(access))
    return access


def revoke_access(caller: Caller, access: EmployerAccess) -> None:
    """Take a user's access to the employer away; the last access manager cannot go."""
    employer = access.employer
    _require_manager(caller, employer)
    with transaction.atomic():
        locked = (
            EmployerAccess.objects.select_for_update()
            .select_related("user")
            .filter(pk=access.pk)
            .first()
        )
        if locked is None:
            return
        if locked.role == Role.MANAGE and not _managers_left(employer, locked):
            raise AccessError("last-manager", "role")
        before = _access_state(locked)
        locked.delete()
        _record(caller, employer, "access", locked.user_id, "revoke", before, None)


# --- mandates ------------------------------------------------------------------------


def _mandate_state(mandate: Mandate) -> dict[str, Any]:
    return {
        "mandatary": mandate.mandatary.name,
        "enterprise_number": mandate.mandatary.enterprise_number,
        "start_date": mandate.start_date.isoformat(),
        "end_date": mandate.end_date.isoformat() if mandate.end_date else None,
    }


def grant_mandate(
    caller: Caller,
    employer: Employer,
    *,
    enterprise_number: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> Mandate:
    """Mandate a known mandatary organisation for the employer from ``start_date``.

    A mandate may not overlap another mandate of the same organisation.
    """
    _require_manager(caller, employer)
    try:
        number = clean_enterprise_number(enterprise_number)
    except InvalidIdentifier:
        raise AccessError("invalid-enterprise-number", "enterprise_number") from None
    mandatary = Mandatary.objects.filter(enterprise_number=number).first()
    if mandatary is None:
        raise AccessError("unknown-mandatary", "enterprise_number")
    if start_date is None:
        raise AccessError("start-required", "start_date")
    if end_date is not None and end_date < start_date:
        raise AccessError("end-before-start", "end_date")
    with transaction.atomic():
        # Lock the employer row so that two managers cannot add overlapping mandates.
        Employer.objects.select_for_update().filter(pk=employer.pk).first()
        overlapping = Mandate.objects.filter(employer=employer, mandatary=mandatary).exclude(
            end_date__lt=start_date
        )
        if end_date is not None:
            overlapping = overlapping.filter(start_date__lte=end_date)
        if overlapping.exists():
            raise AccessError("mandate-overlaps", "start_date")
        mandate = Mandate.objects.create(
            employer=employer, mandatary=mandatary, start_date=start_date, end_date=end_date
        )
        _record(caller, employer, "mandate", mandate.pk, "grant", None, _mandate_state(mandate))
    return mandate


def mandate_end_date(mandate: Mandate, end_date: dt.date | None) -> dt.date | None:
    """The last day ``mandate`` gets when it is ended on ``end_date``; without a date it
    ends at once, so its last day is yesterday. None when it already ends by then:
    ending it changes nothing. A day before yesterday is refused (``end-in-past``). A
    mandate that had not started yet is withdrawn: it ends the day before it starts."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    last_day = end_date if end_date is not None else yesterday
    if mandate.end_date is not None and mandate.end_date <= last_day:
        return None  # already ends by then: nothing to shorten
    if last_day < yesterday:
        raise AccessError("end-in-past", "end_date")
    return max(last_day, mandate.start_date - dt.timedelta(days=1))


def end_mandate(caller: Caller, mandate: Mandate, end_date: dt.date | None = None) -> Mandate:
    """End a mandate on ``end_date`` (``mandate_end_date``); without a date, at once.

    Every channel checks the active mandates at each request, so the mandatary's
    users and API clients lose access with the next request they make.
    """
    employer = mandate.employer
    _require_manager(caller, employer)
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().select_related("mandatary").get(pk=mandate.pk)
        new_end = mandate_end_date(locked, end_date)
        if new_end is None:
            return locked
        before = _mandate_state(locked)
        locked.end_date = new_end
        locked.save(update_fields=["end_date"])
        _record(caller, employer, "mandate", locked.pk, "end", before, _mandate_state(locked))
    return locked


# --- API clients ---------------------------------------------------------------------
#
# An API client belongs to one organisation: an employer (managed by the employer's
# access managers) or a mandatary (managed by the mandatary's members with the role
# ``manage``, for every employer that mandates it). The history entry of a mandatary's
# client has no employer: it names the mandatary in its state.


class NotMandataryManager(PermissionError):
    """The caller is not a member of this mandatary with the role ``manage``."""


def managed_mandataries(caller: Caller):
    """The mandataries whose API clients this person may manage (role ``manage``)."""
    if caller.user_id is None or MANAGE not in caller.scopes:
        return Mandatary.objects.none()
    return Mandatary.objects.filter(
        accesses__user_id=caller.user_id, accesses__role=Role.MANAGE
    ).order_by("name")


def _require_mandatary_manager(caller: Caller, mandatary: Mandatary) -> None:
    if not managed_mandataries(caller).filter(pk=mandatary.pk).exists():
        raise NotMandataryManager(mandatary.pk)


def _client_state(client) -> dict[str, Any]:
    state = {
        "name": client.name,
        "client_id": client.application.client_id,
        "scopes": client.scopes,
        "revoked": client.revoked_at is not None,
    }
    if client.mandatary_id is not None:
        state["mandatary"] = client.mandatary.enterprise_number
    return state


def _create_client(caller: Caller, *, name: str, scopes: list[str], **owner):
    from fla.api.services import ApiClientError, ClientNameTaken, create_client

    name = (name or "").strip()
    if not name or len(name) > 200:
        raise AccessError("client-name", "name")
    if not scopes or any(s not in ("read", "declare") for s in scopes):
        raise AccessError("client-scopes", "scopes")
    with transaction.atomic():
        try:
            new = create_client(
                name=name,
                scopes=scopes,
                created_by=User.objects.filter(pk=caller.user_id).first(),
                **owner,
            )
        except ClientNameTaken:
            raise AccessError("client-name-taken", "name") from None
        except ApiClientError:
            raise AccessError("client-name", "name") from None
        _record(
            caller,
            owner.get("employer"),
            "api-client",
            new.client.pk,
            "create",
            None,
            _client_state(new.client),
        )
    return new


def _revoke_client(caller: Caller, client_pk: int, **owner):
    """Revoke the client ``client_pk`` of ``owner`` (``employer=`` or ``mandatary=``)."""
    from fla.api.models import ApiClient
    from fla.api.services import revoke_client

    client = ApiClient.objects.select_related("application", *owner).get(pk=client_pk, **owner)
    if client.revoked_at is not None:
        return client
    employer, mandatary = client.employer, client.mandatary
    with transaction.atomic():
        before = _client_state(client)
        client = revoke_client(client.application.client_id)
        client.employer, client.mandatary = employer, mandatary
        _record(caller, employer, "api-client", client.pk, "revoke", before, _client_state(client))
    return client


def create_api_client(caller: Caller, employer: Employer, *, name: str, scopes: list[str]):
    """Register an API client of the employer; the returned ``NewClient`` holds the secret."""
    _require_manager(caller, employer)
    return _create_client(caller, name=name, scopes=scopes, employer=employer)


def revoke_api_client(caller: Caller, employer: Employer, client_pk: int):
    """Revoke one of the employer's API clients: its tokens stop working at once."""
    _require_manager(caller, employer)
    return _revoke_client(caller, client_pk, employer=employer)


def create_mandatary_api_client(
    caller: Caller, mandatary: Mandatary, *, name: str, scopes: list[str]
):
    """Register an API client of the mandatary (it acts for every employer that mandates
    it, while the mandate runs); the returned ``NewClient`` holds the secret."""
    _require_mandatary_manager(caller, mandatary)
    return _create_client(caller, name=name, scopes=scopes, mandatary=mandatary)


def revoke_mandatary_api_client(caller: Caller, mandatary: Mandatary, client_pk: int):
    """Revoke one of the mandatary's API clients: its tokens stop working at once."""
    _require_mandatary_manager(caller, mandatary)
    return _revoke_client(caller, client_pk, mandatary=mandatary)
