"""Properties of the write path over random trainings (hypothesis)."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from fla.accounts.access import Caller
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.models import Account, CreditLine
from fla.trainings.models import Training
from tests import factories

TODAY = dt.date(2026, 6, 30)

trainings = st.lists(
    st.fixed_dictionaries(
        {
            "day": st.integers(min_value=0, max_value=900),
            "minutes": st.integers(min_value=1, max_value=2000),
            "status": st.sampled_from(["completed", "completed", "planned", "not_followed"]),
            "right_type": st.sampled_from(["", "legal", "employer"]),
            "counts": st.booleans(),
        }
    ),
    min_size=1,
    max_size=8,
)


def declaration(employer, worker, index, zones):
    start = dt.date(2024, 1, 1) + dt.timedelta(days=zones["day"])
    status = zones["status"] if start < TODAY else "planned"
    return Declaration(
        "training",
        employer.enterprise_number,
        {
            "insz": worker.insz,
            "reference": f"P-{index}",
            "title": f"Training {index}",
            "kind": "formal",
            "start_date": start.isoformat(),
            "end_date": start.isoformat(),
            "duration_minutes": min(zones["minutes"], 1440),
            "status": status,
            "counts_toward_account": zones["counts"],
            "right_type": zones["right_type"],
        },
    )


class WritePathProperties(TestCase):
    def setUp(self):
        self.employer = factories.make_employer()
        self.worker = factories.make_worker(self.employer, start=dt.date(2020, 1, 1))
        for year, minutes in ((2024, 2280), (2025, 1140), (2026, 2280)):
            factories.grant_right(self.employer, self.worker, year=year, minutes=minutes)
        factories.grant_right(
            self.employer, self.worker, right_type="employer", source="declared", minutes=600
        )
        user = factories.make_user()
        factories.grant(user, self.employer)
        self.caller = Caller.for_user(user)

    def state(self):
        return (
            sorted(
                CreditLine.objects.values_list(
                    "year", "right_type", "granted_minutes", "used_minutes"
                )
            ),
            sorted(Training.objects.values_list("reference", "version", "status")),
        )

    @settings(max_examples=15)
    @given(trainings)
    def test_no_minute_counted_twice_replay_idempotent_cancel_restores(self, items):
        Training.objects.all().delete()
        declarations = [declaration(self.employer, self.worker, i, z) for i, z in enumerate(items)]
        outcomes = submit(self.caller, declarations, today=TODAY)
        assert all(o.accepted for o in outcomes), [o.anomalies("en") for o in outcomes]
        counting = sum(t.duration_minutes for t in Training.objects.all() if t.counts)
        used = sum(CreditLine.objects.values_list("used_minutes", flat=True))
        assert used == counting  # every counting minute charged exactly once

        before = self.state()
        again = submit(self.caller, declarations, today=TODAY)
        assert not any(o.changed for o in again)
        assert self.state() == before  # replaying is idempotent

        cancels = [
            Declaration(
                "training",
                self.employer.enterprise_number,
                {"reference": d.data["reference"]},
                action="cancel",
            )
            for d in declarations
        ]
        submit(self.caller, cancels, today=TODAY)
        assert sum(CreditLine.objects.values_list("used_minutes", flat=True)) == 0
        account = Account.objects.get(employer=self.employer, worker=self.worker)
        assert account.remaining_minutes == account.granted_minutes == 2280 + 1140 + 600 + 2280
