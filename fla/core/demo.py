"""Deterministic demo and benchmark data, declared through the one write path.

``seed_demo`` builds the demo world of the embedded default; ``generate`` builds larger
data sets for benchmarks. Both use a seeded random generator, so the same arguments
always give the same data. Organisations, users, access and sector rules are set up
directly (they are not declarations); workers, employments, rights and trainings go
through ``fla.declarations.services.submit`` like any other channel's data.

``generate(..., direct=True)`` builds the same data without the write path, for data
sets of millions of rows (see ``DirectLoader``): the declarations are drawn from the
same generators, so the same seed gives the same workers, employments, trainings
(warnings included), declared rights, history and credit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from fla.accounts.access import Caller
from fla.accounts.models import EmployerAccess, Mandatary, MandataryAccess, Mandate, User
from fla.audit.models import HistoryEntry
from fla.core import bulk
from fla.core.choices import RightSource, RightType, TrainingStatus
from fla.core.identifiers import birth_date_from_insz, clean_joint_committee
from fla.declarations.services import (
    CHUNK_SIZE,
    HISTORY_FIELDS,
    NEW_TRAINING_FIELDS,
    TRAINING_FIELDS,
    submit,
)
from fla.declarations.types import Declaration
from fla.employers.models import Employer, EmployerYear
from fla.rights import rules
from fla.rights.models import Account, CreditLine, SectorRule, TrainingRight
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker

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
# the example of docs/rules.md ("Days of right"); the others are examples for the demo.
SECTOR_RULES = [
    *[
        ("200", "20plus", year, days)
        for year, days in [(2024, 3), (2025, 3), (2026, 4), (2027, 4), (2028, 5)]
    ],
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
    EmployerSpec(
        "Groep Delta Industries",
        20_000,
        ("200", "111", "209"),
        language="nl",
        trainings_per_worker_year=0.7,
    ),
]
# The social secretariat's number is fixed, not drawn: the guides (docs/api.md,
# docs/batch.md) name it, and a drawn one would move with everything drawn before it
# (the demo's size, the years up to today).
DEMO_MANDATARY_NUMBER = "0698935379"
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
        self.enterprise_numbers: set[str] = set()

    def enterprise_number(self) -> str:
        """A new employer's number, drawn again where it is taken (the space holds eight
        million: a run of thousands of employers, or a second run, would meet one)."""
        while True:
            number = enterprise_number(self.rng)
            if number not in self.enterprise_numbers:
                self.enterprise_numbers.add(number)
                if not Employer.objects.filter(enterprise_number=number).exists():
                    return number

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
            joint_committee=committee,
            size_class=size_class,
            year=year,
            defaults={"days": Decimal(days)},
        )


def _regime(rng: random.Random) -> str:
    return rng.choices(["1", "0.8", "0.5", "0.75", "0.6"], weights=[70, 12, 10, 5, 3])[0]


def worker_declarations(
    employer: Employer, spec: EmployerSpec, people: People, rng: random.Random, this_year: int
) -> Iterator[Declaration]:
    for _ in range(spec.workers):
        insz, first, last = people.person()
        # Most were there before the reference period; some joined or left since 2024.
        roll = rng.random()
        start = dt.date(rng.randrange(2005, 2022), rng.randrange(1, 13), 1)
        end = None
        if roll < 0.12:
            start = dt.date(rng.randrange(2024, this_year + 1), rng.randrange(1, 13), 1)
        elif roll < 0.20:
            end = dt.date(
                rng.randrange(2024, this_year + 1), rng.randrange(1, 13), 1
            ) - dt.timedelta(days=1)
        # No one starts before coming of age (the write path warns under 15: W010).
        birth = birth_date_from_insz(insz)
        if birth is not None and start < birth.replace(year=birth.year + 18, day=1):
            adult = birth.replace(year=birth.year + 18, day=1)
            start = dt.date(adult.year + adult.month // 12, adult.month % 12 + 1, 1)
        if end is not None and end < start:
            end = None
        yield Declaration(
            "worker",
            employer.enterprise_number,
            {
                "insz": insz,
                "first_name": first,
                "last_name": last,
                "employment": {
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat() if end else None,
                    "regime": _regime(rng),
                    "joint_committee": rng.choice(spec.joint_committees),
                },
            },
        )


def training_declarations(
    employer: Employer,
    employments: list[tuple[str, dt.date, dt.date | None]],
    per_worker_year: float,
    rng: random.Random,
    today: dt.date,
    prefix: str = "DEMO",
) -> Iterator[Declaration]:
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
                        ["completed", "not_followed", "cancelled", "planned"], weights=[86, 6, 5, 3]
                    )[0]  # a planned one in the past: warning
                else:
                    status = "planned"
                right_type = rng.choices(
                    ["", "legal", "sector", "employer"], weights=[80, 6, 6, 8]
                )[0]
                yield Declaration(
                    "training",
                    employer.enterprise_number,
                    {
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
                    },
                )


def _employments(employer: Employer) -> list[tuple[str, dt.date, dt.date | None]]:
    from fla.workers.models import Employment

    return list(
        Employment.objects.filter(employer=employer)
        .order_by("worker__insz", "start_date")
        .values_list("worker__insz", "start_date", "end_date")
    )


def _check(outcomes, what: str) -> dict[str, int]:
    counts = {"accepted": 0, "accepted_with_warnings": 0, "rejected": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    if counts["rejected"]:
        first = next(o for o in outcomes if not o.accepted)
        raise RuntimeError(f"demo {what} rejected: {first.anomalies('en')}")
    return counts


def build_employer(
    spec: EmployerSpec,
    rng: random.Random,
    people: People,
    caller: Caller,
    today: dt.date,
    prefix: str,
) -> tuple[Employer, dict[str, int]]:
    employer = Employer.objects.create(
        name=spec.name,
        enterprise_number=people.enterprise_number(),
        nsso_number=f"{rng.randrange(100_000_000, 999_999_999)}",
        language=spec.language,
    )
    # The size class is declared up front, as an employer may: every worker's right of
    # a year depends on it, and the workers are then declared in chunks.
    size_class = "20plus" if spec.workers >= 20 else "10to19" if spec.workers >= 10 else "lt10"
    _check(
        submit(
            caller,
            [
                Declaration(
                    "employer_year",
                    employer.enterprise_number,
                    {"year": year, "size_class": size_class},
                )
                for year in range(2024, today.year + 1)
            ],
            today=today,
        ),
        "size classes",
    )
    _check(
        submit(caller, worker_declarations(employer, spec, people, rng, today.year), today=today),
        "workers",
    )
    employments = _employments(employer)
    counts = _check(
        submit(
            caller,
            training_declarations(
                employer, employments, spec.trainings_per_worker_year, rng, today, prefix
            ),
            today=today,
        ),
        "trainings",
    )
    # An employer right on top for a few, one of them below the computed one (warning).
    extras = []
    for insz, _start, end in employments[: max(2, len(employments) // 50)]:
        if end is None:
            extras.append(
                Declaration(
                    "rights",
                    employer.enterprise_number,
                    {"insz": insz, "year": today.year, "employer_minutes": 480},
                )
            )
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
        secretariat = Mandatary.objects.create(
            name="Sociaal Secretariaat Horizon", enterprise_number=DEMO_MANDATARY_NUMBER
        )
        for employer in employers:
            Mandate.objects.create(
                mandatary=secretariat, employer=employer, start_date=dt.date(2024, 1, 1)
            )
        for username, full_name, employer_index, role in DEMO_PASSWORDLESS_USERS:
            first, last = full_name.split(" ", 1)
            insz, _, _ = people.person()
            user = User.objects.create(
                username=username, first_name=first, last_name=last, insz=insz
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            if employer_index is None:
                MandataryAccess.objects.create(user=user, mandatary=secretariat, role=role)
            else:
                EmployerAccess.objects.create(
                    user=user, employer=employers[employer_index], role=role
                )
    return {"employers": [e.name for e in employers], "trainings": totals}


def generate(
    employers: int,
    workers: int,
    trainings: int,
    seed: int,
    today: dt.date | None = None,
    *,
    direct: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """A bigger data set: ``workers`` spread over ``employers``, about ``trainings`` in all.

    ``direct`` writes the same data with bulk inserts instead of the write path
    (``DirectLoader``): for millions of rows. ``progress`` receives a line now and then.
    """
    today = today or timezone.localdate()
    rng = random.Random(seed)
    people = People(rng)
    caller = Caller.for_system("generator")
    load_sector_rules()
    years = today.year - 2024 + 1
    per_worker_year = trainings / max(workers, 1) / years
    # One large employer, the rest share what is left, as in real populations.
    sizes = (
        [workers]
        if employers == 1
        else (
            [workers // 2] + [max(1, (workers - workers // 2) // (employers - 1))] * (employers - 1)
        )
    )
    loader = DirectLoader(caller, today, progress=progress) if direct else None
    created = []
    for index, size in enumerate(sizes):
        spec = EmployerSpec(
            f"Generated employer {seed}-{index + 1}",
            size,
            ("200", "118", "302"),
            trainings_per_worker_year=per_worker_year,
        )
        prefix = f"G{seed}-{index + 1}"
        if loader is not None:
            employer = loader.build_employer(spec, rng, people, prefix)
        else:
            employer, _ = build_employer(spec, rng, people, caller, today, prefix)
            if progress is not None:
                progress(f"employer {index + 1}/{len(sizes)}: {size} workers")
        created.append(employer.enterprise_number)
    result: dict[str, object] = {"employers": created}
    if loader is not None:
        loader.finish()
        result["counts"] = dict(loader.counts)
    return result


# --------------------------------------------------------------------------------------
# The same data in bulk
# --------------------------------------------------------------------------------------

# The write path's own column lists (HISTORY_FIELDS, TRAINING_FIELDS too): the direct
# mode writes the rows it would.
TRAINING_COLUMNS = ("id", *NEW_TRAINING_FIELDS)


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _reserve_ids(model: type, count: int) -> list[int]:
    """``count`` new primary keys of ``model``'s table, to insert rows with them.

    On PostgreSQL from the table's sequence (safe beside other writers); elsewhere (SQLite,
    one writer) the ids after the largest one, which the caller inserts right away.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        last = cursor.fetchone()[0]
    return list(range(last + 1, last + 1 + count))


