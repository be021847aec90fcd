"""Who is calling, and which employers they may read or declare for.

Every channel builds a ``Caller`` and passes it down; every query of employer data is
scoped by ``caller.employer_ids(permission)``. A mandate counts from its start date
to its end date included, so an ended mandate cuts access at once, on every channel.
"""

from __future__ import annotations

import datetime as dt
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
        """Ids of the employers this caller may act on with ``permission``."""
        if permission in self._cache:
            return self._cache[permission]
        ids = frozenset(self._compute(permission))
        self._cache[permission] = ids
        return ids

    def can(self, employer_id: int, permission: str = READ) -> bool:
        if self.system:
            return True
        return employer_id in self.employer_ids(permission)

    def _compute(self, permission: str) -> set[int]:
        from fla.accounts.models import EmployerAccess, MandataryAccess, Mandate
        from fla.employers.models import Employer

        if self.system:
            return set(Employer.objects.values_list("id", flat=True))
        if permission not in self.scopes:
            return set()
        ids: set[int] = set()
        if self.user_id is not None:
            roles = [r for r, grants in _GRANTS.items() if permission in grants]
            ids |= set(
                EmployerAccess.objects.filter(user_id=self.user_id, role__in=roles).values_list(
                    "employer_id", flat=True
                )
            )
            if permission != MANAGE:
                mandataries = MandataryAccess.objects.filter(
                    user_id=self.user_id, role__in=roles
                ).values_list("mandatary_id", flat=True)
                ids |= set(
                    Mandate.objects.filter(active_mandates(), mandatary_id__in=mandataries)
                    .values_list("employer_id", flat=True)
                )
        if self.employer_id is not None and permission != MANAGE:
            ids.add(self.employer_id)
        if self.mandatary_id is not None and permission != MANAGE:
            ids |= set(
                Mandate.objects.filter(active_mandates(), mandatary_id=self.mandatary_id)
                .values_list("employer_id", flat=True)
            )
        return ids
