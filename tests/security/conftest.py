"""The world of the security tests: employers that must never see each other's data.

- ``own``: the employer of the web user ``own_user`` (access manager) and of its API client;
- ``mandated``: held by the mandatary ``Sociaal Secretariaat`` under an active mandate;
- ``ended``: held by the same mandatary under a mandate that ended yesterday;
- ``foreign``: nobody here has a mandate or an access for it;
- ``home``: the employer of ``worker_user``, who is also a worker of ``foreign``.

Every employer has a worker, a training, declared rights, computed accounts, a BATCH
file it sent itself (processed), history entries and an access of its own HR user,
all with names unique to that employer so that a leak is visible in any response.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import Sum
from django.test import Client, override_settings
from django.utils import timezone
from oauth2_provider.models import AccessToken

from fla.accounts.access import Caller
from fla.api.services import create_client
from fla.batch.builder import file_bytes
from fla.batch.services import process, receive
from fla.core.identifiers import format_insz
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from fla.rights.services import refresh_accounts
from tests import factories


@dataclass
class Org:
    label: str
    employer: object
    worker: object
    training: object
    batch_file: object
    hr_user: object
    secrets: list[str] = field(default_factory=list)

    def leaks_in(self, content: bytes, sent: str = "") -> list[str]:
        """The strings of this employer that appear in ``content``, but for those the
        request itself carried (``sent``: an echo of the caller's input is no leak)."""
        text = content.decode("utf-8", "replace")
        return [s for s in self.secrets if s in text and s not in sent]


def training_zones(insz: str, reference: str, /, **zones) -> dict:
    """The factories' training, titled "Heftruckattest"."""
    return factories.training_zones(insz, reference, **{"title": "Heftruckattest", **zones})


def _org(label: str) -> Org:
    employer = factories.make_employer(f"Bedrijf {label} NV")
    worker = factories.make_worker(
        employer,
        start=dt.date(2024, 1, 1),
        first_name=f"Zulma{label}",
        last_name=f"Vanderzande{label}",
    )
    system = Caller.for_system("security tests")
    title = f"Geheime opleiding {label}"
    outcomes = submit(
        system,
        [
            Declaration(
                "rights",
                employer.enterprise_number,
                {"insz": worker.insz, "year": 2025, "legal_minutes": 2280},
            ),
            Declaration(
                "training",
                employer.enterprise_number,
                training_zones(worker.insz, f"REF-{label}", title=title),
            ),
        ],
    )
    assert all(o.accepted for o in outcomes), [o.anomalies("en") for o in outcomes]
    from fla.trainings.models import Training

    training = Training.objects.get(employer=employer, reference=f"REF-{label}")
    hr_user = factories.make_user(f"hr-{label.lower()}", first_name="Hr", last_name=label)
    factories.grant(hr_user, employer, "manage")
    content = file_bytes(
        reference=f"FILE-{label}",
        sender=employer.enterprise_number,
        employers=[
            (
                employer.enterprise_number,
                [("training", training_zones(worker.insz, f"BATCH-{label}", title=title))],
            )
        ],
    )
    receipt = receive(
        Caller(channel="batch", label=f"{label} payroll", employer_id=employer.pk),
        io.BytesIO(content),
        production=True,
    )
    assert receipt.accepted, receipt.errors
    process(receipt.file_id)
    from fla.batch.models import BatchFile

    refresh_accounts(employer.pk)
    # every employer has a mandate and an API client of its own, for the access pages
    factories.mandate(factories.make_mandatary(f"Secretariaat {label}"), employer)
    create_client(name=f"Client {label}", employer=employer)
    org = Org(
        label,
        employer,
        worker,
        training,
        BatchFile.objects.get(pk=receipt.file_id),
        hr_user,
    )
    org.secrets = [
        employer.name,
        employer.enterprise_number,
        worker.first_name,
        worker.last_name,
        worker.insz,
        format_insz(worker.insz),
        title,
        f"FILE-{label}",
    ]
    return org


@dataclass
class World:
    own: Org
    mandated: Org
    ended: Org
    foreign: Org
    home: Org
    mandatary: object
    own_user: object
    mandatary_user: object
    worker_user: object  # HR user of ``home`` and a worker of ``foreign``
    worker_only_user: object  # a worker of ``own`` with no access at all
    own_client: object
    mandatary_client: object
    home_client: object
    spare_mandatary: object  # has no mandate: an access manager may grant it one

    @property
    def orgs(self) -> list[Org]:
        return [self.own, self.mandated, self.ended, self.foreign, self.home]


def build_world() -> World:
    own, mandated, ended, foreign, home = (
        _org(label) for label in ("Eigen", "Mandaat", "Einde", "Vreemd", "Thuis")
    )
    mandatary = factories.make_mandatary("Sociaal Secretariaat Zuid")
    factories.mandate(mandatary, mandated.employer, start=dt.date(2024, 1, 1))
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    factories.mandate(mandatary, ended.employer, start=dt.date(2024, 1, 1), end=yesterday)
    mandatary_user = factories.make_user("ssz", first_name="Sofie", last_name="Secretariaat")
    factories.join(mandatary_user, mandatary, "declare")
    worker_user = factories.make_user(
        "werknemer", insz=foreign.worker.insz, first_name="Wout", last_name="Werknemer"
    )
    factories.grant(worker_user, home.employer, "declare")
    # a worker of ``own`` who logs in without any access of their own
    worker_only_user = factories.make_user(
        "alleenwerknemer", insz=own.worker.insz, first_name="Alleen", last_name="Werknemer"
    )
    return World(
        own=own,
        mandated=mandated,
        ended=ended,
        foreign=foreign,
        home=home,
        mandatary=mandatary,
        own_user=own.hr_user,
        mandatary_user=mandatary_user,
        worker_user=worker_user,
        worker_only_user=worker_only_user,
        own_client=create_client(name="Eigen payroll", employer=own.employer).client,
        mandatary_client=create_client(name="SSZ connector", mandatary=mandatary).client,
        home_client=create_client(name="Thuis payroll", employer=home.employer).client,
        spare_mandatary=factories.make_mandatary("Reserve Secretariaat"),
    )


TEST_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "FLA_API_RATE_LIMIT": 0,
}


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory):
    """Settings for a whole module: files of BATCH under a temporary directory."""
    root = tmp_path_factory.mktemp("security")
    (root / "spool").mkdir()
    with override_settings(
        MEDIA_ROOT=str(root / "media"), FILE_UPLOAD_TEMP_DIR=str(root / "spool"), **TEST_SETTINGS
    ):
        yield root


