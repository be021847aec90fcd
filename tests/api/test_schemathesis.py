"""Schemathesis against the served OpenAPI document, through the WSGI application.

Every operation gets a few generated requests with a valid token (and the client's own
employer in the path, so that the requests reach the code behind the access check);
no answer may be a server error, and every answer must conform to the document:
status code, content type, headers and body schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks as st_checks

from tests.api.conftest import make_token

APP = get_wsgi_application()
MAX_EXAMPLES = 8
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_headers_conformance,
    st_checks.response_schema_conformance,
]


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
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


def _operations():
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
    for result in loaded.get_all_operations():
        operation = result.ok()
        yield pytest.param(
            operation.method.upper(),
            operation.path,
            id=f"{operation.method.upper()} {operation.path}",
        )


@pytest.mark.parametrize("method,path", list(_operations()))
def test_operation_conforms_and_never_fails(world, schema, keep_db_connection, method, path):
    operation = schema[path][method]
    token = make_token(world.employer_client)
    own = world.own

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        params = case.path_parameters or {}
        if "enterprise_number" in params:
            params["enterprise_number"] = own.employer.enterprise_number
        if "insz" in params and len(str(case.body)) % 2 == 0:
            params["insz"] = own.worker.insz
        if "reference" in params and len(str(case.body)) % 3 == 0:
            params["reference"] = "T-1"
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    run()
