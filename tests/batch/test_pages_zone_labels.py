"""A file's page names the zone of each anomaly by its label in the page's language, the
one the glossary gives it, with its XML name beside it for the technical reader; the
notification XML keeps the XML names."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.utils import translation
from lxml import etree

from fla.batch import services
from fla.batch.glossary import render
from fla.batch.models import BatchFile
from fla.batch.schemas import BATCH_XSD, SCHEMA_DIR
from fla.batch.zones import zone_label
from tests.batch.test_processing import NS, notification
from tests.factories import make_insz

XS = "{http://www.w3.org/2001/XMLSchema}"
SHOWN = re.compile(
    r'<span data-testid="zone">(?:([^<]*), )?<code class="zone-name" translate="no">([^<]*)</code></span>'
)
LABELS = {
    "nl": {
        "start_date": "Begindatum",
        "end_date": "Einddatum",
        "kind": "Type opleiding",
        "employment.end_date": "Einddatum van de tewerkstelling",
        "legal_minutes": "Wettelijk recht in minuten",
    },
    "fr": {
        "start_date": "Date de début",
        "end_date": "Date de fin",
        "kind": "Type de formation",
        "employment.end_date": "Date de fin de l&#x27;occupation",
        "legal_minutes": "Droit légal en minutes",
    },
    "de": {
        "start_date": "Anfangsdatum",
        "end_date": "Enddatum",
        "kind": "Art der Weiterbildung",
        "employment.end_date": "Enddatum der Beschäftigung",
        "legal_minutes": "Gesetzlicher Anspruch in Minuten",
    },
    "en": {
        "start_date": "Start date",
        "end_date": "End date",
        "kind": "Training type",
        "employment.end_date": "End date of the employment",
        "legal_minutes": "Legal right in minutes",
    },
}


@pytest.fixture
def processed(world) -> BatchFile:
    worker = world.workers[0]
    declarations = [
        world.training("T1", start_date="1990-01-01", end_date="1990-01-01"),  # E009 twice
        world.training("T2", kind="seminar"),  # E011
        (
            "worker",
            {
                "insz": make_insz(),
                "first_name": "An",
                "last_name": "Peeters",
                "employment": {
                    "start_date": "2024-01-01",
                    "end_date": "2023-01-01",  # E006
                    "regime": "1",
                    "joint_committee": "200",
                },
            },
        ),
        ("rights", {"insz": worker.insz, "year": 2025, "legal_minutes": -5}),  # E028
    ]
    receipt = services.receive(
        world.caller, io.BytesIO(world.file(declarations=declarations)), production=True
    )
    assert receipt.accepted, receipt.errors
    services.process(receipt.file_id)
    return BatchFile.objects.get(pk=receipt.file_id)


def shown_zones(world, batch, language) -> dict[str, str | None]:
    client = Client()
    client.force_login(world.user)
    page = client.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    return {name: label for label, name in SHOWN.findall(page.content.decode())}


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_each_zone_is_shown_by_its_label_then_its_xml_name(world, processed, language):
    shown = shown_zones(world, processed, language)
    assert shown == LABELS[language]


def test_a_language_the_application_does_not_speak_gets_the_dutch_labels(world, processed):
    assert shown_zones(world, processed, "es") == LABELS["nl"]


def test_the_notification_keeps_the_xml_names(world, processed):
    zones = {z.text for z in notification(processed).iterfind(".//n:zone", NS)}
    assert zones == set(LABELS["nl"])


def _file_zones():
    """Every zone of the file's XSD with the block (element) it is in."""
    tree = etree.parse(str(SCHEMA_DIR / BATCH_XSD))
    blocks = {e.get("type"): e.get("name") for e in tree.iter(f"{XS}element") if e.get("type")}
    for complex_type in tree.getroot().findall(f"{XS}complexType"):
        block = blocks[complex_type.get("name")]
        for element in complex_type.iter(f"{XS}element"):
            yield block, element.get("name")


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_every_zone_of_a_file_has_a_label_in_every_language(language):
    with translation.override(language):
        for block, name in _file_zones():
            assert zone_label(name, block), (block, name)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_glossary_names_each_zone_as_the_page_does(language):
    glossary = render(language)
    with translation.override(language):
        for block, name in _file_zones():
            section = glossary.split(
                f"### Block `{block}`" if language == "en" else f"### Blok `{block}`"
            )[1]
            section = section.split("\n### ")[0]
            assert f"| `{name}` | {zone_label(name, block)} |" in section, (block, name)


def test_a_name_that_is_no_zone_of_a_file_gets_no_label():
    assert zone_label("zone") == "" and zone_label("no_such_zone", "training") == ""
    assert zone_label("employment.start_date", "worker") == "Begindatum van de tewerkstelling"
    assert zone_label("start_date", "training") == "Begindatum"
