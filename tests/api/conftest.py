"""The API's world: an employer with its own client, a mandatary holding a mandate
for a second employer, and a third employer nobody here may see."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from fla.accounts.access import Caller
from fla.api.services import create_client
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from tests import factories

API = "/api/v1"


def training_body(insz: str, **zones) -> dict:
    """The body of a training PUT: its reference is in the URL."""
    return factories.training_zones(insz, **zones)


def declare_training(employer, worker, reference="T-1", **zones):
    data = factories.training_zones(worker.insz, reference, **zones)
    [outcome] = submit(
        Caller.for_system("test"), [Declaration("training", employer.enterprise_number, data)]
    )
    assert outcome.accepted, outcome.anomalies("en")
    return outcome


@dataclass
class Org:
    employer: object
    worker: object


@dataclass
class World:
    own: Org  # the employer of the employer client
    mandated: Org  # held by the mandatary client under a mandate
    foreign: Org  # nobody's business here
    employer_client: object
    mandatary_client: object
    read_only_client: object


@pytest.fixture(autouse=True)
def fast_secret_hashing(settings):
    """Client secrets are hashed like passwords; the slow production hasher is not on test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _org(name: str) -> Org:
    employer = factories.make_employer(name)
    worker = factories.make_worker_with_right(
        employer, first_name="An", last_name=f"Janssens {name}"
    )
    declare_training(employer, worker)
    return Org(employer, worker)


@pytest.fixture
def world(db) -> World:
    own, mandated, foreign = _org("Own"), _org("Mandated"), _org("Foreign")
    mandatary = factories.make_mandatary("Sociaal Secretariaat")
    factories.mandate(mandatary, mandated.employer)
    return World(
        own=own,
        mandated=mandated,
        foreign=foreign,
        employer_client=create_client(name="Own payroll", employer=own.employer).client,
        mandatary_client=create_client(name="SSL connector", mandatary=mandatary).client,
        read_only_client=create_client(
            name="Reporting", employer=own.employer, scopes=["read"]
        ).client,
    )


def make_token(client, *, scopes: str | None = None, expired: bool = False) -> str:
    raw = secrets.token_urlsafe(24)
    delta = dt.timedelta(seconds=-5 if expired else 600)
    AccessToken.objects.create(
        application=client.application,
        token=raw,
        expires=timezone.now() + delta,
        scope=scopes if scopes is not None else client.scopes,
    )
    return raw


class ApiClient:
    """Django's test client with a bearer token and JSON bodies."""

    def __init__(self, token: str | None = None, language: str | None = None) -> None:
        self.client = Client()
        self.token = token
        self.language = language

    def request(self, method: str, path: str, body=None, headers: dict | None = None):
        extra = {}
        if self.token:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        if self.language:
            extra["HTTP_ACCEPT_LANGUAGE"] = self.language
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        url = path if path.startswith("/") else f"{API}/{path}"
        import json

        data = json.dumps(body) if body is not None else ""
        return self.client.generic(
            method.upper(), url, data, content_type="application/json", **extra
        )

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def as_employer(world) -> ApiClient:
    return ApiClient(make_token(world.employer_client))


@pytest.fixture
def as_mandatary(world) -> ApiClient:
    return ApiClient(make_token(world.mandatary_client))


@pytest.fixture
def as_reader(world) -> ApiClient:
    return ApiClient(make_token(world.read_only_client))


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["type"], str) and body["type"]
    return body


def query_plan(sql: str) -> str:
    """The plan of ``sql`` as the database gives it, with sorts and sequential scans
    discouraged on PostgreSQL, so that it says whether an index serves the query."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
