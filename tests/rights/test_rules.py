"""The rules engine, on examples worked out by hand (docs/rules.md)."""

import ast
import sys
from datetime import date
from decimal import Decimal

import pytest

from fla.rights import rules
from fla.rights.rules import (
    SECTOR_FLOOR_DAYS,
    Charge,
    CreditPolicy,
    EmploymentPeriod,
    RightType,
    SizeClass,
    TrainingUse,
    average_fte,
    charge,
    computed_right_minutes,
    days_to_minutes,
    effective_rights,
    employed_days,
    format_minutes,
    fte_at,
    legal_days,
    reference_dates,
    right_days,
    size_class_for_fte,
)

LEGAL, SECTOR, EMPLOYER = RightType.LEGAL, RightType.SECTOR, RightType.EMPLOYER
WEEK_38H = 38 * 60  # 2280 minutes; a day is 2280 / 5 = 456 minutes (7 h 36)
SECTOR_TABLE = {("200", "20plus", 2025): Decimal(3)}
CARRY_OVER = CreditPolicy("carry-over")
WINDOW = CreditPolicy("window", window_start=2024, window_length=5)


def full_time(start, end=None, jc="200"):
    return EmploymentPeriod(start, end, Decimal(1), jc)


def test_rules_module_imports_the_standard_library_only():
    tree = ast.parse(open(rules.__file__, encoding="utf-8").read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= set(sys.stdlib_module_names), imported
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "float" not in names


def test_enum_values_match_the_code_lists():
    from fla.core import choices

    assert {t.value for t in RightType} == set(choices.RightType.values)
    assert {s.value for s in SizeClass} == set(choices.SizeClass.values)


# --- Size class -----------------------------------------------------------------------


def test_reference_dates_are_q4_of_y_minus_2_and_q1_to_q3_of_y_minus_1():
    assert reference_dates(2025) == [
        date(2023, 12, 31),
        date(2024, 3, 31),
        date(2024, 6, 30),
        date(2024, 9, 30),
    ]


def test_size_class_from_quarter_end_fte():
    # 20 full-time workers since 2020, 10 half-time workers from 1 April 2024,
    # 1 full-time worker who left on 31 March 2024 (still counted that day).
    staff = [full_time(date(2020, 1, 1)) for _ in range(20)]
    staff += [EmploymentPeriod(date(2024, 4, 1), None, Decimal("0.5"), "200")] * 10
    staff += [full_time(date(2019, 1, 1), date(2024, 3, 31))]
    # 31 Dec 2023: 20 + 1          = 21
    # 31 Mar 2024: 20 + 1          = 21 (the leaver's last day counts)
    # 30 Jun 2024: 20 + 10 × 0.5   = 25
    # 30 Sep 2024: 20 + 10 × 0.5   = 25
    assert [fte_at(staff, d) for d in reference_dates(2025)] == [21, 21, 25, 25]
    # average (21 + 21 + 25 + 25) / 4 = 92 / 4 = 23 → 20 or more
    assert average_fte(staff, 2025) == Decimal(23)
    assert size_class_for_fte(average_fte(staff, 2025)) is SizeClass.LARGE
    # For 2024 the reference dates are in 2022–2023: 21 FTE at each → large as well;
    # for 2026 (31 Dec 2024 and 2025): 25 each.
    assert average_fte(staff, 2026) == Decimal(25)


def test_size_class_limits_and_exact_averages():
    # 15 full-time workers; one more from 30 Sep 2024, counted on that day only.
    staff = [full_time(date(2020, 1, 1)) for _ in range(15)]
    staff.append(full_time(date(2024, 9, 30)))
    # (15 + 15 + 15 + 16) / 4 = 61 / 4 = 15.25 → 10 to 19
    assert average_fte(staff, 2025) == Decimal("15.25")
    assert size_class_for_fte(Decimal("15.25")) is SizeClass.MEDIUM
    assert size_class_for_fte(Decimal("9.9999")) is SizeClass.SMALL
    assert size_class_for_fte(Decimal(10)) is SizeClass.MEDIUM
    assert size_class_for_fte(Decimal("19.9999")) is SizeClass.MEDIUM
    assert size_class_for_fte(Decimal(20)) is SizeClass.LARGE
    assert average_fte([], 2025) == 0


# --- Days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size_class", "year", "days"),
    [
        (SizeClass.SMALL, 2025, 0),
        (SizeClass.MEDIUM, 2023, 1),
        (SizeClass.MEDIUM, 2025, 1),
        (SizeClass.LARGE, 2023, 4),
        (SizeClass.LARGE, 2024, 5),
        ("20plus", 2030, 5),
    ],
)
def test_legal_days(size_class, year, days):
    assert legal_days(size_class, year) == Decimal(days)


