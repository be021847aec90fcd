import datetime as dt

import pytest

from fla.accounts.access import Caller
from fla.batch.builder import file_bytes
from tests.factories import join, make_employer, make_mandatary, make_user, make_worker, mandate


@pytest.fixture(autouse=True)
def batch_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "spool").mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    settings.FLA_BATCH_CHUNK = 50
    return tmp_path


class World:
    def __init__(self):
        self.employer = make_employer("Acme")
        self.other = make_employer("Other")  # no mandate for it
        self.mandatary = make_mandatary("Secretariat")
        mandate(self.mandatary, self.employer, start=dt.date(2020, 1, 1))
        self.user = make_user()
        join(self.user, self.mandatary)
        self.workers = [make_worker(self.employer, start=dt.date(2020, 1, 1)) for _ in range(3)]
        self.caller = Caller(
            channel="batch", label="Secretariat API", mandatary_id=self.mandatary.pk
        )

    def training(self, reference, worker=None, **zones):
        worker = worker or self.workers[0]
        data = {
            "reference": reference,
            "insz": worker.insz,
            "title": "Safety",
            "kind": "formal",
            "start_date": "2025-03-01",
            "end_date": "2025-03-02",
            "duration_minutes": 480,
            "status": "completed",
        }
        data.update(zones)
        return ("training", data)

    def file(
        self,
        reference="F1",
        declarations=None,
        *,
        employer=None,
        environment="production",
        sender=None,
        language=None,
    ):
        declarations = declarations if declarations is not None else [self.training("T1")]
        return file_bytes(
            reference=reference,
            sender=sender or self.mandatary.enterprise_number,
            environment=environment,
            language=language,
            employers=[((employer or self.employer).enterprise_number, declarations)],
        )


@pytest.fixture
def world(db):
    return World()
