"""Deterministic demo and benchmark data, declared through the one write path.

``seed_demo`` builds the demo world of the embedded default; ``generate`` builds larger
data sets for benchmarks. Both use a seeded random generator, so the same arguments
always give the same data. Organisations, users, access and sector rules are set up
directly (they are not declarations); workers, employments, rights and trainings go
through ``fla.declarations.services.submit`` like any other channel's data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fla.accounts.access import Caller
from fla.accounts.models import EmployerAccess, Mandatary, MandataryAccess, Mandate, User
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.employers.models import Employer
from fla.rights.models import SectorRule

FIRST_NAMES = (
    "Lucas Noah Louis Liam Arthur Adam Jules Victor Mohamed Finn Lars Wout Ruben Elias Thomas "
    "Emma Olivia Louise Mila Elena Nora Marie Julie Sarah Lina Fien Lotte Hanne Amira Yasmine "
    "Jan Pieter Koen Bart Tom Dirk Geert Luc Marc Peter Anne Sofie Katrien Els Ilse Griet "
    "Pierre Jean Nicolas Antoine Camille Chloé Manon Léa Inès Zoé Hugo Maxime Théo Sacha"
).split()
LAST_NAMES = (
    "Peeters Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters De_Smet Dubois "
    "Lambert Dupont Martin Simon Leclercq Laurent Hermans Michiels Van_den_Broeck Aerts "
    "Desmet Vermeulen Van_Damme Pauwels Declercq Cools Verhoeven Smets Lemmens Verbeke "
    "Claeys Segers Hendrickx Van_Dyck Bogaert Coppens Stevens Renard Mathieu Mahieu "
    "El_Amrani Benali Yilmaz Kaya Nowak Kowalski Rossi Ferrari Garcia Fernandes"
).split()
TRAININGS = [
    ("Veiligheid op de werkvloer (VCA)", "formal", "Prevent vzw", 480),
    ("Eerste hulp op het werk", "formal", "Rode Kruis Vlaanderen", 900),
    ("Excel voor gevorderden", "formal", "Syntra", 720),
    ("Heftruckbestuurder", "formal", "Educam", 1440),
    ("Timemanagement", "formal", "Vlerick", 420),
    ("Coaching op de werkvloer", "informal", "", 120),
    ("Peter-meterschap nieuwe collega", "informal", "", 240),
    ("Workshop klantvriendelijkheid", "informal", "Intern", 180),
    ("Conferentie logistiek 4.0", "informal", "VIL", 450),
    ("GDPR en privacy", "formal", "Agoria", 210),
    ("Français professionnel", "formal", "IFAPME", 1800),
    ("Leidinggeven aan een team", "formal", "Vlerick", 1350),
]
# Illustrative sector rules (joint committee, size class, year -> days). PC 200 follows
# the sector agreement quoted in DOMAIN.md; the others are examples for the demo.
SECTOR_RULES = [
    *[("200", "20plus", year, days) for year, days in
      [(2024, 3), (2025, 3), (2026, 4), (2027, 4), (2028, 5)]],
    *[("118", "20plus", year, Decimal("2.5")) for year in range(2024, 2029)],
    *[("118", "10to19", year, Decimal("1.5")) for year in range(2024, 2029)],
    *[("302", "20plus", year, Decimal("2")) for year in range(2024, 2029)],
]


@dataclass(frozen=True)
class EmployerSpec:
    name: str
    workers: int
    joint_committees: tuple[str, ...]
    language: str = "nl"
    trainings_per_worker_year: float = 1.5


DEMO_EMPLOYERS = [
    EmployerSpec("Bakkerij Janssens", 15, ("118",), trainings_per_worker_year=2.0),
    EmployerSpec("Vandenberghe Logistics", 250, ("200",), trainings_per_worker_year=1.5),
    EmployerSpec("Groep Delta Industries", 20_000, ("200", "111", "209"), language="nl",
                 trainings_per_worker_year=0.7),
]
DEMO_PASSWORDLESS_USERS = [
    # username, full name, employer index or None for the mandatary, role
    ("an.hr", "An Claes", 0, "manage"),
    ("bram.hr", "Bram Willems", 1, "manage"),
    ("carla.hr", "Carla Dupont", 2, "manage"),
    ("dirk.lezer", "Dirk Maes", 1, "read"),
    ("sofie.secretariaat", "Sofie Peeters", None, "declare"),
]


def enterprise_number(rng: random.Random) -> str:
    body = f"0{rng.randrange(2_000_000, 9_999_999):07d}"
    return body + f"{97 - int(body) % 97:02d}"


def insz_for(birth: dt.date, serial: int) -> str:
    body = f"{birth:%y%m%d}{serial:03d}"
    base = int(("2" + body) if birth.year >= 2000 else body)
    return body + f"{97 - base % 97:02d}"


class People:
    """Unique, valid INSZs with names, from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def person(self) -> tuple[str, str, str]:
        while True:
            birth = dt.date(1960, 1, 1) + dt.timedelta(days=self.rng.randrange(0, 365 * 44))
            insz = insz_for(birth, self.rng.randrange(1, 998))
            if insz not in self.used:
                self.used.add(insz)
                break
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES).replace("_", " ")
        return insz, first, last