def test_sector_rule_wins_and_is_raised_to_the_two_day_floor():
    table = {
        ("200", "20plus", 2025): Decimal(3),
        ("302", "lt10", 2025): Decimal(1),  # below the floor
        ("302", "10to19", 2025): Decimal("1.5"),  # below the floor
    }
    assert right_days("200", SizeClass.LARGE, 2025, table) == (SECTOR, Decimal(3))
    # 1 day < 2-day floor → 2 days, still of type sector
    assert right_days("302", SizeClass.SMALL, 2025, table) == (SECTOR, SECTOR_FLOOR_DAYS)
    assert right_days("302", "10to19", 2025, table) == (SECTOR, Decimal(2))
    # no rule for PC 200 in 2024, or for another size class → legal days
    assert right_days("200", SizeClass.LARGE, 2024, table) == (LEGAL, Decimal(5))
    assert right_days("200", SizeClass.MEDIUM, 2025, table) == (LEGAL, Decimal(1))
    assert right_days("124", SizeClass.LARGE, 2025, table) == (LEGAL, Decimal(5))


def test_floor_applies_to_computed_minutes():
    # PC 302, small employer, sector rule 1 day → 2 days; full time all of 2025:
    # 2 × 456 × 1 × 365/365 = 912 minutes
    table = {("302", "lt10", 2025): Decimal(1)}
    staff = [full_time(date(2020, 1, 1), jc="302")]
    assert computed_right_minutes(staff, 2025, SizeClass.SMALL, table, WEEK_38H) == {SECTOR: 912}


# --- Minutes --------------------------------------------------------------------------


def test_employed_days():
    assert employed_days(full_time(date(2025, 7, 1)), 2025) == 184  # Jul–Dec: 31+31+30+31+30+31
    assert employed_days(full_time(date(2020, 1, 1)), 2025) == 365
    assert employed_days(full_time(date(2020, 1, 1)), 2024) == 366  # leap year
    assert employed_days(full_time(date(2025, 3, 1), date(2025, 3, 1)), 2025) == 1
    assert employed_days(full_time(date(2020, 1, 1), date(2024, 12, 31)), 2025) == 0
    assert employed_days(full_time(date(2026, 1, 1)), 2025) == 0


def test_half_time_worker_from_july_in_joint_committee_200():
    # 25-FTE company → size class 20plus; PC 200 has a sector rule of 3 days in 2025.
    # Half time (regime 0.5) from 1 July 2025: 184 of 365 days employed.
    # 3 days × 456 min × 0.5 × 184 / 365 = 684 × 184 / 365 = 125 856 / 365 = 344.81…
    # → 345 minutes = 5:45, of type sector.
    worker = [EmploymentPeriod(date(2025, 7, 1), None, Decimal("0.5"), "200")]
    size = size_class_for_fte(Decimal(25))
    assert size is SizeClass.LARGE
    minutes = computed_right_minutes(worker, 2025, size, SECTOR_TABLE, WEEK_38H)
    assert minutes == {SECTOR: 345}
    assert format_minutes(345) == "5:45"


