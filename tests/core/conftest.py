import pytest

from tests import factories
from tests.api.conftest import declare_training


@pytest.fixture
def data():
    """An employer, three of its workers and a training each: S-0, S-1, S-2, starting
    10, 11 and 12 March 2025."""
    employer = factories.make_employer()
    workers = [factories.make_worker(employer) for _ in range(3)]
    for i, worker in enumerate(workers):
        declare_training(
            employer,
            worker,
            reference=f"S-{i}",
            start_date=f"2025-03-1{i}",
            end_date=f"2025-03-1{i}",
        )
    return employer, workers
