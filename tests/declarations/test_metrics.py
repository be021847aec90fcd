"""Every submit counts its outcomes by channel and result for /metrics."""

from fla.declarations.services import submit
from fla.ops.metrics import DECLARATIONS
from tests.declarations.conftest import TODAY, training


def counted(channel: str, result: str) -> float:
    return DECLARATIONS.labels(channel=channel, result=result)._value.get()


def test_submit_counts_its_outcomes_but_not_dry_runs(employer, worker, caller):
    accepted, rejected = counted("web", "accepted"), counted("web", "rejected")
    submit(
        caller, [training(employer, worker), training(employer, worker, "X", title="")], today=TODAY
    )
    assert counted("web", "accepted") == accepted + 1
    assert counted("web", "rejected") == rejected + 1
    submit(caller, [training(employer, worker, "Y")], dry_run=True, today=TODAY)
    assert counted("web", "accepted") == accepted + 1
