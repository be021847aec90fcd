"""Every text of a problem meant for a person (``title``, ``detail``, the ``message``
of each error) is in the language negotiated for the request, the one
``Content-Language`` names; ``type``, ``status``, codes and zones are the same in
every language."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from fla.api.problems import Problem, problem_response, validation_errors
from fla.batch.builder import file_bytes
from fla.batch.models import BatchFile, BatchStatus
from fla.declarations.anomalies import CATALOGUE
from tests.api.conftest import API, ApiClient, assert_problem, make_token, training_body

LANGUAGES = ("nl", "fr", "de", "en")
# Accept-Language as clients send it, by the language it negotiates.
ACCEPT = {"nl": "nl-BE,nl;q=0.9", "fr": "fr-BE,fr;q=0.9,en;q=0.5", "de": "de", "en": "en-GB"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _bearer(token: str, language: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": ACCEPT[language]}


def _unauthorized(world, language, settings=None):
    return Client().get(f"{API}/employers", HTTP_ACCEPT_LANGUAGE=ACCEPT[language])


def _expired(world, language, settings=None):
    token = make_token(world.employer_client, expired=True)
    return Client().get(f"{API}/employers", **_bearer(token, language))


def _scope(world, language, settings=None):
    number = world.own.employer.enterprise_number
    return Client().put(
        f"{API}/employers/{number}/trainings/X",
        "{}",
        content_type="application/json",
        **_bearer(make_token(world.read_only_client), language),
    )


def _not_visible(world, language, settings=None):
    number = world.foreign.employer.enterprise_number
    return Client().get(
        f"{API}/employers/{number}", **_bearer(make_token(world.employer_client), language)
    )


def _stale(world, language, settings=None):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/T-1"
    client = ApiClient(make_token(world.employer_client), language=ACCEPT[language])
    body = training_body(world.own.worker.insz, title="Anders")
    return client.put(url, body, headers={"If-Match": '"99"'})


def _too_large(world, language, settings):
    settings.FLA_API_MAX_BODY_BYTES = 1000
    url = f"employers/{world.own.employer.enterprise_number}/trainings/BIG"
    client = ApiClient(make_token(world.employer_client), language=ACCEPT[language])
    return client.put(url, training_body(world.own.worker.insz, description="x" * 2000))


def _not_xml(world, language, settings=None):
    return Client().post(
        f"{API}/batches",
        data="{}",
        content_type="application/json",
        **_bearer(make_token(world.employer_client), language),
    )


def _shape(world, language, settings=None):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/SHAPE"
    body = training_body(world.own.worker.insz, title=5, start_date=0, kind="online")
    del body["insz"]
    return ApiClient(make_token(world.employer_client), language=ACCEPT[language]).put(url, body)


def _anomalies(world, language, settings=None):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/ZERO"
    body = training_body(world.own.worker.insz, duration_minutes=0)
    return ApiClient(make_token(world.employer_client), language=ACCEPT[language]).put(url, body)


def _rate_limited(world, language, settings):
    cache.clear()
    settings.FLA_API_RATE_LIMIT = 2
    client = ApiClient(make_token(world.employer_client), language=ACCEPT[language])
    assert [client.get("anomalies").status_code for _ in range(2)] == [200, 200]
    response = client.get("anomalies")
    cache.clear()
    return response


# (what, status, how to get it, its type, its title and detail in French)
KINDS = [
    (
        "401 no token",
        401,
        _unauthorized,
        "urn:fla:problem:unauthorized",
        "Non authentifié",
        "Un jeton d'accès (bearer token) est requis.",
    ),
    (
        "401 expired",
        401,
        _expired,
        "urn:fla:problem:unauthorized",
        "Non authentifié",
        "Le jeton a expiré.",
    ),
    (
        "403 scope",
        403,
        _scope,
        "urn:fla:problem:insufficient-scope",
        "Accès refusé",
        "Cette opération requiert la portée (scope) « declare ».",
    ),
    (
        "404",
        404,
        _not_visible,
        "urn:fla:problem:not-found",
        "Introuvable",
        "Introuvable, ou non visible pour ce client API.",
    ),
    (
        "412",
        412,
        _stale,
        "urn:fla:problem:stale-version",
        "Condition préalable non remplie",
        "If-Match ne désigne aucune version actuelle de cette ressource (une étiquette faible "
        "ne correspond jamais).",
    ),
    ("413", 413, _too_large, "urn:fla:problem:too-large", "Contenu trop volumineux", None),
    (
        "415",
        415,
        _not_xml,
        "urn:fla:problem:unsupported-media-type",
        "Type de média non pris en charge",
        "Veuillez envoyer le fichier comme corps de la requête, avec le Content-Type "
        "application/xml.",
    ),
    (
        "422 shape",
        422,
        _shape,
        "urn:fla:problem:invalid-request",
        "Contenu impossible à traiter",
        "La requête n'a pas la forme attendue.",
    ),
    (
        "422 anomalies",
        422,
        _anomalies,
        "urn:fla:problem:anomalies",
        "Déclaration refusée",
        "La déclaration a été refusée\u00a0; rien n'en a été enregistré.",
    ),
    ("429", 429, _rate_limited, "urn:fla:problem:rate-limited", "Trop de requêtes", None),
]


def _answers(world, settings, how) -> dict[str, object]:
    return {language: how(world, language, settings) for language in LANGUAGES}


@pytest.mark.parametrize(
    "what,status,how,type_,title,detail", KINDS, ids=[kind[0] for kind in KINDS]
)
def test_title_and_detail_follow_the_negotiated_language(
    world, settings, what, status, how, type_, title, detail
):
    problems = {}
    for language, response in _answers(world, settings, how).items():
        problem = assert_problem(response, status)
        assert response["Content-Language"] == language, what
        assert problem["type"] == type_  # the same in every language
        problems[language] = problem
    titles = {language: p["title"] for language, p in problems.items()}
    details = {language: p["detail"] for language, p in problems.items()}
    assert len(set(titles.values())) == 4, titles  # four languages, four titles
    assert len(set(details.values())) == 4, details
    assert titles["fr"] == title
    if detail is not None:
        assert details["fr"] == detail


def test_the_numbers_of_413_and_429_are_in_their_sentence(world, settings):
    details = {
        language: response.json()["detail"]
        for language, response in _answers(world, settings, _too_large).items()
    }
    assert details["nl"].startswith("De inhoud van het verzoek telt ")
    assert details["nl"].endswith("bytes; hoogstens 1000 worden aanvaard.")
    assert details["fr"].endswith("octets\u00a0; au plus 1000 sont acceptés.")
    assert details["de"].endswith("Bytes; höchstens 1000 werden angenommen.")
    assert details["en"].endswith("bytes; at most 1000 are accepted.")
    maximum = {"nl": "van 2 verzoeken", "fr": "de 2 requêtes", "de": "von 2 Anfragen"}
    maximum["en"] = "of 2 requests"
    unit = {"nl": "seconde", "fr": "seconde", "de": "Sekunde", "en": "second"}
    for language, response in _answers(world, settings, _rate_limited).items():
        seconds = int(response["Retry-After"])  # one second, or seconds: both start so
        detail = response.json()["detail"]
        assert maximum[language] in detail and f" {seconds} {unit[language]}" in detail


def test_the_401_challenge_stays_ascii_english(world):
    response = _expired(world, "fr")
    assert response.json()["detail"] == "Le jeton a expiré."
    challenge = response["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge
    assert 'error_description="The token has expired."' in challenge
    assert challenge.isascii()


def test_every_shape_error_has_a_message_in_the_language(world):
    by_language = {}
    for language in LANGUAGES:
        response = _shape(world, language)
        problem = assert_problem(response, 422)
        assert response["Content-Language"] == language
        by_language[language] = {error["zone"]: error for error in problem["errors"]}
    zones = set(by_language["nl"])
    assert {"insz", "title", "kind", "start_date"} <= zones
    for language, errors in by_language.items():
        assert set(errors) == zones
        assert all(error["message"] for error in errors.values()), language
    for zone in zones:
        messages = {language: by_language[language][zone]["message"] for language in LANGUAGES}
        assert len(set(messages.values())) == 4, messages
        codes = {by_language[language][zone].get("code") for language in LANGUAGES}
        assert len(codes) == 1  # machine-readable: the same everywhere
    assert by_language["fr"]["title"]["message"] == "Cette zone doit être un texte."
    assert by_language["de"]["title"]["message"] == "Dieses Feld muss ein Text sein."
    assert by_language["nl"]["insz"]["message"] == CATALOGUE["E016"].message("nl")
    assert by_language["en"]["kind"]["code"] == "E011"
    assert by_language["en"]["kind"]["message"] == CATALOGUE["E011"].message("en", value="online")


@pytest.mark.parametrize(
    "body,zone,french",
    [
        ({"declarations": 5}, "declarations", "Cette zone doit être une liste (tableau JSON)."),
        (
            {"declarations": [{"kind": "rights", "data": []}]},
            "declarations.0.data",
            "Cette zone doit être un objet JSON.",
        ),
        (
            {"declarations": [{"kind": "rights", "data": {}}] * 1001},
            "declarations",
            "La liste compte trop d'éléments (au plus 1000).",
        ),
    ],
)
def test_shape_errors_without_a_code_are_localized_too(world, body, zone, french):
    url = f"employers/{world.own.employer.enterprise_number}/declarations/validate"
    messages = {}
    for language in LANGUAGES:
        client = ApiClient(make_token(world.employer_client), language=ACCEPT[language])
        problem = assert_problem(client.post(url, body), 422)
        [error] = [e for e in problem["errors"] if e["zone"] == zone]
        assert "code" not in error
        messages[language] = error["message"]
    assert messages["fr"] == french
    assert len(set(messages.values())) == 4, messages


def test_a_body_that_is_no_object_says_so_in_the_language(world):
    url = f"employers/{world.own.employer.enterprise_number}/trainings/NO-OBJECT"
    messages = {}
    for language in LANGUAGES:
        client = ApiClient(make_token(world.employer_client), language=ACCEPT[language])
        response = client.put(url, [1, 2])
        problem = assert_problem(response, 422)
        assert response["Content-Language"] == language
        [error] = problem["errors"]
        assert error["error"] == "The body must be a JSON object."  # technical, English
        messages[language] = error["message"]
    assert messages == {
        "nl": "De inhoud van het verzoek moet een JSON-object zijn.",
        "fr": "Le corps de la requête doit être un objet JSON.",
        "de": "Der Inhalt der Anfrage muss ein JSON-Objekt sein.",
        "en": "The body must be a JSON object.",
    }


def _request(language: str):
    return RequestFactory().get(f"{API}/employers", HTTP_ACCEPT_LANGUAGE=ACCEPT[language])


def test_428_and_500_titles_follow_the_language():
    titles = {}
    for language in LANGUAGES:
        response = problem_response(_request(language), Problem(428, slug="precondition-required"))
        assert response["Content-Language"] == language
        titles[language] = json.loads(response.content)["title"]
    assert titles == {
        "nl": "Voorwaarde vereist",
        "fr": "Condition préalable requise",
        "de": "Vorbedingung erforderlich",
        "en": "Precondition required",
    }
    internal = {
        language: json.loads(problem_response(_request(language), Problem(500)).content)["title"]
        for language in LANGUAGES
    }
    assert internal["en"] == "Internal server error" and len(set(internal.values())) == 4


def test_an_unknown_error_type_still_gets_a_message():
    errors = [
        {"loc": ("body", "payload", "zone"), "type": "something_new", "msg": "Whatever"},
        {
            "loc": ("query", "colour"),
            "type": "literal_error",
            "msg": "Input should be 'red' or 'blue'",
            "ctx": {"expected": "'red' or 'blue'"},
            "value": "green",
        },
    ]
    french = validation_errors(_request("fr"), errors)
    assert french[0]["message"] == "Cette valeur n'a pas la forme attendue."
    assert french[1]["message"] == "Valeur inconnue\u00a0: green. Admis\u00a0: red, blue."
    german = validation_errors(_request("de"), errors)
    assert german[1]["message"] == "Unbekannter Wert: green. Zulässig: red, blue."
    assert [e["error"] for e in french] == ["Whatever", "Input should be 'red' or 'blue'"]


def test_other_problems_follow_the_language_too(world):
    token = make_token(world.employer_client)
    number = world.own.employer.enterprise_number
    for language, expected in {
        "nl": ("Deze cursor werd niet door deze API gegeven.", "Deze API kent dit adres niet."),
        "fr": (
            "Ce curseur n'a pas été fourni par cette API.",
            "Cette adresse n'existe pas dans l'API.",
        ),
        "de": (
            "Dieser Cursor stammt nicht von dieser API.",
            "Diese Adresse gibt es in der API nicht.",
        ),
        "en": ("The cursor is not one this API gave.", "No such endpoint."),
    }.items():
        cursor = Client().get(f"{API}/employers?cursor=bm9wZQ", **_bearer(token, language))
        nowhere = Client().get(f"{API}/nowhere", **_bearer(token, language))
        assert (
            assert_problem(cursor, 400)["detail"],
            assert_problem(nowhere, 404)["detail"],
        ) == expected
        method = Client().post(f"{API}/employers/{number}", **_bearer(token, language))
        assert assert_problem(method, 405)["detail"].endswith("GET, HEAD, OPTIONS.")


def _batch(world, **changes) -> bytes:
    employer, worker = world.own.employer, world.own.worker
    zones = {**training_body(worker.insz), "reference": "B-1"}
    return file_bytes(
        reference="LANG-F",
        sender=employer.enterprise_number,
        language="nl",
        employers=[(employer.enterprise_number, [("training", zones)])],
        **changes,
    )


def test_a_rejected_batch_file_is_explained_in_the_language(world):
    token = make_token(world.employer_client)
    data = _batch(world).replace(b"</batch_file>", b"<colour/></batch_file>")
    answers = {}
    for language in LANGUAGES:
        response = Client().post(
            f"{API}/batches", data=data, content_type="application/xml", **_bearer(token, language)
        )
        problem = assert_problem(response, 422)
        assert response["Content-Language"] == language
        answers[language] = (problem["title"], problem["detail"], problem["errors"][0]["reason"])
    assert answers["fr"][:2] == (
        "Fichier refusé",
        "Le fichier a été refusé intégralement\u00a0; rien n'en a été enregistré.",
    )
    assert answers["fr"][2].startswith("Non valide selon le XSD\u00a0: ")
    assert answers["en"][2].startswith("Not valid against the XSD: ")
    for part in range(3):
        assert len({answer[part] for answer in answers.values()}) == 4, answers


def test_a_batch_files_status_and_notification_follow_the_language(world):
    token = make_token(world.employer_client)
    response = Client().post(
        f"{API}/batches", data=_batch(world), content_type="application/xml", **_bearer(token, "nl")
    )
    assert response.status_code == 202, response.content
    file_id = response.json()["file_id"]
    url = f"{API}/batches/{file_id}"
    waiting = {
        language: assert_problem(
            Client().get(url + "/notification", **_bearer(token, language)), 409
        )
        for language in LANGUAGES
    }
    assert waiting["fr"]["detail"] == (
        "La notification de ce fichier n'est pas encore prête (statut received)."
    )
    assert len({problem["detail"] for problem in waiting.values()}) == 4
    BatchFile.objects.filter(pk=file_id).update(status=BatchStatus.FAILED, error="OSError: x")
    failed = {
        language: Client().get(url, **_bearer(token, language)).json()["error"]
        for language in LANGUAGES
    }
    assert failed["de"].startswith(
        "Die Verarbeitung wurde wegen eines Fehlers beim Lesen oder Schreiben der "
        "gespeicherten Datei angehalten."
    )
    assert all(str(file_id) in reason for reason in failed.values())
    assert len(set(failed.values())) == 4