class DirectLoader:
    """Writes what ``build_employer`` declares through the write path, in bulk.

    The declarations come from the same generators (``worker_declarations``,
    ``training_declarations``) with the same random generator, so the data are those of
    the write path; they are turned into rows and streamed with ``bulk.insert`` (COPY on
    PostgreSQL) in chunks, so memory stays bounded by the largest employer's list of
    employments. What the write path derives, the loader derives the same way:

    * the warnings of each training, including those that depend on the order of
      submission: a probable duplicate (W004) within a chunk of ``CHUNK_SIZE``
      declarations or against the earlier chunks, and a credit exceeded (W003) as the
      write path judges it (the worker's ledger once the trainings of the chunk are
      stored, each of several in one chunk once it and those before it are charged);
    * one HistoryEntry per created object (employer year, worker, employment, training,
      declared right), with the snapshots the write path records, so every screen that
      shows history shows the same;
    * the computed rights and the accounts, set-based through ``compute_rights`` (one
      "rights-computation" entry per employer and year) and ``refresh_accounts``, for
      groups of employers at a time.

    Each chunk is its own transaction: an interrupted run leaves whole chunks behind,
    and is meant to be started again in a fresh database.
    """

    WORKER_BATCH = 5_000
    TRAINING_BATCH = 20_000
    GROUP_WORKERS = 20_000
    GROUP_EMPLOYERS = 500
    WHOLE_EMPLOYER = 50_000  # above, rights and accounts are computed by lists of workers

    def __init__(
        self, caller: Caller, today: dt.date, progress: Callable[[str], None] | None = None
    ) -> None:
        from fla.rights.services import credit_policy

        self.caller = caller
        self.today = today
        self.progress = progress
        self.policy = credit_policy()
        self.rights_years = range(settings.FLA_FIRST_YEAR, today.year + 1)
        self.sector_table = {
            (jc, size_class, year): Decimal(days)
            for jc, size_class, year, days in SectorRule.objects.values_list(
                "joint_committee", "size_class", "year", "days"
            )
        }
        self.group: list[tuple[int, list[int]]] = []
        self.counts = {"employers": 0, "workers": 0, "trainings": 0, "history": 0}
        self.analyzed = 0  # rows loaded when the tables were last analysed

    def history(
        self,
        now: dt.datetime,
        employer_id: int,
        entity: str,
        entity_id: object,
        action: str,
        before: dict | None,
        after: dict | None,
    ) -> tuple:
        return (
            now,
            employer_id,
            entity,
            str(entity_id),
            action,
            self.caller.channel,
            self.caller.label[:200],
            self.caller.user_id,
            before,
            after,
        )

    def insert_history(self, rows: list[tuple]) -> None:
        self.counts["history"] += bulk.insert(HistoryEntry, HISTORY_FIELDS, rows)

    # -- one employer -----------------------------------------------------------------
    def build_employer(
        self, spec: EmployerSpec, rng: random.Random, people: People, prefix: str
    ) -> Employer:
        today = self.today
        employer = Employer.objects.create(
            name=spec.name,
            enterprise_number=people.enterprise_number(),
            nsso_number=f"{rng.randrange(100_000_000, 999_999_999)}",
            language=spec.language,
        )
        size_class = "20plus" if spec.workers >= 20 else "10to19" if spec.workers >= 10 else "lt10"
        now = timezone.now()
        with transaction.atomic():
            years = EmployerYear.objects.bulk_create(
                EmployerYear(employer=employer, year=year, declared_size_class=size_class)
                for year in range(2024, today.year + 1)
            )
            self.insert_history(
                [
                    self.history(
                        now,
                        employer.pk,
                        "employer_year",
                        row.pk,
                        "set",
                        {"opt_out": False, "size_class": ""},
                        {"opt_out": False, "size_class": size_class},
                    )
                    for row in years
                ]
            )
        employments = self.load_workers(employer, spec, people, rng)
        employments.sort(key=lambda e: (e[0], e[2]))  # by INSZ, as the write path reads them
        self.load_trainings(employer, spec, employments, rng, size_class, prefix)
        self.load_declared_rights(employer, employments)
        self.counts["employers"] += 1
        self.group.append((employer.pk, [e[1] for e in employments]))
        if (
            sum(len(w) for _, w in self.group) >= self.GROUP_WORKERS
            or len(self.group) >= self.GROUP_EMPLOYERS
        ):
            self.flush_group()
        return employer

    def load_workers(
        self, employer: Employer, spec: EmployerSpec, people: People, rng: random.Random
    ) -> list[tuple]:
        """Workers, employments and their history; returns the employments as tuples
        (INSZ, worker id, start, end, regime, joint committee)."""
        employments: list[tuple] = []
        declarations = worker_declarations(employer, spec, people, rng, self.today.year)
        for batch in _batched(declarations, self.WORKER_BATCH):
            # A worker another run already declared (with another employer) is the same
            # person: the write path renames him if the names differ and adds the
            # employment.
            known = {
                insz: (pk, first, last)
                for insz, pk, first, last in Worker.objects.filter(
                    bulk.Within(F("insz"), [d.data["insz"] for d in batch])
                ).values_list("insz", "id", "first_name", "last_name")
            }
            new_ids = iter(_reserve_ids(Worker, len(batch) - len(known)))
            employment_ids = _reserve_ids(Employment, len(batch))
            now = timezone.now()
            workers, renamed, rows, history = [], [], [], []
            for declaration, employment_id in zip(batch, employment_ids, strict=True):
                data, job = declaration.data, declaration.data["employment"]
                insz, first, last = (
                    data["insz"],
                    data["first_name"].strip(),
                    data["last_name"].strip(),
                )
                after = {"insz": insz, "first_name": first, "last_name": last}
                if insz in known:
                    worker_id, *names = known[insz]
                    if names != [first, last]:
                        renamed.append(Worker(pk=worker_id, first_name=first, last_name=last))
                        before = {"insz": insz, "first_name": names[0], "last_name": names[1]}
                        history.append(
                            self.history(
                                now, employer.pk, "worker", worker_id, "update", before, after
                            )
                        )
                else:
                    worker_id = next(new_ids)
                    workers.append((worker_id, insz, first, last, birth_date_from_insz(insz)))
                    history.append(
                        self.history(now, employer.pk, "worker", worker_id, "create", None, after)
                    )
                start = dt.date.fromisoformat(job["start_date"])
                end = dt.date.fromisoformat(job["end_date"]) if job["end_date"] else None
                regime = Decimal(job["regime"]).quantize(Decimal("0.0001"))
                committee = clean_joint_committee(job["joint_committee"])
                rows.append((employment_id, worker_id, employer.pk, start, end, regime, committee))
                employments.append((insz, worker_id, start, end, regime, committee))
                history.append(
                    self.history(
                        now,
                        employer.pk,
                        "employment",
                        employment_id,
                        "create",
                        None,
                        {
                            "start_date": start.isoformat(),
                            "end_date": end.isoformat() if end else None,
                            "regime": str(regime),
                            "joint_committee": committee,
                        },
                    )
                )
            with transaction.atomic():
                bulk.insert(
                    Worker, ("id", "insz", "first_name", "last_name", "birth_date"), workers
                )
                Worker.objects.bulk_update(renamed, ["first_name", "last_name"], batch_size=1000)
                bulk.insert(
                    Employment,
                    (
                        "id",
                        "worker_id",
                        "employer_id",
                        "start_date",
                        "end_date",
                        "regime",
                        "joint_committee",
                    ),
                    rows,
                )
                self.insert_history(history)
            self.counts["workers"] += len(batch)
        return employments

    def load_trainings(
        self,
        employer: Employer,
        spec: EmployerSpec,
        employments: list[tuple],
        rng: random.Random,
        size_class: str,
        prefix: str,
    ) -> None:
        by_insz = {e[0]: e for e in employments}
        declarations = training_declarations(
            employer,
            [(e[0], e[2], e[3]) for e in employments],
            spec.trainings_per_worker_year,
            rng,
            self.today,
            prefix,
        )
        pending: list[tuple[list[Any], dict[str, Any]]] = []
        position = 0
        for insz, group in itertools.groupby(declarations, key=lambda d: d.data["insz"]):
            group = list(group)
            chunks = [(position + i) // CHUNK_SIZE for i in range(len(group))]
            position += len(group)
            pending.extend(
                self.worker_trainings(employer, by_insz[insz], group, chunks, size_class)
            )
            if len(pending) >= self.TRAINING_BATCH:
                self.flush_trainings(employer, pending)
                pending = []
        self.flush_trainings(employer, pending)

    def worker_trainings(
        self,
        employer: Employer,
        employment: tuple,
        declarations: list,
        chunks: list[int],
        size_class: str,
    ) -> list[tuple[list, dict]]:
        """Rows and snapshots of one worker's trainings, with the write path's warnings.

        ``chunks`` holds the index of the write path's chunk each declaration falls in.
        """
        insz, worker_id, start, end, regime, committee = employment
        today = self.today
        result = []
        seen: list[tuple[tuple[str, dt.date], int, str]] = []  # signature, chunk, status
        counting: list[tuple[int, rules.TrainingUse]] = []
        for declaration, chunk in zip(declarations, chunks, strict=True):
            data = declaration.data
            first = dt.date.fromisoformat(data["start_date"])
            last = dt.date.fromisoformat(data["end_date"])
            status = data["status"]
            valid_until = data.get("certificate_valid_until")
            title = data["title"].strip()
            warnings = []
            if not (start <= first and (end is None or end >= last)):
                warnings.append("W001")
            if status == TrainingStatus.COMPLETED and last > today:
                warnings.append("W002")
            if status == TrainingStatus.PLANNED and last < today:
                warnings.append("W005")
            if valid_until and not data["certificate_obtained"]:
                warnings.append("W008")
            signature = (title.casefold(), first)
            if status != TrainingStatus.CANCELLED and any(
                s == signature and (c == chunk or (c < chunk and st != TrainingStatus.CANCELLED))
                for s, c, st in seen
            ):
                # The same title and start as another training of the worker: in the
                # same chunk whatever its status, in an earlier one unless cancelled.
                warnings.append("W004")
            seen.append((signature, chunk, status))
            fields = {
                "title": title,
                "description": (data.get("description") or "").strip(),
                "provider": (data.get("provider") or "").strip(),
                "kind": data["kind"],
                "start_date": first,
                "end_date": last,
                "duration_minutes": int(data["duration_minutes"]),
                "status": status,
                "counts_toward_account": data["counts_toward_account"],
                "certificate_obtained": data["certificate_obtained"],
                "certificate_valid_until": dt.date.fromisoformat(valid_until)
                if valid_until
                else None,
                "right_type": data.get("right_type") or "",
            }
            if status == TrainingStatus.COMPLETED and fields["counts_toward_account"]:
                counting.append(
                    (
                        len(result),
                        rules.TrainingUse(
                            data["reference"],
                            first,
                            last,
                            fields["duration_minutes"],
                            RightType(fields["right_type"]) if fields["right_type"] else None,
                        ),
                    )
                )
            snapshot = {"reference": data["reference"], "insz": insz}
            snapshot.update(
                {
                    name: value.isoformat() if isinstance(value, dt.date) else value
                    for name, value in fields.items()
                }
            )
            snapshot["version"] = 1
            row = [
                employer.pk,
                worker_id,
                data["reference"],
                *(fields[name] for name in TRAINING_FIELDS),
                1,
                warnings,
            ]
            result.append((row, snapshot))
        if counting:
            # W003 as the write path judges it: on the worker's credit once each chunk is
            # stored; where that is exceeded and the chunk holds several of his
            # trainings, each on the credit once it and those before it are charged.
            rights = self.effective_rights(employer, start, end, regime, committee, size_class)
            for chunk in sorted({chunks[i] for i, _ in counting}):
                earlier = [u for i, u in counting if chunks[i] < chunk]
                here = [(i, u) for i, u in counting if chunks[i] == chunk]
                uses = earlier + [u for _, u in here]
                if rules.lowest(rules.charge(rights, uses, self.policy)) >= 0:
                    continue
                if len(here) == 1:
                    each = [-1]  # judged on the credit after the chunk: exceeded
                else:
                    each = rules.lowest_after_each(
                        rights, uses, [(u.reference, None) for _, u in here], self.policy
                    )
                for (index, _use), remaining in zip(here, each, strict=True):
                    if remaining < 0:
                        result[index][0][-1].append("W003")
        return result

    def effective_rights(
        self,
        employer: Employer,
        start: dt.date,
        end: dt.date | None,
        regime: Decimal,
        committee: str,
        size_class: str,
    ) -> dict[int, dict[RightType, int]]:
        """The rights a worker of one employment has, year by year, before any declared
        right (what ``compute_rights`` stores for the years the write path computes)."""
        period = rules.EmploymentPeriod(start, end, regime, committee)
        result = {}
        last = min((end or self.today).year, self.today.year)
        for year in range(max(start.year, settings.FLA_FIRST_YEAR), last + 1):
            computed = rules.computed_right_minutes(
                [period], year, size_class, self.sector_table, employer.reference_weekly_minutes
            )
            effective = rules.effective_rights(computed, {}, False)
            if effective:
                result[year] = effective
        return result

    def flush_trainings(self, employer: Employer, pending: list[tuple[list, dict]]) -> None:
        if not pending:
            return
        ids = _reserve_ids(Training, len(pending))
        now = timezone.now()
        channel = self.caller.channel
        with transaction.atomic():
            bulk.insert(
                Training,
                TRAINING_COLUMNS,
                ([pk, *row, channel, now, now] for pk, (row, _) in zip(ids, pending, strict=True)),
            )
            self.insert_history(
                [
                    self.history(now, employer.pk, "training", pk, "create", None, snapshot)
                    for pk, (_, snapshot) in zip(ids, pending, strict=True)
                ]
            )
        self.counts["trainings"] += len(pending)

    def load_declared_rights(self, employer: Employer, employments: list[tuple]) -> None:
        """An employer right on top for a few workers, as ``build_employer`` declares."""
        year = self.today.year
        now = timezone.now()
        chosen = [e for e in employments[: max(2, len(employments) // 50)] if e[3] is None]
        before = {"year": year, "declared": {}, "opt_out": False}
        after = {"year": year, "declared": {RightType.EMPLOYER.value: 480}, "opt_out": False}
        with transaction.atomic():
            bulk.insert(
                TrainingRight,
                (
                    "employer_id",
                    "worker_id",
                    "year",
                    "right_type",
                    "source",
                    "minutes",
                    "updated_at",
                ),
                [
                    (
                        employer.pk,
                        e[1],
                        year,
                        RightType.EMPLOYER.value,
                        RightSource.DECLARED,
                        480,
                        now,
                    )
                    for e in chosen
                ],
            )
            self.insert_history(
                [
                    self.history(now, employer.pk, "rights", f"{e[1]}:{year}", "set", before, after)
                    for e in chosen
                ]
            )

    # -- rights and accounts, by group of employers --------------------------------------
    def flush_group(self) -> None:
        from fla.rights.services import compute_rights, refresh_accounts

        if not self.group:
            return
        employer_ids = [e for e, _ in self.group]
        worker_ids = sorted(w for _, workers in self.group for w in workers)
        scope = None if len(worker_ids) <= self.WHOLE_EMPLOYER else worker_ids
        loaded = self.counts["workers"] + self.counts["trainings"]
        if loaded >= 10_000 and loaded > self.analyzed * 1.25:
            # The tables grew faster than autovacuum analyses them: with the statistics
            # of a smaller table (a new employer of half a million workers estimated at
            # one row) the rights computation reads the employer's employments through
            # the wrong index, every chunk again. ANALYZE samples: seconds at any size.
            self.analyze()
            self.analyzed = loaded
        for year in self.rights_years:
            compute_rights(year, employer_ids, worker_ids=scope, today=self.today, refresh=False)
        if scope is not None:
            # The accounts are rebuilt from the rights just stored: counted first.
            bulk.refresh_statistics([TrainingRight])
        for employer_id, workers in self.group:
            if len(workers) <= self.WHOLE_EMPLOYER:
                refresh_accounts(employer_id, None, today=self.today)
                continue
            # By slices, counting the growing credit tables in between: with the
            # statistics from before, each chunk would read all the lines of the
            # employer stored so far (one new employer estimated at one row).
            for start in range(0, len(workers), self.WHOLE_EMPLOYER):
                refresh_accounts(
                    employer_id, workers[start : start + self.WHOLE_EMPLOYER], today=self.today
                )
                bulk.refresh_statistics([CreditLine, Account])
        if self.progress is not None:
            self.progress(
                f"{self.counts['employers']} employers, {self.counts['workers']} "
                f"workers, {self.counts['trainings']} trainings"
            )
        self.group = []

    def finish(self) -> None:
        self.flush_group()
        self.analyze()

    def analyze(self) -> None:
        bulk.refresh_statistics(
            [
                Worker,
                Employment,
                Training,
                HistoryEntry,
                TrainingRight,
                CreditLine,
                Account,
                EmployerYear,
            ]
        )