def load_sector_rules() -> None:
    for committee, size_class, year, days in SECTOR_RULES:
        SectorRule.objects.update_or_create(
            joint_committee=committee, size_class=size_class, year=year,
            defaults={"days": Decimal(days)})


def _regime(rng: random.Random) -> str:
    return rng.choices(["1", "0.8", "0.5", "0.75", "0.6"], weights=[70, 12, 10, 5, 3])[0]


def worker_declarations(employer: Employer, spec: EmployerSpec, people: People,
                        rng: random.Random, this_year: int) -> Iterator[Declaration]:
    for _ in range(spec.workers):
        insz, first, last = people.person()
        # Most were there before the reference period; some joined or left since 2024.
        roll = rng.random()
        start = dt.date(rng.randrange(2005, 2022), rng.randrange(1, 13), 1)
        end = None
        if roll < 0.12:
            start = dt.date(rng.randrange(2024, this_year + 1), rng.randrange(1, 13), 1)
        elif roll < 0.20:
            end = dt.date(rng.randrange(2024, this_year + 1), rng.randrange(1, 13), 1) - dt.timedelta(days=1)
        if end is not None and end < start:
            end = None
        yield Declaration("worker", employer.enterprise_number, {
            "insz": insz, "first_name": first, "last_name": last,
            "employment": {
                "start_date": start.isoformat(),
                "end_date": end.isoformat() if end else None,
                "regime": _regime(rng),
                "joint_committee": rng.choice(spec.joint_committees),
            },
        })


