"""Properties of the charging of trainings to credit, whatever the data (hypothesis)."""

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fla.rights.rules import CreditPolicy, RightType, TrainingUse, charge

YEARS = range(2022, 2030)

policies = st.one_of(
    st.just(CreditPolicy("carry-over")),
    st.builds(
        CreditPolicy,
        kind=st.just("window"),
        window_start=st.integers(2020, 2026),
        window_length=st.integers(1, 5),
    ),
)

rights_strategy = st.dictionaries(
    st.sampled_from(YEARS),
    st.dictionaries(st.sampled_from(list(RightType)), st.integers(0, 3000), max_size=3),
    max_size=6,
)


@st.composite
def training_lists(draw, max_size=12):
    count = draw(st.integers(0, max_size))
    trainings = []
    for i in range(count):
        start = draw(st.dates(date(2022, 1, 1), date(2029, 12, 31)))
        end = start + timedelta(days=draw(st.integers(0, 60)))
        trainings.append(
            TrainingUse(
                reference=f"R{i:03d}",
                start=start,
                end=min(end, date(2029, 12, 31)),
                minutes=draw(st.integers(0, 2000)),
                right_type=draw(st.one_of(st.none(), st.sampled_from(list(RightType)))),
            )
        )
    return trainings


def snapshot(ledger):
    return (
        {
            key: (line.granted, line.used)
            for key, line in ledger.lines.items()
            if line.used or line.granted
        },
        ledger.charges,
    )


@settings(max_examples=300, deadline=None)
@given(rights=rights_strategy, trainings=training_lists(), policy=policies)
def test_no_minute_is_counted_twice(rights, trainings, policy):
    ledger = charge(rights, trainings, policy)
    total = sum(t.minutes for t in trainings)
    # every minute of every training is charged exactly once ...
    assert sum(c.minutes for c in ledger.charges) == total
    assert sum(line.used for line in ledger.lines.values()) == total
    assert all(c.minutes > 0 for c in ledger.charges)
    # ... and the charges add up to each line's used minutes
    per_line = defaultdict(int)
    for c in ledger.charges:
        per_line[(c.year, c.right_type)] += c.minutes
    for key, line in ledger.lines.items():
        assert line.used == per_line.get(key, 0)
        assert line.granted == rights.get(key[0], {}).get(key[1], 0)
    # a line is used beyond its grant only when the credit is exceeded
    over = [line for line in ledger.lines.values() if line.used > line.granted]
    assert ledger.exceeded == bool(over)
    if not ledger.exceeded:
        assert ledger.remaining() == sum(sum(r.values()) for r in rights.values()) - total
    # every charge is to a year that was open for the training: not later than its end,
    # under the window policy in the same window
    by_ref = {t.reference: t for t in trainings}
    for c in ledger.charges:
        end_year = by_ref[c.reference].end.year
        assert c.year <= end_year
        assert policy.window_of(c.year) == policy.window_of(end_year)


@settings(max_examples=300, deadline=None)
@given(rights=rights_strategy, trainings=training_lists(), policy=policies)
def test_uncovered_minutes_only_when_no_open_credit_was_left(rights, trainings, policy):
    # Replaying the ledger: if some minutes of a training went beyond the grant of
    # their line, then no open line had any credit left once that training was charged.
    ledger = charge(rights, trainings, policy)
    state = {key: [line.granted, 0] for key, line in ledger.lines.items()}
    for t in sorted(trainings, key=lambda t: (t.end, t.start, t.reference)):
        overflow = 0
        for c in ledger.charges_of(t.reference):
            granted, used = state[(c.year, c.right_type)]
            covered = max(min(c.minutes, granted - used), 0)
            overflow += c.minutes - covered
            state[(c.year, c.right_type)][1] += c.minutes
        if overflow:
            open_years = set(policy.open_years(t.end.year, [y for y, _ in state]))
            assert all(g - u <= 0 for (y, _), (g, u) in state.items() if y in open_years)


@settings(max_examples=200, deadline=None)
@given(rights=rights_strategy, trainings=training_lists(), policy=policies, data=st.data())
def test_replacing_a_training_with_itself_changes_nothing(rights, trainings, policy, data):
    before = charge(rights, trainings, policy)
    if trainings:
        index = data.draw(st.integers(0, len(trainings) - 1))
        t = trainings[index]
        replaced = (
            trainings[:index]
            + trainings[index + 1 :]
            + [TrainingUse(t.reference, t.start, t.end, t.minutes, t.right_type)]
        )
    else:
        replaced = []
    shuffled = data.draw(st.permutations(replaced))
    assert snapshot(charge(rights, shuffled, policy)) == snapshot(before)


@settings(max_examples=300, deadline=None)
@given(rights=rights_strategy, trainings=training_lists(), policy=policies, data=st.data())
def test_cancelling_a_training_restores_exactly_its_minutes(rights, trainings, policy, data):
    if not trainings:
        return
    index = data.draw(st.integers(0, len(trainings) - 1))
    cancelled = trainings[index]
    rest = trainings[:index] + trainings[index + 1 :]
    with_it = charge(rights, trainings, policy)
    without = charge(rights, rest, policy)
    # over all years together
    assert without.remaining() == with_it.remaining() + cancelled.minutes
    assert without.used() == with_it.used() - cancelled.minutes
    # window by window: only the cancelled training's window gets the minutes back
    windows = {policy.window_of(y) for y in with_it.years + without.years}
    for window in windows:
        years = [y for y in set(with_it.years + without.years) if policy.window_of(y) == window]
        gained = sum(without.remaining(y) for y in years) - sum(with_it.remaining(y) for y in years)
        expected = cancelled.minutes if window == policy.window_of(cancelled.end.year) else 0
        assert gained == expected
    # and the charges of the others add up to what they did before
    assert sum(c.minutes for c in without.charges) == sum(t.minutes for t in rest)


@given(
    rights=rights_strategy,
    trainings=training_lists(),
    policy=policies,
    as_of=st.sampled_from(YEARS),
)
@settings(max_examples=200, deadline=None)
def test_the_lines_alone_and_the_one_pass_totals_agree_with_the_full_ledger(
    rights, trainings, policy, as_of
):
    full = charge(rights, trainings, policy)
    lines_only = charge(rights, trainings, policy, with_charges=False)
    assert lines_only.charges == []
    assert {k: (v.granted, v.used) for k, v in lines_only.lines.items()} == {
        k: (v.granted, v.used) for k, v in full.lines.items()
    }
    granted, used = lines_only.totals(as_of=as_of)
    assert granted == full.granted(as_of=as_of)
    assert used == full.used_by_type(as_of=as_of)
    assert granted - sum(used.values()) == full.remaining(as_of=as_of)


@given(rights=rights_strategy, trainings=training_lists(), policy=policies, data=st.data())
@settings(max_examples=300, deadline=None)
def test_continuing_a_ledger_with_later_trainings_equals_charging_all_at_once(
    rights, trainings, policy, data
):
    ordered = sorted(trainings, key=lambda t: (t.end, t.start, t.reference))
    split = data.draw(st.integers(0, len(ordered)))
    earlier, later = ordered[:split], ordered[split:]
    before = charge(rights, earlier, policy)
    start = {key: (line.granted, line.used) for key, line in before.lines.items()}
    continued = charge(rights, later, policy, start=start)
    whole = charge(rights, ordered, policy)
    assert {k: (v.granted, v.used) for k, v in continued.lines.items()} == {
        k: (v.granted, v.used) for k, v in whole.lines.items()
    }
