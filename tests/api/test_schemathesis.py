"""Schemathesis against the served OpenAPI document, through the WSGI application.

Every operation gets, with a valid token (and the client's own employer and worker in
the path, so that the requests reach the code behind the access check):

* the coverage cases: deterministic edge values of every parameter and zone (bounds,
  lengths, missing and wrongly typed values), valid and invalid;
* generated requests with valid data (``POSITIVE_EXAMPLES``) and with invalid data
  (``NEGATIVE_EXAMPLES``), derandomized so that a run is repeatable.

No answer may be a server error, every answer must conform to the document (status
code, content type, headers, body schema), and invalid data must be refused with a
4xx. ``test_a_server_error_fails_the_run`` proves that a 500 does fail it.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks as st_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from tests.api.conftest import make_token

APP = get_wsgi_application()
# About 40 s on top of the coverage cases for the 17 operations on two cores.
POSITIVE_EXAMPLES = 100
NEGATIVE_EXAMPLES = 100
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_headers_conformance,
    st_checks.response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]
# Invalid data must be refused with one of schemathesis's statuses, or with 412: a
# generated If-Match that names no current version is answered before the body is read
# (RFC 9110 §13.2.1: preconditions are evaluated before the request content is processed).
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "412"]
            }
        }
    }
)


@pytest.fixture
def keep_db_connection():
    """As Django's test client does: the WSGI app must not close the test's connection
    (and with it the test transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=CONFIG)


def _operations():
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
    for result in loaded.get_all_operations():
        operation = result.ok()
        yield pytest.param(
            operation.method.upper(),
            operation.path,
            id=f"{operation.method.upper()} {operation.path}",
        )


def _negative(case) -> bool:
    return bool(case.meta and case.meta.generation.mode == GenerationMode.NEGATIVE)


def _mutated_path_values(case) -> set[str] | None:
    """The path parameters a negative case made invalid; None when it does not say."""
    phase = case.meta.phase.data if case.meta else None
    if phase is None:
        return None
    names = set()
    if getattr(phase, "parameter_location", None) == ParameterLocation.PATH:
        names.add(phase.parameter)
    for mutation in getattr(phase, "mutations", ()):
        if mutation.parameter_location == ParameterLocation.PATH:
            names.add(mutation.parameter)
    if not names and getattr(phase, "parameter_location", None) is None:
        return None if not getattr(phase, "mutations", ()) else names
    return names


def _aim(case, world, turn: int) -> None:
    """The client's own employer in the path, and (every other case) its worker and a
    training it has: unless the case is about that very path value being invalid."""
    params = case.path_parameters or {}
    keep: set[str] = set()
    if _negative(case):
        mutated = _mutated_path_values(case)
        keep = set(params) if mutated is None else mutated
    own = {
        "enterprise_number": world.own.employer.enterprise_number,
        "insz": world.own.worker.insz if turn % 2 == 0 else None,
        "reference": "T-1" if turn % 3 == 0 else None,
    }
    for name, value in own.items():
        if name in params and value is not None and name not in keep:
            params[name] = value


def _expressible(case) -> bool:
    """Whether a query string can say what the case means. A negative case may give a
    query parameter an object, which a query string cannot carry: schemathesis then
    sends the object's members as parameters of their own, nothing at all for ``{}``,
    and an empty list likewise, so that the request does not hold the invalid value the
    case is about (``?name=`` printed, no ``name`` sent) and is rightly accepted."""
    if not _negative(case):
        return True
    return not any(
        isinstance(value, dict) or value == []
        for value in (getattr(case, "query", None) or {}).values()
    )


def _call(case, token: str) -> None:
    checks = NEGATIVE_CHECKS if _negative(case) else CHECKS
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)


def exercise(schema, world, method: str, path: str, positive: int, negative: int) -> int:
    """Run the coverage cases and the generated ones of one operation; how many."""
    operation = schema[path][method]
    token = make_token(world.employer_client)
    count = 0
    generation = schema.config.generation_for(operation=operation)
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    for case in schema.iter_coverage_cases(
        operation, generation_modes=modes, generation_config=generation
    ):
        if not _expressible(case):
            continue
        _aim(case, world, count)
        _call(case, token)
        count += 1
    for mode, examples in (
        (GenerationMode.POSITIVE, positive),
        (GenerationMode.NEGATIVE, negative),
    ):
        if examples:
            count += _generated(operation, world, token, mode, examples)
    return count


def _generated(operation, world, token: str, mode: GenerationMode, examples: int) -> int:
    turns = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        assume(_expressible(case))
        _aim(case, world, len(turns))
        turns.append(case)
        _call(case, token)

    try:
        run()
    except Unsatisfiable:
        # Nothing of this operation can be made invalid (plain string parameters only).
        if mode != GenerationMode.NEGATIVE or turns:
            raise
    return len(turns)


@pytest.mark.parametrize("method,path", list(_operations()))
def test_operation_conforms_and_never_fails(world, schema, keep_db_connection, method, path):
    assert exercise(schema, world, method, path, POSITIVE_EXAMPLES, NEGATIVE_EXAMPLES) > 0


def test_a_server_error_fails_the_run(world, schema, keep_db_connection, monkeypatch, settings):
    """The harness is worth something only if a 500 fails it."""
    from fla.api.routers import catalogue

    class Broken:
        def values(self):
            raise RuntimeError("broken on purpose")

    settings.DEBUG = False
    monkeypatch.setattr(catalogue, "CATALOGUE", Broken())
    with pytest.raises(FailureGroup) as failure:
        exercise(schema, world, "GET", "/api/v1/anomalies", 1, 0)
    assert any(isinstance(error, ServerError) for error in failure.value.exceptions)