def training_declarations(employer: Employer, employments: list[tuple[str, dt.date, dt.date | None]],
                          per_worker_year: float, rng: random.Random, today: dt.date,
                          prefix: str = "DEMO") -> Iterator[Declaration]:
    """Trainings of every status and type, with a few that raise warnings."""
    serial = 0
    for insz, start, end in employments:
        for year in range(2024, today.year + 1):
            first = max(start, dt.date(year, 1, 1))
            last = min(end or dt.date(year, 12, 31), dt.date(year, 12, 31))
            if last < first:
                continue
            count = int(per_worker_year) + (1 if rng.random() < per_worker_year % 1 else 0)
            for _ in range(count):
                serial += 1
                title, kind, provider, minutes = rng.choice(TRAININGS)
                span = (last - first).days
                begin = first + dt.timedelta(days=rng.randrange(0, max(span, 1)))
                days = 1 if minutes <= 480 else min(3, max(1, minutes // 480))
                finish = min(begin + dt.timedelta(days=days - 1), dt.date(year, 12, 31))
                if finish < today:
                    status = rng.choices(
                        ["completed", "not_followed", "cancelled", "planned"],
                        weights=[86, 6, 5, 3])[0]  # a planned one in the past: warning
                else:
                    status = "planned"
                right_type = rng.choices(["", "legal", "sector", "employer"],
                                         weights=[80, 6, 6, 8])[0]
                yield Declaration("training", employer.enterprise_number, {
                    "insz": insz,
                    "reference": f"{prefix}-{year}-{serial:07d}",
                    "title": title,
                    "provider": provider,
                    "kind": kind,
                    "start_date": begin.isoformat(),
                    "end_date": finish.isoformat(),
                    "duration_minutes": minutes,
                    "status": status,
                    "counts_toward_account": rng.random() > 0.04,
                    "certificate_obtained": kind == "formal" and status == "completed",
                    "right_type": right_type,
                })


def _employments(employer: Employer) -> list[tuple[str, dt.date, dt.date | None]]:
    from fla.workers.models import Employment

    return list(Employment.objects.filter(employer=employer)
                .order_by("worker__insz", "start_date")
                .values_list("worker__insz", "start_date", "end_date"))


def _check(outcomes, what: str) -> dict[str, int]:
    counts = {"accepted": 0, "accepted_with_warnings": 0, "rejected": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    if counts["rejected"]:
        first = next(o for o in outcomes if not o.accepted)
        raise RuntimeError(f"demo {what} rejected: {first.anomalies('en')}")
    return counts


def build_employer(spec: EmployerSpec, rng: random.Random, people: People, caller: Caller,
                   today: dt.date, prefix: str) -> tuple[Employer, dict[str, int]]:
    employer = Employer.objects.create(
        name=spec.name, enterprise_number=enterprise_number(rng),
        nsso_number=f"{rng.randrange(100_000_000, 999_999_999)}", language=spec.language)
    # The size class is declared up front, as an employer may: every worker's right of
    # a year depends on it, and the workers are then declared in chunks.
    size_class = "20plus" if spec.workers >= 20 else "10to19" if spec.workers >= 10 else "lt10"
    _check(submit(caller, [
        Declaration("employer_year", employer.enterprise_number,
                    {"year": year, "size_class": size_class})
        for year in range(2024, today.year + 1)
    ], today=today), "size classes")
    _check(submit(caller, worker_declarations(employer, spec, people, rng, today.year),
                  today=today), "workers")
    employments = _employments(employer)
    counts = _check(submit(caller, training_declarations(
        employer, employments, spec.trainings_per_worker_year, rng, today, prefix),
        today=today), "trainings")
    # An employer right on top for a few, one of them below the computed one (warning).
    extras = []
    for insz, _start, end in employments[: max(2, len(employments) // 50)]:
        if end is None:
            extras.append(Declaration("rights", employer.enterprise_number, {
                "insz": insz, "year": today.year, "employer_minutes": 480}))
    _check(submit(caller, extras, today=today), "rights")
    return employer, counts


def seed_demo(today: dt.date | None = None, seed: int = 2024) -> dict[str, object]:
    """The demo world: three employers, a social secretariat, demo users."""
    today = today or timezone.localdate()
    rng = random.Random(seed)
    people = People(rng)
    caller = Caller.for_system("demo data")
    load_sector_rules()
    employers = []
    totals: dict[str, int] = {}
    for index, spec in enumerate(DEMO_EMPLOYERS):
        employer, counts = build_employer(spec, rng, people, caller, today, f"D{index + 1}")
        employers.append(employer)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    with transaction.atomic():
        secretariat = Mandatary.objects.create(name="Sociaal Secretariaat Horizon",
                                               enterprise_number=enterprise_number(rng))
        for employer in employers:
            Mandate.objects.create(mandatary=secretariat, employer=employer,
                                   start_date=dt.date(2024, 1, 1))
        for username, full_name, employer_index, role in DEMO_PASSWORDLESS_USERS:
            first, last = full_name.split(" ", 1)
            insz, _, _ = people.person()
            user = User.objects.create(username=username, first_name=first, last_name=last,
                                       insz=insz)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            if employer_index is None:
                MandataryAccess.objects.create(user=user, mandatary=secretariat, role=role)
            else:
                EmployerAccess.objects.create(user=user, employer=employers[employer_index],
                                              role=role)
    return {"employers": [e.name for e in employers], "trainings": totals}


def generate(employers: int, workers: int, trainings: int, seed: int,
             today: dt.date | None = None) -> dict[str, object]:
    """A bigger data set: ``workers`` spread over ``employers``, about ``trainings`` in all."""
    today = today or timezone.localdate()
    rng = random.Random(seed)
    people = People(rng)
    caller = Caller.for_system("generator")
    load_sector_rules()
    years = today.year - 2024 + 1
    per_worker_year = trainings / max(workers, 1) / years
    # One large employer, the rest share what is left, as in real populations.
    sizes = [workers] if employers == 1 else (
        [workers // 2] + [max(1, (workers - workers // 2) // (employers - 1))] * (employers - 1))
    created = []
    for index, size in enumerate(sizes):
        spec = EmployerSpec(f"Generated employer {seed}-{index + 1}", size, ("200", "118", "302"),
                            trainings_per_worker_year=per_worker_year)
        employer, _ = build_employer(spec, rng, people, caller, today, f"G{seed}-{index + 1}")
        created.append(employer.enterprise_number)
    return {"employers": created}
