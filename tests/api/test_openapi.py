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
