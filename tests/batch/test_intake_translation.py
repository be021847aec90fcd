"""The receipt's reasons come in the language of the caller; lxml's detail stays as is."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from fla.batch import receipt, services

NOT_WELL_FORMED = {
    "nl": "Geen welgevormde XML: ",
    "fr": "XML mal formé\u00a0: ",
    "de": "Kein wohlgeformtes XML: ",
    "en": "Not well-formed XML: ",
}


def reason(world, data: bytes, language: str, **kwargs) -> str:
    with translation.override(language):
        (error,) = services.receive(world.caller, io.BytesIO(data), production=True).errors
    return error.reason


def broken(world) -> bytes:
    return world.file().replace(b"<title>Safety</title>", b"<title>Safety</titel>")


@pytest.mark.parametrize("language", NOT_WELL_FORMED)
def test_not_well_formed_in_every_language(world, batch_storage, language):
    text = reason(world, broken(world), language)
    assert text.startswith(NOT_WELL_FORMED[language]) and "titel" in text


def test_a_rejection_under_french_is_french_with_lxmls_detail_kept(world, batch_storage):
    data = world.file().replace(b"<title>Safety</title>", b"<title>Safety</title><colour/>")
    text = reason(world, data, "fr")
    assert text.startswith("Non valide selon le XSD\u00a0: ")
    assert "Element 'colour': This element is not expected." in text  # lxml's own words


@pytest.mark.parametrize(
    "data,french",
    [
        (b"", "Le fichier est vide."),
        (b"\xff\xfe<\x00a\x00", "Le fichier doit être encodé en UTF-8."),
        (b'<!DOCTYPE a [<!ENTITY e "x">]><a/>', "Un DOCTYPE n'est pas autorisé\u00a0: pas de DTD"),
        (b"<!-- not closed", "Le prologue du fichier n'est pas fermé."),
        (b"<!---->" * 20_000, "L'élément racine ne commence pas dans les 65536 premiers octets"),
        (b"<a>", "Le document se termine avant que son élément racine ne soit fermé."),
    ],
)
def test_the_receipts_own_reasons_in_french(world, batch_storage, data, french):
    assert reason(world, data, "fr").startswith(french)


def test_too_large_in_french(world, batch_storage, settings):
    settings.FLA_MAX_BATCH_BYTES = 100
    assert reason(world, world.file(), "fr") == "Le fichier dépasse la limite de 100 octets."


def test_the_header_reasons_in_french():
    with translation.override("fr"):
        sender = receipt.wrong_sender("0400000383").reason
        environment = receipt.wrong_environment(True).reason
        duplicate = receipt.duplicate_reference("F1").reason
    assert sender.startswith("Vous ne pouvez pas envoyer de fichiers pour l'expéditeur 0400000383")
    assert environment == "Un fichier de test a été envoyé en production."
    assert duplicate == "La référence de fichier F1 a déjà été utilisée par cet expéditeur."
    received = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
    with translation.override("fr"):
        named = receipt.duplicate_reference("F1", 12, received).reason
    assert named == (
        "La référence de fichier F1 a déjà été utilisée par cet expéditeur, pour le fichier "
        "12 (reçu le 01/03/2025 10:30)."
    )


def test_the_upload_page_shows_the_reason_in_the_users_language(world, client):
    client.force_login(world.user)
    upload = io.BytesIO(broken(world))
    upload.name = "bad.xml"
    response = client.post(
        "/batch/upload/",
        {"file": upload, "environment": "production"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    assert "XML mal formé\u00a0: " in response.content.decode()


def test_the_command_line_answers_in_english_as_the_rest_of_its_output(
    world, batch_storage, tmp_path, capsys
):
    path = tmp_path / "bad.xml"
    path.write_bytes(broken(world))
    with translation.override("fr"), pytest.raises(CommandError):
        call_command("batch", "submit", str(path))
    assert "[not_well_formed] Not well-formed XML: " in capsys.readouterr().out