def test_half_time_worker_from_july_outside_joint_committee_200():
    # Same worker in PC 124 (no sector rule): the legal 5 days of 2025 for 20+ FTE.
    # 5 × 456 × 0.5 × 184 / 365 = 1140 × 184 / 365 = 209 760 / 365 = 574.68…
    # → 575 minutes = 9:35, of type legal.
    worker = [EmploymentPeriod(date(2025, 7, 1), None, Decimal("0.5"), "124")]
    minutes = computed_right_minutes(worker, 2025, SizeClass.LARGE, SECTOR_TABLE, WEEK_38H)
    assert minutes == {LEGAL: 575}
    assert format_minutes(575) == "9:35"


def test_hours_per_day_follow_the_reference_week():
    # 36 h week = 2160 min → 432 min a day; legal 5 days full time all of 2025 = 2160.
    worker = [full_time(date(2020, 1, 1), jc="124")]
    assert computed_right_minutes(worker, 2025, "20plus", {}, 36 * 60) == {LEGAL: 2160}
    assert days_to_minutes(Decimal("7.5"), WEEK_38H) == 3420  # 7.5 × 456
    assert days_to_minutes(1, 37 * 60 + 30) == 450  # 37 h 30 → 7 h 30 a day


def test_rounding_is_half_up_once_per_worker_year_and_type():
    # Two legal employments in 2025 at a 20+ employer (5 days, 456 min a day):
    # A: 1 Jan–28 Feb, half time:  5 × 456 × 0.5 × 59 / 365  =  67 260 / 365 =  184.27…
    # B: 1 Jul–31 Dec, full time:  5 × 456 × 1   × 184 / 365 = 419 520 / 365 = 1149.36…
    # rounded each: 184 + 1149 = 1333; exact sum 486 780 / 365 = 1333.64… → 1334.
    worker = [
        EmploymentPeriod(date(2025, 1, 1), date(2025, 2, 28), Decimal("0.5"), "124"),
        EmploymentPeriod(date(2025, 7, 1), None, Decimal(1), "111"),
    ]
    assert computed_right_minutes(worker, 2025, "20plus", {}, WEEK_38H) == {LEGAL: 1334}
    # With B in PC 200 the types differ: each type is rounded on its own.
    # B as sector: 3 × 456 × 184 / 365 = 251 712 / 365 = 689.62… → 690; A stays 184.
    worker[1] = EmploymentPeriod(date(2025, 7, 1), None, Decimal(1), "200")
    assert computed_right_minutes(worker, 2025, "20plus", SECTOR_TABLE, WEEK_38H) == {
        LEGAL: 184,
        SECTOR: 690,
    }


def test_exact_half_rounds_up():
    # A 38 h 01 week (2281 min): a day is 456.2 min. Half time all of 2025, 5 days:
    # 5 × 456.2 × 0.5 = 1140.5 → 1141 (banker's rounding would give 1140).
    worker = [EmploymentPeriod(date(2020, 1, 1), None, Decimal("0.5"), "124")]
    assert computed_right_minutes(worker, 2025, "20plus", {}, 2281) == {LEGAL: 1141}
    assert days_to_minutes(Decimal("2.5"), 2281) == 1141  # 2.5 × 456.2 = 1140.5
    assert rules.round_half_up(Decimal("-0.5")) == -1


def test_small_employer_gets_a_zero_legal_right_and_no_employment_no_right():
    worker = [full_time(date(2020, 1, 1), jc="124")]
    assert computed_right_minutes(worker, 2025, "lt10", {}, WEEK_38H) == {LEGAL: 0}
    left = [full_time(date(2020, 1, 1), date(2024, 12, 31), jc="124")]
    assert computed_right_minutes(left, 2025, "20plus", {}, WEEK_38H) == {}


# --- Effective rights -----------------------------------------------------------------


