"""Small builders of test data, shared by every test package.

They write directly to the models: tests set up the world, then exercise the channels
and the write path against it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from stdnum.be import nn, vat

from fla.accounts.models import EmployerAccess, Mandatary, MandataryAccess, Mandate, User
from fla.employers.models import Employer
from fla.rights.models import TrainingRight
from fla.workers.models import Employment, Worker

_serial = itertools.count(1)


def make_enterprise_number(seed: int | None = None) -> str:
    """A valid KBO/BCE number: 10 digits, the last two a mod-97 check.

    Numbers made without a seed are 06..., apart from those the tests write out
    (0400000383, 0403170701, ...): a test that sends a file for another sender must
    never find it to be the sender its factory made, whatever ran before it."""
    base = (6000000 + next(_serial)) if seed is None else 4000000 + seed
    body = f"{base:08d}"
    return body + f"{97 - int(body) % 97:02d}"


def make_insz(birth: dt.date = dt.date(1985, 7, 30), serial: int | None = None) -> str:
    """A valid national number for a birth date and a serial (1-997)."""
    serial = (next(_serial) % 997) + 1 if serial is None else serial
    body = f"{birth:%y%m%d}{serial:03d}"
    check_base = int(("2" + body) if birth.year >= 2000 else body)
    insz = body + f"{97 - check_base % 97:02d}"
    assert nn.is_valid(insz), insz
    return insz


def make_employer(name: str = "Acme", **kwargs) -> Employer:
    number = kwargs.pop("enterprise_number", None) or make_enterprise_number()
    assert vat.is_valid(number), number
    return Employer.objects.create(name=name, enterprise_number=number, **kwargs)


def make_worker(
    employer: Employer | None = None,
    *,
    start=dt.date(2020, 1, 1),
    end=None,
    regime=Decimal("1"),
    joint_committee="200",
    **kwargs,
) -> Worker:
    kwargs.setdefault("first_name", "Jan")
    kwargs.setdefault("last_name", f"Peeters{next(_serial)}")
    kwargs.setdefault("insz", make_insz())
    worker = Worker.objects.create(**kwargs)
    if employer is not None:
        Employment.objects.create(
            worker=worker,
            employer=employer,
            start_date=start,
            end_date=end,
            regime=regime,
            joint_committee=joint_committee,
        )
    return worker


def grant_right(
    employer: Employer,
    worker: Worker,
    *,
    year: int = 2025,
    right_type: str = "legal",
    source: str = "computed",
    minutes: int = 2280,
) -> TrainingRight:
    """A training right of ``worker`` with ``employer``: by default the computed legal
    right of a full-timer in 2025, 5 days of 7:36 (2280 minutes, 38:00)."""
    return TrainingRight.objects.create(
        employer=employer,
        worker=worker,
        year=year,
        right_type=right_type,
        source=source,
        minutes=minutes,
    )


def make_worker_with_right(
    employer: Employer, *, minutes: int = 2280, start=dt.date(2024, 1, 1), **kwargs
) -> Worker:
    """A worker employed since 2024 with a computed legal right of ``minutes`` in 2025
    (by default 2280, 5 days: 38:00)."""
    worker = make_worker(employer, start=start, **kwargs)
    grant_right(employer, worker, minutes=minutes)
    return worker


def training_zones(insz: str, reference: str | None = None, /, **zones) -> dict:
    """The zones of a training declaration, by default a completed formal training of
    7:30 on 10 and 11 March 2025; with ``reference`` among them where the channel carries
    it there (an API PUT has it in its URL). ``zones`` change any of them, the INSZ and
    the reference too."""
    data = {"insz": insz} if reference is None else {"insz": insz, "reference": reference}
    data.update(
        title="Veiligheid op de werkvloer",
        kind="formal",
        start_date="2025-03-10",
        end_date="2025-03-11",
        duration_minutes=450,
        status="completed",
    )
    data.update(zones)
    return data


def make_user(username: str | None = None, **kwargs) -> User:
    username = username or f"user{next(_serial)}"
    kwargs.setdefault("insz", make_insz(dt.date(1970, 1, 1)))
    return User.objects.create_user(username=username, **kwargs)


def grant(user: User, employer: Employer, role: str = "declare") -> EmployerAccess:
    return EmployerAccess.objects.create(user=user, employer=employer, role=role)


def make_mandatary(name: str = "Social Secretariat", **kwargs) -> Mandatary:
    kwargs.setdefault("enterprise_number", make_enterprise_number())
    return Mandatary.objects.create(name=name, **kwargs)


def mandate(
    mandatary: Mandatary, employer: Employer, start=dt.date(2024, 1, 1), end=None
) -> Mandate:
    return Mandate.objects.create(
        mandatary=mandatary, employer=employer, start_date=start, end_date=end
    )


def join(user: User, mandatary: Mandatary, role: str = "declare") -> MandataryAccess:
    return MandataryAccess.objects.create(user=user, mandatary=mandatary, role=role)
