"""The OpenAPI document as files in docs/: the JSON itself and a readable Markdown page.

``fla export-openapi`` writes both; a test fails when the committed copies differ from
what the running application serves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

OPENAPI_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.json"
REFERENCE_PATH = Path(settings.BASE_DIR) / "docs" / "api-reference.md"
METHODS = ("get", "put", "post", "delete", "patch")


def openapi_document() -> dict[str, Any]:
    from fla.api.api import api

    return api.get_openapi_schema()


def openapi_json(document: dict[str, Any] | None = None) -> str:
    document = openapi_document() if document is None else document
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type_of(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def _cell(text: Any) -> str:
    return " ".join(str(text or "").split()).replace("|", "\\|")


def render_markdown(document: dict[str, Any] | None = None) -> str:
    """A plain reference: every operation, its parameters, body and answers; every schema."""
    doc = openapi_document() if document is None else document
    info = doc["info"]
    lines = [
        f"# {info['title']} {info['version']}: reference",
        "",
        "Generated from the OpenAPI document (docs/openapi.json, served at "
        "`/api/v1/openapi.json`, browsable at `/api/v1/docs`) by `fla export-openapi`; "
        "do not edit by hand. The guide is [api.md](api.md).",
        "",
        "All errors are `application/problem+json` ([Problem](#problem)).",
        "",
    ]
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            scopes = [s for req in op.get("security", []) for s in req.get("OAuth2", [])]
            lines += [f"## `{method.upper()} {path}`", ""]
            lines += [f"**{op.get('summary', '')}** (`{op.get('operationId', '')}`)"]
            if scopes:
                lines[-1] += "; scope " + " or ".join(f"`{scope}`" for scope in scopes)
            lines.append("")
            if op.get("description"):
                lines += [op["description"].strip(), ""]
            params = op.get("parameters", [])
            if params:
                lines += [
                    "| parameter | in | type | required | description |",
                    "|---|---|---|---|---|",
                ]
                for p in params:
                    schema = p.get("schema", {})
                    lines.append(
                        f"| `{p['name']}` | {p['in']} | {_cell(_type_of(schema))} | "
                        f"{'yes' if p.get('required') else 'no'} | "
                        f"{_cell(schema.get('description', p.get('description', '')))} |"
                    )
                lines.append("")
            body = op.get("requestBody")
            if body:
                for media, content in body.get("content", {}).items():
                    lines += [f"Body ({media}): {_type_of(content.get('schema', {}))}", ""]
            lines += ["| status | answer |", "|---|---|"]
            for status, response in op.get("responses", {}).items():
                answer = response.get("description", "")
                for media, content in (response.get("content") or {}).items():
                    answer += f": {_type_of(content.get('schema', {}))} ({media})"
                if response.get("headers"):
                    answer += "; headers " + ", ".join(f"`{h}`" for h in response["headers"])
                lines.append(f"| {status} | {_cell(answer)} |")
            lines.append("")
    lines += ["# Schemas", ""]
    for name, schema in sorted(doc.get("components", {}).get("schemas", {}).items()):
        lines += [f"## {name}", ""]
        if schema.get("description"):
            lines += [_cell(schema["description"]), ""]
        required = set(schema.get("required", []))
        props = schema.get("properties", {})
        if props:
            lines += ["| field | type | required | description |", "|---|---|---|---|"]
            for field_name, field in props.items():
                lines.append(
                    f"| `{field_name}` | {_cell(_type_of(field))} | "
                    f"{'yes' if field_name in required else 'no'} | "
                    f"{_cell(field.get('description', ''))} |"
                )
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_files() -> list[Path]:
    document = openapi_document()
    OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
    OPENAPI_PATH.write_text(openapi_json(document), encoding="utf-8")
    REFERENCE_PATH.write_text(render_markdown(document), encoding="utf-8")
    return [OPENAPI_PATH, REFERENCE_PATH]