def test_effective_rights():
    computed = {LEGAL: 575, SECTOR: 345, EMPLOYER: 999}
    # declared wins per type; employer rights are only ever declared
    assert effective_rights(computed, {LEGAL: 600}, False) == {LEGAL: 600, SECTOR: 345}
    assert effective_rights(computed, {}, False) == {LEGAL: 575, SECTOR: 345}
    assert effective_rights(computed, {EMPLOYER: 120}, False) == {
        LEGAL: 575,
        SECTOR: 345,
        EMPLOYER: 120,
    }
    # opted out: only declared rights count
    assert effective_rights(computed, {EMPLOYER: 120}, True) == {EMPLOYER: 120}
    assert effective_rights(computed, {}, True) == {}
    # a declared 0 is a declaration
    assert effective_rights(computed, {SECTOR: 0}, False) == {LEGAL: 575, SECTOR: 0}


# --- Credit policy --------------------------------------------------------------------


def test_policy_windows():
    assert WINDOW.window_of(2024) == 0
    assert WINDOW.window_of(2028) == 0
    assert WINDOW.window_of(2029) == 1
    assert WINDOW.window_of(2023) == -1
    assert CARRY_OVER.window_of(2029) is None
    years = [2023, 2024, 2026, 2028, 2029, 2030]
    assert CARRY_OVER.open_years(2029, years) == [2023, 2024, 2026, 2028, 2029]
    assert WINDOW.open_years(2029, years) == [2029]
    assert WINDOW.open_years(2028, years) == [2024, 2026, 2028]
    assert CreditPolicy.from_settings("window", 2024, 5) == WINDOW
    assert CreditPolicy.from_settings("carry_over", 2024, 5).kind == "carry-over"
    with pytest.raises(ValueError):
        CreditPolicy.from_settings("reset", 2024, 5)


def test_window_versus_carry_over():
    # 300 min legal in 2028 and in 2029; a 500 min training ending in 2029.
    rights = {2028: {LEGAL: 300}, 2029: {LEGAL: 300}}
    training = [TrainingUse("T1", date(2029, 3, 1), date(2029, 3, 2), 500, None)]

    # carry-over: 2028 first (300), then 2029 (200) → remaining 0 + 100 = 100
    ledger = charge(rights, training, CARRY_OVER)
    assert ledger.charges == [Charge("T1", 2028, LEGAL, 300), Charge("T1", 2029, LEGAL, 200)]
    assert ledger.remaining(as_of=2029) == 100
    assert not ledger.exceeded

    # window 2024–2028 | 2029–2033: the 2028 credit is closed for a 2029 training.
    # 300 from 2029, the other 200 uncovered → still charged to 2029 legal: −200.
    ledger = charge(rights, training, WINDOW)
    assert ledger.charges == [Charge("T1", 2029, LEGAL, 500)]
    assert ledger.line(2029, LEGAL).remaining == -200
    assert ledger.remaining(as_of=2029) == -200  # 2028 is reset: not counted
    assert ledger.remaining(2028) == 300
    assert ledger.remaining() == 100  # all years together
    assert ledger.exceeded


def test_charging_order_with_a_named_type():
    rights = {
        2024: {LEGAL: 300, EMPLOYER: 600},
        2025: {LEGAL: 300, SECTOR: 200},
    }
    trainings = [  # given out of order on purpose
        TrainingUse("C", date(2025, 9, 1), date(2025, 9, 30), 100, SECTOR),
        TrainingUse("B", date(2025, 6, 1), date(2025, 6, 30), 500, None),
        TrainingUse("A", date(2025, 3, 1), date(2025, 3, 1), 400, EMPLOYER),
        TrainingUse("A2", date(2025, 3, 1), date(2025, 3, 1), 0, None),
    ]
    ledger = charge(rights, trainings, CARRY_OVER)
    # A (ends 1 Mar) names employer: oldest year 2024 first, its named type first:
    #   2024 employer 400 (600 → 200 left)
    # A2: nothing to charge
    # B (ends 30 Jun), no type: 2024 legal 300, then 2024 sector (none), then
    #   2024 employer 200 (the rest of 2024); 500 = 300 + 200
    # C (ends 30 Sep) names sector: 2024 has no sector and nothing left at all;
    #   2025: sector first → 100
    assert ledger.charges == [
        Charge("A", 2024, EMPLOYER, 400),
        Charge("B", 2024, LEGAL, 300),
        Charge("B", 2024, EMPLOYER, 200),
        Charge("C", 2025, SECTOR, 100),
    ]
    assert ledger.remaining(2024) == 0
    assert ledger.remaining(2025) == 300 + 200 - 100
    assert ledger.used_by_type() == {LEGAL: 300, SECTOR: 100, EMPLOYER: 600}
    assert ledger.years == [2024, 2025]
    assert not ledger.exceeded