@pytest.fixture(scope="module")
def world(module_settings, django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at its end (like
    ``TestCase.setUpTestData``); each test runs in a savepoint within it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def bearer(client) -> str:
    raw = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        application=client.application,
        token=raw,
        expires=timezone.now() + dt.timedelta(seconds=600),
        scope=client.scopes,
    )
    return raw


def web_client(user=None, employer=None) -> Client:
    """A test client logged in as ``user``, working on ``employer`` (session choice)."""
    client = Client()
    if user is not None:
        client.force_login(user)
        if employer is not None:
            session = client.session
            session["fla_employer_id"] = employer.pk
            session.save()
    return client


# --- nothing written -----------------------------------------------------------------


def _project_models():
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("fla.") and model._meta.app_label not in {"ops"}
    ]


def snapshot() -> dict:
    """Row counts of every model of the project, and fingerprints of the mutable ones."""
    state: dict = {m._meta.label: m.objects.count() for m in _project_models()}
    from fla.rights.models import TrainingRight
    from fla.trainings.models import Training
    from fla.workers.models import Worker

    state["training.version"] = Training.objects.aggregate(s=Sum("version"))["s"]
    state["training.updated"] = str(
        Training.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    )
    state["right.minutes"] = TrainingRight.objects.aggregate(s=Sum("minutes"))["s"]
    state["worker.names"] = sorted(Worker.objects.values_list("first_name", "last_name"))
    return state


def diff(before: dict, after: dict) -> dict:
    return {k: (before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)}
