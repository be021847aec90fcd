"""Who is calling, and which employers they may read or declare for.

Every channel builds a ``Caller`` and passes it down; every query of employer data is
scoped by ``caller.employer_ids(permission)``. A mandate counts from its start date
to its end date included, so an ended mandate cuts access at once, on every channel.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from fla.core.choices import Channel, Role

READ, DECLARE, MANAGE = "read", "declare", "manage"
_GRANTS = {
    Role.READ: {READ},
    Role.DECLARE: {READ, DECLARE},
    Role.MANAGE: {READ, DECLARE, MANAGE},
}


def active_mandates(day: dt.date | None = None) -> Q:
    day = day or timezone.localdate()
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


@dataclass
class Caller:
    """The person or API client behind a request, and the channel it came through."""

    channel: str
    label: str
    user_id: int | None = None
    employer_id: int | None = None  # an API client of an employer
    mandatary_id: int | None = None  # an API client of a mandatary
    scopes: frozenset[str] = frozenset({READ, DECLARE})
    system: bool = False
    # The employers of the organisation a BATCH file was sent for: whatever else the
    # person or client behind it may reach, the file acts on these only.
    within: frozenset[int] | None = None
    _cache: dict[str, frozenset[int]] = field(default_factory=dict, repr=False)

    @classmethod
    def for_user(cls, user, channel: str = Channel.WEB) -> Caller:
        label = user.get_full_name() or user.username
        # A person may also manage access where a role says so; API clients never can.
        scopes = frozenset({READ, DECLARE, MANAGE})
        return cls(channel=channel, label=label, user_id=user.pk, scopes=scopes)

    @classmethod
    def for_system(cls, label: str = "system") -> Caller:
        return cls(channel=Channel.SYSTEM, label=label, system=True)

    def employer_ids(self, permission: str = READ) -> frozenset[int]:
        """Ids of the employers this caller may act on with ``permission``.

        Every permission is resolved at the first call, in one pass (one query for a
        person, at most one for an API client), and kept for the life of this caller,
        which is one request.
        """
        if not self._cache:
            self._cache.update(self._resolve())
        return self._cache.get(permission, frozenset())

    def can(self, employer_id: int, permission: str = READ) -> bool:
        if self.system and self.within is None:
            return True
        return employer_id in self.employer_ids(permission)

    def _resolve(self) -> dict[str, frozenset[int]]:
        from fla.accounts.models import Mandate
        from fla.employers.models import Employer

        if self.system:
            every = frozenset(Employer.objects.values_list("id", flat=True))
            if self.within is not None:
                every &= self.within
            return {READ: every, DECLARE: every, MANAGE: every}
        found: dict[str, set[int]] = {READ: set(), DECLARE: set(), MANAGE: set()}
        if self.user_id is not None:
            for employer_id, role, mandated in _person_grants(self.user_id):
                for permission in _GRANTS.get(role, ()):
                    # Through a mandatary: never MANAGE (an employer's own managers only).
                    if not (mandated and permission == MANAGE):
                        found[permission].add(employer_id)
        if self.employer_id is not None:
            found[READ].add(self.employer_id)
            found[DECLARE].add(self.employer_id)
        if self.mandatary_id is not None:
            mandated_ids = set(
                Mandate.objects.filter(
                    active_mandates(), mandatary_id=self.mandatary_id
                ).values_list("employer_id", flat=True)
            )
            found[READ] |= mandated_ids
            found[DECLARE] |= mandated_ids
        if self.within is not None:
            found = {permission: ids & self.within for permission, ids in found.items()}
        # A scope the caller lacks (an API token without "declare") grants nothing.
        return {
            permission: frozenset(ids) if permission in self.scopes else frozenset()
            for permission, ids in found.items()
        }


def _person_grants(user_id: int, day: dt.date | None = None) -> list[tuple[int, str, bool]]:
    """(employer id, role, through a mandate) of every access of a person: their own
    accesses, and their mandataries' roles on each employer under a mandate active on
    ``day``. One statement (a ``bulk.tagged_union``, compiled once)."""
    rows = _person_grants_statement().rows(user=user_id, day=day or timezone.localdate())
    return [(employer_id, role, tag == "m") for tag, employer_id, role in rows]


@functools.cache
def _person_grants_statement():
    from fla.accounts.models import EmployerAccess, Mandate
    from fla.core.statements import Statement

    return Statement(
        lambda p: {
            "o": (
                EmployerAccess.objects.filter(user_id=p.user).values_list("employer_id", "role"),
                ("employer_id", "role"),
            ),
            "m": (
                Mandate.objects.filter(
                    active_mandates(p.day), mandatary__accesses__user_id=p.user
                ).values_list("employer_id", "mandatary__accesses__role"),
                ("employer_id", "mandatary__accesses__role"),
            ),
        }
    )
