"""How a query or path parameter that is no value of its kind is answered: a number out
of the range the parameter declares says the range; an empty parameter (``?limit=``) is
refused whatever its type, saying it is empty; a boolean is ``true`` or ``false``, not
``yes``, ``on`` or ``1``. Each in the request's language, with 422 naming the parameter."""

from __future__ import annotations

import pytest

from fla.api.api import api
from fla.batch.models import BatchFile
from tests.api.conftest import API, assert_problem

RANGE = {
    "nl": "Ongeldig getal: 0. Toegelaten: 1 tot 1000.",
    "fr": "Nombre invalide\u00a0: 0. Admis\u00a0: de 1 à 1000.",
    "de": "Ungültige Zahl: 0. Zulässig: 1 bis 1000.",
    "en": "Invalid number: 0. Allowed: 1 to 1000.",
}


def _bounds(document: dict) -> dict[tuple[str, str, str], tuple[str, int, int]]:
    """Every integer parameter with bounds in the document: (method, path, name) →
    (where, minimum, maximum)."""
    found = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                for kind in [schema, *schema.get("anyOf", [])]:
                    if kind.get("type") == "integer" and "maximum" in kind:
                        key = (method, path, parameter["name"])
                        found[key] = (parameter["in"], kind["minimum"], kind["maximum"])
    return found


def test_every_bounded_parameter_says_its_own_range(world, as_employer):
    """From the bounds each parameter declares: below and above them."""
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    bounds = _bounds(api.get_openapi_schema())
    assert len(bounds) >= 6
    for (method, path, name), (where, low, high) in bounds.items():
        assert method == "get" or path.endswith("/rights/{year}"), (method, path)
        url = path.replace("{enterprise_number}", en).replace("{insz}", insz)
        for value in (low - 1, high + 1):
            if where == "path":
                target = url.replace("{" + name + "}", str(value))
            else:
                target = f"{url}?{name}={value}"
            [error] = assert_problem(as_employer.get(target), 422)["errors"]
            assert (error["in"], error["zone"], error["code"]) == (where, name, "E019")
            assert error["message"] == f"Ongeldig getal: {value}. Toegelaten: {low} tot {high}."


def _query_parameters(document: dict) -> list[tuple[str, str, str]]:
    return [
        (method, path, parameter["name"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]


EMPTY = {
    "nl": "De parameter limit is leeg. Laat hem weg of geef hem een waarde.",
    "fr": "Le paramètre limit est vide. Omettez-le ou donnez-lui une valeur.",
    "de": "Der Parameter limit ist leer. Weglassen oder einen Wert angeben.",
    "en": "The parameter limit is empty. Leave it out or give it a value.",
}


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
@pytest.mark.parametrize(
    "query, messages",
    [("limit=0", RANGE), ("limit=", EMPTY)],
    ids=["out of range: says the range", "empty: says it is empty"],
)
def test_a_refused_limit_says_why_in_the_language_asked(
    world, as_employer, language, query, messages
):
    as_employer.language = language
    [error] = assert_problem(as_employer.get(f"batches?{query}"), 422)["errors"]
    assert (error["in"], error["zone"], error["code"]) == ("query", "limit", "E019")
    assert error["message"] == messages[language]


def test_every_empty_query_parameter_is_refused_the_same_way(world, as_employer):
    """An empty parameter is not read as absent: not a filter, a page size, a cursor,
    a moment or a flag (``?status=``, ``?name=``, ``?cursor=``, ``?test=``)."""
    en = world.own.employer.enterprise_number
    parameters = _query_parameters(api.get_openapi_schema())
    assert len(parameters) >= 18
    for method, path, name in parameters:
        url = path.replace("{enterprise_number}", en) + f"?{name}="
        if method == "post":
            response = as_employer.client.post(
                url,
                b"<batch/>",
                content_type="application/xml",
                HTTP_AUTHORIZATION=f"Bearer {as_employer.token}",
            )
        else:
            response = as_employer.get(url)
        problem = assert_problem(response, 422)
        assert [(e["in"], e["zone"]) for e in problem["errors"]] == [("query", name)], url
        message = problem["errors"][0]["message"]
        assert message == f"De parameter {name} is leeg. Laat hem weg of geef hem een waarde."


def test_the_status_of_a_file_is_not_a_training_status(world, as_employer):
    """``status`` of GET /batches lists the statuses of a file, without the code of a
    training's unknown status (E012)."""
    [error] = assert_problem(as_employer.get("batches?status=planned"), 422)["errors"]
    assert "code" not in error
    assert error["message"] == (
        "Onbekende waarde: planned. Toegelaten: received, processing, done, failed."
    )
    en = world.own.employer.enterprise_number
    [error] = assert_problem(as_employer.get(f"employers/{en}/trainings?status=x"), 422)["errors"]
    assert error["code"] == "E012"


def _upload(as_employer, query: str):
    return as_employer.client.post(
        f"{API}/batches?{query}",
        b"<batch/>",
        content_type="application/xml",
        HTTP_AUTHORIZATION=f"Bearer {as_employer.token}",
    )


@pytest.mark.parametrize("value", ["yes", "no", "on", "off", "1", "0", "t", "f", "y", "truee"])
def test_test_takes_true_or_false_and_nothing_else(world, as_employer, value):
    problem = assert_problem(_upload(as_employer, f"test={value}"), 422)
    assert problem["type"] == "urn:fla:problem:invalid-request"
    [error] = problem["errors"]
    assert (error["in"], error["zone"], error["code"]) == ("query", "test", "E020")
    assert error["message"] == f"Ongeldige ja/nee-waarde: {value}. Toegelaten: true, false."
    assert not BatchFile.objects.exists()


@pytest.mark.parametrize("value", ["true", "false", "True", "FALSE"])
def test_true_and_false_are_read_in_any_case(world, as_employer, value):
    """The file itself is read (and rejected here: it is no BATCH file)."""
    problem = assert_problem(_upload(as_employer, f"test={value}"), 422)
    assert problem["type"] == "urn:fla:problem:batch-rejected"
