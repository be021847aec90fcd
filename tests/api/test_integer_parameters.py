"""Integer query and path parameters are written in ASCII digits, nothing else: what
pydantic would read loosely (``1.0``, ``1_0``, ``+5``, `` 5``, ``٥``) is a mistake,
refused with 422 naming the parameter, never read as another number. No leading zero
either (``05``): one value, one spelling. The OpenAPI document gives the same rule as
the pattern of each of them."""

from __future__ import annotations

import functools
import re
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from fla.api.api import api
from fla.api.common import WHOLE_NUMBER_PATTERN, digits_only
from fla.batch.models import BatchFile
from tests.api.conftest import API, assert_problem

# Every integer parameter of the API: where it is, and a request that sends it (the
# text in place of {}), with a value it takes.
PARAMETERS = {
    ("get", "/employers", "limit"): ("query", "employers?limit={}", "10"),
    ("get", "/employers/{enterprise_number}/workers", "limit"): (
        "query",
        "employers/{en}/workers?limit={}",
        "10",
    ),
    ("get", "/employers/{enterprise_number}/trainings", "limit"): (
        "query",
        "employers/{en}/trainings?limit={}",
        "10",
    ),
    ("get", "/employers/{enterprise_number}/trainings", "year"): (
        "query",
        "employers/{en}/trainings?year={}",
        "2025",
    ),
    ("get", "/employers/{enterprise_number}/workers/{insz}/rights/{year}", "year"): (
        "path",
        "employers/{en}/workers/{insz}/rights/{}",
        "2025",
    ),
    ("put", "/employers/{enterprise_number}/workers/{insz}/rights/{year}", "year"): (
        "path",
        "employers/{en}/workers/{insz}/rights/{}",
        "2025",
    ),
    ("get", "/batches", "limit"): ("query", "batches?limit={}", "10"),
    ("get", "/batches/{file_id}", "file_id"): ("path", "batches/{}", "{file}"),
    ("get", "/batches/{file_id}/notification", "file_id"): (
        "path",
        "batches/{}/notification",
        "{file}",
    ),
}


def _integer_parameters(document: dict) -> dict[tuple[str, str, str], dict]:
    """The integer parameters of the document, with their schema."""
    found = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                kinds = [schema, *schema.get("anyOf", [])]
                for kind in kinds:
                    if kind.get("type") == "integer":
                        key = (method, path.removeprefix(API), parameter["name"])
                        found[key] = kind
    return found


def test_every_integer_parameter_is_here_and_documents_its_pattern(client):
    document = client.get(f"{API}/openapi.json").json()
    found = _integer_parameters(document)
    assert set(found) == set(PARAMETERS)
    for key, schema in found.items():
        assert schema["pattern"] == WHOLE_NUMBER_PATTERN, key
        assert schema["minimum"] >= 0, key  # the pattern has no sign


@functools.cache
def _documented() -> str:
    """The pattern as the document gives it (the same for all: the test above)."""
    return _integer_parameters(api.get_openapi_schema())[("get", "/batches", "limit")]["pattern"]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(WHOLE_NUMBER_PATTERN, fullmatch=True),
        st.text(max_size=8),
        st.from_regex(r"[+\- 0]?[0-9_.eE+\- ]{1,6}", fullmatch=True),
    )
)
def test_the_check_takes_what_the_documented_pattern_matches_and_nothing_else(text):
    """The pattern in the document is the rule the parameters are held to."""
    documented = re.fullmatch(_documented(), text) is not None
    try:
        taken = digits_only(text) == text
    except PydanticCustomError:
        taken = False
    assert taken == documented


@pytest.fixture
def values(world) -> dict[str, str]:
    batch = BatchFile.objects.create(
        reference="F-1",
        sender=world.own.employer.enterprise_number,
        sender_employer=world.own.employer,
        received_at="2026-01-09T10:00:00Z",
        storage_name="none.xml",
    )
    return {
        "en": world.own.employer.enterprise_number,
        "insz": world.own.worker.insz,
        "file": str(batch.pk),
    }


