"""The OpenAPI document: served, committed to docs/ and kept in step, docs page offline."""

from __future__ import annotations

import json
import re

from django.test import Client

from fla.api.reference import OPENAPI_PATH, REFERENCE_PATH, render_markdown


def test_committed_openapi_document_is_the_served_one(db):
    served = Client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    committed = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    assert committed == served.json(), "docs/openapi.json is stale: run `fla export-openapi`"


def test_committed_reference_page_is_up_to_date(db):
    served = Client().get("/api/v1/openapi.json").json()
    assert REFERENCE_PATH.read_text(encoding="utf-8") == render_markdown(served), (
        "docs/api-reference.md is stale: run `fla export-openapi`"
    )


def test_docs_page_loads_nothing_from_outside(db):
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    for source in sources:
        assert source.startswith("/"), f"external asset {source}"
        asset = Client().get(source)
        assert asset.status_code == 200, source
    assert '"validatorUrl": null' in html  # no call to the public validator
    assert '"url": "/api/v1/openapi.json"' in html


def test_document_describes_oauth2_and_problems(db):
    doc = Client().get("/api/v1/openapi.json").json()
    scheme = doc["components"]["securitySchemes"]["OAuth2"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/api/v1/oauth/token"
    assert set(scheme["flows"]["clientCredentials"]["scopes"]) == {"read", "declare"}
    put = doc["paths"]["/api/v1/employers/{enterprise_number}/trainings/{reference}"]["put"]
    assert set(put["responses"]) >= {"200", "201", "401", "403", "404", "412", "413", "422", "429"}
    assert "application/problem+json" in put["responses"]["422"]["content"]


# --- what the document says each operation answers ------------------------------------

EN, INSZ = "{enterprise_number}", "{insz}"
EMPLOYER = f"/api/v1/employers/{EN}"
TRAINING = f"{EMPLOYER}/trainings/{{reference}}"
RIGHTS = f"{EMPLOYER}/workers/{INSZ}/rights/{{year}}"


def _answers(world, settings):
    """(method, documented path, status, response) of real requests, one per case."""
    from django.core.cache import cache

    from fla.batch.models import BatchFile
    from tests.api.conftest import make_token, training_body

    number, insz = world.own.employer.enterprise_number, world.own.worker.insz
    own = f"/api/v1/employers/{number}"
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.employer_client)}"}
    reader = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.read_only_client)}"}
    api = Client(**bearer)
    body = json.dumps(training_body(insz))
    changed = json.dumps(training_body(insz, title="Anders"))
    batch = BatchFile.objects.create(
        reference="F-1",
        sender=number,
        sender_employer=world.own.employer,
        received_at="2026-01-09T10:00:00Z",
        storage_name="none.xml",
    )
    yield "get", "/api/v1/employers", 422, api.get("/api/v1/employers?limit=0")
    yield "get", RIGHTS, 422, api.get(f"{own}/workers/{insz}/rights/1800")
    yield "get", f"{EMPLOYER}/workers", 422, api.get(f"{own}/workers?limit=0")
    yield "get", f"{EMPLOYER}/trainings", 400, api.get(f"{own}/trainings?cursor=bm9wZQ")
    yield "get", "/api/v1/batches/{file_id}", 422, api.get("/api/v1/batches/x")
    yield (
        "get",
        "/api/v1/batches/{file_id}/notification",
        409,
        api.get(f"/api/v1/batches/{batch.pk}/notification"),
    )
    yield (
        "post",
        "/api/v1/batches",
        415,
        api.post("/api/v1/batches", "x", content_type="text/plain"),
    )
    settings.FLA_MAX_BATCH_BYTES = 10
    yield (
        "post",
        "/api/v1/batches",
        413,
        api.post("/api/v1/batches", "<a>" * 10, content_type="application/xml"),
    )
    yield "get", "/api/v1/employers", 401, Client().get("/api/v1/employers")
    yield (
        "put",
        TRAINING,
        403,
        Client(**reader).put(f"{own}/trainings/N-1", body, content_type="application/json"),
    )
    created = api.put(f"{own}/trainings/N-1", body, content_type="application/json")
    yield "put", TRAINING, 201, created
    yield (
        "put",
        TRAINING,
        412,
        api.put(f"{own}/trainings/N-1", changed, "application/json", HTTP_IF_MATCH='"9"'),
    )
    yield "put", TRAINING, 415, api.put(f"{own}/trainings/N-1", body, content_type="text/plain")
    yield "delete", TRAINING, 404, api.delete(f"{own}/trainings/NONE")
    yield "delete", TRAINING, 200, api.delete(f"{own}/trainings/N-1")
    yield "get", TRAINING, 200, api.get(f"{own}/trainings/N-1")
    yield "get", EMPLOYER, 304, api.get(own, HTTP_IF_NONE_MATCH="*")
    yield (
        "put",
        TRAINING,
        411,
        api.generic(
            "PUT",
            f"{own}/trainings/N-1",
            b"",
            content_type="application/json",
            HTTP_TRANSFER_ENCODING="chunked",
        ),
    )
    cache.clear()
    settings.FLA_API_RATE_LIMIT = 1
    api.get("/api/v1/anomalies")
    yield "get", "/api/v1/anomalies", 429, api.get("/api/v1/anomalies")
    cache.clear()


def test_every_answer_is_documented_with_its_headers(world, settings):
    doc = Client().get("/api/v1/openapi.json").json()
    seen = set()
    for method, path, status, response in _answers(world, settings):
        assert response.status_code == status, (method, path, response.content[:300])
        documented = doc["paths"][path][method]["responses"]
        assert str(status) in documented, (method, path, status)
        for name, header in documented[str(status)].get("headers", {}).items():
            if header.get("required"):
                assert response.has_header(name), (method, path, status, name)
        seen.add(status)
    assert seen >= {200, 201, 304, 400, 401, 403, 404, 409, 411, 412, 413, 415, 422, 429}


def test_nothing_is_documented_that_cannot_happen(db):
    doc = Client().get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    # a cancel takes no body and no typed parameter; its anomalies are 404 or 412
    assert "422" not in paths[TRAINING]["delete"]["responses"]
    for path, method in [
        (EMPLOYER, "get"),
        (TRAINING, "get"),
        (f"{EMPLOYER}/workers/{INSZ}/credit", "get"),
    ]:
        assert "422" not in paths[path][method]["responses"], path  # plain path strings
    for path in ("/api/v1/employers", "/api/v1/anomalies", "/api/v1/batches"):
        method = "post" if path.endswith("batches") else "get"
        assert "404" not in paths[path][method]["responses"], path  # no resource in the path
    for path, item in paths.items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert ("412" in responses) == (method in ("put", "delete")), (method, path)
            assert ("304" in responses) == (method == "get"), (method, path)
            if method != "post":
                ok = responses["200"]["headers"]
                assert ok["ETag"]["required"], (method, path)
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"]
            assert responses["429"]["headers"]["Retry-After"]["required"]
    assert paths[TRAINING]["put"]["responses"]["201"]["headers"]["Location"]["required"]
    worker = paths[f"{EMPLOYER}/workers/{INSZ}"]["put"]["responses"]
    assert worker["201"]["headers"]["Location"]["required"]
    assert paths["/api/v1/batches"]["post"]["responses"]["202"]["headers"]["Location"]
    assert "Link" in paths["/api/v1/employers"]["get"]["responses"]["200"]["headers"]
