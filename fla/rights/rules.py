"""The rules engine: size class, rights, credit and its charging, as pure functions.

Standard library only, no Django: every channel, screen and test computes with the
same code, to the minute (docs/rules.md). Exact arithmetic throughout:
``Fraction`` for the pro-rata sums, ``Decimal`` for the figures shown, integers for
minutes. Nothing here ever touches a float.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

__all__ = [
    "CARRY_OVER",
    "SECTOR_FLOOR_DAYS",
    "WINDOW",
    "Charge",
    "CreditPolicy",
    "EmploymentPeriod",
    "Ledger",
    "Line",
    "RightType",
    "SizeClass",
    "TrainingUse",
    "average_fte",
    "charge",
    "computed_right_minutes",
    "days_to_minutes",
    "effective_rights",
    "employed_days",
    "format_minutes",
    "fte_at",
    "legal_days",
    "reference_dates",
    "right_days",
    "round_half_up",
    "size_class_for_fte",
]


class RightType(StrEnum):
    LEGAL = "legal"
    SECTOR = "sector"
    EMPLOYER = "employer"


class SizeClass(StrEnum):
    SMALL = "lt10"
    MEDIUM = "10to19"
    LARGE = "20plus"


# Order in which a year's credit is used when a training names no type (DOMAIN §6b).
CHARGE_ORDER: tuple[RightType, ...] = (RightType.LEGAL, RightType.SECTOR, RightType.EMPLOYER)

SECTOR_FLOOR_DAYS = Decimal(2)


def round_half_up(value: Fraction | Decimal | int) -> int:
    """Round to the nearest integer, halves away from zero (0.5 → 1, −0.5 → −1)."""
    value = Fraction(value)
    magnitude = (abs(value.numerator) * 2 + value.denominator) // (2 * value.denominator)
    return magnitude if value >= 0 else -magnitude


# --- Size class -----------------------------------------------------------------------


@dataclass(frozen=True)
class EmploymentPeriod:
    """One employment of a worker with an employer: dates (inclusive), regime, JC."""

    start: date
    end: date | None
    regime: Decimal
    joint_committee: str

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def reference_dates(year: int) -> list[date]:
    """The quarter ends of the reference period for ``year``: Q4 of Y−2, Q1–Q3 of Y−1."""
    return [
        date(year - 2, 12, 31),
        date(year - 1, 3, 31),
        date(year - 1, 6, 30),
        date(year - 1, 9, 30),
    ]


def fte_at(employments: Iterable[EmploymentPeriod], day: date) -> Decimal:
    """Full-time equivalents on ``day``: the sum of the regimes of the active employments."""
    return sum((Decimal(e.regime) for e in employments if e.active_on(day)), Decimal(0))


def average_fte(employments: Iterable[EmploymentPeriod], year: int) -> Decimal:
    """The average FTE over the four reference dates of ``year`` (exact in Decimal)."""
    employments = list(employments)
    days = reference_dates(year)
    total = sum((fte_at(employments, d) for d in days), Decimal(0))
    return total / len(days)


def size_class_for_fte(fte: Decimal) -> SizeClass:
    """``< 10`` small, ``10 to < 20`` medium, ``>= 20`` large."""
    if fte < 10:
        return SizeClass.SMALL
    if fte < 20:
        return SizeClass.MEDIUM
    return SizeClass.LARGE


# --- Days of right --------------------------------------------------------------------


def legal_days(size_class: SizeClass | str, year: int) -> Decimal:
    """Legal days per full-time worker: <10 FTE 0; 10–19 FTE 1; 20+ 4 up to 2023, 5 from 2024."""
    size_class = SizeClass(size_class)
    if size_class is SizeClass.SMALL:
        return Decimal(0)
    if size_class is SizeClass.MEDIUM:
        return Decimal(1)
    return Decimal(4) if year <= 2023 else Decimal(5)


def right_days(
    joint_committee: str,
    size_class: SizeClass | str,
    year: int,
    sector_table: Mapping[tuple[str, str, int], Decimal],
) -> tuple[RightType, Decimal]:
    """Days and type of a full-time worker's right in one joint committee.

    A sector rule for (joint committee, size class, year) wins, as type *sector*, raised
    to the 2-day floor; otherwise the legal days, as type *legal*.
    """
    size_class = SizeClass(size_class)
    days = sector_table.get((joint_committee, size_class.value, year))
    if days is not None:
        return RightType.SECTOR, max(Decimal(days), SECTOR_FLOOR_DAYS)
    return RightType.LEGAL, legal_days(size_class, year)


# --- Minutes of a computed right ------------------------------------------------------


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def employed_days(period: EmploymentPeriod, year: int) -> int:
    """Calendar days of ``year`` on which the employment runs (both ends inclusive)."""
    first = max(period.start, date(year, 1, 1))
    last = min(period.end or date(year, 12, 31), date(year, 12, 31))
    return max((last - first).days + 1, 0)


def days_to_minutes(days: Decimal | int, reference_weekly_minutes: int) -> int:
    """Days of a full-time worker in minutes: a day is a fifth of the reference week."""
    return round_half_up(Fraction(Decimal(days)) * reference_weekly_minutes / 5)


def _exact_right_minutes(
    employments: Iterable[EmploymentPeriod],
    year: int,
    size_class: SizeClass | str,
    sector_table: Mapping[tuple[str, str, int], Decimal],
    reference_weekly_minutes: int,
) -> dict[RightType, Fraction]:
    total: dict[RightType, Fraction] = {}
    year_days = days_in_year(year)
    day_minutes = Fraction(reference_weekly_minutes, 5)
    for period in employments:
        employed = employed_days(period, year)
        if employed == 0:
            continue
        right_type, days = right_days(period.joint_committee, size_class, year, sector_table)
        minutes = (
            Fraction(days) * day_minutes * Fraction(Decimal(period.regime)) * employed / year_days
        )
        total[right_type] = total.get(right_type, Fraction(0)) + minutes
    return total


def computed_right_minutes(
    employments: Iterable[EmploymentPeriod],
    year: int,
    size_class: SizeClass | str,
    sector_table: Mapping[tuple[str, str, int], Decimal],
    reference_weekly_minutes: int,
) -> dict[RightType, int]:
    """The computed rights of one worker with one employer for ``year``, in minutes.

    ``days × (weekly / 5) × regime × days employed / days in year`` per employment (each
    with its own joint committee and regime), summed exactly per type, then rounded half
    up once per type. A type appears when at least one employment runs in ``year``, even
    where its days are 0 (a small employer's legal right): the result says "computed, 0".
    """
    exact = _exact_right_minutes(
        employments, year, size_class, sector_table, reference_weekly_minutes
    )
    return {t: round_half_up(exact[t]) for t in CHARGE_ORDER if t in exact}


def effective_rights(
    computed: Mapping[RightType, int],
    declared: Mapping[RightType, int],
    opted_out: bool,
) -> dict[RightType, int]:
    """The rights that count, per type: the declared one if any, else the computed one.

    Under an opt-out (company-wide or for the worker) only declared rights count.
    Employer rights are only ever declared: a computed employer right is ignored.
    """
    result: dict[RightType, int] = {}
    for right_type in CHARGE_ORDER:
        if right_type in declared:
            result[right_type] = int(declared[right_type])
        elif not opted_out and right_type is not RightType.EMPLOYER and right_type in computed:
            result[right_type] = int(computed[right_type])
    return result


# --- Credit policy --------------------------------------------------------------------

CARRY_OVER = "carry-over"
WINDOW = "window"


@dataclass(frozen=True)
class CreditPolicy:
    """Which years' credit is open together: all of them (carry-over) or one window."""

    kind: str = CARRY_OVER
    window_start: int = 2024
    window_length: int = 5

    def __post_init__(self) -> None:
        if self.kind not in (CARRY_OVER, WINDOW):
            raise ValueError(
                f"credit policy must be {CARRY_OVER!r} or {WINDOW!r}, not {self.kind!r}"
            )
        if self.window_length < 1:
            raise ValueError("window length must be at least 1 year")

    @classmethod
    def from_settings(cls, kind: str, start: int = 2024, length: int = 5) -> CreditPolicy:
        normalized = str(kind or CARRY_OVER).strip().lower().replace("_", "-")
        return cls(kind=normalized, window_start=int(start), window_length=int(length))

    def window_of(self, year: int) -> int | None:
        """Index of the window holding ``year`` (0 for the first), None under carry-over.

        Windows tile the calendar in both directions: with start 2024 and length 5,
        2024–2028 is window 0, 2029–2033 window 1, 2019–2023 window −1.
        """
        if self.kind != WINDOW:
            return None
        return (year - self.window_start) // self.window_length

    def window_years(self, year: int) -> range | None:
        index = self.window_of(year)
        if index is None:
            return None
        first = self.window_start + index * self.window_length
        return range(first, first + self.window_length)

    def open_years(self, as_of_year: int, years: Iterable[int]) -> list[int]:
        """The years among ``years`` whose credit is open as of ``as_of_year``, oldest first.

        Years up to ``as_of_year``; under the window policy only those of its window.
        """
        window = self.window_of(as_of_year)
        return sorted(
            {
                y
                for y in years
                if y <= as_of_year and (window is None or self.window_of(y) == window)
            }
        )


# --- Charging trainings to credit -----------------------------------------------------


class TrainingUse(NamedTuple):
    """A training that uses credit (completed and counting toward the account).

    A named tuple: a refresh builds one per completed training of every worker it
    rebuilds, and a tuple is several times cheaper to build than a frozen dataclass.
    """

    reference: str
    start: date
    end: date
    minutes: int
    right_type: RightType | None = None


@dataclass
class Line:
    """Granted and used minutes of one year and right type."""

    granted: int = 0
    used: int = 0

    @property
    def remaining(self) -> int:
        return self.granted - self.used


@dataclass(frozen=True)
class Charge:
    """Minutes of one training charged to one year and right type."""

    reference: str
    year: int
    right_type: RightType
    minutes: int


@dataclass
class Ledger:
    """The result of charging a worker's trainings to his rights with one employer."""

    policy: CreditPolicy
    lines: dict[tuple[int, RightType], Line] = field(default_factory=dict)
    charges: list[Charge] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted({year for year, _ in self.lines})

    @property
    def exceeded(self) -> bool:
        """True where some line is used beyond what was granted (credit exceeded)."""
        return any(line.used > line.granted for line in self.lines.values())

    def _years(self, year: int | None, as_of: int | None) -> list[int]:
        if year is not None:
            return [year]
        if as_of is not None:
            return self.policy.open_years(as_of, self.years)
        return self.years

    def granted(self, year: int | None = None, *, as_of: int | None = None) -> int:
        years = set(self._years(year, as_of))
        return sum(line.granted for (y, _), line in self.lines.items() if y in years)

    def used(self, year: int | None = None, *, as_of: int | None = None) -> int:
        years = set(self._years(year, as_of))
        return sum(line.used for (y, _), line in self.lines.items() if y in years)

    def remaining(self, year: int | None = None, *, as_of: int | None = None) -> int:
        """Remaining minutes of ``year``; else of the years open as of ``as_of``; else of all.

        The worker's remaining credit (DOMAIN §6b) is ``remaining(as_of=this year)``.
        """
        return self.granted(year, as_of=as_of) - self.used(year, as_of=as_of)

    def used_by_type(
        self, year: int | None = None, *, as_of: int | None = None
    ) -> dict[RightType, int]:
        """Used minutes per right type (every type present), over the same years as above."""
        years = set(self._years(year, as_of))
        result = dict.fromkeys(CHARGE_ORDER, 0)
        for (y, right_type), line in self.lines.items():
            if y in years:
                result[right_type] += line.used
        return result

    def totals(self, as_of: int) -> tuple[int, dict[RightType, int]]:
        """``granted(as_of=)`` and ``used_by_type(as_of=)`` in one pass over the lines."""
        years = set(self._years(None, as_of))
        granted = 0
        used = dict.fromkeys(CHARGE_ORDER, 0)
        for (y, right_type), line in self.lines.items():
            if y in years:
                granted += line.granted
                used[right_type] += line.used
        return granted, used

    def line(self, year: int, right_type: RightType) -> Line:
        return self.lines.get((year, right_type), Line())

    def charges_of(self, reference: str) -> list[Charge]:
        return [c for c in self.charges if c.reference == reference]


def _overflow_type(training: TrainingUse, year_rights: Mapping[RightType, int]) -> RightType:
    """Where uncovered minutes go: the named type, else legal, else sector.

    "Sector where the worker has only a sector right that year" is read as: a sector
    right and no legal one (the sector right replaces the legal right; employer rights
    come on top of either and do not change where the overflow goes).
    """
    if training.right_type is not None:
        return RightType(training.right_type)
    if year_rights.get(RightType.SECTOR) is not None and year_rights.get(RightType.LEGAL) is None:
        return RightType.SECTOR
    return RightType.LEGAL


# The order in which a training takes from the types of a year, by the type it names.
_ORDERS: dict[RightType | None, tuple[RightType, ...]] = {
    named: ((named,) if named else ()) + tuple(t for t in CHARGE_ORDER if t != named)
    for named in (None, *CHARGE_ORDER)
}


def charge(
    rights: Mapping[int, Mapping[RightType, int]],
    trainings: Iterable[TrainingUse],
    policy: CreditPolicy,
    *,
    with_charges: bool = True,
    start: Mapping[tuple[int, RightType], tuple[int, int]] | None = None,
) -> Ledger:
    """Charge the trainings to the rights, as docs/rules.md "Charging trainings to credit" says.

    ``rights`` are the effective rights, year → type → minutes. Trainings are taken by
    end date, start date, reference; each goes to the oldest open credit (years up to
    the year of its end date, under the window policy only those of the same window),
    within a year first to the type it names, then legal, sector, employer. What no
    credit covers is charged to the training's own year (of its end date), to its named
    type or else legal (sector where the worker has only a sector right that year),
    and shows as a negative remaining. ``with_charges=False`` leaves ``charges`` empty
    (the lines alone are what the derived accounts need).

    ``start`` continues an earlier ledger: its lines, (year, type) → (granted, used),
    as charging the worker's earlier trainings left them. Charging more trainings from
    there gives the same lines as charging all of them at once, provided every one of
    them comes after every earlier one in the order above (and the rights are the same).
    """
    ledger = Ledger(policy=policy)
    if start is None:
        for year, by_type in rights.items():
            for right_type, minutes in by_type.items():
                ledger.lines[(int(year), RightType(right_type))] = Line(granted=int(minutes))
    else:
        for (year, right_type), (granted, used) in start.items():
            if right_type.__class__ is not RightType:
                right_type = RightType(right_type)
            ledger.lines[(int(year), right_type)] = Line(int(granted), int(used))

    years = {year for year, _ in ledger.lines}
    # The open years as of a year, worked out once per year (until a new year appears).
    open_as_of: dict[int, list[int]] = {}
    ordered = sorted(trainings, key=lambda t: (t.end, t.start, t.reference))
    for training in ordered:
        if training.minutes < 0:
            raise ValueError(f"training {training.reference!r} has negative minutes")
        left = int(training.minutes)
        named = training.right_type
        if named is not None and named.__class__ is not RightType:
            named = RightType(named) if named else None
        order = _ORDERS[named]
        pieces: dict[tuple[int, RightType], int] = {}
        end_year = training.end.year
        open_years = open_as_of.get(end_year)
        if open_years is None:
            open_years = open_as_of[end_year] = policy.open_years(end_year, years)
        for year in open_years:
            if left == 0:
                break
            for right_type in order:
                line = ledger.lines.get((year, right_type))
                if line is None or line.remaining <= 0:
                    continue
                take = min(line.remaining, left)
                line.used += take
                pieces[(year, right_type)] = pieces.get((year, right_type), 0) + take
                left -= take
                if left == 0:
                    break
        if left > 0:
            year = training.end.year
            right_type = _overflow_type(training, rights.get(year, {}))
            line = ledger.lines.setdefault((year, right_type), Line())
            if year not in years:
                years.add(year)
                open_as_of.clear()
            line.used += left
            pieces[(year, right_type)] = pieces.get((year, right_type), 0) + left
        if with_charges:
            ledger.charges.extend(
                Charge(training.reference, year, right_type, minutes)
                for (year, right_type), minutes in pieces.items()
            )
    return ledger


def lowest(ledger: Ledger) -> int:
    """The most negative remaining of a ledger's lines (0 if none is negative or none)."""
    return min((line.remaining for line in ledger.lines.values()), default=0)


# Beyond this many trainings written together out of charging order, they are all
# judged on the credit after all of them (each prefix would be charged anew).
EACH_LIMIT = 100


def lowest_after_each(
    rights: Mapping[int, Mapping[RightType, int]],
    uses: list[TrainingUse],
    events: list[tuple[str, TrainingUse | None]],
    policy: CreditPolicy,
) -> list[int]:
    """``lowest`` of the ledger as it stood after each of ``events``, in that order.

    ``uses`` are the worker's trainings that use credit once all the events happened;
    each event is a training written (its reference) with what it replaced (``None``
    for a new training; for a replace or cancel, the earlier version's use, or None if
    that used no credit). The ledger after event *i* is that of ``uses`` with the
    events after *i* undone.

    How several trainings of a worker written together are judged for the credit
    exceeded warning: each on the credit as it was once it and those declared before it
    were written, as if each had come alone, one after the other. New trainings that
    come in charging order after all the others (the usual case) each continue the
    ledger of the one before; beyond ``EACH_LIMIT`` events otherwise, every one is
    judged on the ledger after all of them.
    """

    def order(use: TrainingUse) -> tuple:
        return (use.end, use.start, use.reference)

    written = {reference for reference, _ in events}
    others = [u for u in uses if u.reference not in written]
    by_reference = {u.reference: u for u in uses if u.reference in written}
    mine = [by_reference.get(reference) for reference, _ in events]
    keys = [order(u) for u in mine if u is not None]
    all_new = all(before is None for _, before in events)
    if (
        all_new
        and keys == sorted(keys)
        and (not others or not keys or max(map(order, others)) < keys[0])
    ):
        ledger = charge(rights, others, policy, with_charges=False)
        result = []
        for use in mine:
            if use is not None:
                lines = {key: (line.granted, line.used) for key, line in ledger.lines.items()}
                ledger = charge(rights, [use], policy, with_charges=False, start=lines)
            result.append(lowest(ledger))
        return result
    if len(events) > EACH_LIMIT:
        return [lowest(charge(rights, uses, policy, with_charges=False))] * len(events)
    result = []
    for index in range(len(events)):
        later = events[index + 1 :]
        undone = {reference for reference, _ in later}
        kept = [u for u in uses if u.reference not in undone]
        kept += [before for _, before in later if before is not None]
        result.append(lowest(charge(rights, kept, policy, with_charges=False)))
    return result


# --- Display --------------------------------------------------------------------------


def format_minutes(minutes: int) -> str:
    """``125`` → ``"2:05"``, ``-65`` → ``"-1:05"``."""
    minutes = int(minutes)
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{rest:02d}"