def _request(as_employer, method: str, template: str, values: dict, text: str):
    url = template.replace("{}", "\x00").format(**values).replace("\x00", text)
    if method == "put":
        return as_employer.put(url, {"legal_minutes": 600})
    return as_employer.get(url)


def _variants(good: str) -> list[str]:
    """``good`` as pydantic would read it too, but written otherwise (URL-encoded)."""
    arabic = "".join(chr(0x0660 + int(digit)) for digit in good)
    fullwidth = "".join(chr(0xFF10 + int(digit)) for digit in good)
    return [
        good + ".0",
        good[0] + "_" + good[1:] if len(good) > 1 else good + "_0",
        "+" + good,
        " " + good,
        good + " ",
        "\t" + good,
        good + "\n",
        "0" + good,
        "00" + good,
        arabic,
        fullwidth,
        good + "e0",
        "-" + good,
        "-0",
    ]


@pytest.mark.parametrize("key", sorted(PARAMETERS), ids=" ".join)
def test_an_integer_written_otherwise_is_refused_naming_the_parameter(
    world, as_employer, values, key
):
    method, _path, name = key
    where, template, good = PARAMETERS[key]
    good = good.format(**values)
    well_formed = _request(as_employer, method, template, values, good)
    assert well_formed.status_code in (200, 409), well_formed.content[:300]
    for text in _variants(good):
        response = _request(as_employer, method, template, values, quote(text, safe=""))
        problem = assert_problem(response, 422)
        assert problem["type"] == "urn:fla:problem:invalid-request"
        [error] = problem["errors"]
        assert (error["in"], error["zone"], error["code"]) == (where, name, "E019"), text
        assert error["message"].startswith(f"Ongeldig geheel getal: {text}."), error


@pytest.mark.parametrize(
    "query", ["limit=", "limit=x", "limit=0x10", "limit=1%2C5", "limit=%C2%B2", "limit=٥"]
)
def test_what_is_no_number_at_all_is_refused_the_same_way(world, as_employer, query):
    problem = assert_problem(as_employer.get("batches?" + query), 422)
    assert [(e["in"], e["zone"], e["code"]) for e in problem["errors"]] == [
        ("query", "limit", "E019")
    ]


MESSAGES = {
    "nl": "Ongeldig geheel getal: 2025.0. Schrijf alleen de cijfers 0-9, zonder voorloopnul, "
    "teken, spatie, decimalen of scheidingsteken.",
    "fr": "Nombre entier invalide\u00a0: 2025.0. N'écrivez que les chiffres 0-9, sans zéro "
    "initial, signe, espace, décimales ni séparateur.",
    "de": "Ungültige ganze Zahl: 2025.0. Nur die Ziffern 0-9 schreiben, ohne führende Null, "
    "Vorzeichen, Leerzeichen, Nachkommastellen oder Trennzeichen.",
    "en": "Invalid whole number: 2025.0. Write only the digits 0-9, without a leading zero, "
    "sign, space, decimals or separator.",
}


@pytest.mark.parametrize("language", sorted(MESSAGES))
def test_the_reason_is_in_the_language_of_the_request(world, as_employer, language):
    as_employer.language = language
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    response = as_employer.get(f"employers/{en}/workers/{insz}/rights/2025.0")
    [error] = assert_problem(response, 422)["errors"]
    assert response["Content-Language"] == language
    assert error["message"] == MESSAGES[language]


@pytest.mark.parametrize(
    "path,status",
    [
        ("employers/{en}/workers/{insz}/rights/2025", 200),
        ("employers/{en}/workers/{insz}/rights/1900", 200),
        ("employers/{en}/workers/{insz}/rights/2999", 200),
        ("employers/{en}/trainings?year=2025&limit=1000", 200),
        ("employers/{en}/workers?limit=1", 200),
        ("employers?limit=10000", 200),
        ("batches?limit=1", 200),
        ("batches/{file}", 200),
        ("batches/0", 404),  # well written: no such file
        ("batches/99999999999999999999999999", 404),
    ],
)
def test_integers_written_in_digits_still_work(world, as_employer, values, path, status):
    response = as_employer.get(path.format(**values))
    assert response.status_code == status, response.content[:300]
