"""A token with the scope ``declare`` alone writes; reads need ``read``."""

from __future__ import annotations

import json

from fla.api.api import api
from tests.api.conftest import ApiClient, assert_problem, make_token, training_body


def test_a_declare_only_token_writes(world):
    client = ApiClient(make_token(world.employer_client, scopes="declare"))
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    base = f"employers/{en}"
    assert client.put(f"{base}/trainings/D-1", training_body(insz)).status_code == 201
    assert client.delete(f"{base}/trainings/D-1").status_code == 200
    response = client.put(f"{base}/workers/{insz}/rights/2025", {"legal_minutes": 100})
    assert response.status_code == 200, response.content
    response = client.put(f"{base}/workers/{insz}", {"first_name": "An", "last_name": "Peeters"})
    assert response.status_code == 200, response.content
    response = client.post(
        f"{base}/declarations/validate",
        {"declarations": [{"kind": "rights", "data": {"insz": insz, "year": 2025}}]},
    )
    assert response.status_code == 200, response.content


def test_a_declare_only_token_does_not_read(world):
    client = ApiClient(make_token(world.employer_client, scopes="declare"))
    en = world.own.employer.enterprise_number
    body = assert_problem(client.get(f"employers/{en}/trainings/T-1"), 403)
    assert body["type"] == "urn:fla:problem:insufficient-scope"


def test_a_declare_only_token_writes_only_for_its_employers(world):
    client = ApiClient(make_token(world.employer_client, scopes="declare"))
    en, insz = world.foreign.employer.enterprise_number, world.foreign.worker.insz
    assert_problem(client.put(f"employers/{en}/trainings/D-1", training_body(insz)), 404)
    assert_problem(client.delete(f"employers/{en}/trainings/T-1"), 404)


def test_the_openapi_security_names_the_scope_each_operation_checks():
    schema = json.loads(json.dumps(api.get_openapi_schema()))
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if not path.startswith("/api/v1/employers"):
                continue
            wanted = "read" if method == "get" else "declare"
            assert operation["security"] == [{"OAuth2": [wanted]}], (method, path)


def test_the_403_challenge_names_the_scope_only_when_one_will_do(world):
    """RFC 6750 §3: the challenge's ``scope`` lists the scopes a token needs all of. A
    file's status takes ``read`` or ``declare``: no ``scope`` is named there, the
    ``error_description`` says either will do."""
    client = ApiClient(make_token(world.employer_client, scopes=""), language="fr")
    for path in ("batches/1", "batches/1/notification"):
        response = client.get(path)
        problem = assert_problem(response, 403)
        assert (
            problem["detail"]
            == "Cette opération requiert la portée (scope) « read » ou « declare »."
        )
        challenge = response["WWW-Authenticate"]
        assert challenge == (
            'Bearer realm="fla", error="insufficient_scope", '
            "error_description=\"This operation needs the scope 'read' or 'declare'.\""
        )
        assert "scope=" not in challenge.replace("insufficient_scope", "")
    # Elsewhere, one scope will do: the challenge names it.
    en = world.own.employer.enterprise_number
    response = client.get(f"employers/{en}/trainings/T-1")
    assert_problem(response, 403)
    assert response["WWW-Authenticate"] == (
        'Bearer realm="fla", error="insufficient_scope", '
        'error_description="This operation needs the scope \'read\'.", scope="read"'
    )
    assert response["WWW-Authenticate"].isascii()