def test_same_end_date_orders_by_start_then_reference():
    rights = {2025: {LEGAL: 100, EMPLOYER: 100}}
    trainings = [
        TrainingUse("Z", date(2025, 5, 1), date(2025, 5, 10), 100, None),
        TrainingUse("B", date(2025, 5, 5), date(2025, 5, 10), 100, None),
        TrainingUse("A", date(2025, 5, 5), date(2025, 5, 10), 100, None),
    ]
    # Z starts first → legal 100; then A before B (reference) → employer 100;
    # B finds nothing left → 100 uncovered, charged to 2025 legal.
    ledger = charge(rights, trainings, CARRY_OVER)
    assert ledger.charges == [
        Charge("Z", 2025, LEGAL, 100),
        Charge("A", 2025, EMPLOYER, 100),
        Charge("B", 2025, LEGAL, 100),
    ]
    assert ledger.line(2025, LEGAL).remaining == -100


def test_a_training_never_uses_credit_of_a_later_year():
    rights = {2025: {LEGAL: 1000}}
    ledger = charge(
        rights, [TrainingUse("T", date(2024, 5, 1), date(2024, 5, 2), 60, None)], CARRY_OVER
    )
    # 2025 is not open for a training ending in 2024 → uncovered in 2024, legal
    assert ledger.charges == [Charge("T", 2024, LEGAL, 60)]
    assert ledger.remaining(2024) == -60
    assert ledger.remaining(as_of=2024) == -60
    assert ledger.remaining(as_of=2025) == 940


def test_credit_exceeded():
    # Only a sector right in 2025 (345 min, the half-time PC 200 worker above);
    # a training of 6 h 40 (400 min) without a type: 345 sector, 55 uncovered,
    # which go to sector as the worker has only a sector right that year.
    rights = {2025: {SECTOR: 345}}
    ledger = charge(
        rights, [TrainingUse("X", date(2025, 10, 1), date(2025, 10, 3), 400, None)], CARRY_OVER
    )
    assert ledger.charges == [Charge("X", 2025, SECTOR, 400)]
    assert ledger.line(2025, SECTOR).used == 400
    assert ledger.remaining(as_of=2025) == -55
    assert format_minutes(ledger.remaining(as_of=2025)) == "-0:55"
    assert ledger.exceeded

    # A named type keeps its name even beyond its credit
    named = TrainingUse("Y", date(2025, 10, 1), date(2025, 10, 3), 400, EMPLOYER)
    ledger = charge(rights, [named], CARRY_OVER)
    # (employer named: none in 2025; then legal: none; sector 345; 55 left → employer)
    assert ledger.charges == [Charge("Y", 2025, SECTOR, 345), Charge("Y", 2025, EMPLOYER, 55)]
    assert ledger.line(2025, SECTOR).used == 345
    assert ledger.line(2025, EMPLOYER).used == 55
    assert ledger.line(2025, EMPLOYER).granted == 0

    # No right at all that year → legal
    ledger = charge(
        {}, [TrainingUse("Z", date(2025, 1, 1), date(2025, 1, 1), 65, None)], CARRY_OVER
    )
    assert ledger.charges == [Charge("Z", 2025, LEGAL, 65)]
    assert format_minutes(ledger.remaining()) == "-1:05"


def test_format_minutes():
    assert format_minutes(0) == "0:00"
    assert format_minutes(65) == "1:05"
    assert format_minutes(-65) == "-1:05"
    assert format_minutes(2280) == "38:00"
